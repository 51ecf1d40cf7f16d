// deploy/kubernetes/: the kustomize base and the example overlay render with the real `kubectl
// kustomize` (offline), every rendered object validates against kubernetes-models (core kinds and the
// Prometheus Operator's), and the objects agree with each other and with the control plane: probes on
// /healthz and /readyz (answered by a real control plane below), a non-root read-only container, the
// SQLite directory on a PersistentVolumeClaim, selectors that select, the Service the filters stream to.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import YAML from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startControlPlane, type TestControlPlane } from '../security/support.js';
import { k8sErrors } from './k8s-models.js';

type Obj = any;
function render(dir: string): Obj[] {
  const r = spawnSync('kubectl', ['kustomize', dir], { encoding: 'utf8' });
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  return YAML.parseAllDocuments(r.stdout).map((d) => d.toJS());
}
const one = (objs: Obj[], kind: string): Obj => {
  const found = objs.filter((o) => o.kind === kind);
  expect(found, kind).toHaveLength(1);
  return found[0];
};
const matches = (selector: Record<string, string>, labels: Record<string, string>) =>
  Object.entries(selector).every(([k, v]) => labels?.[k] === v);

describe.each(['deploy/kubernetes/base', 'deploy/kubernetes/overlays/example'])('%s', (dir) => {
  const objs = render(dir);

  it('every object validates against its kubernetes-models schema, in the shadowguard namespace', () => {
    expect(objs.flatMap(k8sErrors)).toEqual([]);
    for (const o of objs.filter((x) => x.kind !== 'Namespace'))
      expect(o.metadata.namespace, o.kind).toBe('shadowguard');
  });

  it('a StatefulSet with a PVC, probes on /healthz and /readyz, and a locked-down container', () => {
    const sts = one(objs, 'StatefulSet');
    const pod = sts.spec.template.spec;
    const c = pod.containers[0];
    expect(sts.spec.replicas).toBe(1);
    expect(c.livenessProbe.httpGet).toEqual({ path: '/healthz', port: 'http' });
    expect(c.readinessProbe.httpGet).toEqual({ path: '/readyz', port: 'http' });
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 65532 });
    expect(c.securityContext).toMatchObject({
      readOnlyRootFilesystem: true,
      allowPrivilegeEscalation: false,
      capabilities: { drop: ['ALL'] },
    });
    expect(c.resources.requests).toHaveProperty('memory');
    expect(c.resources.limits).toHaveProperty('memory');
    const claim = sts.spec.volumeClaimTemplates[0];
    const cm = objs.find((o) => o.kind === 'ConfigMap' && o.metadata.name === 'shadowguard-control-plane').data;
    expect(c.volumeMounts).toContainEqual({ name: claim.metadata.name, mountPath: cm.SHADOWGUARD_DATA_DIR });
    expect(c.image).toMatch(/shadowguard\/control-plane:0\.1\.0$/);
    expect(c.envFrom).toContainEqual({ secretRef: { name: 'shadowguard-tokens' } });
  });

  it('Service, PodDisruptionBudget and ServiceMonitor select the pods and ports that exist', () => {
    const sts = one(objs, 'StatefulSet');
    const podLabels = sts.spec.template.metadata.labels;
    const svc = objs.find((o) => o.kind === 'Service');
    expect(matches(svc.spec.selector, podLabels)).toBe(true);
    const containerPorts = sts.spec.template.spec.containers[0].ports.map((p: Obj) => p.name);
    for (const p of svc.spec.ports) expect(containerPorts).toContain(p.targetPort);
    expect(svc.spec.ports.find((p: Obj) => p.name === 'grpc')).toMatchObject({ port: 18000, appProtocol: 'grpc' });
    expect(matches(one(objs, 'PodDisruptionBudget').spec.selector.matchLabels, podLabels)).toBe(true);
    const sm = one(objs, 'ServiceMonitor');
    expect(matches(sm.spec.selector.matchLabels, svc.metadata.labels)).toBe(true);
    expect(svc.spec.ports.map((p: Obj) => p.name)).toContain(sm.spec.endpoints[0].port);
  });
});

it('the base ServiceMonitor is the one in deploy/monitoring', () => {
  const a = YAML.parse(fs.readFileSync('deploy/kubernetes/base/servicemonitor.yaml', 'utf8'));
  const b = YAML.parse(fs.readFileSync('deploy/monitoring/service-monitor.yaml', 'utf8'));
  expect(a).toEqual(b);
});

it('the overlay changes what it says: image, storage, memory, log level; and carries the alert rules and dashboard', () => {
  const objs = render('deploy/kubernetes/overlays/example');
  const sts = one(objs, 'StatefulSet');
  expect(sts.spec.template.spec.containers[0].image).toBe('registry.example.com/shadowguard/control-plane:0.1.0');
  expect(sts.spec.volumeClaimTemplates[0].spec.resources.requests.storage).toBe('20Gi');
  expect(sts.spec.template.spec.containers[0].resources.limits.memory).toBe('2Gi');
  expect(
    objs.find((o) => o.metadata.name === 'shadowguard-control-plane' && o.kind === 'ConfigMap').data
      .SHADOWGUARD_LOG_LEVEL,
  ).toBe('warn');
  expect(one(objs, 'PrometheusRule').spec.groups.length).toBeGreaterThan(0);
  const dash = objs.find((o) => o.metadata.name === 'shadowguard-grafana-dashboard');
  expect(dash.metadata.labels.grafana_dashboard).toBe('1');
  expect(JSON.parse(dash.data['grafana-dashboard.json']).uid).toBe('shadowguard');
});

describe('the probes answer on a real control plane', () => {
  let t: TestControlPlane;
  beforeAll(async () => {
    t = await startControlPlane();
  });
  afterAll(() => t?.close());
  it('/healthz and /readyz are 200 without a token; (readiness also needs the gRPC server: deps.ready)', async () => {
    expect((await fetch(`${t.url}/healthz`)).status).toBe(200);
    const ready = await fetch(`${t.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ready' });
  });
});

it('/readyz is 503 while the gRPC server does not accept filters (the pod leaves the Service)', async () => {
  const { testApp } = await import('../control-plane/api/helpers.js');
  let grpc = false;
  const t = await testApp({ ready: () => ({ grpc }) });
  expect((await t.app.inject({ url: '/readyz' })).statusCode).toBe(503);
  expect((await t.app.inject({ url: '/healthz' })).statusCode).toBe(200); // alive all the same
  grpc = true;
  expect((await t.app.inject({ url: '/readyz' })).statusCode).toBe(200);
  await t.app.close();
});
