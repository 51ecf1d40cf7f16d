// Where alert webhooks may go (issue 14, finding 7: SSRF). An editor writes the URL, the control plane
// makes the request from inside the cluster, so by default a webhook must be https, carry no
// credentials in the URL (finding 12: use the signing secret instead), and resolve to neither a
// loopback, link-local (cloud metadata lives at 169.254.169.254 / fd00:ec2::254) nor unspecified or
// multicast address. An operator may allow http, loopback or link-local, and allow or deny host globs.
// The same rules run when a policy is written (a clear 400) and at delivery, on every address DNS
// returns for the host, through the socket's own lookup, so a name cannot be rebound in between.

import dns from 'node:dns';
import net from 'node:net';

export interface TargetRules {
  allowHttp: boolean;
  allowLoopback: boolean;
  allowLinkLocal: boolean;
  /** Host globs ('hooks.slack.com', '*.example.com'); when not empty, only these hosts. */
  allowHosts: string[];
  /** Host globs refused whatever else is allowed. */
  denyHosts: string[];
}

export const DEFAULT_TARGET_RULES: TargetRules = {
  allowHttp: false,
  allowLoopback: false,
  allowLinkLocal: false,
  allowHosts: [],
  denyHosts: [],
};

const loopback = new net.BlockList();
loopback.addSubnet('127.0.0.0', 8, 'ipv4');
loopback.addAddress('::1', 'ipv6');
const linkLocal = new net.BlockList();
linkLocal.addSubnet('169.254.0.0', 16, 'ipv4');
linkLocal.addSubnet('fe80::', 10, 'ipv6');
linkLocal.addAddress('fd00:ec2::254', 'ipv6'); // AWS IMDS over IPv6
linkLocal.addAddress('100.100.100.200', 'ipv4'); // Alibaba Cloud metadata
const never = new net.BlockList();
never.addSubnet('0.0.0.0', 8, 'ipv4');
never.addAddress('::', 'ipv6');
never.addSubnet('224.0.0.0', 4, 'ipv4');
never.addSubnet('ff00::', 8, 'ipv6');

/** Why this resolved address may not receive webhooks, or undefined. */
export function addressProblem(address: string, rules: TargetRules): string | undefined {
  let ip = address.replace(/^\[|\]$/g, '');
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  if (mapped) ip = mapped[1];
  const family = net.isIPv4(ip) ? 'ipv4' : net.isIPv6(ip) ? 'ipv6' : undefined;
  if (!family) return `'${address}' is not an IP address`;
  if (never.check(ip, family)) return `${ip} is an unspecified or multicast address`;
  if (!rules.allowLoopback && loopback.check(ip, family))
    return `${ip} is a loopback address (allow it with webhook.allowLoopback)`;
  if (!rules.allowLinkLocal && linkLocal.check(ip, family))
    return `${ip} is a link-local or cloud metadata address (allow it with webhook.allowLinkLocal)`;
  return undefined;
}

function globMatch(glob: string, host: string): boolean {
  const g = glob.toLowerCase();
  if (g.startsWith('*.')) return host.endsWith(g.slice(1)) && host.length > g.length - 1;
  return g === host;
}

/**
 * Why this URL may not receive webhooks (static checks: scheme, credentials, host lists, literal IPs),
 * or undefined. Messages never repeat the URL: its path and query are often the secret.
 */
export function urlProblem(raw: string, rules: TargetRules): string | undefined {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return 'is not a valid URL';
  }
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && rules.allowHttp))
    return url.protocol === 'http:'
      ? 'must use https (allow http with webhook.allowHttp)'
      : `must use https, not ${url.protocol.replace(':', '')}`;
  if (url.username || url.password)
    return 'must not carry credentials (user:password@); the control plane signs each delivery with its webhook secret instead';
  const host = url.hostname.replace(/^\[|\]$/g, '').toLowerCase();
  if (rules.denyHosts.some((g) => globMatch(g, host))) return `host ${host} is on the webhook deny list`;
  if (rules.allowHosts.length > 0 && !rules.allowHosts.some((g) => globMatch(g, host)))
    return `host ${host} is not on the webhook allow list`;
  if (net.isIP(host)) return addressProblem(host, rules);
  if (host === 'localhost' || host.endsWith('.localhost')) return addressProblem('127.0.0.1', rules);
  return undefined;
}

/** A socket lookup (net.connect's `lookup` option) that refuses every disallowed address DNS returns. */
export function guardedLookup(rules: TargetRules): net.LookupFunction {
  return (hostname, options, callback) => {
    dns.lookup(hostname, { ...options, all: true }, (err, addresses) => {
      if (err) return callback(err, '', 4);
      const list = addresses as dns.LookupAddress[];
      for (const a of list) {
        const problem = addressProblem(a.address, rules);
        if (problem)
          return callback(Object.assign(new Error(`webhook host resolves to ${problem}`), { code: 'EREFUSED' }), '', 4);
      }
      if ((options as { all?: boolean }).all)
        return (callback as unknown as (e: null, a: dns.LookupAddress[]) => void)(null, list);
      callback(null, list[0].address, list[0].family);
    });
  };
}
