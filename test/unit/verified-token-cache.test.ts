import type { JWTVerifyGetKey } from 'jose'
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import { authenticateCaller } from '../../functions/shared/auth'
import { FhirError } from '../../functions/shared/errors'
import { type TestSigner, testIcs, testSigner } from '../support/tokens'

// A partner app sends one token with every request for its lifetime; its ES256 signature is
// checked once and remembered, keyed by the whole token, never past its `exp`. Every claim
// check (issuer, audience, lifetime bounds, typ, ICS, membership) still runs on every request.

const ics = testIcs()
let signer: TestSigner

beforeAll(async () => {
  signer = await testSigner(ics)
})

afterEach(() => {
  vi.useRealTimers()
})

/** The signer's key set, counting how often a signature check asked it for a key. */
function countingKeySet(): { keySet: JWTVerifyGetKey; lookups: () => number } {
  let lookups = 0
  const keySet: JWTVerifyGetKey = (header, input) => {
    lookups++
    return signer.keySet(header, input)
  }
  return { keySet, lookups: () => lookups }
}

async function refusalOf(promise: Promise<unknown>): Promise<FhirError> {
  const error = await promise.then(
    () => undefined,
    (failure: unknown) => failure,
  )
  expect(error).toBeInstanceOf(FhirError)
  return error as FhirError
}

describe('authenticateCaller with a token it has verified before', () => {
  it('checks the signature once and answers the same caller from then on', async () => {
    // Prepare
    const { keySet, lookups } = countingKeySet()
    const token = await signer.token()

    // Act
    const first = await authenticateCaller(token, ics, keySet)
    const second = await authenticateCaller(token, ics, keySet)

    // Assess
    expect(lookups()).toBe(1)
    expect(second).toEqual(first)
    expect(second).toMatchObject({ kind: 'organisation', organisation: 'NX001' })
  })

  it('keys by the whole token: a copy with another signature is checked, and refused', async () => {
    // Prepare: the remembered token, and the same header and claims with a forged signature
    const { keySet, lookups } = countingKeySet()
    const token = await signer.token()
    await authenticateCaller(token, ics, keySet)
    const [header, claims] = token.split('.')
    const forged = `${header}.${claims}.${(await signer.foreignToken()).split('.')[2]}`

    // Act
    const error = await refusalOf(authenticateCaller(forged, ics, keySet))

    // Assess
    expect(lookups()).toBe(2)
    expect(error.status).toBe(401)
  })

  it('never trusts it past exp: the signature is checked again, and after the skew it is refused', async () => {
    // Prepare: a token for 120 s, verified at 09:00:00
    vi.useFakeTimers({ toFake: ['Date'] })
    vi.setSystemTime(new Date('2026-07-01T09:00:00Z'))
    const { keySet, lookups } = countingKeySet()
    const token = await signer.token({}, { expiresIn: 120 })
    await authenticateCaller(token, ics, keySet)

    // Act: one second past exp (inside the 60 s skew), then past the skew
    vi.setSystemTime(new Date('2026-07-01T09:02:01Z'))
    await authenticateCaller(token, ics, keySet)
    const lookupsWithinSkew = lookups()
    vi.setSystemTime(new Date('2026-07-01T09:03:01Z'))
    const error = await refusalOf(authenticateCaller(token, ics, keySet))

    // Assess
    expect(lookupsWithinSkew).toBe(2)
    expect(error.status).toBe(401)
    expect(error.diagnostics).toMatch(/expired/)
  })

  it('still refuses it when the ICS no longer accepts its issuer, audience or organisation', async () => {
    // Prepare
    const { keySet } = countingKeySet()
    const token = await signer.token()
    await authenticateCaller(token, ics, keySet)

    // Act
    const otherIssuer = await refusalOf(
      authenticateCaller(token, { ...ics, auth: { ...ics.auth, issuer: 'https://other.test' } }, keySet),
    )
    const otherAudience = await refusalOf(
      authenticateCaller(token, { ...ics, auth: { ...ics.auth, audience: 'https://other.test' } }, keySet),
    )
    const notAMember = await refusalOf(
      authenticateCaller(
        token,
        { ...ics, members: ics.members.filter((member) => member.ods !== 'NX001') },
        keySet,
      ),
    )
    const shorterLifetime = await refusalOf(
      authenticateCaller(token, { ...ics, auth: { ...ics.auth, maxTokenLifetimeSeconds: 60 } }, keySet),
    )

    // Assess
    expect(otherIssuer.diagnostics).toMatch(/iss/)
    expect(otherAudience.diagnostics).toMatch(/aud/)
    expect(notAMember.diagnostics).toMatch(/not a member/)
    expect(shorterLifetime.diagnostics).toMatch(/lifetime/)
  })

  it('does not carry a verification over to another ICS key set', async () => {
    // Prepare: verified against this ICS's keys; another ICS trusts other keys
    const { keySet } = countingKeySet()
    const token = await signer.token()
    await authenticateCaller(token, ics, keySet)
    const otherIcs = await testSigner(ics)

    // Act
    const error = await refusalOf(authenticateCaller(token, ics, otherIcs.keySet))

    // Assess
    expect(error.status).toBe(401)
  })

  it('does not remember a token it refused', async () => {
    // Prepare
    const { keySet, lookups } = countingKeySet()
    const foreign = await signer.foreignToken()

    // Act
    await refusalOf(authenticateCaller(foreign, ics, keySet))
    await refusalOf(authenticateCaller(foreign, ics, keySet))

    // Assess
    expect(lookups()).toBe(2)
  })
})
