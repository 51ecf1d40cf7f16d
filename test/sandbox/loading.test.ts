// Loading a module as Envoy does: ABI detection, exact import signatures, allocator and start rules,
// the WASI functions Envoy provides, and the real Shadowguard filter.
import { existsSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { Host } from '../../sandbox/host/index.js';
import { probe } from './fixtures/probes.js';

let host: Host;
afterEach(async () => {
  await host?.close();
});

describe('loading a module', () => {
  it('rejects a module without a proxy_abi_version export', async () => {
    host = new Host();
    await expect(host.loadPlugin({ wasm: await probe('no-abi') })).rejects.toThrow(
      /Missing or unknown Proxy-Wasm ABI version/,
    );
  });

  it('rejects another ABI version, naming it', async () => {
    host = new Host();
    await expect(host.loadPlugin({ wasm: await probe('abi-0-1-0') })).rejects.toThrow(/proxy_abi_version_0_1_0/);
  });

  it('rejects an import whose signature differs from ABI 0.2.1, naming the import and both signatures', async () => {
    host = new Host();
    await expect(host.loadPlugin({ wasm: await probe('wrong-signature') })).rejects.toThrow(
      'Failed to load Wasm module due to an import type mismatch: env.proxy_log, want: (i32, i32) -> (i32), but host exports: (i32, i32, i32) -> (i32)',
    );
  });

  it('rejects an import ABI 0.2.1 does not register (0.1.0-only proxy_get_configuration)', async () => {
    host = new Host();
    await expect(host.loadPlugin({ wasm: await probe('unknown-import') })).rejects.toThrow(
      'Failed to load Wasm module due to a missing import: env.proxy_get_configuration',
    );
  });

  it('rejects bytes that are not wasm with a clear error', async () => {
    host = new Host();
    await expect(host.loadPlugin({ wasm: new Uint8Array([1, 2, 3]) })).rejects.toThrow(/Failed to load Wasm code/);
    await expect(host.loadPlugin({ wasm: '/nonexistent/x.wasm' })).rejects.toThrow(/Failed to read Wasm module/);
  });

  it('traps a _start that calls a function outside the start-time allow-list (restricted callback)', async () => {
    host = new Host();
    await expect(host.loadPlugin({ wasm: await probe('restricted-start') })).rejects.toThrow(
      /Failed to start base Wasm VM: .*restricted_callback/,
    );
  });

  it('loads a minimal module and runs a stream through it', async () => {
    host = new Host();
    const plugin = await host.loadPlugin({ wasm: await probe('noop') });
    const s = plugin.newStream();
    expect(
      s.sendRequestHeaders(
        [
          [':method', 'GET'],
          [':path', '/'],
          [':authority', 'a'],
        ],
        true,
      ),
    ).toBe('continue');
    expect(s.sendResponseHeaders([[':status', '200']], true)).toBe('continue');
    expect(s.finished).toBe(true);
    expect(plugin.failed).toBe(false);
  });

  it('provides the WASI functions cpp-host provides: stdio as logs, clocks, random, environ, proc_exit', async () => {
    host = new Host();
    const plugin = await host.loadPlugin({ wasm: await probe('wasi'), environment: { SG_MODE: 'test' } });
    const worker = plugin.logEntries().filter((e) => e.worker === 0);
    expect(worker.map((e) => `${e.level} ${e.message}`)).toEqual([
      'info hello stdout', // fd 1 → info, trailing newline trimmed
      'info fd1=0 written=13',
      'error oops on stderr', // fd 2 → error
      'info fd2=0',
      'info fd3=8', // other fds: EBADF
      'info realtime rc=0 plausible=yes',
      'info monotonic rc=0 other rc=58', // unknown clock: ENOTSUP
      'info random rc=0 big rc=28', // > 64 KiB: EINVAL
      'info environ n=1 first=SG_MODE=test',
      'trace wasi_unstable proc_exit', // Envoy only logs (Context::error is trace)
      'info after proc_exit',
    ]);
  });
});

describe('the Shadowguard filter (npm run build:wasm)', () => {
  it('loads, although the SDK exports a misnamed gRPC callback', async () => {
    // Never skipped: npm test builds the module first; a missing build is a failure, not a pass.
    if (!existsSync('build/shadowguard.wasm'))
      throw new Error('build/shadowguard.wasm is missing: run `npm run build:wasm` (npm test does) before vitest');
    host = new Host();
    const plugin = await host.loadPlugin({
      wasm: 'build/shadowguard.wasm',
      configuration: { role: 'edge', service: 'frontend', trust: 'boundary' },
    });
    expect(plugin.failed).toBe(false);
    const s = plugin.newStream();
    s.sendRequestHeaders(
      [
        [':method', 'GET'],
        [':path', '/'],
        [':authority', 'a'],
        ['x-request-id', 'r1'],
      ],
      true,
    );
    expect(plugin.failed).toBe(false);
  });
});
