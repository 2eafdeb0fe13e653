import * as z from 'zod/mini'

const R4_ID = /^[A-Za-z0-9\-.]{1,64}$/
const Id = /* @__PURE__ */ z.string().check(/* @__PURE__ */ z.regex(R4_ID, 'not an R4 id'))

/**
 * Any resource inside a message Bundle: a type, an R4 id, and contained resources as FHIR
 * has them (an array of resources, each referenced as `#id`); each is checked further by type.
 */
export const MessageEntryResource = /* @__PURE__ */ z.looseObject({
  resourceType: /* @__PURE__ */ z
    .string()
    .check(/* @__PURE__ */ z.minLength(1), /* @__PURE__ */ z.maxLength(64)),
  id: Id,
  contained: /* @__PURE__ */ z.optional(
    /* @__PURE__ */ z.array(
      /* @__PURE__ */ z.looseObject({
        resourceType: /* @__PURE__ */ z.string(),
        id: /* @__PURE__ */ z.optional(Id),
      }),
    ),
  ),
})

/** MessageHeader as the two message flows need it (FHIR R4 MessageHeader). */
export const MessageHeader = /* @__PURE__ */ z.looseObject({
  resourceType: /* @__PURE__ */ z.literal('MessageHeader'),
  id: Id,
  eventCoding: /* @__PURE__ */ z.looseObject({
    system: /* @__PURE__ */ z.optional(/* @__PURE__ */ z.string()),
    code: /* @__PURE__ */ z.enum(['update-record', 'discharge-summary']),
  }),
  sender: /* @__PURE__ */ z.looseObject({
    reference: /* @__PURE__ */ z.optional(
      /* @__PURE__ */ z.string().check(/* @__PURE__ */ z.maxLength(1024)),
    ),
    identifier: /* @__PURE__ */ z.optional(
      /* @__PURE__ */ z.looseObject({
        system: /* @__PURE__ */ z.optional(/* @__PURE__ */ z.string()),
        value: /* @__PURE__ */ z.optional(/* @__PURE__ */ z.string()),
      }),
    ),
  }),
  source: /* @__PURE__ */ z.looseObject({
    endpoint: /* @__PURE__ */ z
      .string()
      .check(/* @__PURE__ */ z.minLength(1), /* @__PURE__ */ z.maxLength(2048)),
  }),
  focus: /* @__PURE__ */ z.optional(
    /* @__PURE__ */ z.array(
      /* @__PURE__ */ z.looseObject({ reference: /* @__PURE__ */ z.optional(/* @__PURE__ */ z.string()) }),
    ),
  ),
})

/** A FHIR R4 message Bundle: `type` message, the MessageHeader first (R4 Bundle bdl-1, messaging.html). */
export const MessageBundle = /* @__PURE__ */ z.looseObject({
  resourceType: /* @__PURE__ */ z.literal('Bundle'),
  id: Id,
  type: /* @__PURE__ */ z.literal('message'),
  timestamp: /* @__PURE__ */ z.optional(z.iso.datetime({ offset: true })),
  entry: /* @__PURE__ */ z
    .array(
      /* @__PURE__ */ z.looseObject({
        fullUrl: /* @__PURE__ */ z.optional(
          /* @__PURE__ */ z.string().check(/* @__PURE__ */ z.maxLength(1024)),
        ),
        resource: MessageEntryResource,
      }),
    )
    .check(/* @__PURE__ */ z.minLength(3), /* @__PURE__ */ z.maxLength(1000)),
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
export const SubscriptionRequest = /* @__PURE__ */ z.looseObject({
  resourceType: /* @__PURE__ */ z.literal('Subscription'),
  status: /* @__PURE__ */ z.optional(/* @__PURE__ */ z.enum(['requested', 'active'])),
  reason: /* @__PURE__ */ z.string().check(/* @__PURE__ */ z.minLength(1), /* @__PURE__ */ z.maxLength(500)),
  criteria: /* @__PURE__ */ z
    .string()
    .check(/* @__PURE__ */ z.minLength(1), /* @__PURE__ */ z.maxLength(200)),
  channel: /* @__PURE__ */ z.looseObject({
    type: /* @__PURE__ */ z.literal('rest-hook'),
    endpoint: /* @__PURE__ */ z
      .string()
      .check(/* @__PURE__ */ z.minLength(1), /* @__PURE__ */ z.maxLength(4096)),
    payload: /* @__PURE__ */ z.optional(/* @__PURE__ */ z.literal('application/fhir+json')),
  }),
})
export type SubscriptionRequest = z.infer<typeof SubscriptionRequest>

/** The Subscription as this server answers it. */
export const SubscriptionResource = /* @__PURE__ */ z.looseObject({
  resourceType: /* @__PURE__ */ z.literal('Subscription'),
  id: Id,
  status: /* @__PURE__ */ z.enum(['active', 'off']),
  reason: /* @__PURE__ */ z.string(),
  criteria: /* @__PURE__ */ z.string(),
  channel: /* @__PURE__ */ z.looseObject({
    type: /* @__PURE__ */ z.literal('rest-hook'),
    endpoint: /* @__PURE__ */ z.string(),
    payload: /* @__PURE__ */ z.literal('application/fhir+json'),
  }),
  extension: /* @__PURE__ */ z.optional(
    /* @__PURE__ */ z.array(
      /* @__PURE__ */ z.looseObject({
        url: /* @__PURE__ */ z.string(),
        valueString: /* @__PURE__ */ z.optional(/* @__PURE__ */ z.string()),
      }),
    ),
  ),
})

/** A message's status, per recipient, as a FHIR R4 Parameters resource. */
export const MessageStatus = /* @__PURE__ */ z.looseObject({
  resourceType: /* @__PURE__ */ z.literal('Parameters'),
  id: Id,
  parameter: /* @__PURE__ */ z.array(
    /* @__PURE__ */ z.looseObject({
      name: /* @__PURE__ */ z.string(),
      part: /* @__PURE__ */ z.optional(
        /* @__PURE__ */ z.array(/* @__PURE__ */ z.looseObject({ name: /* @__PURE__ */ z.string() })),
      ),
    }),
  ),
})
export type MessageHeader = z.infer<typeof MessageHeader>
