import type { StoredRecord } from '../../functions/shared/records/ClinicalStore'
import { recordTypeFromText } from '../../schemas/fhir/recordTypes'
import { DEMO_PATIENTS } from './demoPatients'

const SNOMED = 'http://snomed.info/sct'
/** HL7's tag for test data: every demo resource is synthetic. */
const SYNTHETIC = {
  system: 'http://terminology.hl7.org/CodeSystem/v3-ActReason',
  code: 'HTEST',
  display: 'test health data',
}

/**
 * What demo organisations wrote into the ICS's own clinical store: Second Demo Pharmacy's
 * record of the patient whose NHS number was superseded (9000000017, now 9000000041), who
 * is also registered at Demo Surgery South. Record retrieval merges the two.
 */
export function demoStoredRecords(): StoredRecord[] {
  const patient = { reference: `Patient/${DEMO_PATIENTS.supersededBy}` }
  const pharmacy = { reference: 'Organization/FX002' }
  return [
    {
      nhsNumber: DEMO_PATIENTS.supersededBy,
      holderOds: 'FX002',
      recordId: 'demo-pharmacy-record-1',
      recordType: recordTypeFromText('Community pharmacy record'),
      recordedAt: '2025-02-20T15:10:00Z',
      resources: [
        {
          resourceType: 'AllergyIntolerance',
          id: 'aspirin-allergy',
          meta: { tag: [SYNTHETIC] },
          clinicalStatus: {
            coding: [
              { system: 'http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical', code: 'active' },
            ],
          },
          code: { coding: [{ system: SNOMED, code: '293586001', display: 'Allergy to aspirin' }] },
          patient,
          recordedDate: '2025-02-20',
          recorder: pharmacy,
        },
        {
          resourceType: 'MedicationStatement',
          id: 'ibuprofen',
          meta: { tag: [SYNTHETIC] },
          status: 'completed',
          medicationCodeableConcept: {
            coding: [{ system: SNOMED, code: '329652003', display: 'Ibuprofen 200mg tablets' }],
          },
          subject: patient,
          effectivePeriod: { start: '2025-02-20', end: '2025-02-27' },
          dateAsserted: '2025-02-20',
          informationSource: pharmacy,
          note: [{ text: 'Bought over the counter for knee pain' }],
        },
      ],
    },
  ]
}
