import { existsSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { beforeEach, describe, expect, it } from 'vitest'
import { readPatient, searchPatients } from '../../functions/patient-lookup/lookup'
import { FhirError } from '../../functions/shared/errors'
import {
  CachedPatientDirectory,
  FUZZY_MAX_DAYS,
} from '../../functions/shared/patients/CachedPatientDirectory'
import {
  type CachedPatient,
  type CandidatePage,
  familyPrefixOf,
  type PatientCache,
  searchFieldsOf,
} from '../../functions/shared/patients/PatientCache'
import type {
  CallContext,
  PatientDirectory,
  PatientSearchCriteria,
} from '../../functions/shared/patients/PatientDirectory'
import type { Clock } from '../../functions/shared/time'
import type { Bundle } from '../../schemas/fhir/Bundle'
import { isValidNhsNumber } from '../../schemas/fhir/identifiers'
import { type OperationOutcome, operationOutcome } from '../../schemas/fhir/OperationOutcome'
import {
  CONFIDENTIALITY_SYSTEM,
  DEATH_NOTIFICATION_URL,
  NOMINATED_PHARMACY_URL,
  type Patient,
} from '../../schemas/fhir/Patient'
import { DEMO_PATIENTS, demoPatientRecords } from '../../scripts/seed/demoPatients'

const repoRoot = path.resolve(fileURLToPath(new URL('.', import.meta.url)), '../..')
const BASE_URL = 'https://joinup.example.nhs.uk/demo'
const CONTEXT: CallContext = { requestId: 'req-1', correlationId: 'corr-1' }
/** 08:30 UTC on 1 July 2026 is 09:30 BST. */
const JULY_CLOCK: Clock = () => new Date('2026-07-01T08:30:00Z')
/** Valid by modulus 11 and not in the demo seed. */
const INVALIDATED = '9000000068'

/** The PatientCache port over a Map, with the same contract as DynamoDbPatientCache. */
class InMemoryPatientCache implements PatientCache {
  readonly records = new Map<string, CachedPatient>()
  readonly gets: string[] = []
  readonly birthDateQueries: string[] = []

  async get(nhsNumber: string): Promise<CachedPatient | undefined> {
    this.gets.push(nhsNumber)
    return structuredClone(this.records.get(nhsNumber))
  }

  async byFamilyPrefix(
    prefix: string,
    birthFrom: string,
    birthTo: string,
    limit: number,
  ): Promise<CandidatePage> {
    return this.page(
      (fields) =>
        familyPrefixOf(fields.family) === prefix &&
        fields.birthDate !== undefined &&
        fields.birthDate >= birthFrom &&
        fields.birthDate <= birthTo,
      limit,
    )
  }

  async byBirthDate(birthDate: string, limit: number): Promise<CandidatePage> {
    this.birthDateQueries.push(birthDate)
    return this.page((fields) => fields.birthDate === birthDate, limit)
  }

  async putAll(records: CachedPatient[]): Promise<void> {
    for (const record of records) this.records.set(record.nhsNumber, structuredClone(record))
  }

  /** Active patients only, as the sparse DynamoDB indexes hold, in NHS number order. */
  private page(
    accepts: (fields: ReturnType<typeof searchFieldsOf>) => boolean,
    limit: number,
  ): CandidatePage {
    const patients = [...this.records.values()]
      .filter((record) => record.status === 'active')
      .map((record) => record.patient)
      .filter((patient) => accepts(searchFieldsOf(patient)))
      .sort((a, b) => a.id.localeCompare(b.id))
    return patients.length > limit
      ? { patients: structuredClone(patients.slice(0, limit)), truncated: true }
      : { patients: structuredClone(patients), truncated: false }
  }
}

/** A PatientDirectory that records each call before passing it on. */
class RecordingDirectory implements PatientDirectory {
  readonly calls: string[] = []

  constructor(private readonly inner: PatientDirectory) {}

  read(nhsNumber: string, context: CallContext) {
    this.calls.push(`read ${nhsNumber}`)
    return this.inner.read(nhsNumber, context)
  }

  search(criteria: PatientSearchCriteria, context: CallContext) {
    this.calls.push('search')
    return this.inner.search(criteria, context)
  }
}

let cache: InMemoryPatientCache
let directory: RecordingDirectory

beforeEach(async () => {
  cache = new InMemoryPatientCache()
  await cache.putAll([...demoPatientRecords(), { nhsNumber: INVALIDATED, status: 'invalidated' }])
  directory = new RecordingDirectory(new CachedPatientDirectory(cache))
})

function deps(clock: Clock = JULY_CLOCK) {
  return { directory, clock }
}

async function refusalOf(action: Promise<unknown>): Promise<FhirError> {
  const error = await action.then(
    () => undefined,
    (reason: unknown) => reason,
  )
  if (error instanceof FhirError) return error
  throw new Error(`expected a FhirError, got ${String(error)}`)
}

function search(query: Record<string, string[]>, clock?: Clock) {
  return searchPatients(query, BASE_URL, CONTEXT, deps(clock))
}

function bundleOf(body: Bundle | OperationOutcome): Bundle {
  if (body.resourceType !== 'Bundle') throw new Error(`expected a Bundle, got ${JSON.stringify(body)}`)
  return body as Bundle
}

function activePatient(nhsNumber: string): Patient {
  const record = cache.records.get(nhsNumber)
  if (record?.status !== 'active') throw new Error(`${nhsNumber} is not an active seed patient`)
  return record.patient
}

/** The seed's restricted patient, given every detail PDS withholds from a restricted record. */
function restrictedWithEverything(): Patient {
  const patient = structuredClone(activePatient(DEMO_PATIENTS.restricted))
  return {
    ...patient,
    contact: [{ id: 'C1', relationship: [{ coding: [{ code: 'C', display: 'Emergency Contact' }] }] }],
    managingOrganization: { type: 'Organization', identifier: { value: 'Y90002' } },
    extension: [
      ...(patient.extension ?? []),
      { url: 'http://hl7.org/fhir/StructureDefinition/patient-birthPlace', valueAddress: { city: 'Leeds' } },
      {
        url: DEATH_NOTIFICATION_URL,
        extension: [{ url: 'systemEffectiveDate', valueDateTime: '2024-01-01T00:00:00+00:00' }],
      },
    ],
  }
}

describe('readPatient', () => {
  it('answers the patient with an audit fact for that NHS number', async () => {
    // Act
    const { patient, audit } = await readPatient(DEMO_PATIENTS.registered, CONTEXT, deps())

    // Assess
    expect(patient).toEqual(activePatient(DEMO_PATIENTS.registered))
    expect(patient.address).toBeDefined()
    expect(patient.telecom).toBeDefined()
    expect(patient.generalPractitioner).toBeDefined()
    expect(audit).toEqual([
      { patient: DEMO_PATIENTS.registered, action: 'R', entities: [`Patient/${DEMO_PATIENTS.registered}`] },
    ])
  })

  it('answers a superseded number with the record that replaced it, auditing both references', async () => {
    // Act
    const { patient, audit } = await readPatient(DEMO_PATIENTS.superseded, CONTEXT, deps())

    // Assess
    expect(patient.id).toBe(DEMO_PATIENTS.supersededBy)
    expect(patient.id).not.toBe(DEMO_PATIENTS.superseded)
    expect(audit).toEqual([
      {
        patient: DEMO_PATIENTS.supersededBy,
        action: 'R',
        entities: [`Patient/${DEMO_PATIENTS.superseded}`, `Patient/${DEMO_PATIENTS.supersededBy}`],
      },
    ])
  })

  it('refuses an NHS number that is not held as RESOURCE_NOT_FOUND 404', async () => {
    const error = await refusalOf(readPatient(DEMO_PATIENTS.neverSeeded, CONTEXT, deps()))

    expect(error.code).toBe('RESOURCE_NOT_FOUND')
    expect(error.status).toBe(404)
  })

  it('refuses an invalidated record as INVALIDATED_RESOURCE', async () => {
    // Prepare
    expect(isValidNhsNumber(INVALIDATED)).toBe(true)

    // Act
    const error = await refusalOf(readPatient(INVALIDATED, CONTEXT, deps()))

    // Assess
    expect(error.code).toBe('INVALIDATED_RESOURCE')
    expect(error.status).toBe(404)
  })

  it.each(['9000000008', '4857773456', '900000000', 'hello', ''])(
    "refuses '%s' as INVALID_RESOURCE_ID 400 without asking the directory",
    async (nhsNumber) => {
      const error = await refusalOf(readPatient(nhsNumber, CONTEXT, deps()))

      expect(error.code).toBe('INVALID_RESOURCE_ID')
      expect(error.status).toBe(400)
      expect(directory.calls).toEqual([])
      expect(cache.gets).toEqual([])
    },
  )

  it('does not echo markup from an invalid NHS number', async () => {
    const error = await refusalOf(readPatient('<script>alert(1)</script>', CONTEXT, deps()))

    expect(error.code).toBe('INVALID_RESOURCE_ID')
    expect(error.diagnostics).not.toMatch(/[<>()]/)
  })

  it("withholds a restricted patient's address, telecom and GP (seed)", async () => {
    // Act
    const { patient, audit } = await readPatient(DEMO_PATIENTS.restricted, CONTEXT, deps())

    // Assess
    const seeded = activePatient(DEMO_PATIENTS.restricted)
    expect(seeded.address && seeded.telecom && seeded.generalPractitioner && seeded.extension).toBeTruthy()
    expect(patient).not.toHaveProperty('address')
    expect(patient).not.toHaveProperty('telecom')
    expect(patient).not.toHaveProperty('generalPractitioner')
    expect(patient).not.toHaveProperty('extension')
    expect(patient.name).toEqual(seeded.name)
    expect(patient.birthDate).toBe(seeded.birthDate)
    expect(patient.meta?.security).toEqual([
      { system: CONFIDENTIALITY_SYSTEM, code: 'R', display: 'restricted' },
    ])
    expect(audit).toHaveLength(1)
  })

  it('withholds contact, managing organisation and every extension but the death notification', async () => {
    // Prepare
    await cache.putAll([
      { nhsNumber: DEMO_PATIENTS.restricted, status: 'active', patient: restrictedWithEverything() },
    ])

    // Act
    const { patient } = await readPatient(DEMO_PATIENTS.restricted, CONTEXT, deps())

    // Assess
    for (const key of ['address', 'telecom', 'contact', 'generalPractitioner', 'managingOrganization']) {
      expect(patient).not.toHaveProperty(key)
    }
    expect(patient.extension?.map((item) => item.url)).toEqual([DEATH_NOTIFICATION_URL])
  })

  it('keeps an unrestricted patient’s nominated pharmacy', async () => {
    const { patient } = await readPatient(DEMO_PATIENTS.registered, CONTEXT, deps())

    expect(patient.extension?.map((item) => item.url)).toContain(NOMINATED_PHARMACY_URL)
  })
})

describe('searchPatients', () => {
  it('answers a searchset Bundle with total, a UK local timestamp and scored entries, best first', async () => {
    // Act
    const { body } = await search({ family: ['Sm*'], given: ['Jan*'], birthdate: ['2010-10-22'] })

    // Assess
    const bundle = bundleOf(body)
    expect(bundle.resourceType).toBe('Bundle')
    expect(bundle.type).toBe('searchset')
    expect(bundle.timestamp).toBe('2026-07-01T09:30:00+01:00')
    expect(bundle.total).toBe(2)
    expect(bundle.entry?.map((entry) => entry.fullUrl)).toEqual([
      `${BASE_URL}/Patient/${DEMO_PATIENTS.registered}`,
      `${BASE_URL}/Patient/${DEMO_PATIENTS.restricted}`,
    ])
    const scores = bundle.entry!.map((entry) => entry.search!.score!)
    expect(scores[0]).toBeGreaterThan(scores[1]!)
    for (const score of scores) expect(score).toBeGreaterThan(0)
    for (const score of scores) expect(score).toBeLessThanOrEqual(1)
  })

  it('stamps a winter search +00:00', async () => {
    const { body } = await search(
      { family: ['Smith'], birthdate: ['2010-10-22'] },
      () => new Date('2026-01-15T12:00:00Z'),
    )

    expect(bundleOf(body).timestamp).toBe('2026-01-15T12:00:00+00:00')
  })

  it('scores an exact match 1 and orders a fuzzy search best first', async () => {
    // Act
    const { body } = await search({
      family: ['Smith'],
      given: ['Jane'],
      birthdate: ['2010-10-22'],
      '_fuzzy-match': ['true'],
    })

    // Assess
    const entries = bundleOf(body).entry ?? []
    expect(entries[0]?.resource.id).toBe(DEMO_PATIENTS.registered)
    expect(entries[0]?.search?.score).toBe(1)
    const scores = entries.map((entry) => entry.search!.score!)
    expect(scores).toEqual([...scores].sort((a, b) => b - a))
  })

  it('answers total 0 and no entry key when nothing matches', async () => {
    // Act
    const { body, audit } = await search({ family: ['Nobody'], birthdate: ['2010-10-22'] })

    // Assess
    const bundle = bundleOf(body)
    expect(bundle.total).toBe(0)
    expect(bundle).not.toHaveProperty('entry')
    expect(audit).toEqual([])
  })

  it('answers a bare TOO_MANY_MATCHES OperationOutcome, severity information, and audits nothing', async () => {
    // Prepare: the seed holds a dozen Smiths
    const query = { family: ['Smith'], birthdate: ['ge1900-01-01', 'le2025-12-31'], '_max-results': ['5'] }

    // Act
    const { body, audit } = await search(query)

    // Assess
    expect(body).toEqual(operationOutcome('TOO_MANY_MATCHES'))
    const outcome = body as OperationOutcome
    expect(outcome.issue[0]?.severity).toBe('information')
    expect(outcome.issue[0]?.details?.coding[0]?.code).toBe('TOO_MANY_MATCHES')
    expect(audit).toEqual([])
  })

  it('answers every match when they fit within _max-results', async () => {
    // Act
    const { body, audit } = await search({ family: ['Smith'], birthdate: ['ge1900-01-01', 'le2025-12-31'] })

    // Assess
    const bundle = bundleOf(body)
    expect(bundle.total).toBeGreaterThan(5)
    expect(bundle.entry).toHaveLength(bundle.total!)
    expect(audit).toHaveLength(bundle.total!)
  })

  it('answers TOO_MANY_MATCHES when the cache has more candidates than one search may read', async () => {
    // Prepare: a cache that always reports a truncated page
    const truncating = Object.assign(new InMemoryPatientCache(), {
      byFamilyPrefix: async (): Promise<CandidatePage> => ({ patients: [], truncated: true }),
    })
    const over = { directory: new CachedPatientDirectory(truncating), clock: JULY_CLOCK }

    // Act
    const { body, audit } = await searchPatients(
      { family: ['Smith'], birthdate: ['2010-10-22'] },
      BASE_URL,
      CONTEXT,
      over,
    )

    // Assess
    expect(body).toEqual(operationOutcome('TOO_MANY_MATCHES'))
    expect(audit).toEqual([])
  })

  it('never returns a restricted patient to a search by postcode', async () => {
    // Act
    const byName = await search({ family: ['Smythe'], birthdate: ['2010-10-22'] })
    const byPostcode = await search({
      family: ['Smythe'],
      birthdate: ['2010-10-22'],
      'address-postalcode': ['LS2 7EE'],
    })
    const fuzzyByPostcode = await search({
      family: ['Smythe'],
      gender: ['female'],
      birthdate: ['2010-10-22'],
      'address-postalcode': ['LS2 7EE'],
      '_fuzzy-match': ['true'],
    })

    // Assess
    expect(bundleOf(byName.body).total).toBe(1)
    expect(bundleOf(byPostcode.body)).toMatchObject({ total: 0 })
    expect(bundleOf(byPostcode.body)).not.toHaveProperty('entry')
    expect(bundleOf(fuzzyByPostcode.body).total).toBe(0)
    expect(byPostcode.audit).toEqual([])
  })

  it('never returns a restricted patient to a search by GP practice', async () => {
    const { body } = await search({
      family: ['Smythe'],
      birthdate: ['2010-10-22'],
      'general-practitioner': ['Y90002'],
    })

    expect(bundleOf(body).total).toBe(0)
  })

  it("withholds a restricted patient's details in a search by name", async () => {
    // Prepare
    await cache.putAll([
      { nhsNumber: DEMO_PATIENTS.restricted, status: 'active', patient: restrictedWithEverything() },
    ])

    // Act
    const { body } = await search({ family: ['Smythe'], birthdate: ['2010-10-22'] })

    // Assess
    const resource = bundleOf(body).entry?.[0]?.resource as Patient
    expect(resource.id).toBe(DEMO_PATIENTS.restricted)
    for (const key of ['address', 'telecom', 'contact', 'generalPractitioner', 'managingOrganization']) {
      expect(resource).not.toHaveProperty(key)
    }
    expect(resource.extension?.map((item) => item.url)).toEqual([DEATH_NOTIFICATION_URL])
  })

  it('shows home addresses only and no extension but the death notification', async () => {
    // Prepare: the deceased patient with a temporary address, a work address and a nominated pharmacy
    const deceased = structuredClone(activePatient(DEMO_PATIENTS.deceased))
    deceased.address = [
      ...(deceased.address ?? []),
      { id: 'a2', use: 'temp', line: ['1 Care Home Road'], postalCode: 'LS7 3BB' },
      { id: 'a3', use: 'work', line: ['2 Office Park'], postalCode: 'LS9 8JJ' },
    ]
    deceased.extension = [
      { url: NOMINATED_PHARMACY_URL, valueReference: { identifier: { value: 'FX001' } } },
      ...(deceased.extension ?? []),
    ]
    await cache.putAll([{ nhsNumber: DEMO_PATIENTS.deceased, status: 'active', patient: deceased }])

    // Act
    const { body } = await search({ family: ['Taylor'], given: ['Arthur'], birthdate: ['1931-05-14'] })

    // Assess
    const resource = bundleOf(body).entry?.[0]?.resource as Patient
    expect(resource.id).toBe(DEMO_PATIENTS.deceased)
    expect(resource.address?.map((address) => address.use)).toEqual(['home'])
    expect(resource.extension?.map((item) => item.url)).toEqual([DEATH_NOTIFICATION_URL])
    expect(resource.deceasedDateTime).toBe('2024-03-02T09:15:00+00:00')
  })

  it('records one audit fact per returned patient', async () => {
    // Act
    const { body, audit } = await search({ family: ['Sm*'], birthdate: ['2010-10-22'] })

    // Assess
    const ids = (bundleOf(body).entry ?? []).map((entry) => entry.resource.id as string)
    expect(ids.sort()).toEqual([DEMO_PATIENTS.registered, DEMO_PATIENTS.restricted])
    expect([...audit].sort((a, b) => a.patient.localeCompare(b.patient))).toEqual(
      ids.map((id) => ({ patient: id, action: 'E', entities: [`Patient/${id}`] })),
    )
  })

  it('reads at most FUZZY_MAX_DAYS birth-date partitions for one fuzzy search', async () => {
    // Prepare: a year of dates of birth is one partition per day
    const query = {
      family: ['Smith'],
      given: ['Jane'],
      birthdate: ['ge2010-01-01', 'le2010-12-31'],
      '_fuzzy-match': ['true'],
    }

    // Act: refusing the range and answering TOO_MANY_MATCHES would both do
    await search(query).catch((error: unknown) => {
      if (!(error instanceof FhirError)) throw error
    })

    // Assess
    expect(cache.birthDateQueries.length).toBeLessThanOrEqual(FUZZY_MAX_DAYS)
  })

  it('refuses invalid criteria before asking the directory', async () => {
    const error = await refusalOf(search({ family: ['Smith'] }))

    expect(error.code).toBe('MISSING_VALUE')
    expect(directory.calls).toEqual([])
  })
})

const examples = path.resolve(repoRoot, '../shared/examples/pds')

describe.skipIf(!existsSync(examples))(
  'PDS response shapes (needs ../shared/examples/pds; skipped when absent)',
  () => {
    const example = <T>(name: string): T => JSON.parse(readFileSync(path.join(examples, name), 'utf8')) as T
    const keysOf = (value: object) => Object.keys(value).sort()

    it('returns the PDS read example unchanged for an unrestricted patient', async () => {
      // Prepare
      const pdsPatient = example<Patient>('patient_9000000009.json')
      await cache.putAll([{ nhsNumber: '9000000009', status: 'active', patient: pdsPatient }])

      // Act
      const { patient } = await readPatient('9000000009', CONTEXT, deps())

      // Assess
      expect(patient).toEqual(pdsPatient)
    })

    it('withholds from a restricted patient what the PDS sensitive-patient example leaves out', async () => {
      // Prepare: the full read example, S-flagged
      const full = example<Patient>('patient_9000000009.json')
      full.meta = {
        ...full.meta,
        security: [{ system: CONFIDENTIALITY_SYSTEM, code: 'R', display: 'restricted' }],
      }
      await cache.putAll([{ nhsNumber: '9000000009', status: 'active', patient: full }])
      const sensitive = example<Patient>('Sensitive_Patient.json')

      // Act
      const { patient } = await readPatient('9000000009', CONTEXT, deps())

      // Assess
      expect(keysOf(patient)).toEqual(keysOf(sensitive))
      expect(patient.extension?.map((item) => item.url)).toEqual(sensitive.extension?.map((item) => item.url))
    })

    it('shapes a search Bundle and its entries as the PDS search example', async () => {
      // Prepare: the patient of the read example, as the search example returns it
      await cache.putAll([
        { nhsNumber: '9000000009', status: 'active', patient: example<Patient>('patient_9000000009.json') },
      ])
      const pdsSearch = example<Bundle>('PatientSearch.json')
      const pdsEntry = pdsSearch.entry![0]!

      // Act
      const { body } = await search({ family: ['Smith'], birthdate: ['2010-10-22'] })

      // Assess
      const bundle = bundleOf(body)
      expect(keysOf(bundle)).toEqual(keysOf(pdsSearch))
      expect(bundle.timestamp).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\+0[01]:00$/)
      const entry = bundle.entry![0]!
      expect(keysOf(entry)).toEqual(keysOf(pdsEntry))
      // PDS's example carries only the score; search.mode 'match' is added for FHIR clients
      // (FHIR R4 searchset entries; README "Docs, OpenAPI and FHIR conformance").
      expect(keysOf(entry.search!)).toEqual([...keysOf(pdsEntry.search!), 'mode'].sort())
      expect(entry.search!.mode).toBe('match')
      expect(entry.fullUrl).toBe(`${BASE_URL}/Patient/9000000009`)
      const resource = entry.resource as Patient
      const pdsResource = pdsEntry.resource as Patient
      expect(resource.extension?.map((item) => item.url)).toEqual(
        pdsResource.extension?.map((item) => item.url),
      )
      expect(resource.address?.map((address) => address.use)).toEqual(pdsResource.address?.map((a) => a.use))
    })

    it('gives each search entry the top-level elements of the PDS search example (contact kept, managingOrganization not)', async () => {
      // Prepare: the read example carries both contact and managingOrganization
      await cache.putAll([
        { nhsNumber: '9000000009', status: 'active', patient: example<Patient>('patient_9000000009.json') },
      ])
      const pdsResource = example<Bundle>('PatientSearch.json').entry![0]!.resource

      // Act
      const { body } = await search({ family: ['Smith'], birthdate: ['2010-10-22'] })

      // Assess
      expect(keysOf(bundleOf(body).entry![0]!.resource)).toEqual(keysOf(pdsResource))
    })

    it('answers too many matches as the PDS TOO_MANY_MATCHES example', async () => {
      // Act
      const { body } = await search({
        family: ['Smith'],
        birthdate: ['ge1900-01-01', 'le2025-12-31'],
        '_max-results': ['1'],
      })

      // Assess
      expect(body).toEqual(example('TOO_MANY_MATCHES.json'))
    })
  },
)
