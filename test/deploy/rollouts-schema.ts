// Validates the rollout-controller examples in deploy/rollouts/:
// - Argo Rollouts kinds with the @kubernetes-models/argo-rollouts model (.validate()), then strictly:
//   the model's own schema with unknown fields rejected (the models' schemas allow them; the CRDs
//   prune them, so a typo would be silently ignored by the cluster);
// - Flagger's Canary against the fields Flagger documents for spec, analysis and webhooks (written
//   from docs.flagger.app "Canary analysis" and "Webhooks", not copied from its CRD), unknown fields
//   rejected.
import type { ValidateFunction } from 'ajv';
import { AnalysisTemplate } from '@kubernetes-models/argo-rollouts/argoproj.io/v1alpha1/AnalysisTemplate';
import { Rollout } from '@kubernetes-models/argo-rollouts/argoproj.io/v1alpha1/Rollout';
import { ajv, type Schema, strictModelValidator } from './strict-schema.js';

const ARGO: Record<string, { model: new (data: any) => { validate(): void }; module: string }> = {
  'argoproj.io/v1alpha1/AnalysisTemplate': {
    model: AnalysisTemplate as any,
    module: '@kubernetes-models/argo-rollouts/argoproj.io/v1alpha1/AnalysisTemplate',
  },
  'argoproj.io/v1alpha1/Rollout': {
    model: Rollout as any,
    module: '@kubernetes-models/argo-rollouts/argoproj.io/v1alpha1/Rollout',
  },
};

const duration = { type: 'string', pattern: '^([0-9]+(\\.[0-9]+)?(ms|s|m|h))+$' } as const;
const closed = (properties: Record<string, unknown>, required: string[] = []) => ({
  type: 'object',
  additionalProperties: false,
  required,
  properties,
});

/** Flagger's Canary (flagger.app/v1beta1) as its documentation describes the fields we use and their neighbours. */
const FLAGGER_CANARY: Schema = closed(
  {
    apiVersion: { const: 'flagger.app/v1beta1' },
    kind: { const: 'Canary' },
    metadata: { type: 'object', required: ['name'] },
    spec: closed(
      {
        provider: { type: 'string' },
        targetRef: closed({ apiVersion: { type: 'string' }, kind: { type: 'string' }, name: { type: 'string' } }, [
          'apiVersion',
          'kind',
          'name',
        ]),
        autoscalerRef: { type: 'object' },
        ingressRef: { type: 'object' },
        progressDeadlineSeconds: { type: 'integer', minimum: 0 },
        skipAnalysis: { type: 'boolean' },
        revertOnDeletion: { type: 'boolean' },
        service: {
          type: 'object',
          required: ['port'],
          properties: {
            port: { type: 'integer' },
            targetPort: {},
            portName: { type: 'string' },
            name: { type: 'string' },
          },
        },
        analysis: closed({
          interval: duration,
          threshold: { type: 'integer', minimum: 0 },
          maxWeight: { type: 'number', minimum: 0, maximum: 100 },
          stepWeight: { type: 'number', minimum: 0, maximum: 100 },
          stepWeights: { type: 'array', items: { type: 'number' } },
          stepWeightPromotion: { type: 'number' },
          iterations: { type: 'integer', minimum: 0 },
          mirror: { type: 'boolean' },
          mirrorWeight: { type: 'number' },
          primaryReadyThreshold: { type: 'integer' },
          canaryReadyThreshold: { type: 'integer' },
          match: { type: 'array' },
          metrics: { type: 'array' },
          alerts: { type: 'array' },
          sessionAffinity: { type: 'object' },
          webhooks: {
            type: 'array',
            items: closed(
              {
                name: { type: 'string', minLength: 1 },
                type: {
                  enum: [
                    'confirm-rollout',
                    'pre-rollout',
                    'rollout',
                    'confirm-traffic-increase',
                    'confirm-promotion',
                    'post-rollout',
                    'rollback',
                    'event',
                  ],
                },
                url: { type: 'string', pattern: '^https?://' },
                timeout: duration,
                muteAlert: { type: 'boolean' },
                retries: { type: 'integer', minimum: 0 },
                metadata: { type: 'object', additionalProperties: { type: 'string' } },
              },
              ['name', 'url'],
            ),
          },
        }),
      },
      ['targetRef', 'service', 'analysis'],
    ),
  },
  ['apiVersion', 'kind', 'metadata', 'spec'],
);

const compiled = new Map<string, ValidateFunction>();
function validator(key: string): ValidateFunction | undefined {
  let v = compiled.get(key);
  if (v) return v;
  if (key === 'flagger.app/v1beta1/Canary') v = ajv.compile(FLAGGER_CANARY);
  else if (ARGO[key]) v = strictModelValidator(ARGO[key].module);
  if (v) compiled.set(key, v);
  return v;
}

/** All schema errors of one resource, readable; [] when it is valid. */
export function rolloutSchemaErrors(doc: any): string[] {
  const key = `${doc?.apiVersion}/${doc?.kind}`;
  const strict = validator(key);
  if (!strict) return [`unsupported kind ${key}`];
  const errors: string[] = [];
  if (ARGO[key]) {
    try {
      const { apiVersion: _a, kind: _k, ...data } = doc;
      new ARGO[key].model(data).validate();
    } catch (e) {
      errors.push(`model: ${(e as Error).message}`);
    }
  }
  if (!strict(doc)) {
    for (const e of strict.errors ?? []) {
      const extra = e.keyword === 'additionalProperties' ? ` '${(e.params as any).additionalProperty}'` : '';
      errors.push(`strict: ${e.instancePath || '/'} ${e.message}${extra}`);
    }
  }
  return errors;
}
