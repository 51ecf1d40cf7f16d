// Debian's Chromium driven by playwright-core (no browser download): one headless browser per test
// file (browserSuite), a fresh context (own sessionStorage) per role, and screenshots into one temp
// directory.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll } from 'vitest';
import { ensureUiBuilt } from './harness.js';

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
async function pageWithToken(browser: Browser, token: string | undefined): Promise<Page> {
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

/** The reports table's endpoints, top to bottom. */
export const endpointRows = (page: Page): Promise<Array<string | null>> =>
  page.$$eval('[data-testid=endpoints] tbody tr', (rows) => rows.map((r) => r.getAttribute('data-endpoint')));

export async function shot(page: Page, name: string): Promise<string> {
  fs.mkdirSync(SHOTS_DIR, { recursive: true });
  const file = path.join(SHOTS_DIR, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

/**
 * A test file's browser suite: before all tests, the UI built if missing, the control plane `start`
 * makes and one browser launched side by side, then `ready` (seed traffic, wait for it); after all, every
 * page's context, the browser and the plane closed. Returns `open`: a fresh page holding `token` at `urlPath`.
 */
export function browserSuite<P extends { url: string; close(): Promise<void> }>(
  start: () => Promise<P>,
  ready: (plane: P) => void | Promise<void>,
): (token: string | undefined, urlPath: string) => Promise<Page> {
  let plane: P | undefined;
  let browser: Browser | undefined;
  const pages: Page[] = [];
  beforeAll(async () => {
    ensureUiBuilt();
    [plane, browser] = await Promise.all([start(), launch()]);
    await ready(plane);
  }, 60_000);
  afterAll(async () => {
    for (const p of pages)
      await p
        .context()
        .close()
        .catch(() => {});
    await browser?.close();
    await plane?.close();
  });
  return async (token, urlPath) => {
    const page = await pageWithToken(browser!, token);
    pages.push(page);
    await page.goto(plane!.url + urlPath);
    return page;
  };
}
