// Access logs read the filter's shadow marker from filter state. Envoy's %FILTER_STATE(key)% prints the
// serialized value (for a Wasm property, a base64 protobuf Any); only %FILTER_STATE(key:PLAIN)% prints the
// string. Every place a user copies the format from must say :PLAIN.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const files = execFileSync('git', ['ls-files', 'README.md', 'docs', 'envoy', 'deploy'], { encoding: 'utf8' })
  .split('\n')
  .filter((f) => /\.(md|ya?ml|json)$/.test(f));

describe('access-log formats in the docs and deploy files', () => {
  it('read the shadow marker with :PLAIN', () => {
    const uses = files.flatMap((f) =>
      [...readFileSync(f, 'utf8').matchAll(/%FILTER_STATE\(wasm\.shadowguard\.shadow(:[A-Z]+)?\)%/g)].map((m) => ({
        f,
        form: m[0],
      })),
    );
    expect(uses.length).toBeGreaterThan(0);
    expect(uses.filter((u) => u.form !== '%FILTER_STATE(wasm.shadowguard.shadow:PLAIN)%')).toEqual([]);
  });
});
