// A control-plane stream server in its own process, for the SIGKILL delivery test: the real
// createStreamServer with a policy covering service 'shop'; it sends { port } over IPC once listening
// and writes the pair id of every half it hands to ingest as one stdout line. Writes to a pipe are
// synchronous on Linux, so a line is out before the Delivered that acknowledges it is sent.
import pino from 'pino';
import { NodeRegistry } from '../../../control-plane/src/nodes/registry.js';
import { SnapshotCache } from '../../../control-plane/src/snapshot/cache.js';
import { createStreamServer } from '../../../control-plane/src/stream/server.js';

const logger = pino({ level: 'silent' });
const policies = [
  {
    name: 'shop',
    version: 1,
    spec: { services: ['shop'], sampling: { defaultPercent: 100 } },
    updatedAt: '2025-01-01T00:00:00.000Z',
    updatedBy: 'test',
  },
];
const server = createStreamServer({
  logger,
  cache: new SnapshotCache({ logger, policies }),
  registry: new NodeRegistry(),
  handlers: {
    onHalf: (half) => {
      process.stdout.write(`${half.requestId}\n`); // the request id the test sent (pair ids add a unique suffix)
    },
    onEgress: () => {},
  },
});
const port = await server.listen(0, '127.0.0.1');
process.send?.({ port });
