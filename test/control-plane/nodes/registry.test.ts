// The node registry as the API reads it.
import { describe, expect, it } from 'vitest';
import { NodeRegistry, nodeKey } from '../../../control-plane/src/nodes/registry.js';
import { hello } from '../stream/fixtures.js';

describe('NodeRegistry', () => {
  it('keys a node by node id, plugin and worker, and lists copies sorted by key', () => {
    let t = 1000;
    const r = new NodeRegistry({ now: () => t });
    const b = r.connect(hello({ nodeId: 'b' }), '10.0.0.2:1');
    r.connect(hello({ nodeId: 'a', worker: 1, role: 'shadow', variant: 'secondary' }));
    t = 2000;
    b.countHalf();
    b.countEvent();
    b.reportStats({ halvesSent: 5, halvesDropped: 1, eventsSent: 5, eventsDropped: 1, reconnects: 0 });
    const list = r.list();
    expect(list.map((n) => n.key)).toEqual(['a/shadowguard#1', 'b/shadowguard#0']);
    expect(list[1]).toMatchObject({
      peer: '10.0.0.2:1',
      halvesReceived: 1,
      eventsReceived: 1,
      dropsReported: 2,
      connectedAt: 1000,
      lastSeen: 2000,
      connected: true,
    });
    expect(list[0].variant).toBe('secondary');
    list[1].halvesReceived = 99;
    expect(r.get('b/shadowguard#0')?.halvesReceived).toBe(1);
    expect(nodeKey({ nodeId: 'x', plugin: 'p', worker: 2 })).toBe('x/p#2');
    expect(nodeKey({ nodeId: 'x', plugin: '', worker: 2 })).toBe('x/#2'); // a filter older than Hello.plugin
  });

  it('gives each plugin of one proxy its own entry, even with the same worker number', () => {
    const r = new NodeRegistry();
    // One Envoy, five Shadowguard plugins: worker numbers repeat across vm_ids.
    const plugins = ['edge', 'candidate-inbound', 'candidate-egress', 'secondary-inbound', 'secondary-egress'];
    const handles = plugins.map((p, i) =>
      r.connect(hello({ nodeId: 'envoy-1', plugin: `shadowguard-${p}`, worker: i % 2 })),
    );
    handles[1].applyResponse({ kind: 'nack', version: 'v2', reason: 'egress.rules[0]: bad' });
    handles[2].countHalf();
    expect(r.list()).toHaveLength(5);
    expect(
      r
        .list()
        .map((n) => n.plugin)
        .sort(),
    ).toEqual(plugins.map((p) => `shadowguard-${p}`).sort());
    const byPlugin = Object.fromEntries(r.list().map((n) => [n.plugin, n]));
    expect(byPlugin['shadowguard-candidate-inbound'].config.nacked?.reason).toBe('egress.rules[0]: bad');
    expect(byPlugin['shadowguard-secondary-inbound'].config.nacked).toBeUndefined();
    expect(byPlugin['shadowguard-candidate-egress'].halvesReceived).toBe(1);
    expect(byPlugin['shadowguard-edge'].halvesReceived).toBe(0);
  });

  it('never lets separators inside names make two nodes share a key', () => {
    const a = nodeKey({ nodeId: 'a/b', plugin: 'c', worker: 0 });
    const b = nodeKey({ nodeId: 'a', plugin: 'b/c', worker: 0 });
    const c = nodeKey({ nodeId: 'a', plugin: 'b#0', worker: 0 });
    const d = nodeKey({ nodeId: 'a', plugin: 'b', worker: 0 });
    expect(new Set([a, b, c, d]).size).toBe(4);
    expect(
      nodeKey({ nodeId: 'sidecar~10.0.0.1~shop.ns~ns.svc.cluster.local', plugin: 'ns.shadowguard', worker: 3 }),
    ).toBe('sidecar~10.0.0.1~shop.ns~ns.svc.cluster.local/ns.shadowguard#3');
  });

  it('does not let a stale stream touch the entry of its reconnected node', () => {
    const r = new NodeRegistry();
    const old = r.connect(hello());
    const fresh = r.connect(hello());
    old.countHalf();
    old.disconnect();
    expect(r.get('node-1/shadowguard#0')).toMatchObject({ connected: true, halvesReceived: 0 });
    fresh.disconnect();
    expect(r.get('node-1/shadowguard#0')?.connected).toBe(false);
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
