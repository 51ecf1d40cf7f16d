// proxy_get_property / proxy_set_property with Envoy's serialization (strings raw, integers 8-byte
// little-endian, bools 1 byte, maps in the pairs format, messages as protobuf) and windows
// (header-derived request.* only where the headers are reachable).
import protobuf from 'protobufjs';
import { afterEach, describe, expect, it } from 'vitest';
import { encodePairs, Host, type Plugin } from '../../sandbox/host/index.js';
import { probe } from './fixtures/probes.js';
import { GET } from './fixtures/streams.js';

let host: Host;
afterEach(async () => {
  await host?.close();
});
const hex = (s: string | Buffer): string => Buffer.from(s).toString('hex');
const int64 = (n: number): string => {
  const b = Buffer.alloc(8);
  b.writeBigInt64LE(BigInt(n));
  return b.toString('hex');
};

const load = async (): Promise<Plugin> => {
  host = new Host();
  return host.loadPlugin({
    wasm: await probe('properties'),
    name: 'probe-plugin',
    rootId: 'root-a',
    vmId: 'vm-a',
    properties: {
      'xds.listener_direction': 2,
      'xds.node': { id: 'node-1', cluster: 'shadow', metadata: { ROLE: 'edge', REPLICAS: 3 } },
    },
  });
};
const logs = (p: Plugin, prefix: string): string[] =>
  p
    .logEntries()
    .filter((e) => e.worker === 0 && e.message.startsWith(prefix))
    .map((e) => e.message.slice(prefix.length + 1));

describe('properties', () => {
  it('serves plugin-wide properties on the root context, and no stream ones', async () => {
    const plugin = await load();
    expect(logs(plugin, 'root')).toEqual([
      `plugin_name 0 ${hex('probe-plugin')}`,
      `plugin_root_id 0 ${hex('root-a')}`,
      `plugin_vm_id 0 ${hex('vm-a')}`,
      `xds/listener_direction 0 ${int64(2)}`,
      `xds/node/id 0 ${hex('node-1')}`,
      `xds/node/metadata/ROLE 0 ${hex('edge')}`,
      'request/path 1 ',
      'set=1', // no stream info on a root context: NotFound
    ]);
  });

  it('serializes stream properties as Envoy does', async () => {
    const plugin = await load();
    const paths = [
      'request/path',
      'request/url_path',
      'request/query',
      'request/method',
      'request/headers/x-multi',
      'request/id',
      'source/address',
      'source/port',
      'destination/port',
      'connection/mtls',
      'nothing/here',
      'xds/listener_direction',
    ];
    const s = plugin.newStream({ properties: { 'source.address': '10.0.0.1:1234' } });
    s.sendRequestHeaders([
      [':method', 'GET'],
      [':path', '/a/b?q=1'],
      [':authority', 'a'],
      ['x-multi', '1'],
      ['x-multi', '2'],
      ['x-request-id', 'r1'],
      ['x-props', paths.join(',')],
    ]);
    expect(logs(plugin, 'req')).toEqual([
      `request/path 0 ${hex('/a/b?q=1')}`,
      `request/url_path 0 ${hex('/a/b')}`,
      `request/query 0 ${hex('q=1')}`,
      `request/method 0 ${hex('GET')}`,
      `request/headers/x-multi 0 ${hex('1,2')}`, // repeated values comma-joined
      `request/id 0 ${hex('r1')}`,
      `source/address 0 ${hex('10.0.0.1:1234')}`,
      `source/port 0 ${int64(1234)}`,
      `destination/port 0 ${int64(10000)}`,
      'connection/mtls 0 00',
      'nothing/here 1 ',
      `xds/listener_direction 0 ${int64(2)}`,
    ]);
  });

  it('serializes maps as pairs and messages as protobuf', async () => {
    const plugin = await load();
    const s = plugin.newStream();
    s.sendRequestHeaders([...GET, ['x-props', 'request/headers,xds/node']]);
    const [headers, node] = logs(plugin, 'req');
    expect(headers).toBe(
      `request/headers 0 ${encodePairs([
        [':method', 'GET'],
        [':path', '/'],
        [':authority', 'a'],
        ['x-props', 'request/headers,xds/node'],
      ]).toString('hex')}`,
    );
    const root = protobuf.Root.fromJSON(protobuf.common.get('google/protobuf/struct.proto')!);
    root.addJSON({
      Node: {
        fields: {
          id: { type: 'string', id: 1 },
          cluster: { type: 'string', id: 2 },
          metadata: { type: 'google.protobuf.Struct', id: 3 },
        },
      },
    });
    const decoded = root
      .lookupType('Node')
      .toObject(root.lookupType('Node').decode(Buffer.from(node.split(' ')[2], 'hex')));
    expect(decoded).toEqual({
      id: 'node-1',
      cluster: 'shadow',
      metadata: { fields: { ROLE: { stringValue: 'edge' }, REPLICAS: { numberValue: 3 } } },
    });
  });

  it('hides header-derived request properties outside the windows (envoy#24194) but not in on_log', async () => {
    const plugin = await load();
    const s = plugin.newStream();
    s.sendRequestHeaders([
      [':method', 'GET'],
      [':path', '/p'],
      [':authority', 'a'],
      ['x-props', 'request/path'],
    ]);
    s.sendResponseHeaders([[':status', '200']], true);
    expect(logs(plugin, 'resp')).toEqual([
      'request/path 1 ',
      `response/code 0 ${int64(200)}`,
      `probe.key 0 ${hex('v1')}`, // unknown names fall back to filter state wasm.<name>
    ]);
    expect(logs(plugin, 'onlog')).toEqual([
      `request/path 0 ${hex('/p')}`,
      `response/code 0 ${int64(200)}`,
      `response/code_details 0 ${hex('via_upstream')}`,
    ]);
    expect(logs(plugin, 'set')).toEqual(['0']);
    expect(s.filterState.get('wasm.probe.key')?.toString()).toBe('v1');
    expect(s.filterState.get('probe.key')?.toString()).toBe('v1');
  });
});
