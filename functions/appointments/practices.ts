import type { Caller } from '../../schemas/auth'
import { type Appointment, BOOKING_ORGANISATION_URL } from '../../schemas/fhir/Appointment'
import { NHS_NUMBER_SYSTEM, ODS_CODE_SYSTEM } from '../../schemas/fhir/identifiers'
import type { SpineCodeName } from '../../schemas/fhir/OperationOutcome'
import { DEFAULT_HOLDER_TIMEOUT_MS, type IcsRuntimeConfig } from '../../schemas/ics-config'
import { HOLDER_OUTCOME_SYSTEM } from '../record-retrieval/merge'
import type { PublishedResource, SlotPage, SlotRecord } from '../shared/appointments/AppointmentBook'
import type {
  AppointmentPractice,
  PracticeAppointment,
  PracticeAppointments,
  PracticeContext,
  PracticeFailure,
  PracticeRefusal,
} from '../shared/appointments/PracticeAppointments'
import { FhirError } from '../shared/errors'
import type { EventPublisher } from '../shared/events'
import { isRestricted } from '../shared/patients/confidentiality'
import { nhsNumberOf } from '../shared/patients/PatientCache'
import type { PatientDirectory } from '../shared/patients/PatientDirectory'
import type { AuditFacts } from '../shared/ports'
import { type Clock, ukDate, ukDateTime } from '../shared/time'
import type { AppointmentFacts } from './appointmentRequest'
import { BOOKING_ORGANISATION_ID, etagOf } from './resources'

/**
 * Practices on GP Connect (issue 11 item 5): where the ICS directory says a practice speaks
 * GP Connect Appointment Management, its slots and appointments are its own. Slot search
 * asks it beside the slots held here, and booking, reading, amending and cancelling pass
 * through to it, with the same answers and codes as for slots held here and within the
 * directory's holderTimeoutMs.
 */

/** What a pass-through needs besides the practice. */
export interface PracticeDependencies {
  practices: PracticeAppointments
  ics: IcsRuntimeConfig
  clock: Clock
  publisher: EventPublisher
  patients: PatientDirectory
}

interface RequestContext {
  requestId: string
  correlationId: string
  /** This API's public base URL (the consumer JWT's `iss`). */
  baseUrl?: string
  /** The request's headers: a client X-Request-ID (`x-request-id`) makes a booking one a retry can find. */
  headers?: Record<string, string | undefined>
}

/** The directory entry of a practice whose appointments are reached over GP Connect, if `ods` is one. */
export function appointmentPracticeOf(ods: string, ics: IcsRuntimeConfig): AppointmentPractice | undefined {
  const entry = ics.directory?.holders.find((holder) => holder.ods === ods)
  return entry?.protocol === 'gpconnect-1.6-stu3' && entry.interactions.includes('appointment-management')
    ? entry
    : undefined
}

/** The practice an ICS id (`<ODS>.…`) of a slot or appointment belongs to, if it is on GP Connect. */
export function practiceOfId(id: string, ics: IcsRuntimeConfig): AppointmentPractice | undefined {
  return appointmentPracticeOf(id.split('.')[0] ?? '', ics)
}

const nameOf = (ods: string, ics: IcsRuntimeConfig) =>
  ics.members.find((member) => member.ods === ods)?.name ?? ods

const timeoutOf = (ics: IcsRuntimeConfig) => ics.directory?.holderTimeoutMs ?? DEFAULT_HOLDER_TIMEOUT_MS

/** Runs one call to a practice under the directory's holder timeout. */
async function withinTimeout<T>(
  ics: IcsRuntimeConfig,
  caller: Caller,
  baseUrl: string,
  run: (context: PracticeContext) => Promise<T>,
): Promise<T> {
  const context: PracticeContext = {
    caller,
    callerOrganisationName: nameOf(caller.organisation, ics),
    consumerBaseUrl: baseUrl,
    signal: AbortSignal.timeout(timeoutOf(ics)),
  }
  return run(context)
}

/** Codes a practice may answer that keep their meaning here (GP Connect's, in the one catalogue). */
const PASSED_ON: Partial<Record<string, SpineCodeName>> = {
  DUPLICATE_REJECTED: 'DUPLICATE_REJECTED',
  FHIR_CONSTRAINT_VIOLATION: 'FHIR_CONSTRAINT_VIOLATION',
  INVALID_RESOURCE: 'INVALID_RESOURCE',
  INVALID_PARAMETER: 'INVALID_PARAMETER',
  REFERENCE_NOT_FOUND: 'REFERENCE_NOT_FOUND',
  PATIENT_NOT_FOUND: 'PATIENT_NOT_FOUND',
  NO_RECORD_FOUND: 'NO_RECORD_FOUND',
  INVALID_NHS_NUMBER: 'INVALID_NHS_NUMBER',
  BAD_REQUEST: 'BAD_REQUEST',
}

/**
 * The error a caller gets when a practice does not do what was asked: its own GP Connect
 * code where the catalogue has it (409 DUPLICATE_REJECTED, 422 INVALID_RESOURCE, 404…),
 * 504 when it did not answer in time and 502 when it answered nothing usable, never a 500.
 */
export function practiceError(
  outcome: PracticeRefusal | PracticeFailure,
  practice: AppointmentPractice,
  ics: IcsRuntimeConfig,
  what: string,
): FhirError {
  const who = `${practice.ods} (${nameOf(practice.ods, ics)})`
  if (outcome.kind === 'refused') {
    const code = outcome.code ? PASSED_ON[outcome.code] : undefined
    if (code) return new FhirError(code, `${who} answered ${outcome.code} to ${what}`)
    if (outcome.status === 404) return new FhirError('NO_RECORD_FOUND', `${who} has no such record`)
    if (outcome.status === 409) return new FhirError('DUPLICATE_REJECTED', `${who} answered 409 to ${what}`)
    if (outcome.status === 422) return new FhirError('INVALID_RESOURCE', `${who} refused ${what} (422)`)
    return new FhirError(
      'SERVICE_UNAVAILABLE',
      `${who} refused ${what} (${outcome.status}): try again later`,
      {
        status: 502,
      },
    )
  }
  if (outcome.failure === 'timeout') {
    return new FhirError(
      'SERVICE_UNAVAILABLE',
      `${who} did not answer ${what} within ${timeoutOf(ics)} ms: read or search again before retrying, it may have been done`,
      { status: 504 },
    )
  }
  return new FhirError('SERVICE_UNAVAILABLE', `${who} gave no usable answer to ${what}: ${outcome.detail}`, {
    status: 502,
  })
}

/**
 * A warning entry for a search: the practice's part (`missing`: its free slots, the
 * patient's appointments there) is not in the answer, shaped as record retrieval's holder
 * warnings (record-retrieval/merge.ts).
 */
function practiceWarning(
  practice: AppointmentPractice,
  ics: IcsRuntimeConfig,
  outcome: PracticeRefusal | PracticeFailure,
  missing: string,
) {
  const name = nameOf(practice.ods, ics)
  const [code, display, detail] =
    outcome.kind === 'refused'
      ? [
          'refused',
          'Holder refused the request',
          `answered ${outcome.status}${outcome.code ? ` ${outcome.code}` : ''}`,
        ]
      : outcome.failure === 'timeout'
        ? ['timeout', 'Holder did not answer in time', `no answer within ${timeoutOf(ics)} ms`]
        : [outcome.failure, 'Holder gave no usable answer', outcome.detail]
  return {
    resourceType: 'OperationOutcome',
    id: `holder-${practice.ods}`,
    issue: [
      {
        severity: 'warning',
        code: code === 'timeout' ? 'timeout' : 'incomplete',
        details: {
          coding: [
            { system: HOLDER_OUTCOME_SYSTEM, code, display },
            { system: ODS_CODE_SYSTEM, code: practice.ods, display: name },
          ],
        },
        diagnostics: `${practice.ods} (${name}): ${detail}; ${missing} are not in this answer`,
      },
    ],
  }
}

/** What the practices searched gave: one page each (they do not page), their resources, and warnings. */
export interface PracticeSlotSearch {
  pages: SlotPage[]
  resources: PublishedResource[]
  warnings: Record<string, unknown>[]
}

/**
 * Asks each practice on GP Connect for its free slots in the window, at once, each within
 * the holder timeout. A practice that fails adds a warning, never fails the search.
 */
export async function searchPracticeSlots(
  practices: AppointmentPractice[],
  search: { from: string; to: string; endBy?: string; after?: string },
  caller: Caller,
  baseUrl: string,
  deps: Pick<PracticeDependencies, 'practices' | 'ics'>,
): Promise<PracticeSlotSearch> {
  const answers = await Promise.all(
    practices.map((practice) =>
      withinTimeout(deps.ics, caller, baseUrl, (context) =>
        deps.practices.freeSlots(practice, { from: search.from, to: search.to }, context),
      ).then((answer) => ({ practice, answer })),
    ),
  )
  const result: PracticeSlotSearch = { pages: [], resources: [], warnings: [] }
  for (const { practice, answer } of answers) {
    if (answer.kind !== 'answered') {
      result.warnings.push(practiceWarning(practice, deps.ics, answer, 'its free slots'))
      continue
    }
    const slots = answer.slots.filter(
      (slot) =>
        slot.start >= search.from &&
        slot.start <= search.to &&
        (!search.endBy || slot.end <= search.endBy) &&
        (!search.after || `${slot.start}#${slot.id}` > search.after),
    )
    result.pages.push({ slots })
    result.resources.push(...answer.resources)
  }
  return result
}

/** What the practices asked gave for a patient: their appointments the caller may see, and warnings. */
export interface PracticePatientSearch {
  appointments: { appointment: Appointment; version: string }[]
  warnings: Record<string, unknown>[]
}

/** The practices on GP Connect Appointment Management among the ICS's members. */
export function appointmentPractices(ics: IcsRuntimeConfig): AppointmentPractice[] {
  return ics.members.flatMap((member) => appointmentPracticeOf(member.ods, ics) ?? [])
}

/**
 * Asks each practice on GP Connect for the patient's appointments on the days `from` to
 * `to` (GP Connect Retrieve a patient's appointments), at once, each within the holder
 * timeout. Only those the caller's organisation booked or the practice is are kept (the
 * rule for appointments held here), a restricted patient's booker shown to the booker only.
 * A practice that fails adds a warning, never fails the search.
 */
export async function searchPracticePatientAppointments(
  practices: AppointmentPractice[],
  patient: { nhsNumber: string; restricted: boolean },
  days: { from: string; to: string },
  caller: Caller,
  baseUrl: string,
  deps: Pick<PracticeDependencies, 'practices' | 'ics'>,
): Promise<PracticePatientSearch> {
  const answers = await Promise.all(
    practices.map((practice) =>
      withinTimeout(deps.ics, caller, baseUrl, (context) =>
        deps.practices.patientAppointments(practice, patient.nhsNumber, days, context),
      ).then((answer) => ({ practice, answer })),
    ),
  )
  const result: PracticePatientSearch = { appointments: [], warnings: [] }
  for (const { practice, answer } of answers) {
    if (answer.kind !== 'answered') {
      result.warnings.push(practiceWarning(practice, deps.ics, answer, "the patient's appointments there"))
      continue
    }
    for (const { appointment, version } of answer.appointments) {
      if (caller.organisation !== practice.ods && caller.organisation !== bookingOdsOf(appointment)) continue
      result.appointments.push({
        appointment: asSeenBy(appointment, patient.restricted, caller.organisation),
        version,
      })
    }
  }
  return result
}

/** What reading a slot at a practice needs. */
export interface PracticeSlotRead extends Pick<PracticeDependencies, 'practices' | 'ics' | 'clock'> {
  practice: AppointmentPractice
  caller: Caller
  baseUrl: string
}

/**
 * GET /Slot/{id} for a slot at a practice on GP Connect. GP Connect Appointment Management
 * has no slot read, so the practice's free slots are searched over the widest window it
 * allows from now (14 days) and the slot found there; a slot no longer free, or further
 * off, is 404 NO_RECORD_FOUND.
 */
export async function readPracticeSlot(id: string, read: PracticeSlotRead): Promise<SlotRecord> {
  const from = read.clock()
  // freeSlots asks for slots ending up to 12 hours after `to`, within GP Connect's 14 days.
  const to = new Date(from.getTime() + 14 * 86_400_000 - 13 * 3_600_000)
  const answer = await withinTimeout(read.ics, read.caller, read.baseUrl, (context) =>
    read.practices.freeSlots(read.practice, { from: from.toISOString(), to: to.toISOString() }, context),
  )
  if (answer.kind !== 'answered') throw practiceError(answer, read.practice, read.ics, 'the slot search')
  const slot = answer.slots.find((candidate) => candidate.id === id)
  if (!slot)
    throw new FhirError(
      'NO_RECORD_FOUND',
      `No free slot with this id at ${read.practice.ods} in the next 14 days (GP Connect offers no slot read: only its free slots can be read)`,
    )
  return slot
}

/** The NHS number a practice's Appointment names its patient by. */
function patientOf(appointment: Appointment): string | undefined {
  for (const participant of appointment.participant) {
    const actor = participant.actor as {
      reference?: string
      identifier?: { system?: string; value?: string }
    }
    if (actor?.identifier?.system === NHS_NUMBER_SYSTEM && actor.identifier.value)
      return actor.identifier.value
    const match = /^Patient\/(\d{10})$/.exec(actor?.reference ?? '')
    if (match) return match[1]
  }
  return undefined
}

/** The ODS code of the booking organisation an Appointment names (extension → contained Organization). */
function bookingOdsOf(appointment: Appointment): string | undefined {
  const extension = (appointment.extension ?? []).find(
    (candidate) => candidate.url === BOOKING_ORGANISATION_URL,
  ) as { valueReference?: { reference?: string } } | undefined
  const id = extension?.valueReference?.reference?.replace(/^#/, '')
  const organisation = (appointment.contained ?? []).find(
    (resource) => resource.resourceType === 'Organization' && resource.id === id,
  ) as { identifier?: { system?: string; value?: string }[] } | undefined
  return organisation?.identifier?.find((identifier) => identifier.system === ODS_CODE_SYSTEM)?.value
}

const referenceIds = (appointment: Appointment, type: string) =>
  appointment.participant
    .map((participant) => (participant.actor as { reference?: string } | undefined)?.reference ?? '')
    .filter((reference) => reference.startsWith(`${type}/`))
    .map((reference) => reference.slice(type.length + 1))

/**
 * An appointment at a practice as `viewerOds` may see it: without this stack's booking
 * request identifier (it names the booker), and a restricted patient's booker only to the booker.
 */
function asSeenBy(withKey: Appointment, restricted: boolean, viewerOds: string): Appointment {
  const { identifier, ...unidentified } = withKey
  const identifiers = (identifier ?? []).filter((one) => one.system !== BOOKING_REQUEST_SYSTEM)
  const appointment: Appointment = identifiers.length
    ? { ...unidentified, identifier: identifiers }
    : unidentified
  if (!restricted || bookingOdsOf(appointment) === viewerOds) return appointment
  const { contained, extension, ...rest } = appointment
  const others = (extension ?? []).filter((candidate) => candidate.url !== BOOKING_ORGANISATION_URL)
  const kept = (contained ?? []).filter((resource) => resource.id !== BOOKING_ORGANISATION_ID)
  return {
    ...rest,
    ...(kept.length ? { contained: kept } : {}),
    ...(others.length ? { extension: others } : {}),
  }
}

/** The facts AppointmentBooked and AppointmentCancelled carry, for an appointment at a practice. */
function eventFacts(
  appointment: Appointment,
  practice: AppointmentPractice,
  nhsNumber: string,
  bookingOds: string,
  restricted: boolean,
) {
  const slotId = ((appointment.slot ?? [])[0]?.reference ?? '').replace(/^Slot\//, '')
  return {
    appointmentId: appointment.id,
    slotId,
    nhsNumber,
    hostOds: practice.ods,
    bookingOds,
    start: ukDateTime(new Date(String(appointment.start))),
    end: ukDateTime(new Date(String(appointment.end))),
    restricted,
  }
}

/** The answer of a pass-through: the appointment as the caller may see it, its ETag and audit. */
function answerOf(
  appointment: Appointment,
  version: string,
  nhsNumber: string,
  restricted: boolean,
  caller: Caller,
  action: AuditFacts['action'],
) {
  const slots = (appointment.slot ?? [])
    .map((slot) => slot.reference)
    .filter((reference): reference is string => !!reference)
  return {
    appointment: asSeenBy(appointment, restricted, caller.organisation),
    etag: etagOf(version),
    audit: [{ patient: nhsNumber, action, entities: [`Appointment/${appointment.id}`, ...slots] }],
  }
}

/** A living patient PDS knows, or 404 PATIENT_NOT_FOUND (as GP Connect answers for both). */
async function livingPatient(nhsNumber: string, context: RequestContext, patients: PatientDirectory) {
  const found = await patients.read(nhsNumber, context)
  if (found.kind !== 'found' || found.patient.deceasedDateTime)
    throw new FhirError('PATIENT_NOT_FOUND', 'No living patient with this NHS number in PDS')
  return found.patient
}

/**
 * POST /Appointment for a slot at a practice on GP Connect: the consumer's Appointment (its
 * rules checked already) is booked at the practice, and AppointmentBooked is published as
 * for a slot held here, so the index lists the practice as a holder for the patient.
 */
export async function bookAtPractice(
  practice: AppointmentPractice,
  body: Record<string, unknown>,
  request: AppointmentFacts,
  caller: Caller,
  context: RequestContext,
  deps: PracticeDependencies,
) {
  const patient = await livingPatient(request.nhsNumber, context, deps.patients)
  if (request.start!.getTime() <= deps.clock().getTime())
    throw new FhirError('INVALID_RESOURCE', 'The slot is in the past: only future appointments can be booked')
  const nhsNumber = nhsNumberOf(patient)
  const restricted = isRestricted(patient)
  const { created: _created, ...appointment } = body
  // The patient by NHS number too: the practice finds them by it.
  appointment.participant =
    request.nhsNumber === nhsNumber
      ? (appointment.participant as unknown[])
      : (appointment.participant as { actor?: { reference?: string } }[]).map((participant) =>
          participant.actor?.reference?.startsWith('Patient/')
            ? { ...participant, actor: { reference: `Patient/${nhsNumber}` } }
            : participant,
        )
  // The client's key goes with the booking, so a retry can find what a lost answer booked
  // (without an X-Request-ID a retry is a new request: there is nothing to find it by).
  const key = context.headers?.['x-request-id']
    ? { system: BOOKING_REQUEST_SYSTEM, value: `${caller.organisation}|${context.requestId}` }
    : undefined
  const others = (Array.isArray(appointment.identifier) ? appointment.identifier : []).filter(
    (identifier) => (identifier as { system?: unknown } | null)?.system !== BOOKING_REQUEST_SYSTEM,
  )
  appointment.identifier = key ? [...others, key] : others
  if (!(appointment.identifier as unknown[]).length) delete appointment.identifier
  let answer = await withinTimeout(deps.ics, caller, context.baseUrl ?? '', (practiceContext) =>
    deps.practices.book(practice, appointment, practiceContext),
  )
  if (key && answer.kind === 'refused' && answer.status === 409) {
    answer = (await bookedBefore(practice, { nhsNumber, key, request }, caller, context, deps)) ?? answer
  }
  if (answer.kind !== 'answered') throw practiceError(answer, practice, deps.ics, 'the booking')
  const booked = answer.appointment
  await deps.publisher.publish(
    [
      {
        detailType: 'AppointmentBooked',
        major: 1,
        id: `booked.${booked.id}`,
        occurredAt: ukDateTime(deps.clock()),
        data: eventFacts(booked, practice, nhsNumber, caller.organisation, restricted),
      },
    ],
    context,
  )
  return answerOf(booked, answer.version, nhsNumber, restricted, caller, 'C')
}

/** Our identifier of a booking request at a practice: `<booking ODS>|<X-Request-ID>`. */
export const BOOKING_REQUEST_SYSTEM = 'https://fhir.joinup.example/Id/booking-request'

/**
 * The appointment an earlier attempt of this very request booked at the practice (its
 * answer lost to a timeout or a crash), found among the patient's appointments there on the
 * slot's day by the request's identifier: a retry then gets it, as a retry of a booking held
 * here does, instead of 409. Undefined when there is none, or the practice does not say (a
 * provider that does not keep the identifier leaves the 409 as it is).
 */
async function bookedBefore(
  practice: AppointmentPractice,
  booking: { nhsNumber: string; key: { system: string; value: string }; request: AppointmentFacts },
  caller: Caller,
  context: RequestContext,
  deps: PracticeDependencies,
): Promise<PracticeAppointment | undefined> {
  const day = ukDate(booking.request.start!)
  const found = await withinTimeout(deps.ics, caller, context.baseUrl ?? '', (practiceContext) =>
    deps.practices.patientAppointments(practice, booking.nhsNumber, { from: day, to: day }, practiceContext),
  )
  if (found.kind !== 'answered') return undefined
  const slots = booking.request.slotIds.map((id) => `Slot/${id}`).join(',')
  const match = found.appointments.find(
    ({ appointment }) =>
      appointment.status === 'booked' &&
      (appointment.slot ?? []).map((slot) => slot.reference).join(',') === slots &&
      (appointment.identifier ?? []).some(
        (identifier) => identifier.system === booking.key.system && identifier.value === booking.key.value,
      ),
  )
  return match ? { kind: 'answered', ...match } : undefined
}

/** Reads an appointment at a practice that the caller booked or the practice hosts; its patient and restriction. */
async function loadAtPractice(
  practice: AppointmentPractice,
  id: string,
  caller: Caller,
  context: RequestContext,
  deps: PracticeDependencies,
) {
  const answer = await withinTimeout(deps.ics, caller, context.baseUrl ?? '', (practiceContext) =>
    deps.practices.read(practice, id, practiceContext),
  )
  if (answer.kind !== 'answered') throw practiceError(answer, practice, deps.ics, 'reading the appointment')
  const bookingOds = bookingOdsOf(answer.appointment)
  if (caller.organisation !== practice.ods && caller.organisation !== bookingOds)
    throw new FhirError(
      'ACCESS DENIED',
      'Only the organisation that booked or hosts an appointment may see it',
    )
  const nhsNumber = patientOf(answer.appointment)
  if (!nhsNumber)
    throw practiceError(
      { kind: 'failed', failure: 'invalid', detail: 'the appointment names no patient by NHS number' },
      practice,
      deps.ics,
      'reading the appointment',
    )
  const patient = await deps.patients.read(nhsNumber, context)
  const restricted = patient.kind === 'found' && isRestricted(patient.patient)
  return { ...answer, nhsNumber, bookingOds: bookingOds ?? '', restricted }
}

const inPast = (appointment: Appointment, now: Date) => Date.parse(String(appointment.start)) <= now.getTime()

/** GET /Appointment/{id} at a practice on GP Connect: future appointments the caller booked or the practice hosts. */
export async function readAtPractice(
  practice: AppointmentPractice,
  id: string,
  caller: Caller,
  context: RequestContext,
  deps: PracticeDependencies,
) {
  const loaded = await loadAtPractice(practice, id, caller, context, deps)
  if (inPast(loaded.appointment, deps.clock()))
    throw new FhirError(
      'INVALID_RESOURCE',
      'The appointment is in the past: GP Connect allows reading future appointments only',
    )
  return answerOf(loaded.appointment, loaded.version, loaded.nhsNumber, loaded.restricted, caller, 'R')
}

/**
 * PUT /Appointment/{id} at a practice on GP Connect: the same rules as for appointments held
 * here (If-Match required, stale 409, only description and comment change, a cancellation
 * needs a reason), checked against what the practice holds, then passed through with
 * If-Match; a cancellation publishes AppointmentCancelled.
 */
export async function updateAtPractice(
  practice: AppointmentPractice,
  id: string,
  request: AppointmentFacts,
  ifMatch: string | undefined,
  caller: Caller,
  context: RequestContext,
  deps: PracticeDependencies,
) {
  if (ifMatch === undefined)
    throw new FhirError(
      'PRECONDITION_FAILED',
      'If-Match with the current version (its ETag, W/"<version>") is required',
    )
  const expected = /^(?:W\/)?"([^"]{1,64})"$/.exec(ifMatch.trim())?.[1]
  if (!expected)
    throw new FhirError('BAD_REQUEST', 'If-Match must be an ETag this server issued, such as W/"1"')
  const current = await loadAtPractice(practice, id, caller, context, deps)
  const stored = current.appointment
  if (stored.status === 'cancelled')
    throw new FhirError(
      'INVALID_RESOURCE',
      'The appointment is cancelled: cancelled appointments cannot change',
    )
  if (inPast(stored, deps.clock()))
    throw new FhirError(
      'INVALID_RESOURCE',
      'The appointment is in the past: GP Connect allows changing future appointments only',
    )
  if (current.version !== expected)
    throw new FhirError(
      'FHIR_CONSTRAINT_VIOLATION',
      `If-Match ${etagOf(expected)} is not the current version ${etagOf(current.version)}: read the appointment again`,
    )
  const changed: string[] = []
  if (request.start?.getTime() !== Date.parse(String(stored.start))) changed.push('start')
  if (request.end?.getTime() !== Date.parse(String(stored.end))) changed.push('end')
  const slots = (stored.slot ?? []).map((slot) => (slot.reference ?? '').replace(/^Slot\//, ''))
  if (request.slotIds.join(',') !== slots.join(',')) changed.push('slot')
  if (request.nhsNumber !== current.nhsNumber) changed.push('patient participant')
  if (!referenceIds(stored, 'Location').includes(request.locationId)) changed.push('location participant')
  if (
    request.practitionerId !== undefined &&
    !referenceIds(stored, 'Practitioner').includes(request.practitionerId)
  )
    changed.push('practitioner participant')
  if (request.bookingOrganisation && request.bookingOrganisation.ods !== current.bookingOds)
    changed.push('booking organisation')
  if (changed.length)
    throw new FhirError(
      'INVALID_RESOURCE',
      `Only description and comment can be amended, and status to cancel: ${changed.join(', ')} changed`,
    )
  const cancel = request.status === 'cancelled'
  if (cancel) {
    if (!request.cancellationReason)
      throw new FhirError('INVALID_PARAMETER', 'A cancellation needs a reason (cancelationReason.text)', {
        status: 422,
      })
    if ((request.description ?? '') !== (stored.description ?? '') || request.comment !== stored.comment)
      throw new FhirError(
        'INVALID_RESOURCE',
        'A cancellation changes status and reason only: description and comment must stay as they are',
      )
  } else {
    if (request.status !== 'booked')
      throw new FhirError('INVALID_RESOURCE', 'status must be booked (to amend) or cancelled (to cancel)')
    if (request.cancellationReason !== undefined)
      throw new FhirError('INVALID_RESOURCE', 'Only a cancellation has a cancellation reason')
    if (request.description === undefined || request.description.trim() === '')
      throw new FhirError('INVALID_RESOURCE', 'description is required')
  }
  // What the practice holds, with the consumer's description, comment, status and reason.
  const { comment: _comment, cancelationReason: _reason, meta: _meta, ...held } = stored
  const sent = {
    ...held,
    id,
    status: cancel ? 'cancelled' : 'booked',
    description: request.description ?? '',
    ...(request.comment !== undefined ? { comment: request.comment } : {}),
    ...(cancel ? { cancelationReason: { text: request.cancellationReason } } : {}),
  }
  const answer = await withinTimeout(deps.ics, caller, context.baseUrl ?? '', (practiceContext) =>
    deps.practices.update(practice, sent, expected, practiceContext),
  )
  if (answer.kind !== 'answered')
    throw practiceError(answer, practice, deps.ics, cancel ? 'the cancellation' : 'the amendment')
  if (cancel) {
    await deps.publisher.publish(
      [
        {
          detailType: 'AppointmentCancelled',
          major: 1,
          id: `cancelled.${answer.appointment.id}`,
          occurredAt: ukDateTime(deps.clock()),
          data: {
            ...eventFacts(
              answer.appointment,
              practice,
              current.nhsNumber,
              current.bookingOds || caller.organisation,
              current.restricted,
            ),
            cancelledByOds: caller.organisation,
          },
        },
      ],
      context,
    )
  }
  return answerOf(answer.appointment, answer.version, current.nhsNumber, current.restricted, caller, 'U')
}
