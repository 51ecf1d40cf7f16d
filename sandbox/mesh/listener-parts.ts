// The parts of a listener every kind the sandbox mesh reads shares (bootstrap.ts for HTTP listeners,
// tcp-listener.ts for TCP ones): its TCP socket address, its traffic direction, and the filters of
// its one filter chain.

import type { Fields, Val } from './reader.js';

/** address.socket_address (only protocol TCP is implemented). */
export function readSocketAddress(f: Fields): { address: string; port: number } {
  const sa = f
    .req('address')
    .fields(['socket_address'])
    .req('socket_address')
    .fields(['address', 'port_value', 'protocol']);
  sa.opt('protocol')?.oneOf(['TCP'] as const);
  return { address: sa.req('address').str(), port: sa.req('port_value').uint(65535) };
}

/** traffic_direction as the listener_direction property's number (INBOUND 1, OUTBOUND 2). */
export function readDirection(f: Fields): 1 | 2 | undefined {
  const dir = f.opt('traffic_direction')?.oneOf(['UNSPECIFIED', 'INBOUND', 'OUTBOUND'] as const);
  return dir === 'INBOUND' ? 1 : dir === 'OUTBOUND' ? 2 : undefined;
}

/** The one filter chain (more are not implemented) and its network filters. */
export function readOneChain(f: Fields): { chain: Val; filters: Val[] } {
  const chains = f.req('filter_chains').list();
  if (chains.length !== 1) f.fail('filter_chains', 'exactly one filter chain is implemented by the sandbox mesh');
  return { chain: chains[0], filters: chains[0].fields(['filters']).req('filters').list() };
}
