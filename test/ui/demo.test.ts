// The dashboard against the real demo (demo-plane.ts): Envoy's config run by the sandbox mesh with the
// real filter, shop v1 / v2 / secondary, the fake providers, and 200 seeded requests through the edge.
// Nothing here is fed by hand: every row, field, example and destination the pages show comes from the
// halves and egress events the five wasm filters streamed. What an operator checks first, page by page.

import { describe, expect, it } from 'vitest';
import type { TrafficSummary } from '../../sandbox/demo/traffic.js';
import { browserSuite, endpointRows, shot } from './browser.js';
import { startDemoPlane, type DemoPlane } from './demo-plane.js';
import { EDITOR, VIEWER } from './harness.js';

const REFUNDS = 'POST /refunds/{id}';
const REQUESTS = 200;

let plane: DemoPlane;
let traffic: TrafficSummary;
const open = browserSuite(startDemoPlane, async (p) => {
  plane = p;
  traffic = await plane.traffic(REQUESTS);
});
const sent = (endpoint: string): number => Object.values(traffic.byEndpoint[endpoint] ?? {}).reduce((a, b) => a + b, 0);
const get = async <T>(p: string): Promise<T> => (await plane.api(`/api/v1${p}`)).json() as Promise<T>;

interface NodeRow {
  plugin: string;
  role: string;
  variant?: string;
  connected: boolean;
  config: { acked?: string };
}
interface FieldRow {
  path: string;
  verdict: string;
  examples: Array<{ live?: unknown; shadow?: unknown }>;
}
interface Sample {
  live: { body: { refund: { amount: number } } };
  candidate: { body: { refund: { amount: number } } };
}

describe('the dashboard on the running demo', () => {
  it('shows policy "shop" covering the five filters of envoy.yaml, each with the config version it acked', async () => {
    expect(traffic).toMatchObject({ sent: REQUESTS, failed: 0 });
    expect((await fetch(`${plane.url}/api/v1/policies`)).status).toBe(401); // the demo's control plane runs with tokens
    const page = await open(VIEWER, '/');
    await page.waitForSelector('[data-testid=policies] >> text=shop');
    const row = await page.textContent('[data-testid=policies] tbody tr');
    expect(row).toContain('100 % by default');
    expect(row).toMatch(/5 connected/);
    for (const label of ['edge', 'shadow/candidate', 'shadow/secondary']) expect(row).toContain(label);
    await shot(page, 'demo-1-policies');

    await page.click('[data-testid=policies] a:has-text("shop")');
    await page.waitForSelector('[data-testid=nodes] tbody tr:nth-child(5)');
    const { nodes } = await get<{ nodes: NodeRow[] }>('/nodes');
    expect(nodes.map((n) => n.plugin).sort()).toEqual([...plane.filters].sort());
    const rows = await page.$$eval('[data-testid=nodes] tbody tr', (trs) =>
      trs.map((tr) => ({
        text: tr.textContent ?? '',
        versions: [...tr.querySelectorAll('code[title]')].map((c) => c.getAttribute('title')),
      })),
    );
    expect(rows).toHaveLength(5);
    for (const n of nodes) {
      const r = rows.find((x) => x.text.includes(n.plugin));
      expect(r, n.plugin).toBeDefined();
      expect(n.connected && n.config.acked).toBeTruthy();
      expect(r!.versions).toContain(n.config.acked); // the "config applied" column, full version in its title
      expect(r!.text).toContain('connected');
      expect(r!.text).toContain('in sync'); // the version pushed is the version applied
      expect(r!.text).toContain(n.variant ? `${n.role}/${n.variant}` : n.role);
    }
    // The edge, the candidate's and the secondary's filters are configured differently (role/variant).
    expect(new Set(nodes.map((n) => n.config.acked)).size).toBe(3);
    await shot(page, 'demo-2-policy');
  }, 30_000);

  it("lists the demo's endpoints worst first: the POST /refunds/{id} regression on top and alerting, the rest matching", async () => {
    const page = await open(VIEWER, '/policies/shop/reports');
    await page.waitForSelector('[data-testid=endpoints]');
    const rows = await endpointRows(page);
    expect(rows[0]).toBe(REFUNDS);
    expect([...rows].sort()).toEqual(['GET /products/{id}', 'GET /users/{id}', 'POST /orders', REFUNDS]);
    const top = await page.textContent(`tr[data-endpoint="${REFUNDS}"]`);
    expect(top).toContain('alerting');
    expect(await page.textContent(`tr[data-endpoint="${REFUNDS}"] td:nth-child(2)`)).toBe(`${sent(REFUNDS)}`); // every refund mirrored and paired
    expect(top).toContain('0 %');
    for (const e of rows.slice(1)) {
      const text = await page.textContent(`tr[data-endpoint="${e}"]`);
      expect(text, e!).toContain('100 %'); // request_id / timestamp ignored, session_token cancelled by the secondary
      expect(text, e!).toContain('ok');
    }
    const summary = await page.textContent('[data-testid=summary]');
    expect(summary).toContain(`${REQUESTS} pairs`);
    expect(summary).toContain('1 alerting');
    await shot(page, 'demo-3-reports');
  }, 30_000);

  it('shows the refund regression field by field, with live and shadow examples side by side', async () => {
    const page = await open(VIEWER, '/policies/shop/reports');
    await page.click(`a:has-text("${REFUNDS}")`);
    await page.waitForSelector('[data-testid=fields]');
    expect(await page.textContent('h1')).toContain('alerting');
    expect(await page.textContent('tr[data-field="body.refund.amount"]')).toContain('regression');
    expect(await page.textContent('tr[data-field="body.refund.status"]')).toContain('regression');
    // Not in the demo policy's ignorePaths, but the secondary (a second v1) differs there too: noise.
    expect(await page.textContent('tr[data-field="body.session_token"]')).toMatch(/noise/);
    expect(await page.locator('tr[data-field="body.request_id"]').count()).toBe(0); // ignored by the policy

    // The field's examples: v2 refunds 90 % of what v1 refunds, and leaves it pending.
    await page.click('tr[data-field="body.refund.amount"] button.link');
    const amounts = await page.$$eval('tr.examples td.del code, tr.examples td.ins code', (cs) =>
      cs.map((c) => Number(c.textContent)),
    );
    expect(amounts.length).toBeGreaterThanOrEqual(2);
    for (let i = 0; i < amounts.length; i += 2) expect(amounts[i + 1]).toBeCloseTo(amounts[i] * 0.9, 1);
    await page.click('tr[data-field="body.refund.status"] button.link');
    const statuses = await page.locator('tr.examples').nth(1).locator('td.del code, td.ins code').allTextContents();
    expect(statuses.slice(0, 2)).toEqual(['refunded', 'pending']);

    // The first kept pair, both bodies side by side with the changed lines marked.
    const { report } = await get<{ report: { samples: Sample[] } }>(
      `/reports/shop/endpoints/${encodeURIComponent(REFUNDS)}`,
    );
    const s = report.samples[0];
    const diff = page.locator('[data-testid=json-diff]');
    const left = await diff.locator('.jl.l.changed:not(.noise)').allTextContents();
    const right = await diff.locator('.jl.r.changed:not(.noise)').allTextContents();
    expect(left).toEqual(
      expect.arrayContaining([
        expect.stringContaining(`"amount": ${s.live.body.refund.amount}`),
        expect.stringContaining('"status": "refunded"'),
      ]),
    );
    expect(right).toEqual(
      expect.arrayContaining([
        expect.stringContaining(`"amount": ${s.candidate.body.refund.amount}`),
        expect.stringContaining('"status": "pending"'),
      ]),
    );
    // The session token differs on every pair, but it is a secret: redacted on both sides (issue 14
    // finding 5), so it is shown as the same '[REDACTED]' value, never as a change or its value.
    expect(await diff.locator('.jl.noise').count()).toBe(0);
    expect(await diff.textContent()).toContain('"session_token"');
    expect(await diff.textContent()).toContain('[REDACTED]');
    expect(await diff.textContent()).not.toContain('request_id');
    await page.click('[data-testid=view-toggle] button:has-text("raw")');
    await page.waitForSelector('[data-testid=json-diff] >> text=request_id');
    await page.click('[data-testid=view-toggle] button:has-text("normalized")');
    // the example shows its request: the concrete path, not the template
    expect(await page.textContent('[data-testid=sample-request]')).toMatch(/request POST \/refunds\/\d+/);
    // …and, since the demo policy captures requests (capture.request), its content-type and JSON body
    expect(await page.textContent('[data-testid=sample-request-headers]')).toContain('content-type: application/json');
    expect(await page.textContent('[data-testid=sample-request-body]')).toMatch(/"amount": \d+(\.\d+)?/);
    await shot(page, 'demo-4-endpoint');
  }, 30_000);

  it("maps the shadows' real egress: e-mail and payments mocked, the catalog allowed, nothing over capacity", async () => {
    const page = await open(VIEWER, '/policies/shop/blast-radius');
    await page.waitForSelector('[data-testid=blast-svg] g[data-destination]');
    const dests = await page.$$eval('[data-testid=blast-svg] g[data-destination]', (gs) =>
      gs.map((g) => g.getAttribute('data-destination')),
    );
    expect(dests.sort()).toEqual(['catalog:8080', 'email:8080', 'payments:8080']);
    // Candidate and secondary each make every dependency call of the request they serve.
    const orders = sent('POST /orders');
    // (The egress filters stream their events apart from the halves: the live page catches up if need be.)
    const shows = (d: string, what: string) =>
      page.waitForSelector(`[data-testid=blast-svg] g[data-destination="${d}"] >> text=${what}`);
    await shows('catalog:8080', `${2 * (sent('GET /products/{id}') + orders)} allowed`);
    await shows('payments:8080', `${2 * (orders + sent(REFUNDS))} mocked`);
    await shows('email:8080', `${2 * orders} mocked`);
    const text = (d: string) => page.locator(`g[data-destination="${d}"]`).textContent();
    for (const d of dests) expect(await text(d!)).not.toMatch(/denied|limited|OVER CAPACITY/);
    expect(await page.locator('[data-testid=blast-svg] g.flagged').count()).toBe(0);
    const routes = await page.$$eval('[data-testid=blast-table] tbody td code', (cs) => cs.map((c) => c.textContent));
    expect(routes.sort()).toEqual(['GET /items/{id}', 'POST /charges', 'POST /refunds', 'POST /send']);
    const perCopy = sent('GET /products/{id}') + orders;
    expect(await page.locator('[data-testid=variants]').first().textContent()).toBe(
      `candidate ${perCopy} · secondary ${perCopy}`,
    );
    // …and not one mocked call reached its provider (the allowed catalog reads did, by design).
    const c = plane.demo.counts();
    expect(c.email.shadowTagged + c.payments.shadowTagged).toBe(0);
    expect(c.catalog.shadowTagged).toBe(2 * (sent('GET /products/{id}') + orders));
    await shot(page, 'demo-5-blast-radius');
  }, 30_000);

  it('lets an editor mark a regression field as noise: it leaves the list, and the history audits the change by name', async () => {
    const page = await open(EDITOR, '/policies/shop/reports/' + encodeURIComponent(REFUNDS));
    await page.waitForSelector('[data-testid=who] >> text=editor');
    await page.locator('tr[data-field="body.refund.status"] [data-testid=mark-noise]').click();
    // a regression field: the dialog shows what it would silence and warns before an explicit confirmation
    await page.waitForSelector('[data-testid=noise-regression-warning]');
    expect(await page.textContent('[data-testid=noise-preview]')).toContain('body.refund.status (regression)');
    expect(await page.textContent('[data-testid=noise-confirm]')).toBe('Mark as noise anyway');
    await page.click('[data-testid=noise-confirm]');
    await page.waitForSelector('[data-testid=notice] >> text=refund.status');
    expect(await page.locator('[data-testid=noise-undo]').count()).toBe(1);
    await page.waitForSelector('tr[data-field="body.refund.status"]', { state: 'detached' });
    expect(await page.textContent('[data-testid=ignored]')).toContain('body.refund.status');
    // The amount still regresses: the endpoint keeps alerting.
    expect(await page.textContent('tr[data-field="body.refund.amount"]')).toContain('regression');
    expect(await page.textContent('h1')).toContain('alerting');
    const { report } = await get<{ report: { regressionFields: number; fields: FieldRow[] } }>(
      `/reports/shop/endpoints/${encodeURIComponent(REFUNDS)}`,
    );
    expect(report.regressionFields).toBe(1);
    expect(report.fields.find((f) => f.path === 'body.refund.status')?.verdict).toBe('ignored');
    await shot(page, 'demo-6-marked');

    await page.click('a.tab:has-text("Overview")');
    await page.waitForSelector('[data-testid=history] li:nth-child(2)');
    const latest = page.locator('[data-testid=history] li').first();
    expect(await latest.textContent()).toMatch(/v2\s*update by eddie/);
    expect(await latest.textContent()).toContain('normalize');
    await latest.locator('button').click();
    expect(await page.textContent('[data-testid=spec-diff]')).toContain('refund.status');
    const history = await get<{ audit: Array<{ who: string; toVersion: number }> }>('/policies/shop/history');
    expect(history.audit.find((a) => a.toVersion === 2)?.who).toBe('eddie');
    expect(history.audit.find((a) => a.toVersion === 1)).toMatchObject({ who: 'eddie', action: 'create' }); // startDemo seeded it with the editor token
    await shot(page, 'demo-7-history');
  }, 30_000);
});
