// Latency sketch: a fixed log-scale histogram. Buckets grow by 5 %, so any quantile is within ±2.5 %
// of the truth, memory is fixed (≤ 480 counters, stored sparse), two sketches merge by adding counts,
// and the state serializes as plain numbers — no dependency, no unbounded sample list.

const GAMMA = 1.05;
const LOG_GAMMA = Math.log(GAMMA);
const BUCKETS = 480; // GAMMA^479 ≈ 1.3e10 µs ≈ 3.6 h: anything slower lands in the last bucket

export class LatencySketch {
  private readonly counts = new Float64Array(BUCKETS);
  /** lowest non-empty bucket: quantiles scan from here (the latency verdict reads four per pair) */
  private lo = BUCKETS;
  count = 0;

  add(us: number): void {
    if (!(us >= 0)) return;
    const i = us < 1 ? 0 : Math.min(BUCKETS - 1, 1 + Math.floor(Math.log(us) / LOG_GAMMA));
    this.counts[i]++;
    this.count++;
    if (i < this.lo) this.lo = i;
  }

  quantile(q: number): number {
    if (this.count === 0) return 0;
    const rank = Math.max(1, Math.ceil(Math.min(1, Math.max(0, q)) * this.count));
    let seen = 0;
    for (let i = this.lo; i < BUCKETS; i++) {
      seen += this.counts[i];
      if (seen >= rank) return i === 0 ? 0 : Math.round(GAMMA ** (i - 0.5));
    }
    return Math.round(GAMMA ** (BUCKETS - 1));
  }

  merge(other: LatencySketch): void {
    for (let i = 0; i < BUCKETS; i++) this.counts[i] += other.counts[i];
    this.count += other.count;
    if (other.lo < this.lo) this.lo = other.lo;
  }

  toJSON(): Array<[number, number]> {
    const out: Array<[number, number]> = [];
    for (let i = 0; i < BUCKETS; i++) if (this.counts[i] !== 0) out.push([i, this.counts[i]]);
    return out;
  }

  static fromJSON(v: unknown): LatencySketch {
    const s = new LatencySketch();
    if (!Array.isArray(v)) throw new Error('LatencySketch.fromJSON: expected an array of [bucket, count]');
    for (const e of v) {
      if (!Array.isArray(e) || !Number.isInteger(e[0]) || e[0] < 0 || e[0] >= BUCKETS || !(e[1] >= 0)) {
        throw new Error('LatencySketch.fromJSON: bad bucket entry');
      }
      s.counts[e[0]] += e[1];
      s.count += e[1];
      if (e[1] > 0 && e[0] < s.lo) s.lo = e[0];
    }
    return s;
  }
}
