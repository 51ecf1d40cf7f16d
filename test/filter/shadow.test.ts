// role=shadow through the real module: inbound tagging (x-shadow, baggage, filter state), the
// shared inbound rate limit, the CANDIDATE half; outbound egress allowlist (allow / mock / deny /
// rate-limited, globs, first match wins, default deny) reported as EgressEvents; and the empty
// configuration's fail-safe mode.
import { describe, expect, it } from 'vitest';
import type { Host } from '../../sandbox/host/index.js';
import type { TestControlPlane } from './support/control-plane.js';
import { cp, header, INBOUND, load, OUTBOUND, request, shadowConfig } from './support/fixtures.js';
import { eachTestWithHost, eachTestWithPlane } from './support/hooks.js';

let host: Host;

describe('shadow inbound', () => {
  eachTestWithHost((h) => {
    host = h;
  });

  it('tags every inbound request by configuration, whatever headers arrive', async () => {
    const plugin = await load(host, shadowConfig({ variant: 'secondary' }), {
      properties: { 'xds.listener_direction': INBOUND },
    });
    const s = plugin.newStream();
    expect(
      s.sendRequestHeaders(
        request('GET', '/a', [
          ['x-shadow', 'forged'],
          ['baggage', 'k=v, shadow=old'],
        ]),
      ),
    ).toBe('continue');
    expect(header(s.requestHeaders, 'x-shadow')).toBe('secondary');
    expect(header(s.requestHeaders, 'baggage')).toBe('k=v,shadow=secondary');
    expect(s.filterState.get('shadowguard.shadow')?.toString()).toBe('secondary');
    expect(plugin.metric('shadowguard_shadow_requests')).toBe(1);

    const bare = plugin.newStream();
    bare.sendRequestHeaders(request('GET', '/b'));
    expect(header(bare.requestHeaders, 'baggage')).toBe('shadow=secondary');
  });

  it('the direction override beats the listener property', async () => {
    const plugin = await load(host, shadowConfig({ direction: 'inbound' }), {
      properties: { 'xds.listener_direction': OUTBOUND },
    });
    const s = plugin.newStream();
    expect(s.sendRequestHeaders(request('POST', '/pay'))).toBe('continue');
    expect(header(s.requestHeaders, 'x-shadow')).toBe('candidate');
  });

  it('answers 429 beyond the inbound shadow rate limit, shared by every worker VM', async () => {
    const plugin = await load(host, shadowConfig({ inboundRateLimit: { requestsPerSecond: 0.001, burst: 3 } }), {
      workers: 2,
      properties: { 'xds.listener_direction': INBOUND },
    });
    const outcomes: Array<number | undefined> = [];
    for (let i = 0; i < 6; i++) {
      const s = plugin.newStream({ worker: i % 2 });
      s.sendRequestHeaders(request('GET', `/r${i}`));
      outcomes.push(s.localResponse?.status);
    }
    expect(outcomes).toEqual([undefined, undefined, undefined, 429, 429, 429]);
    expect(plugin.metric('shadowguard_shadow_rate_limited')).toBe(3);
  });

  it('treats an unknown direction as outbound (fails closed) and says so once', async () => {
    const plugin = await load(host, shadowConfig());
    for (let i = 0; i < 2; i++) {
      const s = plugin.newStream();
      s.sendRequestHeaders(request('GET', '/x'));
      expect(s.localResponse?.status).toBe(403);
    }
    expect(plugin.logs('warn').filter((l) => l.includes('direction unknown'))).toHaveLength(1);
  });
});

describe('shadow outbound egress', () => {
  eachTestWithHost((h) => {
    host = h;
  });
  const egress = {
    rules: [
      { name: 'catalog-read', host: 'catalog.*', methods: ['GET'], action: 'allow' },
      {
        name: 'payments',
        host: 'payments.svc:8443',
        path: '/v1/charges/*',
        action: 'mock',
        mock: { status: 201, headers: { 'content-type': 'application/json' }, body: '{"id":"ch_mock"}' },
      },
      { name: 'email', host: '*.mail.example', path: '/send/', action: 'deny' },
      { name: 'audit', path: '/audit/**/events', action: 'allow', rateLimit: { requestsPerSecond: 0.001, burst: 1 } },
      { name: 'catch-all-get', methods: ['GET'], action: 'allow' },
    ],
  };

  it('allows, mocks and denies by the first matching rule, default deny', async () => {
    const plugin = await load(host, shadowConfig({ egress }), { properties: { 'xds.listener_direction': OUTBOUND } });
    const call = (method: string, path: string, authority: string) => {
      const s = plugin.newStream();
      const verdict = s.sendRequestHeaders(
        request(
          method,
          path,
          [
            ['x-shadow', 'candidate'],
            ['x-shadow-pair', 'p1'],
          ],
          authority,
        ),
      );
      return { verdict, s };
    };
    const read = call('GET', '/items/1', 'catalog.internal');
    expect(read.verdict).toBe('continue');
    expect(header(read.s.requestHeaders, 'x-shadow')).toBe('candidate'); // tags kept

    const charge = call('POST', '/v1/charges/42', 'payments.svc:8443');
    expect(charge.s.localResponse).toMatchObject({ status: 201 });
    expect(charge.s.localResponse!.body.toString()).toBe('{"id":"ch_mock"}');
    expect(header(charge.s.localResponse!.headers, 'x-shadowguard-mocked')).toBe('payments');
    expect(header(charge.s.localResponse!.headers, 'content-type')).toBe('application/json');

    const nested = call('POST', '/v1/charges/42/capture', 'payments.svc:8443'); // '*' stays in a segment
    expect(nested.s.localResponse?.status).toBe(403);

    const mail = call('GET', '/send/welcome', 'smtp.mail.example');
    expect(mail.s.localResponse?.status).toBe(403);
    expect(JSON.parse(mail.s.localResponse!.body.toString())).toEqual({ error: 'shadow egress denied', rule: 'email' });

    const other = call('DELETE', '/users/1', 'users.svc');
    expect(JSON.parse(other.s.localResponse!.body.toString())).toEqual({
      error: 'shadow egress denied',
      rule: 'default',
    });

    const untagged = plugin.newStream();
    expect(untagged.sendRequestHeaders(request('GET', '/anything', [], 'x.svc'))).toBe('continue'); // catch-all-get
    expect(header(untagged.requestHeaders, 'x-shadow')).toBe('candidate'); // the shadow tags what the app did not
    expect(plugin.metric('shadowguard_egress_allowed')).toBe(2);
    expect(plugin.metric('shadowguard_egress_mocked')).toBe(1);
    expect(plugin.metric('shadowguard_egress_denied')).toBe(3);
  });

  it('rate-limits an allow rule across workers: beyond it 429, decision rate_limited', async () => {
    const plugin = await load(host, shadowConfig({ egress }), {
      workers: 2,
      properties: { 'xds.listener_direction': OUTBOUND },
    });
    const a = plugin.newStream({ worker: 0 });
    expect(a.sendRequestHeaders(request('POST', '/audit/2024/x/events', [], 'audit.svc'))).toBe('continue');
    const b = plugin.newStream({ worker: 1 });
    b.sendRequestHeaders(request('POST', '/audit/events', [], 'audit.svc')); // '**' matches zero segments
    expect(b.localResponse?.status).toBe(429);
    expect(plugin.metric('shadowguard_egress_rate_limited')).toBe(1);
  });

  it("allows everything unmatched when defaultAction is 'allow'", async () => {
    const plugin = await load(
      host,
      shadowConfig({ egress: { defaultAction: 'allow', rules: [{ name: 'no-mail', host: 'mail', action: 'deny' }] } }),
      { properties: { 'xds.listener_direction': OUTBOUND } },
    );
    const s = plugin.newStream();
    expect(s.sendRequestHeaders(request('POST', '/x', [], 'db'))).toBe('continue');
    const m = plugin.newStream();
    m.sendRequestHeaders(request('POST', '/x', [], 'MAIL:25'));
    expect(m.localResponse?.status).toBe(403);
  });
  it('decides on the path the upstream will serve: dot segments, encoded characters and doubled slashes cannot slip past a rule', async () => {
    const rules = [
      { name: 'catalog', host: 'shop-api', path: '/catalog/**', action: 'allow' },
      { name: 'no-send', host: 'mailer', path: '/send/**', action: 'deny' },
    ];
    const plugin = await load(host, shadowConfig({ egress: { rules } }), {
      properties: { 'xds.listener_direction': OUTBOUND },
    });
    const status = (path: string, authority = 'shop-api') => {
      const s = plugin.newStream();
      s.sendRequestHeaders(request('POST', path, [['x-shadow', 'candidate']], authority));
      return s.localResponse?.status ?? 'continue';
    };
    // An allow rule for /catalog/** does not allow a charge reached through it.
    expect(status('/catalog/../v1/charges')).toBe(403);
    expect(status('/catalog/%2E%2E/v1/charges')).toBe(403);
    expect(status('/catalog/..%2Fv1/charges')).toBe(403);
    expect(status('/catalog\\..\\v1/charges')).toBe(403);
    expect(status('/catalog/./a/../../v1/charges?x=1')).toBe(403);
    // ...while catalog paths, however spelled, are still allowed.
    expect(status('/catalog/items/1')).toBe('continue');
    expect(status('/catalog/a%2Fb')).toBe('continue');
    expect(status('/x/../catalog/items')).toBe('continue');
    expect(status('/%63atalog/items')).toBe('continue');

    const open = await load(host, shadowConfig({ egress: { defaultAction: 'allow', rules } }), {
      properties: { 'xds.listener_direction': OUTBOUND },
    });
    const call = (path: string) => {
      const s = open.newStream();
      s.sendRequestHeaders(request('POST', path, [['x-shadow', 'candidate']], 'mailer'));
      return s.localResponse?.status ?? 'continue';
    };
    // A deny rule for /send/** holds however the path is spelled.
    expect(call('/send/welcome')).toBe(403);
    expect(call('//send/welcome')).toBe(403);
    expect(call('/x/../send/welcome')).toBe(403);
    expect(call('/%73end/welcome')).toBe(403);
    expect(call('/other/welcome')).toBe('continue');
  });
});

describe('shadow reporting', () => {
  let plane: TestControlPlane;
  eachTestWithPlane((h, p) => {
    host = h;
    plane = p;
  });

  it('reports the shadow response as a CANDIDATE half paired by x-shadow-pair', async () => {
    const plugin = await load(host, shadowConfig(cp(plane.port)), {
      properties: { 'xds.listener_direction': INBOUND, 'xds.node': { id: 'node-7', cluster: 'c' } },
    });
    await plugin.waitFor(() => plane.of('hello').length > 0);
    const s = plugin.newStream();
    s.sendRequestHeaders(
      request('GET', '/items/9', [
        ['x-shadow-pair', 'pair-9'],
        ['x-request-id', 'rid-9'],
      ]),
    );
    s.sendResponseHeaders([
      [':status', '200'],
      ['content-type', 'application/json'],
    ]);
    s.sendResponseBody('{"a":1}', true);
    await plugin.waitFor(() => plane.of('half').length > 0);
    expect(plane.of('half')[0]).toMatchObject({
      pairId: 'pair-9',
      side: 'SIDE_CANDIDATE',
      requestId: 'rid-9',
      status: 200,
      nodeId: 'node-7',
      path: '/items/9',
    });
    expect(plane.of('half')[0]!.body.toString()).toBe('{"a":1}');
  });

  it('reports every egress decision with the pair id of the call', async () => {
    const plugin = await load(
      host,
      shadowConfig({ ...cp(plane.port), egress: { rules: [{ name: 'reads', methods: ['GET'], action: 'allow' }] } }),
      { properties: { 'xds.listener_direction': OUTBOUND } },
    );
    await plugin.waitFor(() => plane.of('hello').length > 0);
    plugin.newStream().sendRequestHeaders(request('GET', '/stock?sku=1', [['x-shadow-pair', 'p-1']], 'inventory'));
    plugin.newStream().sendRequestHeaders(request('POST', '/emails', [['x-shadow-pair', 'p-1']], 'mailer'));
    await plugin.waitFor(() => plane.of('egress').length === 2);
    expect(plane.of('egress')).toEqual([
      expect.objectContaining({
        pairId: 'p-1',
        service: 'shop',
        variant: 'SIDE_CANDIDATE',
        destination: 'inventory',
        method: 'GET',
        path: '/stock',
        decision: 'DECISION_ALLOWED',
        rule: 'reads',
      }),
      expect.objectContaining({
        pairId: 'p-1',
        destination: 'mailer',
        method: 'POST',
        path: '/emails',
        decision: 'DECISION_DENIED',
        rule: 'default',
      }),
    ]);
  });
});

describe('empty configuration (fail-safe mode)', () => {
  eachTestWithHost((h) => {
    host = h;
  });

  it('loads and denies every outbound call, marked or not (a shadow app need not propagate markers)', async () => {
    const plugin = await load(host, '', { properties: { 'xds.listener_direction': OUTBOUND } });
    const tagged = plugin.newStream();
    tagged.sendRequestHeaders(request('POST', '/charge', [['baggage', 'shadow=candidate']], 'payments'));
    expect(tagged.localResponse?.status).toBe(403);
    expect(JSON.parse(tagged.localResponse!.body.toString()).rule).toBe('unconfigured');
    const plain = plugin.newStream();
    plain.sendRequestHeaders(request('POST', '/charge', [['x-request-id', 'r']], 'payments'));
    expect(plain.localResponse?.status).toBe(403);
    expect(JSON.parse(plain.localResponse!.body.toString()).rule).toBe('unconfigured');
    expect(plugin.metric('shadowguard_egress_denied')).toBe(2);
    expect(plugin.logs('warn').some((l) => l.includes('fail-safe'))).toBe(true);
  });

  it('passes everything on a listener of unknown direction (it may be an ingress gateway)', async () => {
    const plugin = await load(host, '');
    const s = plugin.newStream();
    const req = request('POST', '/charge', [['baggage', 'shadow=candidate']], 'payments');
    expect(s.sendRequestHeaders(req)).toBe('continue');
    expect(s.requestHeaders).toEqual(req);
  });

  it('never blocks inbound traffic', async () => {
    const plugin = await load(host, '   ', { properties: { 'xds.listener_direction': INBOUND } });
    const s = plugin.newStream();
    expect(s.sendRequestHeaders(request('GET', '/', [['x-shadow', 'candidate']]))).toBe('continue');
  });
});
