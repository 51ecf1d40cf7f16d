// The dashboard's verdict views in Chromium against a real control plane fed over gRPC (harness.ts):
// each policy's health on the landing page, the global alerts page (acknowledge), the ramp panel
// (controls with confirmation, stage list, guard states, a paused ramp that does not look running,
// the timeline) and the runs of a report (switch, reset).

import { describe, expect, it } from 'vitest';
import { browserSuite, shot } from './browser.js';
import { EDITOR, playedShop, startPlane, type Plane } from './harness.js';

let plane: Plane;
const open = browserSuite(startPlane, async (p) => {
  plane = p;
  await playedShop(plane);
});

describe('verdicts on the dashboard', () => {
  it("shows each policy's health on the landing page: the verdict, its first reason, the alerting endpoints", async () => {
    const page = await open(EDITOR, '/');
    await page.waitForSelector('[data-testid=health-shop] [data-testid=verdict]');
    expect(await page.textContent('[data-testid=health-shop] [data-testid=verdict]')).toBe('fail');
    const text = await page.textContent('[data-testid=health-shop]');
    expect(text).toContain('POST /refunds/{id} mismatches');
    expect(text).toMatch(/\d+ alerting/);
    await shot(page, 'verdict-1-landing');
  }, 30_000);

  it('lists every filter worker on the nodes page, each with its role and whether it applied its config', async () => {
    const api = (await (await plane.api('/api/v1/nodes')).json()) as {
      nodes: Array<{ key: string; connected: boolean; role: string }>;
    };
    expect(api.nodes.length).toBeGreaterThan(0);
    const page = await open(EDITOR, '/');
    await page.click('[data-testid=nav-nodes]');
    await page.waitForSelector('[data-testid=nodes] tr[data-node]');
    const keys = await page
      .locator('[data-testid=nodes] tr[data-node]')
      .evaluateAll((rows) => rows.map((r) => r.getAttribute('data-node')));
    expect(keys.sort()).toEqual(api.nodes.map((n) => n.key).sort());
    const connected = api.nodes.filter((n) => n.connected).length;
    expect(await page.textContent('[data-testid=nodes-summary]')).toContain(
      `${connected} connected of ${api.nodes.length}`,
    );
    await shot(page, 'verdict-nodes');
  }, 30_000);

  it('lists every alert on the alerts page and lets an editor acknowledge one', async () => {
    const page = await open(EDITOR, '/');
    await page.click('[data-testid=nav-alerts]');
    await page.waitForSelector('[data-testid=alerts] tr[data-state=open]');
    const row = page.locator('[data-testid=alerts] tr[data-state=open]').first();
    const id = await row.getAttribute('data-alert');
    await row.locator('[data-testid=ack]').click();
    await page.waitForSelector(`[data-testid=alerts] tr[data-alert="${id}"][data-state=acknowledged]`);
    expect(await page.textContent(`tr[data-alert="${id}"]`)).toContain('by eddie');
    await shot(page, 'verdict-2-alerts');
  }, 30_000);

  it('drives the ramp with confirmation; paused does not look running; guards and the timeline show', async () => {
    const put = await plane.api('/api/v1/policies/ramped', {
      method: 'PUT',
      body: JSON.stringify({
        services: ['cart'],
        ramp: { stages: [1, 5, 10], holdSeconds: 60, evaluateEverySeconds: 1 },
      }),
    });
    expect(put.status).toBe(201);
    const page = await open(EDITOR, '/policies/ramped');
    await page.waitForSelector('[data-testid=ramp-status] >> text=IDLE');
    await page.click('[data-testid=ramp-start]');
    await page.waitForSelector('[data-testid=ramp-confirm]');
    expect(await page.textContent('[data-testid=ramp-confirm]')).toContain('mirroring starts at the first stage');
    await page.click('[data-testid=ramp-confirm-yes]');
    await page.waitForSelector('[data-testid=ramp-status] >> text=running');
    expect(await page.textContent('[data-testid=ramp-stages] li.current')).toContain('stage 1: 1%');
    // the evaluator runs every second: no traffic, so the guards are inconclusive and the stage holds
    for (let i = 0; i < 50 && !(await page.locator('[data-testid=ramp-guards]').count()); i++) {
      await page.waitForTimeout(200);
      await page.reload();
      await page.waitForSelector('[data-testid=ramp-status]');
    }
    expect(await page.textContent('[data-testid=ramp-guards] tr[data-guard=capacity]')).toContain('inconclusive');
    expect(await page.textContent('[data-testid=ramp-holding]')).toContain('Holding for evidence');

    await page.click('[data-testid=ramp-pause]');
    await page.click('[data-testid=ramp-confirm-yes]');
    await page.waitForSelector('[data-testid=ramp-status] >> text=PAUSED');
    expect(await page.getAttribute('[data-testid=ramp-status]', 'class')).toContain('pill-warn');
    expect(await page.locator('[data-testid=ramp-pause]').count()).toBe(0);
    const timeline = await page.textContent('[data-testid=ramp-timeline]');
    expect(timeline).toContain('running → paused at stage 1 (1%) by eddie');
    expect(timeline).toContain('idle → running at stage 1 (1%) by eddie');
    await shot(page, 'verdict-3-ramp');

    await page.click('[data-testid=ramp-abort]');
    await page.click('[data-testid=ramp-confirm-yes]');
    await page.waitForSelector('[data-testid=ramp-status] >> text=ABORTED');
  }, 30_000);

  it('switches between runs of a report and starts a new one', async () => {
    const page = await open(EDITOR, '/policies/shop/reports');
    await page.waitForSelector('[data-testid=run-select]');
    expect(await page.textContent('[data-testid=run-select]')).toContain('1: shop-v2 (current)');
    await page.click('[data-testid=run-reset]');
    await page.click('[data-testid=run-reset-yes]');
    await page.waitForSelector('[data-testid=run-select] option:has-text("2: shop-v2 (current)")', {
      state: 'attached',
    });
    await page.waitForSelector('text=No pairs compared yet for this policy.');
    await page.selectOption('[data-testid=run-select]', '1');
    await page.waitForSelector('[data-testid=endpoints] >> text=POST /refunds/{id}');
    await shot(page, 'verdict-4-runs');
  }, 30_000);
});
