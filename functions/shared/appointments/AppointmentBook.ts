import type { DeliveryChannel } from '../../../schemas/fhir/Scheduling'

/** A Schedule, Practitioner or Location an organisation published, as the API shows it. */
export interface PublishedResource {
  hostOds: string
  type: 'Schedule' | 'Practitioner' | 'Location'
  /** The API's id: `<ODS>.<publisher's id>`. */
  id: string
  resource: Record<string, unknown>
}

/** A coded practitioner role (SDS job role), from the slot's schedule. */
export interface RoleCoding {
  system?: string
  code?: string
  display?: string
}

/** The organisation that booked, as its contained Organization said (GP Connect booking organisation). */
export interface BookingOrganisation {
  ods: string
  name: string
  telecom: { system?: string; value?: string; use?: string }[]
  /** Organisation type codings, when the booking sent them. */
  type?: { coding?: { system?: string; code?: string; display?: string }[]; text?: string }[]
}

/** What one booking of a slot holds: the appointment, apart from what the slot itself says. */
export interface Booking {
  /** The slot's booking number: the appointment id is `<slot id>.<n>`. */
  n: number
  /** The client's X-Request-ID (or the generated one): a retry of the same request finds its booking. */
  requestId: string
  bookingOrganisation: BookingOrganisation
  nhsNumber: string
  /** PDS S-flag at booking time: the booking organisation is then shown to the booker only. */
  restricted: boolean
  description: string
  comment?: string
  /** ISO instants. */
  created: string
  lastUpdated: string
  /** The appointment's version (ETag `W/"<version>"`): 1 when booked, +1 per amendment or cancellation. */
  version: number
  /** AppointmentBooked reached the follow-up consumer; until then a reader may publish it again. */
  announced?: boolean
  /** Set when cancelled; the slot is released once the cancelled appointment is saved on its own. */
  cancellation?: { reason: string; at: string; byOds: string }
}

/** One slot of a schedule, with what it took from its schedule when published. */
export interface SlotRecord {
  /** `<ODS>.<schedule's publisher id>.<start, UTC yyyymmddhhmm>` */
  id: string
  hostOds: string
  /** `<ODS>.<publisher's schedule id>` */
  scheduleId: string
  /** ISO instants (UTC). */
  start: string
  end: string
  serviceType: string
  deliveryChannel?: DeliveryChannel
  serviceCategory?: string
  practitionerId?: string
  practitionerRole?: RoleCoding
  locationId: string
  status: 'free' | 'busy'
  /** How many times the slot has been booked (cancelled bookings included). */
  bookings: number
  /** The Slot's own version (its ETag): changes with every booking, release and republication. */
  version: number
  publishedAt: string
  booking?: Booking
}

/** What a booking says of its slot (ISO instants), checked by the booking's conditional write. */
export interface SlotExpectation {
  start: string
  end: string
  locationId: string
  /** Checked when the booking names a practitioner. */
  practitionerId?: string
}

/** What the slot-level fields of a republished slot are compared on. */
export type SlotContent = Omit<SlotRecord, 'status' | 'bookings' | 'version' | 'publishedAt' | 'booking'>

/** An appointment as stored: the slot it is on (as booked) and its booking. */
export interface StoredAppointment {
  slot: SlotRecord
  booking: Booking
  /** True while the booking is the slot's current one; false once cancelled and released. */
  onSlot: boolean
}

export type PublishOutcome = 'created' | 'updated' | 'unchanged' | 'booked'

export interface SlotPage {
  slots: SlotRecord[]
  /** The sort position after the last slot, when more may follow. */
  next?: string
}

/**
 * The ICS's appointment book: published reference resources, slots and their bookings.
 * Every change is one conditional write on one item; the slot item carries its current
 * booking, so a slot is never booked without its appointment, nor an appointment on a
 * free slot.
 */
export interface AppointmentBook {
  saveResources(resources: PublishedResource[]): Promise<void>
  resources(keys: Pick<PublishedResource, 'hostOds' | 'type' | 'id'>[]): Promise<PublishedResource[]>
  /** Every slot of a schedule starting in [from, to] (ISO), read consistently. */
  slotsOfSchedule(scheduleId: string, from: string, to: string): Promise<SlotRecord[]>
  /** Creates the slot, or updates it while free; a booked slot is left as it is (`booked`). */
  publishSlot(slot: SlotRecord): Promise<PublishOutcome>

  /**
   * Free slots (and slots whose cancellation is unfinished) of one organisation, starting in
   * [from, to], ending by `endBy` when given, in start order; at most `limit`, after `after`.
   */
  openSlots(
    hostOds: string,
    window: { from: string; to: string; endBy?: string },
    page: { limit: number; after?: string },
  ): Promise<SlotPage>

  /** A slot read consistently, with its current booking. */
  slot(slotId: string): Promise<SlotRecord | undefined>
  /**
   * Books a free slot whose booking number is `booking.n - 1` and which is what `expected`
   * says (one conditional write): the booked slot when this booking won, undefined when the
   * slot is missing, not free, booked and released since, or not as expected.
   */
  book(slotId: string, booking: Booking, expected: SlotExpectation): Promise<SlotRecord | undefined>
  /** The appointment `<slot id>.<n>`, current or cancelled, read consistently. */
  appointment(slotId: string, n: number): Promise<StoredAppointment | undefined>
  /** Changes description and comment; false when the version moved on or the booking is cancelled. */
  amend(
    slotId: string,
    n: number,
    expectedVersion: number,
    text: { description: string; comment?: string },
    now: string,
  ): Promise<boolean>
  /** Records the cancellation on the slot's booking (the decision); false when the version moved on. */
  cancel(
    slotId: string,
    n: number,
    expectedVersion: number,
    cancellation: NonNullable<Booking['cancellation']>,
    now: string,
  ): Promise<boolean>
  /** Saves a cancelled appointment as its own item (idempotent): its record outlives the booking. */
  saveCancelled(appointment: StoredAppointment): Promise<void>
  /** Frees a slot whose booking `n` was cancelled and saved; false when it was already free. */
  release(slotId: string, n: number, now: string): Promise<boolean>
  /** Notes that AppointmentBooked for booking `n` reached the follow-up consumer. */
  markAnnounced(slotId: string, n: number): Promise<void>
  /** A patient's appointments starting in [from, to] (ISO), booked and cancelled, in start order. */
  appointmentsOf(nhsNumber: string, from: string, to: string): Promise<StoredAppointment[]>

  /** Notes that an organisation publishes slots, up to `lastEnd` (ISO); keeps the latest. */
  recordPublisher(hostOds: string, lastEnd: string): Promise<void>
  /** The organisations that publish slots here, with the end of their latest slot. */
  publishers(): Promise<{ hostOds: string; lastEnd: string }[]>
}

/** The slot id of a schedule and start: `<schedule id>.<UTC yyyymmddhhmm>`. */
export function slotIdOf(scheduleId: string, start: string): string {
  return `${scheduleId}.${start.slice(0, 16).replace(/[-T:]/g, '')}`
}

/** The parts of a slot id, or undefined when it is not one of this stack's slot ids. */
export function parseSlotId(
  slotId: string,
): { hostOds: string; scheduleId: string; start: string } | undefined {
  const match = /^([A-Z0-9]{3,6})\.([A-Za-z0-9-]{1,32})\.(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})$/.exec(slotId)
  if (!match) return undefined
  const [, ods, local, year, month, day, hour, minute] = match as unknown as string[]
  const start = `${year}-${month}-${day}T${hour}:${minute}:00.000Z`
  if (Number.isNaN(Date.parse(start)) || new Date(start).toISOString() !== start) return undefined
  return { hostOds: ods!, scheduleId: `${ods}.${local}`, start }
}

/** The appointment id of booking `n` of a slot. */
export function appointmentIdOf(slotId: string, n: number): string {
  return `${slotId}.${n}`
}

/** The slot and booking number of an appointment id, or undefined when it is not one of ours. */
export function parseAppointmentId(appointmentId: string): { slotId: string; n: number } | undefined {
  const match = /^(.+)\.(\d{1,5})$/.exec(appointmentId)
  if (!match || !parseSlotId(match[1]!)) return undefined
  const n = Number(match[2])
  return n >= 1 && String(n) === match[2] ? { slotId: match[1]!, n } : undefined
}
