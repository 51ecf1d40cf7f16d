// Rolling a policy back from the dashboard's history (components/History.tsx) against a real control
// plane (harness.ts): an editor undoes a change by making v1 current again, a rollback prepared against
// a version someone has since replaced is refused, and a viewer gets no rollback control. The tests
// run in order on one policy: v1 seeded, v2 a change, v3 the rollback, v4 a concurrent change.

import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { browserSuite, shot } from './browser.js';
import { EDITOR, shopPolicy, startPlane, VIEWER, type Plane } from './harness.js';

let plane: Plane;
const open = browserSuite(startPlane, (p) => {
  plane = p;
});

interface Policy {
  name: string;
  version: number;
  spec: typeof shopPolicy;
}
interface History {
  version: number;
  versions: Array<{ version: number; spec?: typeof shopPolicy }>;
  audit: Array<{ who: string; action: string; fromVersion: number | null; toVersion: number }>;
}
const get = async <T>(p: string): Promise<T> => (await plane.api(`/api/v1${p}`)).json() as Promise<T>;
const put = (spec: typeof shopPolicy, ifVersion: number) =>
  plane.api('/api/v1/policies/shop', {
    method: 'PUT',
    body: JSON.stringify(spec),
    headers: { 'if-match': `"${ifVersion}"` },
  });
const row = (page: Page, version: number) => page.locator(`[data-testid=history] li[data-version="${version}"]`);

describe('rolling a policy back from its history', () => {
  it("lets an editor roll back to v1 after a change: v1's spec is current again, as v3, audited by name", async () => {
    const changed = {
      ...shopPolicy,
      sampling: { ...shopPolicy.sampling, defaultPercent: 50 },
      normalize: { ...shopPolicy.normalize, ignorePaths: ['debug', 'served_by'] },
    };
    expect((await put(changed, 1)).status).toBe(200);

    const page = await open(EDITOR, '/policies/shop');
    await page.waitForSelector('[data-testid=who] >> text=editor');
    await row(page, 1).locator('[data-testid=rollback]').waitFor();
    expect(await page.textContent('[data-testid=sampling]')).toContain('50 % by default');
    expect(await row(page, 2).locator('[data-testid=rollback]').count()).toBe(0); // the current version

    // The dialog shows what the rollback changes from the current version; cancelling sends nothing.
    await row(page, 1).locator('[data-testid=rollback]').click();
    const dialog = page.locator('[data-testid=rollback-dialog]');
    await dialog.waitFor();
    expect(await dialog.locator('h3').textContent()).toContain('to v1?');
    const diff = await dialog.locator('[data-testid=spec-diff] tbody tr').allTextContents();
    expect(diff).toEqual([
      expect.stringMatching(/^normalize\.ignorePaths.*served_by.*$/),
      expect.stringMatching(/^sampling\.defaultPercent\s*50\s*25$/),
    ]);
    await shot(page, 'rollback-1-confirm');
    await dialog.locator('[data-testid=rollback-cancel]').click();
    await dialog.waitFor({ state: 'detached' });
    expect((await get<Policy>('/policies/shop')).version).toBe(2);

    await row(page, 1).locator('[data-testid=rollback]').click();
    await page.click('[data-testid=rollback-confirm]');
    await page.waitForSelector('[data-testid=rollback-notice] >> text=Rolled back to v1');
    expect(await page.textContent('[data-testid=rollback-notice]')).toContain('now v3');
    await row(page, 3).waitFor();
    const latest = page.locator('[data-testid=history] li').first();
    expect(await latest.textContent()).toMatch(/v3\s*rollback by eddie/);
    expect(await latest.locator('[data-testid=restores]').textContent()).toContain('restores v1');
    await page.waitForSelector('h1 >> text=v3');
    expect(await page.textContent('[data-testid=sampling]')).toContain('25 % by default');
    // v1 is what runs now; v2 is the one to roll forward to.
    expect(await row(page, 1).textContent()).toContain('same as current');
    expect(await row(page, 1).locator('[data-testid=rollback]').count()).toBe(0);
    expect(await row(page, 2).locator('[data-testid=rollback]').count()).toBe(1);
    await latest.locator('button.link').click();
    expect(await latest.locator('[data-testid=spec-diff]').textContent()).toContain('sampling.defaultPercent');
    await shot(page, 'rollback-2-done');

    const res = await plane.api('/api/v1/policies/shop');
    expect(res.headers.get('etag')).toBe('"3"');
    const current = (await res.json()) as Policy;
    const history = await get<History>('/policies/shop/history');
    expect(current.version).toBe(3);
    expect(current.spec).toEqual(history.versions.find((v) => v.version === 1)!.spec);
    expect(current.spec.sampling).toEqual(shopPolicy.sampling);
    expect(history.audit.find((a) => a.toVersion === 3)).toMatchObject({
      who: 'eddie',
      action: 'rollback',
      fromVersion: 2,
    });
  }, 30_000);

  it('refuses a rollback confirmed after someone else changed the policy (If-Match), and says so', async () => {
    const page = await open(EDITOR, '/policies/shop');
    await row(page, 2).locator('[data-testid=rollback]').click();
    await page.locator('[data-testid=rollback-dialog]').waitFor();
    // Meanwhile, another editor: v4.
    expect((await put({ ...shopPolicy, description: 'changed meanwhile' }, 3)).status).toBe(200);
    await row(page, 4).waitFor(); // the live feed shows it behind the dialog
    await page.click('[data-testid=rollback-confirm]');
    await page.waitForSelector('[data-testid=rollback-notice].error');
    const notice = await page.textContent('[data-testid=rollback-notice]');
    expect(notice).toContain('changed while you were deciding');
    expect(notice).toContain('version 4, not 3');
    const current = await get<Policy>('/policies/shop');
    expect(current).toMatchObject({ version: 4, spec: { description: 'changed meanwhile' } });
    expect((await get<History>('/policies/shop/history')).audit.filter((a) => a.action === 'rollback')).toHaveLength(1);
  }, 30_000);

  it('shows a viewer the history without any rollback control, and the API refuses the viewer', async () => {
    const page = await open(VIEWER, '/policies/shop');
    await page.waitForSelector('[data-testid=who] >> text=viewer');
    await row(page, 4).waitFor();
    await page.waitForSelector('[data-testid=viewer-note] >> text=editor token');
    expect(await page.locator('[data-testid=history] li').count()).toBe(4);
    expect(await page.locator('[data-testid=rollback]').count()).toBe(0);
    const status = await page.evaluate(
      async (t) =>
        (
          await fetch('/api/v1/policies/shop/rollback', {
            method: 'POST',
            headers: { authorization: `Bearer ${t}`, 'content-type': 'application/json' },
            body: JSON.stringify({ version: 2 }),
          })
        ).status,
      VIEWER,
    );
    expect(status).toBe(403);
    expect((await get<Policy>('/policies/shop')).version).toBe(4);
    await shot(page, 'rollback-3-viewer');
  }, 30_000);
});
