// Ack/Nack bookkeeping for one node's configuration, as pure functions over an immutable value.
//
// Versions are opaque content hashes compared only for equality (as in go-control-plane), so "which
// one is newer" is never asked: what matters is the last version sent, the last one the node applied
// (acked) and the last one it rejected (nacked, with the filter's reason naming the offending field).
// A Nack never moves `acked`: the filter keeps running its last good configuration (docs/architecture.md,
// fail-safe rules), so that is what the control plane reports as current.

export interface ConfigState {
  /** last version pushed to the node */
  readonly sent?: string;
  /** last version the node reported as applied (Ack, or Hello.config_version at connect) */
  readonly acked?: string;
  /** last version the node rejected since its last in-sync Ack */
  readonly nacked?: { readonly version: string; readonly reason: string };
  readonly respondedAt?: number;
}

export type ConfigResponse = { kind: 'ack'; version: string } | { kind: 'nack'; version: string; reason: string };

export function initialConfigState(appliedVersion: string): ConfigState {
  return appliedVersion ? { acked: appliedVersion } : {};
}

export function applySent(state: ConfigState, version: string): ConfigState {
  return { ...state, sent: version };
}

export function applyResponse(state: ConfigState, response: ConfigResponse, now: number = Date.now()): ConfigState {
  if (response.kind === 'nack') {
    return { ...state, nacked: { version: response.version, reason: response.reason }, respondedAt: now };
  }
  // An Ack of the version last sent means the node caught up: an older rejection is history. An Ack
  // of an earlier version (a push still in flight) is recorded but keeps the rejection visible.
  const caughtUp = state.sent === undefined || response.version === state.sent;
  const next: ConfigState = { ...state, acked: response.version, respondedAt: now };
  if (caughtUp || state.nacked?.version === response.version) {
    const { nacked: _dropped, ...rest } = next;
    return rest;
  }
  return next;
}

export function inSync(state: ConfigState): boolean {
  return state.sent !== undefined && state.acked === state.sent;
}
