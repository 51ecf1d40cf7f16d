// The reporting stream against a real @grpc/grpc-js control plane speaking proto/shadow/v1:
// Hello + auth metadata + GrpcService target, pushed snapshots Acked/Nacked (last good config stays,
// identity sections cannot change), the bounded queue dropping the oldest, reconnect with backoff,
// and protobuf round trips with protobufjs in both directions.
import { describe, expect, it } from 'vitest';
import type { Host, Plugin } from '../../sandbox/host/index.js';
import { ControlMessageType, FilterMessageType, type TestControlPlane } from './support/control-plane.js';
import {
  CP_CLUSTER,
  cp,
  edgeConfig,
  header,
  INBOUND,
  load,
  OUTBOUND,
  request,
  sentMessages,
  shadowConfig,
} from './support/fixtures.js';
import { eachTestWithPlane } from './support/hooks.js';

let host: Host;
let plane: TestControlPlane;
const planes = eachTestWithPlane((h, p) => {
  host = h;
  plane = p;
});

const sampledRequest = (plugin: Plugin, id: string): void => {
  const s = plugin.newStream();
  s.sendRequestHeaders(request('GET', `/r/${id}`, [['x-request-id', id]]));
  s.sendResponseHeaders([[':status', '200']]);
  s.sendResponseBody(id, true);
};

describe('connect', () => {
  it('opens Connect on the control-plane cluster with the bearer token and sends Hello first', async () => {
    const plugin = await load(
      host,
      shadowConfig({ variant: 'secondary', ...cp(plane.port, { authority: 'cp.local', token: 's3cret' }) }),
      {
        properties: {
          'xds.listener_direction': INBOUND,
          'xds.node': { id: 'sidecar~10.0.0.1~shop-v1', cluster: 'shop', metadata: { WORKLOAD_NAME: 'shop-v1' } },
        },
      },
    );
    await plugin.waitFor(() => plane.received.length > 0);
    expect(plane.received[0]!.hello).toMatchObject({
      nodeId: 'sidecar~10.0.0.1~shop-v1',
      workload: 'shop-v1',
      service: 'shop',
      role: 'ROLE_SHADOW',
      variant: 'SIDE_SECONDARY',
      filterVersion: '0.1.0',
    });
    expect(plane.metadata[0]!.get('authorization')).toEqual(['Bearer s3cret']);
    const call = plugin.callouts().find((c) => c.kind === 'grpc_stream' && c.worker === 0)!;
    expect(call).toMatchObject({
      cluster: CP_CLUSTER,
      authority: 'cp.local',
      service: 'shadow.v1.ShadowGuard',
      method: 'Connect',
    });
  });

  it('names its plugin in Hello: the plugin_name property (Envoy filter config / WasmPlugin name)', async () => {
    const plugin = await load(host, shadowConfig({ variant: 'candidate', ...cp(plane.port) }), {
      name: 'shadowguard-candidate-egress',
      properties: { 'xds.listener_direction': OUTBOUND },
    });
    await plugin.waitFor(() => plane.of('hello').length > 0);
    expect(plane.of('hello')[0]).toMatchObject({ plugin: 'shadowguard-candidate-egress' });
    // The bytes the filter wrote carry it as field 9: protobufjs reads it and re-encodes the same bytes.
    const raw = plugin
      .callouts()
      .flatMap((c) => c.messages)
      .find((m) => FilterMessageType.decode(m).toJSON().hello)!;
    const decoded = FilterMessageType.decode(raw);
    expect(Buffer.from(FilterMessageType.encode(decoded).finish())).toEqual(raw);
    expect(FilterMessageType.toObject(decoded).hello.plugin).toBe('shadowguard-candidate-egress');
  });

  it('worker numbers are drawn per vm_id: two plugins sharing a vm_id never repeat one, and say which plugin they are', async () => {
    // As envoy/envoy.yaml's candidate inbound + egress filters: one vm_id, two plugin names.
    const inbound = await load(host, shadowConfig(cp(plane.port)), {
      name: 'sg-inbound',
      vmId: 'candidate',
      workers: 2,
      properties: { 'xds.listener_direction': INBOUND },
    });
    const egress = await load(host, shadowConfig(cp(plane.port)), {
      name: 'sg-egress',
      vmId: 'candidate',
      workers: 2,
      properties: { 'xds.listener_direction': OUTBOUND },
    });
    await inbound.waitFor(() => plane.of('hello').length >= 4);
    await egress.waitFor(() => plane.of('hello').length >= 4);
    const hellos = plane.of('hello').map((h) => ({ plugin: h.plugin as string, worker: Number(h.worker ?? 0) }));
    expect(hellos.filter((h) => h.plugin === 'sg-inbound')).toHaveLength(2);
    expect(hellos.filter((h) => h.plugin === 'sg-egress')).toHaveLength(2);
    expect(hellos.map((h) => h.worker).sort()).toEqual([0, 1, 2, 3]);
  });

  it('each worker VM opens its own stream', async () => {
    const plugin = await load(host, edgeConfig(cp(plane.port)), { workers: 3 });
    await plugin.waitFor(() => plane.of('hello').length >= 3);
    const workers = plane.of('hello').map((h) => Number(h.worker ?? 0));
    expect(new Set(workers).size).toBe(workers.length);
  });
});

describe('shutdown', () => {
  it('half-closes the stream when the plugin is removed (on_done)', async () => {
    const plugin = await load(host, edgeConfig(cp(plane.port)));
    await plugin.waitFor(() => plane.open.length > 0);
    await plugin.close();
    await new Promise<void>((resolve, reject) => {
      const deadline = Date.now() + 2000;
      const poll = (): void => {
        if (plane.halfClosed > 0) resolve();
        else if (Date.now() > deadline) reject(new Error('stream not half-closed'));
        else setTimeout(poll, 5);
      };
      poll();
    });
  });
});

describe('pushed snapshots', () => {
  it('applies a valid snapshot, Acks it, and the next request uses it', async () => {
    const plugin = await load(host, edgeConfig({ ...cp(plane.port), sampling: { defaultPercent: 0 } }));
    await plugin.waitFor(() => plane.open.length > 0);
    const before = plugin.newStream();
    before.sendRequestHeaders(request('GET', '/', [['x-request-id', 'a']]));
    expect(header(before.requestHeaders, 'x-shadow-pair')).toBeUndefined();

    plane.push('v1', JSON.stringify({ role: 'edge', service: 'shop', sampling: { defaultPercent: 100 } }));
    await plugin.waitFor(() => plane.of('ack').length > 0);
    expect(plane.of('ack')[0]).toEqual({ version: 'v1' });
    const after = plugin.newStream();
    after.sendRequestHeaders(request('GET', '/', [['x-request-id', 'a']]));
    expect(header(after.requestHeaders, 'x-shadow-pair')).toMatch(/^a\.[0-9a-f]{16}$/);
    expect(plugin.metric('shadowguard_configs_accepted')).toBeGreaterThanOrEqual(3); // canary + worker + v1
  });

  it('Nacks an invalid snapshot naming the field, and keeps the last good config', async () => {
    const plugin = await load(
      host,
      shadowConfig({ ...cp(plane.port), egress: { rules: [{ name: 'reads', methods: ['GET'], action: 'allow' }] } }),
      { properties: { 'xds.listener_direction': OUTBOUND } },
    );
    await plugin.waitFor(() => plane.open.length > 0);
    plane.push('v2', JSON.stringify(shadowConfig({ egress: { rules: [{ name: 'all', action: 'allow', extra: 1 }] } })));
    plane.push('v3', '{not json');
    plane.push('v4', JSON.stringify(shadowConfig({ variant: 'secondary' })));
    plane.push('v5', JSON.stringify({ role: 'edge', service: 'shop' }));
    plane.push('v6', JSON.stringify(shadowConfig({ service: 'other' })));
    await plugin.waitFor(() => plane.of('nack').length === 5);
    const reasons = Object.fromEntries(plane.of('nack').map((n) => [n.version, n.reason]));
    expect(reasons.v2).toContain('egress.rules[0].extra: unknown field');
    expect(reasons.v3).toContain('invalid JSON');
    expect(reasons.v4).toContain('variant cannot change');
    expect(reasons.v5).toContain('role cannot change');
    expect(reasons.v6).toContain('service cannot change');
    expect(plugin.metric('shadowguard_configs_rejected')).toBe(5);
    // Still the original allowlist: GET allowed, POST denied.
    const get = plugin.newStream();
    expect(get.sendRequestHeaders(request('GET', '/x', [], 'db'))).toBe('continue');
    const post = plugin.newStream();
    post.sendRequestHeaders(request('POST', '/x', [], 'db'));
    expect(post.localResponse?.status).toBe(403);
  });

  it('keeps its static identity sections: a pushed controlPlane/direction is ignored', async () => {
    const plugin = await load(host, shadowConfig({ ...cp(plane.port), direction: 'inbound' }));
    await plugin.waitFor(() => plane.open.length > 0);
    plane.push('v7', JSON.stringify(shadowConfig({ direction: 'outbound', controlPlane: { cluster: 'elsewhere' } })));
    await plugin.waitFor(() => plane.of('ack').length > 0);
    const s = plugin.newStream();
    expect(s.sendRequestHeaders(request('POST', '/x'))).toBe('continue'); // still inbound: tagged, not egress-checked
    expect(header(s.requestHeaders, 'x-shadow')).toBe('candidate');
  });

  it('ignores malformed ControlMessage bytes without trapping', async () => {
    const plugin = await load(host, edgeConfig(cp(plane.port)));
    await plugin.waitFor(() => plane.open.length > 0);
    // A raw write bypasses the serializer: truncated / wrong wire types.
    for (const bytes of [
      Buffer.from([0x0a, 0x05, 0x0a]),
      Buffer.from([0x08, 0x01]),
      Buffer.from([0x0a, 0x02, 0x08, 0x01]),
      Buffer.from([0xff, 0xff, 0xff]),
      Buffer.from([0x0a, 0x03, 0x12, 0x80, 0x80]),
    ]) {
      plane.pushRaw(bytes);
    }
    plane.push('v8', JSON.stringify(edgeConfig()));
    await plugin.waitFor(() => plane.of('ack').length > 0);
    expect(plugin.failed).toBe(false);
  });
  it('survives a tag varint whose high bits hide field 1 from a 64-bit reading (the decoder reads 32 bits)', async () => {
    const plugin = await load(host, edgeConfig(cp(plane.port)));
    await plugin.waitFor(() => plane.open.length > 0);
    // Tag 0x1_0000_000A in 5 bytes: as a u32 (as-proto) it is field 1, LEN — a snapshot whose string
    // claims 127 bytes that are not there; read as 64 bits the field number is 0x20000001.
    plane.pushRaw(Buffer.from([0x8a, 0x80, 0x80, 0x80, 0x10, 0x02, 0x0a, 0x7f]));
    plane.push('v8', JSON.stringify(edgeConfig()));
    await plugin.waitFor(() => plane.of('ack').length > 0 || plugin.failed);
    expect(plugin.failed).toBe(false);
    expect(plane.of('ack')).toEqual([{ version: 'v8' }]);
  });
});

describe('queue and reconnect', () => {
  it('when the control plane is unreachable the queue keeps the newest queueSize halves and counts the dropped', async () => {
    await plane.close();
    const plugin = await load(host, edgeConfig(cp(plane.port, { queueSize: 3, reconnectMaxMs: 100 })));
    for (let i = 0; i < 5; i++) sampledRequest(plugin, `q${i}`);
    expect(plugin.metric('shadowguard_halves_dropped')).toBe(2);
    expect(plugin.metric('shadowguard_halves_reported')).toBe(5);
    // The control plane comes back on the same port: the newest three arrive, then Stats say 2 dropped.
    plane = await planes.restartPlane();
    await plugin.waitFor(() => plane.of('half').length === 3, 5000);
    expect(plane.of('half').map((h) => h.requestId)).toEqual(['q2', 'q3', 'q4']);
    await plugin.waitFor(() => plane.of('stats').length > 0);
    expect(plane.of('stats')[0]).toMatchObject({ halvesDropped: '2' });
  });

  it('counts every message the byte bound drops, not one per push', async () => {
    await plane.close();
    const plugin = await load(
      host,
      edgeConfig({ ...cp(plane.port, { queueSize: 1000 }), capture: { maxBodyBytes: 1048576 } }),
    );
    for (let i = 0; i < 20; i++) sampledRequest(plugin, `small${i}`);
    const big = Buffer.alloc(1048576, 0x61);
    for (let i = 0; i < 16; i++) {
      const s = plugin.newStream();
      s.sendRequestHeaders(request('GET', `/big/${i}`, [['x-request-id', `big${i}`]]));
      s.sendResponseHeaders([[':status', '200']]);
      s.sendResponseBody(big, true);
    }
    // 16 MiB of queue: the 16th 1 MiB half pushes out the 20 small halves and the oldest big one.
    expect(plugin.metric('shadowguard_halves_reported')).toBe(36);
    expect(plugin.metric('shadowguard_halves_dropped')).toBe(21);
  });

  it('reconnects after the server closes the stream, says Hello again with the applied version', async () => {
    const plugin = await load(host, edgeConfig(cp(plane.port, { reconnectMaxMs: 200 })));
    await plugin.waitFor(() => plane.open.length > 0);
    plane.push('v9', JSON.stringify(edgeConfig()));
    await plugin.waitFor(() => plane.of('ack').length > 0);
    plane.closeStreams();
    await plugin.waitFor(() => plane.of('hello').length === 2, 5000);
    expect(plane.of('hello')[1]).toMatchObject({ configVersion: 'v9' });
    expect(plugin.metric('shadowguard_stream_reconnects')).toBe(1);
    sampledRequest(plugin, 'after');
    await plugin.waitFor(() => plane.of('half').some((h) => h.requestId === 'after'));
  });
});

describe('a control plane older than delivery numbering', () => {
  it('gets single numbered messages; what it was sent counts as delivered, so a small queue drops nothing', async () => {
    // TestControlPlane never sends Delivered; its snapshot, arriving first, marks it as older.
    const plugin = await load(host, edgeConfig(cp(plane.port, { queueSize: 3 })));
    await plugin.waitFor(() => plane.open.length > 0);
    plane.push('v1', JSON.stringify(edgeConfig()));
    await plugin.waitFor(() => plane.of('ack').length > 0);
    for (let i = 0; i < 10; i++) sampledRequest(plugin, `old${i}`);
    await plugin.waitFor(() => plane.of('half').length === 10);
    expect(plane.of('half').map((h) => h.requestId)).toEqual(Array.from({ length: 10 }, (_, i) => `old${i}`));
    expect(plane.received.some((m) => m.batch)).toBe(false);
    expect(plugin.metric('shadowguard_halves_dropped')).toBe(0);
    // Numbered all the same (an unknown field to such a control plane), from 1.
    const seqs = sentMessages(plugin)
      .filter((m) => m.half)
      .map((m) => m.seq);
    expect(seqs).toEqual(Array.from({ length: 10 }, (_, i) => i + 1));
  });
});

describe('stats', () => {
  it('sends cumulative Stats every 50 ticks (10 s)', async () => {
    const plugin = await load(host, edgeConfig(cp(plane.port)));
    await plugin.waitFor(() => plane.of('hello').length > 0);
    sampledRequest(plugin, 's1');
    await plugin.waitFor(() => plane.of('half').length === 1);
    for (let i = 0; i < 50; i++) plugin.tick(0);
    await plugin.waitFor(() => plane.of('stats').length > 0);
    expect(plane.of('stats')[0]).toMatchObject({ halvesSent: '1' });
  });
});

describe('a control plane that answers nothing', () => {
  it('gets the held-back reports after the connect grace period', async () => {
    plane.answerHeaders = false;
    const plugin = await load(host, edgeConfig(cp(plane.port)));
    await plugin.waitFor(() => plane.of('hello').length > 0);
    sampledRequest(plugin, 'quiet');
    plugin.tick(0); // a flush opportunity inside the grace period (2 s)
    // The host records every proxy_grpc_send synchronously: only the Hello went into the unconfirmed stream.
    const stream = plugin.callouts().find((c) => c.kind === 'grpc_stream');
    expect(stream?.messages).toHaveLength(1); // held in the queue, not sent into an unconfirmed stream
    await plugin.waitFor(() => plane.of('half').length === 1, 5000);
  });
});

describe('protobuf round trip', () => {
  it("the filter's bytes decode with protobufjs, field for field", async () => {
    const plugin = await load(host, edgeConfig(cp(plane.port)));
    await plugin.waitFor(() => plane.open.length > 0);
    const s = plugin.newStream();
    s.sendRequestHeaders(request('PUT', '/a/b?c=d&e', [['x-request-id', 'rt-1']]));
    s.sendResponseHeaders([
      [':status', '503'],
      ['content-type', 'text/plain; charset=utf-8'],
      ['cache-control', 'no-store'],
    ]);
    s.sendResponseBody(Buffer.from([0, 255, 1, 128]), true);
    await plugin.waitFor(() => sentMessages(plugin).some((m) => m.half));
    const raw = plugin
      .callouts()
      .flatMap((c) => c.messages)
      .find((m) => FilterMessageType.decode(m).toJSON().half)!;
    const decoded = FilterMessageType.decode(raw);
    expect(FilterMessageType.verify(decoded)).toBeNull();
    // Re-encoding with protobufjs gives the same bytes: same field order, same encodings.
    expect(Buffer.from(FilterMessageType.encode(decoded).finish())).toEqual(raw);
    const half = FilterMessageType.toObject(decoded, { longs: Number, enums: String, bytes: Buffer }).half;
    expect(half).toMatchObject({
      pairId: expect.stringMatching(/^rt-1\.[0-9a-f]{16}$/),
      side: 'SIDE_LIVE',
      method: 'PUT',
      path: '/a/b',
      query: 'c=d&e',
      status: 503,
      bodySize: 4,
    });
    expect([...half.body]).toEqual([0, 255, 1, 128]);
    expect(half.headers.map((h: any) => h.name)).toEqual(['content-type', 'cache-control']);
  });

  it('decodes a ConfigSnapshot protobufjs encoded, including multi-byte UTF-8 and unknown fields', async () => {
    const plugin = await load(host, edgeConfig({ ...cp(plane.port), sampling: { defaultPercent: 0 } }));
    await plugin.waitFor(() => plane.open.length > 0);
    const doc = JSON.stringify({
      role: 'edge',
      service: 'shop',
      sampling: { defaultPercent: 100, rules: [{ host: 'bücher.example', percent: 0 }] },
    });
    const bytes = Buffer.concat([
      Buffer.from(
        ControlMessageType.encode(
          ControlMessageType.fromObject({ snapshot: { version: 'vé-10', configJson: doc } }),
        ).finish(),
      ),
      Buffer.from([0x98, 0x06, 0x01]), // unknown varint field 99: skipped
    ]);
    plane.pushRaw(bytes);
    await plugin.waitFor(() => plane.of('ack').length > 0);
    expect(plane.of('ack')[0]).toEqual({ version: 'vé-10' });
    const s = plugin.newStream();
    s.sendRequestHeaders(request('GET', '/', [['x-request-id', 'z']], 'bücher.example'));
    expect(header(s.requestHeaders, 'x-shadow-pair')).toBeUndefined();
  });
});
