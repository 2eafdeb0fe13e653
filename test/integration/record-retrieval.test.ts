import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { NHS_NUMBER_SYSTEM, ODS_CODE_SYSTEM } from '../../schemas/fhir/identifiers'
import { DEMO_PATIENTS } from '../../scripts/seed/demoPatients'
import { bootStack, type RunningStack } from './harness'

// Record retrieval over HTTP against the local stack: the sandbox GP Connect providers for
// Y90001, Y90002 and RX9, and the clinical store for FX002 (DESIGN.md "The local demo ICS").
// The harness checks every FHIR body the stack answers against HL7's R4 schema.

const OPERATION = '/Patient/$gpc.getstructuredrecord'
/** The demo ICS's holder timeout (infra/ics/demo.json); the call must end within it plus 500 ms. */
const HOLDER_TIMEOUT_MS = 2000

interface Resource {
  resourceType: string
  id: string
  [element: string]: unknown
}
interface Bundle {
  resourceType: string
  type: string
  entry: { resource: Resource }[]
}

let running: RunningStack
let token: string

beforeAll(async () => {
  running = await bootStack()
  token = await running.token('NX001', 'record.read')
}, 120_000)
afterAll(() => running?.stop())
afterEach(async () => {
  for (const ods of ['Y90001', 'Y90002', 'RX9']) await behave(ods, undefined)
})

const nhsNumber = (value: string) => ({
  name: 'patientNHSNumber',
  valueIdentifier: { system: NHS_NUMBER_SYSTEM, value },
})
const WHOLE_RECORD = [
  { name: 'includeAllergies', part: [{ name: 'includeResolvedAllergies', valueBoolean: true }] },
  { name: 'includeMedication' },
  { name: 'includeProblems' },
  { name: 'includeImmunisations' },
  { name: 'includeConsultations' },
  { name: 'includeInvestigations' },
  { name: 'includeReferrals' },
]

function retrieve(body: unknown, as = token) {
  return running.request(OPERATION, {
    method: 'POST',
    token: as,
    headers: { 'Content-Type': 'application/fhir+json' },
    body: JSON.stringify(body),
  })
}

const recordOf = (patient: string, parameters: unknown[] = WHOLE_RECORD) =>
  retrieve({ resourceType: 'Parameters', parameter: [nhsNumber(patient), ...parameters] })

/** Makes a sandbox provider slow, failing, refusing or garbage-answering (undefined: normal again). */
async function behave(ods: string, behaviour: Record<string, unknown> | undefined) {
  const response = await fetch(`${running.baseUrl}/_local/sandbox/gpconnect/${ods}/behaviour`, {
    method: behaviour ? 'PUT' : 'DELETE',
    headers: { 'Content-Type': 'application/json' },
    ...(behaviour ? { body: JSON.stringify(behaviour) } : {}),
  })
  expect(response.status).toBe(200)
}

const ofType = (bundle: Bundle, type: string) =>
  bundle.entry.map((entry) => entry.resource).filter((resource) => resource.resourceType === type)
const listOf = (bundle: Bundle, id: string) => ofType(bundle, 'List').find((list) => list.id === id)!
const warnings = (bundle: Bundle) =>
  ofType(bundle, 'OperationOutcome') as unknown as {
    issue: { code: string; details: { coding: { code: string }[] }; diagnostics: string }[]
  }[]

describe('POST /Patient/$gpc.getstructuredrecord', () => {
  it('merges the three holders of 9000000076 into one valid R4 record, in GP Connect’s shape', async () => {
    // Act
    const response = await recordOf(DEMO_PATIENTS.federated)
    const bundle = (await response.json()) as Bundle

    // Assess
    expect(response.status).toBe(200)
    expect(response.headers.get('content-type')).toMatch(/^application\/fhir\+json/)
    expect(bundle).toMatchObject({ resourceType: 'Bundle', type: 'collection' })
    expect(bundle.entry[0]!.resource).toMatchObject({
      resourceType: 'Patient',
      id: DEMO_PATIENTS.federated,
      name: [{ family: 'Okafor' }],
    })
    expect(ofType(bundle, 'Organization').slice(0, 3)).toMatchObject([
      { id: 'Y90002', identifier: [{ system: ODS_CODE_SYSTEM, value: 'Y90002' }] },
      { id: 'RX9' },
      { id: 'Y90001' },
    ])
    expect(ofType(bundle, 'Practitioner').length).toBeGreaterThanOrEqual(3)
    expect(ofType(bundle, 'List').map((list) => list.id)).toEqual(
      expect.arrayContaining([
        'allergies',
        'ended-allergies',
        'medications',
        'problems',
        'immunisations',
        'consultations',
        'investigations',
        'referrals',
      ]),
    )
    expect(warnings(bundle)).toEqual([])
    // Every clinical resource says which holder it came from, and no two share an id.
    const clinical = bundle.entry
      .map((entry) => entry.resource)
      .filter((resource) => !['Patient', 'List', 'Organization'].includes(resource.resourceType))
    for (const resource of clinical)
      expect((resource.meta as { source?: string }).source).toMatch(/\/organisations\/(Y90001|Y90002|RX9)$/)
    const keys = bundle.entry.map((entry) => `${entry.resource.resourceType}/${entry.resource.id}`)
    expect(new Set(keys).size).toBe(keys.length)
    // Each holder's own statements are there.
    const problems = (listOf(bundle, 'problems').entry as { item: { reference: string } }[]).map(
      (entry) => entry.item.reference,
    )
    expect(problems.map((reference) => reference.split('/')[1]!.split('-')[0])).toEqual(
      expect.arrayContaining(['Y90001', 'Y90002', 'RX9']),
    )
  })

  it('shows the penicillin allergy both practices hold once, and says so; keeps alike statements and says that too', async () => {
    // Act
    const bundle = (await (await recordOf(DEMO_PATIENTS.federated)).json()) as Bundle

    // Assess
    const allergies = listOf(bundle, 'allergies')
    const penicillin = ofType(bundle, 'AllergyIntolerance').filter((allergy) =>
      JSON.stringify(allergy.code).includes('91936005'),
    )
    expect(penicillin).toHaveLength(1)
    expect(allergies.entry).toContainEqual({
      item: { reference: `AllergyIntolerance/${penicillin[0]!.id}` },
      flag: { text: 'Held by Y90002 and Y90001: the same statement, shown once' },
    })
    expect(allergies.note).toContainEqual({
      text: 'Allergy to penicillin is held by Y90002 and Y90001 with the same code, dates and asserting organisation: shown once.',
    })
    expect(
      ofType(bundle, 'MedicationStatement').filter(
        (statement) =>
          JSON.stringify(statement).includes('Y90001-') || JSON.stringify(statement).includes('Y90002-'),
      ).length,
    ).toBeGreaterThanOrEqual(3)
    expect(listOf(bundle, 'medications').note).toContainEqual({
      text: 'Metformin 500mg tablets is recorded by Y90002 and Y90001 with different dates or asserting organisations: each is shown.',
    })
  })

  it('sends each provider what a GP Connect consumer sends', async () => {
    // Act
    await recordOf(DEMO_PATIENTS.registered, [{ name: 'includeProblems' }])
    const seen = (await (
      await fetch(`${running.baseUrl}/_local/sandbox/gpconnect/Y90001/requests`)
    ).json()) as {
      headers: Record<string, string>
      jwt: { header: unknown; claims: Record<string, unknown> }
      body: unknown
    }[]

    // Assess
    const last = seen.at(-1)!
    expect(last.headers).toMatchObject({
      'ssp-from': '200000009001',
      'ssp-to': '918999190001',
      'ssp-interactionid': 'urn:nhs:names:services:gpconnect:fhir:operation:gpc.getstructuredrecord-1',
    })
    expect(last.jwt.header).toEqual({ alg: 'none', typ: 'JWT' })
    expect(last.jwt.claims).toMatchObject({
      reason_for_request: 'directcare',
      requested_scope: 'patient/*.read conf/N',
      requesting_organization: { identifier: [{ value: 'NX001' }], name: 'Demo Urgent Care' },
      requesting_device: { resourceType: 'Device' },
      requesting_practitioner: { resourceType: 'Practitioner' },
    })
    expect(last.body).toEqual({
      resourceType: 'Parameters',
      parameter: [nhsNumber(DEMO_PATIENTS.registered), { name: 'includeProblems' }],
    })
  })

  it('answers within the holder timeout plus 500 ms when one holder does not answer, naming it in a warning', async () => {
    // Prepare: a warm call first, so the timed one measures the retrieval, not the first load
    await recordOf(DEMO_PATIENTS.federated)
    await behave('RX9', { mode: 'slow', delayMs: 10_000 })
    const body = JSON.stringify({
      resourceType: 'Parameters',
      parameter: [nhsNumber(DEMO_PATIENTS.federated), ...WHOLE_RECORD],
    })
    const started = performance.now()

    // Act: the exchange alone is timed (the harness's R4 check of the answer is not)
    const response = await fetch(`${running.baseUrl}${OPERATION}`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/fhir+json' },
      body,
    })
    const bundle = (await response.json()) as Bundle
    const elapsed = performance.now() - started

    // Assess
    expect(response.status).toBe(200)
    expect(elapsed).toBeLessThan(HOLDER_TIMEOUT_MS + 500)
    expect(warnings(bundle)).toMatchObject([
      {
        issue: [
          {
            severity: 'warning',
            code: 'timeout',
            details: { coding: [{ code: 'timeout' }, { code: 'RX9' }] },
            diagnostics: expect.stringMatching(/^RX9 \(Demo General Hospital\): no answer within \d+ ms$/),
          },
        ],
      },
    ])
    expect(ofType(bundle, 'Organization').map((organisation) => organisation.id)).toContain('RX9')
    expect(ofType(bundle, 'Condition').some((condition) => String(condition.id).startsWith('Y90002-'))).toBe(
      true,
    )
    expect(listOf(bundle, 'problems').note).toContainEqual({
      text: 'This list may be incomplete: no answer from RX9 (see the OperationOutcome).',
    })
  })

  it.each([
    ['garbage (not FHIR)', { mode: 'garbage' }, 'invalid', /the answer is not a FHIR Bundle/],
    ['an error', { mode: 'failing' }, 'exception', /answered 500 INTERNAL_SERVER_ERROR/],
    ['a refusal', { mode: 'refusing' }, 'forbidden', /answered 403 ACCESS DENIED/],
  ])(
    'answers with the other holders when one answers %s',
    async (_name, behaviour, issueType, diagnostics) => {
      // Prepare
      await behave('RX9', behaviour)

      // Act
      const response = await recordOf(DEMO_PATIENTS.federated)
      const bundle = (await response.json()) as Bundle

      // Assess
      expect(response.status).toBe(200)
      const [warning] = warnings(bundle)
      expect(warning?.issue[0]).toMatchObject({ code: issueType, details: { coding: [{}, { code: 'RX9' }] } })
      expect(warning?.issue[0]?.diagnostics).toMatch(diagnostics)
      expect(ofType(bundle, 'AllergyIntolerance').length).toBeGreaterThan(0)
    },
  )

  it("merges a GP Connect practice with a pharmacy's record in the ICS store", async () => {
    // Act
    const bundle = (await (await recordOf(DEMO_PATIENTS.supersededBy)).json()) as Bundle

    // Assess
    expect(
      ofType(bundle, 'Organization')
        .map((organisation) => organisation.id)
        .slice(0, 2),
    ).toEqual(['Y90002', 'FX002'])
    expect(ofType(bundle, 'AllergyIntolerance')).toMatchObject([
      { code: { coding: [{ code: '293586001' }] }, meta: { source: expect.stringMatching(/FX002$/) } },
    ])
  })

  describe('patients GP Connect gives no record of', () => {
    it.each([
      ['a restricted (S-flag) patient', DEMO_PATIENTS.restricted, 404, 'PATIENT_NOT_FOUND'],
      ['a deceased patient', DEMO_PATIENTS.deceased, 404, 'PATIENT_NOT_FOUND'],
      ['a patient PDS does not know', DEMO_PATIENTS.neverSeeded, 404, 'PATIENT_NOT_FOUND'],
      ['a patient who dissented from sharing', DEMO_PATIENTS.dissented, 403, 'NO_PATIENT_CONSENT'],
      ['a patient no organisation holds a record of', DEMO_PATIENTS.unindexed, 404, 'NO_RECORD_FOUND'],
    ])('%s: %s %s', async (_name, patient, status, code) => {
      // Act
      const response = await recordOf(patient)
      const outcome = (await response.json()) as {
        issue: { details: { coding: { code: string }[] }; diagnostics?: string }[]
      }

      // Assess
      expect(response.status).toBe(status)
      expect(outcome.issue[0]?.details.coding[0]?.code).toBe(code)
      expect(JSON.stringify(outcome)).not.toMatch(/Smythe|Hidden Court|01632960123/)
    })

    it('follows a superseded NHS number to the record that replaced it, as PDS does', async () => {
      // Act
      const response = await recordOf(DEMO_PATIENTS.superseded)
      const bundle = (await response.json()) as Bundle

      // Assess
      expect(response.status).toBe(200)
      expect(bundle.entry[0]!.resource).toMatchObject({
        resourceType: 'Patient',
        id: DEMO_PATIENTS.supersededBy,
      })
    })
  })

  describe('refuses the parameters GP Connect refuses', () => {
    it.each([
      ['a body that is not Parameters', { resourceType: 'Patient' }, 422, 'INVALID_RESOURCE'],
      [
        'no patientNHSNumber',
        { resourceType: 'Parameters', parameter: [{ name: 'includeProblems' }] },
        422,
        'INVALID_PARAMETER',
      ],
      [
        'an invalid NHS number',
        { resourceType: 'Parameters', parameter: [nhsNumber('9000000001')] },
        400,
        'INVALID_NHS_NUMBER',
      ],
      [
        'an unknown parameter',
        {
          resourceType: 'Parameters',
          parameter: [nhsNumber(DEMO_PATIENTS.registered), { name: 'includeGenome' }],
        },
        422,
        'INVALID_PARAMETER',
      ],
      [
        'a missing mandatory part',
        {
          resourceType: 'Parameters',
          parameter: [nhsNumber(DEMO_PATIENTS.registered), { name: 'includeAllergies' }],
        },
        422,
        'INVALID_PARAMETER',
      ],
      [
        'a partial date',
        {
          resourceType: 'Parameters',
          parameter: [
            nhsNumber(DEMO_PATIENTS.registered),
            { name: 'includeMedication', part: [{ name: 'medicationSearchFromDate', valueDate: '2024-01' }] },
          ],
        },
        422,
        'INVALID_PARAMETER',
      ],
      [
        'a future date',
        {
          resourceType: 'Parameters',
          parameter: [
            nhsNumber(DEMO_PATIENTS.registered),
            {
              name: 'includeConsultations',
              part: [{ name: 'consultationSearchPeriod', valuePeriod: { start: '2099-01-01' } }],
            },
          ],
        },
        422,
        'INVALID_PARAMETER',
      ],
      [
        'both consultation options',
        {
          resourceType: 'Parameters',
          parameter: [
            nhsNumber(DEMO_PATIENTS.registered),
            {
              name: 'includeConsultations',
              part: [
                { name: 'consultationSearchPeriod', valuePeriod: { start: '2024-01-01' } },
                { name: 'includeNumberOfMostRecent', valuePositiveInt: 3 },
              ],
            },
          ],
        },
        422,
        'INVALID_PARAMETER',
      ],
    ])('%s: %s %s', async (_name, body, status, code) => {
      // Act
      const response = await retrieve(body)
      const outcome = (await response.json()) as {
        issue: { details: { coding: { code: string }[] }; diagnostics?: string }[]
      }

      // Assess
      expect(response.status).toBe(status)
      expect(outcome.issue[0]?.details.coding[0]?.code).toBe(code)
      expect(outcome.issue[0]?.diagnostics).toBeTruthy()
    })

    it('needs the record.read scope', async () => {
      // Act
      const response = await recordOf(DEMO_PATIENTS.registered, [])

      // Assess
      expect((await retrieve({}, await running.token('NX001', 'patient.read'))).status).toBe(403)
      expect(response.status).toBe(200)
    })
  })

  it('audits each retrieval: the caller, the patient, and which holders answered or failed', async () => {
    // Prepare
    await behave('RX9', { mode: 'failing' })
    await recordOf(DEMO_PATIENTS.federated, [{ name: 'includeProblems' }])

    // Act
    const response = await running.request(`/AuditEvent?patient=${DEMO_PATIENTS.federated}`, {
      token: await running.token('Y90002', 'audit.read'),
    })
    const audit = (await response.json()) as {
      entry: {
        resource: {
          agent: unknown[]
          entity: { what: { reference?: string }; detail?: unknown[] }[]
          subtype: { code: string }[]
        }
      }[]
    }

    // Assess
    const latest = audit.entry[0]!.resource
    expect(latest.subtype).toContainEqual(expect.objectContaining({ code: 'getStructuredRecord' }))
    expect(latest.agent).toContainEqual(
      expect.objectContaining({ who: { identifier: { system: ODS_CODE_SYSTEM, value: 'NX001' } } }),
    )
    expect(latest.entity).toEqual(
      expect.arrayContaining([
        { what: { reference: `Patient/${DEMO_PATIENTS.federated}` } },
        {
          what: { reference: 'Organization/Y90002' },
          detail: [{ type: 'outcome', valueString: 'answered' }],
        },
        {
          what: { reference: 'Organization/Y90001' },
          detail: [{ type: 'outcome', valueString: 'answered' }],
        },
        { what: { reference: 'Organization/RX9' }, detail: [{ type: 'outcome', valueString: 'error' }] },
      ]),
    )
  })
})
