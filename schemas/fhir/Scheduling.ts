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
export const LocalId = /* @__PURE__ */ z
  .string()
  .check(/* @__PURE__ */ z.regex(/^[A-Za-z0-9-]{1,32}$/, 'letters, digits and -, at most 32'))

const Text = (max: number) =>
  /* @__PURE__ */ z.string().check(/* @__PURE__ */ z.minLength(1), /* @__PURE__ */ z.maxLength(max))
const ConceptWithText = /* @__PURE__ */ z.looseObject({
  text: Text(200),
  coding: /* @__PURE__ */ z.optional(
    /* @__PURE__ */ z.array(
      /* @__PURE__ */ z.looseObject({
        system: /* @__PURE__ */ z.optional(/* @__PURE__ */ z.string()),
        code: /* @__PURE__ */ z.optional(/* @__PURE__ */ z.string()),
      }),
    ),
  ),
})
const ReferenceOnly = /* @__PURE__ */ z.strictObject({
  reference: Text(200),
  display: /* @__PURE__ */ z.optional(Text(200)),
})
const AnyMeta = /* @__PURE__ */ z.optional(/* @__PURE__ */ z.looseObject({}))

/** A Slot as a publisher sends it: free, in UK local time with its offset, of one Schedule. */
export const PublishedSlot = /* @__PURE__ */ z.strictObject({
  resourceType: /* @__PURE__ */ z.literal('Slot'),
  /** The publisher's own id; ignored: a slot is known by its schedule and start. */
  id: /* @__PURE__ */ z.optional(/* @__PURE__ */ z.string().check(/* @__PURE__ */ z.maxLength(64))),
  meta: AnyMeta,
  extension: /* @__PURE__ */ z.optional(
    /* @__PURE__ */ z.array(Extension).check(/* @__PURE__ */ z.maxLength(10)),
  ),
  serviceType: /* @__PURE__ */ z
    .array(ConceptWithText)
    .check(/* @__PURE__ */ z.minLength(1), /* @__PURE__ */ z.maxLength(5)),
  schedule: ReferenceOnly,
  status: /* @__PURE__ */ z.literal('free'),
  start: Text(40),
  end: Text(40),
})
export type PublishedSlot = z.infer<typeof PublishedSlot>

/** A Schedule as a publisher sends it: who (practitioner or role) and where (a Location), of what kind. */
export const PublishedSchedule = /* @__PURE__ */ z.strictObject({
  resourceType: /* @__PURE__ */ z.literal('Schedule'),
  id: LocalId,
  meta: AnyMeta,
  active: /* @__PURE__ */ z.optional(/* @__PURE__ */ z.boolean()),
  extension: /* @__PURE__ */ z.optional(
    /* @__PURE__ */ z.array(Extension).check(/* @__PURE__ */ z.maxLength(10)),
  ),
  serviceCategory: /* @__PURE__ */ z.optional(
    /* @__PURE__ */ z.array(ConceptWithText).check(/* @__PURE__ */ z.maxLength(5)),
  ),
  serviceType: /* @__PURE__ */ z.optional(
    /* @__PURE__ */ z.array(ConceptWithText).check(/* @__PURE__ */ z.maxLength(5)),
  ),
  actor: /* @__PURE__ */ z
    .array(ReferenceOnly)
    .check(/* @__PURE__ */ z.minLength(1), /* @__PURE__ */ z.maxLength(5)),
  planningHorizon: /* @__PURE__ */ z.optional(Period),
})
export type PublishedSchedule = z.infer<typeof PublishedSchedule>

export const PublishedPractitioner = /* @__PURE__ */ z.strictObject({
  resourceType: /* @__PURE__ */ z.literal('Practitioner'),
  id: LocalId,
  meta: AnyMeta,
  identifier: /* @__PURE__ */ z.optional(
    /* @__PURE__ */ z.array(Identifier).check(/* @__PURE__ */ z.maxLength(5)),
  ),
  name: /* @__PURE__ */ z
    .array(HumanName)
    .check(/* @__PURE__ */ z.minLength(1), /* @__PURE__ */ z.maxLength(3)),
  gender: /* @__PURE__ */ z.optional(/* @__PURE__ */ z.enum(['male', 'female', 'other', 'unknown'])),
})
export type PublishedPractitioner = z.infer<typeof PublishedPractitioner>

export const PublishedLocation = /* @__PURE__ */ z.strictObject({
  resourceType: /* @__PURE__ */ z.literal('Location'),
  id: LocalId,
  meta: AnyMeta,
  name: Text(200),
  address: /* @__PURE__ */ z.optional(Address),
  telecom: /* @__PURE__ */ z.optional(
    /* @__PURE__ */ z.array(ContactPoint).check(/* @__PURE__ */ z.maxLength(5)),
  ),
  managingOrganization: /* @__PURE__ */ z.optional(
    /* @__PURE__ */ z.looseObject({
      reference: /* @__PURE__ */ z.optional(/* @__PURE__ */ z.string()),
      identifier: /* @__PURE__ */ z.optional(Identifier),
    }),
  ),
})
export type PublishedLocation = z.infer<typeof PublishedLocation>

/** Most resources one publication may carry (a fortnight of a busy practice's slots fits). */
export const MAX_PUBLISHED_RESOURCES = 2_000

/** POST /Slot: one Slot, or a Bundle of Slots with the Schedules, Practitioners and Locations they need. */
export const SlotPublication = /* @__PURE__ */ z.strictObject({
  resourceType: /* @__PURE__ */ z.literal('Bundle'),
  id: /* @__PURE__ */ z.optional(/* @__PURE__ */ z.string()),
  meta: AnyMeta,
  type: /* @__PURE__ */ z.enum(['collection', 'batch', 'transaction']),
  entry: /* @__PURE__ */ z
    .array(
      /* @__PURE__ */ z.looseObject({
        fullUrl: /* @__PURE__ */ z.optional(/* @__PURE__ */ z.string()),
        resource: /* @__PURE__ */ z.looseObject({ resourceType: /* @__PURE__ */ z.string() }),
      }),
    )
    .check(/* @__PURE__ */ z.minLength(1), /* @__PURE__ */ z.maxLength(MAX_PUBLISHED_RESOURCES)),
})

/** FHIR R4 Slot as this API answers it. */
export const Slot = /* @__PURE__ */ z.looseObject({
  resourceType: /* @__PURE__ */ z.literal('Slot'),
  id: /* @__PURE__ */ z.string(),
  meta: /* @__PURE__ */ z.optional(
    /* @__PURE__ */ z.looseObject({ versionId: /* @__PURE__ */ z.optional(/* @__PURE__ */ z.string()) }),
  ),
  extension: /* @__PURE__ */ z.optional(/* @__PURE__ */ z.array(Extension)),
  serviceType: /* @__PURE__ */ z.optional(/* @__PURE__ */ z.array(CodeableConcept)),
  schedule: Reference,
  status: /* @__PURE__ */ z.enum(['busy', 'free', 'busy-unavailable', 'busy-tentative', 'entered-in-error']),
  start: /* @__PURE__ */ z.string(),
  end: /* @__PURE__ */ z.string(),
})
export type Slot = z.infer<typeof Slot>
