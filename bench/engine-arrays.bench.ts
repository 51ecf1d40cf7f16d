// Unordered arrays by size: the per-element cost of comparing an unordered array whose candidate
// holds the same elements in another order, one of them changed. Up to PAIRWISE_MAX (32) elements
// json-diff.ts matches pairs of elements; past it, each element gets a canonical key. That switch was
// a cliff (issue 13: 4–5× per element at 33, the candidate's keys computed twice); the sizes around
// it show whether it still is.
//
// One op = the same number of elements at every size (SPAN = 256 × 33: 528 pairs of 16, 256 pairs of
// 33, 33 pairs of 256), so ratios read per element. Baseline = JSON.parse of both bodies of those pairs.
// Run with `npx tsx bench/run.ts engine` (with engine.bench.ts) or standalone.
import { fileURLToPath } from 'node:url';
import { comparePair } from '../control-plane/src/compare/index.js';
import type { PolicySpec } from '../control-plane/src/domain/types.js';
import type { CompletePair } from '../control-plane/src/pairing/pairer.js';
import { pairOf } from '../test/fixtures/halves.js';
import { printResults, runSuite, type BenchCase, type BenchSuite } from './run.js';

const SIZES = [16, 32, 33, 64, 256];
const SPAN = 256 * 33;
const spec: PolicySpec = { services: ['orders'], normalize: { unorderedArrays: ['items'] } };

function element(i: number): Record<string, unknown> {
  return {
    sku: `SKU-${i}`,
    name: `Item number ${i}`,
    quantity: 1 + (i % 4),
    price: 10 + (i % 37) / 4,
    tags: ['a', 'b'],
  };
}

/** A pair of n-element bodies: the candidate rotated by a third and its middle element's price changed. */
function arrayPair(n: number): CompletePair {
  const live = Array.from({ length: n }, (_, i) => element(i));
  const cand = live.map((_, i) => element((i + Math.floor(n / 3)) % n));
  cand[n >> 1] = { ...cand[n >> 1], price: 0 };
  return pairOf({ live: { json: { items: live } }, candidate: { json: { items: cand } } });
}

let sink = 0;
const pairs = new Map(SIZES.map((n) => [n, arrayPair(n)]));
const big = pairs.get(256)!;
const bigTexts = [big.live.body.toString('utf8'), big.candidate.body.toString('utf8')];

const sweep = (n: number): BenchCase => {
  const pair = pairs.get(n)!;
  const reps = SPAN / n;
  return {
    name: `unordered, ${n} elements (${reps} pairs)`,
    run() {
      for (let r = 0; r < reps; r++) sink += comparePair(pair, 'bench', spec).candidate.length;
    },
  };
};

const suite: BenchSuite = {
  name: `engine: unordered arrays by size (one op = ${SPAN} elements compared; ratio = per-element cost vs parsing)`,
  baseline: {
    name: `baseline: JSON.parse of both bodies (${SPAN / 256} pairs of 256)`,
    run() {
      for (let r = 0; r < SPAN / 256; r++)
        sink += JSON.parse(bigTexts[0]).items.length + JSON.parse(bigTexts[1]).items.length;
    },
  },
  cases: SIZES.map(sweep),
  batchMs: 100, // one op is milliseconds long
};

export default [suite];

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const results = await runSuite(suite);
  printResults(results);
  console.log('\n  ns per element (median):');
  for (const r of results.slice(1))
    console.log(`    ${r.name.padEnd(40)} ${(r.nsPerOp / SPAN).toFixed(1).padStart(8)}`);
  console.log(`  (sink ${sink > 0})`);
}
