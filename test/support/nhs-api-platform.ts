import { randomUUID } from 'node:crypto'
import { createServer, type IncomingMessage, type Server } from 'node:http'
import {
  decodeProtectedHeader,
  exportPKCS8,
  exportSPKI,
  generateKeyPair,
  importSPKI,
  errors as joseErrors,
  jwtVerify,
} from 'jose'
import type { PlatformCredentials } from '../../functions/shared/patients/NhsApiPlatformTokens'
import { NHS_NUMBER_SYSTEM } from '../../schemas/fhir/identifiers'
import { operationOutcome } from '../../schemas/fhir/OperationOutcome'
import type { Patient } from '../../schemas/fhir/Patient'

/**
 * A local stand-in for the NHS API platform: its OAuth 2.0 token endpoint, which checks a
 * client assertion the way the platform documents (RS512 signature by the registered key,
 * `kid`, `iss` = `sub` = API key, `aud` = the token URL, `exp` at most 5 minutes ahead, a `jti`
 * never seen before), and a PDS FHIR R4 that answers only to tokens the endpoint issued.
 */
export interface FakePlatform {
  tokenUrl: string
  pdsBaseUrl: string
  /** What the application holds (what the ICS keeps in Secrets Manager). */
  credentials: PlatformCredentials
  /** Every assertion the token endpoint verified, with its header and claims. */
  assertions: { header: Record<string, unknown>; claims: Record<string, unknown> }[]
  /** Every refusal of the token endpoint, with its reason. */
  refusals: string[]
  tokensIssued(): number
  pdsCalls: { path: string; authorization: string | undefined; requestId: string | undefined }[]
  patients: Map<string, Patient>
  /** Makes PDS answer this status (and nothing else) until set back to undefined. */
  pdsOutage: number | undefined
  /** Makes the token endpoint answer this status until set back to undefined. */
  tokenOutage: number | undefined
  /** Revokes every token issued so far (PDS answers them 401). */
  revokeAll(): void
  /** Registers a different key under the application's kid (its key was rotated on the portal). */
  rotateRegisteredKey(): Promise<void>
  /** Registers the application's own key again. */
  restoreRegisteredKey(): Promise<void>
  close(): Promise<void>
}

const JWT_BEARER = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer'

async function bodyOf(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = []
  for await (const chunk of request) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks).toString('utf8')
}

/** A PDS-shaped patient for the fake. */
export function fakePdsPatient(
  nhsNumber: string,
  options: { restricted?: boolean; family?: string } = {},
): Patient {
  return {
    resourceType: 'Patient',
    id: nhsNumber,
    identifier: [{ system: NHS_NUMBER_SYSTEM, value: nhsNumber }],
    meta: {
      versionId: '1',
      security: [
        {
          system: 'http://terminology.hl7.org/CodeSystem/v3-Confidentiality',
          code: options.restricted ? 'R' : 'U',
          display: options.restricted ? 'restricted' : 'unrestricted',
        },
      ],
    },
    name: [{ use: 'usual', given: ['Jane'], family: options.family ?? 'Smith' }],
    gender: 'female',
    birthDate: '2010-10-22',
  }
}

export async function startFakePlatform(): Promise<FakePlatform> {
  const apiKey = `api-key-${randomUUID()}`
  const kid = 'joinup-test-1'
  const pair = await generateKeyPair('RS512', { modulusLength: 2048, extractable: true })
  let registered = await importSPKI(await exportSPKI(pair.publicKey), 'RS512')
  const seenJti = new Set<string>()
  const issued = new Map<string, number>()
  const state = {
    assertions: [] as FakePlatform['assertions'],
    refusals: [] as string[],
    pdsCalls: [] as FakePlatform['pdsCalls'],
    patients: new Map<string, Patient>(),
    pdsOutage: undefined as number | undefined,
    tokenOutage: undefined as number | undefined,
  }
  let tokenUrl = ''

  const refuse = (status: number, error: string, description: string) => {
    state.refusals.push(description)
    return { status, body: { error, error_description: description } }
  }

  async function token(request: IncomingMessage): Promise<{ status: number; body: unknown }> {
    if (state.tokenOutage) return { status: state.tokenOutage, body: {} }
    const form = new URLSearchParams(await bodyOf(request))
    if (request.headers['content-type'] !== 'application/x-www-form-urlencoded')
      return refuse(400, 'invalid_request', 'Content-Type must be application/x-www-form-urlencoded')
    if (form.get('grant_type') !== 'client_credentials')
      return refuse(400, 'unsupported_grant_type', 'grant_type must be client_credentials')
    if (form.get('client_assertion_type') !== JWT_BEARER)
      return refuse(400, 'invalid_request', `client_assertion_type must be ${JWT_BEARER}`)
    const assertion = form.get('client_assertion') ?? ''
    let header: Record<string, unknown>
    try {
      header = decodeProtectedHeader(assertion) as Record<string, unknown>
    } catch {
      return refuse(400, 'invalid_request', 'Malformed JWT in client_assertion')
    }
    if (header.kid !== kid)
      return refuse(401, 'invalid_request', "Invalid 'kid' header in client_assertion JWT")
    if (header.typ !== 'JWT')
      return refuse(400, 'invalid_request', "Invalid 'typ' header in client_assertion JWT")
    try {
      const { payload } = await jwtVerify(assertion, registered, {
        algorithms: ['RS512'],
        issuer: apiKey,
        subject: apiKey,
        audience: tokenUrl,
        requiredClaims: ['exp', 'jti'],
      })
      const now = Math.floor(Date.now() / 1000)
      if ((payload.exp ?? 0) - now > 300)
        return refuse(400, 'invalid_request', 'Invalid exp claim in JWT - more than 5 minutes in future')
      if (seenJti.has(String(payload.jti)))
        return refuse(400, 'invalid_request', 'Non-unique jti claim in JWT')
      seenJti.add(String(payload.jti))
      state.assertions.push({ header, claims: payload as Record<string, unknown> })
    } catch (error) {
      const reason =
        error instanceof joseErrors.JWSSignatureVerificationFailed
          ? 'Unable to verify JWT signature'
          : error instanceof joseErrors.JWTClaimValidationFailed
            ? `Missing or invalid '${error.claim}' claim in client_assertion JWT`
            : `Invalid client_assertion JWT (${(error as Error).name})`
      return refuse(401, 'invalid_request', reason)
    }
    const accessToken = randomUUID().replaceAll('-', '')
    issued.set(accessToken, Date.now() + 599_000)
    return {
      status: 200,
      body: {
        access_token: accessToken,
        expires_in: '599',
        token_type: 'Bearer',
        issued_at: String(Date.now()),
      },
    }
  }

  function pds(request: IncomingMessage, url: URL): { status: number; body: unknown } {
    const authorization = request.headers.authorization
    state.pdsCalls.push({
      path: url.pathname + url.search,
      authorization,
      requestId: request.headers['x-request-id'] as string,
    })
    const bearer = /^Bearer (.+)$/.exec(authorization ?? '')?.[1]
    const expiresAt = bearer ? issued.get(bearer) : undefined
    if (!expiresAt || expiresAt < Date.now())
      return { status: 401, body: operationOutcome('ACCESS_DENIED', 'Invalid access token') }
    if (state.pdsOutage)
      return { status: state.pdsOutage, body: operationOutcome('SERVICE_UNAVAILABLE', 'PDS is down') }
    const read = /\/Patient\/(\d{10})$/.exec(url.pathname)
    if (read) {
      const patient = state.patients.get(read[1]!)
      return patient
        ? { status: 200, body: patient }
        : { status: 404, body: operationOutcome('RESOURCE_NOT_FOUND', 'Patient not found') }
    }
    if (url.pathname.endsWith('/Patient')) {
      const family = url.searchParams.get('family')?.toLowerCase()
      const matches = [...state.patients.values()].filter(
        (patient) => patient.name?.[0]?.family?.toLowerCase() === family,
      )
      return {
        status: 200,
        body: {
          resourceType: 'Bundle',
          type: 'searchset',
          total: matches.length,
          entry: matches.map((resource) => ({
            fullUrl: `${url.origin}/Patient/${resource.id}`,
            resource,
            search: { score: 1 },
          })),
        },
      }
    }
    return { status: 404, body: operationOutcome('NOT_FOUND', 'No such resource') }
  }

  const server: Server = createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://localhost')
    const answer =
      url.pathname === '/oauth2/token' && request.method === 'POST'
        ? token(request)
        : Promise.resolve(pds(request, url))
    answer.then(
      ({ status, body }) => {
        response.writeHead(status, {
          'Content-Type': url.pathname === '/oauth2/token' ? 'application/json' : 'application/fhir+json',
        })
        response.end(JSON.stringify(body))
      },
      () => {
        response.writeHead(500)
        response.end()
      },
    )
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const address = server.address()
  if (!address || typeof address === 'string') throw new Error('no port')
  const origin = `http://127.0.0.1:${address.port}`
  tokenUrl = `${origin}/oauth2/token`

  return Object.assign(state, {
    tokenUrl,
    pdsBaseUrl: `${origin}/personal-demographics/FHIR/R4`,
    credentials: { apiKey, kid, privateKey: await exportPKCS8(pair.privateKey) },
    tokensIssued: () => issued.size,
    revokeAll: () => issued.clear(),
    rotateRegisteredKey: async () => {
      const other = await generateKeyPair('RS512', { modulusLength: 2048, extractable: true })
      registered = await importSPKI(await exportSPKI(other.publicKey), 'RS512')
    },
    restoreRegisteredKey: async () => {
      registered = await importSPKI(await exportSPKI(pair.publicKey), 'RS512')
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  })
}
