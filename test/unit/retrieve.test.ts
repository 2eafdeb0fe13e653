import { beforeEach, describe, expect, it } from 'vitest'
import { getStructuredRecord, type RetrievalDependencies } from '../../functions/record-retrieval/retrieve'
import { FhirError } from '../../functions/shared/errors'
import type { FhirResource } from '../../functions/shared/gpconnect/stu3ToR4'
import type { PatientDirectory, PatientReadResult } from '../../functions/shared/patients/PatientDirectory'
import type {
  HolderAnswer,
  HolderRecordSource,
  HolderRequest,
} from '../../functions/shared/records/HolderRecordSource'
import { timedOut } from '../../functions/shared/records/HolderRecordSource'
import type { Caller } from '../../schemas/auth'
import { NHS_NUMBER_SYSTEM, ODS_CODE_SYSTEM } from '../../schemas/fhir/identifiers'
import type { Patient } from '../../schemas/fhir/Patient'
import { recordTypeFromText } from '../../schemas/fhir/recordTypes'
import type { DirectoryEntry } from '../../schemas/ics-config'
import { MemoryPatientIndex } from '../support/memory-index'
import { testIcs } from '../support/tokens'

// The retrieval itself, over fakes: who is refused, who is asked, and how long it may take.

const NHS = '9000000076'
const CALLER: Caller = {
  sub: 'clinician-1',
  organisation: 'NX001',
  ics: 'demo',
  scopes: new Set(['record.read']),
  purposeOfUse: 'directcare',
}
const CONTEXT = { requestId: 'req-1', correlationId: 'corr-1', baseUrl: 'https://api.test' }

const patientOf = (nhsNumber: string, extra: Partial<Patient> = {}): Patient => ({
  resourceType: 'Patient',
  id: nhsNumber,
  identifier: [{ system: NHS_NUMBER_SYSTEM, value: nhsNumber }],
  generalPractitioner: [{ identifier: { system: ODS_CODE_SYSTEM, value: 'Y90002' } }],
  ...extra,
})

const parameters = (nhsNumber = NHS) => ({
  resourceType: 'Parameters',
  parameter: [
    { name: 'patientNHSNumber', valueIdentifier: { system: NHS_NUMBER_SYSTEM, value: nhsNumber } },
    { name: 'includeAllergies', part: [{ name: 'includeResolvedAllergies', valueBoolean: false }] },
  ],
})

const gp = (ods: string): DirectoryEntry => ({
  ods,
  protocol: 'gpconnect-1.6-stu3',
  endpoint: `https://${ods.toLowerCase()}.example.nhs.uk/STU3/1/gpconnect`,
  asid: '918999190001',
  interactions: ['structured-record'],
})

/** A source that answers per holder with a script, and records who it was asked about. */
class ScriptedSource implements HolderRecordSource {
  readonly asked: HolderRequest[] = []
  constructor(private readonly script: (request: HolderRequest) => Promise<HolderAnswer>) {}
  structuredRecord(request: HolderRequest) {
    this.asked.push(request)
    return this.script(request)
  }
}

const record = (ods: string): HolderAnswer => ({
  kind: 'answered',
  resources: [
    { resourceType: 'Organization', id: 'own', identifier: [{ system: ODS_CODE_SYSTEM, value: ods }] },
  ],
  notes: [],
})

let reads: Map<string, PatientReadResult>
let index: MemoryPatientIndex
let source: ScriptedSource
let deps: RetrievalDependencies

function holds(nhsNumber: string, ...holders: string[]) {
  for (const holderOds of holders) {
    index.store(
      {
        nhsNumber,
        holderOds,
        // What the holder announced in its pointer: untrusted, never called.
        endpoint: `https://pointer-${holderOds.toLowerCase()}.example/steal`,
        recordType: recordTypeFromText('GP record'),
        status: 'current',
        decidedAt: '2026-01-01T00:00:00Z',
        decidedBy: `evt-${holderOds}`,
        sources: [],
        version: 0,
      },
      0,
    )
  }
}

beforeEach(() => {
  reads = new Map([[NHS, { kind: 'found', patient: patientOf(NHS) }]])
  index = new MemoryPatientIndex()
  source = new ScriptedSource(async (request) => record(request.holder.ods))
  const patients: PatientDirectory = {
    read: async (nhsNumber) => reads.get(nhsNumber) ?? { kind: 'not-found' },
    search: async () => ({ kind: 'matches', matches: [] }),
  }
  deps = {
    patients,
    index,
    sources: { 'gpconnect-1.6-stu3': source, 'joinup-store': source },
    ics: testIcs({
      directory: {
        consumerAsid: '200000000001',
        holderTimeoutMs: 150,
        holders: [
          gp('Y90001'),
          gp('Y90002'),
          gp('RX9'),
          { ods: 'FX001', protocol: 'joinup-store', interactions: ['structured-record'] },
        ],
      },
    }),
    clock: () => new Date('2026-03-10T12:00:00Z'),
  }
})

async function refusalOf(promise: Promise<unknown>): Promise<FhirError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  )
  expect(error).toBeInstanceOf(FhirError)
  return error as FhirError
}

describe('getStructuredRecord', () => {
  describe('refuses as GP Connect does, before asking anyone', () => {
    it.each<[string, PatientReadResult | undefined, number, string]>([
      ['an unknown patient', undefined, 404, 'PATIENT_NOT_FOUND'],
      ['an invalidated record', { kind: 'invalidated' }, 404, 'PATIENT_NOT_FOUND'],
      [
        'a restricted (S-flag) patient',
        {
          kind: 'found',
          patient: patientOf(NHS, {
            meta: {
              security: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-Confidentiality', code: 'R' }],
            },
          }),
        },
        404,
        'PATIENT_NOT_FOUND',
      ],
      [
        'a restricted patient who also dissented (the dissent stays unsaid)',
        {
          kind: 'found',
          dissentsFromSharing: true,
          patient: patientOf(NHS, {
            meta: {
              security: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-Confidentiality', code: 'R' }],
            },
          }),
        },
        404,
        'PATIENT_NOT_FOUND',
      ],
      [
        'a deceased patient',
        { kind: 'found', patient: patientOf(NHS, { deceasedDateTime: '2024-03-02T09:15:00+00:00' }) },
        404,
        'PATIENT_NOT_FOUND',
      ],
      [
        'a patient who dissented from sharing',
        { kind: 'found', patient: patientOf(NHS), dissentsFromSharing: true },
        403,
        'NO_PATIENT_CONSENT',
      ],
    ])('%s', async (_name, read, status, code) => {
      // Prepare
      holds(NHS, 'Y90001')
      if (read) reads.set(NHS, read)
      else reads.delete(NHS)

      // Act
      const error = await refusalOf(getStructuredRecord(parameters(), CALLER, CONTEXT, deps))

      // Assess
      expect([error.status, error.code]).toEqual([status, code])
      expect(source.asked).toEqual([])
    })

    it('answers NO_RECORD_FOUND when the patient index lists nobody', async () => {
      // Act
      const error = await refusalOf(getStructuredRecord(parameters(), CALLER, CONTEXT, deps))

      // Assess
      expect([error.status, error.code]).toEqual([404, 'NO_RECORD_FOUND'])
    })
  })

  it('asks every holder once, the registered GP first, and audits who answered', async () => {
    // Prepare
    holds(NHS, 'RX9', 'Y90001', 'Y90002')

    // Act
    const { bundle, audit } = await getStructuredRecord(parameters(), CALLER, CONTEXT, deps)

    // Assess
    expect(source.asked.map((request) => request.holder.ods)).toEqual(['Y90002', 'RX9', 'Y90001'])
    expect(source.asked[0]).toMatchObject({
      caller: CALLER,
      callerOrganisationName: 'Demo Urgent Care',
      consumerBaseUrl: 'https://api.test',
    })
    const organisations = (bundle.entry as { resource: FhirResource }[]).filter(
      (entry) => entry.resource.resourceType === 'Organization',
    )
    expect(organisations.map((entry) => entry.resource.id)).toEqual(['Y90002', 'RX9', 'Y90001'])
    expect(audit).toEqual([
      {
        patient: NHS,
        action: 'E',
        entities: [`Patient/${NHS}`, 'Organization/Y90002', 'Organization/RX9', 'Organization/Y90001'],
        entityOutcomes: {
          'Organization/Y90002': 'answered',
          'Organization/RX9': 'answered',
          'Organization/Y90001': 'answered',
        },
      },
    ])
  })

  it("calls only the directory's endpoints, never a URL from a pointer", async () => {
    // Prepare
    holds(NHS, 'Y90001', 'RX9')

    // Act
    await getStructuredRecord(parameters(), CALLER, CONTEXT, deps)

    // Assess
    expect(source.asked.map((request) => request.holder)).toEqual([gp('RX9'), gp('Y90001')])
    expect(JSON.stringify(source.asked.map((request) => request.holder))).not.toContain('pointer-')
  })

  it('asks about the current NHS number when the one asked for was superseded', async () => {
    // Prepare
    reads.set('9000000017', { kind: 'found', patient: patientOf('9000000041') })
    holds('9000000041', 'Y90002')

    // Act
    const { audit } = await getStructuredRecord(parameters('9000000017'), CALLER, CONTEXT, deps)

    // Assess
    expect(source.asked.map((request) => request.query.nhsNumber)).toEqual(['9000000041'])
    expect(audit[0]).toMatchObject({
      patient: '9000000041',
      entities: ['Patient/9000000017', 'Patient/9000000041', 'Organization/Y90002'],
    })
  })

  it('does not ask a holder the directory has no structured-record entry for, and says so', async () => {
    // Prepare
    holds(NHS, 'Y90002', 'NX001')

    // Act
    const { bundle, audit } = await getStructuredRecord(parameters(), CALLER, CONTEXT, deps)

    // Assess
    expect(source.asked.map((request) => request.holder.ods)).toEqual(['Y90002'])
    expect(JSON.stringify(bundle)).toContain(
      'NX001 (Demo Urgent Care): the ICS directory lists no structured-record endpoint for it',
    )
    expect(audit[0]?.entityOutcomes).toMatchObject({ 'Organization/NX001': 'not-reachable' })
  })

  describe('ends within the holder timeout plus 500 ms, whatever the holders do', () => {
    it.each<[string, (request: HolderRequest) => Promise<HolderAnswer>]>([
      [
        'a holder that answers when its signal is aborted',
        (request) =>
          new Promise((resolve) =>
            request.signal.addEventListener('abort', () =>
              resolve({
                kind: 'failed',
                failure: timedOut(request.signal) ? 'timeout' : 'error',
                detail: 'x',
              }),
            ),
          ),
      ],
      ['a holder that never answers and ignores its signal', () => new Promise(() => {})],
      ['a holder that throws', async () => Promise.reject(new Error('boom'))],
    ])('%s', async (_name, slow) => {
      // Prepare
      holds(NHS, 'Y90002', 'RX9')
      deps.sources['gpconnect-1.6-stu3'] = new ScriptedSource((request) =>
        request.holder.ods === 'RX9' ? slow(request) : Promise.resolve(record('Y90002')),
      )
      const started = performance.now()

      // Act
      const { bundle, audit } = await getStructuredRecord(parameters(), CALLER, CONTEXT, deps)

      // Assess
      expect(performance.now() - started).toBeLessThan(150 + 500)
      expect(JSON.stringify(bundle)).toMatch(
        /RX9 \(Demo General Hospital\): (no answer within \d+ ms|the retrieval from it failed)/,
      )
      expect(audit[0]?.entityOutcomes).toMatchObject({ 'Organization/Y90002': 'answered' })
      expect(['timeout', 'error']).toContain(audit[0]?.entityOutcomes?.['Organization/RX9'])
    })

    it('aborts the signal of every holder once the retrieval is over', async () => {
      // Prepare
      holds(NHS, 'Y90002')

      // Act
      await getStructuredRecord(parameters(), CALLER, CONTEXT, deps)

      // Assess: nothing is left running for a holder after the answer
      expect(source.asked[0]?.signal.aborted).toBe(true)
    })
  })
})
