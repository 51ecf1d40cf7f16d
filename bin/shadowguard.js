#!/usr/bin/env node
// The `shadowguard` CLI (cli/main.ts; docs/cli.md). Runs the built JavaScript from dist/ when
// `npm run build` made it, else the TypeScript through tsx (a checkout without a build).
import fs from 'node:fs';

const built = new URL('../dist/cli/main.js', import.meta.url);
let main;
if (fs.existsSync(built) && process.env.SHADOWGUARD_FROM_SOURCE !== '1') {
  ({ main } = await import(built.href));
} else {
  const { register } = await import('tsx/esm/api');
  register();
  ({ main } = await import('../cli/main.ts'));
}
await main();
