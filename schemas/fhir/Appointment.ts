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

const Participant = /* @__PURE__ */ z.strictObject({
  actor: /* @__PURE__ */ z.optional(Reference),
  status: /* @__PURE__ */ z.optional(/* @__PURE__ */ z.string()),
  required: /* @__PURE__ */ z.optional(/* @__PURE__ */ z.string()),
})

/**
 * The elements a GP-Connect-style Appointment may carry, in R4. Anything else (`reason`,
 * `specialty`, `priority`, a participant `type`, …) is refused with 422 INVALID_RESOURCE,
 * as GP Connect's provider assurance tests expect.
 */
const appointmentShape = {
  resourceType: /* @__PURE__ */ z.literal('Appointment'),
  id: /* @__PURE__ */ z.optional(/* @__PURE__ */ z.string()),
  meta: /* @__PURE__ */ z.optional(/* @__PURE__ */ z.looseObject({})),
  text: /* @__PURE__ */ z.optional(/* @__PURE__ */ z.looseObject({})),
  language: /* @__PURE__ */ z.optional(/* @__PURE__ */ z.string()),
  contained: /* @__PURE__ */ z.optional(
    /* @__PURE__ */ z.array(/* @__PURE__ */ z.looseObject({ resourceType: /* @__PURE__ */ z.string() })),
  ),
  extension: /* @__PURE__ */ z.optional(/* @__PURE__ */ z.array(Extension)),
  identifier: /* @__PURE__ */ z.optional(/* @__PURE__ */ z.array(Identifier)),
  status: /* @__PURE__ */ z.string(),
  cancelationReason: /* @__PURE__ */ z.optional(CodeableConcept),
  serviceCategory: /* @__PURE__ */ z.optional(/* @__PURE__ */ z.array(CodeableConcept)),
  serviceType: /* @__PURE__ */ z.optional(/* @__PURE__ */ z.array(CodeableConcept)),
  description: /* @__PURE__ */ z.optional(/* @__PURE__ */ z.string()),
  start: /* @__PURE__ */ z.optional(/* @__PURE__ */ z.string()),
  end: /* @__PURE__ */ z.optional(/* @__PURE__ */ z.string()),
  minutesDuration: /* @__PURE__ */ z.optional(/* @__PURE__ */ z.number()),
  slot: /* @__PURE__ */ z.optional(/* @__PURE__ */ z.array(Reference)),
  created: /* @__PURE__ */ z.optional(/* @__PURE__ */ z.string()),
  comment: /* @__PURE__ */ z.optional(/* @__PURE__ */ z.string()),
  participant: /* @__PURE__ */ z.array(Participant),
}

/** An Appointment as a consumer sends it to book, amend or cancel (structure only; the rules are in the domain). */
export const AppointmentRequest = /* @__PURE__ */ z.strictObject(appointmentShape)
export type AppointmentRequest = z.infer<typeof AppointmentRequest>

/**
 * FHIR R4 Appointment as this API answers it. `z.extend` rather than a spread of the shape:
 * esbuild must keep an object spread (it could run getters), which would keep this schema,
 * and zod, in every bundle that imports a constant from this module.
 */
export const Appointment = /* @__PURE__ */ z.extend(/* @__PURE__ */ z.looseObject(appointmentShape), {
  id: /* @__PURE__ */ z.string(),
  meta: /* @__PURE__ */ z.looseObject({
    versionId: /* @__PURE__ */ z.string(),
    lastUpdated: /* @__PURE__ */ z.optional(/* @__PURE__ */ z.string()),
  }),
  status: /* @__PURE__ */ z.enum(['booked', 'cancelled']),
  participant: /* @__PURE__ */ z.array(
    /* @__PURE__ */ z.looseObject({ actor: Reference, status: /* @__PURE__ */ z.string() }),
  ),
})
export type Appointment = z.infer<typeof Appointment>

/**
 * The array elements this stack reads from a practice's Appointment (GP Connect pass-through),
 * checked once where the practice's answer is mapped: an answer of another shape is treated
 * as no Appointment (the practice's error), never read into a TypeError and a 500.
 */
export const PracticeAppointmentShape = /* @__PURE__ */ z.looseObject({
  contained: appointmentShape.contained,
  extension: appointmentShape.extension,
  identifier: appointmentShape.identifier,
  slot: appointmentShape.slot,
  // Looser than a request's participant (a practice may add elements), but its actor is a Reference.
  participant: /* @__PURE__ */ z.array(
    /* @__PURE__ */ z.looseObject({ actor: /* @__PURE__ */ z.optional(Reference) }),
  ),
})
