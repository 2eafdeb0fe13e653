import { SNOMED } from '../../../schemas/fhir/recordTypes'
import type { ClinicalArea } from './query'

/** One of GP Connect's primary lists: a clinical area's entries in a structured record. */
export interface SectionList {
  /** Stable id of the merged List in our answers. */
  id: string
  /** SNOMED CT code and the List title GP Connect fixes for it ("Returning data in lists"). */
  code: string
  display: string
  title: string
}

/**
 * GP Connect 1.6's primary lists, by clinical area ("Returning data in lists": primary
 * lists in the query response). Allergies have two: current, and ended (resolved).
 */
export const PRIMARY_LISTS = {
  allergies: {
    id: 'allergies',
    code: '886921000000105',
    display: 'Allergies and adverse reactions',
    title: 'Allergies and adverse reactions',
  },
  endedAllergies: {
    id: 'ended-allergies',
    code: '1103671000000101',
    display: 'Ended allergies',
    title: 'Ended allergies',
  },
  medication: {
    id: 'medications',
    code: '933361000000108',
    display: 'Medications and medical devices',
    title: 'Medications and medical devices',
  },
  consultations: {
    id: 'consultations',
    code: '1149501000000101',
    display: 'List of consultations',
    title: 'List of consultations',
  },
  problems: { id: 'problems', code: '717711000000103', display: 'Problems', title: 'Problems' },
  immunisations: {
    id: 'immunisations',
    code: '1102181000000102',
    display: 'Immunisations',
    title: 'Immunisations',
  },
  uncategorised: {
    id: 'uncategorised-data',
    code: '826501000000100',
    display: 'Miscellaneous record',
    title: 'Uncategorised data',
  },
  investigations: {
    id: 'investigations',
    code: '887191000000108',
    display: 'Investigations and results',
    title: 'Investigations and results',
  },
  referrals: {
    id: 'referrals',
    code: '792931000000107',
    display: 'Outbound referral',
    title: 'Outbound referral',
  },
  diaryEntries: {
    id: 'diary-entries',
    code: '714311000000108',
    display: 'Patient recall administration',
    title: 'Patient recall administration',
  },
} as const satisfies Record<ClinicalArea | 'endedAllergies', SectionList>

/** The primary lists a query for an area returns (allergies: the ended ones only when asked for). */
export function listsFor(area: ClinicalArea, includeResolvedAllergies = false): SectionList[] {
  if (area === 'allergies')
    return includeResolvedAllergies
      ? [PRIMARY_LISTS.allergies, PRIMARY_LISTS.endedAllergies]
      : [PRIMARY_LISTS.allergies]
  return [PRIMARY_LISTS[area]]
}

/** The primary list with this SNOMED CT code, if it is one. */
export function primaryListOf(system: string | undefined, code: string | undefined): SectionList | undefined {
  if (system !== SNOMED) return undefined
  return Object.values(PRIMARY_LISTS).find((list) => list.code === code)
}

/** GP Connect's secondary lists (problems' linked items, consultations' contents) are coded in this system. */
export const SECONDARY_LIST_SYSTEM = 'https://fhir.hl7.org.uk/STU3/CodeSystem/GPConnect-SecondaryListValues-1'

/** GP Connect's code system for why a List is empty (`no-content-recorded`). */
export const LIST_EMPTY_REASON_SYSTEM =
  'https://fhir.nhs.uk/STU3/CodeSystem/CareConnect-ListEmptyReasonCode-1'

/**
 * Where each resource in a merged record came from: the organisation's entry in the national
 * ODS directory (ORD API), a URI that names the holder (R4 `meta.source`).
 */
export function sourceOf(ods: string): string {
  return `https://directory.spineservices.nhs.uk/ORD/2-0-0/organisations/${ods}`
}

/** The ODS code a `meta.source` names, if it is one of ours. */
export function holderOfSource(source: unknown): string | undefined {
  if (typeof source !== 'string') return undefined
  return /^https:\/\/directory\.spineservices\.nhs\.uk\/ORD\/2-0-0\/organisations\/([A-Z0-9]{3,6})$/.exec(
    source,
  )?.[1]
}
