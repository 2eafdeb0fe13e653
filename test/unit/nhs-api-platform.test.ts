import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager'
import { mockClient } from 'aws-sdk-client-mock'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest'
import { FhirError } from '../../functions/shared/errors'
import { resetIcsConfig } from '../../functions/shared/ics'
import { flushMetrics } from '../../functions/shared/metrics'
import { NationalPdsDirectory } from '../../functions/shared/patients/NationalPdsDirectory'
import {
  ASSERTION_LIFETIME_SECONDS,
  NhsApiPlatformTokens,
  type PlatformCredentials,
  REFRESH_BEFORE_SECONDS,
} from '../../functions/shared/patients/NhsApiPlatformTokens'
import { CREDENTIALS_MAX_AGE_MS, platformCredentialsFrom } from '../../functions/shared/secrets'
import { type FakePlatform, fakePdsPatient, startFakePlatform } from '../support/nhs-api-platform'
import { testIcs } from '../support/tokens'

// The national PDS through the NHS API platform's application-restricted signed-JWT access,
// against a local token endpoint and PDS that check what the real ones check.
const CONTEXT = { requestId: '60E0B220-8136-4CA5-AE46-1D97EF59D068', correlationId: 'corr-1' }
const secrets = mockClient(SecretsManagerClient)
let platform: FakePlatform
const metricLines: string[] = []

function tokensWith(credentials: () => Promise<PlatformCredentials> = async () => platform.credentials) {
  return new NhsApiPlatformTokens({ tokenUrl: platform.tokenUrl, credentials })
}

function pdsWith(tokens: NhsApiPlatformTokens) {
  return new NationalPdsDirectory({
    baseUrl: platform.pdsBaseUrl,
    accessToken: (request) => tokens.accessToken(request),
    sleep: async () => {},
  })
}

beforeAll(async () => {
  platform = await startFakePlatform()
  platform.patients.set('9000000009', fakePdsPatient('9000000009'))
  process.env.ICS_CONFIG = JSON.stringify(testIcs())
  resetIcsConfig()
})

afterAll(() => platform.close())

beforeEach(() => {
  platform.assertions.length = 0
  platform.refusals.length = 0
  platform.pdsCalls.length = 0
  platform.pdsOutage = undefined
  platform.tokenOutage = undefined
  secrets.reset()
  metricLines.length = 0
})

afterEach(async () => {
  vi.useRealTimers()
  vi.unstubAllEnvs()
  vi.restoreAllMocks()
  await platform.restoreRegisteredKey()
  flushMetrics((line) => metricLines.push(line))
})

describe('NhsApiPlatformTokens', () => {
  it('exchanges an RS512 client assertion the platform accepts for a token PDS accepts', async () => {
    // Act
    const result = await pdsWith(tokensWith()).read('9000000009', CONTEXT)

    // Assess: the fake verified the signature with the registered key; these are the claims it saw
    expect(result.kind).toBe('found')
    expect(platform.refusals).toEqual([])
    expect(platform.assertions).toHaveLength(1)
    const [{ header, claims }] = platform.assertions as [FakePlatform['assertions'][number]]
    expect(header).toEqual({ alg: 'RS512', typ: 'JWT', kid: platform.credentials.kid })
    expect(claims).toMatchObject({
      iss: platform.credentials.apiKey,
      sub: platform.credentials.apiKey,
      aud: platform.tokenUrl,
      jti: expect.stringMatching(/^[0-9a-f-]{36}$/),
    })
    expect((claims.exp as number) - (claims.iat as number)).toBe(ASSERTION_LIFETIME_SECONDS)
    expect(platform.pdsCalls[0]!.authorization).toMatch(/^Bearer [0-9a-f]{32}$/)
  })

  it('reuses the token until shortly before it expires, then exchanges a new assertion', async () => {
    // Prepare: the stack's and the platform's clocks move together (fake Date, real sockets)
    vi.useFakeTimers({ toFake: ['Date'] })
    const pds = pdsWith(tokensWith())

    // Act: many calls within the token's life, then one past its refresh point (599 s - 60 s)
    for (let call = 0; call < 5; call++) await pds.read('9000000009', CONTEXT)
    vi.setSystemTime(Date.now() + (599 - REFRESH_BEFORE_SECONDS - 1) * 1000)
    await pds.read('9000000009', CONTEXT)
    const beforeRefresh = platform.assertions.length
    vi.setSystemTime(Date.now() + 2000)
    await pds.read('9000000009', CONTEXT)

    // Assess: one exchange for six calls, a second one before the first token expired, new jti
    expect(beforeRefresh).toBe(1)
    expect(platform.assertions).toHaveLength(2)
    expect(platform.assertions[0]!.claims.jti).not.toBe(platform.assertions[1]!.claims.jti)
    expect(new Set(platform.pdsCalls.map((call) => call.authorization)).size).toBe(2)
  })

  it('makes one exchange for concurrent first calls', async () => {
    const pds = pdsWith(tokensWith())
    await Promise.all(Array.from({ length: 8 }, () => pds.read('9000000009', CONTEXT)))
    expect(platform.assertions).toHaveLength(1)
    expect(platform.pdsCalls).toHaveLength(8)
  })

  it('gets a new token once, and succeeds, when PDS refuses a revoked one', async () => {
    // Prepare
    const pds = pdsWith(tokensWith())
    await pds.read('9000000009', CONTEXT)
    platform.revokeAll()

    // Act
    const result = await pds.read('9000000009', CONTEXT)

    // Assess: 401, a fresh exchange, the same X-Request-ID on the retry
    expect(result.kind).toBe('found')
    expect(platform.assertions).toHaveLength(2)
    expect(platform.pdsCalls.slice(1).map((call) => call.requestId)).toEqual([
      CONTEXT.requestId,
      CONTEXT.requestId,
    ])
  })

  it('fails, naming the platform’s reason and nothing secret, when the platform refuses the assertion', async () => {
    // Prepare: the key registered on the portal no longer matches the one in the secret
    await platform.rotateRegisteredKey()
    const logged: string[] = []
    vi.spyOn(console, 'error').mockImplementation((...args) => void logged.push(args.join(' ')))

    // Act
    const error = await pdsWith(tokensWith())
      .read('9000000009', CONTEXT)
      .then(
        () => undefined,
        (caught: Error) => caught,
      )

    // Assess
    expect(error?.message).toMatch(
      /refused the token exchange \(401 invalid_request: Unable to verify JWT signature\)/,
    )
    const everything = `${error?.message} ${error?.stack} ${logged.join(' ')}`
    expect(everything).not.toContain(platform.credentials.privateKey.split('\n')[1]!)
    expect(everything).not.toContain(platform.credentials.apiKey)
    expect(platform.pdsCalls).toHaveLength(0)
  })

  it('answers 503, to retry later, while the token endpoint is down', async () => {
    platform.tokenOutage = 502
    const error = await pdsWith(tokensWith())
      .read('9000000009', CONTEXT)
      .catch((caught: unknown) => caught)
    expect(error).toBeInstanceOf(FhirError)
    expect((error as FhirError).status).toBe(503)
  })

  it('counts exchanges and refusals as metrics for the PDS lookup capability', async () => {
    vi.stubEnv('POWERTOOLS_METRICS_DISABLED', 'false')
    await pdsWith(tokensWith()).read('9000000009', CONTEXT)
    flushMetrics((line) => metricLines.push(line))
    expect(metricLines.map((line) => JSON.parse(line))).toContainEqual(
      expect.objectContaining({ PdsTokenExchanges: 1, capability: 'patientLookup' }),
    )
  })
})

describe('NationalPdsDirectory through the platform', () => {
  it('answers 503 once PDS stays unavailable through its retries', async () => {
    // Prepare
    const pds = pdsWith(tokensWith())
    platform.pdsOutage = 503

    // Act
    const error = await pds.read('9000000009', CONTEXT).catch((caught: unknown) => caught)

    // Assess
    expect((error as FhirError).status).toBe(503)
    expect((error as FhirError).headers['Retry-After']).toBe('5')
  })
})

describe('platformCredentialsFrom (Secrets Manager)', () => {
  const secretValue = () => JSON.stringify(platform.credentials)

  it('reads the credentials from the secret once, and again after 15 minutes (a rotated key needs no deploy)', async () => {
    // Prepare
    let now = 0
    secrets
      .on(GetSecretValueCommand, { SecretId: 'joinup/demo/nhs-api-platform' })
      .resolves({ SecretString: secretValue() })
    const credentials = platformCredentialsFrom('joinup/demo/nhs-api-platform', {
      client: new SecretsManagerClient({ region: 'eu-west-2' }),
      now: () => now,
    })

    // Act
    await credentials()
    await credentials()
    now += CREDENTIALS_MAX_AGE_MS
    const read = await credentials()

    // Assess
    expect(read).toEqual(platform.credentials)
    expect(secrets.commandCalls(GetSecretValueCommand)).toHaveLength(2)
  })

  it('feeds the token exchange end to end', async () => {
    secrets.on(GetSecretValueCommand).resolves({ SecretString: secretValue() })
    const credentials = platformCredentialsFrom('s', {
      client: new SecretsManagerClient({ region: 'eu-west-2' }),
    })
    expect((await pdsWith(tokensWith(credentials)).read('9000000009', CONTEXT)).kind).toBe('found')
  })

  it('refuses a secret of the wrong shape without repeating its value', async () => {
    // Prepare
    secrets
      .on(GetSecretValueCommand)
      .resolves({ SecretString: JSON.stringify({ apiKey: 'k-123', key: 'PRIVATE' }) })
    const credentials = platformCredentialsFrom('s', {
      client: new SecretsManagerClient({ region: 'eu-west-2' }),
    })

    // Act
    const error = await credentials().catch((caught: Error) => caught)

    // Assess
    expect(String(error)).toMatch(/lacks one of apiKey, kid, privateKey/)
    expect(String(error)).not.toMatch(/k-123|PRIVATE/)
  })
})
