// Engine throughput: pair → normalize → diff → aggregate on a corpus of realistic ~2 KiB JSON
// response pairs (volatile ids/timestamps/tokens on every pair, a price regression on one in ten),
// beside jsondiffpatch and microdiff diffing the same bodies (each also parses both bodies, as the
// engine must). One op = one pair. Goal: ≥ 20,000 pairs/s on one core (≤ 50 µs/pair).
//
// Baseline = JSON.parse of both bodies: the floor any JSON comparison pays, and the most stable
// number here (no allocation-heavy diff), so a case's ratio reads "costs N× merely parsing the pair".
// jsondiffpatch and microdiff are cases, so the engine's standing against them is their ratio quotient.
//
// Run with the runner (`npx tsx bench/run.ts engine`) or standalone (`npx tsx bench/engine.bench.ts`),
// which also prints pairs/s and a check that the report book really aggregated the pairs.
import { fileURLToPath } from 'node:url';
import { create as createDiffPatcher } from 'jsondiffpatch';
import microdiff from 'microdiff';
import { comparePair } from '../control-plane/src/compare/index.js';
import type { Half, PolicySpec } from '../control-plane/src/domain/types.js';
import { Pairer } from '../control-plane/src/pairing/pairer.js';
import { ReportBook } from '../control-plane/src/reports/aggregate.js';
import { half, orderBody } from '../test/fixtures/halves.js';
import { printResults, runSuite, type BenchSuite } from './run.js';

const CORPUS = 512;
const spec: PolicySpec = {
  services: ['orders'],
  normalize: {
    ignorePaths: ['trace.span'],
    redactPaths: ['order.customer.email'],
    unorderedArrays: ['order.items.*.tags'],
  },
};
const specSecondary: PolicySpec = { ...spec, secondary: true };

interface Triple {
  live: Half;
  candidate: Half;
  secondary: Half;
  liveText: string;
  candText: string;
}
const corpus: Triple[] = [];
for (let i = 0; i < CORPUS; i++) {
  const orderId = 1000 + (i % 64);
  const path = `/orders/${orderId}`;
  const mk = (side: 'live' | 'candidate' | 'secondary', body: unknown) =>
    half(side, { pairId: `seed-${i}`, path, json: body, latencyUs: 8000 + (i % 50) * 100 });
  const live = mk('live', orderBody({ orderId, noiseSeed: 3 * i + 1 }));
  const candidate = mk(
    'candidate',
    orderBody({ orderId, noiseSeed: 3 * i + 2, price: i % 10 === 0 ? (k) => k : undefined }),
  );
  const secondary = mk('secondary', orderBody({ orderId, noiseSeed: 3 * i + 3 }));
  corpus.push({
    live,
    candidate,
    secondary,
    liveText: live.body.toString('utf8'),
    candText: candidate.body.toString('utf8'),
  });
}

let seq = 0;
let sink = 0;
const pairer = new Pairer({ maxPending: 10_000 });
const book = new ReportBook();
const pairer3 = new Pairer({ maxPending: 10_000 });
const book3 = new ReportBook();
const jdp = createDiffPatcher({ objectHash: (o: object, i?: number) => String((o as { sku?: string }).sku ?? i) });

const suite: BenchSuite = {
  name: `engine: pair → normalize → diff → aggregate (one op = one pair of ~${corpus[0].liveText.length} B JSON bodies)`,
  baseline: {
    name: 'baseline: JSON.parse of both bodies (floor)',
    run() {
      const t = corpus[seq++ % CORPUS];
      sink += (JSON.parse(t.liveText) ? 1 : 0) + (JSON.parse(t.candText) ? 1 : 0);
    },
  },
  cases: [
    {
      name: 'shadowguard full pipeline (2-way)',
      run() {
        const t = corpus[seq % CORPUS];
        const id = 'b' + seq++;
        pairer.add({ ...t.live, pairId: id }, false);
        const pair = pairer.add({ ...t.candidate, pairId: id }, false);
        if (pair) book.add(comparePair(pair, 'bench', spec), spec);
      },
    },
    {
      name: '3-way with secondary',
      run() {
        const t = corpus[seq % CORPUS];
        const id = 's' + seq++;
        pairer3.add({ ...t.live, pairId: id }, true);
        pairer3.add({ ...t.candidate, pairId: id }, true);
        const pair = pairer3.add({ ...t.secondary, pairId: id }, true);
        if (pair) book3.add(comparePair(pair, 'bench', specSecondary), specSecondary);
      },
    },
    {
      name: 'comparePair only',
      run() {
        const t = corpus[seq++ % CORPUS];
        sink += comparePair({ pairId: 'x', live: t.live, candidate: t.candidate }, 'bench', spec).candidate.length;
      },
    },
    {
      name: 'jsondiffpatch parse+diff',
      run() {
        const t = corpus[seq++ % CORPUS];
        sink += jdp.diff(JSON.parse(t.liveText), JSON.parse(t.candText)) ? 1 : 0;
      },
    },
    {
      name: 'microdiff parse+diff',
      run() {
        const t = corpus[seq++ % CORPUS];
        sink += microdiff(JSON.parse(t.liveText), JSON.parse(t.candText)).length;
      },
    },
  ],
};

export default [suite];

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const results = await runSuite(suite);
  printResults(results);
  console.log('\n  pairs/s (median · best batch):');
  for (const r of results)
    console.log(
      `    ${r.name.padEnd(44)} ${Math.round(1e9 / r.nsPerOp)
        .toLocaleString('en-US')
        .padStart(9)} · ${Math.round(1e9 / r.bestNsPerOp).toLocaleString('en-US')}`,
    );
  const s = book.summary('bench');
  console.log(
    `  report check: ${s?.pairs} pairs aggregated, match rate ${s?.matchRate.toFixed(1)} %, pairer ${JSON.stringify(pairer.stats())} (sink ${sink > 0})`,
  );
}
