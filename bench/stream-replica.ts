// One control-plane replica of the stream bench's scale-out cases, in a process of its own
// (bench/stream.bench.ts forks one per replica), so replicas run on separate cores as in a
// deployment. It is a real start() of control-plane/src/main.ts with the configuration it is sent
// (the replicated mode: PostgreSQL store + Redis pairing), answers { ready: { httpUrl, grpcPort } },
// { cpuUs } (its CPU time since the last ask) on { cpu: true }, and closes on { stop: true }.
import { pino } from 'pino';
import type { ControlPlaneConfig } from '../control-plane/src/config.js';
import { start, type RunningControlPlane } from '../control-plane/src/main.js';

let cp: RunningControlPlane | undefined;
let cpu0 = process.cpuUsage();

process.on('message', (m: { config?: ControlPlaneConfig; cpu?: true; stop?: true }) => {
  if (m.config) {
    start(m.config, { logger: pino({ level: 'silent' }) }).then(
      (running) => {
        cp = running;
        cpu0 = process.cpuUsage();
        process.send?.({ ready: { httpUrl: running.httpUrl, grpcPort: running.grpcPort } });
      },
      (err: unknown) => {
        console.error('stream-replica: start failed', err);
        process.exit(1);
      },
    );
  } else if (m.cpu) {
    const c = process.cpuUsage(cpu0);
    cpu0 = process.cpuUsage();
    process.send?.({ cpuUs: c.user + c.system });
  } else if (m.stop) {
    void (cp?.close() ?? Promise.resolve()).finally(() => process.exit(0));
  }
});
// The bench's IPC channel closing (the bench died) ends this replica too: no server outlives a run.
process.on('disconnect', () => {
  void (cp?.close() ?? Promise.resolve()).finally(() => process.exit(0));
});
