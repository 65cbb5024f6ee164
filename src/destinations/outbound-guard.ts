import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { BlockList, isIP } from 'node:net';
import { Agent, fetch as undiciFetch } from 'undici';

/**
 * The outbound-URL guard for URLs chosen by non-admins (step webhooks; api.md,
 * Security rules): no loopback, private, link-local, metadata, multicast or
 * unspecified address, checked on the addresses the name resolves to, at
 * connection time (so a DNS answer cannot change between check and use), and
 * again on every redirect.
 */

/** Said for every refused target, whatever it is: the action log must not tell hosts apart. */
export const REFUSED_MESSAGE = 'the URL points at a private, loopback, link-local or metadata address, which step actions may not reach';

export class OutboundRefusedError extends Error {
  override readonly name = 'OutboundRefusedError';
  readonly code = 'EOUTBOUNDREFUSED';
  constructor() {
    super(REFUSED_MESSAGE);
  }
}

const blocked = new BlockList();
for (const [net, bits] of [
  ['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16], ['172.16.0.0', 12],
  ['192.0.0.0', 24], ['192.0.2.0', 24], ['192.88.99.0', 24], ['192.168.0.0', 16], ['198.18.0.0', 15], ['198.51.100.0', 24],
  ['203.0.113.0', 24], ['224.0.0.0', 4], ['240.0.0.0', 4],
] as const) blocked.addSubnet(net, bits, 'ipv4');
for (const [net, bits] of [
  ['::', 128], ['::1', 128], ['fc00::', 7], ['fe80::', 10], ['fec0::', 10], ['ff00::', 8], ['2001:db8::', 32], ['100::', 64],
] as const) blocked.addSubnet(net, bits, 'ipv6');

/** The IPv4 address inside an IPv6 one (mapped, compatible, NAT64, 6to4), if any. */
function embeddedIPv4(v6: string): string | null {
  const m = /^(?:::ffff:|::|64:ff9b::)(\d+\.\d+\.\d+\.\d+)$/i.exec(v6);
  if (m) return m[1];
  const groups = expand(v6);
  if (!groups) return null;
  const v4 = (hi: number, lo: number) => `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;
  // ::ffff:a.b.c.d written in hex, ::a.b.c.d, 64:ff9b::/96 (NAT64), 2002:wwxx:yyzz::/16 (6to4).
  if (groups.slice(0, 5).every((g) => g === 0) && (groups[5] === 0xffff || groups[5] === 0)) return groups[6] || groups[7] ? v4(groups[6], groups[7]) : null;
  if (groups[0] === 0x64 && groups[1] === 0xff9b && groups.slice(2, 6).every((g) => g === 0)) return v4(groups[6], groups[7]);
  if (groups[0] === 0x2002) return v4(groups[1], groups[2]);
  return null;
}

/** Eight 16-bit groups of an IPv6 address (dotted tail included), or null. */
function expand(v6: string): number[] | null {
  let s = v6.toLowerCase().split('%')[0];
  const dotted = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(s);
  if (dotted) {
    const [a, b, c, d] = dotted.slice(1).map(Number);
    s = s.slice(0, dotted.index) + `${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = s.split('::');
  const h = head ? head.split(':') : [];
  const t = tail !== undefined && tail ? tail.split(':') : [];
  const fill = s.includes('::') ? 8 - h.length - t.length : 0;
  const all = [...h, ...Array(fill).fill('0'), ...t];
  if (all.length !== 8) return null;
  return all.map((g) => parseInt(g, 16));
}

/** True for addresses no non-admin URL may reach. */
export function isForbiddenAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 4) return blocked.check(address, 'ipv4');
  if (family === 6) {
    const inner = embeddedIPv4(address);
    if (inner !== null && isIP(inner) === 4) return blocked.check(inner, 'ipv4');
    return blocked.check(address, 'ipv6');
  }
  return true; // not an address at all: refuse rather than guess
}

/**
 * What `KOHORT_ALLOW_PRIVATE_URLS` allows: `*` (or `true`) for every host, else a
 * comma-separated list of host names, addresses and CIDR ranges.
 */
export interface PrivateAllowList {
  all: boolean;
  hosts: Set<string>;
  ranges: BlockList;
}

export function parseAllowList(text: string | undefined): PrivateAllowList {
  const list: PrivateAllowList = { all: false, hosts: new Set(), ranges: new BlockList() };
  for (const raw of (text ?? '').split(',')) {
    const entry = raw.trim().toLowerCase();
    if (!entry) continue;
    if (entry === '*' || entry === 'true') list.all = true;
    const [net, bits] = entry.split('/');
    const family = isIP(net);
    if (family && bits !== undefined) list.ranges.addSubnet(net, Number(bits), family === 4 ? 'ipv4' : 'ipv6');
    else if (family) list.ranges.addAddress(net, family === 4 ? 'ipv4' : 'ipv6');
    else list.hosts.add(entry);
  }
  return list;
}

const allowedAddress = (allow: PrivateAllowList, address: string) =>
  allow.all || !isForbiddenAddress(address) || allow.ranges.check(address, isIP(address) === 6 ? 'ipv6' : 'ipv4');

/** Host of a URL without IPv6 brackets. */
const hostOf = (url: URL) => url.hostname.replace(/^\[|\]$/g, '').toLowerCase();

type LookupCallback = (err: NodeJS.ErrnoException | null, address?: string | LookupAddress[], family?: number) => void;

/** dns.lookup that refuses forbidden answers: used by the connection itself. */
export function guardedLookup(allow: PrivateAllowList) {
  return (hostname: string, options: { all?: boolean; family?: number }, callback: LookupCallback) => {
    dnsLookup(hostname, { ...options, all: true }, (err, addresses) => {
      if (err) return callback(err);
      const list = addresses as LookupAddress[];
      if (!allow.hosts.has(hostname.toLowerCase()) && list.some((a) => !allowedAddress(allow, a.address))) return callback(new OutboundRefusedError());
      if (options.all) return callback(null, list);
      return callback(null, list[0].address, list[0].family);
    });
  };
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);
const MAX_REDIRECTS = 5;

/** Refuses a URL before connecting: scheme, and a host that is itself a forbidden address. */
function checkUrl(url: URL, allow: PrivateAllowList): void {
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new OutboundRefusedError();
  const host = hostOf(url);
  if (allow.hosts.has(host)) return;
  if (isIP(host) && !allowedAddress(allow, host)) throw new OutboundRefusedError();
  if (!allow.all && (host === 'localhost' || host.endsWith('.localhost'))) throw new OutboundRefusedError();
}

/** A URL refused without resolving it (scheme, literal address, localhost): said when it is saved. */
export function refusedWithoutLookup(url: string, allow: PrivateAllowList): boolean {
  try {
    checkUrl(new URL(url), allow);
    return false;
  } catch {
    return true;
  }
}

/**
 * A fetch for non-admin URLs: every hop is checked (redirects are followed by
 * hand, at most 5), and each connection resolves through the guarded lookup.
 */
export function createGuardedFetch(allow: PrivateAllowList): typeof fetch {
  const agent = new Agent({ connect: { lookup: guardedLookup(allow) as never } });
  const guarded = async (input: string | URL | Request, init: RequestInit = {}): Promise<Response> => {
    let url = new URL(typeof input === 'string' || input instanceof URL ? input : input.url);
    let method = init.method ?? 'GET';
    let body = init.body;
    for (let hop = 0; ; hop++) {
      checkUrl(url, allow);
      const res = await undiciFetch(url, { ...(init as object), method, body: body as never, redirect: 'manual', dispatcher: agent });
      const location = res.headers.get('location');
      if (!REDIRECTS.has(res.status) || !location || hop >= MAX_REDIRECTS) return res as unknown as Response;
      await res.body?.cancel().catch(() => undefined);
      url = new URL(location, url);
      if (res.status === 303) {
        method = 'GET';
        body = undefined;
      }
    }
  };
  return guarded as typeof fetch;
}

/** True when a fetch failure was this guard refusing the target. */
export function isOutboundRefused(err: unknown): boolean {
  for (let e = err as { cause?: unknown; code?: unknown } | undefined, i = 0; e && i < 5; e = e.cause as typeof e, i++) {
    if (e instanceof OutboundRefusedError || e.code === 'EOUTBOUNDREFUSED') return true;
  }
  return false;
}
