// The candidate's egress listener of envoy/envoy.yaml with the real filter and the file's static
// allowlist (before any control-plane snapshot): catalog reads pass, the e-mail POST is mocked,
// payments is denied; a failed VM fails closed (503) and nothing leaves.
import { afterEach, describe, expect, it } from 'vitest';
import { startMesh, type Mesh } from '../../../sandbox/mesh/index.js';
import { ENVOY_YAML, hcmOf, listener, mutatedEnvoyYaml, removeTempYamls, request, upstream, WASM } from './support.js';

const cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
  removeTempYamls();
});

async function setup(file = ENVOY_YAML, workers?: number) {
  const email = await upstream('real email sent');
  const payments = await upstream('card charged');
  const catalog = await upstream('catalog items');
  cleanup.push(email.close, payments.close, catalog.close);
  const mesh: Mesh = await startMesh({
    file,
    wasmPath: WASM,
    workers,
    hostMap: { 'email:8080': email.addr, 'payments:8080': payments.addr, 'catalog:8080': catalog.addr },
  });
  cleanup.push(() => mesh.close());
  return { email, payments, catalog, mesh, port: mesh.listenerAddress('candidate_egress').port };
}

describe('candidate egress listener with the static allowlist', () => {
  it('mocks the e-mail POST, denies payments, lets catalog reads through', async () => {
    const { email, payments, catalog, mesh, port } = await setup();
    const mocked = await request(port, {
      method: 'POST',
      host: 'email:8080',
      path: '/send',
      body: '{"to":"a@b.c"}',
      headers: { 'content-type': 'application/json' },
    });
    expect([mocked.status, mocked.body]).toEqual([202, '{"queued":true}']);
    // Envoy keeps a content-type the filter set on its local reply (Utility::prepareLocalReply sets
    // text/plain only when none is set): exactly one content-type, the mock's.
    const types = mocked.raw.filter((_v, i) => i % 2 === 1 && mocked.raw[i - 1].toLowerCase() === 'content-type');
    expect(types).toEqual(['application/json']);

    const denied = await request(port, { method: 'POST', host: 'payments', path: '/charge', body: '{}' });
    expect(denied.status).toBe(403);

    const read = await request(port, { host: 'catalog:8080', path: '/items/1' });
    expect([read.status, read.body]).toEqual([200, 'catalog items']);
    const write = await request(port, { method: 'DELETE', host: 'catalog', path: '/items/1' });
    expect(write.status).toBe(403); // catalog-read allows GET/HEAD only

    await catalog.waitFor(1); // the allowed read arrived; the others were answered locally by the filter
    expect([email.seen.length, payments.seen.length, catalog.seen.length]).toEqual([0, 0, 1]);
    const egress = mesh.plugin('shadowguard-candidate-egress');
    expect(egress.metric('shadowguard_egress_mocked')).toBe(1);
    expect(egress.metric('shadowguard_egress_denied')).toBe(2);
  });

  it('without configuration denies every call, marked or not, on the OUTBOUND listener (a shadow without configuration denies all egress)', async () => {
    const file = mutatedEnvoyYaml((d) => {
      hcmOf(d, 'candidate_egress').http_filters[0].typed_config.config.configuration.value = '';
    });
    const { catalog, mesh, port } = await setup(file);
    const plain = await request(port, { host: 'catalog:8080', path: '/items/1' });
    expect(plain.status).toBe(403);
    expect(JSON.parse(plain.body)).toMatchObject({ rule: 'unconfigured' });
    const marked = await request(port, { host: 'catalog', path: '/items/2', headers: { 'x-shadow': 'candidate' } });
    expect(marked.status).toBe(403);
    expect(mesh.plugin('shadowguard-candidate-egress').metric('shadowguard_egress_denied')).toBe(2);
    expect(catalog.seen).toHaveLength(0);
  });

  it('denies a destination outside the allowlist before the router could answer 404', async () => {
    const { port } = await setup();
    expect((await request(port, { host: 'evil.example', path: '/' })).status).toBe(403);
  });

  it('gives the filter the listener\'s traffic_direction as xds.listener_direction (config direction "auto")', async () => {
    const withDirection = (dir: string | undefined) =>
      mutatedEnvoyYaml((d) => {
        if (dir) listener(d, 'candidate_egress').traffic_direction = dir;
        const cfg = hcmOf(d, 'candidate_egress').http_filters[0].typed_config.config.configuration;
        cfg.value = JSON.stringify({ ...JSON.parse(cfg.value), direction: 'auto' });
      });
    const outbound = await setup(withDirection('OUTBOUND'));
    expect((await request(outbound.port, { method: 'POST', host: 'payments', path: '/charge' })).status).toBe(403);
    const inbound = await setup(withDirection('INBOUND'));
    const r = await request(inbound.port, { method: 'POST', host: 'payments', path: '/charge' });
    expect([r.status, r.body]).toEqual([200, 'card charged']); // inbound: tagged and passed, no allowlist
    expect(inbound.payments.seen[0].headers['x-shadow']).toBe('candidate');
  });

  it('runs each plugin on the configured number of worker VMs, spreading connections over them', async () => {
    const { mesh, port } = await setup(ENVOY_YAML, 2);
    const egress = mesh.plugin('shadowguard-candidate-egress');
    expect(egress.workers).toHaveLength(2);
    for (let i = 0; i < 4; i++)
      expect((await request(port, { method: 'POST', host: 'email', path: '/send' })).status).toBe(202);
    expect(egress.metric('shadowguard_egress_mocked')).toBe(4);
    // candidate_inbound and candidate_egress share vm_id "candidate" (same code, no vm configuration),
    // so they share each worker's VM (cpp-host getOrCreateThreadLocalWasm), each with its own root
    // context (ids 1 and 2); each worker VM then created a stream context per request it ran.
    const inbound = mesh.plugin('shadowguard-candidate-inbound').workers;
    expect(inbound.map((vm, i) => vm === egress.workers[i])).toEqual([true, true]);
    expect(egress.workers.map((vm) => vm.nextContextId - 3)).toEqual([2, 2]);
  });

  it('fails closed when its VM has failed (failure_policy: FAIL_CLOSED): 503 and nothing leaves', async () => {
    const { catalog, mesh, port } = await setup();
    for (const vm of mesh.plugin('shadowguard-candidate-egress').workers) vm.fail('test', new Error('forced trap'));
    const r = await request(port, { host: 'catalog', path: '/items/1' });
    expect([r.status, r.body]).toEqual([503, '']);
    expect(catalog.seen).toHaveLength(0);
  });
});
