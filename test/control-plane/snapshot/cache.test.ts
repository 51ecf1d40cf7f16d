// Building filter configuration documents and caching them per node (the config side of the stream).
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import type { Policy } from '../../../control-plane/src/domain/types.js';
import {
  buildFilterConfig,
  buildSnapshot,
  canonicalJson,
  validateFilterConfig,
  type Snapshot,
} from '../../../control-plane/src/snapshot/build.js';
import { SnapshotCache } from '../../../control-plane/src/snapshot/cache.js';
import { hello, policy, type LogLine } from '../stream/fixtures.js';

const fullSpec = {
  services: ['checkout'],
  sampling: { defaultPercent: 5, rules: [{ pathPrefix: '/refunds', methods: ['POST'], percent: 50 }] },
  egress: {
    defaultAction: 'deny' as const,
    rules: [{ name: 'mail', host: 'smtp.*', action: 'mock' as const, mock: { status: 202 } }],
  },
  inboundRateLimit: { requestsPerSecond: 20, burst: 40 },
  capture: { maxBodyBytes: 1024, headers: ['content-type'] },
  idempotency: { enabled: true, header: 'idempotency-key' },
  normalize: { ignorePaths: ['**.timestamp'] },
  alerts: { mismatchRate: 5 },
  description: 'not for the filter',
};

describe('buildFilterConfig', () => {
  it('takes identity from the Hello and the filter sections from the policy, nothing else', () => {
    const doc = buildFilterConfig(fullSpec, hello({ role: 'shadow', variant: 'candidate' }));
    expect(doc).toEqual({
      role: 'shadow',
      variant: 'candidate',
      service: 'checkout',
      sampling: fullSpec.sampling,
      egress: fullSpec.egress,
      inboundRateLimit: fullSpec.inboundRateLimit,
      capture: fullSpec.capture,
      idempotency: fullSpec.idempotency,
    });
    expect(validateFilterConfig(doc)).toBeUndefined();
  });

  it('without a policy builds an identity-only document that mirrors nothing and denies egress', () => {
    expect(buildFilterConfig(undefined, hello({ role: 'edge', service: 'payments' }))).toEqual({
      role: 'edge',
      service: 'payments',
      sampling: { defaultPercent: 0 },
      egress: { defaultAction: 'deny' },
    });
  });

  it('throws, naming the field, when the built document breaks the schema', () => {
    const bad = { services: ['checkout'], sampling: { defaultPercent: 250 } };
    expect(() => buildFilterConfig(bad, hello())).toThrow(/\/sampling\/defaultPercent must be <= 100/);
    expect(() => buildFilterConfig(undefined, hello({ role: 'shadow' }))).toThrow(
      /must have required property 'variant'/,
    );
  });

  it('versions a document by its content, whatever the key order', () => {
    const a = buildSnapshot(fullSpec, hello());
    const reversed = (v: unknown): unknown =>
      v === null || typeof v !== 'object' || Array.isArray(v)
        ? v
        : Object.fromEntries(
            Object.entries(v)
              .reverse()
              .map(([k, x]) => [k, reversed(x)]),
          );
    const reordered = reversed(fullSpec) as typeof fullSpec;
    expect(JSON.stringify(reordered)).not.toBe(JSON.stringify(fullSpec));
    expect(buildSnapshot(reordered, hello()).version).toBe(a.version);
    expect(a.version).toMatch(/^[0-9a-f]{16}$/);
    expect(buildSnapshot({ ...fullSpec, capture: { maxBodyBytes: 1025 } }, hello()).version).not.toBe(a.version);
    expect(JSON.parse(a.configJson)).toEqual(buildFilterConfig(fullSpec, hello()));
    expect(canonicalJson({ b: 1, a: { d: [2, { f: 1, e: 0 }], c: undefined } })).toBe(
      '{"a":{"d":[2,{"e":0,"f":1}]},"b":1}',
    );
  });
});

function capture() {
  const logs: LogLine[] = [];
  return {
    logs,
    logger: pino(
      { level: 'debug' },
      {
        write: (l: string) => {
          logs.push(JSON.parse(l) as LogLine);
        },
      },
    ),
  };
}

describe('SnapshotCache', () => {
  const checkout = (percent: number, version = 1): Policy =>
    policy('checkout-policy', { services: ['checkout'], sampling: { defaultPercent: percent } }, version);

  it('pushes the current snapshot at once to a new watch, unless the node already runs it', () => {
    const cache = new SnapshotCache({ policies: [checkout(10)] });
    const got: Snapshot[] = [];
    cache.watch(hello(), (s) => got.push(s));
    expect(got).toHaveLength(1);
    expect(got[0]).toEqual(cache.snapshotFor(hello()));
    expect(got[0].policy).toBe('checkout-policy');

    const again: Snapshot[] = [];
    cache.watch(hello({ nodeId: 'n2', configVersion: got[0].version }), (s) => again.push(s));
    expect(again).toHaveLength(0);
  });

  it('pushes a changed version only to the nodes whose document changed', () => {
    const cache = new SnapshotCache({ policies: [checkout(10)] });
    const pushes: string[] = [];
    cache.watch(hello({ nodeId: 'c', service: 'checkout' }), () => pushes.push('c'));
    cache.watch(hello({ nodeId: 'p', service: 'payments' }), () => pushes.push('p'));
    pushes.length = 0;

    cache.setPolicies([checkout(10, 2)]); // new policy version, same document: silent
    expect(pushes).toEqual([]);
    cache.setPolicies([checkout(20, 3)]);
    expect(pushes).toEqual(['c']);
    cache.setPolicies([]); // deleted: back to identity-only
    expect(pushes).toEqual(['c', 'c']);
    expect(JSON.parse(cache.snapshotFor(hello()).configJson).sampling).toEqual({ defaultPercent: 0 });
  });

  it('stops pushing after unwatch', () => {
    const cache = new SnapshotCache();
    let n = 0;
    const unwatch = cache.watch(hello(), () => {
      n++;
    });
    unwatch();
    unwatch();
    cache.setPolicies([checkout(50)]);
    expect(n).toBe(1);
    expect(cache.watchCount()).toBe(0);
  });

  it('applies the first policy by name to a service two policies cover, with a warning', () => {
    const { logs, logger } = capture();
    const cache = new SnapshotCache({ logger });
    cache.setPolicies([
      policy('zeta', { services: ['checkout'], sampling: { defaultPercent: 90 } }),
      policy('alpha', { services: ['checkout', 'cart'], sampling: { defaultPercent: 1 } }),
    ]);
    expect(cache.policyFor('checkout')?.name).toBe('alpha');
    expect(JSON.parse(cache.snapshotFor(hello()).configJson).sampling).toEqual({ defaultPercent: 1 });
    expect(logs.find((l) => l.level === 40)).toMatchObject({ service: 'checkout', applied: 'alpha', ignored: 'zeta' });
  });

  it('keeps serving other nodes when one node cannot be given a valid document', () => {
    const { logs, logger } = capture();
    const cache = new SnapshotCache({ logger });
    const got: string[] = [];
    cache.watch(hello({ nodeId: 'ok', service: 'cart' }), (s) => got.push(s.configJson));
    cache.watch(hello({ nodeId: 'bad', service: 'checkout' }), () => got.push('bad'));
    got.length = 0;
    cache.setPolicies([
      policy('a', { services: ['checkout'], sampling: { defaultPercent: 101 } }),
      policy('b', { services: ['cart'], sampling: { defaultPercent: 7 } }),
    ]);
    expect(got).toHaveLength(1);
    expect(JSON.parse(got[0]).sampling).toEqual({ defaultPercent: 7 });
    expect(logs.some((l) => l.msg === 'cannot build snapshot' && l.node === 'bad')).toBe(true);
  });

  it('refuses to watch a node it cannot build for, and registers nothing', () => {
    const cache = new SnapshotCache();
    expect(() => cache.watch(hello({ role: 'shadow' }), () => {})).toThrow(/variant/);
    expect(cache.watchCount()).toBe(0);
  });
});
