// What the dashboard reads from the API, derived from the server's response schemas
// (control-plane/src/api/schemas) with json-schema-to-ts: a field the server documents is a field the
// dashboard can read, with the server's type, and nothing else. Type-only imports: the bundle
// contains none of the schemas.
import type { FromSchema } from 'json-schema-to-ts';
import type {
  alertListSchema,
  blastRadiusSchema,
  endpointDetailSchema,
  endpointListSchema,
  nodeListSchema,
} from '../api/schemas/observed.js';
import type { auditEntrySchema, historySchema, policySchema } from '../api/schemas/policy.js';
import type { rampViewSchema } from '../api/schemas/ramp.js';
import type { runSchema, verdictSchema } from '../api/schemas/verdict.js';
import type { PolicySpec } from '../domain/config.js';

export type { PolicySpec };

/** The policy answers carry the spec as stored (an open object in their schema): it is a PolicySpec. */
type WithSpec<T> = T & { spec: PolicySpec };

export type Policy = WithSpec<FromSchema<typeof policySchema>>;
export type AuditEntry = FromSchema<typeof auditEntrySchema>;
export type Change = AuditEntry['changes'][number];
type HistoryAnswer = FromSchema<typeof historySchema, { references: [typeof auditEntrySchema] }>;
export type History = Omit<HistoryAnswer, 'versions'> & {
  versions: Array<HistoryAnswer['versions'][number] & { spec?: PolicySpec }>;
};

export type NodeStatus = FromSchema<typeof nodeListSchema>['nodes'][number];

export type EndpointReport = FromSchema<typeof endpointListSchema>['endpoints'][number];
export type EndpointDetail = FromSchema<typeof endpointDetailSchema>['report'];
export type FieldReport = EndpointDetail['fields'][number];
export type FieldExample = FieldReport['examples'][number];
export type Verdict = FieldReport['verdict'];
export type PairExample = EndpointDetail['samples'][number];
export type ExampleSide = PairExample['live'];

export type BlastMap = FromSchema<typeof blastRadiusSchema>['map'];
export type DestinationBlast = BlastMap['services'][number]['destinations'][number];
export type Decision = keyof DestinationBlast['decisions'];

export type Alert = FromSchema<typeof alertListSchema>['alerts'][number];

export type RampView = FromSchema<typeof rampViewSchema>;
export type RunView = FromSchema<typeof runSchema>;
export type PolicyVerdict = FromSchema<typeof verdictSchema>;
