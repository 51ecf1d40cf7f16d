// What a pending half really retains, beside what the pairer counts for it (test/fixtures/pending-memory.ts
// measures; this prints three runs).
//
//   npx tsx bench/pairing-memory.ts [bodyBytes=2030] [halves=4000]
import { measurePendingHalves } from '../test/fixtures/pending-memory.js';

const bytes = Number(process.argv[2] ?? 2030);
const n = Number(process.argv[3] ?? 4000);
for (let r = 0; r < 3; r++) {
  const m = measurePendingHalves(bytes, n);
  console.log(
    `${m.halves} pending halves, ~${m.bodyBytes} B JSON bodies: accounted ${m.accountedPerHalf.toFixed(0)} B/half, retained ${m.retainedPerHalf.toFixed(0)} B/half (accounted/retained ${(m.accountedPerHalf / m.retainedPerHalf).toFixed(2)})`,
  );
}
