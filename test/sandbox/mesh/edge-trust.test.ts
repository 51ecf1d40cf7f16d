// The edge HCM's request-header rules (ConnectionManagerUtility::mutateRequestHeaders) as the sandbox
// mesh models them: who counts as an edge client, which x-request-id survives, what XFF becomes.
import { describe, expect, it } from 'vitest';
import { type EdgeSemantics, mutateRequestHeaders } from '../../../sandbox/mesh/request-headers.js';
import type { HeaderList } from '../../../sandbox/mesh/routing.js';

const base: EdgeSemantics = {
  useRemoteAddress: false,
  xffNumTrustedHops: 0,
  skipXffAppend: false,
  preserveExternalRequestId: false,
  generateRequestId: true,
  internalCidrs: [],
  internalOnlyHeaders: ['x-shadow-pair'],
};
const pseudo: HeaderList = [
  [':authority', 'shop'],
  [':path', '/'],
  [':method', 'GET'],
  [':scheme', 'http'],
];
const run = (raw: HeaderList, cfg: Partial<EdgeSemantics>, remote = '203.0.113.7') =>
  mutateRequestHeaders(raw, pseudo, { remote, local: '10.0.0.2' }, { ...base, ...cfg });
const get = (h: HeaderList, k: string) => h.filter(([n]) => n === k).map(([, v]) => v);

describe('edge requests (use_remote_address)', () => {
  it("replace the client's x-request-id, strip internal-only headers and record the client address", () => {
    const r = run(
      [
        ['x-request-id', 'chosen-by-client'],
        ['x-shadow-pair', 'forged'],
        ['x-envoy-retry-on', '5xx'],
      ],
      { useRemoteAddress: true },
    );
    expect(r.edge).toBe(true);
    expect(get(r.headers, 'x-request-id')).toHaveLength(1);
    expect(get(r.headers, 'x-request-id')[0]).not.toBe('chosen-by-client');
    expect(get(r.headers, 'x-shadow-pair')).toEqual([]);
    expect(get(r.headers, 'x-envoy-retry-on')).toEqual([]);
    expect(get(r.headers, 'x-forwarded-for')).toEqual(['203.0.113.7']);
    expect(get(r.headers, 'x-envoy-external-address')).toEqual(['203.0.113.7']);
  });

  it('keep the id only when preserve_external_request_id is set', () => {
    const r = run([['x-request-id', 'kept']], { useRemoteAddress: true, preserveExternalRequestId: true });
    expect(get(r.headers, 'x-request-id')).toEqual(['kept']);
  });

  it('take the client address xff_num_trusted_hops back in XFF (a load balancer in front)', () => {
    const r = run([['x-forwarded-for', '198.51.100.9']], { useRemoteAddress: true, xffNumTrustedHops: 1 }, '10.0.0.1');
    expect(r.remote).toBe('198.51.100.9');
    expect(get(r.headers, 'x-forwarded-for')).toEqual(['198.51.100.9,10.0.0.1']);
    expect(r.edge).toBe(true);
  });

  it('treat RFC1918 peers as external unless internal_address_config lists them (Envoy ≥ 1.33)', () => {
    expect(run([], { useRemoteAddress: true }, '10.1.2.3').edge).toBe(true);
    const r = run(
      [['x-request-id', 'internal-id']],
      { useRemoteAddress: true, internalCidrs: ['10.0.0.0/8'] },
      '10.1.2.3',
    );
    expect(r.internal).toBe(true);
    expect(r.edge).toBe(false);
    expect(get(r.headers, 'x-request-id')).toEqual(['internal-id']);
    expect(get(r.headers, 'x-envoy-internal')).toEqual(['true']);
  });
});

describe('requests on a listener without use_remote_address (a sidecar behind the edge)', () => {
  it('keep the x-request-id the edge set, and generate one only when absent', () => {
    expect(get(run([['x-request-id', 'from-edge']], {}).headers, 'x-request-id')).toEqual(['from-edge']);
    expect(get(run([], {}).headers, 'x-request-id')).toHaveLength(1);
  });

  it('are never internal without an XFF naming an internal address, so internal-only headers go', () => {
    const r = run([['x-shadow-pair', 'p']], { internalCidrs: ['10.0.0.0/8'] }, '10.1.2.3');
    expect(r.internal).toBe(false);
    expect(get(r.headers, 'x-shadow-pair')).toEqual([]);
  });
});
