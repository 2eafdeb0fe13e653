import type { Appointment } from '../../../schemas/fhir/Appointment'
import { CANCELLATION_REASON_URL, PracticeAppointmentShape } from '../../../schemas/fhir/Appointment'
import { isValidNhsNumber, NHS_NUMBER_SYSTEM } from '../../../schemas/fhir/identifiers'
import {
  DELIVERY_CHANNEL_URL,
  DELIVERY_CHANNELS,
  PRACTITIONER_ROLE_URL,
} from '../../../schemas/fhir/Scheduling'
import type { PublishedResource, RoleCoding, SlotRecord } from '../appointments/AppointmentBook'
import type {
  AppointmentPractice,
  PracticeAppointment,
  PracticeAppointments,
  PracticeContext,
  PracticeFailure,
  PracticePatientAppointments,
  PracticeRefusal,
  PracticeSlots,
} from '../appointments/PracticeAppointments'
import { logger } from '../logger'
import { timedOut } from '../records/HolderRecordSource'
import { ukDateTime } from '../time'
import {
  callGpConnect,
  GpConnectAnswerTooLarge,
  type GpConnectConsumerOptions,
  type RequestedScope,
} from './consumer'
import { spineCodeOf } from './GpConnectRecordSource'
import { entriesOf, r4Id, r4ResourceOf } from './stu3ToR4'

/** GP Connect 1.6 Appointment Management's interaction ids (`Ssp-InteractionID`). */
export const APPOINTMENT_INTERACTIONS = {
  searchSlots: 'urn:nhs:names:services:gpconnect:fhir:rest:search:slot-1',
  book: 'urn:nhs:names:services:gpconnect:fhir:rest:create:appointment-1',
  read: 'urn:nhs:names:services:gpconnect:fhir:rest:read:appointment-1',
  amend: 'urn:nhs:names:services:gpconnect:fhir:rest:update:appointment-1',
  cancel: 'urn:nhs:names:services:gpconnect:fhir:rest:cancel:appointment-1',
  patientAppointments: 'urn:nhs:names:services:gpconnect:fhir:rest:search:patient_appointments-1',
  /** GP Connect Foundations "Find a patient": the provider's logical id of an NHS number. */
  findPatient: 'urn:nhs:names:services:gpconnect:fhir:rest:search:patient-1',
  /** GP Connect Foundations "Read a patient": the NHS number of a provider's logical id. */
  readPatient: 'urn:nhs:names:services:gpconnect:fhir:rest:read:patient-1',
} as const

const HOUR_MS = 3_600_000

type Json = Record<string, unknown>
const isObject = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value)
const asArray = (value: unknown): unknown[] =>
  value === undefined ? [] : Array.isArray(value) ? value : [value]

/** The practice's own id of an ICS id `<ODS>.<practice's id>`. */
export function practiceIdOf(ods: string, id: string): string | undefined {
  return id.startsWith(`${ods}.`) && id.length > ods.length + 1 ? id.slice(ods.length + 1) : undefined
}

/** The ICS id of a practice's id: `<ODS>.<practice's id>` (made R4-safe). */
export const icsIdOf = (ods: string, id: string) => `${ods}.${r4Id(id)}`

/** `Type/<id>` of a reference, with the id rewritten by `to`; other references unchanged. */
function rereference(reference: unknown, to: (id: string) => string | undefined): unknown {
  if (!isObject(reference) || typeof reference.reference !== 'string') return reference
  const match = /^([A-Za-z]+)\/([^/]+)$/.exec(reference.reference)
  if (!match || match[1] === 'Patient') return reference
  const id = to(match[2]!)
  return id === undefined ? reference : { ...reference, reference: `${match[1]}/${id}` }
}

/**
 * The STU3 Appointment a GP Connect provider takes, from the consumer's R4 one: the
 * practice's own ids, `serviceCategory` as one value, and the cancellation reason as GP
 * Connect's extension (STU3 has no element for it).
 */
export function stu3AppointmentOf(ods: string, r4: Json): Json {
  const local = (id: string) => practiceIdOf(ods, id)
  const { cancelationReason, serviceCategory, meta: _meta, ...rest } = r4
  const reason = isObject(cancelationReason) ? cancelationReason.text : undefined
  const extension = [
    ...asArray(rest.extension).filter(
      (extension) => !(isObject(extension) && extension.url === CANCELLATION_REASON_URL),
    ),
    ...(typeof reason === 'string' ? [{ url: CANCELLATION_REASON_URL, valueString: reason }] : []),
  ]
  const id = typeof rest.id === 'string' ? local(rest.id) : undefined
  return {
    ...rest,
    ...(id ? { id } : {}),
    ...(extension.length ? { extension } : {}),
    ...(Array.isArray(serviceCategory) && serviceCategory.length
      ? { serviceCategory: serviceCategory[0] }
      : {}),
    slot: asArray(rest.slot).map((slot) => rereference(slot, local)),
    participant: asArray(rest.participant).map((participant) =>
      isObject(participant) ? { ...participant, actor: rereference(participant.actor, local) } : participant,
    ),
  }
}

/**
 * A practice's STU3 Appointment in R4 (the record retrieval mapping, stu3ToR4.ts), its ids
 * and references made the ICS's. Undefined when it is not an Appointment with an id, or
 * when the arrays this stack reads are of another shape (PracticeAppointmentShape).
 */
export function r4AppointmentOf(ods: string, stu3: unknown): Appointment | undefined {
  if (!isObject(stu3) || stu3.resourceType !== 'Appointment' || typeof stu3.id !== 'string') return undefined
  const r4 = r4ResourceOf(stu3)
  if (!r4) return undefined
  if (!PracticeAppointmentShape.safeParse(r4).success) return undefined
  const ics = (id: string) => icsIdOf(ods, id)
  const versionId = isObject(stu3.meta) && typeof stu3.meta.versionId === 'string' ? stu3.meta.versionId : '1'
  return {
    ...r4,
    id: icsIdOf(ods, stu3.id),
    meta: {
      versionId,
      ...(isObject(stu3.meta) && typeof stu3.meta.lastUpdated === 'string'
        ? { lastUpdated: ukDateTime(new Date(stu3.meta.lastUpdated)) }
        : {}),
    },
    slot: asArray(r4.slot).map((slot) => rereference(slot, ics)),
    participant: asArray(r4.participant).map((participant) =>
      isObject(participant) ? { ...participant, actor: rereference(participant.actor, ics) } : participant,
    ),
  } as Appointment
}

/**
 * The provider's logical id of the patient with `nhsNumber`, from a GP Connect "Find a
 * patient" searchset (GET /Patient?identifier=https://fhir.nhs.uk/Id/nhs-number|<nhs>):
 * null when the practice does not know them (an empty searchset), a failure when the answer
 * is no searchset.
 */
export function patientIdOf(bundle: unknown, nhsNumber: string): string | null | PracticeFailure {
  if (!isObject(bundle) || bundle.resourceType !== 'Bundle' || bundle.type !== 'searchset')
    return {
      kind: 'failed',
      failure: 'invalid',
      detail: 'the patient search answer is not a FHIR searchset Bundle',
    }
  const found = entriesOf(bundle)
    .filter(isObject)
    .find(
      (resource) =>
        resource.resourceType === 'Patient' &&
        typeof resource.id === 'string' &&
        asArray(resource.identifier).some(
          (identifier) =>
            isObject(identifier) && identifier.system === NHS_NUMBER_SYSTEM && identifier.value === nhsNumber,
        ),
    )
  return found ? String(found.id) : null
}

/**
 * A GP Connect "Retrieve a patient's appointments" searchset (STU3) as R4 appointments with
 * ICS ids, each with its version (meta.versionId). The provider names the patient by its
 * logical id (`Patient/<patientId>`): that becomes `Patient/<NHS number>`, as everywhere here.
 */
export function patientAppointmentsOf(
  ods: string,
  bundle: unknown,
  patientId: string,
  nhsNumber: string,
): PracticePatientAppointments | PracticeFailure {
  if (!isObject(bundle) || bundle.resourceType !== 'Bundle' || bundle.type !== 'searchset')
    return {
      kind: 'failed',
      failure: 'invalid',
      detail: 'the appointments answer is not a FHIR searchset Bundle',
    }
  const appointments: PracticePatientAppointments['appointments'] = []
  for (const resource of entriesOf(bundle)) {
    const appointment = r4AppointmentOf(ods, resource)
    if (!appointment) continue
    appointments.push({
      appointment: withPatientOf(appointment, r4Id(patientId), nhsNumber),
      version: appointment.meta.versionId,
    })
  }
  return { kind: 'answered', appointments }
}

/** An Appointment (R4 or STU3) with its patient participant `Patient/<from>` as `Patient/<to>`. */
export function withPatientOf<T extends { participant?: unknown }>(
  appointment: T,
  from: string,
  to: string,
): T {
  return {
    ...appointment,
    participant: asArray((appointment as Json).participant).map((one) =>
      isObject(one) && isObject(one.actor) && one.actor.reference === `Patient/${from}`
        ? { ...one, actor: { reference: `Patient/${to}` } }
        : one,
    ),
  }
}

/** The id of the patient participant (`Patient/<id>`) of an Appointment. */
export function patientParticipantOf(appointment: Json): string | undefined {
  for (const one of asArray(appointment.participant)) {
    const reference = isObject(one) && isObject(one.actor) ? one.actor.reference : undefined
    if (typeof reference === 'string' && reference.startsWith('Patient/'))
      return reference.slice('Patient/'.length)
  }
  return undefined
}

/** The NHS number of a GP Connect Patient (STU3), if it carries one. */
function nhsNumberOfPatient(patient: unknown): string | undefined {
  if (!isObject(patient) || patient.resourceType !== 'Patient') return undefined
  const identifier = asArray(patient.identifier).find(
    (candidate) => isObject(candidate) && candidate.system === NHS_NUMBER_SYSTEM,
  )
  return isObject(identifier) && typeof identifier.value === 'string' ? identifier.value : undefined
}

const idOf = (reference: unknown, type: string) => {
  const value = isObject(reference) ? reference.reference : undefined
  return typeof value === 'string' && value.startsWith(`${type}/`) ? value.slice(type.length + 1) : undefined
}
function textOf(concept: unknown): string | undefined {
  if (!isObject(concept)) return undefined
  if (typeof concept.text === 'string') return concept.text
  const display = asArray(concept.coding).find(isObject)?.display
  return typeof display === 'string' ? display : undefined
}

/**
 * A GP Connect free-slot searchset (STU3) as this stack's slot records and published
 * resources, so that a practice's slots are answered exactly as slots held here: each free
 * slot in the window whose Schedule came with it and names a Location.
 */
export function practiceSlotsOf(
  ods: string,
  bundle: unknown,
  window: { from: string; to: string },
  now: Date,
): PracticeSlots | PracticeFailure {
  if (!isObject(bundle) || bundle.resourceType !== 'Bundle' || bundle.type !== 'searchset')
    return { kind: 'failed', failure: 'invalid', detail: 'the answer is not a FHIR searchset Bundle' }
  const resources = entriesOf(bundle).filter(isObject)
  const byKey = new Map(resources.map((resource) => [`${resource.resourceType}/${resource.id}`, resource]))
  const slots: SlotRecord[] = []
  const used = new Set<string>()
  for (const slot of resources.filter((resource) => resource.resourceType === 'Slot')) {
    const scheduleId = idOf(slot.schedule, 'Schedule')
    const schedule = scheduleId ? byKey.get(`Schedule/${scheduleId}`) : undefined
    if (typeof slot.id !== 'string' || !schedule || slot.status !== 'free') continue
    const start = Date.parse(String(slot.start))
    const end = Date.parse(String(slot.end))
    if (
      !(start < end) ||
      new Date(start).toISOString() < window.from ||
      new Date(start).toISOString() > window.to
    )
      continue
    const actors = asArray(schedule.actor)
    const locationId = actors.map((actor) => idOf(actor, 'Location')).find(Boolean)
    if (!locationId) continue
    const practitionerId = actors.map((actor) => idOf(actor, 'Practitioner')).find(Boolean)
    const channel = asArray(slot.extension)
      .filter(isObject)
      .find((extension) => extension.url === DELIVERY_CHANNEL_URL)?.valueCode
    const role = asArray(schedule.extension)
      .filter(isObject)
      .find((extension) => extension.url === PRACTITIONER_ROLE_URL)?.valueCodeableConcept
    const roleCoding = isObject(role) ? asArray(role.coding).find(isObject) : undefined
    const serviceCategory = textOf(asArray(schedule.serviceCategory)[0])
    const versionId = isObject(slot.meta) ? Number(slot.meta.versionId) : Number.NaN
    used.add(`Schedule/${scheduleId}`)
    used.add(`Location/${locationId}`)
    if (practitionerId) used.add(`Practitioner/${practitionerId}`)
    slots.push({
      id: icsIdOf(ods, slot.id),
      hostOds: ods,
      scheduleId: icsIdOf(ods, scheduleId!),
      start: new Date(start).toISOString(),
      end: new Date(end).toISOString(),
      serviceType: textOf(asArray(slot.serviceType)[0]) ?? serviceCategory ?? 'Appointment',
      ...(DELIVERY_CHANNELS.includes(channel as never)
        ? { deliveryChannel: channel as SlotRecord['deliveryChannel'] }
        : {}),
      ...(serviceCategory ? { serviceCategory } : {}),
      ...(practitionerId ? { practitionerId: icsIdOf(ods, practitionerId) } : {}),
      ...(roleCoding ? { practitionerRole: roleCoding as RoleCoding } : {}),
      locationId: icsIdOf(ods, locationId),
      status: 'free',
      bookings: 0,
      version: Number.isSafeInteger(versionId) && versionId > 0 ? versionId : 1,
      publishedAt: now.toISOString(),
    })
  }
  const published: PublishedResource[] = []
  for (const key of used) {
    const stu3 = byKey.get(key)
    const r4 = stu3 ? r4ResourceOf(stu3) : undefined
    if (!stu3 || !r4) continue
    const type = stu3.resourceType as PublishedResource['type']
    const ics = (id: string) => icsIdOf(ods, id)
    const resource: Json = { ...r4, id: icsIdOf(ods, String(stu3.id)) }
    delete resource.meta
    if (type === 'Schedule') resource.actor = asArray(r4.actor).map((actor) => rereference(actor, ics))
    if (type === 'Location') resource.managingOrganization = { reference: `Organization/${ods}` }
    published.push({ hostOds: ods, type, id: resource.id as string, resource })
  }
  return { kind: 'answered', slots, resources: published }
}

/**
 * GP Connect Appointment Management 1.6 as a consumer (functions/shared/gpconnect/consumer.ts:
 * the Ssp-* headers, the consumer JWT, through the Spine Secure Proxy when the directory names
 * one), its STU3 answers mapped to R4 with the record retrieval mapping.
 */
export class GpConnectAppointments implements PracticeAppointments {
  constructor(private readonly options: GpConnectConsumerOptions) {}

  private now() {
    return (this.options.clock ?? (() => new Date()))()
  }

  private async call(
    practice: AppointmentPractice,
    context: PracticeContext,
    request: {
      interactionId: string
      method: 'GET' | 'POST' | 'PUT'
      path: string
      body?: unknown
      headers?: Record<string, string>
      requestedScope: RequestedScope
    },
  ) {
    try {
      const answer = await callGpConnect(
        {
          holder: practice,
          directory: this.options.directory,
          ...request,
          consumer: {
            caller: context.caller,
            organisationName: context.callerOrganisationName,
            baseUrl: context.consumerBaseUrl,
            ics: this.options.ics,
          },
          signal: context.signal,
          now: this.now(),
        },
        this.options.transport,
      )
      logger.info('GP Connect answer', {
        holder: practice.ods,
        status: answer.status,
        sspTraceId: answer.traceId,
      })
      return answer
    } catch (error) {
      if (timedOut(context.signal))
        return { kind: 'failed', failure: 'timeout', detail: 'no answer in time' } as const
      if (error instanceof GpConnectAnswerTooLarge)
        return { kind: 'failed', failure: 'invalid', detail: 'the answer was too large to read' } as const
      return {
        kind: 'failed',
        failure: 'unreachable',
        detail: 'no answer (connection failed or broke off)',
      } as const
    }
  }

  /** A non-2xx answer: a refusal with the practice's Spine code (4xx), or a failure (anything else). */
  private static unsuccessful(status: number, json: unknown): PracticeRefusal | PracticeFailure {
    const code = spineCodeOf(json)
    if (status >= 400 && status < 500) return { kind: 'refused', status, ...(code ? { code } : {}) }
    return { kind: 'failed', failure: 'error', detail: `answered ${status}${code ? ` ${code}` : ''}` }
  }

  private appointmentAnswer(
    practice: AppointmentPractice,
    answer: { status: number; json: unknown; etag?: string },
    success: number,
    /** The practice's logical id of the patient and their NHS number, which the answer is to name them by. */
    patient: { id: string; nhsNumber: string },
  ): PracticeAppointment | PracticeRefusal | PracticeFailure {
    if (answer.status !== success) return GpConnectAppointments.unsuccessful(answer.status, answer.json)
    const mapped = r4AppointmentOf(practice.ods, answer.json)
    const appointment = mapped && withPatientOf(mapped, r4Id(patient.id), patient.nhsNumber)
    if (!appointment)
      return { kind: 'failed', failure: 'invalid', detail: 'the answer is not an Appointment' }
    // GP Connect: the version is the ETag (W/"<versionId>"), also meta.versionId.
    const fromEtag = answer.etag ? /^(?:W\/)?"([^"]{1,64})"$/.exec(answer.etag)?.[1] : undefined
    const version = fromEtag ?? appointment.meta.versionId
    return {
      kind: 'answered',
      appointment: { ...appointment, meta: { ...appointment.meta, versionId: version } },
      version,
    }
  }

  async freeSlots(
    practice: AppointmentPractice,
    window: { from: string; to: string },
    context: PracticeContext,
  ) {
    const query = new URLSearchParams([
      ['status', 'free'],
      ['start', `ge${ukDateTime(new Date(window.from))}`],
      // Slots starting by `to` may end after it: ask 12 hours further, never beyond GP Connect's 14 days.
      [
        'end',
        `le${ukDateTime(new Date(Math.min(Date.parse(window.to) + 12 * HOUR_MS, Date.parse(window.from) + 14 * 24 * HOUR_MS - HOUR_MS)))}`,
      ],
      ['_include', 'Slot:schedule'],
      ['_include:recurse', 'Schedule:actor:Practitioner'],
      ['_include:recurse', 'Schedule:actor:Location'],
      ['_include:recurse', 'Location:managingOrganization'],
      // GP Connect's searchFilter: the booking organisation's ODS code (slots it may book).
      ['searchFilter', `https://fhir.nhs.uk/Id/ods-organization-code|${context.caller.organisation}`],
    ])
    const answer = await this.call(practice, context, {
      interactionId: APPOINTMENT_INTERACTIONS.searchSlots,
      method: 'GET',
      path: `/Slot?${query.toString()}`,
      requestedScope: 'organization/*.read',
    })
    if ('kind' in answer) return answer
    if (answer.status !== 200) return GpConnectAppointments.unsuccessful(answer.status, answer.json)
    return practiceSlotsOf(practice.ods, answer.json, window, this.now())
  }

  /**
   * GP Connect Find a patient: the practice's logical id of the patient with `nhsNumber`,
   * null when it does not know them.
   */
  private async findPatient(
    practice: AppointmentPractice,
    nhsNumber: string,
    context: PracticeContext,
  ): Promise<string | null | PracticeRefusal | PracticeFailure> {
    const found = await this.call(practice, context, {
      interactionId: APPOINTMENT_INTERACTIONS.findPatient,
      method: 'GET',
      path: `/Patient?${new URLSearchParams({ identifier: `${NHS_NUMBER_SYSTEM}|${nhsNumber}` }).toString()}`,
      requestedScope: 'patient/*.read',
    })
    if ('kind' in found) return found
    if (found.status !== 200) return GpConnectAppointments.unsuccessful(found.status, found.json)
    return patientIdOf(found.json, nhsNumber)
  }

  /** The logical id of a patient GP Connect requires (Find a patient), or why there is none. */
  private async patientIdAt(
    practice: AppointmentPractice,
    nhsNumber: string | undefined,
    context: PracticeContext,
  ): Promise<string | PracticeRefusal | PracticeFailure> {
    if (!nhsNumber || !isValidNhsNumber(nhsNumber))
      return { kind: 'refused', status: 400, code: 'INVALID_NHS_NUMBER' }
    const id = await this.findPatient(practice, nhsNumber, context)
    // Not registered there: GP Connect would need Register a patient first, which this stack does not do.
    return id === null ? { kind: 'refused', status: 404, code: 'PATIENT_NOT_FOUND' } : id
  }

  /** GP Connect Read a patient: the NHS number of the practice's patient `id`. */
  private async nhsNumberAt(
    practice: AppointmentPractice,
    id: string,
    context: PracticeContext,
  ): Promise<string | PracticeRefusal | PracticeFailure> {
    const answer = await this.call(practice, context, {
      interactionId: APPOINTMENT_INTERACTIONS.readPatient,
      method: 'GET',
      path: `/Patient/${encodeURIComponent(id)}`,
      requestedScope: 'patient/*.read',
    })
    if ('kind' in answer) return answer
    if (answer.status !== 200) return GpConnectAppointments.unsuccessful(answer.status, answer.json)
    return (
      nhsNumberOfPatient(answer.json) ?? {
        kind: 'failed',
        failure: 'invalid',
        detail: 'the appointment names a patient without an NHS number',
      }
    )
  }

  async book(practice: AppointmentPractice, appointment: Record<string, unknown>, context: PracticeContext) {
    // GP Connect books for the practice's own Patient (Find a patient), not an NHS number.
    const nhsNumber = patientParticipantOf(appointment)
    const patientId = await this.patientIdAt(practice, nhsNumber, context)
    if (typeof patientId !== 'string') return patientId
    const answer = await this.call(practice, context, {
      interactionId: APPOINTMENT_INTERACTIONS.book,
      method: 'POST',
      path: '/Appointment',
      body: withPatientOf(stu3AppointmentOf(practice.ods, appointment), nhsNumber!, patientId),
      requestedScope: 'patient/*.write',
    })
    return 'kind' in answer
      ? answer
      : this.appointmentAnswer(practice, answer, 201, { id: patientId, nhsNumber: nhsNumber! })
  }

  async read(practice: AppointmentPractice, id: string, context: PracticeContext) {
    const local = practiceIdOf(practice.ods, id)
    if (!local) return { kind: 'refused', status: 404, code: 'NO_RECORD_FOUND' } as const
    const answer = await this.call(practice, context, {
      interactionId: APPOINTMENT_INTERACTIONS.read,
      method: 'GET',
      path: `/Appointment/${encodeURIComponent(local)}`,
      requestedScope: 'patient/*.read',
    })
    if ('kind' in answer) return answer
    if (answer.status !== 200) return GpConnectAppointments.unsuccessful(answer.status, answer.json)
    // The answer names the practice's Patient: its NHS number comes from Read a patient.
    const patientId = isObject(answer.json) ? patientParticipantOf(answer.json) : undefined
    if (!patientId)
      return { kind: 'failed', failure: 'invalid', detail: 'the appointment names no patient' } as const
    const nhsNumber = await this.nhsNumberAt(practice, patientId, context)
    if (typeof nhsNumber !== 'string') return nhsNumber
    return this.appointmentAnswer(practice, answer, 200, { id: patientId, nhsNumber })
  }

  async patientAppointments(
    practice: AppointmentPractice,
    nhsNumber: string,
    days: { from: string; to: string },
    context: PracticeContext,
  ): Promise<PracticePatientAppointments | PracticeRefusal | PracticeFailure> {
    // GP Connect: the consumer resolves the provider's logical id of the patient first.
    const patientId = await this.findPatient(practice, nhsNumber, context)
    if (patientId === null) return { kind: 'answered', appointments: [] }
    if (typeof patientId !== 'string') return patientId
    const query = new URLSearchParams([
      ['start', `ge${days.from}`],
      ['start', `le${days.to}`],
    ])
    const answer = await this.call(practice, context, {
      interactionId: APPOINTMENT_INTERACTIONS.patientAppointments,
      method: 'GET',
      path: `/Patient/${encodeURIComponent(patientId)}/Appointment?${query.toString()}`,
      requestedScope: 'patient/*.read',
    })
    if ('kind' in answer) return answer
    if (answer.status !== 200) return GpConnectAppointments.unsuccessful(answer.status, answer.json)
    return patientAppointmentsOf(practice.ods, answer.json, patientId, nhsNumber)
  }

  async update(
    practice: AppointmentPractice,
    appointment: Record<string, unknown> & { id: string },
    version: string,
    context: PracticeContext,
  ) {
    const local = practiceIdOf(practice.ods, appointment.id)
    if (!local) return { kind: 'refused', status: 404, code: 'NO_RECORD_FOUND' } as const
    const nhsNumber = patientParticipantOf(appointment)
    const patientId = await this.patientIdAt(practice, nhsNumber, context)
    if (typeof patientId !== 'string') return patientId
    const answer = await this.call(practice, context, {
      interactionId:
        appointment.status === 'cancelled' ? APPOINTMENT_INTERACTIONS.cancel : APPOINTMENT_INTERACTIONS.amend,
      method: 'PUT',
      path: `/Appointment/${encodeURIComponent(local)}`,
      body: withPatientOf(stu3AppointmentOf(practice.ods, appointment), nhsNumber!, patientId),
      headers: { 'If-Match': `W/"${version}"` },
      requestedScope: 'patient/*.write',
    })
    return 'kind' in answer
      ? answer
      : this.appointmentAnswer(practice, answer, 200, { id: patientId, nhsNumber: nhsNumber! })
  }
}
