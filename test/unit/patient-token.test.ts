import { beforeAll, describe, expect, it, vi } from 'vitest'
import { authenticate, authenticateCaller } from '../../functions/shared/auth'
import { FhirError } from '../../functions/shared/errors'
import { routedHttpHandler } from '../../functions/shared/http'
import type { RouteDeclaration } from '../../infra/routes'
import { lambdaContext, proxyEvent } from '../support/events'
import { type TestSigner, testIcs, testSigner } from '../support/tokens'

// Security review, finding 4: the patient reads "who looked at my record" with their own
// token, NHS-login style. The token works for that and nothing else, and never counts as an
// organisation of the ICS.

const ics = testIcs()
let signer: TestSigner

beforeAll(async () => {
  signer = await testSigner(ics)
})

/** A patient's token: no requesting_organization, the NHS number as sub, proofing level P9. */
const patientToken = (claims: Record<string, unknown> = {}) =>
  signer.token({
    requesting_organization: undefined,
    sub: '9000000009',
    scope: 'audit.read',
    identity_proofing_level: 'P9',
    ...claims,
  })

async function refusalOf(promise: Promise<unknown>): Promise<FhirError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  )
  expect(error).toBeInstanceOf(FhirError)
  return error as FhirError
}

describe('authenticateCaller with a patient token', () => {
  it('answers the patient: their NHS number, audit.read, patient request', async () => {
    const caller = await authenticateCaller(await patientToken(), ics, signer.keySet)

    expect(caller).toEqual({
      kind: 'patient',
      sub: '9000000009',
      nhsNumber: '9000000009',
      ics: 'demo',
      scopes: new Set(['audit.read']),
      purposeOfUse: 'patientrequest',
    })
  })

  it.each([
    ['a lower identity proofing level (P5)', { identity_proofing_level: 'P5' }, 403],
    ['any scope but audit.read', { scope: 'audit.read patient.read' }, 403],
    ['another ICS', { ics: 'other-ics' }, 403],
    ['a sub that is not an NHS number', { sub: 'nhs-login-4f2a' }, 401],
    ['a sub that fails modulus 11', { sub: '9000000008' }, 401],
    ['no identity proofing level', { identity_proofing_level: undefined }, 401],
  ])('refuses %s', async (_label, claims, status) => {
    expect((await refusalOf(authenticateCaller(await patientToken(claims), ics, signer.keySet))).status).toBe(
      status,
    )
  })

  it('names the claims that are missing or invalid in the 401, never their values', async () => {
    const missing = await refusalOf(
      authenticateCaller(
        await patientToken({ identity_proofing_level: undefined, scope: 42 }),
        ics,
        signer.keySet,
      ),
    )
    const notAnNhsNumber = await refusalOf(
      authenticateCaller(await patientToken({ sub: '9000000008' }), ics, signer.keySet),
    )

    expect(missing.diagnostics).toMatch(/identity_proofing_level/)
    expect(missing.diagnostics).toMatch(/scope/)
    expect(notAnNhsNumber.diagnostics).toMatch(/: sub$/)
    expect(notAnNhsNumber.diagnostics).not.toContain('9000000008')
  })

  it('reads the scope as space-separated words, extra spaces ignored, as for organisation tokens', async () => {
    const caller = await authenticateCaller(
      await patientToken({ scope: ' audit.read  ' }),
      ics,
      signer.keySet,
    )

    expect(caller.scopes).toEqual(new Set(['audit.read']))
  })

  it('is never an organisation: authenticate (organisation tokens) refuses it with 403', async () => {
    const error = await refusalOf(authenticate(await patientToken(), ics, signer.keySet))

    expect(error.status).toBe(403)
  })

  it('leaves organisation tokens as they were', async () => {
    const caller = await authenticateCaller(await signer.token(), ics, signer.keySet)

    expect(caller).toMatchObject({ kind: 'organisation', organisation: 'NX001', sub: 'clinician-1' })
  })
})

describe('routes and patient tokens', () => {
  const routes: RouteDeclaration[] = [
    {
      operationId: 'readAudit',
      method: 'GET',
      path: '/AuditEvent',
      function: 'auditApi',
      scope: 'audit.read',
      summary: 'audit',
      patientAccess: true,
    },
    {
      operationId: 'readAuditStaffOnly',
      method: 'GET',
      path: '/StaffAudit',
      function: 'auditApi',
      scope: 'audit.read',
      summary: 'staff only',
    },
  ]

  function handler() {
    const domain = {
      readAudit: vi.fn(async () => ({ status: 200, body: { resourceType: 'Bundle' } })),
      readAuditStaffOnly: vi.fn(async () => ({ status: 200, body: { resourceType: 'Bundle' } })),
    }
    return {
      domain,
      handler: routedHttpHandler('test', routes, domain, {
        ics: () => ics,
        authenticate: (token, config) => authenticateCaller(token, config, signer.keySet),
      }),
    }
  }

  const get = (path: string, token: string) =>
    proxyEvent({ method: 'GET', resource: path, path, headers: { Authorization: `Bearer ${token}` } })

  it('lets a patient token through to a route that declares patientAccess', async () => {
    const { handler: serve, domain } = handler()

    const result = await serve(get('/AuditEvent', await patientToken()), lambdaContext())

    expect(result.statusCode).toBe(200)
    expect(domain.readAudit).toHaveBeenCalledWith(
      expect.anything(),
      expect.objectContaining({ kind: 'patient' }),
    )
  })

  it('refuses a patient token on every other route with 403, before the domain code runs', async () => {
    const { handler: serve, domain } = handler()

    const result = await serve(get('/StaffAudit', await patientToken()), lambdaContext())

    expect(result.statusCode).toBe(403)
    expect(domain.readAuditStaffOnly).not.toHaveBeenCalled()
  })
})
