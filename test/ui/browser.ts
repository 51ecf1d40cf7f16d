// Debian's Chromium driven by playwright-core (no browser download): one headless browser per test
// file, a fresh context (own sessionStorage) per role, and screenshots into one temp directory.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';

export const SHOTS_DIR = process.env.SG_UI_SHOTS ?? path.join(os.tmpdir(), 'sg-ui-shots');

export async function launch(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/** A page whose sessionStorage already holds `token` (what the token form stores). */
export async function pageWithToken(browser: Browser, token: string | undefined): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1360, height: 900 } });
  type Storing = { sessionStorage: { setItem(k: string, v: string): void } };
  if (token)
    await context.addInitScript(
      (t) => (globalThis as unknown as Storing).sessionStorage.setItem('shadowguard.token', t),
      token,
    );
  const page = await context.newPage();
  page.setDefaultTimeout(10_000);
  return page;
}

/** A fresh page holding `token`, at `base` + `urlPath`; added to `opened` so the test file can close them all. */
export async function openPage(
  browser: Browser,
  opened: Page[],
  token: string | undefined,
  base: string,
  urlPath: string,
): Promise<Page> {
  const page = await pageWithToken(browser, token);
  opened.push(page);
  await page.goto(base + urlPath);
  return page;
}

/** The reports table's endpoints, top to bottom. */
export const endpointRows = (page: Page): Promise<Array<string | null>> =>
  page.$$eval('[data-testid=endpoints] tbody tr', (rows) => rows.map((r) => r.getAttribute('data-endpoint')));

export async function shot(page: Page, name: string): Promise<string> {
  fs.mkdirSync(SHOTS_DIR, { recursive: true });
  const file = path.join(SHOTS_DIR, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

/** afterAll of a browser suite: every page's context, the browser, then the control plane it drove. */
export async function closeAll(pages: Page[], browser: Browser | undefined, plane?: { close(): Promise<void> }) {
  for (const p of pages)
    await p
      .context()
      .close()
      .catch(() => {});
  await browser?.close();
  await plane?.close();
}
