// Runs an entry point's main() for the bin/ scripts of a checkout: the built JavaScript under dist/
// when `npm run build` made it (the container image runs dist/bin/ directly), else the TypeScript
// sources through tsx's ESM loader (a checkout without a build: tests, development).
// SHADOWGUARD_FROM_SOURCE=1 forces the sources.
import fs from 'node:fs';

/** `entry` is the module path from the repository root without its extension, e.g. 'cli/main'. */
export async function runMain(entry) {
  const built = new URL(`../dist/${entry}.js`, import.meta.url);
  let main;
  if (fs.existsSync(built) && process.env.SHADOWGUARD_FROM_SOURCE !== '1') {
    ({ main } = await import(built.href));
  } else {
    const { register } = await import('tsx/esm/api');
    register();
    ({ main } = await import(new URL(`../${entry}.ts`, import.meta.url).href));
  }
  await main();
}
