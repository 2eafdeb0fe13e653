import * as z from 'zod/mini'
import { CodeableConcept, Extension, Identifier, Reference } from './datatypes'

/** GP Connect: the organisation that booked the appointment, a reference to a contained Organization. */
export const BOOKING_ORGANISATION_URL =
  'https://fhir.nhs.uk/STU3/StructureDefinition/Extension-GPConnect-BookingOrganisation-1'
/** GP Connect's STU3 cancellation reason; R4 has `Appointment.cancelationReason`, which this API answers with. */
export const CANCELLATION_REASON_URL =
  'https://fhir.nhs.uk/STU3/StructureDefinition/Extension-GPConnect-AppointmentCancellationReason-1'

/** GP Connect: consumers impose these limits and providers refuse longer text. */
export const MAX_DESCRIPTION = 100
export const MAX_COMMENT = 500
/** Longest cancellation reason stored (GP Connect sets none; providers may truncate, this one refuses). */
export const MAX_CANCELLATION_REASON = 500

const Participant = z.strictObject({
  actor: z.optional(Reference),
  status: z.optional(z.string()),
  required: z.optional(z.string()),
})

/**
 * The elements a GP-Connect-style Appointment may carry, in R4. Anything else (`reason`,
 * `specialty`, `priority`, a participant `type`, …) is refused with 422 INVALID_RESOURCE,
 * as GP Connect's provider assurance tests expect.
 */
const appointmentShape = {
  resourceType: z.literal('Appointment'),
  id: z.optional(z.string()),
  meta: z.optional(z.looseObject({})),
  text: z.optional(z.looseObject({})),
  language: z.optional(z.string()),
  contained: z.optional(z.array(z.looseObject({ resourceType: z.string() }))),
  extension: z.optional(z.array(Extension)),
  identifier: z.optional(z.array(Identifier)),
  status: z.string(),
  cancelationReason: z.optional(CodeableConcept),
  serviceCategory: z.optional(z.array(CodeableConcept)),
  serviceType: z.optional(z.array(CodeableConcept)),
  description: z.optional(z.string()),
  start: z.optional(z.string()),
  end: z.optional(z.string()),
  minutesDuration: z.optional(z.number()),
  slot: z.optional(z.array(Reference)),
  created: z.optional(z.string()),
  comment: z.optional(z.string()),
  participant: z.array(Participant),
}

/** An Appointment as a consumer sends it to book, amend or cancel (structure only; the rules are in the domain). */
export const AppointmentRequest = z.strictObject(appointmentShape)
export type AppointmentRequest = z.infer<typeof AppointmentRequest>

/** FHIR R4 Appointment as this API answers it. */
export const Appointment = z.looseObject({
  ...appointmentShape,
  id: z.string(),
  meta: z.looseObject({ versionId: z.string(), lastUpdated: z.optional(z.string()) }),
  status: z.enum(['booked', 'cancelled']),
  participant: z.array(z.looseObject({ actor: Reference, status: z.string() })),
})
export type Appointment = z.infer<typeof Appointment>
