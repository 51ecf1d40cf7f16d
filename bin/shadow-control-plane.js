#!/usr/bin/env node
// The entry point of the control plane (`shadow-control-plane`). Runs the built JavaScript
// (dist/, made by `npm run build`; the container image runs dist/bin/ directly) when it exists, else
// the TypeScript sources through tsx's ESM loader (a checkout without a build: tests, development).
// main() parses argv and the SHADOWGUARD_* environment, listens, and shuts down cleanly on SIGTERM/SIGINT.
import fs from 'node:fs';

const built = new URL('../dist/control-plane/src/main.js', import.meta.url);
let main;
if (fs.existsSync(built) && process.env.SHADOWGUARD_FROM_SOURCE !== '1') {
  ({ main } = await import(built.href));
} else {
  const { register } = await import('tsx/esm/api');
  register();
  ({ main } = await import('../control-plane/src/main.ts'));
}
await main();
