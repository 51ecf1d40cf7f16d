// Validates Istio resources the way `kubectl apply --validate=strict` would against the CRD schema: first the
// @kubernetes-models/istio model (.validate(), Istio 1.18 CRDs), then a strict pass with the same schema plus
// the fields Istio added since that we use, rejecting unknown fields (the models' schemas allow them).
import type { ValidateFunction } from 'ajv';
import { WasmPlugin } from '@kubernetes-models/istio/extensions.istio.io/v1alpha1/WasmPlugin';
import { VirtualService } from '@kubernetes-models/istio/networking.istio.io/v1beta1/VirtualService';
import { DestinationRule } from '@kubernetes-models/istio/networking.istio.io/v1beta1/DestinationRule';
import { Gateway } from '@kubernetes-models/istio/networking.istio.io/v1beta1/Gateway';
import { Telemetry } from '@kubernetes-models/istio/telemetry.istio.io/v1alpha1/Telemetry';
import { Sidecar } from '@kubernetes-models/istio/networking.istio.io/v1beta1/Sidecar';
import { type Schema, strictModelValidator } from './strict-schema.js';

interface Kind {
  model: new (data: any) => { validate(): void };
  module: string;
  supplement?: (s: Schema) => void;
}

/** Fields newer than the Istio 1.18 CRDs the models were generated from, as the current istio/api CRDs define them. */
const KINDS: Record<string, Kind> = {
  'extensions.istio.io/v1alpha1/WasmPlugin': {
    model: WasmPlugin as any,
    module: '@kubernetes-models/istio/extensions.istio.io/v1alpha1/WasmPlugin',
    supplement: (s) => {
      const spec = s.properties.spec;
      spec.properties.failStrategy = { type: 'string', enum: ['FAIL_CLOSE', 'FAIL_OPEN', 'FAIL_RELOAD'] };
      spec.properties.sha256 = { type: 'string', pattern: '(^$|^[a-f0-9]{64}$)' };
      spec.properties.pluginName = { type: 'string', minLength: 1, maxLength: 256 };
      // istio/api#2904 (Istio 1.20): PluginType; UNSPECIFIED means HTTP.
      spec.properties.type = { type: 'string', enum: ['UNSPECIFIED_PLUGIN_TYPE', 'HTTP', 'NETWORK'] };
      spec.required = ['url'];
    },
  },
  'networking.istio.io/v1beta1/VirtualService': {
    model: VirtualService as any,
    module: '@kubernetes-models/istio/networking.istio.io/v1beta1/VirtualService',
    supplement: (s) => {
      const route = s.properties.spec.properties.http.items.properties;
      route.mirrors = {
        type: 'array',
        items: {
          type: 'object',
          required: ['destination'],
          properties: {
            destination: structuredClone(route.mirror),
            percentage: { type: 'object', properties: { value: { type: 'number', minimum: 0, maximum: 100 } } },
          },
        },
      };
      route.mirrorPercentage.properties.value = { type: 'number', minimum: 0, maximum: 100 };
    },
  },
  'networking.istio.io/v1beta1/DestinationRule': {
    model: DestinationRule as any,
    module: '@kubernetes-models/istio/networking.istio.io/v1beta1/DestinationRule',
  },
  'networking.istio.io/v1beta1/Sidecar': {
    model: Sidecar as any,
    module: '@kubernetes-models/istio/networking.istio.io/v1beta1/Sidecar',
  },
  'networking.istio.io/v1beta1/Gateway': {
    model: Gateway as any,
    module: '@kubernetes-models/istio/networking.istio.io/v1beta1/Gateway',
  },
  'telemetry.istio.io/v1alpha1/Telemetry': {
    model: Telemetry as any,
    module: '@kubernetes-models/istio/telemetry.istio.io/v1alpha1/Telemetry',
  },
};

export const isIstioKind = (doc: any) => `${doc?.apiVersion}/${doc?.kind}` in KINDS;

const compiled = new Map<string, ValidateFunction>();
function strictValidator(key: string): ValidateFunction {
  let v = compiled.get(key);
  if (!v) {
    const kind = KINDS[key];
    v = strictModelValidator(kind.module, kind.supplement);
    compiled.set(key, v);
  }
  return v;
}

/** All schema errors of one Istio resource, as readable strings; [] when it is valid. */
export function istioSchemaErrors(doc: any): string[] {
  const key = `${doc?.apiVersion}/${doc?.kind}`;
  const kind = KINDS[key];
  if (!kind) return [`unsupported kind ${key}`];
  const errors: string[] = [];
  try {
    const { apiVersion: _a, kind: _k, ...data } = doc;
    new kind.model(data).validate();
  } catch (e) {
    errors.push(`model: ${(e as Error).message}`);
  }
  const strict = strictValidator(key);
  if (!strict(doc)) {
    for (const e of strict.errors ?? []) {
      const extra = e.keyword === 'additionalProperties' ? ` '${(e.params as any).additionalProperty}'` : '';
      errors.push(`strict: ${e.instancePath || '/'} ${e.message}${extra}`);
    }
  }
  return errors;
}
