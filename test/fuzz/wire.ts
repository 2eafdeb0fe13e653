import { exportJWK, generateKeyPair, type JWK } from 'jose'
import { type DevKeys, loadOrCreateDevKeys, mintPatientToken, mintToken } from '../../scripts/local/dev-keys'
import type { Credentials, FuzzRequest } from './requests'

/** What came back for one request: enough for the invariants, nothing kept after them. */
export interface Exchange {
  request: FuzzRequest
  status: number
  headers: Headers
  text: string
}

/** A request that got no HTTP answer at all: refused connection, reset, or no answer in time. */
export interface Failure {
  request: FuzzRequest
  error: string
}

const ICS = 'demo'
const SEND_TIMEOUT_MS = 30_000

function base64url(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url')
}

/**
 * Turns credentials into Authorization header values, minting each distinct token once:
 * with the stack's dev key (as `npm run token` does) for member tokens and the refusals
 * that need a good signature, with a key the stack does not publish for `foreign-key`.
 */
export class TokenMint {
  private readonly minted = new Map<string, Promise<string | undefined>>()

  private constructor(
    private readonly keys: DevKeys,
    private readonly foreign: DevKeys,
  ) {}

  static async forStack(keysDir: string): Promise<TokenMint> {
    const keys = await loadOrCreateDevKeys(keysDir)
    const pair = await generateKeyPair('ES256', { extractable: true })
    const privateJwk: JWK = { ...(await exportJWK(pair.privateKey)), kid: keys.kid, alg: 'ES256' }
    // Same kid as the trusted key: the stack must check the signature, not just find a key.
    return new TokenMint(keys, { ...keys, privateJwk })
  }

  authorization(credentials: Credentials): Promise<string | undefined> {
    const key = JSON.stringify(credentials)
    let value = this.minted.get(key)
    if (!value) {
      value = this.mint(credentials)
      this.minted.set(key, value)
    }
    return value
  }

  private async mint(credentials: Credentials): Promise<string | undefined> {
    if (credentials.kind === 'none') return undefined
    if (credentials.kind === 'header') return credentials.value
    if (credentials.kind === 'patient') {
      return `Bearer ${await mintPatientToken(this.keys, {
        nhsNumber: credentials.nhsNumber,
        ics: ICS,
        proofingLevel: credentials.proofingLevel,
        scopes: credentials.scopes.join(' '),
      })}`
    }
    const request = { org: credentials.org, scopes: credentials.scopes.join(' '), ics: ICS }
    const now = Math.floor(Date.now() / 1000)
    switch (credentials.kind) {
      case 'member':
      case 'non-member':
        return `Bearer ${await mintToken(this.keys, request)}`
      case 'expired':
        // Expired an hour ago: well past the 60 s skew the stack tolerates.
        return `Bearer ${await mintToken(this.keys, { ...request, issuedAt: now - 7_200, ttlSeconds: 3_600 })}`
      case 'not-yet-valid':
        return `Bearer ${await mintToken(this.keys, { ...request, notBefore: now + 3_600 })}`
      case 'other-ics':
        return `Bearer ${await mintToken(this.keys, { ...request, ics: 'other-ics' })}`
      case 'wrong-audience':
        return `Bearer ${await mintToken(this.keys, { ...request, audience: 'urn:joinup:local:other-ics' })}`
      case 'foreign-key':
        return `Bearer ${await mintToken(this.foreign, request)}`
      case 'alg-none':
        return `Bearer ${base64url({ alg: 'none', typ: 'JWT' })}.${base64url({
          requesting_organization: credentials.org,
          ics: ICS,
          scope: request.scopes,
          sub: 'fuzz',
          aud: `urn:joinup:local:${ICS}`,
          exp: now + 3_600,
        })}.`
    }
  }
}

/** Sends one request over HTTP with fetch and reads the whole answer. */
export async function send(
  baseUrl: string,
  mint: TokenMint,
  request: FuzzRequest,
): Promise<Exchange | Failure> {
  const headers: Record<string, string> = { ...request.headers }
  const authorization = await mint.authorization(request.credentials)
  if (authorization !== undefined) headers.Authorization = authorization
  if (request.body?.contentType !== undefined) headers['Content-Type'] = request.body.contentType
  try {
    const response = await fetch(`${baseUrl}${request.target}`, {
      method: request.method,
      headers,
      body: request.body?.text,
      redirect: 'manual',
      signal: AbortSignal.timeout(SEND_TIMEOUT_MS),
    })
    return { request, status: response.status, headers: response.headers, text: await response.text() }
  } catch (error) {
    const cause = error instanceof Error && error.cause instanceof Error ? `: ${error.cause.message}` : ''
    return { request, error: `${String(error)}${cause}` }
  }
}
