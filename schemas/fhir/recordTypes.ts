import * as z from 'zod/mini'

export const SNOMED = 'http://snomed.info/sct'
/** Record types with no SNOMED concept of their own, and free text that could not be coded. */
export const LOCAL_RECORD_TYPES = 'https://fhir.joinup.example/CodeSystem/record-type'

/** A coded record type (FHIR Coding with system and code). */
export const RecordType = /* @__PURE__ */ z.strictObject({
  system: /* @__PURE__ */ z.string().check(/* @__PURE__ */ z.minLength(1)),
  code: /* @__PURE__ */ z.string().check(/* @__PURE__ */ z.minLength(1), /* @__PURE__ */ z.maxLength(64)),
  display: /* @__PURE__ */ z.string().check(/* @__PURE__ */ z.minLength(1), /* @__PURE__ */ z.maxLength(200)),
})
export type RecordType = z.infer<typeof RecordType>

/**
 * The record types a holder can announce: NRL's pointer types (SNOMED CT) plus the
 * records an ICS's members hold that NRL has no type for. `aliases` are the free-text
 * names RecordHolderRegistered v1 producers used, for the v1 → v2 upcaster.
 */
export const RECORD_TYPES: readonly (RecordType & { aliases: readonly string[] })[] = [
  {
    system: SNOMED,
    code: '824321000000109',
    display: 'Summary record',
    aliases: ['gp record', 'summary record', 'gp summary'],
  },
  {
    system: SNOMED,
    code: '373942005',
    display: 'Discharge summary',
    aliases: ['discharge summary', 'discharge'],
  },
  {
    system: SNOMED,
    code: '736253002',
    display: 'Mental health crisis plan',
    aliases: ['mental health crisis plan'],
  },
  {
    system: SNOMED,
    code: '887701000000100',
    display: 'Emergency health care plan',
    aliases: ['emergency health care plan'],
  },
  {
    system: SNOMED,
    code: '861421000000109',
    display: 'End of life care coordination summary',
    aliases: ['end of life care coordination summary', 'end of life care'],
  },
  {
    system: SNOMED,
    code: '1382601000000107',
    display: 'ReSPECT (Recommended Summary Plan for Emergency Care and Treatment) form',
    aliases: ['respect form', 'respect'],
  },
  {
    system: SNOMED,
    code: '749001000000101',
    display: 'Appointment',
    aliases: ['appointment', 'appointments'],
  },
  {
    system: SNOMED,
    code: '887181000000106',
    display: 'Clinical summary',
    aliases: ['clinical summary', 'consultation summary'],
  },
  {
    system: LOCAL_RECORD_TYPES,
    code: 'community-pharmacy-record',
    display: 'Community pharmacy record',
    aliases: ['pharmacy record', 'community pharmacy record', 'medication record'],
  },
  {
    system: LOCAL_RECORD_TYPES,
    code: 'social-care-record',
    display: 'Social care record',
    aliases: ['social care record'],
  },
]

/** The known record type with this system and code. */
export function recordTypeOf(system: string, code: string): RecordType | undefined {
  const found = RECORD_TYPES.find((type) => type.system === system && type.code === code)
  return found ? { system: found.system, code: found.code, display: found.display } : undefined
}

/**
 * Codes a free-text record type: a known alias becomes its concept; anything else keeps
 * its text under the local "uncoded" code, so no v1 event is lost in translation.
 */
export function recordTypeFromText(text: string): RecordType {
  const wanted = text.trim().toLowerCase()
  const found = RECORD_TYPES.find(
    (type) => type.aliases.includes(wanted) || type.display.toLowerCase() === wanted,
  )
  if (found) return { system: found.system, code: found.code, display: found.display }
  return {
    system: LOCAL_RECORD_TYPES,
    code: 'uncoded',
    display: text.trim().slice(0, 200) || 'Unspecified record',
  }
}
