// Issue 14 finding 4: path forms some upstreams resolve outside an allowed prefix are denied before
// any rule, with their own rule name ('uncanonical-path') in the reply and the egress event, while
// the forms the filter can canonicalize safely still match. Through the real .wasm in sandbox/host.
import { describe, expect, it } from 'vitest';
import type { Host } from '../../sandbox/host/index.js';
import type { TestControlPlane } from '../filter/support/control-plane.js';
import { cp, load, OUTBOUND, request, shadowConfig } from '../filter/support/fixtures.js';
import { eachTestWithPlane } from '../filter/support/hooks.js';

const HOSTILE = [
  '/catalog/..;/v1/charges',
  '/catalog/..%3B/v1/charges',
  '/catalog/..%3b/v1/charges',
  '/catalog/%252e%252e/v1/charges',
  '/catalog/..%00/v1/charges',
  '/catalog/%c0%ae%c0%ae/v1/charges',
  '/catalog/%C0%AE./v1/charges',
  '/catalog/%e0%80%ae/v1/charges',
  '/catalog/%u002e%u002e/v1/charges',
  '/catalog/%zz/x',
  '/catalog/%2',
  '/catalog/a;jsessionid=1',
];

let host: Host;
let plane: TestControlPlane;
eachTestWithPlane((h, p) => {
  host = h;
  plane = p;
});

describe('path canonicalization before egress matching (finding 4)', () => {
  it('denies what it cannot canonicalize safely, as rule uncanonical-path, even under defaultAction allow', async () => {
    const plugin = await load(
      host,
      shadowConfig({
        ...cp(plane.port),
        egress: {
          defaultAction: 'allow',
          rules: [{ name: 'catalog', host: 'catalog.svc', path: '/catalog/**', action: 'allow' }],
        },
      }),
      { properties: { 'xds.listener_direction': OUTBOUND } },
    );
    await plugin.waitFor(() => plane.of('hello').length > 0);
    const call = (path: string) => {
      const s = plugin.newStream();
      s.sendRequestHeaders(request('GET', path, [['x-shadow-pair', 'p']], 'catalog.svc'));
      return s.localResponse
        ? { status: s.localResponse.status, body: JSON.parse(s.localResponse.body.toString()) }
        : 'allowed';
    };
    for (const p of HOSTILE)
      expect([p, call(p)]).toEqual([
        p,
        { status: 403, body: { error: 'shadow egress denied', rule: 'uncanonical-path' } },
      ]);
    // what canonicalizes safely still matches as before
    expect(call('/catalog/items/1')).toBe('allowed');
    expect(call('/catalog/%69tems/1')).toBe('allowed');
    expect(call('/catalog/./items//1')).toBe('allowed');
    await plugin.waitFor(() => plane.of('egress').length === HOSTILE.length + 3);
    const denied = plane.of('egress').filter((e) => e.rule === 'uncanonical-path');
    expect(denied).toHaveLength(HOSTILE.length);
    expect(denied[0]).toMatchObject({ decision: 'DECISION_DENIED', path: HOSTILE[0] });
  });

  it('a dot-dot that canonicalizes outside the prefix falls to the next rule (here: default deny)', async () => {
    const plugin = await load(
      host,
      shadowConfig({ egress: { rules: [{ name: 'catalog', path: '/catalog/**', action: 'allow' }] } }),
      { properties: { 'xds.listener_direction': OUTBOUND } },
    );
    for (const p of [
      '/catalog/../v1/charges',
      '/catalog/%2e%2e/v1/charges',
      '/catalog/..%2fv1/charges',
      '/catalog\\..\\v1',
    ]) {
      const s = plugin.newStream();
      s.sendRequestHeaders(request('POST', p, [], 'pay.svc'));
      expect([p, s.localResponse?.status, JSON.parse(s.localResponse!.body.toString()).rule]).toEqual([
        p,
        403,
        'default',
      ]);
    }
  });
});
