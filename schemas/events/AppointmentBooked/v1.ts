import * as z from 'zod/mini'
import { NhsNumber, OdsCode } from '../../fhir/identifiers'

export const appointmentFacts = {
  appointmentId: /* @__PURE__ */ z
    .string()
    .check(/* @__PURE__ */ z.minLength(1), /* @__PURE__ */ z.maxLength(64)),
  slotId: /* @__PURE__ */ z.string().check(/* @__PURE__ */ z.minLength(1), /* @__PURE__ */ z.maxLength(64)),
  nhsNumber: NhsNumber,
  /** The organisation where the appointment takes place: it now holds an appointment record. */
  hostOds: OdsCode,
  /** The organisation that booked it. */
  bookingOds: OdsCode,
  /** UK local time with offset, as the Appointment shows it. */
  start: z.iso.datetime({ offset: true }),
  end: z.iso.datetime({ offset: true }),
  /**
   * The patient is PDS S-flagged: a consumer must not show `hostOds` or `bookingOds` (either
   * may be their practice) to an organisation PDS lookup would hide the practice from.
   */
  restricted: /* @__PURE__ */ z.boolean(),
}

/** AppointmentBooked v1 data, as producers write it: a slot was booked for a patient. */
export const AppointmentBookedV1 = /* @__PURE__ */ z.strictObject(appointmentFacts)
/** AppointmentBooked v1 data, as consumers read it. */
export const AppointmentBookedV1Tolerant = /* @__PURE__ */ z.looseObject(appointmentFacts)
export type AppointmentBookedV1 = z.infer<typeof AppointmentBookedV1Tolerant>
