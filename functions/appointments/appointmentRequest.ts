import * as z from 'zod/mini'
import {
  AppointmentRequest,
  BOOKING_ORGANISATION_URL,
  CANCELLATION_REASON_URL,
  MAX_CANCELLATION_REASON,
  MAX_COMMENT,
  MAX_DESCRIPTION,
} from '../../schemas/fhir/Appointment'
import { isValidNhsNumber, NHS_NUMBER_SYSTEM, ODS_CODE_SYSTEM } from '../../schemas/fhir/identifiers'
import type { BookingOrganisation } from '../shared/appointments/AppointmentBook'
import { FhirError } from '../shared/errors'
import { parseUkDateTime } from '../shared/time'

/** What a consumer's Appointment says, checked against GP Connect's rules for its elements. */
export interface AppointmentFacts {
  id?: string
  status: string
  slotIds: string[]
  start?: Date
  end?: Date
  nhsNumber: string
  locationId: string
  practitionerId?: string
  bookingOrganisation?: BookingOrganisation
  description?: string
  comment?: string
  cancellationReason?: string
}

const invalid = (diagnostics: string) => new FhirError('INVALID_RESOURCE', diagnostics)

/** Length in characters as a person counts them (code points), not UTF-16 units. */
export const characters = (text: string) => [...text].length

/** The id named by a relative reference `Type/<id>`, or undefined. */
function referenced(reference: string | undefined, type: string): string | undefined {
  const match = new RegExp(`^${type}/([A-Za-z0-9.-]{1,64})$`).exec(reference ?? '')
  return match?.[1]
}

/**
 * Reads a GP-Connect-style Appointment (R4): the structure (unknown elements such as
 * `reason`, `specialty` or `priority` are 422 INVALID_RESOURCE, as GP Connect's assurance
 * tests expect), one patient and one location participant each with a status, relative
 * references only, description of at most 100 characters and comment of at most 500, and
 * the booking organisation as an extension referencing a contained Organization with its
 * ODS code, name and telecom.
 */
export function appointmentFactsOf(body: unknown): AppointmentFacts {
  const parsed = AppointmentRequest.safeParse(body)
  if (!parsed.success) {
    const where = [
      ...new Set(parsed.error.issues.slice(0, 5).map((issue) => issue.path.join('.') || 'resource')),
    ]
    throw invalid(`The Appointment is missing or has invalid or unsupported elements: ${where.join(', ')}`)
  }
  const appointment = parsed.data
  const slotIds = (appointment.slot ?? []).map((slot, index) => {
    const id = referenced(slot.reference, 'Slot')
    if (!id) throw invalid(`slot[${index}] must be a relative reference Slot/<id>`)
    return id
  })

  let nhsNumber: string | undefined
  let locationId: string | undefined
  let practitionerId: string | undefined
  appointment.participant.forEach((participant, index) => {
    const where = `participant[${index}]`
    if (!participant.status) throw invalid(`${where}.status is required`)
    const actor = participant.actor
    if (!actor) throw invalid(`${where}.actor is required`)
    const reference = actor.reference
    if (reference?.startsWith('Patient/') || actor.identifier?.system === NHS_NUMBER_SYSTEM) {
      if (nhsNumber !== undefined) throw invalid('The Appointment may have one patient participant only')
      const fromReference = reference !== undefined ? referenced(reference, 'Patient') : undefined
      if (reference !== undefined && !fromReference)
        throw invalid(`${where}.actor must be a relative reference`)
      const fromIdentifier =
        actor.identifier?.system === NHS_NUMBER_SYSTEM ? actor.identifier.value : undefined
      if (fromReference && fromIdentifier && fromReference !== fromIdentifier) {
        throw invalid(`${where}.actor names two different patients`)
      }
      nhsNumber = fromReference ?? fromIdentifier ?? ''
      if (!isValidNhsNumber(nhsNumber)) {
        throw new FhirError(
          'INVALID_NHS_NUMBER',
          `${where}.actor must name the patient by a valid NHS number`,
        )
      }
    } else if (reference?.startsWith('Location/')) {
      if (locationId !== undefined) throw invalid('The Appointment may have one location participant only')
      locationId = referenced(reference, 'Location')
      if (!locationId) throw invalid(`${where}.actor must be a relative reference Location/<id>`)
    } else if (reference?.startsWith('Practitioner/')) {
      if (practitionerId !== undefined)
        throw invalid('The Appointment may have one practitioner participant only')
      practitionerId = referenced(reference, 'Practitioner')
      if (!practitionerId) throw invalid(`${where}.actor must be a relative reference Practitioner/<id>`)
    } else {
      throw invalid(`${where}.actor must reference a Patient, a Location or a Practitioner`)
    }
  })
  if (nhsNumber === undefined) throw invalid('The Appointment needs a patient participant')
  if (locationId === undefined) throw invalid('The Appointment needs a location participant')

  const time = (value: string | undefined, name: 'start' | 'end') => {
    if (value === undefined) return undefined
    const instant = parseUkDateTime(value)
    if (!instant) {
      throw invalid(`${name} must be a UK local time with its offset (+00:00 in GMT, +01:00 in BST)`)
    }
    return instant
  }
  if (appointment.description !== undefined && characters(appointment.description) > MAX_DESCRIPTION) {
    throw invalid(`description is longer than ${MAX_DESCRIPTION} characters`)
  }
  if (appointment.comment !== undefined && characters(appointment.comment) > MAX_COMMENT) {
    throw invalid(`comment is longer than ${MAX_COMMENT} characters`)
  }

  const bookingExtensions = (appointment.extension ?? []).filter(
    (extension) => extension.url === BOOKING_ORGANISATION_URL,
  )
  if (bookingExtensions.length > 1) throw invalid('The booking organisation extension appears more than once')
  let bookingOrganisation: BookingOrganisation | undefined
  if (bookingExtensions[0]) {
    const reference = (bookingExtensions[0].valueReference as { reference?: unknown } | undefined)?.reference
    if (typeof reference !== 'string' || !reference.startsWith('#')) {
      throw invalid('The booking organisation extension must reference a contained Organization (#id)')
    }
    const contained = (appointment.contained ?? []).find(
      (resource) => resource.resourceType === 'Organization' && resource.id === reference.slice(1),
    )
    if (!contained) throw invalid(`No contained Organization has the id ${reference.slice(1, 40)}`)
    bookingOrganisation = bookingOrganisationOf(contained)
  }

  const reasons = [
    appointment.cancelationReason?.text ?? appointment.cancelationReason?.coding?.[0]?.display,
    ...(appointment.extension ?? [])
      .filter((extension) => extension.url === CANCELLATION_REASON_URL)
      .map((extension) => (typeof extension.valueString === 'string' ? extension.valueString : '')),
  ].filter((reason): reason is string => reason !== undefined)
  const cancellationReason = reasons.find((reason) => reason.trim() !== '')
  if (cancellationReason !== undefined && characters(cancellationReason) > MAX_CANCELLATION_REASON) {
    throw invalid(`The cancellation reason is longer than ${MAX_CANCELLATION_REASON} characters`)
  }
  return {
    ...(appointment.id !== undefined ? { id: appointment.id } : {}),
    status: appointment.status,
    slotIds,
    ...(appointment.start !== undefined ? { start: time(appointment.start, 'start') } : {}),
    ...(appointment.end !== undefined ? { end: time(appointment.end, 'end') } : {}),
    nhsNumber,
    locationId,
    ...(practitionerId ? { practitionerId } : {}),
    ...(bookingOrganisation ? { bookingOrganisation } : {}),
    ...(appointment.description !== undefined ? { description: appointment.description } : {}),
    ...(appointment.comment !== undefined ? { comment: appointment.comment } : {}),
    ...(reasons.length ? { cancellationReason: cancellationReason ?? '' } : {}),
  }
}

const Short = /* @__PURE__ */ z
  .string()
  .check(/* @__PURE__ */ z.minLength(1), /* @__PURE__ */ z.maxLength(200))
const ContainedOrganization = /* @__PURE__ */ z.looseObject({
  identifier: /* @__PURE__ */ z.array(
    /* @__PURE__ */ z.looseObject({
      system: /* @__PURE__ */ z.optional(/* @__PURE__ */ z.string()),
      value: /* @__PURE__ */ z.optional(/* @__PURE__ */ z.string()),
    }),
  ),
  name: Short,
  telecom: /* @__PURE__ */ z
    .array(
      /* @__PURE__ */ z.looseObject({
        system: /* @__PURE__ */ z.optional(Short),
        value: Short,
        use: /* @__PURE__ */ z.optional(Short),
      }),
    )
    .check(/* @__PURE__ */ z.minLength(1), /* @__PURE__ */ z.maxLength(5)),
  type: /* @__PURE__ */ z.optional(
    /* @__PURE__ */ z
      .array(
        /* @__PURE__ */ z.looseObject({
          coding: /* @__PURE__ */ z.optional(
            /* @__PURE__ */ z
              .array(
                /* @__PURE__ */ z.looseObject({
                  system: /* @__PURE__ */ z.optional(Short),
                  code: /* @__PURE__ */ z.optional(Short),
                  display: /* @__PURE__ */ z.optional(Short),
                }),
              )
              .check(/* @__PURE__ */ z.maxLength(3)),
          ),
          text: /* @__PURE__ */ z.optional(Short),
        }),
      )
      .check(/* @__PURE__ */ z.maxLength(3)),
  ),
})

/** GP Connect: the contained booking Organization carries its ODS code, a name and a telecom. */
function bookingOrganisationOf(contained: Record<string, unknown>): BookingOrganisation {
  const parsed = ContainedOrganization.safeParse(contained)
  if (!parsed.success) {
    throw invalid('The booking Organization needs an identifier with its ODS code, a name and a telecom')
  }
  const organisation = parsed.data
  const ods = organisation.identifier.find((identifier) => identifier.system === ODS_CODE_SYSTEM)?.value
  if (ods === undefined || !/^[A-Z0-9]{3,6}$/.test(ods)) {
    throw invalid('The booking Organization needs an identifier with its ODS code')
  }
  // Only the elements this API shows again are kept.
  return {
    ods,
    name: organisation.name,
    telecom: organisation.telecom.map(({ system, value, use }) => ({ system, value, use })),
    ...(organisation.type
      ? {
          type: organisation.type.map(({ coding, text }) => ({
            ...(coding
              ? { coding: coding.map(({ system, code, display }) => ({ system, code, display })) }
              : {}),
            ...(text ? { text } : {}),
          })),
        }
      : {}),
  }
}
