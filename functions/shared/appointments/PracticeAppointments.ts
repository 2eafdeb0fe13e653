import type { Caller } from '../../../schemas/auth'
import type { Appointment } from '../../../schemas/fhir/Appointment'
import type { DirectoryEntry } from '../../../schemas/ics-config'
import type { PublishedResource, SlotRecord } from './AppointmentBook'

/** A practice whose appointments are its own, reached over GP Connect Appointment Management 1.6. */
export type AppointmentPractice = Extract<DirectoryEntry, { protocol: 'gpconnect-1.6-stu3' }>

/** Who asks, and for how long they wait: the same for every call to a practice. */
export interface PracticeContext {
  caller: Caller
  /** The caller's organisation name, as the ICS lists it (GP Connect: requesting_organization). */
  callerOrganisationName: string
  /** This API's public base URL (GP Connect: the consumer's `iss`). */
  consumerBaseUrl: string
  /** Aborted when the practice's time is up (holderTimeoutMs). */
  signal: AbortSignal
}

/** The practice gave no usable answer: `detail` is shown to the caller and never carries patient data. */
export interface PracticeFailure {
  kind: 'failed'
  failure: 'timeout' | 'unreachable' | 'error' | 'invalid'
  detail: string
}

/** The practice answered with a GP Connect error (4xx): its status and Spine code, kept as they are. */
export interface PracticeRefusal {
  kind: 'refused'
  status: number
  code?: string
}

/** Free slots at a practice, as this stack's own slot records, with their Schedules, Practitioners and Locations (R4, ICS ids). */
export interface PracticeSlots {
  kind: 'answered'
  slots: SlotRecord[]
  resources: PublishedResource[]
}

/** An appointment at a practice, in R4 with ICS ids (`<ODS>.<practice's id>`), and its version. */
export interface PracticeAppointment {
  kind: 'answered'
  appointment: Appointment
  version: string
}

/** A patient's appointments at a practice (GP Connect Retrieve a patient's appointments), each as read. */
export interface PracticePatientAppointments {
  kind: 'answered'
  appointments: { appointment: Appointment; version: string }[]
}

/**
 * Appointments held by the practice itself (GP Connect Appointment Management): the stack
 * passes searches, bookings, reads, amendments and cancellations through. Ids in and out are
 * the ICS's (`<ODS>.<practice's id>`); never rejects for anything the practice did.
 */
export interface PracticeAppointments {
  freeSlots(
    practice: AppointmentPractice,
    window: { from: string; to: string },
    context: PracticeContext,
  ): Promise<PracticeSlots | PracticeRefusal | PracticeFailure>
  book(
    practice: AppointmentPractice,
    /** The consumer's R4 Appointment, with ICS ids. */
    appointment: Record<string, unknown>,
    context: PracticeContext,
  ): Promise<PracticeAppointment | PracticeRefusal | PracticeFailure>
  read(
    practice: AppointmentPractice,
    id: string,
    context: PracticeContext,
  ): Promise<PracticeAppointment | PracticeRefusal | PracticeFailure>
  /**
   * The patient's appointments starting on the days `from` to `to` (UK dates), cancelled ones
   * included, whoever booked them; none when the practice does not know the patient. Their
   * patient participant is `Patient/<NHS number>`.
   */
  patientAppointments(
    practice: AppointmentPractice,
    nhsNumber: string,
    days: { from: string; to: string },
    context: PracticeContext,
  ): Promise<PracticePatientAppointments | PracticeRefusal | PracticeFailure>
  /** Amend (status booked) or cancel (status cancelled) with If-Match naming `version`. */
  update(
    practice: AppointmentPractice,
    /** The consumer's R4 Appointment, with ICS ids. */
    appointment: Record<string, unknown> & { id: string },
    version: string,
    context: PracticeContext,
  ): Promise<PracticeAppointment | PracticeRefusal | PracticeFailure>
}
