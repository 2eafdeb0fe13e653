import { lookup as dnsLookup, type LookupAddress } from 'node:dns'
import { request as httpRequest } from 'node:http'
import { request as httpsRequest } from 'node:https'
import type { LookupFunction } from 'node:net'
import type { WebhookPoster } from '../../messages/delivery'
import { isPublicAddress } from '../untrustedEndpoint'

/** How long a subscriber's endpoint has to answer one delivery. */
export const WEBHOOK_TIMEOUT_MS = 5_000

/** The endpoint's host resolved to an address the stack must never connect to. */
export class EndpointRefused extends Error {
  constructor() {
    super('the endpoint resolves to a private or reserved address')
    this.name = 'EndpointRefused'
  }
}

/**
 * A socket `lookup` that resolves as `dns.lookup` does and refuses the connection when any
 * address the name resolves to is not public (isPublicAddress): a subscription's host name
 * checked at subscribe time can be re-pointed at 10.0.0.7 or 169.254.169.254 later (DNS
 * rebinding), so the address is checked where the socket connects, on every delivery.
 */
export function publicOnlyLookup(resolve: LookupFunction = dnsLookup as LookupFunction): LookupFunction {
  return (hostname, options, callback) => {
    resolve(hostname, { ...options, all: true }, (error, addresses) => {
      if (error) return callback(error, '', 0)
      const all = (Array.isArray(addresses) ? addresses : []) as LookupAddress[]
      if (all.length === 0 || all.some((entry) => !isPublicAddress(entry.address)))
        return callback(new EndpointRefused(), '', 0)
      if (options.all) return (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, all)
      callback(null, all[0]!.address, all[0]!.family)
    })
  }
}

/**
 * Posts deliveries with node:http(s): no redirects followed (a 3xx is a failure, so an
 * endpoint cannot bounce the message elsewhere), the answer's body discarded, cut off after
 * WEBHOOK_TIMEOUT_MS; in a cloud config (`allowLoopback` false) only to public addresses,
 * checked at connect time (publicOnlyLookup). `resolve` is for tests.
 */
export function webhookPoster(options: { allowLoopback: boolean; resolve?: LookupFunction }): WebhookPoster {
  const lookup = options.allowLoopback ? undefined : publicOnlyLookup(options.resolve)
  return ({ url, body, headers }) =>
    new Promise<number>((resolve, reject) => {
      const target = new URL(url)
      const bytes = Buffer.from(body, 'utf8')
      const send = target.protocol === 'https:' ? httpsRequest : httpRequest
      const request = send(
        target,
        {
          method: 'POST',
          headers: { ...headers, 'Content-Length': String(bytes.length) },
          signal: AbortSignal.timeout(WEBHOOK_TIMEOUT_MS),
          ...(lookup ? { lookup } : {}),
        },
        (response) => {
          response.resume()
          resolve(response.statusCode ?? 0)
        },
      )
      request.once('error', (error) => {
        // The timeout's abort arrives as an AbortError whose cause is the TimeoutError.
        const cause = (error as { cause?: { name?: string } }).cause
        reject(cause?.name === 'TimeoutError' ? cause : error)
      })
      request.end(bytes)
    })
}
