import * as z from 'zod/mini'
import { Address, ContactPoint, Extension, HumanName, Identifier, Meta, Reference } from './datatypes'

/** Confidentiality codes PDS puts in `meta.security` (U unrestricted, R restricted, V very restricted, REDACTED). */
export const CONFIDENTIALITY_SYSTEM = 'http://terminology.hl7.org/CodeSystem/v3-Confidentiality'

export const NHS_NUMBER_VERIFICATION_URL =
  'https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-NHSNumberVerificationStatus'
export const NOMINATED_PHARMACY_URL =
  'https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-NominatedPharmacy'
export const DEATH_NOTIFICATION_URL =
  'https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-DeathNotificationStatus'

/** FHIR R4 Patient as PDS FHIR R4 returns it (UK Core extensions kept as they come). */
export const Patient = /* @__PURE__ */ z.looseObject({
  resourceType: /* @__PURE__ */ z.literal('Patient'),
  id: /* @__PURE__ */ z.string(),
  identifier: /* @__PURE__ */ z.optional(/* @__PURE__ */ z.array(Identifier)),
  meta: /* @__PURE__ */ z.optional(Meta),
  name: /* @__PURE__ */ z.optional(/* @__PURE__ */ z.array(HumanName)),
  gender: /* @__PURE__ */ z.optional(/* @__PURE__ */ z.enum(['male', 'female', 'other', 'unknown'])),
  birthDate: /* @__PURE__ */ z.optional(/* @__PURE__ */ z.string()),
  deceasedDateTime: /* @__PURE__ */ z.optional(/* @__PURE__ */ z.string()),
  multipleBirthInteger: /* @__PURE__ */ z.optional(/* @__PURE__ */ z.number()),
  address: /* @__PURE__ */ z.optional(/* @__PURE__ */ z.array(Address)),
  telecom: /* @__PURE__ */ z.optional(/* @__PURE__ */ z.array(ContactPoint)),
  contact: /* @__PURE__ */ z.optional(/* @__PURE__ */ z.array(/* @__PURE__ */ z.looseObject({}))),
  generalPractitioner: /* @__PURE__ */ z.optional(/* @__PURE__ */ z.array(Reference)),
  managingOrganization: /* @__PURE__ */ z.optional(Reference),
  extension: /* @__PURE__ */ z.optional(/* @__PURE__ */ z.array(Extension)),
})
export type Patient = z.infer<typeof Patient>
