// The configuration vocabulary, derived from the contract schemas (schema/filter-config.schema.json,
// schema/policy.schema.json, as literals in contract-schemas.gen.ts) with json-schema-to-ts: what ajv
// accepts and what the code reads are one definition. Types only; the dashboard imports it too.
import type { FromSchema } from 'json-schema-to-ts';
import type { filterConfigDocument, policyDocument } from './contract-schemas.gen.js';

/**
 * ajv writes no defaults into a document (app.ts: useDefaults off) and the filter and policyConfig
 * apply them when they read it, so a property with a schema `default` stays optional here.
 */
type ContractOptions = { keepDefaultedPropertiesOptional: true; references: [typeof filterConfigDocument] };

/** The filter configuration document (static plugin config and ConfigSnapshot.config_json). */
export type FilterConfig = FromSchema<typeof filterConfigDocument, ContractOptions>;
/** What an operator manages (schema/policy.schema.json). The name lives outside the document. */
export type PolicySpec = FromSchema<typeof policyDocument, ContractOptions>;

export type RateLimit = NonNullable<FilterConfig['inboundRateLimit']>;
export type Sampling = NonNullable<FilterConfig['sampling']>;
export type SamplingRule = NonNullable<Sampling['rules']>[number];
export type Egress = NonNullable<FilterConfig['egress']>;
export type EgressRule = NonNullable<Egress['rules']>[number];
/** Network-filter role: connection rules. */
export type Connections = NonNullable<FilterConfig['connections']>;
export type ConnectionRule = NonNullable<Connections['rules']>[number];
export type Capture = NonNullable<FilterConfig['capture']>;
export type Idempotency = NonNullable<FilterConfig['idempotency']>;

export type NormalizeSpec = NonNullable<PolicySpec['normalize']>;
export type NoiseSpec = NonNullable<PolicySpec['noise']>;
export type AlertSpec = NonNullable<PolicySpec['alerts']>;
export type CapacitySpec = NonNullable<PolicySpec['capacity']>[number];
/** A mirror ramp: sampling caps advanced stage by stage while the guards hold. */
export type RampSpec = NonNullable<PolicySpec['ramp']>;
/** Limits of a mirror ramp; absent = not checked. */
export type RampGuards = NonNullable<RampSpec['guards']>;
