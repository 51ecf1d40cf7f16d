#!/usr/bin/env node
// The `shadowguard` CLI (cli/main.ts; docs/cli.md). Runs the built JavaScript from dist/ when
// `npm run build` made it, else the TypeScript through tsx (a checkout without a build).
import fs from 'node:fs';

// `shadowguard … | head` closes the pipe early: that is the reader's choice, not an error.
process.stdout.on('error', (err) => {
  if (err.code === 'EPIPE') process.exit(0);
  throw err;
});

const built = new URL('../dist/cli/main.js', import.meta.url);
let run;
if (fs.existsSync(built)) {
  ({ run } = await import(built.href));
} else {
  const { register } = await import('tsx/esm/api');
  register();
  ({ run } = await import('../cli/main.ts'));
}
const code = await run(process.argv.slice(2), {
  out: (s) => process.stdout.write(`${s}\n`),
  err: (s) => process.stderr.write(`${s}\n`),
  env: process.env,
});
process.exitCode = code;
