import { parseStructuredRecordRequest } from '../../../../functions/record-retrieval/parameters'
import { FhirError } from '../../../../functions/shared/errors'
import { GET_STRUCTURED_RECORD_INTERACTION } from '../../../../functions/shared/gpconnect/GpConnectRecordSource'
import type { StructuredRecordQuery } from '../../../../functions/shared/records/query'
import { withinRange } from '../../../../functions/shared/records/StoreRecordSource'
import { ukDateTime } from '../../../../functions/shared/time'
import type { SandboxInteraction } from './provider'
import { type SandboxItem, sandboxRecordOf } from './records'
import { type Stu3, SYNTHETIC_TAG, sectionList } from './stu3'

/** GP Connect's primary list codes and titles (STU3), per area the sandbox holds. */
const LISTS = {
  allergies: ['886921000000105', 'Allergies and adverse reactions'],
  endedAllergies: ['1103671000000101', 'Ended allergies'],
  medication: ['933361000000108', 'Medications and medical devices'],
  problems: ['717711000000103', 'Problems'],
  immunisations: ['1102181000000102', 'Immunisations'],
  consultations: ['1149501000000101', 'List of consultations'],
  investigations: ['887191000000108', 'Investigations and results'],
  referrals: ['792931000000107', 'Outbound referral'],
  uncategorised: ['826501000000100', 'Miscellaneous record'],
  diaryEntries: ['714311000000108', 'Patient recall administration'],
} as const

/** A primary List for an area: its code and title from LISTS. */
function listOf(
  area: keyof typeof LISTS,
  patient: Stu3,
  items: Stu3[],
  date: string,
  contained: Stu3[] = [],
) {
  const [code, title] = LISTS[area]
  return sectionList(code, title, patient, items, date, contained)
}

/** Whether an item answers the query (GP Connect's filters for each clinical area). */
function wanted(item: SandboxItem, query: StructuredRecordQuery): boolean {
  switch (item.area) {
    case 'allergies':
      return query.allergies !== undefined && (!item.inactive || query.allergies.includeResolved)
    case 'medication': {
      const from = query.medication?.fromDate
      return query.medication !== undefined && !(from && item.end && item.end < from)
    }
    case 'problems': {
      const status = query.problems?.status
      return (
        query.problems !== undefined &&
        !(status === 'active' && item.inactive) &&
        !(status === 'inactive' && !item.inactive)
      )
    }
    case 'immunisations':
      return query.immunisations !== undefined
    case 'consultations':
      return query.consultations !== undefined && withinRange(item.start, query.consultations.period)
    case 'investigations':
      return query.investigations !== undefined && withinRange(item.start, query.investigations.period)
  }
}

/**
 * `POST /Patient/$gpc.getstructuredrecord` as a GP Connect 1.6 provider answers it: the
 * Parameters checked with GP Connect's rules, then a STU3 `collection` Bundle with the
 * Patient, the provider's Organization and clinicians, one List per requested area, and
 * the items that match the query.
 */
export const structuredRecordInteraction: SandboxInteraction = {
  method: 'POST',
  path: /^\/Patient\/\$gpc\.getstructuredrecord$/,
  interactionId: GET_STRUCTURED_RECORD_INTERACTION,
  handle: async ({ provider, body, now }) => {
    let query: StructuredRecordQuery
    try {
      query = parseStructuredRecordRequest(body, now)
    } catch (error) {
      if (error instanceof FhirError) return provider.outcome(error.status, error.code, error.code)
      throw error
    }
    const record = sandboxRecordOf(provider.ods, provider.name, query.nhsNumber)
    const date = ukDateTime(now)
    const items = record.items.filter((item) => wanted(item, query))
    const lists: unknown[] = []
    const listed = (area: SandboxItem['area'], filter: (item: SandboxItem) => boolean = () => true) =>
      items.filter((item) => item.area === area && filter(item)).map((item) => item.resources[0]!)
    if (query.allergies) {
      lists.push(
        listOf(
          'allergies',
          record.patient,
          listed('allergies', (item) => !item.inactive),
          date,
        ),
      )
      // GP Connect: ended allergies are contained in their own List, never free-standing.
      if (query.allergies.includeResolved)
        lists.push(
          listOf(
            'endedAllergies',
            record.patient,
            [],
            date,
            listed('allergies', (item) => item.inactive === true),
          ),
        )
    }
    for (const area of [
      'medication',
      'problems',
      'immunisations',
      'consultations',
      'investigations',
    ] as const) {
      if (query[area]) lists.push(listOf(area, record.patient, listed(area), date))
    }
    for (const area of ['referrals', 'uncategorised', 'diaryEntries'] as const) {
      if (query[area]) lists.push(listOf(area, record.patient, [], date))
    }
    const includeIssues = query.medication?.includePrescriptionIssues !== false
    const resources: Stu3[] = items
      .filter((item) => !(item.area === 'allergies' && item.inactive))
      .flatMap((item) =>
        item.resources.filter(
          (resource) =>
            includeIssues || !(resource.resourceType === 'MedicationRequest' && resource.intent === 'order'),
        ),
      )
    return {
      status: 200,
      body: {
        resourceType: 'Bundle',
        meta: {
          profile: ['https://fhir.nhs.uk/STU3/StructureDefinition/GPConnect-StructuredRecord-Bundle-1'],
          tag: [SYNTHETIC_TAG],
        },
        type: 'collection',
        entry: [record.patient, ...record.people, ...lists, ...resources].map((resource) => ({ resource })),
      },
    }
  },
}
