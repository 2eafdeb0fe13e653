import * as z from 'zod/mini'

const R4_ID = /^[A-Za-z0-9\-.]{1,64}$/
const Id = z.string().check(z.regex(R4_ID, 'not an R4 id'))

/** Any resource inside a message Bundle: a type and an R4 id (each is checked further by type). */
export const MessageEntryResource = z.looseObject({
  resourceType: z.string().check(z.minLength(1), z.maxLength(64)),
  id: Id,
})

/** MessageHeader as the two message flows need it (FHIR R4 MessageHeader). */
export const MessageHeader = z.looseObject({
  resourceType: z.literal('MessageHeader'),
  id: Id,
  eventCoding: z.looseObject({
    system: z.optional(z.string()),
    code: z.enum(['update-record', 'discharge-summary']),
  }),
  sender: z.looseObject({
    reference: z.optional(z.string().check(z.maxLength(1024))),
    identifier: z.optional(z.looseObject({ system: z.optional(z.string()), value: z.optional(z.string()) })),
  }),
  source: z.looseObject({ endpoint: z.string().check(z.minLength(1), z.maxLength(2048)) }),
  focus: z.optional(z.array(z.looseObject({ reference: z.optional(z.string()) }))),
})

/** A FHIR R4 message Bundle: `type` message, the MessageHeader first (R4 Bundle bdl-1, messaging.html). */
export const MessageBundle = z.looseObject({
  resourceType: z.literal('Bundle'),
  id: Id,
  type: z.literal('message'),
  timestamp: z.optional(z.iso.datetime({ offset: true })),
  entry: z
    .array(
      z.looseObject({
        fullUrl: z.optional(z.string().check(z.maxLength(1024))),
        resource: MessageEntryResource,
      }),
    )
    .check(z.minLength(3), z.maxLength(1000)),
})
export type MessageBundle = z.infer<typeof MessageBundle>

/** Resource types a message may carry: the header, who and what it is about, and the clinical entries. */
export const MESSAGE_RESOURCE_TYPES = [
  'MessageHeader',
  'Composition',
  'Patient',
  'Organization',
  'Practitioner',
  'PractitionerRole',
  'Encounter',
  'MedicationStatement',
  'Medication',
  'AllergyIntolerance',
  'Condition',
  'Observation',
  'Binary',
  'DocumentReference',
] as const

/** The R4 Subscription a partner posts (rest-hook channel only). */
export const SubscriptionRequest = z.looseObject({
  resourceType: z.literal('Subscription'),
  status: z.optional(z.enum(['requested', 'active'])),
  reason: z.string().check(z.minLength(1), z.maxLength(500)),
  criteria: z.string().check(z.minLength(1), z.maxLength(200)),
  channel: z.looseObject({
    type: z.literal('rest-hook'),
    endpoint: z.string().check(z.minLength(1), z.maxLength(4096)),
    payload: z.optional(z.literal('application/fhir+json')),
  }),
})
export type SubscriptionRequest = z.infer<typeof SubscriptionRequest>

/** The Subscription as this server answers it. */
export const SubscriptionResource = z.looseObject({
  resourceType: z.literal('Subscription'),
  id: Id,
  status: z.enum(['active', 'off']),
  reason: z.string(),
  criteria: z.string(),
  channel: z.looseObject({
    type: z.literal('rest-hook'),
    endpoint: z.string(),
    payload: z.literal('application/fhir+json'),
  }),
  extension: z.optional(z.array(z.looseObject({ url: z.string(), valueString: z.optional(z.string()) }))),
})

/** A message's status, per recipient, as a FHIR R4 Parameters resource. */
export const MessageStatus = z.looseObject({
  resourceType: z.literal('Parameters'),
  id: Id,
  parameter: z.array(
    z.looseObject({
      name: z.string(),
      part: z.optional(z.array(z.looseObject({ name: z.string() }))),
    }),
  ),
})
export type MessageHeader = z.infer<typeof MessageHeader>
