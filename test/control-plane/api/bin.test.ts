import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';

const BIN = fileURLToPath(new URL('../../../bin/shadow-control-plane.js', import.meta.url));
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

function run(args: string[], env: NodeJS.ProcessEnv = {}) {
  const child = spawn(process.execPath, [BIN, ...args], {
    env: { PATH: process.env.PATH, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => {
    out += d;
  });
  child.stderr.on('data', (d: Buffer) => {
    err += d;
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, exited, out: () => out, err: () => err };
}

describe('bin/shadow-control-plane.js', () => {
  it('starts, answers /healthz, and exits 0 promptly on SIGTERM after saving its state', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sg-bin-'));
    dirs.push(dataDir);
    const p = run(['--http-port', '0', '--grpc-port', '0', '--data-dir', dataDir]);
    const until = Date.now() + 20_000;
    let ready: { api: string } | undefined;
    while (!ready && Date.now() < until) {
      const line = p
        .out()
        .split('\n')
        .find((l) => l.includes('"control plane ready"'));
      if (line) ready = JSON.parse(line) as { api: string };
      else await new Promise((r) => setTimeout(r, 50));
    }
    expect(ready, p.err()).toBeDefined();
    const base = ready!.api.replace(/\/api\/v1$/, '');
    expect((await fetch(`${base}/healthz`)).status).toBe(200);

    const t0 = Date.now();
    p.child.kill('SIGTERM');
    expect(await p.exited).toBe(0);
    expect(Date.now() - t0).toBeLessThan(3000);
    expect(p.out()).toContain('control plane stopped');
    // The periodic save is every 10 s: rows here were written by the shutdown path.
    const db = new Database(path.join(dataDir, 'shadowguard.db'), { readonly: true });
    const keys = (db.prepare('SELECT key FROM report_state ORDER BY key').all() as Array<{ key: string }>).map(
      (r) => r.key,
    );
    db.close();
    // report state is saved per policy (store/report-state.ts): the index, then one key per policy
    expect(keys).toEqual(['blast-radius', 'report-book:index', 'runs']);
  });

  it('exits 2 with a one-line reason on bad configuration', async () => {
    const p = run(['--grpc-port', 'none']);
    expect(await p.exited).toBe(2);
    expect(p.err()).toBe("shadow-control-plane: --grpc-port must be an integer from 0 to 65535, got 'none'\n");
  });
});
