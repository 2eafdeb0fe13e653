import { describe, expect, it } from 'vitest'
import {
  HOLDER_OUTCOME_SYSTEM,
  type HolderResult,
  mergeStructuredRecord,
} from '../../functions/record-retrieval/merge'
import type { FhirResource } from '../../functions/shared/gpconnect/stu3ToR4'
import type { HolderAnswer } from '../../functions/shared/records/HolderRecordSource'
import type { StructuredRecordQuery } from '../../functions/shared/records/query'
import { sourceOf } from '../../functions/shared/records/sections'
import { ODS_CODE_SYSTEM } from '../../schemas/fhir/identifiers'
import type { Patient } from '../../schemas/fhir/Patient'

// The merge of holders' R4 answers into one GP-Connect-shaped structured record. That the
// merged Bundle is valid R4 is checked against HL7's schema in stu3-to-r4.test.ts (one
// schema compile for both).

const NHS = '9000000076'
const PATIENT: Patient = {
  resourceType: 'Patient',
  id: NHS,
  identifier: [{ system: 'https://fhir.nhs.uk/Id/nhs-number', value: NHS }],
}
const QUERY: StructuredRecordQuery = {
  nhsNumber: NHS,
  allergies: { includeResolved: false },
  medication: {},
  problems: {},
}
const SNOMED = 'http://snomed.info/sct'
const NOW = new Date('2026-03-10T12:00:00Z')

/** A holder's own Organization, a clinician and their role there, as GP Connect answers include them. */
function people(ods: string): FhirResource[] {
  return [
    {
      resourceType: 'Organization',
      id: `org-${ods}`,
      identifier: [{ system: ODS_CODE_SYSTEM, value: ods }],
      name: `${ods} practice`,
    },
    { resourceType: 'Practitioner', id: 'gp', name: [{ family: 'Doctor' }] },
    {
      resourceType: 'PractitionerRole',
      id: 'gp-role',
      practitioner: { reference: 'Practitioner/gp' },
      organization: { reference: `Organization/org-${ods}` },
    },
    { resourceType: 'Patient', id: 'their-patient-id' },
  ]
}

const list = (code: string, ...items: string[]): FhirResource => ({
  resourceType: 'List',
  status: 'current',
  mode: 'snapshot',
  title: 'whatever the holder calls it',
  code: { coding: [{ system: SNOMED, code }] },
  subject: { reference: 'Patient/their-patient-id' },
  entry: items.map((reference) => ({ item: { reference } })),
})
const ALLERGIES = '886921000000105'
const MEDICATION = '933361000000108'
const PROBLEMS = '717711000000103'

function penicillin(id: string, recordedDate: string, recorder = 'PractitionerRole/gp-role'): FhirResource {
  return {
    resourceType: 'AllergyIntolerance',
    id,
    clinicalStatus: {
      coding: [
        { system: 'http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical', code: 'active' },
      ],
    },
    code: { coding: [{ system: SNOMED, code: '91936005', display: 'Allergy to penicillin' }] },
    patient: { reference: 'Patient/their-patient-id' },
    recordedDate,
    recorder: { reference: recorder },
  }
}

/** A medication as GP Connect shapes it: statement, plan, an issue, the Medication. */
function metformin(id: string, start: string): FhirResource[] {
  return [
    {
      resourceType: 'MedicationStatement',
      id,
      status: 'active',
      basedOn: [{ reference: `MedicationRequest/${id}-plan` }],
      medicationReference: { reference: `Medication/${id}-drug` },
      effectivePeriod: { start },
      subject: { reference: 'Patient/their-patient-id' },
    },
    {
      resourceType: 'MedicationRequest',
      id: `${id}-plan`,
      intent: 'plan',
      status: 'active',
      subject: { reference: 'Patient/their-patient-id' },
      medicationReference: { reference: `Medication/${id}-drug` },
    },
    {
      resourceType: 'MedicationRequest',
      id: `${id}-issue`,
      intent: 'order',
      status: 'completed',
      basedOn: [{ reference: `MedicationRequest/${id}-plan` }],
      subject: { reference: 'Patient/their-patient-id' },
      medicationReference: { reference: `Medication/${id}-drug` },
    },
    {
      resourceType: 'Medication',
      id: `${id}-drug`,
      code: { coding: [{ system: SNOMED, code: '325278007', display: 'Metformin 500mg tablets' }] },
    },
  ]
}

const answered = (resources: FhirResource[]): HolderAnswer => ({ kind: 'answered', resources, notes: [] })
const holder = (ods: string, answer: HolderAnswer): HolderResult => ({ ods, name: `${ods} name`, answer })

function merge(holders: HolderResult[], query: StructuredRecordQuery = QUERY) {
  const bundle = mergeStructuredRecord({ patient: PATIENT, nhsNumber: NHS, query, holders, now: NOW })
  const resources = (bundle.entry as { resource: FhirResource }[]).map((entry) => entry.resource)
  const listOf = (id: string) =>
    resources.find((resource) => resource.resourceType === 'List' && resource.id === id)!
  const entriesOf = (id: string) =>
    ((listOf(id).entry ?? []) as { item: { reference: string } }[]).map((entry) => entry.item.reference)
  const notesOf = (id: string) => ((listOf(id).note ?? []) as { text: string }[]).map((note) => note.text)
  return { bundle, resources, listOf, entriesOf, notesOf }
}

describe('mergeStructuredRecord', () => {
  describe('de-duplicates only statements that are truly the same', () => {
    it.each<[string, FhirResource, FhirResource, number]>([
      [
        'same code, same dates, same asserting organisation: once',
        penicillin('a', '2015-03-02'),
        penicillin('b', '2015-03-02'),
        1,
      ],
      ['a different recorded date: both', penicillin('a', '2015-03-02'), penicillin('b', '2016-03-02'), 2],
      [
        'a different status: both',
        penicillin('a', '2015-03-02'),
        {
          ...penicillin('b', '2015-03-02'),
          clinicalStatus: {
            coding: [
              {
                system: 'http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical',
                code: 'inactive',
              },
            ],
          },
        },
        2,
      ],
    ])('%s', (_name, north, south, expected) => {
      // Prepare: the same organisation asserts both unless said otherwise (the recorder's role is at Y90001 in both answers)
      const southPeople = people('Y90002').map((resource) =>
        resource.resourceType === 'PractitionerRole'
          ? { ...resource, organization: { reference: 'Organization/their-copy-of-north' } }
          : resource,
      )
      southPeople.push({
        resourceType: 'Organization',
        id: 'their-copy-of-north',
        identifier: [{ system: ODS_CODE_SYSTEM, value: 'Y90001' }],
      })

      // Act
      const { entriesOf } = merge([
        holder(
          'Y90001',
          answered([...people('Y90001'), list(ALLERGIES, `AllergyIntolerance/${north.id}`), north]),
        ),
        holder(
          'Y90002',
          answered([...southPeople, list(ALLERGIES, `AllergyIntolerance/${south.id}`), south]),
        ),
      ])

      // Assess
      expect(entriesOf('allergies')).toHaveLength(expected)
    })

    it('keeps both when another organisation asserted the same code on the same date', () => {
      // Act
      const { entriesOf, notesOf } = merge([
        holder(
          'Y90001',
          answered([
            ...people('Y90001'),
            list(ALLERGIES, 'AllergyIntolerance/a'),
            penicillin('a', '2015-03-02'),
          ]),
        ),
        holder(
          'Y90002',
          answered([
            ...people('Y90002'),
            list(ALLERGIES, 'AllergyIntolerance/b'),
            penicillin('b', '2015-03-02'),
          ]),
        ),
      ])

      // Assess
      expect(entriesOf('allergies')).toEqual(['AllergyIntolerance/Y90001-a', 'AllergyIntolerance/Y90002-b'])
      expect(notesOf('allergies')).toContainEqual(
        expect.stringMatching(
          /^Allergy to penicillin is recorded by Y90001 and Y90002 with different dates or asserting organisations/,
        ),
      )
    })

    it('says in the List and on the entry which holders held the statement it shows once', () => {
      // Prepare
      const southPeople = [
        ...people('Y90002'),
        {
          resourceType: 'Organization',
          id: 'north',
          identifier: [{ system: ODS_CODE_SYSTEM, value: 'Y90001' }],
        },
        {
          resourceType: 'PractitionerRole',
          id: 'north-role',
          organization: { reference: 'Organization/north' },
        },
      ]

      // Act
      const { listOf, notesOf, resources } = merge([
        holder(
          'Y90002',
          answered([
            ...southPeople,
            list(ALLERGIES, 'AllergyIntolerance/b'),
            penicillin('b', '2015-03-02', 'PractitionerRole/north-role'),
          ]),
        ),
        holder(
          'Y90001',
          answered([
            ...people('Y90001'),
            list(ALLERGIES, 'AllergyIntolerance/a'),
            penicillin('a', '2015-03-02'),
          ]),
        ),
      ])

      // Assess: the first holder's copy (the registered GP comes first) is the one shown
      expect(listOf('allergies').entry).toEqual([
        {
          item: { reference: 'AllergyIntolerance/Y90002-b' },
          flag: { text: 'Held by Y90002 and Y90001: the same statement, shown once' },
        },
      ])
      expect(notesOf('allergies')).toContain(
        'Allergy to penicillin is held by Y90002 and Y90001 with the same code, dates and asserting organisation: shown once.',
      )
      expect(resources.filter((resource) => resource.resourceType === 'AllergyIntolerance')).toHaveLength(1)
    })

    it('never merges two statements of the same holder', () => {
      // Act
      const { entriesOf } = merge([
        holder(
          'Y90001',
          answered([
            ...people('Y90001'),
            list(ALLERGIES, 'AllergyIntolerance/a', 'AllergyIntolerance/b'),
            penicillin('a', '2015-03-02'),
            penicillin('b', '2015-03-02'),
          ]),
        ),
      ])

      // Assess
      expect(entriesOf('allergies')).toHaveLength(2)
    })

    it('drops what only the dropped duplicate needed (its plan, issues and Medication), leaving no dangling reference', () => {
      // Prepare: the same metformin statement, asserted by the same organisation (Y90001), from two holders
      const shared = (ods: string) =>
        people(ods).map((resource) =>
          resource.resourceType === 'Organization'
            ? { ...resource, identifier: [{ system: ODS_CODE_SYSTEM, value: 'Y90001' }] }
            : resource,
        )
      const north = metformin('m', '2021-07-01').map((resource) =>
        resource.resourceType === 'MedicationStatement'
          ? { ...resource, informationSource: { reference: 'Organization/org-Y90001' } }
          : resource,
      )
      const south = metformin('n', '2021-07-01').map((resource) =>
        resource.resourceType === 'MedicationStatement'
          ? { ...resource, informationSource: { reference: 'Organization/org-Y90002' } }
          : resource,
      )

      // Act
      const { resources, entriesOf } = merge([
        holder(
          'Y90001',
          answered([...shared('Y90001'), list(MEDICATION, 'MedicationStatement/m'), ...north]),
        ),
        holder(
          'Y90002',
          answered([...shared('Y90002'), list(MEDICATION, 'MedicationStatement/n'), ...south]),
        ),
      ])

      // Assess
      expect(entriesOf('medications')).toEqual(['MedicationStatement/Y90001-m'])
      const ids = new Set(resources.map((resource) => `${resource.resourceType}/${resource.id}`))
      expect([...ids].filter((id) => id.includes('Y90002-n'))).toEqual([])
      const references = JSON.stringify(resources).match(/"reference":"[A-Za-z]+\/[^"]+"/g) ?? []
      for (const reference of references) expect(ids, reference).toContain(reference.slice(13, -1))
    })
  })

  describe('keeps every resource traceable and every id unique', () => {
    it('prefixes ids with the holder, sets meta.source, and points references at the renamed resources', () => {
      // Act
      const { resources } = merge([
        holder(
          'Y90001',
          answered([
            ...people('Y90001'),
            list(ALLERGIES, 'AllergyIntolerance/a'),
            penicillin('a', '2015-03-02'),
          ]),
        ),
        holder(
          'RX9',
          answered([
            ...people('RX9'),
            list(ALLERGIES, 'AllergyIntolerance/a'),
            penicillin('a', '2024-06-03'),
          ]),
        ),
      ])

      // Assess
      const allergies = resources.filter((resource) => resource.resourceType === 'AllergyIntolerance')
      expect(allergies.map((resource) => resource.id)).toEqual(['Y90001-a', 'RX9-a'])
      expect(allergies.map((resource) => (resource.meta as { source: string }).source)).toEqual([
        sourceOf('Y90001'),
        sourceOf('RX9'),
      ])
      expect(allergies[0]).toMatchObject({
        patient: { reference: `Patient/${NHS}` },
        recorder: { reference: 'PractitionerRole/Y90001-gp-role' },
      })
      const keys = resources.map((resource) => `${resource.resourceType}/${resource.id}`)
      expect(new Set(keys).size).toBe(keys.length)
    })

    it('answers with the PDS Patient, one Organization per holder (as Organization/<ODS>), and no holder Patient', () => {
      // Act
      const { resources } = merge([
        holder('Y90001', answered(people('Y90001'))),
        holder('RX9', { kind: 'failed', failure: 'timeout', detail: 'no answer within 2000 ms' }),
      ])

      // Assess
      expect(resources[0]).toBe(PATIENT)
      expect(resources.filter((resource) => resource.resourceType === 'Patient')).toHaveLength(1)
      expect(
        resources
          .filter((resource) => resource.resourceType === 'Organization')
          .map((resource) => resource.id),
      ).toEqual(['Y90001', 'RX9'])
      const role = resources.find((resource) => resource.resourceType === 'PractitionerRole')!
      expect(role.organization).toEqual({ reference: 'Organization/Y90001' })
    })

    it('resolves a bare id in a reference when the holder has exactly one resource with it', () => {
      // Act
      const { entriesOf } = merge([
        holder(
          'Y90001',
          answered([...people('Y90001'), list(ALLERGIES, 'a'), penicillin('a', '2015-03-02')]),
        ),
      ])

      // Assess
      expect(entriesOf('allergies')).toEqual(['AllergyIntolerance/Y90001-a'])
    })

    it("renames ended allergies contained in the holders' Lists so they stay distinct", () => {
      // Prepare
      const ended = (): FhirResource => ({
        ...list('1103671000000101', '#ended-1'),
        contained: [
          { ...penicillin('ended-1', '2010-01-01'), clinicalStatus: { coding: [{ code: 'resolved' }] } },
        ],
      })

      // Act
      const { listOf } = merge(
        [
          holder('Y90001', answered([...people('Y90001'), ended()])),
          holder('Y90002', answered([...people('Y90002'), ended()])),
        ],
        { nhsNumber: NHS, allergies: { includeResolved: true } },
      )

      // Assess
      const endedList = listOf('ended-allergies')
      expect((endedList.contained as FhirResource[]).map((resource) => resource.id)).toEqual([
        'Y90001-ended-1',
        'Y90002-ended-1',
      ])
      expect(endedList.entry).toEqual([
        { item: { reference: '#Y90001-ended-1' } },
        { item: { reference: '#Y90002-ended-1' } },
      ])
    })
  })

  describe('says what is missing', () => {
    it.each<[HolderAnswer & { kind: 'failed' }, string]>([
      [{ kind: 'failed', failure: 'timeout', detail: 'no answer within 2000 ms' }, 'timeout'],
      [{ kind: 'failed', failure: 'error', detail: 'answered 500' }, 'exception'],
      [{ kind: 'failed', failure: 'refused', detail: 'answered 403 ACCESS DENIED' }, 'forbidden'],
      [{ kind: 'failed', failure: 'invalid', detail: 'the answer is not a FHIR Bundle' }, 'invalid'],
      [{ kind: 'failed', failure: 'unreachable', detail: 'no answer' }, 'transient'],
      [{ kind: 'failed', failure: 'not-found', detail: 'answered 404 PATIENT_NOT_FOUND' }, 'not-found'],
      [{ kind: 'failed', failure: 'not-reachable', detail: 'no directory entry' }, 'not-supported'],
    ])('a holder that gave nothing ($failure) is a warning naming its ODS code', (answer, issueType) => {
      // Act
      const { resources, notesOf } = merge([
        holder('Y90001', answered(people('Y90001'))),
        holder('RX9', answer),
      ])

      // Assess
      const warning = resources.find((resource) => resource.resourceType === 'OperationOutcome')!
      expect(warning).toMatchObject({
        issue: [
          {
            severity: 'warning',
            code: issueType,
            details: {
              coding: [
                { system: HOLDER_OUTCOME_SYSTEM, code: answer.failure },
                { system: ODS_CODE_SYSTEM, code: 'RX9', display: 'RX9 name' },
              ],
            },
            diagnostics: `RX9 (RX9 name): ${answer.detail}`,
          },
        ],
      })
      expect(notesOf('allergies')).toContain(
        'This list may be incomplete: no answer from RX9 (see the OperationOutcome).',
      )
    })

    it("answers a requested area nobody holds with GP Connect's empty List", () => {
      // Act
      const { listOf } = merge([holder('Y90001', answered(people('Y90001')))])

      // Assess
      expect(listOf('problems')).toMatchObject({
        emptyReason: { coding: [{ code: 'no-content-recorded' }] },
        note: [{ text: 'Information not available.' }],
        code: { coding: [{ system: SNOMED, code: PROBLEMS }] },
      })
      expect(listOf('problems')).not.toHaveProperty('entry')
    })

    it('passes on what a holder left out, as information', () => {
      // Act
      const { resources } = merge([
        holder('Y90001', {
          kind: 'answered',
          resources: people('Y90001'),
          notes: ['1 Flag resource was left out'],
        }),
      ])

      // Assess
      expect(resources.at(-1)).toMatchObject({
        resourceType: 'OperationOutcome',
        issue: [{ severity: 'information', diagnostics: 'Y90001: 1 Flag resource was left out' }],
      })
    })
  })

  it('answers a collection Bundle in GP Connect order', () => {
    // Act
    const { bundle, resources } = merge([
      holder(
        'Y90002',
        answered([
          ...people('Y90002'),
          list(MEDICATION, 'MedicationStatement/n'),
          list(ALLERGIES, 'AllergyIntolerance/b'),
          ...metformin('n', '2021-07-01'),
          penicillin('b', '2015-03-02'),
        ]),
      ),
      holder(
        'Y90001',
        answered([
          ...people('Y90001'),
          list(PROBLEMS),
          list(ALLERGIES, 'AllergyIntolerance/a'),
          penicillin('a', '2015-03-02'),
        ]),
      ),
      holder('RX9', { kind: 'failed', failure: 'timeout', detail: 'no answer within 2000 ms' }),
    ])

    // Assess
    expect(bundle).toMatchObject({
      resourceType: 'Bundle',
      type: 'collection',
      timestamp: '2026-03-10T12:00:00+00:00',
    })
    const order = resources.map((resource) => resource.resourceType)
    const firstOf = (type: string) => order.indexOf(type)
    expect(firstOf('Patient')).toBe(0)
    expect(firstOf('Organization')).toBeLessThan(firstOf('Practitioner'))
    expect(firstOf('PractitionerRole')).toBeLessThan(firstOf('List'))
    expect(firstOf('List')).toBeLessThan(firstOf('MedicationStatement'))
    expect(order.at(-1)).toBe('OperationOutcome')
  })
})
