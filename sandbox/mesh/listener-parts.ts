// The parts of a listener every kind the sandbox mesh reads shares (bootstrap.ts for HTTP listeners,
// tcp-listener.ts for TCP ones): its name, TCP socket address and traffic direction, and the filters
// of its one filter chain.

import type { Fields, Val } from './reader.js';

export interface ListenerHead {
  name: string;
  address: string;
  port: number;
  /** Listener.traffic_direction → xds.listener_direction (1 INBOUND, 2 OUTBOUND); undefined when unset. */
  direction: 1 | 2 | undefined;
}

/** Name, address.socket_address (only protocol TCP is implemented) and traffic_direction. */
export function readListenerHead(f: Fields): ListenerHead {
  const sa = f
    .req('address')
    .fields(['socket_address'])
    .req('socket_address')
    .fields(['address', 'port_value', 'protocol']);
  sa.opt('protocol')?.oneOf(['TCP'] as const);
  const dir = f.opt('traffic_direction')?.oneOf(['UNSPECIFIED', 'INBOUND', 'OUTBOUND'] as const);
  return {
    name: f.req('name').str(),
    address: sa.req('address').str(),
    port: sa.req('port_value').uint(65535),
    direction: dir === 'INBOUND' ? 1 : dir === 'OUTBOUND' ? 2 : undefined,
  };
}

/** The one filter chain (more are not implemented) and its network filters. */
export function readOneChain(f: Fields): { chain: Val; filters: Val[] } {
  const chains = f.req('filter_chains').list();
  if (chains.length !== 1) f.fail('filter_chains', 'exactly one filter chain is implemented by the sandbox mesh');
  return { chain: chains[0], filters: chains[0].fields(['filters']).req('filters').list() };
}
