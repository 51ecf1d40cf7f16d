// The shadowguard CLI against a real control plane (start() on loopback, real HTTP): apply with a
// diff, --dry-run and If-Match, get/list/history/rollback, ramp control, alerts and nodes, output
// formats and exit codes; the bin itself for --help.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import YAML from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run } from '../../cli/main.js';
import { EDITOR, startControlPlane, VIEWER, type TestControlPlane } from '../security/support.js';

let t: TestControlPlane;
let dir: string;
beforeAll(async () => {
  t = await startControlPlane();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'shadowguard-cli-'));
});
afterAll(async () => {
  await t?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

async function cli(args: string[], token: string | null = EDITOR) {
  const out: string[] = [];
  const err: string[] = [];
  const env: NodeJS.ProcessEnv = { SHADOWGUARD_SERVER: t.url, ...(token ? { SHADOWGUARD_TOKEN: token } : {}) };
  const code = await run(args, { out: (s) => out.push(s), err: (s) => err.push(s), env });
  return { code, out: out.join('\n'), err: err.join('\n') };
}
const write = (name: string, doc: unknown) => {
  const f = path.join(dir, name);
  fs.writeFileSync(f, typeof doc === 'string' ? doc : YAML.stringify(doc));
  return f;
};
const checkout = {
  services: ['checkout'],
  sampling: { defaultPercent: 5 },
  egress: {
    defaultAction: 'deny',
    rules: [{ name: 'pay', host: 'pay.example', action: 'mock', mock: { status: 200 } }],
  },
};

describe('policy apply', () => {
  it('--dry-run shows the diff and writes nothing; apply creates, then updates with a diff, then is unchanged', async () => {
    const f = write('checkout.yaml', checkout);
    const dry = await cli(['policy', 'apply', '-f', f, '--dry-run']);
    expect(dry.code).toBe(0);
    expect(dry.out).toContain('--- checkout (absent)');
    expect(dry.out).toContain('+services:');
    expect(dry.out).toContain('policy/checkout created (dry run)');
    expect((await t.api('GET', '/api/v1/policies/checkout')).status).toBe(404);

    const created = await cli(['policy', 'apply', '-f', f]);
    expect(created.code).toBe(0);
    expect(created.out).toContain('policy/checkout created (version 1)');

    write('checkout.yaml', { ...checkout, sampling: { defaultPercent: 25 } });
    const changed = await cli(['policy', 'apply', '-f', f]);
    expect(changed.out).toContain('--- checkout (server, version 1)');
    expect(changed.out).toMatch(/^-\s+defaultPercent: 5$/m);
    expect(changed.out).toMatch(/^\+\s+defaultPercent: 25$/m);
    expect(changed.out).toContain('policy/checkout configured (version 2)');
    expect((await t.api('GET', '/api/v1/policies/checkout')).body.spec.sampling).toEqual({ defaultPercent: 25 });

    const again = await cli(['policy', 'apply', '-f', f]);
    expect(again.out).toBe('policy/checkout unchanged');
  });

  it('applies a directory of {name, spec} and Kubernetes-style documents, and warns when a section is dropped', async () => {
    const sub = fs.mkdtempSync(path.join(dir, 'dir-'));
    fs.writeFileSync(
      path.join(sub, 'all.yaml'),
      `${YAML.stringify({ name: 'orders', spec: { services: ['orders'] } })}---\n${YAML.stringify({
        kind: 'ShadowguardPolicy',
        metadata: { name: 'users' },
        spec: { services: ['users'], egress: { defaultAction: 'deny' } },
      })}`,
    );
    fs.writeFileSync(path.join(sub, 'notes.txt'), 'not a policy');
    const r = await cli(['policy', 'apply', '-f', sub, '-o', 'json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out).results.map((x: { name: string; result: string }) => [x.name, x.result])).toEqual([
      ['orders', 'created'],
      ['users', 'created'],
    ]);
    fs.writeFileSync(path.join(sub, 'all.yaml'), YAML.stringify({ name: 'users', spec: { services: ['users'] } }));
    const dropped = await cli(['policy', 'apply', '-f', sub]);
    expect(dropped.err).toMatch(/Warning: policy\/users: .*drops the whole 'egress' section/);
  });

  it('a bad file is exit 1 naming the file; a viewer token cannot write', async () => {
    const bad = write('bad.yaml', 'services: [unclosed');
    const r = await cli(['policy', 'apply', '-f', bad]);
    expect(r.code).toBe(1);
    expect(r.err).toContain('bad.yaml');
    const f = write('viewer.yaml', { name: 'v', spec: { services: ['v'] } });
    const v = await cli(['policy', 'apply', '-f', f], VIEWER);
    expect(v.code).toBe(1);
    expect(v.err).toMatch(/403 .*editor token/);
  });
});

describe('policy get/list/history/rollback', () => {
  it('get -o yaml is a document apply takes back unchanged; list, history and rollback', async () => {
    const got = await cli(['policy', 'get', 'checkout', '-o', 'yaml']);
    expect(got.code).toBe(0);
    const f = write('roundtrip.yaml', got.out);
    expect((await cli(['policy', 'apply', '-f', f])).out).toBe('policy/checkout unchanged');

    const list = await cli(['policy', 'list']);
    expect(list.out.split('\n')[0]).toMatch(/^NAME\s+VERSION\s+SERVICES\s+UPDATED BY\s+AGE$/);
    expect(list.out).toMatch(/^checkout\s+2\s+checkout\s+eddie/m);

    const rb = await cli(['policy', 'rollback', 'checkout', '--to-version', '1']);
    expect(rb.out).toBe('policy/checkout rolled back to version 1 (now version 3)');
    const hist = await cli(['policy', 'history', 'checkout', '-o', 'json']);
    expect(JSON.parse(hist.out).audit.map((a: { action: string }) => a.action)).toContain('rollback');
    expect((await cli(['policy', 'rollback', 'checkout', '--to-version', 'x'])).code).toBe(2);
  });
});

describe('ramp', () => {
  it('start, pause, resume, abort and status drive the real ramp controller', async () => {
    const f = write('ramped.yaml', { name: 'ramped', spec: { services: ['ramped'], ramp: { stages: [1, 10, 50] } } });
    expect((await cli(['policy', 'apply', '-f', f])).code).toBe(0);
    const idle = await cli(['ramp', 'status', 'ramped', '-o', 'json']);
    expect(JSON.parse(idle.out)).toMatchObject({ status: 'idle', percent: 0 });
    expect((await cli(['ramp', 'start', 'ramped'])).out).toBe('ramp/ramped running at 1 %');
    expect((await cli(['ramp', 'pause', 'ramped'])).out).toBe('ramp/ramped paused at 1 %');
    const again = await cli(['ramp', 'pause', 'ramped']);
    expect(again.code).toBe(1); // 409: already paused
    expect((await cli(['ramp', 'resume', 'ramped'])).out).toBe('ramp/ramped running at 1 %');
    const status = await cli(['ramp', 'status', 'ramped']);
    expect(status.out).toMatch(/^POLICY\s+STATE\s+PERCENT\s+STAGE/m);
    expect(status.out).toMatch(/^ramped\s+running\s+1\s+1\/3\s+1,10,50/m);
    expect((await cli(['ramp', 'abort', 'ramped'])).out).toBe('ramp/ramped aborted at 0 %');
    expect(JSON.parse((await cli(['ramp', 'status', 'ramped', '-o', 'json'])).out).status).toBe('aborted');
    const audit = (await t.api('GET', '/api/v1/policies/ramped/history')).body.audit;
    expect(audit.map((a: { action: string; who: string }) => `${a.action}:${a.who}`)).toContain('ramp-start:eddie');
  });
});

describe('alerts, nodes, report, exit codes', () => {
  it('tables with kubectl-style headers, json and yaml', async () => {
    expect((await cli(['alerts'])).out).toBe('No resources found.');
    expect(JSON.parse((await cli(['nodes', '-o', 'json'])).out)).toEqual({ nodes: [] });
    expect(YAML.parse((await cli(['report', '-p', 'checkout', '-o', 'yaml'])).out)).toEqual({
      policy: 'checkout',
      endpoints: [],
    });
  });

  it('an unreachable server is exit 1 with the address; no token is exit 1 with a hint; usage is exit 2', async () => {
    const out: string[] = [];
    const code = await run(['policy', 'list'], {
      out: (s) => out.push(s),
      err: (s) => out.push(s),
      env: { SHADOWGUARD_SERVER: 'http://127.0.0.1:9' },
    });
    expect(code).toBe(1);
    expect(out.join('\n')).toMatch(/cannot reach the control plane at http:\/\/127\.0\.0\.1:9/);
    const anon = await cli(['policy', 'list'], null);
    expect(anon.code).toBe(1);
    expect(anon.err).toMatch(/401 .*SHADOWGUARD_TOKEN/);
    expect((await cli(['policy', 'apply'])).code).toBe(2); // -f is required
    expect((await cli(['nodes', '-o', 'xml'])).code).toBe(2);
  });

  it('the bin prints kubectl-like help and exits 0', () => {
    const r = spawnSync(process.execPath, ['bin/shadowguard.js', '--help'], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(r.stdout.split('\n')[0]).toBe(
      'shadowguard controls Shadowguard, safe shadow deployments for Envoy and Istio.',
    );
    for (const group of ['Policy Commands (GitOps):', 'Observe Commands:', 'Deploy Commands:'])
      expect(r.stdout).toContain(group);
    expect(r.stdout).toContain('Use "shadowguard <command> --help" for more information about a given command.');
  });
});

describe('verdict against the real verdict API (issue 10)', () => {
  it('a policy without evidence is inconclusive: exit 4 with --exit-code, never a pass', async () => {
    const r = await cli(['verdict', 'checkout', '--exit-code']);
    expect(r.out).toMatch(/^checkout: INCONCLUSIVE/);
    expect(r.code).toBe(4);
    const json = JSON.parse((await cli(['verdict', 'checkout', '-o', 'json'])).out);
    expect(json.verdict).toBe('inconclusive');
    expect((await cli(['verdict', 'no-such-policy', '--exit-code'])).code).toBe(1);
  });
});
