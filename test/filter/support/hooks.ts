// Per-test hooks for filter tests: each test gets a fresh host (and, where it reports, a fresh real
// control plane), closed after it, so no plugin, stream or connection leaks into the next test.
import { afterEach, beforeEach } from 'vitest';
import type { Host } from '../../../sandbox/host/index.js';
import { TestControlPlane } from './control-plane.js';
import { hostWith } from './fixtures.js';

/** Before each test in scope: a host without a control plane, handed to `use`; closed after the test. */
export function eachTestWithHost(use: (host: Host) => void): void {
  let host: Host | undefined;
  beforeEach(() => {
    host = hostWith();
    use(host);
  });
  afterEach(async () => {
    await host?.close();
  });
}

/**
 * Before each test in scope: a real gRPC control plane and a host that routes to it, handed to `use`;
 * both closed after the test, and so is a plane `restartPlane()` brought back on the first one's port.
 */
export function eachTestWithPlane(use: (host: Host, plane: TestControlPlane) => void): {
  restartPlane(): Promise<TestControlPlane>;
} {
  let host: Host | undefined;
  let planes: TestControlPlane[] = [];
  beforeEach(async () => {
    planes = [await TestControlPlane.start()];
    host = hostWith(planes[0].port);
    use(host, planes[0]);
  });
  afterEach(async () => {
    await host?.close();
    for (const p of planes) await p.close();
  });
  return {
    async restartPlane() {
      const next = await TestControlPlane.startOn(planes[0].port);
      planes.push(next);
      return next;
    },
  };
}
