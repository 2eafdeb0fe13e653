import { describe, expect, it } from 'vitest'
import {
  checkUntrustedEndpoint,
  isPublicAddress,
  MAX_ENDPOINT_LENGTH,
} from '../../functions/shared/untrustedEndpoint'

// Security review, finding 7: pointer URLs took http://169.254.169.254/…, plain http,
// user:pass@ and 240 KB. One check for every URL a caller gives us (pointers, subscriptions).

describe('checkUntrustedEndpoint', () => {
  it.each([
    'https://fhir.demo-general.example.nhs.uk/R4',
    'https://fhir.example.nhs.uk:8443/R4/DocumentReference/1?x=1#y',
    'https://8.8.8.8/fhir',
    'https://[2a00:1450:4009:81a::200e]/fhir',
  ])('accepts the public https URL %s', (url) => {
    expect(checkUntrustedEndpoint(url)).toEqual({ ok: true, url: new URL(url).href })
  })

  it.each([
    ['plain http', 'http://fhir.example.nhs.uk/R4', /https/],
    ['another scheme', 'ftp://fhir.example.nhs.uk/R4', /https/],
    ['javascript:', 'javascript:alert(1)', /https/],
    ['not a URL', 'not a url', /absolute URL/],
    ['credentials', 'https://user:pass@fhir.example.nhs.uk/R4', /credentials/],
    ['a user name alone', 'https://user@fhir.example.nhs.uk/R4', /credentials/],
    ['the metadata service', 'https://169.254.169.254/latest/meta-data/', /private or reserved/],
    ['the metadata service over http', 'http://169.254.169.254/latest/meta-data/', /https/],
    ['the metadata service in decimal', 'https://2852039166/', /private or reserved/],
    ['the metadata service in hex', 'https://0xa9.0xfe.0xa9.0xfe/', /private or reserved/],
    ['the metadata service in octal', 'https://0251.0376.0251.0376/', /private or reserved/],
    ['the metadata service IPv4-mapped', 'https://[::ffff:169.254.169.254]/', /private or reserved/],
    ['the IPv6 metadata service', 'https://[fd00:ec2::254]/', /private or reserved/],
    ['NAT64 of the metadata service', 'https://[64:ff9b::a9fe:a9fe]/', /private or reserved/],
    ['6to4 of a private address', 'https://[2002:0a00:0001::1]/', /private or reserved/],
    ['a private address', 'https://10.0.0.5/', /private or reserved/],
    ['a private address (172.16/12)', 'https://172.31.255.1/', /private or reserved/],
    ['a private address (192.168/16)', 'https://192.168.1.1/', /private or reserved/],
    ['carrier-grade NAT', 'https://100.64.0.1/', /private or reserved/],
    ['0.0.0.0', 'https://0.0.0.0/', /private or reserved/],
    ['"0"', 'https://0/', /private or reserved/],
    ['link-local IPv6', 'https://[fe80::1]/', /private or reserved/],
    ['unique-local IPv6', 'https://[fc00::1]/', /private or reserved/],
    ['multicast', 'https://224.0.0.1/', /private or reserved/],
    ['loopback', 'https://127.0.0.1/', /loopback/],
    ['loopback, short form', 'https://127.1/', /loopback/],
    ['loopback in decimal', 'https://2130706433/', /loopback/],
    ['loopback IPv6', 'https://[::1]/', /loopback/],
    ['localhost', 'https://localhost/', /loopback/],
    ['localhost with a trailing dot', 'https://LOCALHOST./', /loopback/],
    ['a .localhost name', 'https://api.localhost/', /loopback/],
    ['a single-label intranet name', 'https://intranet/', /public host/],
    ['a cloud-internal name', 'https://metadata.google.internal/', /public host/],
    ['an mDNS name', 'https://printer.local/', /public host/],
    ['a home network name', 'https://nas.home.arpa/', /public host/],
  ])('refuses %s', (_label, url, reason) => {
    const verdict = checkUntrustedEndpoint(url)

    expect(verdict.ok).toBe(false)
    if (!verdict.ok) expect(verdict.reason).toMatch(reason)
  })

  it(`refuses a URL longer than ${MAX_ENDPOINT_LENGTH} characters, the review's 240 KB one included`, () => {
    const long = `https://fhir.example.nhs.uk/${'a'.repeat(MAX_ENDPOINT_LENGTH)}`
    const huge = `https://fhir.example.nhs.uk/${'a'.repeat(240 * 1024)}`

    expect(checkUntrustedEndpoint(long)).toMatchObject({ ok: false })
    expect(checkUntrustedEndpoint(huge)).toMatchObject({ ok: false })
    expect(checkUntrustedEndpoint(long.slice(0, MAX_ENDPOINT_LENGTH)).ok).toBe(true)
  })

  it('measures the text the caller sent, even when the URL parser drops most of it', () => {
    // Prepare: the WHATWG parser removes tabs and newlines, so this parses to a short URL
    const padded = `https://fhir.example.nhs.uk/${'\t'.repeat(MAX_ENDPOINT_LENGTH)}R4`

    // Act
    const verdict = checkUntrustedEndpoint(padded)

    // Assess
    expect(verdict).toEqual({ ok: false, reason: `the URL is longer than ${MAX_ENDPOINT_LENGTH} characters` })
  })

  it('measures the URL it hands back, which percent-encoding can make longer than the text', () => {
    // Prepare: 428 characters of text; each é becomes %C3%A9, six characters, in the URL
    const accented = `https://fhir.example.nhs.uk/${'é'.repeat(400)}`

    // Act
    const verdict = checkUntrustedEndpoint(accented)

    // Assess
    expect(accented.length).toBeLessThan(MAX_ENDPOINT_LENGTH)
    expect(verdict).toEqual({ ok: false, reason: `the URL is longer than ${MAX_ENDPOINT_LENGTH} characters` })
  })

  describe('on the local stack (allowLoopback)', () => {
    it.each(['http://127.0.0.1:4000/fhir', 'http://localhost:3000/_sandbox/Y90001', 'https://[::1]:8443/'])(
      'accepts this machine: %s',
      (url) => {
        expect(checkUntrustedEndpoint(url, { allowLoopback: true }).ok).toBe(true)
      },
    )

    it.each([
      'http://fhir.example.nhs.uk/',
      'http://10.0.0.5/',
      'https://169.254.169.254/',
      'http://user:pw@127.0.0.1/',
    ])('still refuses %s', (url) => {
      expect(checkUntrustedEndpoint(url, { allowLoopback: true }).ok).toBe(false)
    })
  })
})

describe('isPublicAddress', () => {
  it.each([
    ['8.8.8.8', true],
    ['2a00:1450:4009:81a::200e', true],
    ['169.254.169.254', false],
    ['::ffff:169.254.169.254', false],
    ['::ffff:8.8.8.8', false],
    ['127.0.0.1', false],
    ['::1', false],
    ['fd00:ec2::254', false],
    ['10.1.2.3', false],
    ['example.org', false],
    ['', false],
  ])('%s is public: %s', (address, expected) => {
    expect(isPublicAddress(address)).toBe(expected)
  })
})
