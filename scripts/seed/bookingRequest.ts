import { BOOKING_ORGANISATION_URL } from '../../schemas/fhir/Appointment'
import { ODS_CODE_SYSTEM } from '../../schemas/fhir/identifiers'

/** Who books, as a GP Connect consumer names itself in the booking's contained Organization. */
export interface Booker {
  ods: string
  name: string
  telephone: string
}

/** The demo ICS's urgent care service, which books follow-ups at the practices. */
export const DEMO_BOOKER: Booker = { ods: 'NX001', name: 'Demo Urgent Care', telephone: '0300 303 5678' }

/**
 * A GP-Connect-style booking (`POST /Appointment`): the slot, the patient and the slot's
 * places as participants, the booking organisation contained and named by its extension.
 * The one builder the seed, the docs, the bench and the tests book with.
 */
export function bookingRequest(booking: {
  slot: { id: string; start: string; end: string }
  patient: string
  /** The participants other than the patient, as references (`Location/…`, `Practitioner/…`). */
  places: string[]
  bookedBy?: Booker
  description?: string
  comment?: string
}) {
  const bookedBy = booking.bookedBy ?? DEMO_BOOKER
  return {
    resourceType: 'Appointment',
    status: 'booked',
    description: booking.description ?? 'Follow-up',
    ...(booking.comment !== undefined ? { comment: booking.comment } : {}),
    start: booking.slot.start,
    end: booking.slot.end,
    slot: [{ reference: `Slot/${booking.slot.id}` }],
    contained: [
      {
        resourceType: 'Organization',
        id: '1',
        identifier: [{ system: ODS_CODE_SYSTEM, value: bookedBy.ods }],
        name: bookedBy.name,
        telecom: [{ system: 'phone', value: bookedBy.telephone }],
      },
    ],
    extension: [{ url: BOOKING_ORGANISATION_URL, valueReference: { reference: '#1' } }],
    participant: [
      { actor: { reference: `Patient/${booking.patient}` }, status: 'accepted' },
      ...booking.places.map((reference) => ({ actor: { reference }, status: 'accepted' })),
    ],
  }
}
