// Defect found in review of the stream: Hello strings the registry keeps for every node (10 000 of
// them) were unbounded but for the 4 MiB message size.
import { describe, expect, it } from 'vitest';
import { FakeFilter, hello, startServer, type Harness, tracker } from './fixtures.js';

const track = tracker();
const INVALID_ARGUMENT = 3;

describe('Hello string bounds', () => {
  it.each([
    ['workload', { workload: 'w'.repeat(100_000) }],
    ['plugin', { plugin: 'p'.repeat(100_000) }],
    ['filter_version', { filterVersion: 'v'.repeat(100_000) }],
    ['config_version', { configVersion: 'c'.repeat(100_000) }],
  ])('refuses a Hello whose %s is oversized and registers nothing', async (field, over) => {
    const h: Harness = track(await startServer({}));
    const f = track(await FakeFilter.connect(h.port, hello(over)));
    const st = await f.status;
    expect(st.code).toBe(INVALID_ARGUMENT);
    expect(st.details).toMatch(new RegExp(`^hello\\.${field} must be at most \\d+ characters`));
    expect(h.registry.list()).toHaveLength(0);
  });

  it('accepts ordinary Istio-sized identities', async () => {
    const h: Harness = track(await startServer({}));
    const f = track(
      await FakeFilter.connect(
        h.port,
        hello({ workload: 'w'.repeat(253), plugin: 'shadowguard-inbound', configVersion: '0123456789abcdef' }),
      ),
    );
    await f.snapshot(1);
    expect(h.registry.list()).toHaveLength(1);
  });
});
