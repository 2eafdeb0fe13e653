import * as z from 'zod/mini'
import { OdsCode } from '../../fhir/identifiers'
import { appointmentFacts } from '../AppointmentBooked/v1'

const shape = {
  ...appointmentFacts,
  /** The organisation that cancelled it (the booking or the hosting organisation). */
  cancelledByOds: OdsCode,
}

/**
 * AppointmentCancelled v1 data, as producers write it: a booked appointment was cancelled
 * and its slot is free again. The free-text reason stays in the Appointment (it may name
 * the patient's circumstances); the event carries facts only.
 */
export const AppointmentCancelledV1 = /* @__PURE__ */ z.strictObject(shape)
/** AppointmentCancelled v1 data, as consumers read it. */
export const AppointmentCancelledV1Tolerant = /* @__PURE__ */ z.looseObject(shape)
export type AppointmentCancelledV1 = z.infer<typeof AppointmentCancelledV1Tolerant>
