import type { Appointment } from '../../schemas/fhir/Appointment'
import { BOOKING_ORGANISATION_URL } from '../../schemas/fhir/Appointment'
import { NHS_NUMBER_SYSTEM, ODS_CODE_SYSTEM } from '../../schemas/fhir/identifiers'
import {
  DELIVERY_CHANNEL_URL,
  ORGANISATION_TYPE_SYSTEM,
  PRACTITIONER_ROLE_URL,
  type Slot,
} from '../../schemas/fhir/Scheduling'
import type { IcsMember } from '../../schemas/ics-config'
import {
  appointmentIdOf,
  type Booking,
  type SlotRecord,
  type StoredAppointment,
} from '../shared/appointments/AppointmentBook'
import { ukDateTime } from '../shared/time'

/** The id of the contained booking Organization (GP Connect's examples use "1"). */
export const BOOKING_ORGANISATION_ID = '1'

/** GP Connect organisation types this ICS's roles map to; other roles carry no type. */
const ORGANISATION_TYPES: Partial<Record<IcsMember['role'], string>> = {
  'gp-practice': 'gp-practice',
  'urgent-care': 'urgent-care',
}

const uk = (iso: string) => ukDateTime(new Date(iso))

/** The FHIR R4 Slot of a slot record. */
export function slotResource(slot: SlotRecord): Slot {
  return {
    resourceType: 'Slot',
    id: slot.id,
    meta: { versionId: String(slot.version), lastUpdated: uk(slot.publishedAt) },
    ...(slot.deliveryChannel
      ? { extension: [{ url: DELIVERY_CHANNEL_URL, valueCode: slot.deliveryChannel }] }
      : {}),
    serviceType: [{ text: slot.serviceType }],
    schedule: { reference: `Schedule/${slot.scheduleId}` },
    status: slot.status === 'free' ? 'free' : 'busy',
    start: uk(slot.start),
    end: uk(slot.end),
  }
}

/** An ICS member as an R4 Organization (GP Connect includes one with every slot search). */
export function organizationResource(member: IcsMember): Record<string, unknown> {
  const type = ORGANISATION_TYPES[member.role]
  return {
    resourceType: 'Organization',
    id: member.ods,
    identifier: [{ system: ODS_CODE_SYSTEM, value: member.ods }],
    ...(type ? { type: [{ coding: [{ system: ORGANISATION_TYPE_SYSTEM, code: type }] }] } : {}),
    name: member.name,
  }
}

function bookingOrganisationResource(booking: Booking): { resourceType: string; [key: string]: unknown } {
  const organisation = booking.bookingOrganisation
  return {
    resourceType: 'Organization',
    id: BOOKING_ORGANISATION_ID,
    identifier: [{ system: ODS_CODE_SYSTEM, value: organisation.ods }],
    ...(organisation.type ? { type: organisation.type } : {}),
    name: organisation.name,
    telecom: organisation.telecom,
  }
}

/**
 * Whether `viewerOds` may see who booked: always, unless the patient is restricted (PDS
 * S-flag) and the viewer is not the booking organisation itself. The booker of a restricted
 * patient's appointment may be their GP practice, which PDS hides from everyone else
 * (DESIGN.md, "Who may see what").
 */
export function showsBookingOrganisation(booking: Booking, viewerOds: string): boolean {
  return !booking.restricted || booking.bookingOrganisation.ods === viewerOds
}

/** The FHIR R4 Appointment of a stored appointment, as `viewerOds` may see it. */
export function appointmentResource(stored: StoredAppointment, viewerOds: string): Appointment {
  const { slot, booking } = stored
  const showBooker = showsBookingOrganisation(booking, viewerOds)
  const extension = [
    ...(showBooker
      ? [{ url: BOOKING_ORGANISATION_URL, valueReference: { reference: `#${BOOKING_ORGANISATION_ID}` } }]
      : []),
    ...(slot.practitionerRole
      ? [{ url: PRACTITIONER_ROLE_URL, valueCodeableConcept: { coding: [slot.practitionerRole] } }]
      : []),
    ...(slot.deliveryChannel ? [{ url: DELIVERY_CHANNEL_URL, valueCode: slot.deliveryChannel }] : []),
  ]
  return {
    resourceType: 'Appointment',
    id: appointmentIdOf(slot.id, booking.n),
    meta: { versionId: String(booking.version), lastUpdated: uk(booking.lastUpdated) },
    ...(showBooker ? { contained: [bookingOrganisationResource(booking)] } : {}),
    ...(extension.length ? { extension } : {}),
    status: booking.cancellation ? 'cancelled' : 'booked',
    ...(booking.cancellation ? { cancelationReason: { text: booking.cancellation.reason } } : {}),
    ...(slot.serviceCategory ? { serviceCategory: [{ text: slot.serviceCategory }] } : {}),
    serviceType: [{ text: slot.serviceType }],
    description: booking.description,
    start: uk(slot.start),
    end: uk(slot.end),
    slot: [{ reference: `Slot/${slot.id}` }],
    created: uk(booking.created),
    ...(booking.comment !== undefined ? { comment: booking.comment } : {}),
    participant: [
      {
        actor: {
          reference: `Patient/${booking.nhsNumber}`,
          identifier: { system: NHS_NUMBER_SYSTEM, value: booking.nhsNumber },
        },
        status: 'accepted',
      },
      { actor: { reference: `Location/${slot.locationId}` }, status: 'accepted' },
      ...(slot.practitionerId
        ? [{ actor: { reference: `Practitioner/${slot.practitionerId}` }, status: 'accepted' }]
        : []),
    ],
  }
}

/** The weak ETag of an appointment version (GP Connect: `W/"<versionId>"`). */
export function etagOf(version: number | string): string {
  return `W/"${version}"`
}
