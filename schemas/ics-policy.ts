import type { OrganisationRole } from './ics-config'

// Plain constants and functions about an ICS config, without its zod schema: the Lambda
// bundles import these, and the schema stays out of them (README, "zod/mini").

/** The issuer of the local dev tokens; a cloud config may never trust it. */
export const LOCAL_DEV_ISSUER = 'urn:joinup:local-dev-issuer'

/**
 * Which record types each kind of organisation may announce in the patient index, by code
 * (NRL likewise keeps a list of pointer types per producer). A pharmacy does not hold a GP
 * summary record; a role missing from an ICS's `recordTypesByRole` keeps this default.
 */
export const DEFAULT_RECORD_TYPES_BY_ROLE: Readonly<Record<OrganisationRole, readonly string[]>> = {
  // Summary record, clinical summary, appointment, and the care plans a practice coordinates.
  'gp-practice': [
    '824321000000109',
    '887181000000106',
    '749001000000101',
    '887701000000100',
    '861421000000109',
    '1382601000000107',
  ],
  // Discharge summary, clinical summary, appointment, end of life care, ReSPECT, emergency care plan.
  'acute-trust': [
    '373942005',
    '887181000000106',
    '749001000000101',
    '861421000000109',
    '1382601000000107',
    '887701000000100',
  ],
  'community-pharmacy': ['community-pharmacy-record', '887181000000106', '749001000000101'],
  'urgent-care': ['887181000000106', '749001000000101'],
  'community-trust': [
    '373942005',
    '887181000000106',
    '749001000000101',
    '861421000000109',
    '1382601000000107',
    '887701000000100',
  ],
  'mental-health-trust': ['736253002', '373942005', '887181000000106', '749001000000101'],
  'social-care': ['social-care-record', '749001000000101'],
  'ambulance-trust': ['887181000000106'],
}

/** The record type codes an organisation of `role` may register, by the ICS's config or the default. */
export function recordTypesAllowedFor(
  config: { recordTypesByRole?: Partial<Record<OrganisationRole, readonly string[]>> },
  role: OrganisationRole,
): readonly string[] {
  return config.recordTypesByRole?.[role] ?? DEFAULT_RECORD_TYPES_BY_ROLE[role]
}
