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
      ...record.entities.map((reference) => {
        const outcome = record.entityOutcomes?.[reference]
        return {
          what: { reference },
          ...(outcome ? { detail: [{ type: 'outcome', valueString: outcome }] } : {}),
        }
      }),
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
 * Who read or wrote what about a patient, newest first, 20 a page: the question patients
 * and IG leads ask. Reading the audit is itself audited.
 */
export async function auditEventsOf(
  query: Record<string, string[]>,
  baseUrl: string,
  deps: { reader: AuditReader; ics: string; clock: Clock },
): Promise<{ bundle: Record<string, unknown>; audit: AuditFacts[] }> {
  for (const [name, values] of Object.entries(query)) {
    if (!['patient', '_cursor'].includes(name))
      throw new FhirError('INVALID_PARAMETER', `Unknown parameter ${name.slice(0, 60)}`)
    if (values.length > 1) throw new FhirError('INVALID_PARAMETER', `${name} may appear once`)
  }
  const raw = query.patient?.[0]
  if (!raw) throw new FhirError('MISSING_VALUE', "Missing value - 'patient'")
  const nhsNumber = raw.startsWith(`${NHS_NUMBER_SYSTEM}|`) ? raw.slice(NHS_NUMBER_SYSTEM.length + 1) : raw
  if (!isValidNhsNumber(nhsNumber))
    throw new FhirError('INVALID_NHS_NUMBER', 'patient must be a valid NHS number')
  const cursor = query._cursor?.[0]
  if (cursor !== undefined && !(/^[1-9]\d{0,15}$/.test(cursor) && Number.isSafeInteger(Number(cursor))))
    throw new FhirError('INVALID_PARAMETER', 'Invalid paging cursor')
  const records = await deps.reader.page(nhsNumber, {
    limit: AUDIT_PAGE_SIZE + 1,
    ...(cursor ? { beforeSeq: Number(cursor) } : {}),
  })
  const shown = records.slice(0, AUDIT_PAGE_SIZE)
  const links = [
    {
      relation: 'self',
      url: `${baseUrl}/AuditEvent?${new URLSearchParams({ patient: nhsNumber, ...(cursor ? { _cursor: cursor } : {}) })}`,
    },
  ]
  if (records.length > AUDIT_PAGE_SIZE) {
    const next = new URLSearchParams({ patient: nhsNumber, _cursor: String(shown.at(-1)!.seq) })
    links.push({ relation: 'next', url: `${baseUrl}/AuditEvent?${next}` })
  }
  return {
    bundle: {
      resourceType: 'Bundle',
      type: 'searchset',
      timestamp: ukDateTime(deps.clock()),
      total: shown.length,
      link: links,
      entry: shown.map((record) => ({ resource: auditEventOf(record, deps.ics) })),
    },
    audit: [{ patient: nhsNumber, action: 'R', entities: [`AuditEvent?patient=${nhsNumber}`] }],
  }
}
