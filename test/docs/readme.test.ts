// The README's policy example is what a newcomer copies first: it must be a policy the API accepts.
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { EDITOR, testApp, type TestApp } from '../control-plane/api/helpers.js';

let t: TestApp;
afterEach(async () => {
  await t?.app.close();
  await t?.store.close();
});

function readmeYaml(): unknown {
  const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
  const block = /## A policy[\s\S]*?```yaml\n([\s\S]*?)```/.exec(readme);
  if (!block) throw new Error('README has no YAML policy example under "## A policy"');
  return parse(block[1]);
}

describe('README', () => {
  it('its policy example is accepted by PUT /api/v1/policies/{name}', async () => {
    t = await testApp();
    const res = await t.as(EDITOR, { method: 'PUT', url: '/api/v1/policies/shop', payload: readmeYaml() as object });
    expect(res.json()).toMatchObject({ name: 'shop', version: 1 });
    expect(res.statusCode).toBe(201);
  });

  it('links only to files that exist', () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    const links = [...readme.matchAll(/\]\(((?!https?:)[^)#]+)/g)].map((m) => m[1]);
    expect(links.length).toBeGreaterThan(3);
    const missing = links.filter((l) => {
      try {
        readFileSync(new URL(`../../${l}`, import.meta.url));
        return false;
      } catch {
        return true;
      }
    });
    expect(missing).toEqual([]);
  });
});
