import type { IncomingMessage } from 'node:http'
import { describe, expect, it } from 'vitest'
import { checkBindHost, isLoopbackHost, localGuard } from '../../scripts/local/local-guard'
import { startLocalStack } from '../../scripts/local/runtime'

// Security review, finding 5: the local admin endpoints take no credentials, so the stack
// must not listen beyond loopback unless the developer asks for it.

function incoming(headers: Record<string, string>, method = 'GET'): IncomingMessage {
  return { headers, method } as unknown as IncomingMessage
}

describe('checkBindHost', () => {
  it.each(['127.0.0.1', '127.3.2.1', 'localhost', '::1', '[::1]'])('allows the loopback host %s', (host) => {
    expect(isLoopbackHost(host)).toBe(true)
    expect(checkBindHost(host, false)).toBeUndefined()
  })

  it.each(['0.0.0.0', '::', '192.168.1.20', 'my-laptop.example'])(
    'refuses %s without ALLOW_REMOTE',
    (host) => {
      expect(() => checkBindHost(host, false)).toThrow(/ALLOW_REMOTE=1/)
    },
  )

  it('allows a remote host with the flag, and says so loudly', () => {
    expect(checkBindHost('0.0.0.0', true)).toMatch(/WARNING/)
  })

  it('stops npm start before anything listens', async () => {
    await expect(startLocalStack({ host: '0.0.0.0', allowRemote: false })).rejects.toThrow(/ALLOW_REMOTE/)
  })
})

describe('localGuard', () => {
  const guard = localGuard('127.0.0.1', () => 3000)

  it('lets a same-origin JSON write through', () => {
    const request = incoming(
      {
        host: '127.0.0.1:3000',
        origin: 'http://127.0.0.1:3000',
        'content-type': 'application/json',
        'content-length': '2',
      },
      'POST',
    )
    expect(guard.refusalOf(request)).toBeUndefined()
  })

  it('takes a form body only where the path is an OAuth2 token endpoint (RFC 6749 4.4.2)', () => {
    const form = incoming(
      { host: '127.0.0.1:3000', 'content-type': 'application/x-www-form-urlencoded', 'content-length': '40' },
      'POST',
    )
    expect(guard.refusalOf(form, { formWrites: true })).toBeUndefined()
    expect(guard.refusalOf(form)?.status).toBe(415)
    const foreign = incoming(
      {
        host: '127.0.0.1:3000',
        origin: 'https://attacker.example',
        'content-type': 'application/x-www-form-urlencoded',
      },
      'POST',
    )
    expect(guard.refusalOf(foreign, { formWrites: true })?.status).toBe(403)
  })

  it.each([
    'application/json; charset=utf-8',
    'application/fhir+json',
    'application/fhir+json;charset=utf-8',
  ])(
    'lets a same-origin write of %s through (the sandbox GP Connect providers take FHIR JSON)',
    (contentType) => {
      const request = incoming(
        { host: '127.0.0.1:3000', 'content-type': contentType, 'content-length': '2' },
        'POST',
      )
      expect(guard.refusalOf(request)).toBeUndefined()
    },
  )

  it('keeps the bound port while its server closes (requests in flight are not refused)', () => {
    // Prepare: a server bound at 3000 that then reports no address, as a closing one does
    let port = 3000
    const closing = localGuard('127.0.0.1', () => port)
    const request = incoming({ host: '127.0.0.1:3000' }, 'GET')
    expect(closing.refusalOf(request)).toBeUndefined()

    // Act
    port = 0

    // Assess
    expect(closing.refusalOf(request)).toBeUndefined()
    expect(closing.refusalOf(incoming({ host: '127.0.0.1:0' }, 'GET'))?.status).toBe(403)
  })

  it('lets a write without a body through (npm run dlq:replay)', () => {
    expect(guard.refusalOf(incoming({ host: 'localhost:3000' }, 'POST'))).toBeUndefined()
  })

  it.each([
    ['a foreign Host', { host: 'attacker.example:3000' }, 'GET', 403],
    ['no Host', {}, 'GET', 403],
    ['another port', { host: '127.0.0.1:3001' }, 'GET', 403],
    ['a foreign Origin', { host: '127.0.0.1:3000', origin: 'https://attacker.example' }, 'GET', 403],
    ['Origin null', { host: '127.0.0.1:3000', origin: 'null' }, 'GET', 403],
    [
      'a form body',
      { host: '127.0.0.1:3000', 'content-type': 'application/x-www-form-urlencoded' },
      'POST',
      415,
    ],
    [
      'a text/plain body',
      { host: '127.0.0.1:3000', 'content-type': 'text/plain', 'content-length': '9' },
      'POST',
      415,
    ],
    ['a body without a type', { host: '127.0.0.1:3000', 'content-length': '9' }, 'DELETE', 415],
    [
      'a multipart body',
      { host: '127.0.0.1:3000', 'content-type': 'multipart/form-data; boundary=x', 'content-length': '9' },
      'POST',
      415,
    ],
    [
      'a look-alike of JSON',
      { host: '127.0.0.1:3000', 'content-type': 'application/json+x', 'content-length': '9' },
      'POST',
      415,
    ],
  ])('refuses %s', (_label, headers, method, status) => {
    expect(guard.refusalOf(incoming(headers as Record<string, string>, method))?.status).toBe(status)
  })
})
