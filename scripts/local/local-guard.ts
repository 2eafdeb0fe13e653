import type { IncomingMessage } from 'node:http'
import { hostname, networkInterfaces } from 'node:os'

/**
 * The protection in front of every local-only endpoint (the `/_local/*` admin API, the dev
 * JWKS, sandbox providers, and the local DynamoDB and EventBridge endpoints). They take no
 * credentials: they are developer tools, so they are protected as such tools usually are
 * (webpack-dev-server, Vite, Jupyter) against the two ways a web page the developer visits
 * could reach them:
 *
 * - Cross-site requests: any request with an `Origin` that is not this server is refused,
 *   and a write may only carry a JSON body (a form or a `text/plain` fetch, the only
 *   bodies a page can send cross-site without a CORS preflight, are refused).
 * - DNS rebinding (a page's own host name re-pointed at 127.0.0.1, so the browser treats
 *   the stack as same-origin): the `Host` header must name the address the server is
 *   bound to, which a rebinding page cannot make it do.
 */
export interface LocalGuard {
  /** Why the request is refused, or undefined when it may go through. */
  refusalOf(request: IncomingMessage, options?: LocalGuardOptions): LocalRefusal | undefined
}

export interface LocalGuardOptions {
  /** Writes must carry JSON (true unless said otherwise; the AWS-protocol endpoints say otherwise). */
  jsonWrites?: boolean
  /**
   * Also accept a form body (`application/x-www-form-urlencoded`): an OAuth2 token endpoint
   * must (RFC 6749 4.4.2). Safe only because the Host and Origin checks still apply.
   */
  formWrites?: boolean
}

export interface LocalRefusal {
  status: 403 | 415
  reason: string
}

const LOOPBACK_NAMES = ['127.0.0.1', 'localhost', '[::1]']
const READS = new Set(['GET', 'HEAD', 'OPTIONS'])

/** True for the addresses and names that only this machine can reach. */
export function isLoopbackHost(host: string): boolean {
  const bare = host.replace(/^\[|\]$/g, '').toLowerCase()
  if (bare === 'localhost' || bare === '::1') return true
  const octets = bare.split('.')
  return octets.length === 4 && octets[0] === '127' && octets.every((octet) => /^\d{1,3}$/.test(octet))
}

/**
 * Refuses to bind the local stack beyond loopback unless the developer asked for it
 * (`ALLOW_REMOTE=1`): its admin endpoints take no credentials and it serves synthetic
 * patient data to anyone who can reach it. Returns the warning to print when allowed.
 */
export function checkBindHost(host: string, allowRemote: boolean): string | undefined {
  if (isLoopbackHost(host)) return undefined
  if (!allowRemote) {
    throw new Error(
      `Refusing to listen on HOST=${host}: the local stack's admin endpoints (/_local/*) take no ` +
        'credentials. Use 127.0.0.1, or set ALLOW_REMOTE=1 to expose it on purpose.',
    )
  }
  return [
    '',
    '!!! WARNING: ALLOW_REMOTE=1, the local stack listens on a non-loopback address',
    `!!! (${host}). Anyone who can reach this machine can drive its /_local/* admin endpoints,`,
    '!!! tap the event bus and read the synthetic patient data. Use it only on a trusted network.',
    '',
  ].join('\n')
}

/** The `host:port` values a request to a server bound at `host` and `port` may carry. */
function allowedHostsOf(host: string, port: number): Set<string> {
  const names = new Set(LOOPBACK_NAMES)
  if (!isLoopbackHost(host)) {
    const wildcard = host === '0.0.0.0' || host === '::' || host === '[::]'
    if (!wildcard) names.add(host.includes(':') && !host.startsWith('[') ? `[${host}]` : host)
    else {
      // Bound to every interface: the machine's own names and addresses, nothing else.
      names.add(hostname().toLowerCase())
      for (const addresses of Object.values(networkInterfaces())) {
        for (const address of addresses ?? []) {
          names.add(address.family === 'IPv6' ? `[${address.address}]` : address.address)
        }
      }
    }
  }
  const withPort = [...names].map((name) => `${name.toLowerCase()}:${port}`)
  // A browser leaves the default port out of Host and Origin.
  return new Set(port === 80 ? [...withPort, ...[...names].map((name) => name.toLowerCase())] : withPort)
}

/** A guard for a server bound at `host`; `port` is read when a request arrives (0 until bound). */
export function localGuard(host: string, port: () => number): LocalGuard {
  let allowed: Set<string> | undefined
  let allowedFor = -1
  const allowedHosts = () => {
    const current = port()
    // A closing server reports no address (0): requests still in flight keep its bound port.
    if (current !== 0 && allowedFor !== current) {
      allowed = allowedHostsOf(host, current)
      allowedFor = current
    }
    return allowed ?? new Set<string>()
  }
  return {
    refusalOf(request, options = {}) {
      const hosts = allowedHosts()
      const hostHeader = (request.headers.host ?? '').toLowerCase()
      if (!hosts.has(hostHeader)) {
        return { status: 403, reason: 'Local endpoints answer only requests addressed to this machine' }
      }
      const origin = request.headers.origin
      if (origin !== undefined && !hosts.has(hostOfOrigin(origin))) {
        return { status: 403, reason: 'Local endpoints refuse cross-site requests' }
      }
      if (options.jsonWrites !== false && !READS.has(request.method ?? 'GET')) {
        const contentType = (request.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase()
        const hasBody =
          request.headers['content-length'] !== undefined && request.headers['content-length'] !== '0'
        const chunked = request.headers['transfer-encoding'] !== undefined
        // JSON and its FHIR form (the sandbox GP Connect providers take application/fhir+json):
        // a browser cannot send either cross-site without a CORS preflight, which is refused.
        const accepted =
          contentType === 'application/json' ||
          /^application\/[\w.-]+\+json$/.test(contentType) ||
          (options.formWrites === true && contentType === 'application/x-www-form-urlencoded')
        if ((contentType !== '' || hasBody || chunked) && !accepted) {
          return {
            status: 415,
            reason: 'Local endpoints take JSON bodies only (Content-Type: application/json)',
          }
        }
      }
      return undefined
    },
  }
}

/** `http://host:port` → `host:port`; anything else (`null`, another scheme) matches nothing. */
function hostOfOrigin(origin: string): string {
  if (!origin.toLowerCase().startsWith('http://')) return ''
  return origin.slice('http://'.length).toLowerCase()
}
