import * as z from 'zod/mini'

/** FHIR identifier system for NHS numbers. */
export const NHS_NUMBER_SYSTEM = 'https://fhir.nhs.uk/Id/nhs-number'
/** FHIR identifier system for ODS organisation codes. */
export const ODS_CODE_SYSTEM = 'https://fhir.nhs.uk/Id/ods-organization-code'

/**
 * NHS number check digit (NHS Data Dictionary, "NHS Number"): weights 10..2 over the first
 * nine digits, check = 11 - (sum mod 11); 11 becomes 0 and 10 means the number is invalid.
 */
export function isValidNhsNumber(value: string): boolean {
  if (!/^\d{10}$/.test(value)) return false
  let sum = 0
  for (let i = 0; i < 9; i++) sum += Number(value[i]) * (10 - i)
  const check = 11 - (sum % 11)
  if (check === 10) return false
  return (check === 11 ? 0 : check) === Number(value[9])
}

/** A ten-digit NHS number that passes the modulus 11 check. */
export const NhsNumber = /* @__PURE__ */ z
  .string()
  .check(/* @__PURE__ */ z.refine(isValidNhsNumber, { message: 'not a valid NHS number' }))
export type NhsNumber = z.infer<typeof NhsNumber>

/** What OdsCode checks, for code that must not carry zod (see isOdsCode). */
export const ODS_CODE_PATTERN = /^[A-Z0-9]{3,6}$/

/** Whether a value is an ODS code, as OdsCode checks it, without zod in the bundle. */
export const isOdsCode = (value: unknown): value is string =>
  typeof value === 'string' && ODS_CODE_PATTERN.test(value)

/**
 * An ODS code: 3 to 6 upper-case letters and digits for organisations and sites in
 * the demo and real registers (for example RX9, Y90001, FX001).
 */
export const OdsCode = /* @__PURE__ */ z
  .string()
  .check(/* @__PURE__ */ z.regex(ODS_CODE_PATTERN, 'not an ODS code'))
export type OdsCode = z.infer<typeof OdsCode>

/** Parses `<system>|<value>` token search parameters (FHIR R4 search, token type). */
export function parseTokenParameter(raw: string): { system?: string; value: string } {
  const bar = raw.indexOf('|')
  if (bar < 0) return { value: raw }
  return { system: raw.slice(0, bar), value: raw.slice(bar + 1) }
}
