// envoy/istio/telemetry.yaml and shadow-limits.yaml: the shadow dimension reads the marker the filter
// really sets (header and filter-state names taken from filter/tagging.ts), the access-log format uses
// only Envoy command operators, and the shadow workloads are bounded: every container and sidecar
// limited, a PriorityClass below live, and a connection pool of their own that selects them and only them.
import fs from 'node:fs';
import YAML from 'yaml';
import { describe, expect, it } from 'vitest';
import { k8sErrors, hasModel } from './k8s-models.js';

const tagging = fs.readFileSync('filter/tagging.ts', 'utf8');
const constant = (name: string) => new RegExp(`export const ${name} = "([^"]+)"`).exec(tagging)![1];
const load = (f: string) => YAML.parseAllDocuments(fs.readFileSync(`envoy/istio/${f}`, 'utf8')).map((d) => d.toJS());
const telemetry = load('telemetry.yaml');
const limits = load('shadow-limits.yaml');

describe('telemetry.yaml', () => {
  const tel = telemetry.find((d) => d.kind === 'Telemetry');
  const op = telemetry.find((d) => d.kind === 'IstioOperator');

  it('adds a two-valued shadow label to every standard metric from the x-shadow marker', () => {
    const o = tel.spec.metrics[0].overrides[0];
    expect(o.match).toEqual({ metric: 'ALL_METRICS', mode: 'CLIENT_AND_SERVER' });
    const expr: string = o.tagOverrides.shadow.value;
    expect(expr).toBe(`has(request.headers['${constant('H_SHADOW')}']) ? 'true' : 'false'`);
    expect(tel.metadata.namespace).toBe('istio-system'); // mesh-wide
  });

  it('logs the filter state the filter sets (wasm.<key>) and the header, with Envoy operators only', () => {
    const provider = op.spec.meshConfig.extensionProviders[0];
    expect(tel.spec.accessLogging[0].providers).toEqual([{ name: provider.name }]);
    const labels: Record<string, string> = provider.envoyFileAccessLog.logFormat.labels;
    expect(labels.shadow).toBe(`%FILTER_STATE(wasm.${constant('FILTER_STATE_KEY')}:PLAIN)%`);
    expect(labels.shadow_header).toBe(`%REQ(${constant('H_SHADOW').toUpperCase()})%`);
    const known = [
      'START_TIME',
      'REQ',
      'RESPONSE_CODE',
      'RESPONSE_FLAGS',
      'DURATION',
      'UPSTREAM_CLUSTER',
      'FILTER_STATE',
    ];
    for (const v of Object.values(labels)) {
      const m = /^%([A-Z_]+)(\(.*\))?%$/.exec(v);
      expect(m, v).not.toBeNull();
      expect(known).toContain(m![1]);
    }
  });
});

describe('shadow-limits.yaml', () => {
  const deployments = limits.filter((d) => d.kind === 'Deployment');

  it('validates against kubernetes-models', () => {
    expect(limits.filter(hasModel).flatMap(k8sErrors)).toEqual([]);
  });

  it('bounds every shadow container and sidecar, and schedules shadows below live', () => {
    expect(deployments.map((d) => d.metadata.name)).toEqual(['shop-v2', 'shop-v1-secondary']);
    for (const d of deployments) {
      const pod = d.spec.template;
      for (const c of pod.spec.containers) {
        expect(c.resources.limits, `${d.metadata.name}/${c.name}`).toMatchObject({
          cpu: expect.any(String),
          memory: expect.any(String),
        });
      }
      expect(pod.metadata.annotations).toMatchObject({
        'sidecar.istio.io/proxyCPULimit': expect.any(String),
        'sidecar.istio.io/proxyMemoryLimit': expect.any(String),
      });
      const pc = limits.find((x) => x.kind === 'PriorityClass' && x.metadata.name === pod.spec.priorityClassName);
      expect(pc.value).toBeLessThan(0);
    }
  });

  it("gives shadows their own connection pool: the DestinationRule selects the shadow pods and not live's", () => {
    const dr = limits.find((d) => d.kind === 'DestinationRule');
    const sel: Record<string, string> = dr.spec.workloadSelector.matchLabels;
    const selects = (labels: Record<string, string>) => Object.entries(sel).every(([k, v]) => labels[k] === v);
    for (const d of deployments) expect(selects(d.spec.template.metadata.labels)).toBe(true);
    expect(selects({ app: 'shop', version: 'v1' })).toBe(false); // live v1's labels (traffic.yaml subset v1)
    expect(dr.spec.trafficPolicy.connectionPool.tcp.maxConnections).toBeGreaterThan(0);
    expect(dr.spec.trafficPolicy.connectionPool.http.http1MaxPendingRequests).toBeGreaterThan(0);
  });
});
