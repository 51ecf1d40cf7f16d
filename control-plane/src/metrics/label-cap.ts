// Bounded label values. Prometheus keeps one time series per label set, so a label fed from traffic
// (endpoint templates, egress destinations, rule names reported by filters) must have a bounded set of
// values. A LabelCap gives the first `max` distinct values of each scope (a policy) their own label
// value and maps every later one to `other`. Membership is sticky for the life of the process, so a
// counter series never changes meaning: `other` is the sum of everything that arrived after the cap
// was reached, and it only grows. See docs/metrics.md ("Cardinality").

export const OTHER = 'other';

export class LabelCap {
  private readonly scopes = new Map<string, Set<string>>();

  constructor(
    readonly max: number,
    /** Bound on scopes too (policies come from the API, but a cap must not trust its caller). */
    private readonly maxScopes = 1000,
  ) {}

  /** The label value for `value` in `scope`: itself while the scope has room or already holds it, else `other`. */
  label(scope: string, value: string): string {
    let seen = this.scopes.get(scope);
    if (!seen) {
      if (this.scopes.size >= this.maxScopes) return OTHER;
      seen = new Set();
      this.scopes.set(scope, seen);
    }
    if (seen.has(value)) return value;
    if (seen.size >= this.max) return OTHER;
    seen.add(value);
    return value;
  }
}
