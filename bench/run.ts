// Benchmark runner: `npm run bench [-- <filter>]` imports every bench/*.bench.ts and runs each suite's
// cases side by side with its baseline in this one process, interleaving rounds so that drift (JIT,
// GC, CPU frequency) hits all of them alike, then prints the median time per operation and the ratio
// to the baseline (and the best batch, the least disturbed by other load). A bench file only has to `export default` an array of suites:
//
//   export default [{ name: 'host', baseline: { name: 'bare JS', run() {…} }, cases: [{ name: 'wasm', run() {…} }] }]
//
// Cases may define setup()/teardown() (async allowed) and a synchronous or async run(). A case whose
// op has parts that are not the figure (a steady-state measurement's warm-up and drain) sets
// `selfTimed`: its run() resolves to the op's nanoseconds, measured by the case, instead of being timed whole.

import { readdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export interface BenchCase {
  name: string;
  setup?(): unknown | Promise<unknown>;
  run(): unknown | Promise<unknown>;
  teardown?(): unknown | Promise<unknown>;
  /** run() resolves to the op's own time in ns (it leaves out warm-up and drain), instead of being timed whole */
  selfTimed?: boolean;
}
export interface BenchSuite {
  name: string;
  baseline: BenchCase;
  cases: BenchCase[];
  /** Interleaved measurement rounds (default 15). */
  rounds?: number;
  /** Target duration of one timed batch in ms (default 25). */
  batchMs?: number;
}
export interface BenchResult {
  suite: string;
  name: string;
  nsPerOp: number;
  bestNsPerOp: number;
  ratio: number;
  ops: number;
}

const here = dirname(fileURLToPath(import.meta.url));

async function timeBatch(c: BenchCase, n: number, isAsync: boolean): Promise<number> {
  if (c.selfTimed) {
    let ns = 0;
    for (let i = 0; i < n; i++) ns += (await c.run()) as number;
    return ns;
  }
  const t0 = process.hrtime.bigint();
  if (isAsync) for (let i = 0; i < n; i++) await c.run();
  else for (let i = 0; i < n; i++) c.run();
  return Number(process.hrtime.bigint() - t0);
}

async function calibrate(c: BenchCase, targetNs: number): Promise<{ n: number; isAsync: boolean }> {
  const first = c.run();
  const isAsync = first instanceof Promise;
  if (isAsync) await first; // one op at a time: an async op left running would overlap the warm-up's
  // Warm up (~100 ms) so the JIT has settled before the batch size is chosen.
  const warmEnd = process.hrtime.bigint() + 100_000_000n;
  // (a self-timed op is long, a warm-up and a drain of its own: one at a time)
  while (process.hrtime.bigint() < warmEnd) await timeBatch(c, c.selfTimed ? 1 : 16, isAsync);
  let n = 1;
  for (;;) {
    const ns = await timeBatch(c, n, isAsync);
    if (ns >= targetNs / 4 || n >= 1 << 24)
      return { n: Math.max(1, Math.round((n * targetNs) / Math.max(ns, 1))), isAsync };
    n *= 4;
  }
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
};

export async function runSuite(suite: BenchSuite): Promise<BenchResult[]> {
  const all = [suite.baseline, ...suite.cases];
  const ready: BenchCase[] = [];
  try {
    // Inside the try: when one setup fails, the cases already set up (servers, temp dirs) are torn down.
    for (const c of all) {
      ready.push(c);
      await c.setup?.();
    }
    const target = (suite.batchMs ?? 25) * 1e6;
    const plans = [];
    for (const c of all) plans.push({ c, ...(await calibrate(c, target)), samples: [] as number[], ops: 0 });
    for (let r = 0; r < (suite.rounds ?? 15); r++) {
      for (const p of plans) {
        const ns = await timeBatch(p.c, p.n, p.isAsync);
        if (r > 1) {
          p.samples.push(ns / p.n);
          p.ops += p.n;
        } // two warm-up rounds
      }
    }
    const base = median(plans[0].samples);
    return plans.map((p) => ({
      suite: suite.name,
      name: p.c.name,
      nsPerOp: median(p.samples),
      bestNsPerOp: Math.min(...p.samples),
      ratio: median(p.samples) / base,
      ops: p.ops,
    }));
  } finally {
    for (const c of ready) await c.teardown?.();
  }
}

const fmt = (ns: number): string =>
  ns >= 1e6 ? `${(ns / 1e6).toFixed(2)} ms` : ns >= 1e3 ? `${(ns / 1e3).toFixed(2)} µs` : `${ns.toFixed(0)} ns`;

export function printResults(results: BenchResult[]): void {
  const w = Math.max(...results.map((r) => r.name.length), 8);
  console.log(`\n${results[0].suite}`);
  console.log(
    `  ${'case'.padEnd(w)}  ${'median/op'.padStart(10)}  ${'ratio'.padStart(7)}  ${'best/op'.padStart(10)}  ${'ops'.padStart(9)}`,
  );
  for (const [i, r] of results.entries()) {
    console.log(
      `  ${r.name.padEnd(w)}  ${fmt(r.nsPerOp).padStart(10)}  ${(i === 0 ? 'base' : `${r.ratio.toFixed(2)}x`).padStart(7)}  ${fmt(r.bestNsPerOp).padStart(10)}  ${String(r.ops).padStart(9)}`,
    );
  }
}

async function main(): Promise<void> {
  const filter = process.argv[2];
  const files = (await readdir(here)).filter((f) => f.endsWith('.bench.ts') && (!filter || f.includes(filter))).sort();
  if (files.length === 0) {
    console.error(`no bench/*.bench.ts${filter ? ` matching "${filter}"` : ''}`);
    process.exitCode = 1;
    return;
  }
  console.log(`node ${process.version} ${process.platform}/${process.arch} — ${new Date().toISOString()}`);
  for (const f of files) {
    const mod = (await import(pathToFileURL(join(here, f)).href)) as {
      default?: BenchSuite[] | (() => Promise<BenchSuite[]>);
    };
    const suites = typeof mod.default === 'function' ? await mod.default() : (mod.default ?? []);
    for (const suite of suites) printResults(await runSuite(suite));
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  main().catch((err) => {
    console.error(err);
    process.exitCode = 1;
  });
}
