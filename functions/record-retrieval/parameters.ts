import { isValidNhsNumber, NHS_NUMBER_SYSTEM } from '../../schemas/fhir/identifiers'
import { FhirError } from '../shared/errors'
import type { DateRange, StructuredRecordQuery } from '../shared/records/query'
import { ukDateTime } from '../shared/time'

/**
 * GP Connect answers parameter failures with 422 (its "resource validation errors"), NRL
 * with 400: the catalogue holds NRL's status, record retrieval overrides it.
 */
export const INVALID_PARAMETER_STATUS = 422

function invalidParameter(diagnostics: string): FhirError {
  return new FhirError('INVALID_PARAMETER', diagnostics, { status: INVALID_PARAMETER_STATUS })
}

function invalidResource(diagnostics: string): FhirError {
  return new FhirError('INVALID_RESOURCE', diagnostics)
}

/** A name as the caller sent it, safe to echo: no markup, no control characters, bounded. */
function shown(name: unknown): string {
  return typeof name === 'string' ? name.replace(/[^\w.-]/g, '?').slice(0, 60) : typeof name
}

type Json = Record<string, unknown>
const isObject = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value)

/** Which value[x] a part parameter carries, and how its value is checked. */
type PartKind = 'boolean' | 'pastDate' | 'futureDate' | 'pastPeriod' | 'positiveInt' | 'problemStatus'

const VALUE_ELEMENT: Record<PartKind, string> = {
  boolean: 'valueBoolean',
  pastDate: 'valueDate',
  futureDate: 'valueDate',
  pastPeriod: 'valuePeriod',
  positiveInt: 'valuePositiveInt',
  problemStatus: 'valueCode',
}

/**
 * The parameters of GP Connect 1.6 `$gpc.getstructuredrecord` and their part parameters
 * (GP Connect: "Retrieve a patient's structured record", payload request body).
 */
const AREAS = {
  includeAllergies: { includeResolvedAllergies: { kind: 'boolean', required: true } },
  includeMedication: {
    includePrescriptionIssues: { kind: 'boolean' },
    medicationSearchFromDate: { kind: 'pastDate' },
  },
  includeConsultations: {
    consultationSearchPeriod: { kind: 'pastPeriod' },
    includeNumberOfMostRecent: { kind: 'positiveInt' },
  },
  includeProblems: { filterStatus: { kind: 'problemStatus' } },
  includeImmunisations: { includeNotGiven: { kind: 'boolean' }, includeStatus: { kind: 'boolean' } },
  includeUncategorisedData: { uncategorisedDataSearchPeriod: { kind: 'pastPeriod' } },
  includeInvestigations: { investigationSearchPeriod: { kind: 'pastPeriod' } },
  includeReferrals: { referralSearchPeriod: { kind: 'pastPeriod' } },
  includeDiaryEntries: { diaryEntriesSearchDate: { kind: 'futureDate' } },
} as const satisfies Record<string, Record<string, { kind: PartKind; required?: boolean }>>

type AreaName = keyof typeof AREAS
type PartValue = boolean | string | number | DateRange

/** Elements a Parameters resource may carry besides `parameter` (FHIR Resource). */
const RESOURCE_ELEMENTS = new Set(['resourceType', 'id', 'meta', 'implicitRules', 'language', 'parameter'])

const WHOLE_DATE = /^\d{4}-\d{2}-\d{2}$/

/** True for a real calendar date written yyyy-mm-dd. */
function isWholeDate(value: unknown): value is string {
  if (typeof value !== 'string' || !WHOLE_DATE.test(value)) return false
  const date = new Date(`${value}T00:00:00Z`)
  return !Number.isNaN(date.getTime()) && date.toISOString().slice(0, 10) === value
}

function wholeDate(value: unknown, where: string): string {
  if (!isWholeDate(value)) {
    throw invalidParameter(
      `${where} must be a whole date (yyyy-mm-dd): no partial date, time or offset (GP Connect)`,
    )
  }
  return value
}

function partValue(area: AreaName, name: string, kind: PartKind, part: Json, today: string): PartValue {
  const element = VALUE_ELEMENT[kind]
  const valueKeys = Object.keys(part).filter((key) => key.startsWith('value'))
  if (valueKeys.length === 0) throw invalidParameter(`Part parameter ${name} of ${area} has no value`)
  if (valueKeys.length > 1 || valueKeys[0] !== element)
    throw invalidParameter(`Part parameter ${name} of ${area} takes ${element}`)
  for (const key of Object.keys(part)) {
    if (key !== 'name' && key !== element)
      throw invalidParameter(`Part parameter ${name} of ${area} has an unexpected element ${shown(key)}`)
  }
  const value = part[element]
  switch (kind) {
    case 'boolean':
      if (typeof value !== 'boolean') throw invalidParameter(`${name} must be true or false`)
      return value
    case 'positiveInt':
      if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > 2_147_483_647)
        throw invalidParameter(`${name} must be a positive integer`)
      return value
    case 'problemStatus':
      if (value !== 'active' && value !== 'inactive')
        throw invalidParameter(`${name} must be 'active' or 'inactive'`)
      return value
    case 'pastDate': {
      const date = wholeDate(value, name)
      if (date > today) throw invalidParameter(`${name} must not be after today`)
      return date
    }
    case 'futureDate': {
      const date = wholeDate(value, name)
      if (date < today) throw invalidParameter(`${name} must not be before today`)
      return date
    }
    case 'pastPeriod': {
      if (!isObject(value)) throw invalidParameter(`${name} must be a Period`)
      const range: DateRange = {}
      for (const [key, bound] of Object.entries(value)) {
        if (key !== 'start' && key !== 'end')
          throw invalidParameter(`${name} has an unexpected element ${shown(key)}`)
        const date = wholeDate(bound, `${name}.${key}`)
        if (date > today) throw invalidParameter(`${name}.${key} must not be after today`)
        range[key] = date
      }
      if (range.start === undefined && range.end === undefined)
        throw invalidParameter(`${name} needs a start, an end or both`)
      if (range.start !== undefined && range.end !== undefined && range.start > range.end)
        throw invalidParameter(`${name}.start must not be after its end`)
      return range
    }
  }
}

/** The part parameters of one area, by name, checked against its declaration. */
function partsOf(area: AreaName, parameter: Json, today: string): Map<string, PartValue> {
  for (const key of Object.keys(parameter)) {
    if (key !== 'name' && key !== 'part')
      throw invalidParameter(`${area} takes part parameters only, not ${shown(key)}`)
  }
  const declared: Record<string, { kind: PartKind; required?: boolean }> = AREAS[area]
  const parts = new Map<string, PartValue>()
  const raw = parameter.part
  if (raw !== undefined && !Array.isArray(raw)) throw invalidResource(`${area}.part must be an array`)
  for (const part of (raw ?? []) as unknown[]) {
    if (!isObject(part) || typeof part.name !== 'string')
      throw invalidResource(`Every part parameter of ${area} needs a name`)
    const spec = Object.hasOwn(declared, part.name) ? declared[part.name] : undefined
    if (!spec) throw invalidParameter(`Unknown part parameter ${shown(part.name)} of ${area}`)
    if (parts.has(part.name)) throw invalidParameter(`Part parameter ${part.name} of ${area} may appear once`)
    parts.set(part.name, partValue(area, part.name, spec.kind, part, today))
  }
  for (const [name, spec] of Object.entries(declared)) {
    if (spec.required && !parts.has(name))
      throw invalidParameter(`${area} needs its part parameter ${name} (GP Connect: mandatory)`)
  }
  return parts
}

function nhsNumberOf(parameter: Json): string {
  for (const key of Object.keys(parameter)) {
    if (key !== 'name' && key !== 'valueIdentifier')
      throw invalidParameter(`patientNHSNumber takes valueIdentifier only, not ${shown(key)}`)
  }
  const identifier = parameter.valueIdentifier
  if (!isObject(identifier)) throw invalidParameter('patientNHSNumber needs a valueIdentifier')
  if (identifier.system !== NHS_NUMBER_SYSTEM)
    throw invalidParameter(`patientNHSNumber must have the system ${NHS_NUMBER_SYSTEM}`)
  if (typeof identifier.value !== 'string' || !isValidNhsNumber(identifier.value))
    throw new FhirError('INVALID_NHS_NUMBER', 'patientNHSNumber is not a valid NHS number')
  return identifier.value
}

/** The predefined searches' medication window (GP Connect "Predefined multi area searches"): today - 365 days. */
function yearBefore(today: string): string {
  return new Date(Date.parse(`${today}T00:00:00Z`) - 365 * 86_400_000).toISOString().slice(0, 10)
}

/**
 * GP Connect's "not permitted parameter combinations": filters of other areas may not be
 * combined with consultations or problems, except in the predefined multi-area searches
 * (three most recent consultations with a year of medication).
 */
function checkCombinations(query: StructuredRecordQuery, today: string): void {
  const restricted: [string, boolean][] = [
    ['includeMedication.medicationSearchFromDate', query.medication?.fromDate !== undefined],
    ['includeUncategorisedData.uncategorisedDataSearchPeriod', query.uncategorised?.period !== undefined],
    ['includeReferrals.referralSearchPeriod', query.referrals?.period !== undefined],
    ['includeDiaryEntries.diaryEntriesSearchDate', query.diaryEntries?.searchDate !== undefined],
    ['includeImmunisations.includeNotGiven', query.immunisations?.includeNotGiven !== undefined],
    ['includeImmunisations.includeStatus', query.immunisations?.includeStatus !== undefined],
  ]
  if (query.consultations)
    restricted.push(['includeProblems.filterStatus', query.problems?.status !== undefined])
  const predefined =
    query.medication?.fromDate === yearBefore(today) &&
    (query.consultations === undefined || query.consultations.mostRecent === 3)
  for (const area of ['includeConsultations', 'includeProblems'] as const) {
    const requested = area === 'includeConsultations' ? query.consultations : query.problems
    if (!requested) continue
    for (const [part, present] of restricted) {
      if (!present) continue
      if (part === 'includeMedication.medicationSearchFromDate' && predefined) continue
      throw invalidParameter(
        `${part} may not be combined with ${area} (GP Connect: not permitted combination)`,
      )
    }
  }
}

/**
 * Reads a `$gpc.getstructuredrecord` Parameters body with GP Connect's rules: 422
 * INVALID_RESOURCE for a body that is not a Parameters resource, 400 INVALID_NHS_NUMBER,
 * and 422 INVALID_PARAMETER for an unknown, repeated or value-less parameter, a missing
 * mandatory part, a partial or future date, both consultation filters, or a combination
 * GP Connect does not permit. `now` decides what "future" means (UK date).
 */
export function parseStructuredRecordRequest(body: unknown, now: Date): StructuredRecordQuery {
  if (!isObject(body) || body.resourceType !== 'Parameters')
    throw invalidResource('The request body must be a FHIR Parameters resource')
  for (const key of Object.keys(body)) {
    if (!RESOURCE_ELEMENTS.has(key))
      throw invalidResource(`Parameters has an unexpected element ${shown(key)}`)
  }
  if (!Array.isArray(body.parameter) || body.parameter.length === 0)
    throw invalidParameter('No recognised parameters were provided')
  const today = ukDateTime(now).slice(0, 10)
  const seen = new Set<string>()
  let nhsNumber: string | undefined
  const query: Omit<StructuredRecordQuery, 'nhsNumber'> = {}
  for (const parameter of body.parameter as unknown[]) {
    if (!isObject(parameter) || typeof parameter.name !== 'string')
      throw invalidResource('Every parameter needs a name')
    const name = parameter.name
    if (seen.has(name)) throw invalidParameter(`Parameter ${shown(name)} may appear once`)
    seen.add(name)
    if (name === 'patientNHSNumber') {
      nhsNumber = nhsNumberOf(parameter)
      continue
    }
    if (!Object.hasOwn(AREAS, name)) throw invalidParameter(`Unknown parameter ${shown(name)}`)
    const area = name as AreaName
    const parts = partsOf(area, parameter, today)
    const get = <T extends PartValue>(part: string) => parts.get(part) as T | undefined
    const defined = <T extends object>(value: T): T =>
      Object.fromEntries(Object.entries(value).filter(([, inner]) => inner !== undefined)) as T
    switch (area) {
      case 'includeAllergies':
        query.allergies = { includeResolved: get<boolean>('includeResolvedAllergies')! }
        break
      case 'includeMedication':
        query.medication = defined({
          fromDate: get<string>('medicationSearchFromDate'),
          includePrescriptionIssues: get<boolean>('includePrescriptionIssues'),
        })
        break
      case 'includeConsultations':
        if (parts.has('consultationSearchPeriod') && parts.has('includeNumberOfMostRecent'))
          throw invalidParameter(
            'includeConsultations takes consultationSearchPeriod or includeNumberOfMostRecent, not both',
          )
        query.consultations = defined({
          period: get<DateRange>('consultationSearchPeriod'),
          mostRecent: get<number>('includeNumberOfMostRecent'),
        })
        break
      case 'includeProblems':
        query.problems = defined({ status: get<'active' | 'inactive'>('filterStatus') })
        break
      case 'includeImmunisations':
        query.immunisations = defined({
          includeNotGiven: get<boolean>('includeNotGiven'),
          includeStatus: get<boolean>('includeStatus'),
        })
        break
      case 'includeUncategorisedData':
        query.uncategorised = defined({ period: get<DateRange>('uncategorisedDataSearchPeriod') })
        break
      case 'includeInvestigations':
        query.investigations = defined({ period: get<DateRange>('investigationSearchPeriod') })
        break
      case 'includeReferrals':
        query.referrals = defined({ period: get<DateRange>('referralSearchPeriod') })
        break
      case 'includeDiaryEntries':
        query.diaryEntries = defined({ searchDate: get<string>('diaryEntriesSearchDate') })
        break
    }
  }
  if (nhsNumber === undefined) throw invalidParameter('The patientNHSNumber parameter is required')
  const parsed: StructuredRecordQuery = { nhsNumber, ...query }
  checkCombinations(parsed, today)
  return parsed
}
