// `npm run build:js` (tsc -p tsconfig.build.json + scripts/dist-assets.ts) makes a JavaScript tree
// whose bins run with plain node: the control plane starts, answers /healthz and /metrics, serves
// the dashboard, and the CLI talks to it. Built into a temporary directory, not the checkout's dist/.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';

let out: string;
let data: string;
beforeAll(() => {
  out = fs.mkdtempSync(path.join(os.tmpdir(), 'shadowguard-dist-'));
  data = fs.mkdtempSync(path.join(os.tmpdir(), 'shadowguard-dist-data-'));
  const tsc = spawnSync(
    process.execPath,
    ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.build.json', '--outDir', out],
    {
      encoding: 'utf8',
    },
  );
  expect(tsc.stdout + tsc.stderr).toBe('');
  const assets = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/dist-assets.ts', out], { encoding: 'utf8' });
  expect(assets.status, assets.stderr).toBe(0);
}, 120_000);
afterAll(() => {
  fs.rmSync(out, { recursive: true, force: true });
  fs.rmSync(data, { recursive: true, force: true });
});

it('the built tree imports no TypeScript and declares itself an ES module package', () => {
  const files = fs.readdirSync(out, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.js'));
  expect(files).toContain(path.join('control-plane', 'src', 'main.js'));
  expect(files).toContain(path.join('cli', 'main.js'));
  for (const f of files) expect(fs.readFileSync(path.join(out, f), 'utf8')).not.toMatch(/from '[^']+\.ts'|tsx\/esm/);
  expect(JSON.parse(fs.readFileSync(path.join(out, 'package.json'), 'utf8'))).toMatchObject({
    type: 'module',
    bin: { 'shadow-control-plane': 'bin/shadow-control-plane.js', shadowguard: 'bin/shadowguard.js' },
  });
});

it('the built control plane runs with plain node, and the built CLI reaches it', async () => {
  // Resolve node_modules from the checkout (the image installs them beside dist/ with npm ci --omit=dev).
  fs.symlinkSync(path.resolve('node_modules'), path.join(out, 'node_modules'), 'dir');
  const child = spawn(
    process.execPath,
    [path.join(out, 'bin/shadow-control-plane.js'), '--http-port', '0', '--grpc-port', '0', '--data-dir', data],
    {
      env: { PATH: process.env.PATH, SHADOWGUARD_EDITOR_TOKENS: 'editor-token-0123456789' },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  try {
    let log = '';
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no 'control plane ready' line: ${log}`)), 20_000);
      child.stdout.on('data', (d: Buffer) => {
        log += d;
        const m = /"api":"(http:\/\/[^"]+)\/api\/v1"/.exec(log);
        if (m) {
          clearTimeout(timer);
          resolve(m[1]);
        }
      });
    });
    const health = await fetch(`${url}/healthz`);
    expect(health.status).toBe(200);
    expect(((await health.json()) as { version: string }).version).toMatch(/^\d+\.\d+\.\d+/);
    expect((await fetch(`${url}/`)).headers.get('content-type')).toMatch(/text\/html/);
    const cli = spawnSync(process.execPath, [path.join(out, 'bin/shadowguard.js'), 'policy', 'list', '-o', 'json'], {
      encoding: 'utf8',
      env: { PATH: process.env.PATH, SHADOWGUARD_SERVER: url, SHADOWGUARD_TOKEN: 'editor-token-0123456789' },
    });
    expect(cli.status, cli.stderr).toBe(0);
    expect(JSON.parse(cli.stdout)).toEqual({ policies: [] });
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
  }
}, 60_000);
