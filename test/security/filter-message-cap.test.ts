// Issue 14 finding 14, filter side: the filter never sends a message the control plane's gRPC limit
// (4 MiB) would answer by ending the whole stream; such a half is dropped and counted, and the halves
// around it arrive on the same stream. Through the real .wasm in sandbox/host.
import { describe, expect, it } from 'vitest';
import type { Host } from '../../sandbox/host/index.js';
import type { TestControlPlane } from '../filter/support/control-plane.js';
import { cp, edgeConfig, load, request } from '../filter/support/fixtures.js';
import { eachTestWithPlane } from '../filter/support/hooks.js';

let host: Host;
let plane: TestControlPlane;
eachTestWithPlane((h, p) => {
  host = h;
  plane = p;
});

describe('filter message cap (finding 14)', () => {
  it('drops and counts a half over 4 MiB - 64 KiB instead of sending it; the stream carries the next ones', async () => {
    const plugin = await load(
      host,
      edgeConfig({
        ...cp(plane.port),
        sampling: { defaultPercent: 100 },
        capture: { maxBodyBytes: 1048576, headers: ['x-big'] },
      }),
    );
    await plugin.waitFor(() => plane.of('hello').length > 0);
    const send = (id: string, headerBytes: number) => {
      const s = plugin.newStream();
      s.sendRequestHeaders(request('GET', `/r/${id}`, [['x-request-id', id]]));
      s.sendResponseHeaders([
        [':status', '200'],
        ['x-big', 'b'.repeat(headerBytes)],
      ]);
      s.sendResponseBody(Buffer.alloc(1048576, 0x61), true);
    };
    send('before', 10);
    send('huge', 3.5 * 1024 * 1024); // 1 MiB body + 3.5 MiB header: past the cap
    send('after', 10);
    await plugin.waitFor(() => plane.of('half').length === 2, 5000);
    expect(plane.of('half').map((h) => h.requestId)).toEqual(['before', 'after']);
    expect(plugin.metric('shadowguard_halves_dropped')).toBe(1);
    expect(plane.open.length).toBe(1); // the same stream, never ended
    expect(plane.of('hello')).toHaveLength(1);
  });
});
