import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig, type ControlPlaneConfig } from '../../../control-plane/src/config.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sg-config-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
const file = (name: string, text: string) => {
  const p = path.join(dir, name);
  fs.writeFileSync(p, text);
  return p;
};
const load = (argv: string[] = [], env: NodeJS.ProcessEnv = {}): ControlPlaneConfig => {
  const r = loadConfig(argv, env);
  if (r.help) throw new Error('unexpected help');
  return r.config;
};
const T1 = 'a-viewer-token-of-some-length';
const T2 = 'an-editor-token-of-some-length';

describe('control-plane configuration', () => {
  it('defaults to loopback 8080/18000, ./data, no auth', () => {
    expect(load()).toMatchObject({
      host: '127.0.0.1',
      httpPort: 8080,
      grpcPort: 18000,
      dataDir: './data',
      tokens: [],
      logLevel: 'info',
      pairing: { windowMs: 30000, maxPending: 100000, maxPendingBytes: 256 * 1024 * 1024 },
      webhook: { timeoutMs: 5000 },
    });
  });

  it('reads and checks the pending-bytes bound of pairing', () => {
    const f = file('bytes.yaml', 'pairing: { maxPendingBytes: 1048576 }\n');
    expect(load(['--config', f]).pairing).toEqual({ windowMs: 30000, maxPending: 100000, maxPendingBytes: 1048576 });
    expect(() => load(['--config', file('bytes0.yaml', 'pairing: { maxPendingBytes: 0 }\n')])).toThrow(
      /\/pairing\/maxPendingBytes must be >= 65536/,
    );
    expect(() => load(['--config', file('bytesx.yaml', 'pairing: { maxPendingBytes: "1G" }\n')])).toThrow(
      /\/pairing\/maxPendingBytes must be integer/,
    );
  });

  it('layers file < environment < command line', () => {
    const f = file(
      'c.yaml',
      `httpPort: 9000\ngrpcPort: 9001\ndataDir: /var/sg\npairing: { windowMs: 1000 }\ntokens:\n  viewer: ["${T1}"]\n  editor: [{ name: alice, token: "${T2}" }]\n`,
    );
    const c = load(['--config', f, '--grpc-port', '7001'], {
      SHADOWGUARD_HTTP_PORT: '7000',
      SHADOWGUARD_GRPC_PORT: '6001',
    });
    expect(c).toMatchObject({
      httpPort: 7000,
      grpcPort: 7001,
      dataDir: '/var/sg',
      pairing: { windowMs: 1000, maxPending: 100000, maxPendingBytes: 256 * 1024 * 1024 },
    });
    expect(c.tokens).toEqual([
      { name: 'viewer-1', token: T1, role: 'viewer' },
      { name: 'alice', token: T2, role: 'editor' },
    ]);
  });

  it('reads JSON config files and tokens from the environment', () => {
    const f = file('c.json', JSON.stringify({ host: '0.0.0.0', streamToken: 'stream-token-0123456789' }));
    const c = load([], { SHADOWGUARD_CONFIG: f, SHADOWGUARD_EDITOR_TOKENS: `${T2}, ${T1}` });
    expect(c.host).toBe('0.0.0.0');
    expect(c.streamToken).toBe('stream-token-0123456789');
    expect(c.tokens.map((t) => t.role)).toEqual(['editor', 'editor']);
  });

  it('refuses to run the API without tokens on a non-loopback address', () => {
    expect(() => load(['--host', '0.0.0.0'])).toThrow(/no API tokens are configured.*0\.0\.0\.0/);
    expect(load(['--host', '::1']).host).toBe('::1');
  });

  it('names the source and the field of a bad value', () => {
    expect(() => load(['--http-port', 'eighty'])).toThrow(
      "--http-port must be an integer from 0 to 65535, got 'eighty'",
    );
    expect(() => load([], { SHADOWGUARD_GRPC_PORT: '70000' })).toThrow(/SHADOWGUARD_GRPC_PORT must be an integer/);
    expect(() => load(['--config', file('bad.yaml', 'httpPort: "x"\n')])).toThrow(
      /bad\.yaml: \/httpPort must be integer/,
    );
    expect(() => load(['--config', file('extra.yaml', 'tokns: {}\n')])).toThrow(
      /extra\.yaml: \/ must NOT have additional properties 'tokns'/,
    );
    expect(() => load(['--config', file('short.yaml', 'tokens: { editor: ["short"] }\n')])).toThrow(
      /\/tokens\/editor\/0/,
    );
    expect(() => load(['--config', file('broken.yaml', 'a: [\n')])).toThrow(/not valid YAML\/JSON/);
    expect(() => load(['--config', path.join(dir, 'missing.yaml')])).toThrow(/cannot read config file/);
    expect(() => load(['--port', '1'])).toThrow(/Unknown option '--port'/);
    expect(() => load(['--log-level', 'loud'])).toThrow(/log level must be one of/);
    expect(() => load([], { SHADOWGUARD_EDITOR_TOKENS: `${T1},${T1}` })).toThrow(/listed twice/);
  });

  it('answers --help with the usage text', () => {
    const r = loadConfig(['--help'], {});
    expect(r.help && r.usage).toMatch(/--http-port/);
  });
});
