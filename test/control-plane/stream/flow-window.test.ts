// The stream server's HTTP/2 receive windows, read by a raw node:http2 client (the wire, not grpc-js):
// a filter with a backlog must be able to send more than nghttp2's 64 KiB default before the control
// plane answers with a WINDOW_UPDATE (server.ts, STREAM_WINDOW_BYTES / CONNECTION_WINDOW_BYTES).
import http2 from 'node:http2';
import { afterEach, describe, expect, it } from 'vitest';
import { CONNECTION_WINDOW_BYTES, STREAM_WINDOW_BYTES } from '../../../control-plane/src/stream/server.js';
import { startServer, tracker, waitFor } from './fixtures.js';

const track = tracker();
let client: http2.ClientHttp2Session | undefined;
afterEach(() => {
  client?.destroy();
  client = undefined;
});

describe('stream server flow control', () => {
  it('advertises a 1 MiB stream window and widens the connection window past 64 KiB', async () => {
    const h = track(await startServer());
    client = http2.connect(`http://127.0.0.1:${h.port}`);
    const session = client;
    await new Promise<void>((resolve, reject) => {
      session.once('remoteSettings', () => resolve());
      session.once('error', reject);
    });
    // A second SETTINGS may follow the first (the window is set as the session opens): wait for it.
    await waitFor(() => session.remoteSettings.initialWindowSize === STREAM_WINDOW_BYTES, 3000, 'stream window');
    await waitFor(() => session.state.remoteWindowSize === CONNECTION_WINDOW_BYTES, 3000, 'connection window');
    expect(STREAM_WINDOW_BYTES).toBeGreaterThan(64 * 1024);
    expect(CONNECTION_WINDOW_BYTES).toBeGreaterThanOrEqual(STREAM_WINDOW_BYTES);
  });
});
