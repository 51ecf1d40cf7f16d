// The dashboard end to end: a real control plane fed over gRPC by fake filters (harness.ts), Debian's
// Chromium driving the built UI. Each test reads like what an operator does on the page.

import { describe, expect, it } from 'vitest';
import { browserSuite, endpointRows, shot } from './browser.js';
import { EDITOR, playedShop, startPlane, VIEWER, type Plane } from './harness.js';

let plane: Plane;
const open = browserSuite(startPlane, async (p) => {
  plane = p;
  await playedShop(plane);
});

describe('the dashboard', () => {
  it('is served at / with client routes falling back to index.html, while /api keeps its JSON 404', async () => {
    const index = await fetch(`${plane.url}/policies/shop/reports`);
    expect(index.status).toBe(200);
    expect(await index.text()).toContain('<div id="app">');
    const api404 = await fetch(`${plane.url}/api/v1/nope`, { headers: { authorization: `Bearer ${VIEWER}` } });
    expect(api404.status).toBe(404);
    expect(await api404.json()).toMatchObject({ statusCode: 404 });
    expect((await fetch(`${plane.url}/healthz`)).status).toBe(200);
    expect((await fetch(`${plane.url}/assets/missing.js`)).status).toBe(404);
  });

  it('lists the policy with its sampling, connected filters and history', async () => {
    const page = await open(EDITOR, '/');
    await page.waitForSelector('[data-testid=policies] >> text=shop');
    const row = await page.textContent('[data-testid=policies] tbody tr');
    expect(row).toContain('25 % by default');
    expect(row).toMatch(/3 connected/);
    await shot(page, '1-policies');
    await page.click('[data-testid=policies] a:has-text("shop")');
    await page.waitForSelector('[data-testid=nodes]');
    expect(await page.textContent('[data-testid=nodes]')).toContain('shop-candidate');
    expect(await page.textContent('[data-testid=history]')).toContain('v1');
  }, 30_000);

  it('shows the endpoints worst first with the POST /refunds/{id} regression on top', async () => {
    const page = await open(EDITOR, '/policies/shop/reports');
    await page.waitForSelector('[data-testid=endpoints]');
    const rows = await endpointRows(page);
    expect(rows[0]).toBe('POST /refunds/{id}');
    expect(rows).toEqual(expect.arrayContaining(['GET /orders/{id}', 'GET /users/{id}', 'GET /catalog/items']));
    const top = await page.textContent('[data-testid=endpoints] tbody tr:first-child');
    expect(top).toContain('alerting');
    expect(top).toContain('0 %'); // every refund differs
    const users = await page.textContent('tr[data-endpoint="GET /users/{id}"]');
    expect(users).toContain('100 %');
    expect(users).toContain('ok');
    await shot(page, '2-reports');
  }, 30_000);

  it("shows an endpoint's fields with Diffy verdicts and live vs shadow side by side (normalized and raw), secrets redacted", async () => {
    const page = await open(EDITOR, '/policies/shop/reports');
    await page.click('a:has-text("POST /refunds/{id}")');
    await page.waitForSelector('[data-testid=fields]');
    const amount = await page.textContent('tr[data-field="body.refund.amount"]');
    expect(amount).toContain('regression');
    expect(await page.textContent('tr[data-field="body.request_id"]')).toMatch(/noise/);
    const diff = page.locator('[data-testid=json-diff]');
    expect(await diff.locator('.jl.l.changed').allTextContents()).toEqual(
      expect.arrayContaining([expect.stringContaining('"amount": 50')]),
    );
    expect(await diff.locator('.jl.r.changed').allTextContents()).toEqual(
      expect.arrayContaining([expect.stringContaining('"amount": 45'), expect.stringContaining('"status": "pending"')]),
    );
    expect(await diff.locator('.redacted').count()).toBeGreaterThanOrEqual(2); // card_number on both sides
    expect(await page.textContent('[data-testid=json-diff]')).not.toContain('4111');
    expect(await page.textContent('[data-testid=json-diff]')).not.toContain('refund-worker');
    await page.click('[data-testid=view-toggle] button:has-text("raw")');
    await page.waitForSelector('[data-testid=json-diff] >> text=refund-worker');
    expect(await diff.locator('.redacted').count()).toBeGreaterThanOrEqual(2); // the raw view is redacted too
    expect(await page.textContent('[data-testid=json-diff]')).not.toContain('4111');
    await page.click('summary:has-text("headers")');
    expect(await page.locator('.headers .redacted').count()).toBeGreaterThan(0); // set-cookie
    await shot(page, '3-endpoint');
  }, 30_000);

  it('hides marking as noise from a viewer, and the API refuses the viewer', async () => {
    const page = await open(VIEWER, '/policies/shop/reports/' + encodeURIComponent('GET /orders/{id}'));
    await page.waitForSelector('tr[data-field="body.served_by"]');
    await page.waitForSelector('[data-testid=viewer-note]');
    expect(await page.locator('[data-testid=mark-noise]').count()).toBe(0);
    expect(await page.textContent('[data-testid=who]')).toContain('viewer');
    const status = await page.evaluate(
      async (t) =>
        (
          await fetch('/api/v1/policies/shop/noise', {
            method: 'POST',
            headers: { authorization: `Bearer ${t}`, 'content-type': 'application/json' },
            body: JSON.stringify({ path: 'body.served_by' }),
          })
        ).status,
      VIEWER,
    );
    expect(status).toBe(403);
  }, 30_000);

  it('marks a field as noise from the page: it leaves the regression list and the change is audited in the history', async () => {
    const page = await open(undefined, '/policies/shop/reports/' + encodeURIComponent('GET /orders/{id}'));
    await page.fill('[data-testid=token-input]', EDITOR);
    await page.press('[data-testid=token-input]', 'Enter');
    await page.waitForSelector('[data-testid=who] >> text=editor');
    const row = page.locator('tr[data-field="body.served_by"]');
    expect(await row.textContent()).toContain('regression');
    await row.locator('[data-testid=mark-noise]').click();
    await page.waitForSelector('[data-testid=noise-regression-warning]');
    await page.click('[data-testid=scope-policy]'); // the whole policy: the preview is computed again
    await page.waitForSelector('[data-testid=noise-preview] >> text=GET /orders/{id}');
    await page.click('[data-testid=noise-confirm]');
    await page.waitForSelector('[data-testid=notice] >> text=served_by');
    await page.waitForSelector('tr[data-field="body.served_by"]', { state: 'detached' });
    expect(await page.textContent('[data-testid=ignored]')).toContain('body.served_by');

    const reports = (await (await plane.api('/api/v1/reports/shop')).json()) as {
      endpoints: Array<{ endpoint: string; regressionFields: number; matchRate: number; ignoredFields: number }>;
    };
    expect(reports.endpoints.find((e) => e.endpoint === 'GET /orders/{id}')).toMatchObject({
      regressionFields: 0,
      matchRate: 100,
      ignoredFields: 1,
    });

    await page.click('a.tab:has-text("Overview")');
    await page.waitForSelector('[data-testid=history]');
    const latest = page.locator('[data-testid=history] li').first();
    expect(await latest.textContent()).toMatch(/v2\s*update by eddie/);
    expect(await latest.textContent()).toContain('normalize');
    await latest.locator('button').click();
    expect(await page.textContent('[data-testid=spec-diff]')).toContain('served_by');
    await shot(page, '4-policy');
  }, 30_000);

  it('draws the blast radius with every destination, labelled edges and the over-capacity one in red', async () => {
    const page = await open(VIEWER, '/policies/shop/blast-radius');
    await page.waitForSelector('[data-testid=blast-svg]');
    const dests = await page.$$eval('[data-testid=blast-svg] g[data-destination]', (gs) =>
      gs.map((g) => g.getAttribute('data-destination')),
    );
    expect(dests.sort()).toEqual(['catalog', 'email', 'ledger.internal', 'payments']);
    const catalog = page.locator('g[data-destination="catalog"]');
    expect(await catalog.getAttribute('class')).toBe('flagged');
    expect(await catalog.locator('rect.dest.over').count()).toBe(1);
    expect(await catalog.textContent()).toContain('OVER CAPACITY');
    expect(await catalog.textContent()).toContain('45 allowed');
    expect(await page.locator('g[data-destination="ledger.internal"]').textContent()).toContain('12 denied');
    expect(await page.locator('g[data-destination="payments"]').textContent()).toMatch(/12 mocked/);
    expect(await page.locator('g[data-destination="payments"] rect.dest.over').count()).toBe(0);
    await shot(page, '5-blast-radius');
  }, 30_000);

  it('updates the endpoints table live when new pairs arrive over gRPC, without reloading', async () => {
    const page = await open(VIEWER, '/policies/shop/reports');
    await page.waitForSelector('[data-testid=live-status] >> text=live');
    await page.waitForSelector('[data-testid=endpoints]');
    await page.evaluate(() => {
      (globalThis as unknown as { marker: number }).marker = 42;
    });
    const before = await endpointRows(page);
    expect(before).not.toContain('DELETE /carts/{id}');
    for (let i = 0; i < 3; i++)
      plane.pair('DELETE', `/carts/${i}`, { live: { deleted: true }, candidate: { deleted: true } });
    await page.waitForSelector('tr[data-endpoint="DELETE /carts/{id}"]', { timeout: 8000 });
    expect(await page.evaluate(() => (globalThis as unknown as { marker?: number }).marker)).toBe(42);
  }, 30_000);
});
