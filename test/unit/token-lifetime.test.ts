import { createLocalJWKSet, exportJWK, generateKeyPair, type JWK, SignJWT } from 'jose'
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import { authenticate } from '../../functions/shared/auth'
import { FhirError } from '../../functions/shared/errors'
import type { IcsRuntimeConfig } from '../../schemas/ics-config'
import { testIcs } from '../support/tokens'

// Security review, finding 8: no maximum lifetime (an `exp` 100 years ahead was accepted),
// a future `iat` was accepted, and `typ` was not checked.

const NOW = Math.floor(Date.parse('2026-03-02T10:00:00Z') / 1000)
let keySet: ReturnType<typeof createLocalJWKSet>
let privateKey: Awaited<ReturnType<typeof generateKeyPair>>['privateKey']

beforeAll(async () => {
  const pair = await generateKeyPair('ES256', { extractable: true })
  privateKey = pair.privateKey
  const publicJwk: JWK = { ...(await exportJWK(pair.publicKey)), kid: 'trusted', alg: 'ES256' }
  keySet = createLocalJWKSet({ keys: [publicJwk] })
})

afterEach(() => {
  vi.useRealTimers()
})

interface TokenShape {
  iat?: number | null
  exp: number
  typ?: string
}

/** A token of the test ICS's issuer; `iat: null` leaves the claim out. */
function tokenOf(shape: TokenShape, ics: IcsRuntimeConfig = testIcs()): Promise<string> {
  const jwt = new SignJWT({
    sub: 'clinician-1',
    requesting_organization: 'NX001',
    ics: ics.ics,
    scope: 'patient.read',
  })
    .setProtectedHeader({
      alg: 'ES256',
      kid: 'trusted',
      ...(shape.typ === undefined ? {} : { typ: shape.typ }),
    })
    .setIssuer(ics.auth.issuer)
    .setAudience(ics.auth.audience)
    .setExpirationTime(shape.exp)
  if (shape.iat !== null) jwt.setIssuedAt(shape.iat ?? NOW)
  return jwt.sign(privateKey)
}

async function refusalOf(token: string, ics: IcsRuntimeConfig = testIcs()): Promise<FhirError> {
  try {
    await authenticate(token, ics, keySet)
  } catch (error) {
    if (error instanceof FhirError) return error
    throw error
  }
  throw new Error('the token was accepted')
}

describe('token lifetime', () => {
  it('accepts a token that lives exactly one hour (the default maximum)', async () => {
    // Prepare
    vi.useFakeTimers({ now: NOW * 1000 })
    const token = await tokenOf({ iat: NOW, exp: NOW + 3600 })

    // Act
    const caller = await authenticate(token, testIcs(), keySet)

    // Assess
    expect(caller.organisation).toBe('NX001')
  })

  it('refuses a token that lives a second longer than the maximum with 401', async () => {
    vi.useFakeTimers({ now: NOW * 1000 })
    const error = await refusalOf(await tokenOf({ iat: NOW, exp: NOW + 3601 }))

    expect(error.status).toBe(401)
    expect(error.code).toBe('ACCESS_DENIED')
    expect(error.diagnostics).toMatch(/lifetime/)
  })

  it('refuses the review’s token that expires in a hundred years', async () => {
    vi.useFakeTimers({ now: NOW * 1000 })
    const error = await refusalOf(await tokenOf({ iat: NOW, exp: NOW + 100 * 365 * 86_400 }))

    expect(error.status).toBe(401)
  })

  it('takes the maximum from the ICS config', async () => {
    // Prepare
    vi.useFakeTimers({ now: NOW * 1000 })
    const ics = testIcs()
    const strict = { ...ics, auth: { ...ics.auth, maxTokenLifetimeSeconds: 300 } }

    // Act, Assess
    expect((await refusalOf(await tokenOf({ iat: NOW, exp: NOW + 301 }), strict)).status).toBe(401)
    await expect(
      authenticate(await tokenOf({ iat: NOW, exp: NOW + 300 }), strict, keySet),
    ).resolves.toBeDefined()
  })

  it('measures a token without iat from now, with the 60 s skew', async () => {
    vi.useFakeTimers({ now: NOW * 1000 })

    await expect(
      authenticate(await tokenOf({ iat: null, exp: NOW + 3600 + 60 }), testIcs(), keySet),
    ).resolves.toBeDefined()
    expect((await refusalOf(await tokenOf({ iat: null, exp: NOW + 3600 + 61 }))).status).toBe(401)
  })

  it('refuses an iat more than 60 s in the future', async () => {
    vi.useFakeTimers({ now: NOW * 1000 })
    const error = await refusalOf(await tokenOf({ iat: NOW + 61, exp: NOW + 600 }))

    expect(error.status).toBe(401)
    expect(error.diagnostics).toMatch(/iat/)
  })

  it('refuses an iat that is not a number, before any key is fetched', async () => {
    // Prepare: a signed token whose iat is text, so only the claim's type is wrong
    vi.useFakeTimers({ now: NOW * 1000 })
    const ics = testIcs()
    const token = await new SignJWT({
      sub: 'clinician-1',
      requesting_organization: 'NX001',
      ics: ics.ics,
      scope: 'patient.read',
      iat: String(NOW) as unknown as number,
    })
      .setProtectedHeader({ alg: 'ES256', kid: 'trusted' })
      .setIssuer(ics.auth.issuer)
      .setAudience(ics.auth.audience)
      .setExpirationTime(NOW + 300)
      .sign(privateKey)
    const noKeys = vi.fn(async () => {
      throw new Error('no key should be asked for')
    })

    // Act
    const error = await authenticate(token, ics, noKeys).then(
      () => undefined,
      (caught: unknown) => caught,
    )

    // Assess
    expect(error).toBeInstanceOf(FhirError)
    expect((error as FhirError).status).toBe(401)
    expect((error as FhirError).diagnostics).toMatch(/"iat" is invalid/)
    expect(noKeys).not.toHaveBeenCalled()
  })

  it('tolerates an iat up to 60 s in the future (clock skew)', async () => {
    vi.useFakeTimers({ now: NOW * 1000 })

    await expect(
      authenticate(await tokenOf({ iat: NOW + 60, exp: NOW + 600 }), testIcs(), keySet),
    ).resolves.toBeDefined()
  })
})

describe('token type', () => {
  it.each(['JWT', 'jwt', 'at+jwt', 'AT+JWT', 'application/at+jwt', 'application/JWT'])(
    'accepts typ %s',
    async (typ) => {
      vi.useFakeTimers({ now: NOW * 1000 })

      await expect(
        authenticate(await tokenOf({ exp: NOW + 300, typ }), testIcs(), keySet),
      ).resolves.toBeDefined()
    },
  )

  it('accepts a token without typ', async () => {
    vi.useFakeTimers({ now: NOW * 1000 })

    await expect(authenticate(await tokenOf({ exp: NOW + 300 }), testIcs(), keySet)).resolves.toBeDefined()
  })

  // 'at+application/jwt': only a leading media-type prefix is dropped, not one inside the type.
  it.each(['id_token+jwt', 'logout+jwt', 'secevent+jwt', 'JOSE', 'dpop+jwt', '', 'at+application/jwt'])(
    'refuses typ %s with 401',
    async (typ) => {
      vi.useFakeTimers({ now: NOW * 1000 })
      const error = await refusalOf(await tokenOf({ exp: NOW + 300, typ }))

      expect(error.status).toBe(401)
      expect(error.diagnostics).toMatch(/typ/)
    },
  )
})
