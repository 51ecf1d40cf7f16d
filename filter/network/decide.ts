// The connection-rule decision: ordered rules, first match, default from the section (deny unless
// told). What a network filter knows differs by time (Envoy context.cc findValue; the reference's
// property table): destination.address/port and TLS SNI (connection.requested_server_name, set by
// the tls_inspector listener filter) exist from accept; cluster_name only once tcp_proxy picked the
// cluster, after on_new_connection returned. A rule that matches by `host` (the Istio outbound
// cluster's FQDN, or the cluster name) is therefore UNDECIDED at accept and decided at the first byte.
import { Connections, ConnRule, F_CIDR, F_SLOW } from "../config/connections";
import { lowerHost } from "../glob";

export const DEFAULT_RULE: i32 = -1;
export const UNDECIDED: i32 = -2;

export class Destination {
  ip: u32 = 0;
  ipv4: bool = false;
  ipText: string = "";
  port: i32 = -1;
  sni: string = "";
  clusterHost: string = "";
  clusterKnown: bool = false;
}

// "outbound|5432||orders-db.shop.svc.cluster.local" → the FQDN; any other name as it is.
export function clusterHost(cluster: string): string {
  if (cluster.startsWith("outbound|")) {
    const i = cluster.lastIndexOf("|");
    return lowerHost(cluster.substring(i + 1));
  }
  return lowerHost(cluster);
}

// Port and CIDR from the flat arrays; the rest (exact IPv6, SNI, host) on the rule object.
export function decide(conns: Connections, d: Destination): i32 {
  const n = conns.rules.length;
  const ports = conns.ports, nets = conns.nets, masks = conns.masks, flags = conns.flags;
  const port = d.port, ip = d.ip, v4 = d.ipv4;
  for (let i = 0; i < n; i++) {
    const p = unchecked(ports[i]);
    if (p >= 0 && p != port) continue;
    const f = unchecked(flags[i]);
    if ((f & F_CIDR) != 0 && (!v4 || (ip & unchecked(masks[i])) != unchecked(nets[i]))) continue;
    if ((f & F_SLOW) == 0) return i;
    const m = slowMatch(unchecked(conns.rules[i]), d);
    if (m == 1) return i;
    if (m < 0) return UNDECIDED;
  }
  return DEFAULT_RULE;
}

// Exact IPv6, SNI, host: 1 match, 0 no match, -1 cannot tell yet (needs the cluster).
function slowMatch(r: ConnRule, d: Destination): i32 {
  if (r.ipExact.length > 0 && r.ipExact != d.ipText) return 0;
  const sni = r.sni;
  if (sni !== null && (d.sni.length == 0 || !sni.matches(d.sni, d.sni))) return 0;
  const host = r.host;
  if (host !== null) {
    if (!d.clusterKnown) return -1;
    if (!host.matches(d.clusterHost, d.clusterHost)) return 0;
  }
  return 1;
}
