import { NHS_NUMBER_SYSTEM, ODS_CODE_SYSTEM } from '../../schemas/fhir/identifiers'
import { SNOMED } from '../../schemas/fhir/recordTypes'
import { type HolderEntry, pointerIdOf } from '../shared/patient-index/HolderEntry'
import { ukDateTime } from '../shared/time'

const CARE_PLAN = { system: SNOMED, code: '734163000', display: 'Care plan' }
const CLINICAL_NOTE = { system: SNOMED, code: '823651000000106', display: 'Clinical note' }
const RECORD_ARTIFACT = { system: SNOMED, code: '419891008', display: 'Record artifact' }
const CARE_PLAN_TYPES = new Set(['736253002', '887701000000100', '861421000000109', '1382601000000107'])
const CLINICAL_NOTE_TYPES = new Set(['824321000000109', '373942005', '887181000000106'])

/** NRL's category for a pointer type (care plans, clinical notes, everything else a record artefact). */
function categoryOf(code: string) {
  if (CARE_PLAN_TYPES.has(code)) return CARE_PLAN
  if (CLINICAL_NOTE_TYPES.has(code)) return CLINICAL_NOTE
  return RECORD_ARTIFACT
}

export { pointerIdOf }

/** An index entry as an NRL-style DocumentReference pointer. */
export function pointerOf(entry: HolderEntry, fallbackEndpoint?: string) {
  const url = entry.endpoint ?? fallbackEndpoint
  const created = entry.firstSeenAt ?? entry.decidedAt
  return {
    resourceType: 'DocumentReference' as const,
    id: pointerIdOf(entry.nhsNumber, entry.holderOds, entry.recordType.code),
    meta: { lastUpdated: ukDateTime(new Date(entry.decidedAt)) },
    status: 'current' as const,
    type: { coding: [entry.recordType] },
    category: [{ coding: [categoryOf(entry.recordType.code)] }],
    subject: { identifier: { system: NHS_NUMBER_SYSTEM, value: entry.nhsNumber } },
    date: ukDateTime(new Date(entry.lastSeenAt ?? entry.decidedAt)),
    author: [{ identifier: { system: ODS_CODE_SYSTEM, value: entry.holderOds } }],
    custodian: { identifier: { system: ODS_CODE_SYSTEM, value: entry.holderOds } },
    content: [
      {
        attachment: {
          contentType: 'application/fhir+json',
          ...(url ? { url } : {}),
          creation: ukDateTime(new Date(created)),
        },
        format: {
          system: 'https://fhir.nhs.uk/England/CodeSystem/England-NRLFormatCode',
          code: 'urn:nhs-ic:structured',
          display: 'Structured Document',
        },
      },
    ],
  }
}
