// deploy/monitoring/: the PrometheusRule and ServiceMonitor validate against the Prometheus Operator's
// models; every PromQL expression (alert rules and Grafana panels) passes the real promtool; the alerts
// fire as prometheus-rule.test.yaml says on series shaped like ours; and every metric the rules and the
// dashboard read is one a real control plane exposes.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import YAML from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startControlPlane, type TestControlPlane } from '../security/support.js';
import { k8sErrors } from './k8s-models.js';

const DIR = 'deploy/monitoring';
const rule = YAML.parse(fs.readFileSync(`${DIR}/prometheus-rule.yaml`, 'utf8'));
const monitor = YAML.parse(fs.readFileSync(`${DIR}/service-monitor.yaml`, 'utf8'));
const dashboard = JSON.parse(fs.readFileSync(`${DIR}/grafana-dashboard.json`, 'utf8'));
const panelExprs: string[] = dashboard.panels.flatMap((p: any) => (p.targets ?? []).map((t: any) => t.expr));
const ruleExprs: string[] = rule.spec.groups.flatMap((g: any) => g.rules.map((r: any) => r.expr));

let tmp: string;
beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'shadowguard-prom-'));
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const promtool = (...args: string[]) => spawnSync('promtool', args, { encoding: 'utf8' });

describe('Kubernetes objects', () => {
  it('PrometheusRule and ServiceMonitor validate against @kubernetes-models/prometheus-operator', () => {
    expect(k8sErrors(rule)).toEqual([]);
    expect(k8sErrors(monitor)).toEqual([]);
  });
  it('the validation bites: a rule without expr and a monitor endpoint with a bad scheme are refused', () => {
    const broken = structuredClone(rule);
    delete broken.spec.groups[0].rules[0].expr;
    expect(k8sErrors(broken)).not.toEqual([]);
    const badMonitor = structuredClone(monitor);
    badMonitor.spec.endpoints[0].scheme = 'gopher';
    expect(k8sErrors(badMonitor)).not.toEqual([]);
  });
});

describe('PromQL', () => {
  it('promtool check rules accepts the alert rules', () => {
    fs.writeFileSync(path.join(tmp, 'shadowguard-rules.yaml'), YAML.stringify({ groups: rule.spec.groups }));
    const r = promtool('check', 'rules', path.join(tmp, 'shadowguard-rules.yaml'));
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(`SUCCESS: ${ruleExprs.length} rules found`);
  });

  it('promtool test rules: each alert fires (and stays quiet) as the unit tests expect', () => {
    fs.writeFileSync(path.join(tmp, 'shadowguard-rules.yaml'), YAML.stringify({ groups: rule.spec.groups }));
    fs.copyFileSync(`${DIR}/prometheus-rule.test.yaml`, path.join(tmp, 'prometheus-rule.test.yaml'));
    const r = promtool('test', 'rules', path.join(tmp, 'prometheus-rule.test.yaml'));
    expect(r.stdout + r.stderr).toMatch(/SUCCESS/);
    expect(r.status).toBe(0);
    const tested = new Set(
      YAML.parse(fs.readFileSync(`${DIR}/prometheus-rule.test.yaml`, 'utf8')).tests.flatMap((t: any) =>
        t.alert_rule_test.map((a: any) => a.alertname),
      ),
    );
    for (const g of rule.spec.groups) for (const r2 of g.rules as any[]) expect(tested).toContain(r2.alert);
  });

  it('every Grafana panel expression parses (as a recording rule, with the variables substituted)', () => {
    expect(panelExprs.length).toBeGreaterThan(10);
    const groups = [
      {
        name: 'dashboard',
        rules: panelExprs.map((expr, i) => ({
          record: `dashboard:panel_${i}`,
          expr: expr.replaceAll('$__rate_interval', '5m').replaceAll('$policy', '.*').replaceAll('$endpoint', '.*'),
        })),
      },
    ];
    const f = path.join(tmp, 'dashboard-rules.yaml');
    fs.writeFileSync(f, YAML.stringify({ groups }));
    const r = promtool('check', 'rules', f);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    // The check bites: a broken expression is refused.
    fs.writeFileSync(f, YAML.stringify({ groups: [{ name: 'x', rules: [{ record: 'x:y', expr: 'sum by (a (b)' }] }] }));
    expect(promtool('check', 'rules', f).status).not.toBe(0);
  });

  it('dashboard panels have unique ids and a datasource variable', () => {
    const ids = dashboard.panels.map((p: any) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(dashboard.templating.list.map((v: any) => v.name)).toEqual(['datasource', 'policy', 'endpoint']);
  });
});

describe('metric names', () => {
  let t: TestControlPlane;
  beforeAll(async () => {
    t = await startControlPlane();
  });
  afterAll(() => t?.close());

  it('every metric the rules and the dashboard read is exposed by a real control plane', async () => {
    const text = await (
      await fetch(`${t.url}/metrics`, { headers: { authorization: 'Bearer viewer-token-0123456789' } })
    ).text();
    const exposed = new Set<string>();
    for (const m of text.matchAll(/^# TYPE (\S+) (\w+)$/gm)) {
      exposed.add(m[1]);
      if (m[2] === 'histogram') for (const s of ['_bucket', '_count', '_sum']) exposed.add(m[1] + s);
    }
    const used = new Set(
      [...ruleExprs, ...panelExprs].flatMap((e) => [...e.matchAll(/\b(shadowguard_\w+)/g)].map((m) => m[1])),
    );
    expect(used.size).toBeGreaterThan(15);
    expect([...used].filter((n) => !exposed.has(n))).toEqual([]);
  });
});
