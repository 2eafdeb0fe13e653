import { createPrivateKey, sign } from 'node:crypto'
import { FhirError } from '../errors'
import { countMetric } from '../metrics'

/**
 * The NHS API platform's application-restricted access, "signed JWT" pattern (OAuth 2.0
 * client credentials with a private-key JWT client assertion):
 * https://digital.nhs.uk/developer/guides-and-documentation/security-and-authorisation/application-restricted-restful-apis-signed-jwt-authentication
 */

/** What the platform registered for the application: its API key, and the `kid` and private key of its JWKS entry. */
export interface PlatformCredentials {
  apiKey: string
  kid: string
  /** RSA private key, PKCS#8 PEM. */
  privateKey: string
}

/** The assertion type the platform's token endpoint takes (RFC 7523). */
export const CLIENT_ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer'
/** The platform: "exp ... must be no more than 5 minutes in the future". */
export const ASSERTION_LIFETIME_SECONDS = 300
/** A cached access token is replaced this long before it expires, so no call carries a dying one. */
export const REFRESH_BEFORE_SECONDS = 60

export interface NhsApiPlatformTokensOptions {
  /** e.g. https://api.service.nhs.uk/oauth2/token; also the assertion's `aud`. */
  tokenUrl: string
  /** The application's credentials, read from where the ICS keeps them (Secrets Manager). */
  credentials: () => Promise<PlatformCredentials>
  fetch?: typeof fetch
  /** Milliseconds since the epoch. */
  now?: () => number
  timeoutMs?: number
}

interface CachedToken {
  value: string
  /** Epoch milliseconds after which it is not used. */
  refreshAt: number
}

/**
 * Access tokens for the NHS API platform: a fresh client assertion (RS512, `kid`, `iss` and
 * `sub` the API key, `aud` the token endpoint, a unique `jti`, `exp` 5 minutes ahead) is
 * exchanged for an access token, which is cached until shortly before it expires. Concurrent
 * callers share one exchange. Neither the assertion, the key nor the token is ever logged or
 * put in an error message.
 */
export class NhsApiPlatformTokens {
  private cached: CachedToken | undefined
  private pending: Promise<string> | undefined
  private readonly fetch: typeof fetch
  private readonly now: () => number

  constructor(private readonly options: NhsApiPlatformTokensOptions) {
    this.fetch = options.fetch ?? globalThis.fetch
    this.now = options.now ?? (() => Date.now())
  }

  /** A valid access token: the cached one, or a new one when it is near expiry or `refresh` is asked. */
  async accessToken(request: { refresh?: boolean } = {}): Promise<string> {
    if (request.refresh) this.cached = undefined
    if (this.cached && this.now() < this.cached.refreshAt) return this.cached.value
    this.pending ??= this.exchange().finally(() => {
      this.pending = undefined
    })
    return this.pending
  }

  private async exchange(): Promise<string> {
    let credentials: PlatformCredentials
    try {
      credentials = await this.options.credentials()
    } catch (error) {
      countMetric('PdsTokenFailures')
      throw new Error(`Could not read the NHS API platform credentials: ${(error as Error).name}`)
    }
    const assertion = await this.assertion(credentials)
    let response: Response
    try {
      response = await this.fetch(this.options.tokenUrl, {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded', Accept: 'application/json' },
        body: new URLSearchParams({
          grant_type: 'client_credentials',
          client_assertion_type: CLIENT_ASSERTION_TYPE,
          client_assertion: assertion,
        }).toString(),
        signal: AbortSignal.timeout(this.options.timeoutMs ?? 5_000),
      })
    } catch {
      countMetric('PdsTokenFailures')
      throw unavailable('The NHS API platform token endpoint did not answer')
    }
    const body = (await response.json().catch(() => ({}))) as Record<string, unknown>
    if (response.status !== 200 || typeof body.access_token !== 'string') {
      countMetric('PdsTokenFailures')
      // The platform's error code and description name the fault (kid, key, claims); nothing secret.
      const reason = [body.error, body.error_description]
        .filter((part) => typeof part === 'string')
        .join(': ')
      if (response.status >= 500)
        throw unavailable(`The NHS API platform token endpoint answered ${response.status}`)
      throw new Error(
        `The NHS API platform refused the token exchange (${response.status}${reason ? ` ${reason}` : ''})`,
      )
    }
    // The platform sends expires_in as a string of seconds ("599").
    const lifetime = Number(body.expires_in)
    const seconds = Number.isFinite(lifetime) && lifetime > 0 ? lifetime : ASSERTION_LIFETIME_SECONDS
    this.cached = {
      value: body.access_token,
      refreshAt: this.now() + Math.max(0, seconds - REFRESH_BEFORE_SECONDS) * 1000,
    }
    countMetric('PdsTokenExchanges')
    return body.access_token
  }

  /**
   * The client assertion, signed RS512 (RSASSA-PKCS1-v1_5 with SHA-512) by node:crypto: jose's
   * signing path would add 8 KB to the bundle for the same three base64url parts (README).
   */
  private async assertion(credentials: PlatformCredentials): Promise<string> {
    const key = createPrivateKey(credentials.privateKey)
    if (key.asymmetricKeyType !== 'rsa')
      throw new Error('The NHS API platform key must be an RSA private key')
    const issuedAt = Math.floor(this.now() / 1000)
    const header = { alg: 'RS512', typ: 'JWT', kid: credentials.kid }
    const claims = {
      iss: credentials.apiKey,
      sub: credentials.apiKey,
      aud: this.options.tokenUrl,
      jti: crypto.randomUUID(),
      iat: issuedAt,
      exp: issuedAt + ASSERTION_LIFETIME_SECONDS,
    }
    const signingInput = `${base64url(header)}.${base64url(claims)}`
    return `${signingInput}.${sign('sha512', Buffer.from(signingInput), key).toString('base64url')}`
  }
}

function base64url(value: object): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url')
}

function unavailable(diagnostics: string): FhirError {
  return new FhirError('SERVICE_UNAVAILABLE', `${diagnostics}; try again`, {
    headers: { 'Retry-After': '5' },
  })
}
