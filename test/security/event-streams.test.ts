// Issue 14 finding 13: live-update streams are limited per token as well as globally, so one viewer
// cannot take every slot. Real server, real HTTP streams.
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { EventBus } from '../../control-plane/src/api/event-bus.js';
import { MAX_EVENT_STREAMS_PER_TOKEN } from '../../control-plane/src/api/routes/events.js';
import { EDITOR, testApp, VIEWER } from '../control-plane/api/helpers.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

describe('event streams per token (finding 13)', () => {
  it('a viewer past its share gets 429 while another token still gets a stream; a closed stream frees its slot', async () => {
    const t = await testApp({ events: new EventBus() });
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    const base = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}/api/v1/events`;
    const controllers: AbortController[] = [];
    cleanups.push(async () => {
      for (const c of controllers) c.abort();
      await t.app.close();
    });
    const open = async (token: string) => {
      const c = new AbortController();
      controllers.push(c);
      const res = await fetch(base, { headers: { authorization: `Bearer ${token}` }, signal: c.signal });
      if (res.status !== 200) return { status: res.status, c };
      // positive barrier: the stream is registered once its hello arrives
      const reader = res.body!.getReader();
      let text = '';
      while (!text.includes('event: hello')) text += new TextDecoder().decode((await reader.read()).value);
      return { status: 200, c };
    };
    const mine = [];
    for (let i = 0; i < MAX_EVENT_STREAMS_PER_TOKEN; i++) mine.push(await open(VIEWER));
    expect(mine.every((s) => s.status === 200)).toBe(true);
    expect((await open(VIEWER)).status).toBe(429);
    expect((await open(EDITOR)).status).toBe(200);
    mine[0].c.abort();
    let again = 429;
    for (let i = 0; i < 50 && again !== 200; i++) {
      again = (await open(VIEWER)).status;
      if (again !== 200) await new Promise((r) => setTimeout(r, 20));
    }
    expect(again).toBe(200);
  });
});
