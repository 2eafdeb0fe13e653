import { createHash } from 'node:crypto'
import { SNOMED } from '../../../schemas/fhir/recordTypes'
import type { FhirResource } from '../gpconnect/stu3ToR4'
import { type Clock, systemClock, ukDateTime } from '../time'
import type { ClinicalStore, StoredRecord } from './ClinicalStore'
import type { HolderAnswer, HolderRecordSource, HolderRequest } from './HolderRecordSource'
import { timedOut } from './HolderRecordSource'
import type { DateRange, StructuredRecordQuery } from './query'
import { LIST_EMPTY_REASON_SYSTEM, PRIMARY_LISTS, type SectionList } from './sections'

type Json = Record<string, unknown>
const isObject = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value)
const asArray = (value: unknown): unknown[] =>
  Array.isArray(value) ? value : value === undefined ? [] : [value]

/** The coded value of a CodeableConcept status (R4 clinicalStatus). */
function statusCode(concept: unknown): string | undefined {
  const coding = asArray(isObject(concept) ? concept.coding : undefined).find(isObject)
  return typeof coding?.code === 'string' ? coding.code : undefined
}

/** The first date (yyyy-mm-dd) of a dateTime, or of a Period's start. */
function dateOf(value: unknown): string | undefined {
  if (typeof value === 'string') return value.slice(0, 10)
  if (isObject(value)) return dateOf(value.start)
  return undefined
}
function endDateOf(value: unknown): string | undefined {
  if (isObject(value) && typeof value.end === 'string') return value.end.slice(0, 10)
  return undefined
}

/**
 * GP Connect's rule for a date in a search range: unknown dates are returned, partial ones
 * compare as the whole year or month they stand for ("Unknown and partial date handling").
 */
export function withinRange(date: string | undefined, range: DateRange | undefined): boolean {
  if (!range || !date) return true
  const from = date.length === 4 ? `${date}-01-01` : date.length === 7 ? `${date}-01` : date
  const to = date.length === 4 ? `${date}-12-31` : date.length === 7 ? `${date}-31` : date
  return (range.start === undefined || to >= range.start) && (range.end === undefined || from <= range.end)
}

/** A resource's place in the structured record: which primary list it belongs to, if any. */
function sectionOf(
  resource: FhirResource,
  query: StructuredRecordQuery,
  reports: Set<string>,
): SectionList | undefined {
  switch (resource.resourceType) {
    case 'AllergyIntolerance': {
      if (!query.allergies) return undefined
      const status = statusCode(resource.clinicalStatus)
      const ended = status === 'resolved' || status === 'inactive'
      if (!ended) return PRIMARY_LISTS.allergies
      return query.allergies.includeResolved ? PRIMARY_LISTS.endedAllergies : undefined
    }
    case 'MedicationStatement': {
      if (!query.medication) return undefined
      // GP Connect: medication active on or after the date; without an end it is on-going.
      const from = query.medication.fromDate
      const period = isObject(resource.effectivePeriod) ? resource.effectivePeriod : undefined
      const lastActive = period ? endDateOf(period) : dateOf(resource.effectiveDateTime)
      if (from && lastActive && lastActive < from) return undefined
      return PRIMARY_LISTS.medication
    }
    case 'Condition': {
      if (!query.problems) return undefined
      const status = statusCode(resource.clinicalStatus)
      const active =
        status === undefined || status === 'active' || status === 'recurrence' || status === 'relapse'
      if (query.problems.status === 'active' && !active) return undefined
      if (query.problems.status === 'inactive' && active) return undefined
      return PRIMARY_LISTS.problems
    }
    case 'Encounter':
      if (!query.consultations || !withinRange(dateOf(resource.period), query.consultations.period))
        return undefined
      return PRIMARY_LISTS.consultations
    case 'Immunization':
      if (!query.immunisations) return undefined
      if (resource.status === 'not-done' && query.immunisations.includeNotGiven !== true) return undefined
      return PRIMARY_LISTS.immunisations
    case 'DiagnosticReport':
      if (!query.investigations || !withinRange(dateOf(resource.issued), query.investigations.period))
        return undefined
      return PRIMARY_LISTS.investigations
    case 'Observation':
      // A result belongs to its report; a free-standing observation is uncategorised data.
      if (reports.has(`Observation/${resource.id}`)) return undefined
      if (
        !query.uncategorised ||
        !withinRange(
          dateOf(resource.effectiveDateTime ?? resource.effectivePeriod),
          query.uncategorised.period,
        )
      )
        return undefined
      return PRIMARY_LISTS.uncategorised
    case 'ServiceRequest':
      if (!query.referrals || !withinRange(dateOf(resource.authoredOn), query.referrals.period))
        return undefined
      return PRIMARY_LISTS.referrals
    default:
      return undefined
  }
}

/** Every `Type/id` reference in a value. */
function referencesIn(value: unknown, found: Set<string> = new Set()): Set<string> {
  if (Array.isArray(value)) for (const item of value) referencesIn(item, found)
  else if (isObject(value)) {
    if (typeof value.reference === 'string' && /^[A-Z][A-Za-z]+\/[^/]+$/.test(value.reference))
      found.add(value.reference)
    for (const inner of Object.values(value)) referencesIn(inner, found)
  }
  return found
}

function rewriteReferences<T>(value: T, rewrite: (reference: string) => string): T {
  if (Array.isArray(value)) return value.map((item) => rewriteReferences(item, rewrite)) as T
  if (!isObject(value)) return value
  const out: Json = {}
  for (const [key, inner] of Object.entries(value))
    out[key] =
      key === 'reference' && typeof inner === 'string' ? rewrite(inner) : rewriteReferences(inner, rewrite)
  return out as T
}

/**
 * A holder's records with ids unique across them: each record's ids get a short prefix
 * derived from its record id, and its references follow.
 */
function namespaced(record: StoredRecord): FhirResource[] {
  const prefix = createHash('sha256').update(record.recordId).digest('hex').slice(0, 8)
  const ids = new Set(record.resources.map((resource) => `${resource.resourceType}/${resource.id}`))
  const rename = (id: string) => `${prefix}-${id}`.slice(0, 64)
  return record.resources.map((resource) => ({
    ...rewriteReferences(resource, (reference) => {
      if (!ids.has(reference)) return reference
      const slash = reference.indexOf('/')
      return `${reference.slice(0, slash)}/${rename(reference.slice(slash + 1))}`
    }),
    id: rename(resource.id!),
  }))
}

/**
 * The structured record one holder keeps in this stack's store, answered as a GP Connect
 * provider answers: the resources the query asks for (with GP Connect's filters), what
 * they reference, and one List per requested section.
 */
export function storedStructuredRecord(
  records: StoredRecord[],
  query: StructuredRecordQuery,
  now: string,
): FhirResource[] {
  const resources = records.flatMap(namespaced)
  const byKey = new Map(resources.map((resource) => [`${resource.resourceType}/${resource.id}`, resource]))
  const reports = new Set<string>()
  for (const resource of resources) {
    if (resource.resourceType === 'DiagnosticReport')
      for (const reference of referencesIn(resource.result)) reports.add(reference)
  }
  const sections = new Map<SectionList, FhirResource[]>()
  for (const resource of resources) {
    const section = sectionOf(resource, query, reports)
    if (section) sections.set(section, [...(sections.get(section) ?? []), resource])
  }
  // GP Connect: the most recent N consultations.
  const consultations = sections.get(PRIMARY_LISTS.consultations)
  if (consultations && query.consultations?.mostRecent) {
    consultations.sort((a, b) => (dateOf(b.period) ?? '').localeCompare(dateOf(a.period) ?? ''))
    consultations.splice(query.consultations.mostRecent)
  }
  // What the listed resources need: what they reference, and issues (orders) of listed medication plans.
  const included = new Set<string>()
  const include = (key: string) => {
    if (included.has(key) || !byKey.has(key)) return
    included.add(key)
    for (const reference of referencesIn(byKey.get(key))) include(reference)
  }
  for (const listed of sections.values())
    for (const resource of listed) include(`${resource.resourceType}/${resource.id}`)
  for (const resource of resources) {
    if (resource.resourceType !== 'MedicationRequest' || resource.intent !== 'order') continue
    if (query.medication?.includePrescriptionIssues === false) continue
    if ([...referencesIn(resource.basedOn)].some((reference) => included.has(reference)))
      include(`MedicationRequest/${resource.id}`)
  }
  const answer = resources.filter((resource) => included.has(`${resource.resourceType}/${resource.id}`))
  const wanted = new Set<SectionList>()
  if (query.allergies) {
    wanted.add(PRIMARY_LISTS.allergies)
    if (query.allergies.includeResolved) wanted.add(PRIMARY_LISTS.endedAllergies)
  }
  for (const area of [
    'medication',
    'consultations',
    'problems',
    'immunisations',
    'uncategorised',
    'investigations',
    'referrals',
    'diaryEntries',
  ] as const) {
    if (query[area]) wanted.add(PRIMARY_LISTS[area])
  }
  const lists: FhirResource[] = [...wanted].map((section) => {
    const listed = sections.get(section) ?? []
    return {
      resourceType: 'List',
      id: `list-${section.id}`,
      status: 'current',
      mode: 'snapshot',
      title: section.title,
      code: { coding: [{ system: SNOMED, code: section.code, display: section.display }] },
      subject: { reference: `Patient/${query.nhsNumber}` },
      date: now,
      ...(listed.length
        ? {
            entry: listed.map((resource) => ({
              item: { reference: `${resource.resourceType}/${resource.id}` },
            })),
          }
        : {
            emptyReason: {
              coding: [
                {
                  system: LIST_EMPTY_REASON_SYSTEM,
                  code: 'no-content-recorded',
                  display: 'No Content Recorded',
                },
              ],
            },
            note: [{ text: 'Information not available.' }],
          }),
    }
  })
  return [...lists, ...answer]
}

/** Reads holders whose records live in this stack's own clinical store. */
export class StoreRecordSource implements HolderRecordSource {
  constructor(
    private readonly store: ClinicalStore,
    private readonly clock: Clock = systemClock,
  ) {}

  async structuredRecord(request: HolderRequest): Promise<HolderAnswer> {
    try {
      const records = await this.store.recordsOf(request.query.nhsNumber, request.holder.ods, {
        signal: request.signal,
      })
      if (records.length === 0)
        return {
          kind: 'failed',
          failure: 'not-found',
          detail: 'holds no record of the patient in the ICS store',
        }
      return {
        kind: 'answered',
        resources: storedStructuredRecord(records, request.query, ukDateTime(this.clock())),
        notes: [],
      }
    } catch {
      if (timedOut(request.signal))
        return { kind: 'failed', failure: 'timeout', detail: 'the ICS store did not answer in time' }
      return { kind: 'failed', failure: 'error', detail: 'the ICS store could not be read' }
    }
  }
}
