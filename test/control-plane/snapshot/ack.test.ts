// Ack/Nack bookkeeping as a pure function: what a node runs, what it rejected and why.
import { describe, expect, it } from 'vitest';
import { applyResponse, applySent, inSync, initialConfigState } from '../../../control-plane/src/snapshot/ack.js';

describe('applyResponse', () => {
  it('starts from the version the Hello says is applied, or from nothing for a static config', () => {
    expect(initialConfigState('v0')).toEqual({ acked: 'v0' });
    expect(initialConfigState('')).toEqual({});
  });

  it('records an Ack of the version sent as in sync', () => {
    const s = applyResponse(applySent({}, 'v1'), { kind: 'ack', version: 'v1' }, 10);
    expect(s).toEqual({ sent: 'v1', acked: 'v1', respondedAt: 10 });
    expect(inSync(s)).toBe(true);
  });

  it('keeps the last acked version current on a Nack and records the reason', () => {
    const acked = applyResponse(applySent({}, 'v1'), { kind: 'ack', version: 'v1' }, 10);
    const s = applyResponse(applySent(acked, 'v2'), { kind: 'nack', version: 'v2', reason: 'role cannot change' }, 20);
    expect(s).toEqual({
      sent: 'v2',
      acked: 'v1',
      nacked: { version: 'v2', reason: 'role cannot change' },
      respondedAt: 20,
    });
    expect(inSync(s)).toBe(false);
  });

  it('clears a rejection once the node acks the version sent after it', () => {
    let s = applyResponse(applySent({ acked: 'v1' }, 'v2'), { kind: 'nack', version: 'v2', reason: 'bad' }, 1);
    s = applyResponse(applySent(s, 'v3'), { kind: 'ack', version: 'v3' }, 2);
    expect(s).toEqual({ sent: 'v3', acked: 'v3', respondedAt: 2 });
  });

  it('keeps a rejection visible when a late Ack is for an older version', () => {
    let s = applyResponse(applySent({ acked: 'v1' }, 'v2'), { kind: 'nack', version: 'v2', reason: 'bad' }, 1);
    s = applySent(s, 'v3');
    s = applyResponse(s, { kind: 'ack', version: 'v1' }, 2);
    expect(s).toEqual({ sent: 'v3', acked: 'v1', nacked: { version: 'v2', reason: 'bad' }, respondedAt: 2 });
  });

  it('never mutates the state it is given', () => {
    const before = Object.freeze(applySent({ acked: 'v1' }, 'v2'));
    applyResponse(before, { kind: 'nack', version: 'v2', reason: 'r' });
    applyResponse(before, { kind: 'ack', version: 'v2' });
    expect(before).toEqual({ acked: 'v1', sent: 'v2' });
  });
});
