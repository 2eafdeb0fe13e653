import type { Caller } from '../../schemas/auth'
import type { Bundle } from '../../schemas/fhir/Bundle'
import { ODS_CODE_SYSTEM } from '../../schemas/fhir/identifiers'
import type { Slot } from '../../schemas/fhir/Scheduling'
import type { IcsRuntimeConfig } from '../../schemas/ics-config'
import {
  type AppointmentBook,
  type PublishedResource,
  parseSlotId,
  type SlotRecord,
} from '../shared/appointments/AppointmentBook'
import type { PracticeAppointments } from '../shared/appointments/PracticeAppointments'
import { FhirError } from '../shared/errors'
import {
  addDays,
  type Clock,
  isCalendarDate,
  parseUkDateTime,
  ukDateTime,
  ukOffsetMinutes,
  ukWallClock,
} from '../shared/time'
import {
  appointmentPracticeOf,
  type PracticeSlotRead,
  type PracticeSlotSearch,
  practiceOfId,
  readPracticeSlot,
  searchPracticeSlots,
} from './practices'
import { organizationResource, slotResource } from './resources'

/** GP Connect: a consumer SHALL request at most a two-week period. */
export const MAX_WINDOW_DAYS = 14
/** Slots per searchset page; the `next` link carries on. */
export const SLOTS_PER_PAGE = 500

const DAY_MS = 86_400_000

const INCLUDES = new Set(['Slot:schedule'])
const RECURSIVE_INCLUDES = new Set([
  'Schedule:actor:Practitioner',
  'Schedule:actor:Location',
  'Location:managingOrganization',
])

/** A validated slot search. */
export interface SlotSearch {
  /** Slots starting at or after `from` and at or before `to` (ISO instants)… */
  from: string
  to: string
  /** …and ending at or before `endBy`, when the search bounds the end (GP Connect `end=le`). */
  endBy?: string
  /** ODS codes to search; every publishing member when absent. */
  organisations?: string[]
  serviceType?: string
  include: { schedule: boolean; practitioner: boolean; location: boolean; organization: boolean }
  after?: string
  /** Slots a page (FHIR `_count`), SLOTS_PER_PAGE when absent. */
  count: number
}

const invalidParameter = (diagnostics: string) =>
  new FhirError('INVALID_PARAMETER', diagnostics, { status: 422 })

interface Bound {
  prefix: string
  /** The instant the value names: a date's first moment, or the date-time itself. */
  instant: Date
  /** Wall-clock milliseconds (local time read as if UTC), for the 14-day rule. */
  wallClock: number
  dateOnly: boolean
  date: string
}

/**
 * A date or UK date-time search value with its prefix. GP Connect: `yyyy-mm-dd`, or
 * `yyyy-mm-ddThh:mm:ss+hh:mm` in UK local time (`+00:00` GMT, `+01:00` BST); partial dates,
 * `Z` and missing offsets are refused.
 */
function boundOf(name: string, raw: string): Bound {
  const match = /^([a-z]{2})(.*)$/.exec(raw)
  if (!match) throw invalidParameter(`${name} must carry a search prefix (ge or le) and a date or date-time`)
  const [, prefix, value] = match as unknown as [string, string, string]
  if (isCalendarDate(value)) {
    const instant = ukWallClock(value)
    return { prefix, instant, wallClock: Date.parse(`${value}T00:00:00Z`), dateOnly: true, date: value }
  }
  const instant = parseUkDateTime(value)
  if (!instant) {
    throw invalidParameter(
      `${name} must be a date (yyyy-mm-dd) or a UK local date-time with its offset (yyyy-mm-ddThh:mm:ss+00:00 in GMT, +01:00 in BST)`,
    )
  }
  return {
    prefix,
    instant,
    wallClock: instant.getTime() + ukOffsetMinutes(instant) * 60_000,
    dateOnly: false,
    date: ukDateTime(instant).slice(0, 10),
  }
}

/** The last moment a bound covers: the whole day for a date, else the instant itself. */
function upperInstant(bound: Bound): Date {
  return bound.dateOnly ? new Date(ukWallClock(addDays(bound.date, 1)).getTime() - 1) : bound.instant
}

/**
 * Validates `GET /Slot` as GP Connect Search for free slots does: `status=free` and `start`
 * required (400 BAD_REQUEST when missing); `start=ge…` once, with the upper bound as
 * GP Connect's `end=le…` or FHIR's second `start=le…`; any other prefix, a malformed value
 * or a window over 14 days is 422 INVALID_PARAMETER. Unknown parameters are ignored (FHIR),
 * and so is GP Connect's `searchFilter` (the consumer's own ODS code and type: this stack
 * does not restrict slots by who books them).
 */
export function parseSlotSearch(query: Record<string, string[]>, ics: IcsRuntimeConfig): SlotSearch {
  const status = query.status
  if (!status) throw new FhirError('BAD_REQUEST', 'status=free is required')
  if (status.length !== 1 || status[0] !== 'free') {
    throw invalidParameter('status must be free, once: only free slots can be searched for')
  }
  const starts = query.start
  if (!starts?.length) throw new FhirError('BAD_REQUEST', 'start=ge<date> is required')
  const startBounds = starts.map((value) => boundOf('start', value))
  const endBounds = (query.end ?? []).map((value) => boundOf('end', value))
  const lower = startBounds.filter((bound) => bound.prefix === 'ge')
  const startUpper = startBounds.filter((bound) => bound.prefix === 'le')
  if (
    lower.length !== 1 ||
    startUpper.length > 1 ||
    startBounds.length !== lower.length + startUpper.length ||
    endBounds.length > 1 ||
    endBounds.some((bound) => bound.prefix !== 'le')
  ) {
    throw invalidParameter(
      'Use start=ge<date> once, and end=le<date> or start=le<date> once (no other prefixes, no repeats)',
    )
  }
  const from = lower[0]!
  const upper = [...startUpper, ...endBounds]
  if (upper.length === 0)
    throw new FhirError('BAD_REQUEST', 'An upper bound is required: end=le<date> or start=le<date>')
  for (const bound of upper) {
    if (bound.wallClock < from.wallClock) throw invalidParameter('The search window ends before it starts')
    // Counted on the wall clock, so a fortnight across a clock change is still a fortnight.
    if (bound.wallClock - from.wallClock > MAX_WINDOW_DAYS * DAY_MS) {
      throw invalidParameter(`The search window is longer than ${MAX_WINDOW_DAYS} days (GP Connect)`)
    }
  }
  const startLimit = startUpper[0] ? upperInstant(startUpper[0]) : undefined
  const endLimit = endBounds[0] ? upperInstant(endBounds[0]) : undefined

  const includes = query._include ?? []
  const recursive = query['_include:recurse'] ?? []
  for (const value of includes) {
    if (!INCLUDES.has(value)) throw invalidParameter(`_include supports Slot:schedule only`)
  }
  for (const value of recursive) {
    if (!RECURSIVE_INCLUDES.has(value)) {
      throw invalidParameter(`_include:recurse supports ${[...RECURSIVE_INCLUDES].join(', ')}`)
    }
  }
  const schedule = includes.includes('Slot:schedule')

  let organisations: string[] | undefined
  if (query.organization) {
    const members = new Set(ics.members.map((member) => member.ods))
    organisations = [
      ...new Set(
        query.organization
          .flatMap((value) => value.split(','))
          .map((value) => {
            const code = value.startsWith(`${ODS_CODE_SYSTEM}|`)
              ? value.slice(ODS_CODE_SYSTEM.length + 1)
              : value
            if (!members.has(code)) {
              throw invalidParameter('organization must be the ODS code of a member of this ICS')
            }
            return code
          }),
      ),
    ]
  }
  const serviceType = query['service-type']
  if (
    serviceType &&
    (serviceType.length !== 1 || serviceType[0]!.trim() === '' || serviceType[0]!.length > 200)
  ) {
    throw invalidParameter('service-type must be given once, as text of at most 200 characters')
  }
  const countValue = query._count
  if (
    countValue &&
    (countValue.length !== 1 ||
      !/^[1-9]\d{0,2}$/.test(countValue[0]!) ||
      Number(countValue[0]) > SLOTS_PER_PAGE)
  ) {
    throw invalidParameter(`_count must be a whole number from 1 to ${SLOTS_PER_PAGE}`)
  }
  const cursor = query._cursor
  if (
    cursor &&
    (cursor.length !== 1 ||
      !/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z#[A-Za-z0-9.-]{1,64}$/.test(cursor[0]!))
  ) {
    throw invalidParameter('_cursor is not one this server issued')
  }
  return {
    from: from.instant.toISOString(),
    // Without start=le, the end bound also bounds the start (a slot starts before it ends).
    to: (startLimit ?? endLimit)!.toISOString(),
    ...(endLimit ? { endBy: endLimit.toISOString() } : {}),
    ...(organisations ? { organisations } : {}),
    ...(serviceType ? { serviceType: serviceType[0]!.trim().toLowerCase() } : {}),
    include: {
      schedule,
      practitioner: schedule && recursive.includes('Schedule:actor:Practitioner'),
      location: schedule && recursive.includes('Schedule:actor:Location'),
      // GP Connect: the Organization comes with every search that includes schedules.
      organization: schedule,
    },
    ...(cursor ? { after: cursor[0] } : {}),
    count: countValue ? Number(countValue[0]) : SLOTS_PER_PAGE,
  }
}

export interface SlotSearchDependencies {
  book: AppointmentBook
  clock: Clock
  ics: IcsRuntimeConfig
  /** Finishes a cancellation cut short, so its slot shows as free (appointments.ts). */
  finishCancellation?: (slot: SlotRecord) => Promise<void>
  /** Practices on GP Connect Appointment Management, asked for their own slots (practices.ts), for `caller`. */
  practices?: PracticeAppointments
  caller?: Caller
}

/**
 * GET /Slot: free slots across the ICS (or the organisations named), one Query per
 * organisation on the by-start index (never a Scan), merged in start order into a
 * searchset Bundle, with the Schedules, Practitioners, Locations and Organizations asked
 * for. Organisations come from the directory of those that publish slots.
 */
export async function searchSlots(
  query: Record<string, string[]>,
  baseUrl: string,
  deps: SlotSearchDependencies,
): Promise<Bundle> {
  const search = parseSlotSearch(query, deps.ics)
  const members = new Map(deps.ics.members.map((member) => [member.ods, member]))
  // A practice on GP Connect Appointment Management holds its own slots: it is asked, not the table.
  const practiceOf = (ods: string) =>
    deps.practices && deps.caller ? appointmentPracticeOf(ods, deps.ics) : undefined
  const practices = (search.organisations ?? deps.ics.members.map((member) => member.ods)).flatMap(
    (ods) => practiceOf(ods) ?? [],
  )
  const organisations = (
    search.organisations ??
    (await deps.book.publishers())
      .filter((publisher) => members.has(publisher.hostOds) && publisher.lastEnd >= search.from)
      .map((publisher) => publisher.hostOds)
  ).filter((ods) => !practiceOf(ods))
  const fromPractices: Promise<PracticeSlotSearch> =
    practices.length && deps.practices && deps.caller
      ? searchPracticeSlots(practices, search, deps.caller, baseUrl, {
          practices: deps.practices,
          ics: deps.ics,
        })
      : Promise.resolve({ pages: [], resources: [], warnings: [] })
  const [held, practiceSearch] = await Promise.all([
    Promise.all(
      organisations.map((ods) =>
        deps.book.openSlots(
          ods,
          { from: search.from, to: search.to, ...(search.endBy ? { endBy: search.endBy } : {}) },
          { limit: search.count, ...(search.after ? { after: search.after } : {}) },
        ),
      ),
    ),
    fromPractices,
  ])
  const pages = [...held, ...practiceSearch.pages]
  const sortKey = (slot: SlotRecord) => `${slot.start}#${slot.id}`
  const merged = pages.flatMap((page) => page.slots).sort((a, b) => sortKey(a).localeCompare(sortKey(b)))
  // A page of each organisation ends somewhere; the merged page may not go past the earliest such end.
  const ends = pages.filter((page) => page.next).map((page) => page.next!)
  const horizon = ends.length ? ends.sort()[0] : undefined
  let page = horizon ? merged.filter((slot) => sortKey(slot) <= horizon) : merged
  let next = horizon
  if (page.length > search.count) {
    page = page.slice(0, search.count)
    next = sortKey(page.at(-1)!)
  }
  // A slot whose cancellation was cut short is free once finished (the reader finishes it).
  const open = await Promise.all(
    page.map(async (slot) => {
      if (slot.status === 'free') return slot
      if (!deps.finishCancellation) return undefined
      await deps.finishCancellation(slot)
      return { ...slot, status: 'free' as const, booking: undefined, version: slot.version + 1 }
    }),
  )
  const matches = open.filter(
    (slot): slot is SlotRecord =>
      slot !== undefined &&
      (!search.serviceType || slot.serviceType.toLowerCase().startsWith(search.serviceType)),
  )

  const included = await includedResources(matches, search, deps.book, members, practiceSearch.resources)
  const self = new URL(`${baseUrl}/Slot`)
  for (const [name, values] of Object.entries(query))
    for (const value of values) self.searchParams.append(name, value)
  const link = [{ relation: 'self', url: self.toString() }]
  if (next) {
    const following = new URL(self)
    following.searchParams.set('_cursor', next)
    link.push({ relation: 'next', url: following.toString() })
  }
  return {
    resourceType: 'Bundle',
    type: 'searchset',
    timestamp: ukDateTime(deps.clock()),
    // FHIR: the total counts every match; with more pages to come it is not known here.
    ...(next ? {} : { total: matches.length }),
    link,
    ...(matches.length || included.length || practiceSearch.warnings.length
      ? {
          entry: [
            ...matches.map((slot) => ({
              fullUrl: `${baseUrl}/Slot/${slot.id}`,
              search: { mode: 'match' as const },
              resource: slotResource(slot),
            })),
            ...included.map((resource) => ({
              fullUrl: `${baseUrl}/${resource.resourceType}/${resource.id}`,
              search: { mode: 'include' as const },
              resource,
            })),
            // A practice that did not answer: its slots are missing, and the search says so.
            ...practiceSearch.warnings.map((resource) => ({
              search: { mode: 'outcome' as const },
              resource: resource as { resourceType: string; id: string },
            })),
          ],
        }
      : {}),
  }
}

/** The resources the search asked to include, for the slots it matched. */
async function includedResources(
  slots: SlotRecord[],
  search: SlotSearch,
  book: AppointmentBook,
  members: Map<string, IcsRuntimeConfig['members'][number]>,
  fromPractices: PublishedResource[] = [],
): Promise<{ resourceType: string; id: string; [key: string]: unknown }[]> {
  if (!search.include.schedule || slots.length === 0) return []
  const keys: Pick<PublishedResource, 'hostOds' | 'type' | 'id'>[] = []
  const unique = <T>(values: T[]) => [...new Set(values)]
  for (const slot of slots) keys.push({ hostOds: slot.hostOds, type: 'Schedule', id: slot.scheduleId })
  if (search.include.practitioner) {
    for (const id of unique(slots.map((slot) => slot.practitionerId).filter((id): id is string => !!id))) {
      keys.push({ hostOds: id.split('.')[0]!, type: 'Practitioner', id })
    }
  }
  if (search.include.location) {
    for (const id of unique(slots.map((slot) => slot.locationId))) {
      keys.push({ hostOds: id.split('.')[0]!, type: 'Location', id })
    }
  }
  const order = { Schedule: 0, Practitioner: 1, Location: 2 }
  // A practice's Schedules, Practitioners and Locations came with its slots; the rest are in the table.
  const practiceKeys = new Set(fromPractices.map((resource) => `${resource.type}/${resource.id}`))
  const wanted = new Set(keys.map((key) => `${key.type}/${key.id}`))
  const held = keys.filter((key) => !practiceKeys.has(`${key.type}/${key.id}`))
  const found = [
    ...(held.length ? await book.resources(held) : []),
    ...fromPractices.filter((resource) => wanted.has(`${resource.type}/${resource.id}`)),
  ].sort((a, b) => order[a.type] - order[b.type] || a.id.localeCompare(b.id))
  const organisations = search.include.organization
    ? unique(slots.map((slot) => slot.hostOds))
        .sort()
        .flatMap((ods) => (members.has(ods) ? [organizationResource(members.get(ods)!)] : []))
    : []
  return [
    ...found.map((resource) => resource.resource as { resourceType: string; id: string }),
    ...(organisations as { resourceType: string; id: string }[]),
  ]
}

/** GET /Slot/{id}: one slot as it now is, free or busy. */
export async function readSlot(
  id: string,
  book: AppointmentBook,
  /** Practices on GP Connect, for a slot id of one of theirs, and who asks. */
  atPractices?: Omit<PracticeSlotRead, 'practice'> & { ics: IcsRuntimeConfig },
): Promise<{ slot: Slot; etag: string }> {
  const practice = atPractices && practiceOfId(id, atPractices.ics)
  if (practice && atPractices) {
    const slot = await readPracticeSlot(id, { ...atPractices, practice })
    return { slot: slotResource(slot), etag: `W/"${slot.version}"` }
  }
  const record = parseSlotId(id) ? await book.slot(id) : undefined
  if (!record) throw new FhirError('NO_RECORD_FOUND', 'No slot with this id')
  return { slot: slotResource(record), etag: `W/"${record.version}"` }
}
