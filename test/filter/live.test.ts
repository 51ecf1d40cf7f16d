// role=live (mesh-wide install): untagged traffic untouched; a tagged inbound request is marked in
// filter state and counted; a tagged outbound call passes the egress allowlist.
import { describe, expect, it } from 'vitest';
import type { Host } from '../../sandbox/host/index.js';
import { INBOUND, liveConfig, load, OUTBOUND, request } from './support/fixtures.js';
import { eachTestWithHost } from './support/hooks.js';

let host: Host;
eachTestWithHost((h) => {
  host = h;
});

describe('live role', () => {
  it('does nothing to untagged traffic in either direction', async () => {
    for (const dir of [INBOUND, OUTBOUND]) {
      const plugin = await load(host, liveConfig(), {
        properties: { 'xds.listener_direction': dir },
        rootId: `d${dir}`,
      });
      const s = plugin.newStream();
      const req = request('POST', '/orders', [
        ['x-request-id', 'r'],
        ['baggage', 'shadowy=1'],
      ]);
      expect(s.sendRequestHeaders(req)).toBe('continue');
      expect(s.requestHeaders).toEqual(req);
      expect(s.filterState.size).toBe(0);
    }
  });

  it('marks and counts a tagged inbound request', async () => {
    const plugin = await load(host, liveConfig(), { properties: { 'xds.listener_direction': INBOUND } });
    const s = plugin.newStream();
    expect(s.sendRequestHeaders(request('GET', '/x', [['x-shadow', 'candidate']]))).toBe('continue');
    expect(s.filterState.get('shadowguard.shadow')?.toString()).toBe('candidate');
    const b = plugin.newStream();
    b.sendRequestHeaders(request('GET', '/x', [['baggage', 'a=1,shadow=secondary']]));
    expect(b.filterState.get('shadowguard.shadow')?.toString()).toBe('secondary');
    expect(plugin.metric('shadowguard_requests_tagged')).toBe(2);
  });

  it('sends tagged outbound calls through the egress allowlist', async () => {
    const plugin = await load(
      host,
      liveConfig({ egress: { rules: [{ name: 'cache', host: 'redis*', action: 'allow' }] } }),
      { properties: { 'xds.listener_direction': OUTBOUND } },
    );
    const ok = plugin.newStream();
    expect(ok.sendRequestHeaders(request('GET', '/k', [['x-shadow', 'candidate']], 'redis-1'))).toBe('continue');
    const denied = plugin.newStream();
    denied.sendRequestHeaders(request('POST', '/send', [['x-shadow', 'candidate']], 'mailer'));
    expect(denied.localResponse?.status).toBe(403);
    const untagged = plugin.newStream();
    expect(untagged.sendRequestHeaders(request('POST', '/send', [], 'mailer'))).toBe('continue');
  });

  it('lets a live request that only carries x-shadow-pair through untouched (the pair id is on the live copy too)', async () => {
    const plugin = await load(host, liveConfig(), { properties: { 'xds.listener_direction': OUTBOUND } });
    const s = plugin.newStream();
    const req = request(
      'POST',
      '/send',
      [
        ['x-shadow-pair', 'p'],
        ['x-request-id', 'r'],
      ],
      'mailer',
    );
    expect(s.sendRequestHeaders(req)).toBe('continue');
    expect(s.requestHeaders).toEqual(req);
    expect(s.localResponse).toBeUndefined();
    const inbound = await load(host, liveConfig(), { properties: { 'xds.listener_direction': INBOUND }, rootId: 'in' });
    const i = inbound.newStream();
    i.sendRequestHeaders(request('GET', '/x', [['x-shadow-pair', 'p']]));
    expect(i.filterState.size).toBe(0);
  });
});
