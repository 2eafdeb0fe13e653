import { createHash } from 'node:crypto'
import { NHS_NUMBER_SYSTEM, ODS_CODE_SYSTEM } from '../../../../schemas/fhir/identifiers'

/**
 * Builders of GP Connect 1.6 (FHIR STU3, CareConnect-GPC profiles) resources for the
 * sandbox providers. Every resource is tagged as synthetic test data (HL7 ActReason
 * HTEST), so a record that reached a screen could never pass for a real one.
 */

export type Stu3 = Record<string, unknown> & { resourceType: string; id: string }

const SNOMED = 'http://snomed.info/sct'
const PROFILE = (name: string) => `https://fhir.nhs.uk/STU3/StructureDefinition/${name}`

/** HL7's tag for test data (v3 ActReason HTEST, "test health data"). */
export const SYNTHETIC_TAG = {
  system: 'http://hl7.org/fhir/v3/ActReason',
  code: 'HTEST',
  display: 'test health data',
}

/** A stable GUID-shaped id from a seed, as GP Connect providers use GUIDs. */
export function guid(...seed: string[]): string {
  const hex = createHash('sha256').update(seed.join('|')).digest('hex')
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`
}

export const snomed = (code: string, display: string) => ({ coding: [{ system: SNOMED, code, display }] })

function meta(profile: string) {
  return { profile: [PROFILE(profile)], tag: [SYNTHETIC_TAG] }
}

const ref = (resource: Stu3) => ({ reference: `${resource.resourceType}/${resource.id}` })

/** The provider's own Organization (GP Connect: referenced from Patient.managingOrganization). */
export function organization(ods: string, name: string): Stu3 {
  return {
    resourceType: 'Organization',
    id: guid('organization', ods),
    meta: meta('CareConnect-GPC-Organization-1'),
    identifier: [{ system: ODS_CODE_SYSTEM, value: ods }],
    name: `${name} (SANDBOX)`,
    telecom: [{ system: 'phone', value: '0113 496 0000', use: 'work' }],
  }
}

/** A clinician at an organisation: the Practitioner and their PractitionerRole there. */
export function clinician(ods: string, family: string, given: string, organisation: Stu3): [Stu3, Stu3] {
  const practitioner: Stu3 = {
    resourceType: 'Practitioner',
    id: guid('practitioner', ods, family),
    meta: meta('CareConnect-GPC-Practitioner-1'),
    identifier: [
      { system: 'https://fhir.nhs.uk/Id/sds-user-id', value: `S${guid(ods, family).slice(0, 8)}` },
    ],
    name: [{ use: 'usual', family, given: [given], prefix: ['Dr'] }],
    gender: 'unknown',
  }
  const role: Stu3 = {
    resourceType: 'PractitionerRole',
    id: guid('role', ods, family),
    meta: meta('CareConnect-GPC-PractitionerRole-1'),
    practitioner: ref(practitioner),
    organization: ref(organisation),
    code: [
      {
        coding: [
          {
            system: 'https://fhir.hl7.org.uk/STU3/CodeSystem/CareConnect-SDSJobRoleName-1',
            code: 'R0260',
            display: 'General Medical Practitioner',
          },
        ],
      },
    ],
  }
  return [practitioner, role]
}

/** The patient as a GP Connect provider answers: NHS number verified, registered here. */
export function patient(nhsNumber: string, organisation: Stu3): Stu3 {
  return {
    resourceType: 'Patient',
    id: guid('patient', nhsNumber, String(organisation.id)),
    meta: meta('CareConnect-GPC-Patient-1'),
    identifier: [
      {
        extension: [
          {
            url: 'https://fhir.hl7.org.uk/STU3/StructureDefinition/Extension-CareConnect-NHSNumberVerificationStatus-1',
            valueCodeableConcept: {
              coding: [
                {
                  system: 'https://fhir.hl7.org.uk/STU3/CodeSystem/CareConnect-NHSNumberVerificationStatus-1',
                  code: '01',
                  display: 'Number present and verified',
                },
              ],
            },
          },
        ],
        system: NHS_NUMBER_SYSTEM,
        value: nhsNumber,
      },
    ],
    active: true,
    managingOrganization: ref(organisation),
  }
}

export interface Recorded {
  /** Who recorded it: a PractitionerRole (GP Connect's recorder). */
  by: Stu3
}

export function allergy(
  id: string,
  concept: [code: string, display: string],
  facts: Recorded & {
    asserted: string
    onset?: string
    ended?: { date: string; reason: string }
    patient: Stu3
  },
): Stu3 {
  return {
    resourceType: 'AllergyIntolerance',
    id,
    meta: meta('CareConnect-GPC-AllergyIntolerance-1'),
    ...(facts.ended
      ? {
          extension: [
            {
              url: PROFILE('Extension-CareConnect-GPC-AllergyIntoleranceEnd-1'),
              extension: [
                { url: 'endDate', valueDateTime: facts.ended.date },
                { url: 'reasonEnded', valueString: facts.ended.reason },
              ],
            },
          ],
        }
      : {}),
    identifier: [{ system: 'https://fhir.nhs.uk/Id/sandbox-data-identifier', value: id }],
    clinicalStatus: facts.ended ? 'resolved' : 'active',
    verificationStatus: 'unconfirmed',
    type: 'allergy',
    category: ['medication'],
    code: snomed(...concept),
    patient: ref(facts.patient),
    ...(facts.onset ? { onsetDateTime: facts.onset } : {}),
    assertedDate: facts.asserted,
    recorder: ref(facts.by),
    reaction: [{ manifestation: [snomed('271807003', 'Eruption of skin')], severity: 'moderate' }],
  }
}

export function problem(
  id: string,
  concept: [code: string, display: string],
  facts: Recorded & {
    onset: string
    asserted: string
    abated?: string
    significance: 'major' | 'minor'
    patient: Stu3
    practitioner: Stu3
  },
): Stu3 {
  return {
    resourceType: 'Condition',
    id,
    meta: meta('CareConnect-GPC-ProblemHeader-Condition-1'),
    extension: [
      {
        url: 'https://fhir.hl7.org.uk/STU3/StructureDefinition/Extension-CareConnect-ProblemSignificance-1',
        valueCode: facts.significance,
      },
    ],
    identifier: [{ system: 'https://fhir.nhs.uk/Id/sandbox-data-identifier', value: id }],
    clinicalStatus: facts.abated ? 'inactive' : 'active',
    category: [
      {
        coding: [
          {
            system: 'http://hl7.org/fhir/condition-category',
            code: 'problem-list-item',
            display: 'Problem List Item',
          },
        ],
      },
    ],
    code: snomed(...concept),
    subject: ref(facts.patient),
    onsetDateTime: facts.onset,
    ...(facts.abated ? { abatementDateTime: facts.abated } : {}),
    assertedDate: facts.asserted,
    asserter: ref(facts.practitioner),
  }
}

/**
 * A medication as GP Connect returns it: the MedicationStatement (summary), the
 * MedicationRequest with intent `plan` (the authorisation), one `order` per issue, and the
 * Medication.
 */
export function medication(
  id: string,
  concept: [code: string, display: string],
  facts: Recorded & {
    start: string
    end?: string
    kind: 'acute' | 'repeat'
    dosage: string
    quantity: [value: number, unit: string]
    issues: string[]
    patient: Stu3
  },
): Stu3[] {
  const drug: Stu3 = {
    resourceType: 'Medication',
    id: `${id}-medication`,
    meta: meta('CareConnect-GPC-Medication-1'),
    code: snomed(...concept),
  }
  const prescriptionType = (kind: string) => ({
    url: PROFILE('Extension-CareConnect-GPC-PrescriptionType-1'),
    valueCodeableConcept: {
      coding: [
        {
          system: 'https://fhir.nhs.uk/STU3/CodeSystem/CareConnect-PrescriptionType-1',
          code: kind,
          display: kind === 'acute' ? 'Acute' : 'Repeat',
        },
      ],
    },
  })
  const request = (requestId: string, intent: 'plan' | 'order', authored: string): Stu3 => ({
    resourceType: 'MedicationRequest',
    id: requestId,
    meta: meta('CareConnect-GPC-MedicationRequest-1'),
    extension: [prescriptionType(facts.kind)],
    identifier: [{ system: 'https://fhir.nhs.uk/Id/sandbox-data-identifier', value: requestId }],
    ...(intent === 'order' ? { basedOn: [{ reference: `MedicationRequest/${id}-plan` }] } : {}),
    groupIdentifier: { value: id },
    status: facts.end ? 'completed' : 'active',
    intent,
    medicationReference: ref(drug),
    subject: ref(facts.patient),
    authoredOn: authored,
    requester: { agent: ref(facts.by) },
    recorder: ref(facts.by),
    dosageInstruction: [{ text: facts.dosage }],
    dispenseRequest: {
      validityPeriod: { start: authored, ...(facts.end ? { end: facts.end } : {}) },
      quantity: { value: facts.quantity[0], unit: facts.quantity[1] },
      expectedSupplyDuration: { value: 28, unit: 'day', system: 'http://unitsofmeasure.org', code: 'd' },
    },
  })
  const plan = request(`${id}-plan`, 'plan', facts.start)
  const orders = facts.issues.map((issued, index) => request(`${id}-issue-${index + 1}`, 'order', issued))
  const statement: Stu3 = {
    resourceType: 'MedicationStatement',
    id,
    meta: meta('CareConnect-GPC-MedicationStatement-1'),
    extension: [
      {
        url: PROFILE('Extension-CareConnect-GPC-MedicationStatementLastIssueDate-1'),
        valueDateTime: facts.issues.at(-1) ?? facts.start,
      },
    ],
    identifier: [{ system: 'https://fhir.nhs.uk/Id/sandbox-data-identifier', value: id }],
    basedOn: [ref(plan)],
    status: facts.end ? 'completed' : 'active',
    medicationReference: ref(drug),
    effectivePeriod: { start: facts.start, ...(facts.end ? { end: facts.end } : {}) },
    dateAsserted: facts.start,
    subject: ref(facts.patient),
    taken: 'unk',
    dosage: [{ text: facts.dosage, doseQuantity: { value: 1, unit: facts.quantity[1] } }],
  }
  return [statement, plan, ...orders, drug]
}

export function immunisation(
  id: string,
  concept: [code: string, display: string],
  facts: { date: string; dose: number; patient: Stu3; practitioner: Stu3 },
): Stu3 {
  return {
    resourceType: 'Immunization',
    id,
    meta: meta('CareConnect-GPC-Immunization-1'),
    identifier: [{ system: 'https://fhir.nhs.uk/Id/sandbox-data-identifier', value: id }],
    status: 'completed',
    notGiven: false,
    vaccineCode: snomed(...concept),
    patient: ref(facts.patient),
    date: facts.date,
    primarySource: true,
    practitioner: [{ actor: ref(facts.practitioner) }],
    vaccinationProtocol: [
      {
        doseSequence: facts.dose,
        targetDisease: [snomed('14189004', 'Measles')],
        doseStatus: snomed('385669000', 'Successful'),
      },
    ],
  }
}

export function consultation(
  id: string,
  type: [code: string, display: string],
  facts: { start: string; end: string; patient: Stu3; practitioner: Stu3; organisation: Stu3 },
): Stu3 {
  return {
    resourceType: 'Encounter',
    id,
    meta: meta('CareConnect-GPC-Encounter-1'),
    identifier: [{ system: 'https://fhir.nhs.uk/Id/sandbox-data-identifier', value: id }],
    status: 'finished',
    type: [snomed(...type)],
    subject: ref(facts.patient),
    participant: [{ individual: ref(facts.practitioner) }],
    period: { start: facts.start, end: facts.end },
    serviceProvider: ref(facts.organisation),
  }
}

/** A test report with one result (GP Connect investigations: DiagnosticReport, test group, result). */
export function investigation(
  id: string,
  test: [code: string, display: string],
  facts: { issued: string; value: number; unit: string; patient: Stu3; organisation: Stu3 },
): Stu3[] {
  const result: Stu3 = {
    resourceType: 'Observation',
    id: `${id}-result`,
    meta: meta('CareConnect-GPC-Observation-1'),
    identifier: [{ system: 'https://fhir.nhs.uk/Id/sandbox-data-identifier', value: `${id}-result` }],
    status: 'final',
    code: snomed(...test),
    subject: ref(facts.patient),
    effectiveDateTime: facts.issued,
    issued: facts.issued,
    performer: [ref(facts.organisation)],
    valueQuantity: { value: facts.value, unit: facts.unit },
  }
  const report: Stu3 = {
    resourceType: 'DiagnosticReport',
    id,
    meta: meta('CareConnect-GPC-DiagnosticReport-1'),
    identifier: [{ system: 'https://fhir.nhs.uk/Id/sandbox-data-identifier', value: id }],
    status: 'final',
    category: snomed('394595002', 'Pathology'),
    code: snomed('721981007', 'Diagnostic studies report'),
    subject: ref(facts.patient),
    issued: facts.issued,
    performer: [{ actor: ref(facts.organisation) }],
    result: [ref(result)],
  }
  return [report, result]
}

/** A GP Connect primary List (STU3): its entries, or GP Connect's empty reason and note. */
export function sectionList(
  code: string,
  display: string,
  patientResource: Stu3,
  items: Stu3[],
  date: string,
  contained: Stu3[] = [],
) {
  return {
    resourceType: 'List',
    meta: meta('CareConnect-GPC-List-1'),
    ...(contained.length ? { contained } : {}),
    status: 'current',
    mode: 'snapshot',
    title: display,
    code: snomed(code, display),
    subject: ref(patientResource),
    date,
    orderedBy: { coding: [{ system: 'http://hl7.org/fhir/list-order', code: 'event-date' }] },
    ...(items.length || contained.length
      ? {
          entry: [
            ...items.map((item) => ({ item: ref(item) })),
            ...contained.map((item) => ({ item: { reference: `#${item.id}` } })),
          ],
        }
      : {
          emptyReason: {
            coding: [
              {
                system: 'https://fhir.nhs.uk/STU3/CodeSystem/CareConnect-ListEmptyReasonCode-1',
                code: 'no-content-recorded',
                display: 'No Content Recorded',
              },
            ],
          },
          note: [{ text: 'Information not available' }],
        }),
  }
}
