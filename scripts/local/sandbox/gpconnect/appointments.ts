import { slotIdOf } from '../../../../functions/shared/appointments/AppointmentBook'
import { APPOINTMENT_INTERACTIONS } from '../../../../functions/shared/gpconnect/GpConnectAppointments'
import {
  isCalendarDate,
  parseUkDateTime,
  ukDate,
  ukDateTime,
  ukWallClock,
} from '../../../../functions/shared/time'
import {
  BOOKING_ORGANISATION_URL,
  CANCELLATION_REASON_URL,
  MAX_COMMENT,
  MAX_DESCRIPTION,
} from '../../../../schemas/fhir/Appointment'
import { DEMO_SLOT_PUBLISHERS, demoSlotPublication } from '../../../seed/demoSlots'
import { sandboxNhsNumberOf } from './patients'
import type { InteractionRequest, SandboxAnswer, SandboxInteraction, SandboxProvider } from './provider'
import { organization, SYNTHETIC_TAG } from './stu3'

/**
 * GP Connect 1.6 Appointment Management at a sandbox practice: search for free slots, book,
 * read, amend and cancel an appointment, with GP Connect's rules and errors (409
 * DUPLICATE_REJECTED for a slot taken, 409 on a stale If-Match, 422 INVALID_RESOURCE,
 * 422 INVALID_PARAMETER for a window over 14 days). Its slots are the fortnight the demo
 * seed would publish for the practice (scripts/seed/demoSlots.ts), with the same ids.
 */

type Json = Record<string, unknown>
const isObject = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value)

const PROFILE = (name: string) => `https://fhir.nhs.uk/STU3/StructureDefinition/${name}`

interface Booked {
  resource: Json
  version: number
}

/** One practice's appointments (its slots come from the demo fortnight, rebuilt each call). */
interface PracticeState {
  appointments: Map<string, Booked>
  next: number
}

function stateOf(provider: SandboxProvider): PracticeState {
  let state = provider.state.get('appointments') as PracticeState | undefined
  if (!state) {
    state = { appointments: new Map(), next: 1 }
    provider.state.set('appointments', state)
  }
  return state
}

interface Catalogue {
  resources: Map<string, Json>
  /** Slots in start order, with their instants parsed once. */
  slots: { resource: Json; startMs: number; endMs: number }[]
}

/** Catalogues by practice and UK day: rebuilding a fortnight of slots for every call cost more than the search. */
const catalogues = new Map<string, Catalogue>()

/** The practice's free-slot catalogue in STU3 (Location, Practitioner, Schedules, Slots): the slots not started by `now`. */
function catalogueOf(provider: SandboxProvider, now: Date): Catalogue {
  const key = `${provider.ods}|${ukDate(now)}`
  let catalogue = catalogues.get(key)
  if (!catalogue) {
    for (const stale of catalogues.keys()) if (stale.startsWith(`${provider.ods}|`)) catalogues.delete(stale)
    // The whole day's publication (from its first moment); slots that have started are left out per call.
    catalogue = buildCatalogue(provider, new Date(ukWallClock(ukDate(now)).getTime() - 1))
    catalogues.set(key, catalogue)
  }
  const nowMs = now.getTime()
  const first = catalogue.slots.findIndex((slot) => slot.startMs > nowMs)
  return {
    resources: catalogue.resources,
    slots: first < 0 ? [] : catalogue.slots.slice(first),
  }
}

function buildCatalogue(provider: SandboxProvider, dayStart: Date): Catalogue {
  const ods = provider.ods as (typeof DEMO_SLOT_PUBLISHERS)[number]
  if (!DEMO_SLOT_PUBLISHERS.includes(ods)) return { resources: new Map<string, Json>(), slots: [] }
  const publication = demoSlotPublication(ods, dayStart)
  const resources = new Map<string, Json>()
  const slots: Catalogue['slots'] = []
  for (const { resource } of publication.entry) {
    const meta = {
      versionId: '1',
      profile: [PROFILE(`GPConnect-${resource.resourceType}-1`)],
      tag: [SYNTHETIC_TAG],
    }
    if (resource.resourceType === 'Slot') {
      const schedule = String((resource.schedule as { reference: string }).reference).slice(
        'Schedule/'.length,
      )
      const start = parseUkDateTime(String(resource.start))!
      slots.push({
        resource: { ...resource, id: slotIdOf(schedule, start.toISOString()), meta },
        startMs: start.getTime(),
        endMs: parseUkDateTime(String(resource.end))!.getTime(),
      })
    } else if (resource.resourceType === 'Schedule') {
      // STU3: serviceCategory is one CodeableConcept.
      const category = (resource.serviceCategory as unknown[] | undefined)?.[0]
      resources.set(`Schedule/${resource.id}`, { ...resource, serviceCategory: category, meta })
    } else if (resource.resourceType === 'Location') {
      resources.set(`Location/${resource.id}`, {
        ...resource,
        name: `${resource.name} (SANDBOX)`,
        managingOrganization: { reference: `Organization/${ods}` },
        meta,
      })
    } else resources.set(`${resource.resourceType}/${resource.id}`, { ...resource, meta })
  }
  slots.sort((a, b) => a.startMs - b.startMs)
  const practice = organization(ods, provider.name)
  resources.set(`Organization/${ods}`, { ...practice, id: ods })
  return { resources, slots }
}

/** Slot ids booked by an appointment that is not cancelled. */
function takenSlots(state: PracticeState): Set<string> {
  const taken = new Set<string>()
  for (const { resource } of state.appointments.values()) {
    if (resource.status === 'cancelled') continue
    for (const slot of (resource.slot as { reference?: string }[] | undefined) ?? [])
      if (slot.reference) taken.add(slot.reference.slice('Slot/'.length))
  }
  return taken
}

function withVersion(provider: SandboxProvider, booked: Booked, status: number): SandboxAnswer {
  const id = String(booked.resource.id)
  return {
    status,
    body: booked.resource,
    headers: {
      ETag: `W/"${booked.version}"`,
      ...(status === 201 ? { Location: `${provider.serviceRoot}/Appointment/${id}` } : {}),
    },
  }
}

const invalidResource = (provider: SandboxProvider, diagnostics: string) =>
  provider.outcome(422, 'INVALID_RESOURCE', 'Invalid resource', diagnostics)

/** A bound of a slot search (`ge` or `le`, a date or a date-time with its offset). */
function boundOf(raw: string | null, prefix: 'ge' | 'le', endOfDay: boolean): Date | undefined {
  if (!raw?.startsWith(prefix)) return undefined
  const value = raw.slice(2)
  if (isCalendarDate(value)) {
    const start = ukWallClock(value)
    return endOfDay ? new Date(start.getTime() + 86_400_000 - 1) : start
  }
  return parseUkDateTime(value)
}

const searchSlots: SandboxInteraction = {
  method: 'GET',
  path: /^\/Slot$/,
  interactionId: APPOINTMENT_INTERACTIONS.searchSlots,
  async handle({ provider, query, now }: InteractionRequest) {
    if (query.get('status') !== 'free')
      return provider.outcome(422, 'INVALID_PARAMETER', 'Invalid parameter', 'status=free is required')
    const from = boundOf(query.get('start'), 'ge', false)
    const to = boundOf(query.get('end'), 'le', true)
    if (!from || !to)
      return provider.outcome(
        422,
        'INVALID_PARAMETER',
        'Invalid parameter',
        'start=ge… and end=le… are required',
      )
    if (to.getTime() - from.getTime() > 14 * 86_400_000 + 3_600_000)
      return provider.outcome(
        422,
        'INVALID_PARAMETER',
        'Invalid parameter',
        'The search window is longer than 14 days',
      )
    const { resources, slots } = catalogueOf(provider, now)
    const taken = takenSlots(stateOf(provider))
    const matches = slots
      .filter(
        (slot) =>
          slot.startMs >= from.getTime() &&
          slot.endMs <= to.getTime() &&
          !taken.has(String(slot.resource.id)),
      )
      .map((slot) => slot.resource)
    const includes = query.getAll('_include').includes('Slot:schedule')
    const recurse = query.getAll('_include:recurse')
    const included = new Map<string, Json>()
    if (includes) {
      for (const slot of matches) {
        const key = String((slot.schedule as { reference: string }).reference)
        const schedule = resources.get(key)
        if (!schedule) continue
        included.set(key, schedule)
        for (const actor of (schedule.actor as { reference: string }[]) ?? []) {
          const type = actor.reference.split('/')[0]
          if (recurse.includes(`Schedule:actor:${type}`) && resources.has(actor.reference))
            included.set(actor.reference, resources.get(actor.reference)!)
        }
      }
      // GP Connect: the Organization comes with every search that includes schedules.
      if (matches.length)
        included.set(`Organization/${provider.ods}`, resources.get(`Organization/${provider.ods}`)!)
    }
    return {
      status: 200,
      body: {
        resourceType: 'Bundle',
        meta: { lastUpdated: ukDateTime(now) },
        type: 'searchset',
        entry: [...matches, ...included.values()].map((resource) => ({
          fullUrl: `${provider.serviceRoot}/${resource.resourceType}/${resource.id}`,
          resource,
        })),
      },
    }
  },
}

/** GP Connect's length limits and the booking organisation, as a provider checks them. */
function contentProblem(body: Json): string | undefined {
  if (typeof body.description !== 'string' || [...body.description].length > MAX_DESCRIPTION)
    return `description is required, at most ${MAX_DESCRIPTION} characters`
  if (
    body.comment !== undefined &&
    (typeof body.comment !== 'string' || [...body.comment].length > MAX_COMMENT)
  )
    return `comment is at most ${MAX_COMMENT} characters`
  const extensions = Array.isArray(body.extension) ? body.extension.filter(isObject) : []
  if (!extensions.some((extension) => extension.url === BOOKING_ORGANISATION_URL))
    return 'The booking organisation extension is required'
  return undefined
}

const book: SandboxInteraction = {
  method: 'POST',
  path: /^\/Appointment$/,
  interactionId: APPOINTMENT_INTERACTIONS.book,
  async handle({ provider, body, now }: InteractionRequest) {
    if (
      !isObject(body) ||
      body.resourceType !== 'Appointment' ||
      body.status !== 'booked' ||
      body.id !== undefined
    )
      return invalidResource(provider, 'Send a new Appointment with status booked and no id')
    const problem = contentProblem(body)
    if (problem) return invalidResource(provider, problem)
    // GP Connect: the patient participant is the practice's own Patient (Find a patient).
    const patient = ((body.participant as { actor?: { reference?: string } }[] | undefined) ?? [])
      .map((participant) => participant.actor?.reference ?? '')
      .find((reference) => reference.startsWith('Patient/'))
    if (!patient || !sandboxNhsNumberOf(provider, patient.slice('Patient/'.length)))
      return invalidResource(
        provider,
        'The patient participant must be a Patient of this practice (Find a patient)',
      )
    const references = Array.isArray(body.slot) ? (body.slot as { reference?: string }[]) : []
    const { slots, resources } = catalogueOf(provider, now)
    const slot = slots.find(
      (candidate) => `Slot/${candidate.resource.id}` === references[0]?.reference,
    )?.resource
    if (references.length !== 1 || !slot) return invalidResource(provider, 'The slot does not exist')
    const state = stateOf(provider)
    if (takenSlots(state).has(String(slot.id)))
      return provider.outcome(409, 'DUPLICATE_REJECTED', 'Duplicate rejected', 'The slot is no longer free')
    if (
      parseUkDateTime(String(body.start))?.getTime() !== parseUkDateTime(String(slot.start))!.getTime() ||
      parseUkDateTime(String(body.end))?.getTime() !== parseUkDateTime(String(slot.end))!.getTime()
    )
      return invalidResource(provider, "start and end must be the slot's")
    const schedule = resources.get(String((slot.schedule as { reference: string }).reference)) ?? {}
    const id = `appt-${state.next++}`
    const resource: Json = {
      ...body,
      id,
      meta: { versionId: '1', profile: [PROFILE('GPConnect-Appointment-1')], tag: [SYNTHETIC_TAG] },
      extension: [
        ...(body.extension as unknown[]),
        ...((schedule.extension as unknown[] | undefined) ?? []),
        ...((slot.extension as unknown[] | undefined) ?? []),
      ],
      ...(schedule.serviceCategory ? { serviceCategory: schedule.serviceCategory } : {}),
      serviceType: slot.serviceType,
      created: ukDateTime(now),
    }
    const booked = { resource, version: 1 }
    state.appointments.set(id, booked)
    return withVersion(provider, booked, 201)
  },
}

const read: SandboxInteraction = {
  method: 'GET',
  path: /^\/Appointment\/[^/]+$/,
  interactionId: APPOINTMENT_INTERACTIONS.read,
  async handle({ provider, path }: InteractionRequest) {
    const booked = stateOf(provider).appointments.get(decodeURIComponent(path.split('/')[2]!))
    if (!booked)
      return provider.outcome(404, 'NO_RECORD_FOUND', 'No record found', 'No appointment with this id')
    return withVersion(provider, booked, 200)
  },
}

/** Amend (description, comment) or cancel (status and reason), with GP Connect's If-Match rule. */
function update(cancel: boolean): SandboxInteraction {
  return {
    method: 'PUT',
    path: /^\/Appointment\/[^/]+$/,
    interactionId: cancel ? APPOINTMENT_INTERACTIONS.cancel : APPOINTMENT_INTERACTIONS.amend,
    async handle({ provider, path, headers, body, now }: InteractionRequest) {
      const id = decodeURIComponent(path.split('/')[2]!)
      const booked = stateOf(provider).appointments.get(id)
      if (!booked)
        return provider.outcome(404, 'NO_RECORD_FOUND', 'No record found', 'No appointment with this id')
      const ifMatch = headers['if-match']
      if (ifMatch !== undefined && ifMatch !== `W/"${booked.version}"`)
        return provider.outcome(
          409,
          'FHIR_CONSTRAINT_VIOLATION',
          'FHIR constraint violated',
          'If-Match is not the current version',
        )
      if (!isObject(body) || body.resourceType !== 'Appointment' || body.id !== id)
        return invalidResource(provider, 'Send the Appointment with its id')
      const stored = booked.resource
      if (stored.status === 'cancelled') return invalidResource(provider, 'The appointment is cancelled')
      if (parseUkDateTime(String(stored.start))!.getTime() <= now.getTime())
        return invalidResource(provider, 'Only future appointments can change')
      if (
        JSON.stringify(body.slot) !== JSON.stringify(stored.slot) ||
        parseUkDateTime(String(body.start))?.getTime() !== parseUkDateTime(String(stored.start))!.getTime() ||
        parseUkDateTime(String(body.end))?.getTime() !== parseUkDateTime(String(stored.end))!.getTime()
      )
        return invalidResource(provider, 'Only description and comment can be amended')
      const problem = contentProblem(body)
      if (problem) return invalidResource(provider, problem)
      const extensions = (body.extension as Json[]).filter(isObject)
      const reason = extensions.find((extension) => extension.url === CANCELLATION_REASON_URL)
      if (cancel !== (body.status === 'cancelled') || (cancel && typeof reason?.valueString !== 'string'))
        return invalidResource(
          provider,
          cancel ? 'A cancellation has status cancelled and a reason' : 'An amendment keeps status booked',
        )
      const version = booked.version + 1
      const resource: Json = {
        ...stored,
        meta: { ...(stored.meta as Json), versionId: String(version) },
        description: body.description,
        ...(body.comment !== undefined ? { comment: body.comment } : {}),
        ...(cancel ? { status: 'cancelled', extension: [...(stored.extension as unknown[]), reason] } : {}),
      }
      if (body.comment === undefined) delete resource.comment
      const updated = { resource, version }
      stateOf(provider).appointments.set(id, updated)
      return withVersion(provider, updated, 200)
    },
  }
}

/** One `start` bound of Retrieve a patient's appointments: `ge`/`le` and a date, no time (GP Connect). */
function dayBound(values: string[], prefix: 'ge' | 'le'): string | undefined {
  const matching = values.filter((value) => value.startsWith(prefix)).map((value) => value.slice(2))
  return matching.length === 1 && isCalendarDate(matching[0]!) ? matching[0] : undefined
}

/**
 * GP Connect Retrieve a patient's appointments: GET /Patient/[id]/Appointment with
 * start=ge<date>&start=le<date> (dates only, no part in the past: 422 INVALID_PARAMETER),
 * every appointment of the patient starting on those days, cancelled ones included, whoever
 * booked it. `[id]` is the practice's logical id (Find a patient).
 */
const retrievePatientAppointments: SandboxInteraction = {
  method: 'GET',
  path: /^\/Patient\/[^/]+\/Appointment$/,
  interactionId: APPOINTMENT_INTERACTIONS.patientAppointments,
  async handle({ provider, path, query, now }: InteractionRequest) {
    const patientId = decodeURIComponent(path.split('/')[2]!)
    const starts = query.getAll('start')
    const from = dayBound(starts, 'ge')
    const to = dayBound(starts, 'le')
    if (starts.length !== 2 || !from || !to)
      return provider.outcome(
        422,
        'INVALID_PARAMETER',
        'Invalid parameter',
        'Send start twice, as start=ge<yyyy-mm-dd> and start=le<yyyy-mm-dd>, dates without a time',
      )
    if (from < ukDate(now))
      return provider.outcome(
        422,
        'INVALID_PARAMETER',
        'Invalid parameter',
        'The search range cannot include days in the past: appointments can be retrieved from today on',
      )
    if (to < from)
      return provider.outcome(
        422,
        'INVALID_PARAMETER',
        'Invalid parameter',
        'The search range ends before it starts',
      )
    const isThePatient = (reference: string | undefined) => reference === `Patient/${patientId}`
    const matches = [...stateOf(provider).appointments.values()]
      .map(({ resource }) => resource)
      .filter((resource) => {
        const day = ukDate(parseUkDateTime(String(resource.start))!)
        const participants = (resource.participant as { actor?: { reference?: string } }[] | undefined) ?? []
        return day >= from && day <= to && participants.some((one) => isThePatient(one.actor?.reference))
      })
      .sort(
        (a, b) => parseUkDateTime(String(a.start))!.getTime() - parseUkDateTime(String(b.start))!.getTime(),
      )
    return {
      status: 200,
      body: {
        resourceType: 'Bundle',
        meta: { lastUpdated: ukDateTime(now) },
        type: 'searchset',
        entry: matches.map((resource) => ({
          fullUrl: `${provider.serviceRoot}/Appointment/${resource.id}`,
          resource,
        })),
      },
    }
  },
}

/** Appointment Management's interactions, for SANDBOX_INTERACTIONS. */
export const appointmentInteractions: readonly SandboxInteraction[] = [
  searchSlots,
  book,
  read,
  update(false),
  update(true),
  retrievePatientAppointments,
]
