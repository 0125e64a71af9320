// `[general] trustproxy`: which peers' X-Forwarded-For / X-Forwarded-Proto are believed.
//
// From a trusted peer, the client is the rightmost X-Forwarded-For hop that is not itself a trusted
// proxy (every proxy appends the address it saw; only hops to the left of the first untrusted one
// could have been written by the client). When every hop is trusted, the leftmost is the client.
// A hop that is not an IP address makes the request a 400: guessing would hand a forged or
// mangled value to ACLs and limiters. From any other peer both headers are ignored.
// Caveat (documented): a client whose own address is in the trusted list can choose its address.
import { Acl, parseIp } from '../auth/acl.ts';
import { remoteAddress, type HttpResponse } from './uws.ts';

/**
 * The client address of a request from its response object and X-Forwarded-For header ('' when
 * absent): the TCP peer, or the forwarded client behind a trusted proxy; null for a malformed
 * header from a trusted proxy (answer 400). Read it before anything async (uWS `res` rule).
 */
export type ClientAddressOf = (res: HttpResponse, forwardedFor: string) => string | null;

/** The resolver for a server: the peer alone without trustproxy, else TrustedProxies.clientAddress. */
export function clientAddressResolver(trust: TrustedProxies | undefined): ClientAddressOf {
  if (trust === undefined) return (res) => remoteAddress(res);
  return (res, xff) => trust.clientAddress(remoteAddress(res), xff);
}

export class TrustedProxies {
  private readonly acl: Acl;

  /**
   * `spec`: comma-separated addresses or CIDRs (`127.0.0.1, 10.0.0.0/8, ::1`), parsed by the ACL
   * parser; throws AjamError CONF_ERR_VALUE naming `where` on a bad one.
   */
  constructor(spec: string, where = 'trustproxy') {
    const acl = new Acl();
    // Deny everything, then permit the listed networks: allows() is then "is a trusted proxy".
    acl.add(false, '0.0.0.0/0, ::/0');
    acl.add(true, spec, where);
    this.acl = acl;
  }

  trusts(address: string): boolean {
    return this.acl.allows(address);
  }

  /** The client address for a request from `peer` carrying `xff` ('' when absent); null: malformed. */
  clientAddress(peer: string, xff: string): string | null {
    if (xff === '' || !this.trusts(peer)) return peer;
    const hops = xff.split(',');
    let hop = '';
    for (let i = hops.length - 1; i >= 0; i--) {
      const addr = canonical(hops[i]!.trim());
      if (addr === null) return null;
      hop = addr;
      if (!this.trusts(hop)) return hop;
    }
    return hop;
  }

  /** Whether the original request was HTTPS, per the X-Forwarded-Proto of a trusted peer. */
  forwardedHttps(peer: string, proto: string): boolean {
    if (proto === '' || !this.trusts(peer)) return false;
    const comma = proto.indexOf(',');
    // Several proxies: the first value is what the client used.
    return (comma === -1 ? proto : proto.slice(0, comma)).trim().toLowerCase() === 'https';
  }
}

/** The address as the proxy names clients elsewhere (IPv4-mapped IPv6 as plain IPv4), or null. */
function canonical(text: string): string | null {
  const ip = parseIp(text);
  if (ip === undefined || text.includes('/')) return null;
  if (ip.v6) return text.replace(/^\[|\]$/g, '').toLowerCase();
  const n = ip.words[3];
  return `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
}
