// The codec against protobufjs-encoded bytes of shadow.proto, in both directions.
import { describe, expect, it } from 'vitest';
import type { Half } from '../../../control-plane/src/domain/types.js';
import {
  CodecError,
  decodeControlMessage,
  decodeFilterMessage,
  encodeControlMessage,
  encodeDelivered,
  encodeFilterMessage,
  protoRoot,
  type FilterMessage,
} from '../../../control-plane/src/stream/codec.js';
import { hello } from './fixtures.js';

const FilterMessageType = () => protoRoot().lookupType('shadow.v1.FilterMessage');
/** Bytes as any protobufjs user would produce them from a plain JS object (enum names, Buffers). */
const wire = (obj: object) => FilterMessageType().encode(FilterMessageType().fromObject(obj)).finish();

const half: Half = {
  pairId: 'p-1',
  side: 'secondary',
  service: 'checkout',
  method: 'GET',
  host: 'shop.local',
  path: '/users/7',
  query: 'x=1&y=2',
  status: 503,
  headers: [
    ['content-type', 'text/plain; charset=utf-8'],
    ['x-name', 'Zoë'],
  ],
  body: Buffer.from([0, 1, 2, 255]),
  truncated: false,
  bodySize: 9_007_199_254_740_000,
  startUnixMs: 1_735_689_600_000,
  latencyUs: 4_294_967_295,
  requestId: 'req-1',
  nodeId: 'n-1',
};

describe('codec', () => {
  it('decodes a protobufjs-encoded Half into the domain Half', () => {
    const bytes = wire({
      half: {
        ...half,
        side: 'SIDE_SECONDARY',
        headers: half.headers.map(([name, value]) => ({ name, value: Buffer.from(value) })),
      },
    });
    const d = decodeFilterMessage(bytes);
    expect(d).toEqual({ ok: true, value: { kind: 'half', half, seq: 0 } });
    if (d.ok && d.value.kind === 'half') expect(Buffer.isBuffer(d.value.half.body)).toBe(true);
  });

  it('decodes the captured request (Half fields 17-20) and round-trips it; its header count is bounded like the response', () => {
    const request = {
      headers: [['content-type', 'application/json']] as Array<[string, string]>,
      body: Buffer.from('{"amount":1'),
      truncated: true,
      bodySize: 40,
    };
    const bytes = wire({
      half: {
        side: 'SIDE_LIVE',
        requestHeaders: [{ name: 'content-type', value: Buffer.from('application/json') }],
        requestBody: request.body,
        requestTruncated: true,
        requestBodySize: 40,
      },
    });
    const d = decodeFilterMessage(bytes);
    expect(d.ok && d.value.kind === 'half' && d.value.half.request).toEqual(request);
    const withRequest: FilterMessage = { kind: 'half', half: { ...half, request }, seq: 3 };
    expect(decodeFilterMessage(encodeFilterMessage(withRequest))).toEqual({ ok: true, value: withRequest });
    const tooMany = wire({
      half: {
        side: 'SIDE_LIVE',
        requestHeaders: Array.from({ length: 257 }, (_, i) => ({ name: `h${i}`, value: Buffer.from('v') })),
      },
    });
    const r = decodeFilterMessage(tooMany);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.message).toMatch(/half\.requestHeaders has 257 entries/);
  });

  it('decodes header values that are not UTF-8 as latin1', () => {
    const d = decodeFilterMessage(
      wire({ half: { side: 'SIDE_LIVE', headers: [{ name: 'x', value: Buffer.from([0x63, 0x61, 0x66, 0xe9]) }] } }),
    );
    expect(d.ok && d.value.kind === 'half' && d.value.half.headers).toEqual([['x', 'café']]);
  });

  it('round-trips every FilterMessage kind through encodeFilterMessage', () => {
    const messages: FilterMessage[] = [
      { kind: 'hello', hello: hello({ role: 'shadow', variant: 'secondary', worker: 3, configVersion: 'abc' }) },
      { kind: 'hello', hello: hello({ role: 'live', epoch: 4_000_000_000 }) },
      { kind: 'half', half, seq: 0 },
      { kind: 'half', half, seq: 2 ** 40 },
      {
        kind: 'egress',
        seq: 3,
        event: {
          pairId: 'p',
          service: 's',
          variant: 'candidate',
          destination: 'pay:443',
          method: 'POST',
          path: '/charge',
          decision: 'rate_limited',
          rule: 'payments',
          unixMs: 1_700_000_000_000,
          nodeId: 'n',
        },
      },
      {
        kind: 'egress',
        event: {
          pairId: '',
          service: 's',
          variant: 'live',
          destination: 'd',
          method: 'GET',
          path: '/',
          decision: 'mocked',
          rule: 'default',
          unixMs: 0,
          nodeId: 'n',
        },
        seq: 0,
      },
      {
        kind: 'batch',
        messages: [
          { kind: 'half', half, seq: 11 },
          { kind: 'half', half: { ...half, pairId: 'p-2' }, seq: 12 },
        ],
      },
      { kind: 'ack', version: 'v1' },
      { kind: 'nack', version: 'v2', reason: 'egress.rules[0].action: unknown' },
      {
        kind: 'stats',
        stats: {
          halvesSent: 1,
          halvesDropped: 2,
          eventsSent: 3,
          eventsDropped: 4,
          reconnects: 5,
          resent: 6,
          acknowledged: 7,
        },
      },
    ];
    for (const m of messages) expect(decodeFilterMessage(encodeFilterMessage(m))).toEqual({ ok: true, value: m });
  });

  it('decodes Hello.plugin (field 9), and "" from a filter that predates it', () => {
    const d = decodeFilterMessage(
      wire({ hello: { nodeId: 'n', role: 'ROLE_EDGE', worker: 1, plugin: 'shadowguard-edge' } }),
    );
    expect(d.ok && d.value.kind === 'hello' && d.value.hello).toMatchObject({
      nodeId: 'n',
      plugin: 'shadowguard-edge',
      worker: 1,
    });
    const t = protoRoot().lookupType('shadow.v1.Hello');
    expect(t.fields.plugin?.id).toBe(9);
    const old = decodeFilterMessage(wire({ hello: { nodeId: 'n', role: 'ROLE_EDGE' } }));
    expect(old.ok && old.value.kind === 'hello' && old.value.hello.plugin).toBe('');
  });

  it('decodes a Batch (field 7) of numbered halves and events, and refuses anything else inside one', () => {
    const h = { pairId: 'b-1', side: 'SIDE_LIVE' };
    const d = decodeFilterMessage(
      wire({
        batch: { messages: [{ half: h, seq: 5 }, { egress: { decision: 'DECISION_DENIED' }, seq: 6 }, { half: h }] },
      }),
    );
    expect(d.ok && d.value.kind === 'batch' && d.value.messages.map((m) => [m.kind, m.seq])).toEqual([
      ['half', 5],
      ['egress', 6],
      ['half', 0],
    ]);
    const bad = decodeFilterMessage(wire({ batch: { messages: [{ half: h, seq: 1 }, { ack: { version: 'v' } }] } }));
    expect(bad.ok ? 'decoded' : `${bad.error.reason}: ${bad.error.message}`).toBe(
      'invalid: a batch holds halves and egress events, not ack',
    );
  });

  it('encodes Delivered (ControlMessage field 2) as protobufjs reads it', () => {
    const t = protoRoot().lookupType('shadow.v1.ControlMessage');
    expect(t.fields.delivered?.id).toBe(2);
    const o = t.toObject(t.decode(encodeDelivered(1234567)), { oneofs: true, longs: Number });
    expect(o).toEqual({ msg: 'delivered', delivered: { seq: 1234567 } });
  });

  it('encodes a ControlMessage that protobufjs reads back, and decodes it', () => {
    const snap = { version: '0123456789abcdef', configJson: '{"role":"edge","service":"checkout"}' };
    const bytes = encodeControlMessage(snap);
    const t = protoRoot().lookupType('shadow.v1.ControlMessage');
    expect(t.toObject(t.decode(bytes), { oneofs: true })).toEqual({ msg: 'snapshot', snapshot: snap });
    expect(decodeControlMessage(bytes)).toEqual({ ok: true, value: snap });
  });

  it('returns a malformed CodecError for bytes that are not protobuf, never throwing', () => {
    for (const bytes of [
      Buffer.from([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f]),
      Buffer.from([0xff, 0xff, 0xff]),
      Buffer.from('garbage!!'),
    ]) {
      const d = decodeFilterMessage(bytes);
      expect(d.ok).toBe(false);
      if (!d.ok) {
        expect(d.error).toBeInstanceOf(CodecError);
        expect(d.error.reason).toBe('malformed');
      }
    }
    expect(decodeControlMessage(Buffer.from([0xff])).ok).toBe(false);
  });

  it('reports an empty message and out-of-contract enum values by name', () => {
    const empty = decodeFilterMessage(new Uint8Array(0));
    expect(!empty.ok && empty.error.reason).toBe('empty');
    const cases: Array<[object, string]> = [
      [{ half: { side: 0 } }, 'half.side 0 is not live, candidate or secondary'],
      [{ half: { side: 9 } }, 'half.side 9 is not live, candidate or secondary'],
      [{ hello: { role: 7 } }, 'hello.role 7 is not edge, shadow or live'],
      [{ egress: { decision: 0 } }, 'egress.decision 0 is unknown'],
    ];
    for (const [obj, message] of cases) {
      const d = decodeFilterMessage(wire(obj));
      expect(d.ok ? 'decoded' : `${d.error.reason}: ${d.error.message}`).toBe(`invalid: ${message}`);
    }
  });
});
