import {
  isValidNhsNumber,
  NHS_NUMBER_SYSTEM,
  ODS_CODE_SYSTEM,
  parseTokenParameter,
} from '../../schemas/fhir/identifiers'
import type { IcsRuntimeConfig } from '../../schemas/ics-config'
import { FhirError } from '../shared/errors'
import type { PatientIndex } from '../shared/patient-index/PatientIndex'
import type { AuditFacts } from '../shared/ports'
import { type Clock, ukDateTime } from '../shared/time'
import { pointerOf } from './pointers'

/** Pointers per page (NRL-style search), unless `_count` asks for fewer or more. */
export const PAGE_SIZE = 20
/** The most `_count` may ask for. */
export const MAX_PAGE_SIZE = 100
const KNOWN = new Set([
  'subject',
  'subject:identifier',
  'custodian',
  'custodian:identifier',
  'type',
  '_count',
  '_cursor',
])

export interface SearchDependencies {
  index: PatientIndex
  ics: IcsRuntimeConfig
  clock: Clock
}

function invalidParameter(diagnostics: string): FhirError {
  return new FhirError('INVALID_PARAMETER', diagnostics)
}

/** Reads a one-value query parameter, refusing repeats. */
function single(query: Record<string, string[]>, name: string): string | undefined {
  const values = query[name]
  if (!values) return undefined
  if (values.length > 1) throw invalidParameter(`Invalid query parameter (${name} may appear once)`)
  return values[0]
}

/**
 * A reference parameter sent either as FHIR reference (`subject=Patient/<nhs>`) or with the
 * `:identifier` modifier (`subject:identifier=<system>|<value>`, NRL's form); one of the two.
 */
function referenceOrIdentifier(
  query: Record<string, string[]>,
  name: string,
  resourceType: string,
  system: string,
): { system?: string; value: string } | undefined {
  const asReference = single(query, name)
  const asIdentifier = single(query, `${name}:identifier`)
  if (asReference !== undefined && asIdentifier !== undefined)
    throw invalidParameter(`Invalid query parameter (send ${name} or ${name}:identifier, not both)`)
  if (asIdentifier !== undefined) return parseTokenParameter(asIdentifier)
  if (asReference === undefined) return undefined
  const match = new RegExp(`(?:^|/)${resourceType}/([^/]{1,64})$`).exec(asReference)
  if (!match) throw invalidParameter(`Invalid query parameter (${name}: expected ${resourceType}/<id>)`)
  return { system, value: match[1]! }
}

/**
 * The query with FHIR reference forms (`subject=Patient/<nhs>`, `custodian=Organization/<ODS>`)
 * rewritten to NRL's identifier forms, for code that reads only the latter (conditional delete).
 */
export function withIdentifierForms(query: Record<string, string[]>): Record<string, string[]> {
  const rewritten: Record<string, string[]> = Object.create(null)
  for (const [name, values] of Object.entries(query)) rewritten[name] = [...values]
  const forms = [
    ['subject', 'Patient', NHS_NUMBER_SYSTEM],
    ['custodian', 'Organization', ODS_CODE_SYSTEM],
  ] as const
  for (const [name, resourceType, system] of forms) {
    if (!rewritten[name]) continue
    const parsed = referenceOrIdentifier(query, name, resourceType, system)
    delete rewritten[name]
    if (parsed) rewritten[`${name}:identifier`] = [`${parsed.system}|${parsed.value}`]
  }
  return rewritten
}

/** `_count`: 1 to MAX_PAGE_SIZE entries a page (FHIR R4 search.html#count). */
export function pageSizeOf(query: Record<string, string[]>): number {
  const raw = single(query, '_count')
  if (raw === undefined) return PAGE_SIZE
  const count = /^\d{1,3}$/.test(raw) ? Number(raw) : Number.NaN
  if (!(count >= 1 && count <= MAX_PAGE_SIZE))
    throw invalidParameter(`Invalid query parameter (_count: 1 to ${MAX_PAGE_SIZE})`)
  return count
}

/**
 * NRL-style consumer search: the current holders of one patient's records as a searchset
 * of DocumentReference pointers, 20 a page with a `next` link; optionally one custodian
 * (ODS code) or one record type.
 */
export async function searchPointers(
  query: Record<string, string[]>,
  baseUrl: string,
  deps: SearchDependencies,
): Promise<{ bundle: Record<string, unknown>; audit: AuditFacts[] }> {
  for (const name of Object.keys(query)) {
    if (!KNOWN.has(name))
      throw invalidParameter(`Invalid query parameter (extra: ${name.slice(0, 60)} not permitted)`)
  }
  const subject = referenceOrIdentifier(query, 'subject', 'Patient', NHS_NUMBER_SYSTEM)
  if (!subject) throw invalidParameter('Invalid query parameter (subject:identifier: field required)')
  const { system, value } = subject
  if (system !== NHS_NUMBER_SYSTEM) {
    throw invalidParameter(
      `Invalid query parameter (subject:identifier: system must be ${NHS_NUMBER_SYSTEM})`,
    )
  }
  if (!isValidNhsNumber(value)) {
    throw new FhirError(
      'INVALID_NHS_NUMBER',
      'A valid NHS number is required to search for document references',
    )
  }
  const custodian = referenceOrIdentifier(query, 'custodian', 'Organization', ODS_CODE_SYSTEM)
  let holderOds: string | undefined
  if (custodian !== undefined) {
    if (custodian.system !== ODS_CODE_SYSTEM || !/^[A-Z0-9]{3,6}$/.test(custodian.value)) {
      throw invalidParameter(
        `Invalid query parameter (custodian:identifier: expected ${ODS_CODE_SYSTEM}|<ODS code>)`,
      )
    }
    holderOds = custodian.value
  }
  const typeParam = single(query, 'type')
  const type = typeParam === undefined ? undefined : parseTokenParameter(typeParam)
  const recordTypeCode = type?.value
  if (recordTypeCode !== undefined && !/^[A-Za-z0-9.-]{1,64}$/.test(recordTypeCode)) {
    throw invalidParameter('Invalid query parameter (type: expected <system>|<code>)')
  }
  // FHIR token search: `system|code` matches that system only; a bare code matches any system.
  const recordTypeSystem = type?.system || undefined
  const limit = pageSizeOf(query)

  const filter = { holderOds, recordTypeCode, recordTypeSystem }
  const cursor = single(query, '_cursor')
  const page = await deps.index.holdersOf(value, filter, { limit, cursor })
  // FHIR: total counts every match. Unknown while pages follow (left out, as NRL pages); a
  // single page is its own count; the last of several pages counts them all.
  const total = page.cursor
    ? undefined
    : cursor
      ? await deps.index.countHolders(value, filter)
      : page.entries.length
  const endpoints = new Map(deps.ics.members.map((member) => [member.ods, member.endpoint]))
  const self = new URLSearchParams()
  for (const [name, values] of Object.entries(query)) for (const v of values) self.append(name, v)
  const links = [{ relation: 'self', url: `${baseUrl}/DocumentReference?${self}` }]
  if (page.cursor) {
    const next = new URLSearchParams(self)
    next.set('_cursor', page.cursor)
    links.push({ relation: 'next', url: `${baseUrl}/DocumentReference?${next}` })
  }
  return {
    bundle: {
      resourceType: 'Bundle',
      type: 'searchset',
      timestamp: ukDateTime(deps.clock()),
      ...(total === undefined ? {} : { total }),
      link: links,
      entry: page.entries.map((entry) => {
        const pointer = pointerOf(entry, endpoints.get(entry.holderOds))
        return {
          fullUrl: `${baseUrl}/DocumentReference/${pointer.id}`,
          resource: pointer,
          search: { mode: 'match' },
        }
      }),
    },
    audit: [
      {
        patient: value,
        action: 'E',
        entities: page.entries.map((entry) => `Organization/${entry.holderOds}`),
      },
    ],
  }
}
