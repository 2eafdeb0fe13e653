import { isValidNhsNumber, NHS_NUMBER_SYSTEM, ODS_CODE_SYSTEM } from '../../schemas/fhir/identifiers'
import type { AuditRecord } from '../shared/audit/chain'
import { FhirError } from '../shared/errors'
import type { AuditFacts } from '../shared/ports'
import { type Clock, ukDateTime } from '../shared/time'

/** Reads a patient's audit chain, newest first. */
export interface AuditReader {
  page(nhsNumber: string, options: { limit: number; beforeSeq?: number }): Promise<AuditRecord[]>
}

export const AUDIT_PAGE_SIZE = 20
/** The most `_count` may ask for. */
export const AUDIT_MAX_PAGE_SIZE = 100
const CHAIN_EXTENSION = 'https://fhir.joinup.example/StructureDefinition/audit-chain'
const REQUEST_EXTENSION = 'https://fhir.joinup.example/StructureDefinition/request-ids'

const ACTION_INTERACTION: Record<AuditRecord['action'], string> = {
  C: 'create',
  R: 'read',
  U: 'update',
  D: 'delete',
  E: 'search-type',
}

/** GP Connect's reason_for_request values as v3 ActReason codes. */
function purposeOf(purpose: string) {
  const known: Record<string, { code: string; display: string }> = {
    directcare: { code: 'TREAT', display: 'treatment' },
    secondaryuses: { code: 'HRESCH', display: 'healthcare research' },
    patientrequest: { code: 'PATRQT', display: 'patient requested' },
  }
  const coding = known[purpose] ?? { code: 'HOPERAT', display: purpose }
  return { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ActReason', ...coding }] }
}

/** One audit record as a FHIR R4 AuditEvent: who (person and organisation), what, when, why, outcome. */
export function auditEventOf(record: AuditRecord, ics: string) {
  return {
    resourceType: 'AuditEvent' as const,
    id: `${record.seq}-${record.hash.slice(0, 16)}`,
    type: {
      system: 'http://terminology.hl7.org/CodeSystem/audit-event-type',
      code: 'rest',
      display: 'RESTful Operation',
    },
    subtype: [
      { system: 'http://hl7.org/fhir/restful-interaction', code: ACTION_INTERACTION[record.action] },
      { system: 'https://fhir.joinup.example/CodeSystem/operation', code: record.operation },
    ],
    action: record.action,
    recorded: ukDateTime(new Date(record.recordedAt)),
    // FHIR: 0 success, 4 minor failure (the caller's), 8 serious failure (ours).
    outcome: record.status < 400 ? '0' : record.status < 500 ? '4' : '8',
    purposeOfEvent: [purposeOf(record.caller.purposeOfUse)],
    agent: [
      {
        type: {
          coding: [
            {
              system: 'http://terminology.hl7.org/CodeSystem/extra-security-role-type',
              code: 'humanuser',
              display: 'human user',
            },
          ],
        },
        who: {
          identifier: { system: `https://fhir.joinup.example/Id/${ics}/subject`, value: record.caller.sub },
        },
        requestor: true,
        policy: record.caller.scopes,
      },
      {
        type: {
          coding: [
            {
              system: 'http://terminology.hl7.org/CodeSystem/extra-security-role-type',
              code: 'dataprocessor',
              display: 'data processor',
            },
          ],
        },
        who: { identifier: { system: ODS_CODE_SYSTEM, value: record.caller.organisation } },
        requestor: false,
      },
    ],
    source: {
      observer: { display: `joinup-${ics}` },
      type: [
        {
          system: 'http://terminology.hl7.org/CodeSystem/security-source-type',
          code: '4',
          display: 'Application Server',
        },
      ],
    },
    entity: [
      {
        what: { identifier: { system: NHS_NUMBER_SYSTEM, value: record.patient } },
        type: {
          system: 'http://terminology.hl7.org/CodeSystem/audit-entity-type',
          code: '1',
          display: 'Person',
        },
        role: { system: 'http://terminology.hl7.org/CodeSystem/object-role', code: '1', display: 'Patient' },
      },
      ...record.entities.map((reference) => ({ what: { reference } })),
    ],
    extension: [
      {
        url: REQUEST_EXTENSION,
        extension: [
          { url: 'requestId', valueString: record.requestId },
          { url: 'correlationId', valueString: record.correlationId },
        ],
      },
      {
        url: CHAIN_EXTENSION,
        extension: [
          { url: 'seq', valueInteger: record.seq },
          { url: 'prevHash', valueString: record.prevHash },
          { url: 'hash', valueString: record.hash },
        ],
      },
    ],
  }
}

/**
 * The NHS number a `patient` parameter names: a reference (`Patient/<nhs>`, absolute or
 * relative, as the CapabilityStatement declares it), an identifier token
 * (`https://fhir.nhs.uk/Id/nhs-number|<nhs>`) or the bare number.
 */
function patientOf(raw: string): string {
  if (raw.startsWith(`${NHS_NUMBER_SYSTEM}|`)) return raw.slice(NHS_NUMBER_SYSTEM.length + 1)
  const reference = /(?:^|\/)Patient\/([^/]{1,20})$/.exec(raw)
  return reference ? reference[1]! : raw
}

/**
 * Who read or wrote what about a patient, newest first, 20 a page: the question patients
 * and IG leads ask. Reading the audit is itself audited.
 */
export async function auditEventsOf(
  query: Record<string, string[]>,
  baseUrl: string,
  deps: { reader: AuditReader; ics: string; clock: Clock },
): Promise<{ bundle: Record<string, unknown>; audit: AuditFacts[] }> {
  for (const [name, values] of Object.entries(query)) {
    if (!['patient', '_count', '_cursor'].includes(name))
      throw new FhirError('INVALID_PARAMETER', `Unknown parameter ${name.slice(0, 60)}`)
    if (values.length > 1) throw new FhirError('INVALID_PARAMETER', `${name} may appear once`)
  }
  const raw = query.patient?.[0]
  if (!raw) throw new FhirError('MISSING_VALUE', "Missing value - 'patient'")
  const nhsNumber = patientOf(raw)
  if (!isValidNhsNumber(nhsNumber))
    throw new FhirError('INVALID_NHS_NUMBER', 'patient must be a valid NHS number')
  const cursor = query._cursor?.[0]
  if (cursor !== undefined && !(/^[1-9]\d{0,15}$/.test(cursor) && Number.isSafeInteger(Number(cursor))))
    throw new FhirError('INVALID_PARAMETER', 'Invalid paging cursor')
  const countText = query._count?.[0]
  const limit =
    countText === undefined ? AUDIT_PAGE_SIZE : /^\d{1,3}$/.test(countText) ? Number(countText) : 0
  if (!(limit >= 1 && limit <= AUDIT_MAX_PAGE_SIZE))
    throw new FhirError('INVALID_PARAMETER', `_count must be 1 to ${AUDIT_MAX_PAGE_SIZE}`)
  const records = await deps.reader.page(nhsNumber, {
    limit: limit + 1,
    ...(cursor ? { beforeSeq: Number(cursor) } : {}),
  })
  const shown = records.slice(0, limit)
  // The chain numbers records 1, 2, 3… and never loses one, so its newest seq is the total.
  const newest = cursor ? (await deps.reader.page(nhsNumber, { limit: 1 }))[0] : records[0]
  const total = newest?.seq ?? 0
  const linkOf = (pageCursor?: string) =>
    `${baseUrl}/AuditEvent?${new URLSearchParams({
      patient: `Patient/${nhsNumber}`,
      ...(countText !== undefined ? { _count: String(limit) } : {}),
      ...(pageCursor ? { _cursor: pageCursor } : {}),
    })}`
  const links = [{ relation: 'self', url: linkOf(cursor) }]
  if (records.length > limit) links.push({ relation: 'next', url: linkOf(String(shown.at(-1)!.seq)) })
  return {
    bundle: {
      resourceType: 'Bundle',
      type: 'searchset',
      timestamp: ukDateTime(deps.clock()),
      total,
      link: links,
      entry: shown.map((record) => {
        const event = auditEventOf(record, deps.ics)
        return { fullUrl: `${baseUrl}/AuditEvent/${event.id}`, resource: event, search: { mode: 'match' } }
      }),
    },
    audit: [{ patient: nhsNumber, action: 'R', entities: [`AuditEvent?patient=${nhsNumber}`] }],
  }
}
