import { createServer, type Server } from 'node:http'
import type { LookupFunction } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { EndpointRefused, publicOnlyLookup, webhookPoster } from '../../functions/shared/messages/webhook'

// The deliverer's HTTP client: in a cloud config the address a subscriber's host name
// resolves to is checked when the socket connects, not only the URL at subscribe time.

/** A resolver that answers `addresses` for every name (DNS pointing a public name anywhere). */
const resolvingTo =
  (...addresses: string[]): LookupFunction =>
  (_hostname, _options, callback) =>
    (callback as unknown as (e: null, a: { address: string; family: number }[]) => void)(
      null,
      addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 })),
    )

let server: Server
let port = 0
let received = 0

beforeAll(async () => {
  server = createServer((request, response) => {
    received++
    request.resume()
    request.on('end', () => response.writeHead(204).end())
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  port = (server.address() as { port: number }).port
})
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())))

const delivery = (url: string) => ({
  url,
  body: '{"resourceType":"Bundle"}',
  headers: { 'Content-Type': 'application/fhir+json' },
})

describe('webhookPoster', () => {
  it('refuses at connect time a public name that resolves to a loopback address, posting nothing', async () => {
    // Prepare
    const post = webhookPoster({ allowLoopback: false, resolve: resolvingTo('127.0.0.1') })
    const before = received
    // Act
    const posting = post(delivery(`http://pharmacy.example.com:${port}/inbox`))
    // Assess
    await expect(posting).rejects.toBeInstanceOf(EndpointRefused)
    expect(received).toBe(before)
  })

  it('refuses a name with any private, link-local or metadata address among its answers', async () => {
    for (const addresses of [
      ['10.0.0.7'],
      ['169.254.169.254'],
      ['fe80::1'],
      ['93.184.215.14', '192.168.1.2'],
    ]) {
      // Act
      const outcome = await new Promise<unknown>((resolve) =>
        publicOnlyLookup(resolvingTo(...addresses))('pharmacy.example.com', { all: true }, (error) =>
          resolve(error),
        ),
      )
      // Assess
      expect(outcome, addresses.join(',')).toBeInstanceOf(EndpointRefused)
    }
  })

  it('connects to a name that resolves to public addresses only', async () => {
    // Act
    const answer = await new Promise<{ error: unknown; address: unknown }>((resolve) =>
      publicOnlyLookup(resolvingTo('93.184.215.14'))('pharmacy.example.com', {}, (error, address) =>
        resolve({ error, address }),
      ),
    )
    // Assess
    expect(answer).toEqual({ error: null, address: '93.184.215.14' })
  })

  it('posts to loopback on the local stack, and answers the status', async () => {
    // Act
    const status = await webhookPoster({ allowLoopback: true })(delivery(`http://127.0.0.1:${port}/inbox`))
    // Assess
    expect(status).toBe(204)
  })
})
