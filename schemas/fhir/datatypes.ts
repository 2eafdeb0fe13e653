import * as z from 'zod/mini'

/** FHIR R4 datatypes used across the API, loose so that national payloads round-trip. */

export const Coding = /* @__PURE__ */ z.looseObject({
  system: /* @__PURE__ */ z.optional(/* @__PURE__ */ z.string()),
  version: /* @__PURE__ */ z.optional(/* @__PURE__ */ z.string()),
  code: /* @__PURE__ */ z.optional(/* @__PURE__ */ z.string()),
  display: /* @__PURE__ */ z.optional(/* @__PURE__ */ z.string()),
})
export type Coding = z.infer<typeof Coding>

export const CodeableConcept = /* @__PURE__ */ z.looseObject({
  coding: /* @__PURE__ */ z.optional(/* @__PURE__ */ z.array(Coding)),
  text: /* @__PURE__ */ z.optional(/* @__PURE__ */ z.string()),
})

export const Period = /* @__PURE__ */ z.looseObject({
  start: /* @__PURE__ */ z.optional(/* @__PURE__ */ z.string()),
  end: /* @__PURE__ */ z.optional(/* @__PURE__ */ z.string()),
})

export const Identifier = /* @__PURE__ */ z.looseObject({
  system: /* @__PURE__ */ z.optional(/* @__PURE__ */ z.string()),
  value: /* @__PURE__ */ z.optional(/* @__PURE__ */ z.string()),
  period: /* @__PURE__ */ z.optional(Period),
})

export const Reference = /* @__PURE__ */ z.looseObject({
  reference: /* @__PURE__ */ z.optional(/* @__PURE__ */ z.string()),
  type: /* @__PURE__ */ z.optional(/* @__PURE__ */ z.string()),
  identifier: /* @__PURE__ */ z.optional(Identifier),
  display: /* @__PURE__ */ z.optional(/* @__PURE__ */ z.string()),
})
export type Reference = z.infer<typeof Reference>

export interface Extension {
  url: string
  extension?: Extension[]
  [value: string]: unknown
}
export const Extension: z.ZodMiniType<Extension> = /* @__PURE__ */ z.lazy(() =>
  /* @__PURE__ */ z.looseObject({
    url: /* @__PURE__ */ z.string(),
    extension: /* @__PURE__ */ z.optional(/* @__PURE__ */ z.array(Extension)),
  }),
)

export const Meta = /* @__PURE__ */ z.looseObject({
  versionId: /* @__PURE__ */ z.optional(/* @__PURE__ */ z.string()),
  lastUpdated: /* @__PURE__ */ z.optional(/* @__PURE__ */ z.string()),
  security: /* @__PURE__ */ z.optional(/* @__PURE__ */ z.array(Coding)),
})

export const HumanName = /* @__PURE__ */ z.looseObject({
  id: /* @__PURE__ */ z.optional(/* @__PURE__ */ z.string()),
  use: /* @__PURE__ */ z.optional(/* @__PURE__ */ z.string()),
  family: /* @__PURE__ */ z.optional(/* @__PURE__ */ z.string()),
  given: /* @__PURE__ */ z.optional(/* @__PURE__ */ z.array(/* @__PURE__ */ z.string())),
  prefix: /* @__PURE__ */ z.optional(/* @__PURE__ */ z.array(/* @__PURE__ */ z.string())),
  suffix: /* @__PURE__ */ z.optional(/* @__PURE__ */ z.array(/* @__PURE__ */ z.string())),
  period: /* @__PURE__ */ z.optional(Period),
})
export type HumanName = z.infer<typeof HumanName>

export const Address = /* @__PURE__ */ z.looseObject({
  id: /* @__PURE__ */ z.optional(/* @__PURE__ */ z.string()),
  use: /* @__PURE__ */ z.optional(/* @__PURE__ */ z.string()),
  line: /* @__PURE__ */ z.optional(/* @__PURE__ */ z.array(/* @__PURE__ */ z.string())),
  postalCode: /* @__PURE__ */ z.optional(/* @__PURE__ */ z.string()),
  period: /* @__PURE__ */ z.optional(Period),
  extension: /* @__PURE__ */ z.optional(/* @__PURE__ */ z.array(Extension)),
})

export const ContactPoint = /* @__PURE__ */ z.looseObject({
  id: /* @__PURE__ */ z.optional(/* @__PURE__ */ z.string()),
  system: /* @__PURE__ */ z.optional(/* @__PURE__ */ z.string()),
  value: /* @__PURE__ */ z.optional(/* @__PURE__ */ z.string()),
  use: /* @__PURE__ */ z.optional(/* @__PURE__ */ z.string()),
  period: /* @__PURE__ */ z.optional(Period),
})
