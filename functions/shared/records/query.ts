import { NHS_NUMBER_SYSTEM } from '../../../schemas/fhir/identifiers'

/** A date range of whole dates (yyyy-mm-dd); either end may be open. */
export interface DateRange {
  start?: string
  end?: string
}

/**
 * A GP Connect Access Record Structured query, validated: which clinical areas to return
 * and their filters. Absent part parameters stay absent (a provider applies its defaults),
 * so the query forwarded to a holder is exactly the one the caller asked.
 */
export interface StructuredRecordQuery {
  nhsNumber: string
  allergies?: { includeResolved: boolean }
  medication?: { fromDate?: string; includePrescriptionIssues?: boolean }
  consultations?: { period?: DateRange; mostRecent?: number }
  problems?: { status?: 'active' | 'inactive' }
  immunisations?: { includeNotGiven?: boolean; includeStatus?: boolean }
  uncategorised?: { period?: DateRange }
  investigations?: { period?: DateRange }
  referrals?: { period?: DateRange }
  diaryEntries?: { searchDate?: string }
}

/** The clinical areas of a structured record, in GP Connect's order. */
export const CLINICAL_AREAS = [
  'allergies',
  'medication',
  'consultations',
  'problems',
  'immunisations',
  'uncategorised',
  'investigations',
  'referrals',
  'diaryEntries',
] as const
export type ClinicalArea = (typeof CLINICAL_AREAS)[number]

interface Part {
  name: string
  [value: string]: unknown
}
interface Parameter {
  name: string
  valueIdentifier?: { system: string; value: string }
  part?: Part[]
}

const period = (name: string, range: DateRange | undefined): Part[] =>
  range ? [{ name, valuePeriod: { ...range } }] : []
const when = <T>(value: T | undefined, part: (value: T) => Part): Part[] =>
  value === undefined ? [] : [part(value)]

/** The Parameters body GP Connect's `$gpc.getstructuredrecord` takes, for a query (FHIR STU3 and R4 alike). */
export function parametersOf(query: StructuredRecordQuery) {
  const parameter: Parameter[] = [
    { name: 'patientNHSNumber', valueIdentifier: { system: NHS_NUMBER_SYSTEM, value: query.nhsNumber } },
  ]
  const add = (name: string, parts: Part[]) => parameter.push(parts.length ? { name, part: parts } : { name })
  if (query.allergies)
    add('includeAllergies', [
      { name: 'includeResolvedAllergies', valueBoolean: query.allergies.includeResolved },
    ])
  if (query.medication)
    add('includeMedication', [
      ...when(query.medication.includePrescriptionIssues, (value) => ({
        name: 'includePrescriptionIssues',
        valueBoolean: value,
      })),
      ...when(query.medication.fromDate, (value) => ({ name: 'medicationSearchFromDate', valueDate: value })),
    ])
  if (query.consultations)
    add('includeConsultations', [
      ...period('consultationSearchPeriod', query.consultations.period),
      ...when(query.consultations.mostRecent, (value) => ({
        name: 'includeNumberOfMostRecent',
        valuePositiveInt: value,
      })),
    ])
  if (query.problems)
    add(
      'includeProblems',
      when(query.problems.status, (value) => ({ name: 'filterStatus', valueCode: value })),
    )
  if (query.immunisations)
    add('includeImmunisations', [
      ...when(query.immunisations.includeNotGiven, (value) => ({
        name: 'includeNotGiven',
        valueBoolean: value,
      })),
      ...when(query.immunisations.includeStatus, (value) => ({ name: 'includeStatus', valueBoolean: value })),
    ])
  if (query.uncategorised)
    add('includeUncategorisedData', period('uncategorisedDataSearchPeriod', query.uncategorised.period))
  if (query.investigations)
    add('includeInvestigations', period('investigationSearchPeriod', query.investigations.period))
  if (query.referrals) add('includeReferrals', period('referralSearchPeriod', query.referrals.period))
  if (query.diaryEntries)
    add(
      'includeDiaryEntries',
      when(query.diaryEntries.searchDate, (value) => ({ name: 'diaryEntriesSearchDate', valueDate: value })),
    )
  return { resourceType: 'Parameters' as const, parameter }
}

/** The clinical areas a query asks for. */
export function areasOf(query: StructuredRecordQuery): ClinicalArea[] {
  return CLINICAL_AREAS.filter((area) => query[area] !== undefined)
}
