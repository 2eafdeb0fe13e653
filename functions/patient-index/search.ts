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

/** Pointers per page (NRL-style search). */
export const PAGE_SIZE = 20
const KNOWN = new Set(['subject:identifier', 'custodian:identifier', 'type', '_cursor'])

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
  const subject = single(query, 'subject:identifier')
  if (!subject) throw invalidParameter('Invalid query parameter (subject:identifier: field required)')
  const { system, value } = parseTokenParameter(subject)
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
  const custodianParam = single(query, 'custodian:identifier')
  let holderOds: string | undefined
  if (custodianParam !== undefined) {
    const custodian = parseTokenParameter(custodianParam)
    if (custodian.system !== ODS_CODE_SYSTEM || !/^[A-Z0-9]{3,6}$/.test(custodian.value)) {
      throw invalidParameter(
        `Invalid query parameter (custodian:identifier: expected ${ODS_CODE_SYSTEM}|<ODS code>)`,
      )
    }
    holderOds = custodian.value
  }
  const typeParam = single(query, 'type')
  const recordTypeCode = typeParam === undefined ? undefined : parseTokenParameter(typeParam).value
  if (recordTypeCode !== undefined && !/^[A-Za-z0-9.-]{1,64}$/.test(recordTypeCode)) {
    throw invalidParameter('Invalid query parameter (type: expected <system>|<code>)')
  }

  const page = await deps.index.holdersOf(
    value,
    { holderOds, recordTypeCode },
    { limit: PAGE_SIZE, cursor: single(query, '_cursor') },
  )
  // The holder directory's endpoint stands in for a pointer registered without one.
  const endpoints = new Map(
    (deps.ics.directory?.holders ?? []).flatMap((holder) =>
      holder.protocol === 'gpconnect-1.6-stu3' ? [[holder.ods, holder.endpoint] as const] : [],
    ),
  )
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
      // FHIR: total counts every match; with more pages to come we do not know it, so leave it out.
      ...(page.cursor ? {} : { total: page.entries.length }),
      link: links,
      entry: page.entries.map((entry) => ({ resource: pointerOf(entry, endpoints.get(entry.holderOds)) })),
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
