import * as z from 'zod/mini'
import {
  Address,
  CodeableConcept,
  ContactPoint,
  Extension,
  HumanName,
  Identifier,
  Period,
  Reference,
} from './datatypes'

/**
 * Slots, Schedules and the resources they reference, in R4, with GP Connect's extensions.
 * GP Connect Appointment Management 1.6 is STU3; its extension URLs and code systems are
 * kept as they are (they are identifiers), and STU3 single elements become R4 arrays
 * (`Schedule.serviceCategory`, `Location.telecom`).
 */

/** GP Connect: the delivery channel of a slot or appointment (In-person, Telephone, Video). */
export const DELIVERY_CHANNEL_URL =
  'https://fhir.nhs.uk/STU3/StructureDefinition/Extension-GPConnect-DeliveryChannel-2'
/** GP Connect: the practitioner role of a schedule or appointment (SDS job role). */
export const PRACTITIONER_ROLE_URL =
  'https://fhir.nhs.uk/STU3/StructureDefinition/Extension-GPConnect-PractitionerRole-1'
/** SDS job role names, the code system of the practitioner role extension. */
export const SDS_JOB_ROLE_SYSTEM = 'https://fhir.nhs.uk/STU3/CodeSystem/CareConnect-SDSJobRoleName-1'
/** GP Connect organisation types (gp-practice, urgent-care, …). */
export const ORGANISATION_TYPE_SYSTEM = 'https://fhir.nhs.uk/STU3/CodeSystem/GPConnect-OrganisationType-1'
/** SDS user ids of practitioners. */
export const SDS_USER_ID_SYSTEM = 'https://fhir.nhs.uk/Id/sds-user-id'

export const DELIVERY_CHANNELS = ['In-person', 'Telephone', 'Video'] as const
export type DeliveryChannel = (typeof DELIVERY_CHANNELS)[number]

/** The publisher's own id of a Schedule, Practitioner or Location (the stack prefixes it with the ODS code). */
export const LocalId = z.string().check(z.regex(/^[A-Za-z0-9-]{1,32}$/, 'letters, digits and -, at most 32'))

const Text = (max: number) => z.string().check(z.minLength(1), z.maxLength(max))
const ConceptWithText = z.looseObject({
  text: Text(200),
  coding: z.optional(
    z.array(z.looseObject({ system: z.optional(z.string()), code: z.optional(z.string()) })),
  ),
})
const ReferenceOnly = z.strictObject({ reference: Text(200), display: z.optional(Text(200)) })
const AnyMeta = z.optional(z.looseObject({}))

/** A Slot as a publisher sends it: free, in UK local time with its offset, of one Schedule. */
export const PublishedSlot = z.strictObject({
  resourceType: z.literal('Slot'),
  /** The publisher's own id; ignored: a slot is known by its schedule and start. */
  id: z.optional(z.string().check(z.maxLength(64))),
  meta: AnyMeta,
  extension: z.optional(z.array(Extension).check(z.maxLength(10))),
  serviceType: z.array(ConceptWithText).check(z.minLength(1), z.maxLength(5)),
  schedule: ReferenceOnly,
  status: z.literal('free'),
  start: Text(40),
  end: Text(40),
})
export type PublishedSlot = z.infer<typeof PublishedSlot>

/** A Schedule as a publisher sends it: who (practitioner or role) and where (a Location), of what kind. */
export const PublishedSchedule = z.strictObject({
  resourceType: z.literal('Schedule'),
  id: LocalId,
  meta: AnyMeta,
  active: z.optional(z.boolean()),
  extension: z.optional(z.array(Extension).check(z.maxLength(10))),
  serviceCategory: z.optional(z.array(ConceptWithText).check(z.maxLength(5))),
  serviceType: z.optional(z.array(ConceptWithText).check(z.maxLength(5))),
  actor: z.array(ReferenceOnly).check(z.minLength(1), z.maxLength(5)),
  planningHorizon: z.optional(Period),
})
export type PublishedSchedule = z.infer<typeof PublishedSchedule>

export const PublishedPractitioner = z.strictObject({
  resourceType: z.literal('Practitioner'),
  id: LocalId,
  meta: AnyMeta,
  identifier: z.optional(z.array(Identifier).check(z.maxLength(5))),
  name: z.array(HumanName).check(z.minLength(1), z.maxLength(3)),
  gender: z.optional(z.enum(['male', 'female', 'other', 'unknown'])),
})
export type PublishedPractitioner = z.infer<typeof PublishedPractitioner>

export const PublishedLocation = z.strictObject({
  resourceType: z.literal('Location'),
  id: LocalId,
  meta: AnyMeta,
  name: Text(200),
  address: z.optional(Address),
  telecom: z.optional(z.array(ContactPoint).check(z.maxLength(5))),
  managingOrganization: z.optional(
    z.looseObject({ reference: z.optional(z.string()), identifier: z.optional(Identifier) }),
  ),
})
export type PublishedLocation = z.infer<typeof PublishedLocation>

/** Most resources one publication may carry (a fortnight of a busy practice's slots fits). */
export const MAX_PUBLISHED_RESOURCES = 2_000

/** POST /Slot: one Slot, or a Bundle of Slots with the Schedules, Practitioners and Locations they need. */
export const SlotPublication = z.strictObject({
  resourceType: z.literal('Bundle'),
  id: z.optional(z.string()),
  meta: AnyMeta,
  type: z.enum(['collection', 'batch', 'transaction']),
  entry: z
    .array(
      z.looseObject({
        fullUrl: z.optional(z.string()),
        resource: z.looseObject({ resourceType: z.string() }),
      }),
    )
    .check(z.minLength(1), z.maxLength(MAX_PUBLISHED_RESOURCES)),
})

/** FHIR R4 Slot as this API answers it. */
export const Slot = z.looseObject({
  resourceType: z.literal('Slot'),
  id: z.string(),
  meta: z.optional(z.looseObject({ versionId: z.optional(z.string()) })),
  extension: z.optional(z.array(Extension)),
  serviceType: z.optional(z.array(CodeableConcept)),
  schedule: Reference,
  status: z.enum(['busy', 'free', 'busy-unavailable', 'busy-tentative', 'entered-in-error']),
  start: z.string(),
  end: z.string(),
})
export type Slot = z.infer<typeof Slot>
