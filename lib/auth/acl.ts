// permit/deny lists with Asterisk's ast_apply_ha semantics: start from "allow", walk the rules in
// the order written, and let every rule whose network holds the address set the answer.
//   deny = 0.0.0.0/0.0.0.0
//   permit = 127.0.0.1/255.255.255.0      → only 127.0.0.x (IPv4) may log in
// An IPv4 rule never matches an IPv6 client and the other way round, as in Asterisk; IPv4-mapped
// IPv6 addresses (`::ffff:127.0.0.1`, what a dual-stack socket reports) count as IPv4, on either
// side.
import { AjamError, ErrorCodes } from '../errors.ts';

/** An address as four 32-bit words (IPv4 uses words[3] only). */
export interface IpAddress {
  v6: boolean;
  words: [number, number, number, number];
}

export interface AclRule {
  permit: boolean;
  v6: boolean;
  /** Network address, already masked. */
  net: [number, number, number, number];
  mask: [number, number, number, number];
  /** As written, for messages and listings. */
  text: string;
}

export class Acl {
  readonly rules: AclRule[] = [];

  /**
   * Adds `permit` or `deny` rules from one value: a comma-separated list of `addr[/mask]`, the
   * mask dotted (`255.255.255.0`) or a prefix length (`/24`, `/64`); a leading `!` inverts the
   * rule. Throws AjamError CONF_ERR_VALUE naming `where` on a bad address.
   */
  add(permit: boolean, value: string, where = ''): void {
    const prefix = where === '' ? '' : `${where}: `;
    for (const raw of value.split(',')) {
      let spec = raw.trim();
      if (spec === '') throw new AjamError(ErrorCodes.CONF_ERR_VALUE, `${prefix}empty address in '${value.trim()}'`);
      let sense = permit;
      if (spec.startsWith('!')) {
        sense = !sense;
        spec = spec.slice(1).trim();
      }
      this.rules.push(parseRule(sense, spec, raw.trim(), prefix));
    }
  }

  /** True when the address may log in. No rules: everyone. An unparsable address: nobody (if any rule). */
  allows(address: string): boolean {
    if (this.rules.length === 0) return true;
    const addr = parseIp(address);
    if (addr === undefined) return false;
    let allowed = true;
    for (const rule of this.rules) {
      if (rule.v6 !== addr.v6) continue;
      const w = addr.words;
      if (
        ((w[0] & rule.mask[0]) >>> 0) === rule.net[0] &&
        ((w[1] & rule.mask[1]) >>> 0) === rule.net[1] &&
        ((w[2] & rule.mask[2]) >>> 0) === rule.net[2] &&
        ((w[3] & rule.mask[3]) >>> 0) === rule.net[3]
      ) {
        allowed = rule.permit;
      }
    }
    return allowed;
  }
}

/**
 * An allow-list: `any` (everyone), `none` (nobody) or addresses as in `permit`, everyone else
 * denied. `where` names the setting in error messages (e.g. `ajam-proxy.conf:4: metricspermit`).
 */
export function allowList(text: string, where = ''): Acl {
  const acl = new Acl();
  const v = text.trim().toLowerCase();
  if (v === 'any') return acl;
  acl.add(false, '0.0.0.0/0, ::/0');
  if (v !== 'none') acl.add(true, text, where);
  return acl;
}

function parseRule(permit: boolean, spec: string, text: string, prefix: string): AclRule {
  const slash = spec.indexOf('/');
  const addrText = slash === -1 ? spec : spec.slice(0, slash).trim();
  const maskText = slash === -1 ? undefined : spec.slice(slash + 1).trim();
  const addr = parseIp(addrText);
  if (addr === undefined) {
    throw new AjamError(ErrorCodes.CONF_ERR_VALUE, `${prefix}invalid IP address '${addrText}' in '${text}'`);
  }
  let mask: [number, number, number, number];
  if (maskText === undefined) {
    mask = prefixMask(addr.v6 ? 128 : 32, addr.v6);
  } else if (/^[0-9]+$/.test(maskText)) {
    let bits = Number(maskText);
    // `::ffff:10.0.0.0/104` is written in IPv6 bits but is an IPv4 rule (the address is mapped).
    if (addr.mapped && bits > 32) {
      if (bits < 96 || bits > 128) {
        throw new AjamError(ErrorCodes.CONF_ERR_VALUE, `${prefix}prefix length /${maskText} does not fit an IPv4-mapped address in '${text}'`);
      }
      bits -= 96;
    }
    if (bits > (addr.v6 ? 128 : 32)) {
      throw new AjamError(ErrorCodes.CONF_ERR_VALUE, `${prefix}prefix length /${maskText} too long in '${text}'`);
    }
    mask = prefixMask(bits, addr.v6);
  } else {
    const m = parseIp(maskText);
    if (m === undefined || m.v6 !== addr.v6) {
      throw new AjamError(ErrorCodes.CONF_ERR_VALUE, `${prefix}invalid netmask '${maskText}' in '${text}'`);
    }
    mask = m.words;
  }
  const w = addr.words;
  return {
    permit,
    v6: addr.v6,
    net: [(w[0] & mask[0]) >>> 0, (w[1] & mask[1]) >>> 0, (w[2] & mask[2]) >>> 0, (w[3] & mask[3]) >>> 0],
    mask,
    text,
  };
}

function prefixMask(bits: number, v6: boolean): [number, number, number, number] {
  const out: [number, number, number, number] = [0, 0, 0, 0];
  if (!v6) {
    out[3] = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
    return out;
  }
  for (let i = 0; i < 4; i++) {
    const b = Math.max(0, Math.min(32, bits - i * 32));
    out[i] = b === 0 ? 0 : (0xffffffff << (32 - b)) >>> 0;
  }
  return out;
}

/**
 * Parses an IPv4 or IPv6 address (`::`, embedded IPv4 tails, `%zone`, `[brackets]`). An
 * IPv4-mapped IPv6 address is returned as IPv4 with `mapped` set.
 */
export function parseIp(text: string): (IpAddress & { mapped: boolean }) | undefined {
  let s = text.trim();
  if (s.startsWith('[') && s.endsWith(']')) s = s.slice(1, -1);
  const zone = s.indexOf('%');
  if (zone !== -1) s = s.slice(0, zone);
  if (s.includes(':')) {
    const v6 = parseIpv6(s);
    if (v6 === undefined) return undefined;
    if (v6[0] === 0 && v6[1] === 0 && v6[2] === 0xffff) {
      return { v6: false, mapped: true, words: [0, 0, 0, v6[3]] };
    }
    return { v6: true, mapped: false, words: v6 };
  }
  const v4 = parseIpv4(s);
  return v4 === undefined ? undefined : { v6: false, mapped: false, words: [0, 0, 0, v4] };
}

function parseIpv4(s: string): number | undefined {
  const parts = s.split('.');
  if (parts.length !== 4) return undefined;
  let n = 0;
  for (const p of parts) {
    if (!/^[0-9]{1,3}$/.test(p)) return undefined;
    const v = Number(p);
    if (v > 255) return undefined;
    n = n * 256 + v;
  }
  return n;
}

function parseIpv6(s: string): [number, number, number, number] | undefined {
  const groups: number[] = [];
  const halves = s.split('::');
  if (halves.length > 2) return undefined;
  const head = parseGroups(halves[0]!, halves.length === 1);
  if (head === undefined) return undefined;
  let tail: number[] = [];
  if (halves.length === 2) {
    const t = parseGroups(halves[1]!, true);
    if (t === undefined) return undefined;
    tail = t;
    const fill = 8 - head.length - tail.length;
    if (fill < 1) return undefined;
    groups.push(...head, ...new Array<number>(fill).fill(0), ...tail);
  } else {
    if (head.length !== 8) return undefined;
    groups.push(...head);
  }
  return [
    ((groups[0]! << 16) | groups[1]!) >>> 0,
    ((groups[2]! << 16) | groups[3]!) >>> 0,
    ((groups[4]! << 16) | groups[5]!) >>> 0,
    ((groups[6]! << 16) | groups[7]!) >>> 0,
  ];
}

/** 16-bit groups of one side of `::`; a final dotted quad counts as two groups. */
function parseGroups(s: string, v4Tail: boolean): number[] | undefined {
  if (s === '') return [];
  const parts = s.split(':');
  const out: number[] = [];
  for (let i = 0; i < parts.length; i++) {
    const p = parts[i]!;
    if (v4Tail && i === parts.length - 1 && p.includes('.')) {
      const v4 = parseIpv4(p);
      if (v4 === undefined) return undefined;
      out.push(v4 >>> 16, v4 & 0xffff);
    } else {
      if (!/^[0-9a-fA-F]{1,4}$/.test(p)) return undefined;
      out.push(parseInt(p, 16));
    }
  }
  return out;
}
