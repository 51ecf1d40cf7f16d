// Engine throughput: pair → normalize → diff → aggregate on a corpus of realistic ~2 KiB JSON
// response pairs (volatile ids/timestamps/tokens on every pair, a business regression on some),
// side by side in one process with jsondiffpatch and microdiff diffing the same bodies (each baseline
// also parses both bodies, as the engine must). Goal: ≥ 20,000 pairs/s on one core.
//
// Shape for bench/run.ts: `export const cases: BenchCase[]` — each case runs one operation (one pair)
// per call of `fn`; `baseline: true` marks the comparison points. Standalone:
//   npx tsx bench/engine.bench.ts [--ms 2000]
import { create as createDiffPatcher } from 'jsondiffpatch';
import microdiff from 'microdiff';
import { comparePair } from '../control-plane/src/compare/index.js';
import type { Half, PolicySpec } from '../control-plane/src/domain/types.js';
import { Pairer } from '../control-plane/src/pairing/pairer.js';
import { ReportBook } from '../control-plane/src/reports/aggregate.js';
import { half, orderBody } from '../test/fixtures/halves.js';

export interface BenchCase { name: string; baseline?: boolean; fn: () => void }

const CORPUS = 512;
const spec: PolicySpec = {
  services: ['orders'],
  normalize: { ignorePaths: ['trace.span'], redactPaths: ['order.customer.email'], unorderedArrays: ['order.items.*.tags'] },
};
const specSecondary: PolicySpec = { ...spec, secondary: true };

interface Triple { live: Half; candidate: Half; secondary: Half; liveText: string; candText: string }
const corpus: Triple[] = [];
for (let i = 0; i < CORPUS; i++) {
  const orderId = 1000 + (i % 64);
  const path = `/orders/${orderId}`;
  const mk = (side: 'live' | 'candidate' | 'secondary', body: unknown) =>
    half(side, { pairId: `seed-${i}`, path, json: body, latencyUs: 8000 + (i % 50) * 100 });
  const live = mk('live', orderBody({ orderId, noiseSeed: 3 * i + 1 }));
  const candidate = mk('candidate', orderBody({ orderId, noiseSeed: 3 * i + 2, price: i % 10 === 0 ? (k) => k : undefined }));
  const secondary = mk('secondary', orderBody({ orderId, noiseSeed: 3 * i + 3 }));
  corpus.push({ live, candidate, secondary, liveText: live.body.toString('utf8'), candText: candidate.body.toString('utf8') });
}

let seq = 0;
const pairer = new Pairer({ maxPending: 10_000 });
const book = new ReportBook();
const pairer3 = new Pairer({ maxPending: 10_000 });
const book3 = new ReportBook();
const jdp = createDiffPatcher({ objectHash: (o: object, i?: number) => String((o as { sku?: string }).sku ?? i) });
let sink = 0;

function pipeline(): void {
  const t = corpus[seq % CORPUS];
  const id = 'b' + seq++;
  pairer.add({ ...t.live, pairId: id }, false);
  const pair = pairer.add({ ...t.candidate, pairId: id }, false);
  if (pair) book.add(comparePair(pair, 'bench', spec), spec);
}

function pipelineSecondary(): void {
  const t = corpus[seq % CORPUS];
  const id = 's' + seq++;
  pairer3.add({ ...t.live, pairId: id }, true);
  pairer3.add({ ...t.candidate, pairId: id }, true);
  const pair = pairer3.add({ ...t.secondary, pairId: id }, true);
  if (pair) book3.add(comparePair(pair, 'bench', specSecondary), specSecondary);
}

export const cases: BenchCase[] = [
  { name: 'shadowguard: pair → normalize → diff → aggregate', fn: pipeline },
  { name: 'shadowguard: same, three-way with a secondary', fn: pipelineSecondary },
  {
    name: 'shadowguard: comparePair only',
    fn: () => {
      const t = corpus[seq++ % CORPUS];
      sink += comparePair({ pairId: 'x', live: t.live, candidate: t.candidate }, 'bench', spec).candidate.length;
    },
  },
  {
    name: 'jsondiffpatch: parse + diff', baseline: true,
    fn: () => {
      const t = corpus[seq++ % CORPUS];
      sink += jdp.diff(JSON.parse(t.liveText), JSON.parse(t.candText)) ? 1 : 0;
    },
  },
  {
    name: 'microdiff: parse + diff', baseline: true,
    fn: () => {
      const t = corpus[seq++ % CORPUS];
      sink += microdiff(JSON.parse(t.liveText), JSON.parse(t.candText)).length;
    },
  },
  {
    name: 'JSON.parse of both bodies only (floor)', baseline: true,
    fn: () => {
      const t = corpus[seq++ % CORPUS];
      sink += (JSON.parse(t.liveText) ? 1 : 0) + (JSON.parse(t.candText) ? 1 : 0);
    },
  },
];

export function measure(c: BenchCase, ms: number): { name: string; opsPerSec: number; usPerOp: number } {
  const warm = performance.now() + Math.min(300, ms / 4);
  while (performance.now() < warm) for (let i = 0; i < 100; i++) c.fn();
  let ops = 0;
  const start = performance.now();
  let now = start;
  while (now - start < ms) {
    for (let i = 0; i < 200; i++) c.fn();
    ops += 200;
    now = performance.now();
  }
  const secs = (now - start) / 1000;
  return { name: c.name, opsPerSec: ops / secs, usPerOp: (secs * 1e6) / ops };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const i = process.argv.indexOf('--ms');
  const ms = i > 0 ? Number(process.argv[i + 1]) : 2000;
  console.log(`engine bench: ${CORPUS} pairs of ~${corpus[0].liveText.length} B JSON, ${ms} ms per case, node ${process.version}`);
  for (const c of cases) {
    const r = measure(c, ms);
    console.log(`  ${(c.baseline ? '(baseline) ' : '') + r.name.padEnd(c.baseline ? 41 : 52)} ${Math.round(r.opsPerSec).toLocaleString('en-US').padStart(10)} pairs/s  ${r.usPerOp.toFixed(1).padStart(7)} µs/pair`);
  }
  const s = book.summary('bench');
  console.log(`  report check: ${s?.pairs} pairs aggregated, match rate ${s?.matchRate.toFixed(1)} %, pairer ${JSON.stringify(pairer.stats())} (sink ${sink > 0})`);
}
