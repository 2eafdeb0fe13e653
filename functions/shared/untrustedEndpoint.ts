import { BlockList, isIP } from 'node:net'

/**
 * URLs that callers hand us (a pointer's `content.attachment.url`, a subscription's
 * `channel.endpoint`) are untrusted input (DESIGN.md "Who may see what"). This is the one
 * check they all go through: https only (plain http to this machine only when
 * `allowLoopback`, i.e. the local stack), no credentials in the URL, no private, loopback,
 * link-local, unique-local, CGNAT, multicast, documentation or cloud-metadata address in
 * any notation (IPv4 in decimal, octal or hex, IPv6 with an embedded IPv4), no intranet
 * host names, and at most MAX_ENDPOINT_LENGTH characters.
 *
 * A public host name can still resolve to a private address (or be re-pointed later): code
 * that connects to such a URL must also check the address it connects to with
 * `isPublicAddress` (e.g. in the socket's `lookup`). Pointer URLs are never called by the
 * stack (it reaches holders through the ICS directory), so for them this check is the rule.
 */
export function checkUntrustedEndpoint(
  text: string,
  options: { allowLoopback?: boolean } = {},
): UntrustedEndpointVerdict {
  if (text.length > MAX_ENDPOINT_LENGTH) {
    return refused(`the URL is longer than ${MAX_ENDPOINT_LENGTH} characters`)
  }
  let url: URL
  try {
    url = new URL(text)
  } catch {
    return refused('not an absolute URL')
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return refused('the URL must use https')
  if (url.username || url.password) return refused('the URL must not carry credentials')
  // WHATWG URL parsing has already turned 2130706433, 0x7f.1 and 0177.0.0.1 into 127.0.0.1,
  // and IPv6 into its canonical bracketed form, so only canonical forms are checked below.
  const host = url.hostname.replace(/\.$/, '').toLowerCase()
  const loopback = isLoopbackName(host)
  if (loopback && !options.allowLoopback) return refused('the URL must not name this machine (loopback)')
  if (url.protocol === 'http:' && !(loopback && options.allowLoopback)) {
    return refused('the URL must use https')
  }
  if (!loopback) {
    const address = host.startsWith('[') ? host.slice(1, -1) : host
    if (isIP(address)) {
      if (!isPublicAddress(address)) return refused('the URL must not name a private or reserved address')
    } else if (!host.includes('.') || INTRANET_SUFFIXES.some((suffix) => host.endsWith(suffix))) {
      return refused('the URL must name a public host')
    }
  }
  if (url.href.length > MAX_ENDPOINT_LENGTH) {
    return refused(`the URL is longer than ${MAX_ENDPOINT_LENGTH} characters`)
  }
  return { ok: true, url: url.href }
}

/** What checkUntrustedEndpoint decided: the normalised URL, or why it was refused (safe to show the caller). */
export type UntrustedEndpointVerdict = { ok: true; url: string } | { ok: false; reason: string }

/** Longest endpoint URL accepted (a browser-safe length; far below EventBridge's 256 KB entries). */
export const MAX_ENDPOINT_LENGTH = 2048

/**
 * True for an IP address (as `dns.lookup` or a socket reports it) on the public internet:
 * false for private, loopback, link-local, unique-local, CGNAT, multicast, reserved,
 * documentation and metadata ranges, and for any IPv6 outside global unicast (IPv4-mapped,
 * NAT64 and 6to4 addresses included). False for anything that is not an IP address.
 */
export function isPublicAddress(address: string): boolean {
  const family = isIP(address)
  if (family === 4) return !BLOCKED_V4.check(address, 'ipv4')
  if (family === 6) return !BLOCKED_V6.check(address, 'ipv6')
  return false
}

function refused(reason: string): UntrustedEndpointVerdict {
  return { ok: false, reason }
}

function isLoopbackName(host: string): boolean {
  if (host === 'localhost' || host.endsWith('.localhost')) return true
  const address = host.startsWith('[') ? host.slice(1, -1) : host
  if (isIP(address) === 4) return LOOPBACK_V4.check(address, 'ipv4')
  return address === '::1'
}

/** Names that only resolve inside a network: mDNS, home networks, cloud-internal DNS (RFC 6761, 6762, 8375). */
const INTRANET_SUFFIXES = ['.local', '.internal', '.home.arpa', '.localdomain', '.lan', '.intranet']

const LOOPBACK_V4 = new BlockList()
LOOPBACK_V4.addSubnet('127.0.0.0', 8, 'ipv4')

// Separate lists per family: a BlockList checks IPv4 as IPv4-mapped IPv6, so one list would mix them.
const BLOCKED_V4 = new BlockList()
for (const [network, prefix] of [
  ['0.0.0.0', 8], // "this network"
  ['10.0.0.0', 8], // private (RFC 1918)
  ['100.64.0.0', 10], // carrier-grade NAT (RFC 6598)
  ['127.0.0.0', 8], // loopback
  ['169.254.0.0', 16], // link-local, including the cloud metadata service 169.254.169.254
  ['172.16.0.0', 12], // private
  ['192.0.0.0', 24], // IETF protocol assignments (AWS IMDS-adjacent, DS-Lite)
  ['192.0.2.0', 24], // documentation
  ['192.88.99.0', 24], // 6to4 relay anycast
  ['192.168.0.0', 16], // private
  ['198.18.0.0', 15], // benchmarking
  ['198.51.100.0', 24], // documentation
  ['203.0.113.0', 24], // documentation
  ['224.0.0.0', 4], // multicast
  ['240.0.0.0', 4], // reserved, and the broadcast address
] as const) {
  BLOCKED_V4.addSubnet(network, prefix, 'ipv4')
}

// Only global unicast (2000::/3) is public: everything below it (::, ::1, IPv4-mapped and
// -compatible, NAT64 64:ff9b::/96, discard 100::/64) and above it (unique-local fc00::/7,
// link-local fe80::/10, multicast ff00::/8) is blocked, as are the special ranges inside it.
const BLOCKED_V6 = new BlockList()
for (const [network, prefix] of [
  ['::', 3],
  ['4000::', 2],
  ['8000::', 1],
  ['2001::', 23], // IETF protocol assignments: Teredo (2001::/32), ORCHID, benchmarking
  ['2001:db8::', 32], // documentation
  ['2002::', 16], // 6to4: embeds an IPv4 address
  ['3fff::', 20], // documentation (RFC 9637)
] as const) {
  BLOCKED_V6.addSubnet(network, prefix, 'ipv6')
}
