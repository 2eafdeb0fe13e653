import type { Caller } from '../../schemas/auth'
import type { Appointment } from '../../schemas/fhir/Appointment'
import type { Bundle } from '../../schemas/fhir/Bundle'
import { isValidNhsNumber } from '../../schemas/fhir/identifiers'
import type { IcsRuntimeConfig } from '../../schemas/ics-config'
import {
  type AppointmentBook,
  appointmentIdOf,
  type Booking,
  parseAppointmentId,
  parseSlotId,
  type SlotRecord,
  type StoredAppointment,
} from '../shared/appointments/AppointmentBook'
import type { PracticeAppointments } from '../shared/appointments/PracticeAppointments'
import { FhirError } from '../shared/errors'
import type { EventPublisher } from '../shared/events'
import { isRestricted } from '../shared/patients/confidentiality'
import { nhsNumberOf } from '../shared/patients/PatientCache'
import type { PatientDirectory } from '../shared/patients/PatientDirectory'
import type { AuditFacts } from '../shared/ports'
import { addDays, type Clock, isCalendarDate, ukDate, ukDateTime, ukWallClock } from '../shared/time'
import { type AppointmentFacts, appointmentFactsOf } from './appointmentRequest'
import {
  appointmentPractices,
  bookAtPractice,
  practiceOfId,
  readAtPractice,
  searchPracticePatientAppointments,
  updateAtPractice,
} from './practices'
import { appointmentResource, etagOf } from './resources'

/** A booking whose AppointmentBooked is not confirmed after this long is announced again by its readers. */
export const ANNOUNCE_AGAIN_AFTER_MS = 60_000

export interface AppointmentDependencies {
  book: AppointmentBook
  publisher: EventPublisher
  clock: Clock
  ics: IcsRuntimeConfig
  patients: PatientDirectory
  /** Practices on GP Connect Appointment Management (the directory says which): their appointments pass through. */
  practices?: PracticeAppointments
}

/** What an appointment operation answers: the resource as the caller may see it, its ETag and audit. */
export interface AppointmentAnswer {
  appointment: Appointment
  etag: string
  audit: AuditFacts[]
}

interface RequestContext {
  requestId: string
  correlationId: string
  /** This API's public base URL (a GP Connect practice is told it as the consumer's `iss`). */
  baseUrl?: string
  /** The request's headers: a client X-Request-ID (`x-request-id`) makes a booking one a retry can find. */
  headers?: Record<string, string | undefined>
}

const invalid = (diagnostics: string) => new FhirError('INVALID_RESOURCE', diagnostics)
const noRecord = () => new FhirError('NO_RECORD_FOUND', 'No appointment with this id')

const facts = (stored: StoredAppointment) => {
  const { slot, booking } = stored
  return {
    appointmentId: appointmentIdOf(slot.id, booking.n),
    slotId: slot.id,
    nhsNumber: booking.nhsNumber,
    hostOds: slot.hostOds,
    bookingOds: booking.bookingOrganisation.ods,
    start: ukDateTime(new Date(slot.start)),
    end: ukDateTime(new Date(slot.end)),
    restricted: booking.restricted,
  }
}

/**
 * AppointmentBooked for a booking, with an id derived from the appointment (a repeat is a
 * duplicate consumers ignore), then the booking is marked announced. A crash in between
 * leaves the mark unset, and a later reader announces it again.
 */
async function announceBooking(
  stored: StoredAppointment,
  context: { correlationId: string },
  deps: Pick<AppointmentDependencies, 'publisher' | 'book'>,
) {
  const data = facts(stored)
  await deps.publisher.publish(
    [
      {
        detailType: 'AppointmentBooked',
        major: 1,
        id: `booked.${data.appointmentId}`,
        occurredAt: ukDateTime(new Date(stored.booking.created)),
        data,
      },
    ],
    context,
  )
  if (stored.onSlot) await deps.book.markAnnounced(stored.slot.id, stored.booking.n)
}

/**
 * A booking whose event never left (the process died between the booking and its event)
 * is announced by whoever reads it once it is old enough that its own request is over.
 */
async function announceIfOverdue(
  stored: StoredAppointment,
  context: { correlationId: string },
  deps: AppointmentDependencies,
) {
  if (stored.booking.announced) return
  if (deps.clock().getTime() - Date.parse(stored.booking.created) < ANNOUNCE_AGAIN_AFTER_MS) return
  await announceBooking(stored, context, deps)
}

/**
 * Finishes a cancellation that was decided on the slot's booking: saves the cancelled
 * appointment as its own item, announces it (and the booking, if that never left), then
 * frees the slot. Every step is idempotent, so whoever finds a cancellation unfinished (the
 * request itself, a later read, a slot search, the follow-up consumer) may run it again.
 */
export async function finishCancellation(
  stored: StoredAppointment,
  context: { correlationId: string },
  deps: Pick<AppointmentDependencies, 'book' | 'publisher' | 'clock'>,
): Promise<void> {
  const { slot, booking } = stored
  if (!booking.cancellation) return
  // Booked is announced before cancelled; the cancelled record is saved already announced.
  if (!booking.announced) await announceBooking({ ...stored, onSlot: false }, context, deps)
  await deps.book.saveCancelled({ ...stored, booking: { ...booking, announced: true } })
  const data = facts(stored)
  await deps.publisher.publish(
    [
      {
        detailType: 'AppointmentCancelled',
        major: 1,
        id: `cancelled.${data.appointmentId}`,
        occurredAt: ukDateTime(new Date(booking.cancellation.at)),
        data: { ...data, cancelledByOds: booking.cancellation.byOds },
      },
    ],
    context,
  )
  await deps.book.release(slot.id, booking.n, deps.clock().toISOString())
}

/** The same, for a slot found with an unfinished cancellation on it. */
export function finishSlotCancellation(
  slot: SlotRecord,
  context: { correlationId: string },
  deps: Pick<AppointmentDependencies, 'book' | 'publisher' | 'clock'>,
): Promise<void> {
  if (!slot.booking) return Promise.resolve()
  return finishCancellation({ slot, booking: slot.booking, onSlot: true }, context, deps)
}

/** Whether `caller` may see and change an appointment: its organisation booked it or hosts it. */
function visibleTo(stored: StoredAppointment, caller: Caller): boolean {
  return (
    caller.organisation === stored.slot.hostOds ||
    caller.organisation === stored.booking.bookingOrganisation.ods
  )
}

function answer(stored: StoredAppointment, caller: Caller, action: AuditFacts['action']): AppointmentAnswer {
  const appointment = appointmentResource(stored, caller.organisation)
  return {
    appointment,
    etag: etagOf(stored.booking.version),
    audit: [
      {
        patient: stored.booking.nhsNumber,
        action,
        entities: [`Appointment/${appointment.id}`, `Slot/${stored.slot.id}`],
      },
    ],
  }
}

/**
 * POST /Appointment (GP Connect Book an appointment): books one free slot for a patient.
 * The slot's booking is one conditional write on the slot item (`status = free`), so of
 * any number of concurrent bookings exactly one wins and the rest get 409
 * DUPLICATE_REJECTED. The booking remembers the request's X-Request-ID: a retry of the
 * same request (same organisation) gets the same appointment, not a 409.
 */
export async function bookAppointment(
  body: unknown,
  caller: Caller,
  context: RequestContext,
  deps: AppointmentDependencies,
): Promise<AppointmentAnswer> {
  const request = appointmentFactsOf(body)
  if (request.status !== 'booked') throw invalid('A new appointment has status booked')
  if (request.cancellationReason !== undefined) throw invalid('A new appointment has no cancellation reason')
  if (request.slotIds.length !== 1) {
    throw invalid('Book exactly one slot: this ICS publishes a slot for each appointment length it offers')
  }
  if (!request.start || !request.end) throw invalid('start and end are required')
  if (request.description === undefined || request.description.trim() === '')
    throw invalid('description is required')
  if (!request.bookingOrganisation) {
    throw invalid('The booking organisation extension, referencing a contained Organization, is required')
  }
  if (request.bookingOrganisation.ods !== caller.organisation) {
    throw new FhirError('ACCESS DENIED', `The booking organisation must be your own (${caller.organisation})`)
  }
  const slotId = request.slotIds[0]!
  const practice = deps.practices && practiceOfId(slotId, deps.ics)
  if (practice && deps.practices) {
    return bookAtPractice(practice, body as Record<string, unknown>, request, caller, context, {
      ...deps,
      practices: deps.practices,
    })
  }
  if (!parseSlotId(slotId))
    throw new FhirError('REFERENCE_NOT_FOUND', `Slot/${slotId.slice(0, 64)} does not exist`)

  const patient = await deps.patients.read(request.nhsNumber, context)
  // GP Connect answers PATIENT_NOT_FOUND for unknown and for deceased patients alike.
  if (patient.kind !== 'found' || patient.patient.deceasedDateTime) {
    throw new FhirError('PATIENT_NOT_FOUND', 'No living patient with this NHS number in PDS')
  }
  const now = deps.clock()
  const bookingOf = (n: number): Booking => ({
    n,
    requestId: context.requestId,
    bookingOrganisation: request.bookingOrganisation!,
    nhsNumber: nhsNumberOf(patient.patient),
    restricted: isRestricted(patient.patient),
    description: request.description!,
    ...(request.comment !== undefined ? { comment: request.comment } : {}),
    created: now.toISOString(),
    lastUpdated: now.toISOString(),
    version: 1,
  })
  const expected = {
    start: request.start.toISOString(),
    end: request.end.toISOString(),
    locationId: request.locationId ?? '',
    ...(request.practitionerId !== undefined ? { practitionerId: request.practitionerId } : {}),
  }
  const bookedAs = (slot: SlotRecord): StoredAppointment => ({ slot, booking: slot.booking!, onSlot: true })

  // Most bookings are the first of a slot that is what the request says: one conditional
  // write decides them, with no read before it (the write checks what a read would have).
  const first =
    request.locationId !== undefined && request.start.getTime() > now.getTime()
      ? await deps.book.book(slotId, bookingOf(1), expected)
      : undefined
  let stored = first ? bookedAs(first) : undefined
  // Otherwise the slot says why: missing, not as the request says, in the past, booked
  // (by this very request, retried?), or released and bookable again.
  for (let attempt = 0; !stored; attempt++) {
    const slot = await deps.book.slot(slotId)
    if (!slot) throw new FhirError('REFERENCE_NOT_FOUND', `Slot/${slotId} does not exist`)
    if (
      request.start.getTime() !== Date.parse(slot.start) ||
      request.end.getTime() !== Date.parse(slot.end)
    ) {
      throw invalid(
        `start and end must be those of Slot/${slot.id}: ${ukDateTime(new Date(slot.start))} to ${ukDateTime(new Date(slot.end))}`,
      )
    }
    if (Date.parse(slot.start) <= now.getTime())
      throw invalid('The slot is in the past: only future appointments can be booked')
    if (request.locationId !== slot.locationId) {
      throw invalid(`The location participant must be the slot's location, Location/${slot.locationId}`)
    }
    if (request.practitionerId !== undefined && request.practitionerId !== slot.practitionerId) {
      throw invalid(
        `The practitioner participant must be the slot's practitioner${slot.practitionerId ? `, Practitioner/${slot.practitionerId}` : ''}`,
      )
    }
    if (slot.booking?.cancellation && attempt < 3) {
      // Cancelled, but the cancellation was cut short before the slot was freed: finish it first.
      await finishSlotCancellation(slot, context, deps)
      continue
    }
    // A retry of this request (same X-Request-ID, same organisation) gets the booking it made.
    if (
      slot.booking?.requestId === context.requestId &&
      slot.booking.bookingOrganisation.ods === caller.organisation
    ) {
      stored = bookedAs(slot)
      break
    }
    if (slot.status !== 'free' || attempt >= 3)
      throw new FhirError('DUPLICATE_REJECTED', `Slot/${slot.id} is no longer free`)
    const booked = await deps.book.book(slotId, bookingOf(slot.bookings + 1), expected)
    if (booked) stored = bookedAs(booked)
    // Else lost the race (or a retry of this very request won it a moment ago): read again.
  }
  if (!stored.booking.announced) await announceBooking(stored, context, deps)
  return answer(stored, caller, 'C')
}

/** Loads an appointment the caller may see, finishing whatever a crash left unfinished on it. */
async function load(
  id: string,
  caller: Caller,
  context: { correlationId: string },
  deps: AppointmentDependencies,
): Promise<StoredAppointment> {
  const parsed = parseAppointmentId(id)
  if (!parsed) throw noRecord()
  let stored = await deps.book.appointment(parsed.slotId, parsed.n)
  if (!stored) throw noRecord()
  if (!visibleTo(stored, caller)) {
    throw new FhirError(
      'ACCESS DENIED',
      'Only the organisation that booked or hosts an appointment may see it',
    )
  }
  if (stored.onSlot && stored.booking.cancellation) {
    await finishCancellation(stored, context, deps)
    stored = { ...stored, onSlot: false }
  }
  await announceIfOverdue(stored, context, deps)
  return stored
}

function requireFuture(stored: StoredAppointment, now: Date, action: string) {
  if (Date.parse(stored.slot.start) <= now.getTime()) {
    throw invalid(`The appointment is in the past: GP Connect allows ${action} future appointments only`)
  }
}

/** GET /Appointment/{id} (GP Connect Read an appointment): future appointments the caller booked or hosts. */
export async function readAppointment(
  id: string,
  caller: Caller,
  context: RequestContext,
  deps: AppointmentDependencies,
): Promise<AppointmentAnswer> {
  const practice = deps.practices && practiceOfId(id, deps.ics)
  if (practice && deps.practices)
    return readAtPractice(practice, id, caller, context, { ...deps, practices: deps.practices })
  const stored = await load(id, caller, context, deps)
  requireFuture(stored, deps.clock(), 'reading')
  return answer(stored, caller, 'R')
}

/** The version an If-Match header names (`W/"3"`, or `"3"`). */
function versionOf(ifMatch: string | undefined): number {
  if (ifMatch === undefined) {
    throw new FhirError(
      'PRECONDITION_FAILED',
      'If-Match with the current version (its ETag, W/"<version>") is required',
    )
  }
  const match = /^(?:W\/)?"(\d{1,9})"$/.exec(ifMatch.trim())
  if (!match) throw new FhirError('BAD_REQUEST', 'If-Match must be an ETag this server issued, such as W/"1"')
  return Number(match[1])
}

const sameInstant = (a: Date | undefined, iso: string) => a !== undefined && a.getTime() === Date.parse(iso)

/**
 * The elements a consumer may not change with PUT: start, end, slot, participants and the
 * booking organisation. GP Connect recommends sending back what was read; elements the
 * provider populates (service category and type, practitioner role, delivery channel,
 * created) are not compared.
 */
function requireUnchanged(request: AppointmentFacts, stored: StoredAppointment) {
  const { slot, booking } = stored
  const changed: string[] = []
  if (!sameInstant(request.start, slot.start)) changed.push('start')
  if (!sameInstant(request.end, slot.end)) changed.push('end')
  if (request.slotIds.length !== 1 || request.slotIds[0] !== slot.id) changed.push('slot')
  if (request.nhsNumber !== booking.nhsNumber) changed.push('patient participant')
  if (request.locationId !== slot.locationId) changed.push('location participant')
  if ((request.practitionerId ?? slot.practitionerId) !== slot.practitionerId)
    changed.push('practitioner participant')
  if (request.bookingOrganisation && request.bookingOrganisation.ods !== booking.bookingOrganisation.ods) {
    changed.push('booking organisation')
  }
  if (changed.length)
    throw invalid(
      `Only description and comment can be amended, and status to cancel: ${changed.join(', ')} changed`,
    )
}

/**
 * PUT /Appointment/{id}: amend (description and comment only) or cancel (status cancelled
 * with a reason) a future appointment, with If-Match naming the current version (stale:
 * 409). Each is one conditional write on the slot item; a cancellation is then finished
 * (saved, announced, slot freed for rebooking) before the answer.
 */
export async function updateAppointment(
  id: string,
  body: unknown,
  ifMatch: string | undefined,
  caller: Caller,
  context: RequestContext,
  deps: AppointmentDependencies,
): Promise<AppointmentAnswer> {
  const request = appointmentFactsOf(body)
  if (request.id !== undefined && request.id !== id) {
    throw new FhirError('BAD_REQUEST', 'The Appointment id does not match the id in the URL')
  }
  const practice = deps.practices && practiceOfId(id, deps.ics)
  if (practice && deps.practices) {
    return updateAtPractice(practice, id, request, ifMatch, caller, context, {
      ...deps,
      practices: deps.practices,
    })
  }
  const expectedVersion = versionOf(ifMatch)
  const stored = await load(id, caller, context, deps)
  if (stored.booking.cancellation)
    throw invalid('The appointment is cancelled: cancelled appointments cannot change')
  const now = deps.clock()
  requireFuture(stored, now, 'changing')
  if (stored.booking.version !== expectedVersion) {
    throw new FhirError(
      'FHIR_CONSTRAINT_VIOLATION',
      `If-Match ${etagOf(expectedVersion)} is not the current version ${etagOf(stored.booking.version)}: read the appointment again`,
    )
  }
  requireUnchanged(request, stored)
  const { slot, booking } = stored

  if (request.status === 'cancelled') {
    if (!request.cancellationReason) {
      throw new FhirError('INVALID_PARAMETER', 'A cancellation needs a reason (cancelationReason.text)', {
        status: 422,
      })
    }
    if ((request.description ?? '') !== booking.description || request.comment !== booking.comment) {
      throw invalid(
        'A cancellation changes status and reason only: description and comment must stay as they are',
      )
    }
    const cancellation = {
      reason: request.cancellationReason,
      at: now.toISOString(),
      byOds: caller.organisation,
    }
    if (!(await deps.book.cancel(slot.id, booking.n, expectedVersion, cancellation, now.toISOString()))) {
      throw new FhirError('FHIR_CONSTRAINT_VIOLATION', 'The appointment changed meanwhile: read it again')
    }
    const cancelled: StoredAppointment = {
      slot,
      booking: { ...booking, cancellation, version: expectedVersion + 1, lastUpdated: now.toISOString() },
      onSlot: true,
    }
    await finishCancellation(cancelled, context, deps)
    return answer({ ...cancelled, onSlot: false }, caller, 'U')
  }
  if (request.status !== 'booked') throw invalid('status must be booked (to amend) or cancelled (to cancel)')
  if (request.cancellationReason !== undefined) throw invalid('Only a cancellation has a cancellation reason')
  if (request.description === undefined || request.description.trim() === '')
    throw invalid('description is required')
  const text = {
    description: request.description,
    ...(request.comment !== undefined ? { comment: request.comment } : {}),
  }
  if (!(await deps.book.amend(slot.id, booking.n, expectedVersion, text, now.toISOString()))) {
    throw new FhirError('FHIR_CONSTRAINT_VIOLATION', 'The appointment changed meanwhile: read it again')
  }
  const { comment: _comment, ...rest } = booking
  return answer(
    {
      slot,
      booking: { ...rest, ...text, version: expectedVersion + 1, lastUpdated: now.toISOString() },
      onSlot: true,
    },
    caller,
    'U',
  )
}

const invalidParameter = (diagnostics: string) =>
  new FhirError('INVALID_PARAMETER', diagnostics, { status: 422 })

/**
 * GET /Appointment?patient=Patient/<nhs>&start=…&start=…: FHIR's type-level form of the
 * search below, for clients that search by the patient rather than in their compartment.
 */
export function searchAppointments(
  query: Record<string, string[]>,
  baseUrl: string,
  caller: Caller,
  context: RequestContext,
  deps: AppointmentDependencies,
): Promise<{ bundle: Bundle; audit: AuditFacts[] }> {
  const patient = query.patient
  if (patient?.length !== 1) {
    throw new FhirError('INVALID_PARAMETER', 'patient is required, once: Patient/<NHS number>', {
      status: 422,
    })
  }
  const match = /^(?:.*\/)?(?:Patient\/)?(\d{10})$/.exec(patient[0]!)
  if (!match) throw new FhirError('INVALID_NHS_NUMBER', 'patient must be Patient/<NHS number>')
  return searchPatientAppointments(match[1]!, query, baseUrl, caller, context, deps)
}

/**
 * GET /Patient/{nhs}/Appointment?start=ge<date>&start=le<date> (GP Connect Retrieve a
 * patient's appointments): two dates, no times, no part in the past (422
 * INVALID_PARAMETER); every appointment starting on those days, cancelled ones included,
 * that the caller's organisation booked or hosts. One Query on the by-patient index.
 */
export async function searchPatientAppointments(
  nhsNumber: string,
  query: Record<string, string[]>,
  baseUrl: string,
  caller: Caller,
  context: RequestContext,
  deps: AppointmentDependencies,
): Promise<{ bundle: Bundle; audit: AuditFacts[] }> {
  if (!isValidNhsNumber(nhsNumber)) throw new FhirError('INVALID_NHS_NUMBER', 'The NHS number is not valid')
  const starts = query.start ?? []
  const bound = (prefix: string) => {
    const values = starts.filter((value) => value.startsWith(prefix)).map((value) => value.slice(2))
    if (values.length !== 1 || !isCalendarDate(values[0]!)) return undefined
    return values[0]
  }
  const from = bound('ge')
  const to = bound('le')
  if (starts.length !== 2 || !from || !to) {
    throw invalidParameter(
      'Send start twice, as start=ge<yyyy-mm-dd> and start=le<yyyy-mm-dd> (dates, no times)',
    )
  }
  const today = ukDate(deps.clock())
  if (from < today)
    throw invalidParameter('The search range starts in the past: appointments can be retrieved from today on')
  if (to < from) throw invalidParameter('The search range ends before it starts')

  const patient = await deps.patients.read(nhsNumber, context)
  if (patient.kind !== 'found')
    throw new FhirError('PATIENT_NOT_FOUND', 'No patient with this NHS number in PDS')
  const current = nhsNumberOf(patient.patient)
  // Practices on GP Connect hold their own appointments: asked at once, beside the table.
  const practices = deps.practices ? appointmentPractices(deps.ics) : []
  const [stored, fromPractices] = await Promise.all([
    deps.book.appointmentsOf(
      current,
      ukWallClock(from).toISOString(),
      new Date(ukWallClock(addDays(to, 1)).getTime() - 1).toISOString(),
    ),
    practices.length && deps.practices
      ? searchPracticePatientAppointments(
          practices,
          { nhsNumber: current, restricted: isRestricted(patient.patient) },
          { from, to },
          caller,
          baseUrl,
          { practices: deps.practices, ics: deps.ics },
        )
      : Promise.resolve({ appointments: [], warnings: [] }),
  ])
  // Booked and cancelled copies of one appointment can both be found while a cancellation finishes.
  const byId = new Map<string, StoredAppointment>()
  for (const appointment of stored.filter((candidate) => visibleTo(candidate, caller))) {
    const id = appointmentIdOf(appointment.slot.id, appointment.booking.n)
    const seen = byId.get(id)
    if (!seen || appointment.booking.version > seen.booking.version) byId.set(id, appointment)
  }
  const visible = await Promise.all(
    [...byId.values()].map(async (appointment) => {
      if (appointment.onSlot && appointment.booking.cancellation) {
        await finishCancellation(appointment, context, deps)
        return { ...appointment, onSlot: false }
      }
      await announceIfOverdue(appointment, context, deps)
      return appointment
    }),
  )
  // Merged with the practices' in start order (ties by id, so the order is stable).
  const appointments = [
    ...visible.map((appointment) => ({
      at: Date.parse(appointment.slot.start),
      resource: appointmentResource(appointment, caller.organisation),
    })),
    ...fromPractices.appointments.map(({ appointment }) => ({
      at: Date.parse(String(appointment.start)),
      resource: appointment,
    })),
  ]
    .sort((a, b) => a.at - b.at || a.resource.id.localeCompare(b.resource.id))
    .map(({ resource }) => resource)
  const self = new URL(
    query.patient ? `${baseUrl}/Appointment` : `${baseUrl}/Patient/${nhsNumber}/Appointment`,
  )
  if (query.patient) self.searchParams.append('patient', `Patient/${nhsNumber}`)
  for (const value of starts) self.searchParams.append('start', value)
  return {
    bundle: {
      resourceType: 'Bundle',
      type: 'searchset',
      timestamp: ukDateTime(deps.clock()),
      total: appointments.length,
      link: [{ relation: 'self', url: self.toString() }],
      ...(appointments.length || fromPractices.warnings.length
        ? {
            entry: [
              ...appointments.map((appointment) => ({
                fullUrl: `${baseUrl}/Appointment/${appointment.id}`,
                search: { mode: 'match' as const },
                resource: appointment,
              })),
              // A practice that did not answer: its appointments are missing, and the search says so.
              ...fromPractices.warnings.map((resource) => ({
                search: { mode: 'outcome' as const },
                resource: resource as { resourceType: string; id: string },
              })),
            ],
          }
        : {}),
    },
    audit: [
      {
        patient: current,
        action: 'E',
        entities: [
          `Patient/${current}`,
          ...appointments.map((appointment) => `Appointment/${appointment.id}`),
        ],
      },
    ],
  }
}
