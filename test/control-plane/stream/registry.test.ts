// The node registry as the API reads it.
import { describe, expect, it } from 'vitest';
import { NodeRegistry, nodeKey } from '../../../control-plane/src/nodes/registry.js';
import { hello } from './fixtures.js';

describe('NodeRegistry', () => {
  it('keys a node by node id and worker, and lists copies sorted by key', () => {
    let t = 1000;
    const r = new NodeRegistry({ now: () => t });
    const b = r.connect(hello({ nodeId: 'b' }), '10.0.0.2:1');
    r.connect(hello({ nodeId: 'a', worker: 1, role: 'shadow', variant: 'secondary' }));
    t = 2000;
    b.countHalf();
    b.countEvent();
    b.reportStats({ halvesSent: 5, halvesDropped: 1, eventsSent: 5, eventsDropped: 1, reconnects: 0 });
    const list = r.list();
    expect(list.map((n) => n.key)).toEqual(['a#1', 'b#0']);
    expect(list[1]).toMatchObject({ peer: '10.0.0.2:1', halvesReceived: 1, eventsReceived: 1, dropsReported: 2,
      connectedAt: 1000, lastSeen: 2000, connected: true });
    expect(list[0].variant).toBe('secondary');
    list[1].halvesReceived = 99;
    expect(r.get('b#0')?.halvesReceived).toBe(1);
    expect(nodeKey({ nodeId: 'x', worker: 2 })).toBe('x#2');
  });

  it('does not let a stale stream touch the entry of its reconnected node', () => {
    const r = new NodeRegistry();
    const old = r.connect(hello());
    const fresh = r.connect(hello());
    old.countHalf();
    old.disconnect();
    expect(r.get('node-1#0')).toMatchObject({ connected: true, halvesReceived: 0 });
    fresh.disconnect();
    expect(r.get('node-1#0')?.connected).toBe(false);
  });

  it('prunes nodes disconnected for longer than asked, and bounds its size', () => {
    let t = 0;
    const r = new NodeRegistry({ now: () => t, maxNodes: 2 });
    r.connect(hello({ nodeId: 'gone' })).disconnect();
    r.connect(hello({ nodeId: 'x' }));
    r.connect(hello({ nodeId: 'y' }));
    expect(r.list().map((n) => n.nodeId)).toEqual(['x', 'y']); // the disconnected one went first
    const z = r.connect(hello({ nodeId: 'z' }));
    expect(r.list().map((n) => n.nodeId)).toEqual(['y', 'z']);
    z.disconnect();
    t = 5000;
    expect(r.prune(1000)).toBe(1);
    expect(r.list().map((n) => n.nodeId)).toEqual(['y']);
  });
});
