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
export const Patient = z.looseObject({
  resourceType: z.literal('Patient'),
  id: z.string(),
  identifier: z.optional(z.array(Identifier)),
  meta: z.optional(Meta),
  name: z.optional(z.array(HumanName)),
  gender: z.optional(z.enum(['male', 'female', 'other', 'unknown'])),
  birthDate: z.optional(z.string()),
  deceasedDateTime: z.optional(z.string()),
  multipleBirthInteger: z.optional(z.number()),
  address: z.optional(z.array(Address)),
  telecom: z.optional(z.array(ContactPoint)),
  contact: z.optional(z.array(z.looseObject({}))),
  generalPractitioner: z.optional(z.array(Reference)),
  managingOrganization: z.optional(Reference),
  extension: z.optional(z.array(Extension)),
})
export type Patient = z.infer<typeof Patient>
