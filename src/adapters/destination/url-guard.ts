import dns from 'node:dns';
import net from 'node:net';

/**
 * The URL guard of DESIGN.md §6: a destination is reached over https (unless `allowInsecure`),
 * never on a loopback, private, link-local or otherwise non-public address (unless
 * `allowPrivateNetwork`). Addresses are checked AFTER DNS resolution, on the address the socket
 * actually connects to (a lookup hook on the connection), so a public name that resolves to
 * 127.0.0.1 or 169.254.169.254 (cloud metadata) is refused too — the SSRF / DNS-rebinding case.
 */

/** The per-destination flags the guard honours. */
export interface UrlPolicy {
  allowInsecure: boolean;
  allowPrivateNetwork: boolean;
}

/** Code set on the error raised when a resolved address is refused. */
export const FORBIDDEN_ADDRESS_CODE = 'ERR_KAP_FORBIDDEN_ADDRESS';

type Range = { base: bigint; bits: number; label: string };

function v4ToBig(ip: string): bigint {
  return ip.split('.').reduce((acc, part) => (acc << 8n) | BigInt(Number(part)), 0n);
}

/** Expands an IPv6 literal (with an optional dotted IPv4 tail) to a 128-bit integer. */
function v6ToBig(ip: string): bigint {
  let text = ip.split('%')[0] ?? ip; // drop a zone index (fe80::1%eth0)
  const dotted = /(?<![\d.])(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (dotted?.[1]) {
    const v4 = v4ToBig(dotted[1]);
    text = `${text.slice(0, -dotted[1].length)}${(v4 >> 16n).toString(16)}:${(v4 & 0xffffn).toString(16)}`;
  }
  const [head = '', tail] = text.split('::');
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = tail === undefined ? h : [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t];
  return groups.reduce((acc, g) => (acc << 16n) | BigInt(parseInt(g, 16)), 0n);
}

function range4(cidr: string, label: string): Range {
  const [ip = '', bits = '32'] = cidr.split('/');
  return { base: v4ToBig(ip), bits: Number(bits), label };
}
function range6(cidr: string, label: string): Range {
  const [ip = '', bits = '128'] = cidr.split('/');
  return { base: v6ToBig(ip), bits: Number(bits), label };
}

// IANA special-purpose registries (RFC 6890 and updates): nothing here is a public FHIR server.
const V4_RANGES: Range[] = [
  range4('0.0.0.0/8', 'unspecified ("this network") address'),
  range4('10.0.0.0/8', 'private address (RFC 1918)'),
  range4('100.64.0.0/10', 'carrier-grade NAT address (RFC 6598)'),
  range4('127.0.0.0/8', 'loopback address'),
  range4('169.254.0.0/16', 'link-local address'),
  range4('172.16.0.0/12', 'private address (RFC 1918)'),
  range4('192.0.0.0/24', 'IETF protocol assignment address'),
  range4('192.0.2.0/24', 'documentation address'),
  range4('192.168.0.0/16', 'private address (RFC 1918)'),
  range4('198.18.0.0/15', 'benchmarking address'),
  range4('198.51.100.0/24', 'documentation address'),
  range4('203.0.113.0/24', 'documentation address'),
  range4('224.0.0.0/4', 'multicast address'),
  range4('240.0.0.0/4', 'reserved or broadcast address'),
];
const V6_RANGES: Range[] = [
  range6('::/128', 'unspecified address'),
  range6('::1/128', 'loopback address'),
  range6('100::/64', 'discard-only address'),
  range6('2001:db8::/32', 'documentation address'),
  range6('fc00::/7', 'unique local address (ULA)'),
  range6('fe80::/10', 'link-local address'),
  range6('fec0::/10', 'site-local address'),
  range6('ff00::/8', 'multicast address'),
];
/** IPv6 prefixes that embed an IPv4 address in their last 32 bits. */
const V6_EMBEDDING_V4: Range[] = [
  range6('::ffff:0:0/96', 'IPv4-mapped'),
  range6('64:ff9b::/96', 'NAT64'),
  range6('::/96', 'IPv4-compatible'),
];

function inRange(value: bigint, width: number, r: Range): boolean {
  const shift = BigInt(width - r.bits);
  return value >> shift === r.base >> shift;
}

function v4FromBig(v: bigint): string {
  return [24n, 16n, 8n, 0n].map((s) => ((v >> s) & 0xffn).toString()).join('.');
}

/**
 * Why an IP address is refused as a destination, or undefined for a public unicast address.
 * Handles IPv4, IPv6 and IPv6 forms that embed IPv4 (mapped, NAT64, compatible).
 */
export function classifyAddress(ip: string): string | undefined {
  const family = net.isIP(ip.split('%')[0] ?? ip);
  if (family === 4) {
    const v = v4ToBig(ip);
    const hit = V4_RANGES.find((r) => inRange(v, 32, r));
    return hit ? `${hit.label} ${ip}` : undefined;
  }
  if (family !== 6) return `not an IP address: ${ip}`;
  const v = v6ToBig(ip);
  const direct = V6_RANGES.find((r) => inRange(v, 128, r));
  if (direct) return `${direct.label} ${ip}`;
  const embedding = V6_EMBEDDING_V4.find((r) => inRange(v, 128, r));
  if (embedding) {
    const inner = classifyAddress(v4FromBig(v & 0xffffffffn));
    return inner ? `${embedding.label} ${ip} (${inner})` : undefined;
  }
  return undefined;
}

/** For a URL hostname: refusal reason when it is an IP literal that is not public. */
export function checkAddressLiteral(hostname: string): string | undefined {
  const bare = hostname.replace(/^\[|\]$/g, '');
  return net.isIP(bare) ? classifyAddress(bare) : undefined;
}

/** Checks a URL against the policy before any connection: scheme and IP literals. */
export function checkUrlPolicy(url: URL, policy: UrlPolicy): string | undefined {
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    return `scheme ${url.protocol} is not supported`;
  }
  if (url.protocol === 'http:' && !policy.allowInsecure) {
    return `${url.origin} is not https, and the destination does not set allowInsecure`;
  }
  if (!policy.allowPrivateNetwork) {
    const refused = checkAddressLiteral(url.hostname);
    if (refused)
      return `${url.hostname} is a ${refused}, and the destination does not set allowPrivateNetwork`;
  }
  return undefined;
}

/** The error a refused lookup fails the connection with. */
export class ForbiddenAddressError extends Error {
  readonly code = FORBIDDEN_ADDRESS_CODE;
  constructor(hostname: string, reason: string) {
    super(
      `${hostname} resolves to a ${reason}; refused because the destination does not set allowPrivateNetwork`,
    );
    this.name = 'ForbiddenAddressError';
  }
}

type LookupCallback = (
  err: NodeJS.ErrnoException | null,
  address: string | dns.LookupAddress[],
  family?: number,
) => void;

/**
 * A `lookup` for `net.connect`/`tls.connect` that resolves with the system resolver and refuses
 * the connection when any resolved address is not public. Node calls it with `all: true` when it
 * races address families (autoSelectFamily), and without otherwise: both shapes are answered.
 */
export function createGuardedLookup(allowPrivateNetwork: boolean) {
  return function guardedLookup(
    hostname: string,
    options: dns.LookupOptions,
    callback: LookupCallback,
  ): void {
    dns.lookup(hostname, { ...options, all: true }, (err, addresses) => {
      if (err) return callback(err, []);
      if (!allowPrivateNetwork) {
        for (const a of addresses) {
          const reason = classifyAddress(a.address);
          if (reason) return callback(new ForbiddenAddressError(hostname, reason), []);
        }
      }
      if (options.all) return callback(null, addresses);
      const first = addresses[0];
      if (!first)
        return callback(Object.assign(new Error(`no address for ${hostname}`), { code: 'ENOTFOUND' }), []);
      return callback(null, first.address, first.family);
    });
  };
}

/** True when `err` (or any error in its `cause` chain) is a refused address. */
export function isForbiddenAddressError(err: unknown): boolean {
  for (let e: unknown = err, depth = 0; e && depth < 5; depth++) {
    if (typeof e === 'object' && (e as { code?: unknown }).code === FORBIDDEN_ADDRESS_CODE) return true;
    e = (e as { cause?: unknown }).cause;
  }
  return false;
}
