import * as z from 'zod/mini'

/** FHIR R4 datatypes used across the API, loose so that national payloads round-trip. */

export const Coding = z.looseObject({
  system: z.optional(z.string()),
  version: z.optional(z.string()),
  code: z.optional(z.string()),
  display: z.optional(z.string()),
})
export type Coding = z.infer<typeof Coding>

export const CodeableConcept = z.looseObject({
  coding: z.optional(z.array(Coding)),
  text: z.optional(z.string()),
})

export const Period = z.looseObject({ start: z.optional(z.string()), end: z.optional(z.string()) })

export const Identifier = z.looseObject({
  system: z.optional(z.string()),
  value: z.optional(z.string()),
  period: z.optional(Period),
})

export const Reference = z.looseObject({
  reference: z.optional(z.string()),
  type: z.optional(z.string()),
  identifier: z.optional(Identifier),
  display: z.optional(z.string()),
})
export type Reference = z.infer<typeof Reference>

export interface Extension {
  url: string
  extension?: Extension[]
  [value: string]: unknown
}
export const Extension: z.ZodMiniType<Extension> = z.lazy(() =>
  z.looseObject({ url: z.string(), extension: z.optional(z.array(Extension)) }),
)

export const Meta = z.looseObject({
  versionId: z.optional(z.string()),
  lastUpdated: z.optional(z.string()),
  security: z.optional(z.array(Coding)),
})

export const HumanName = z.looseObject({
  id: z.optional(z.string()),
  use: z.optional(z.string()),
  family: z.optional(z.string()),
  given: z.optional(z.array(z.string())),
  prefix: z.optional(z.array(z.string())),
  suffix: z.optional(z.array(z.string())),
  period: z.optional(Period),
})
export type HumanName = z.infer<typeof HumanName>

export const Address = z.looseObject({
  id: z.optional(z.string()),
  use: z.optional(z.string()),
  line: z.optional(z.array(z.string())),
  postalCode: z.optional(z.string()),
  period: z.optional(Period),
  extension: z.optional(z.array(Extension)),
})

export const ContactPoint = z.looseObject({
  id: z.optional(z.string()),
  system: z.optional(z.string()),
  value: z.optional(z.string()),
  use: z.optional(z.string()),
  period: z.optional(Period),
})
