// Issue 14 finding 3: a filter can only report for itself. Per-service stream tokens and Istio
// workload identities (SPIFFE ID in x-forwarded-client-cert) bound to services; a Hello for a service
// the stream's credential does not cover is refused with PERMISSION_DENIED and counted; the single
// shared streamToken keeps covering every service. Real gRPC streams.
import * as grpc from '@grpc/grpc-js';
import { afterEach, describe, expect, it } from 'vitest';
import { encodeFilterMessage } from '../../control-plane/src/stream/codec.js';
import { CONNECT_METHOD } from '../../control-plane/src/stream/server.js';
import { hello, startServer, waitFor, type Harness } from '../control-plane/stream/fixtures.js';

const open: Array<{ close(): unknown }> = [];
afterEach(async () => {
  for (const x of open.splice(0).reverse()) await x.close();
});

const SHARED = 'shared-stream-token-0123456789';
const CHECKOUT = 'checkout-only-token-0123456789';
const SPIFFE = 'spiffe://cluster.local/ns/shop/sa/checkout-v2';

function connect(h: Harness, service: string, md: Record<string, string>) {
  const Ctor = grpc.makeGenericClientConstructor(CONNECT_METHOD, 'ShadowGuard');
  const client = new Ctor(`127.0.0.1:${h.port}`, grpc.credentials.createInsecure());
  const meta = new grpc.Metadata();
  for (const [k, v] of Object.entries(md)) meta.set(k, v);
  const call = (client as any).Connect(meta) as grpc.ClientDuplexStream<Buffer, Buffer>; // eslint-disable-line @typescript-eslint/no-explicit-any
  call.on('error', () => {});
  call.on('data', () => {});
  const status = new Promise<grpc.StatusObject>((r) => call.on('status', r));
  call.write(encodeFilterMessage({ kind: 'hello', hello: hello({ service, nodeId: `${service}-node` }) }));
  open.push({
    close: () => {
      call.cancel();
      client.close();
    },
  });
  return status;
}

async function start(over: Parameters<typeof startServer>[0]): Promise<Harness> {
  const h = await startServer(over);
  open.push(h);
  return h;
}

describe('filter identity (finding 3)', () => {
  it('a per-service token reports for its services only: another service is PERMISSION_DENIED and counted', async () => {
    const h = await start({
      token: SHARED,
      streamCredentials: [{ name: 'checkout', token: CHECKOUT, services: ['checkout', 'checkout-v2'] }],
    });
    const ok = connect(h, 'checkout', { authorization: `Bearer ${CHECKOUT}` });
    await waitFor(() => h.hellos.some((x) => x.service === 'checkout'), 3000, 'checkout hello');
    const denied = await connect(h, 'payments', { authorization: `Bearer ${CHECKOUT}` });
    expect(denied.code).toBe(grpc.status.PERMISSION_DENIED);
    expect(denied.details).toContain("'payments'");
    expect(h.hellos.map((x) => x.service)).toEqual(['checkout']);
    expect(h.server.refusals()).toEqual({ 'permission-denied': 1 });
    // the shared token still covers every service (compatibility)
    connect(h, 'payments', { authorization: `Bearer ${SHARED}` });
    await waitFor(() => h.hellos.some((x) => x.service === 'payments'), 3000, 'payments hello');
    const wrong = await connect(h, 'checkout', { authorization: 'Bearer not-a-known-token-000000' });
    expect(wrong.code).toBe(grpc.status.UNAUTHENTICATED);
    expect(h.server.refusals()).toEqual({ 'permission-denied': 1, unauthenticated: 1 });
    void ok;
  });

  it('a workload identity from x-forwarded-client-cert is mapped to its services', async () => {
    const h = await start({ identities: [{ spiffe: SPIFFE, services: ['checkout'] }] });
    const xfcc = `By=spiffe://cluster.local/ns/shadowguard/sa/control-plane;Hash=abc;URI=${SPIFFE}`;
    connect(h, 'checkout', { 'x-forwarded-client-cert': xfcc });
    await waitFor(() => h.hellos.length === 1, 3000, 'checkout hello');
    expect((await connect(h, 'payments', { 'x-forwarded-client-cert': xfcc })).code).toBe(
      grpc.status.PERMISSION_DENIED,
    );
    const other = `By=x;URI=spiffe://cluster.local/ns/shop/sa/intruder`;
    expect((await connect(h, 'checkout', { 'x-forwarded-client-cert': other })).code).toBe(
      grpc.status.PERMISSION_DENIED,
    );
    expect((await connect(h, 'checkout', {})).code).toBe(grpc.status.PERMISSION_DENIED);
    expect(h.hellos).toHaveLength(1);
    expect(h.server.refusals()).toEqual({ 'permission-denied': 3 });
  });
});
