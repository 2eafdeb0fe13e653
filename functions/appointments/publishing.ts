import type * as z from 'zod/mini'
import type { Caller } from '../../schemas/auth'
import { ODS_CODE_SYSTEM } from '../../schemas/fhir/identifiers'
import {
  DELIVERY_CHANNEL_URL,
  DELIVERY_CHANNELS,
  type DeliveryChannel,
  PRACTITIONER_ROLE_URL,
  PublishedLocation,
  PublishedPractitioner,
  PublishedSchedule,
  PublishedSlot,
  type Slot,
  SlotPublication,
} from '../../schemas/fhir/Scheduling'
import type { IcsRuntimeConfig } from '../../schemas/ics-config'
import {
  type AppointmentBook,
  type PublishedResource,
  type PublishOutcome,
  type RoleCoding,
  type SlotRecord,
  slotIdOf,
} from '../shared/appointments/AppointmentBook'
import { FhirError } from '../shared/errors'
import type { EventPublisher } from '../shared/events'
import { requestFingerprint } from '../shared/idempotency/IdempotencyStore'
import { type Clock, parseUkDateTime, ukDateTime } from '../shared/time'
import { slotResource } from './resources'

/** Longest slot accepted: a clinic session, not a booking horizon. */
const MAX_SLOT_MS = 24 * 3600_000
/** Slots written at once. */
const WRITE_WIDTH = 16

export interface PublishingDependencies {
  book: AppointmentBook
  publisher: EventPublisher
  clock: Clock
  ics: IcsRuntimeConfig
}

export interface Publication {
  /** 201 when a slot was created or changed, 200 when the publication changed nothing. */
  status: 200 | 201
  /** The Slot (for a single Slot), or a collection Bundle of every published Slot as it now is. */
  body: Slot | Record<string, unknown>
  /** The Slot (for a Bundle, its first Slot), relative to the base URL. */
  location: string
}

const invalid = (diagnostics: string) => new FhirError('INVALID_RESOURCE', diagnostics)

function issuesOf(error: z.core.$ZodError, where: string): string {
  const paths = error.issues.slice(0, 5).map((issue) => [where, ...issue.path].join('.'))
  return [...new Set(paths)].join(', ')
}

function parsed<T>(schema: z.ZodMiniType<T>, value: unknown, where: string): T {
  const result = schema.safeParse(value)
  if (!result.success)
    throw invalid(`${where} is missing or has invalid elements: ${issuesOf(result.error, where)}`)
  return result.data
}

/** The server id of a publisher's resource: `<ODS>.<its id>`. */
const serverId = (ods: string, localId: string) => `${ods}.${localId}`

/**
 * A reference a publisher makes to one of its own resources: `Type/<its id>` or the API's
 * `Type/<ODS>.<its id>`. Another organisation's resource is a 403: an organisation
 * publishes its own slots only.
 */
function ownReference(reference: string, type: string, caller: Caller, where: string): string {
  const match = new RegExp(`^${type}/(?:([A-Z0-9]{3,6})\\.)?([A-Za-z0-9-]{1,32})$`).exec(reference)
  if (!match) throw invalid(`${where} must be a relative reference ${type}/<id>`)
  const [, ods, localId] = match
  if (ods && ods !== caller.organisation) {
    throw new FhirError(
      'ACCESS DENIED',
      `${where} belongs to another organisation: publish your own slots only`,
    )
  }
  return serverId(caller.organisation, localId!)
}

interface ScheduleFacts {
  id: string
  locationId: string
  practitionerId?: string
  practitionerRole?: RoleCoding
  serviceCategory?: string
}

/** What a slot takes from its Schedule (as the Schedule resource the API stores says it). */
function scheduleFactsOf(resource: Record<string, unknown>, id: string): ScheduleFacts {
  const actors = (resource.actor as { reference: string }[]) ?? []
  const location = actors.find((actor) => actor.reference.startsWith('Location/'))
  const practitioner = actors.find((actor) => actor.reference.startsWith('Practitioner/'))
  const role = (
    resource.extension as { url: string; valueCodeableConcept?: { coding?: RoleCoding[] } }[]
  )?.find((extension) => extension.url === PRACTITIONER_ROLE_URL)?.valueCodeableConcept?.coding?.[0]
  const category = (resource.serviceCategory as { text?: string }[] | undefined)?.[0]?.text
  return {
    id,
    locationId: location!.reference.slice('Location/'.length),
    ...(practitioner ? { practitionerId: practitioner.reference.slice('Practitioner/'.length) } : {}),
    ...(role ? { practitionerRole: { system: role.system, code: role.code, display: role.display } } : {}),
    ...(category ? { serviceCategory: category } : {}),
  }
}

/**
 * POST /Slot: an organisation publishes free slots for its own schedules. One Slot (its
 * Schedule published before), or a Bundle of Slots with any Schedules, Practitioners and
 * Locations they need. Times are UK local with their offset; the slots of one schedule may
 * not overlap (422). A slot is known by its schedule and start, so publishing the same
 * batch again changes nothing; a free slot published with other details is updated; a
 * booked one cannot change (409). Publishing emits SlotsPublished.
 */
export async function publishSlots(
  body: unknown,
  caller: Caller,
  context: { correlationId: string },
  deps: PublishingDependencies,
): Promise<Publication> {
  const now = deps.clock()
  const single =
    typeof body === 'object' && body !== null && (body as { resourceType?: unknown }).resourceType === 'Slot'
  const entries: unknown[] = single
    ? [body]
    : parsed(SlotPublication, body, 'Bundle').entry.map((entry) => entry.resource)

  const practitioners = new Map<string, PublishedResource>()
  const locations = new Map<string, PublishedResource>()
  const schedules = new Map<string, PublishedResource>()
  const slots: { slot: z.infer<typeof PublishedSlot>; index: number }[] = []
  entries.forEach((resource, index) => {
    const where = single ? 'Slot' : `Bundle.entry[${index}].resource`
    const type = (resource as { resourceType?: unknown }).resourceType
    const keep = (map: Map<string, PublishedResource>, published: PublishedResource) => {
      if (map.has(published.id)) throw invalid(`${where}: ${published.type}/${published.id} appears twice`)
      map.set(published.id, published)
    }
    switch (type) {
      case 'Slot':
        slots.push({ slot: parsed(PublishedSlot, resource, where), index })
        break
      case 'Practitioner': {
        const practitioner = parsed(PublishedPractitioner, resource, where)
        const id = serverId(caller.organisation, practitioner.id)
        keep(practitioners, {
          hostOds: caller.organisation,
          type: 'Practitioner',
          id,
          resource: { ...practitioner, id, meta: { lastUpdated: ukDateTime(now) } },
        })
        break
      }
      case 'Location': {
        const location = parsed(PublishedLocation, resource, where)
        const manager = location.managingOrganization
        const managerOds = manager?.identifier?.value ?? manager?.reference?.replace(/^Organization\//, '')
        if (manager && managerOds !== caller.organisation) {
          throw new FhirError('ACCESS DENIED', `${where}.managingOrganization must be your own organisation`)
        }
        const id = serverId(caller.organisation, location.id)
        keep(locations, {
          hostOds: caller.organisation,
          type: 'Location',
          id,
          resource: {
            ...location,
            id,
            meta: { lastUpdated: ukDateTime(now) },
            managingOrganization: {
              reference: `Organization/${caller.organisation}`,
              identifier: { system: ODS_CODE_SYSTEM, value: caller.organisation },
            },
          },
        })
        break
      }
      case 'Schedule': {
        const schedule = parsed(PublishedSchedule, resource, where)
        const id = serverId(caller.organisation, schedule.id)
        const actor = schedule.actor.map((reference, actorIndex) => {
          const at = `${where}.actor[${actorIndex}]`
          if (reference.reference.startsWith('Location/'))
            return { reference: `Location/${ownReference(reference.reference, 'Location', caller, at)}` }
          if (reference.reference.startsWith('Practitioner/'))
            return {
              reference: `Practitioner/${ownReference(reference.reference, 'Practitioner', caller, at)}`,
            }
          throw invalid(`${at} must reference a Location or a Practitioner`)
        })
        const count = (prefix: string) => actor.filter((a) => a.reference.startsWith(prefix)).length
        if (count('Location/') !== 1) throw invalid(`${where}.actor must name exactly one Location`)
        if (count('Practitioner/') > 1) throw invalid(`${where}.actor may name at most one Practitioner`)
        keep(schedules, {
          hostOds: caller.organisation,
          type: 'Schedule',
          id,
          resource: { ...schedule, id, actor, meta: { lastUpdated: ukDateTime(now) } },
        })
        break
      }
      default:
        throw invalid(
          `${where}: a publication carries Slot, Schedule, Practitioner and Location resources only`,
        )
    }
  })
  if (slots.length === 0) throw invalid('The publication has no Slot')

  // Every reference resolves to this publication or to what the organisation published before.
  const referenced = new Map<string, Pick<PublishedResource, 'hostOds' | 'type' | 'id'>>()
  const wanted = (type: PublishedResource['type'], id: string) => {
    const inBundle = { Schedule: schedules, Practitioner: practitioners, Location: locations }[type]
    if (!inBundle.has(id)) referenced.set(`${type}/${id}`, { hostOds: caller.organisation, type, id })
  }
  for (const schedule of schedules.values()) {
    for (const actor of schedule.resource.actor as { reference: string }[]) {
      const [type, id] = actor.reference.split('/') as ['Location' | 'Practitioner', string]
      wanted(type, id)
    }
  }
  const slotSchedules = slots.map(({ slot, index }) =>
    ownReference(
      slot.schedule.reference,
      'Schedule',
      caller,
      single ? 'Slot.schedule' : `Bundle.entry[${index}].resource.schedule`,
    ),
  )
  for (const id of slotSchedules) wanted('Schedule', id)
  const stored = referenced.size ? await deps.book.resources([...referenced.values()]) : []
  const known = new Set([...stored.map((resource) => `${resource.type}/${resource.id}`)])
  for (const key of referenced.keys()) {
    if (!known.has(key)) {
      throw new FhirError('REFERENCE_NOT_FOUND', `${key} is neither in this publication nor published before`)
    }
  }
  const scheduleFacts = new Map<string, ScheduleFacts>()
  for (const schedule of [
    ...schedules.values(),
    ...stored.filter((resource) => resource.type === 'Schedule'),
  ]) {
    scheduleFacts.set(schedule.id, scheduleFactsOf(schedule.resource, schedule.id))
  }

  const records = new Map<string, SlotRecord>()
  slots.forEach(({ slot, index }, position) => {
    const where = single ? 'Slot' : `Bundle.entry[${index}].resource`
    const start = parseUkDateTime(slot.start)
    const end = parseUkDateTime(slot.end)
    if (!start || !end) {
      throw invalid(
        `${where}.start and .end must be UK local times with their offset (+00:00 in GMT, +01:00 in BST), such as ${ukDateTime(now)}`,
      )
    }
    if (end <= start) throw invalid(`${where}.end must be after its start`)
    if (end.getTime() - start.getTime() > MAX_SLOT_MS) throw invalid(`${where} is longer than 24 hours`)
    if (end <= now) throw invalid(`${where} is in the past: only future slots can be booked`)
    const channel = (slot.extension ?? []).find(
      (extension) => extension.url === DELIVERY_CHANNEL_URL,
    )?.valueCode
    if (channel !== undefined && !DELIVERY_CHANNELS.includes(channel as DeliveryChannel)) {
      throw invalid(`${where}: the delivery channel must be one of ${DELIVERY_CHANNELS.join(', ')}`)
    }
    const schedule = scheduleFacts.get(slotSchedules[position]!)!
    const record: SlotRecord = {
      id: slotIdOf(schedule.id, start.toISOString()),
      hostOds: caller.organisation,
      scheduleId: schedule.id,
      start: start.toISOString(),
      end: end.toISOString(),
      serviceType: slot.serviceType[0]!.text,
      ...(channel ? { deliveryChannel: channel as DeliveryChannel } : {}),
      ...(schedule.serviceCategory ? { serviceCategory: schedule.serviceCategory } : {}),
      ...(schedule.practitionerId ? { practitionerId: schedule.practitionerId } : {}),
      ...(schedule.practitionerRole ? { practitionerRole: schedule.practitionerRole } : {}),
      locationId: schedule.locationId,
      status: 'free',
      bookings: 0,
      version: 1,
      publishedAt: now.toISOString(),
    }
    const twin = records.get(record.id)
    if (twin && (twin.end !== record.end || twin.serviceType !== record.serviceType)) {
      throw invalid(`${where} starts with another slot of the same schedule`)
    }
    records.set(record.id, record)
  })

  const existing = await checkOverlaps([...records.values()], deps.book)
  const changedBooked = [...records.values()].find((record) => {
    const before = existing.get(record.id)
    return before?.status === 'busy' && !sameSlotContent(before, record)
  })
  if (changedBooked) {
    throw new FhirError(
      'CONFLICT',
      `Slot/${changedBooked.id} is booked: its details cannot change until it is free`,
    )
  }
  await deps.book.saveResources([...practitioners.values(), ...locations.values(), ...schedules.values()])

  const outcomes = new Map<string, PublishOutcome>()
  const pending = [...records.values()]
  await Promise.all(
    Array.from({ length: Math.min(WRITE_WIDTH, pending.length) }, async () => {
      for (let slot = pending.shift(); slot; slot = pending.shift()) {
        // Read consistently a moment ago and the same: a republication writes nothing for it.
        const before = existing.get(slot.id)
        if (before && sameSlotContent(before, slot)) outcomes.set(slot.id, 'unchanged')
        else outcomes.set(slot.id, await deps.book.publishSlot(slot))
      }
    }),
  )
  const booked = [...outcomes].filter(([, outcome]) => outcome === 'booked').map(([id]) => id)
  const changed = [...outcomes.values()].filter(
    (outcome) => outcome === 'created' || outcome === 'updated',
  ).length
  const ordered = [...records.values()].sort(
    (a, b) => a.start.localeCompare(b.start) || a.id.localeCompare(b.id),
  )
  // The same publication always carries the same event id: publishing it again (a retry after
  // a crash between the writes above and this event) is a duplicate its consumers ignore.
  await deps.publisher.publish(
    [
      {
        detailType: 'SlotsPublished',
        major: 1,
        id: `slots.${requestFingerprint(caller.organisation, ordered.map(contentOf))}`,
        data: {
          hostOds: caller.organisation,
          slotCount: changed,
          firstStart: ukDateTime(new Date(ordered[0]!.start)),
          lastEnd: ukDateTime(new Date(Math.max(...ordered.map((slot) => Date.parse(slot.end))))),
          scheduleIds: [...new Set(ordered.map((slot) => slot.scheduleId))],
        },
      },
    ],
    context,
  )
  if (booked.length) {
    // Booked between the check above and the write: the booking keeps the slot as it was.
    throw new FhirError(
      'CONFLICT',
      `Slot/${booked[0]} was booked meanwhile and keeps its details; the other slots are published`,
    )
  }
  const current = await Promise.all(
    ordered.map(async (slot) => {
      const before = existing.get(slot.id)
      switch (outcomes.get(slot.id)) {
        case 'unchanged':
          return before ?? (await deps.book.slot(slot.id)) ?? slot
        case 'updated':
          return before ? { ...slot, bookings: before.bookings, version: before.version + 1 } : slot
        default:
          return slot
      }
    }),
  )

  const status = changed > 0 ? 201 : 200
  if (single) {
    const slot = slotResource(current[0]!)
    return { status, body: slot, location: `Slot/${slot.id}` }
  }
  return {
    status,
    // A collection has no one created resource; its first Slot stands for it (FHIR create answers a Location).
    location: `Slot/${current[0]!.id}`,
    body: {
      resourceType: 'Bundle',
      type: 'collection',
      timestamp: ukDateTime(now),
      entry: current.map((slot) => ({ resource: slotResource(slot) })),
    },
  }
}

/**
 * The slots of one schedule may not overlap, in the publication or with slots published
 * before (one consistent Query per schedule). The same start is the same slot (republished).
 */
async function checkOverlaps(records: SlotRecord[], book: AppointmentBook): Promise<Map<string, SlotRecord>> {
  const found = new Map<string, SlotRecord>()
  const bySchedule = new Map<string, SlotRecord[]>()
  for (const record of records)
    bySchedule.set(record.scheduleId, [...(bySchedule.get(record.scheduleId) ?? []), record])
  await Promise.all(
    [...bySchedule].map(async ([scheduleId, mine]) => {
      mine.sort((a, b) => a.start.localeCompare(b.start))
      for (let i = 1; i < mine.length; i++) {
        if (mine[i]!.start < mine[i - 1]!.end) {
          throw invalid(`Slots of Schedule/${scheduleId} overlap: ${ukDateTime(new Date(mine[i]!.start))}`)
        }
      }
      const from = new Date(Date.parse(mine[0]!.start) - MAX_SLOT_MS).toISOString()
      const existing = await book.slotsOfSchedule(scheduleId, from, mine.at(-1)!.end)
      const ids = new Set(mine.map((slot) => slot.id))
      for (const other of existing) {
        if (ids.has(other.id)) {
          found.set(other.id, other)
          continue
        }
        const clash = mine.find((slot) => slot.start < other.end && other.start < slot.end)
        if (clash) {
          throw invalid(
            `The slot at ${ukDateTime(new Date(clash.start))} overlaps Slot/${other.id} of the same schedule`,
          )
        }
      }
    }),
  )
  return found
}

/** What identifies a slot's publication: everything but its state. */
function contentOf(slot: SlotRecord): unknown[] {
  return [
    slot.id,
    slot.end,
    slot.serviceType,
    slot.deliveryChannel,
    slot.serviceCategory,
    slot.practitionerId,
    slot.practitionerRole,
    slot.locationId,
  ]
}

function sameSlotContent(a: SlotRecord, b: SlotRecord): boolean {
  return JSON.stringify(contentOf(a)) === JSON.stringify(contentOf(b))
}
