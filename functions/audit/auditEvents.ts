import type { Caller, PatientCaller } from '../../schemas/auth'
import { isValidNhsNumber, NHS_NUMBER_SYSTEM, ODS_CODE_SYSTEM } from '../../schemas/fhir/identifiers'
import type { AuditRecord } from '../shared/audit/chain'
import type { AuditPage } from '../shared/audit/DynamoDbAuditTrail'
import { FhirError } from '../shared/errors'
import type { PatientIndex } from '../shared/patient-index/PatientIndex'
import { careRelationshipOf } from '../shared/patients/careRelationship'
import { isRestricted } from '../shared/patients/confidentiality'
import { nhsNumberOf } from '../shared/patients/PatientCache'
import type { CallContext, PatientDirectory } from '../shared/patients/PatientDirectory'
import type { AuditFacts } from '../shared/ports'
import { type Clock, ukDateTime } from '../shared/time'

/** Reads a patient's audit chain, newest first. */
export interface AuditReader {
  page(nhsNumber: string, options: { limit: number; beforeSeq?: number }): Promise<AuditRecord[]>
  /** Only the records one organisation's staff made. */
  pageByOrganisation(
    nhsNumber: string,
    organisation: string,
    options: { limit: number; beforeSeq?: number },
  ): Promise<AuditPage>
}

export interface AuditReadDependencies {
  reader: AuditReader
  ics: string
  clock: Clock
  /** PDS lookup: the patient's GP, nominated pharmacy, restricted flag and current NHS number. */
  directory: PatientDirectory
  /** The patient index: whether the reading organisation holds records about the patient. */
  index: Pick<PatientIndex, 'holdersOf'>
}

/** What a reader of one patient's trail sees (DESIGN.md "Who may see what"). */
type AuditView =
  /** The patient: every record, other people's identities reduced to their organisation. */
  | { kind: 'patient' }
  /** An organisation caring for an unrestricted patient: every record, other organisations' staff reduced. */
  | { kind: 'care'; ods: string }
  /** Any other organisation: the accesses its own staff made, in full. */
  | { kind: 'own'; ods: string }

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

/**
 * One audit record as a FHIR R4 AuditEvent: who (person and organisation), what, when, why,
 * outcome. With `reduced`, the person is left out (the organisation stays): how a reader sees
 * another organisation's staff. A patient's own request names the patient; a refused request
 * without a verified token names no one.
 */
export function auditEventOf(record: AuditRecord, ics: string, options: { reduced?: boolean } = {}) {
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
    ...(record.outcomeCode ? { outcomeDesc: record.outcomeCode } : {}),
    // An unauthenticated attempt states no purpose.
    ...(record.caller.purposeOfUse ? { purposeOfEvent: [purposeOf(record.caller.purposeOfUse)] } : {}),
    agent: agentsOf(record, ics, options.reduced ?? false),
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

const HUMAN_USER = {
  coding: [
    {
      system: 'http://terminology.hl7.org/CodeSystem/extra-security-role-type',
      code: 'humanuser',
      display: 'human user',
    },
  ],
}
const DATA_PROCESSOR = {
  coding: [
    {
      system: 'http://terminology.hl7.org/CodeSystem/extra-security-role-type',
      code: 'dataprocessor',
      display: 'data processor',
    },
  ],
}

/** The AuditEvent agents of a record: the person (unless reduced) and their organisation. */
function agentsOf(record: AuditRecord, ics: string, reduced: boolean) {
  const { caller } = record
  if (caller.kind === 'unauthenticated') {
    return [{ type: HUMAN_USER, who: { display: 'unauthenticated caller' }, requestor: true }]
  }
  if (caller.kind === 'patient') {
    // Another patient's attempt (refused: a patient reads only their own trail) never names them.
    const self = caller.sub === record.patient
    const shown = self && !reduced
    return [
      {
        type: HUMAN_USER,
        who: shown
          ? { identifier: { system: NHS_NUMBER_SYSTEM, value: caller.sub } }
          : { display: self ? 'the patient' : 'another patient' },
        requestor: true,
        ...(shown ? { policy: caller.scopes } : {}),
      },
    ]
  }
  const organisation = {
    type: DATA_PROCESSOR,
    who: { identifier: { system: ODS_CODE_SYSTEM, value: caller.organisation } },
    requestor: reduced,
  }
  if (reduced) return [organisation]
  return [
    {
      type: HUMAN_USER,
      who: { identifier: { system: `https://fhir.joinup.example/Id/${ics}/subject`, value: caller.sub } },
      requestor: true,
      policy: caller.scopes,
    },
    organisation,
  ]
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
 * and IG leads ask. Reading the audit is itself audited. Who may read what (DESIGN.md "Who
 * may see what"):
 * - the patient, with their own token: their whole trail, people reduced to their organisation;
 * - an organisation with a care relationship (a holder in the index, the registered GP, the
 *   nominated pharmacy): the whole trail, other organisations' staff reduced to the organisation;
 * - any other organisation, and every organisation for a restricted patient (whose other
 *   organisations no route reveals, confidentiality.ts): the accesses its own staff made.
 */
export async function auditEventsOf(
  query: Record<string, string[]>,
  baseUrl: string,
  caller: Caller | PatientCaller,
  context: CallContext,
  deps: AuditReadDependencies,
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
  if (caller.kind === 'patient' && caller.nhsNumber !== nhsNumber)
    throw new FhirError('ACCESS_DENIED', 'A patient may read only their own audit trail')

  // The trail is kept under PDS's current number for the person (lookup.ts audits reads so).
  const found = await deps.directory.read(nhsNumber, context)
  const patient = found.kind === 'found' ? found.patient : undefined
  const chain = patient ? nhsNumberOf(patient) : nhsNumber
  const view = await viewOf(caller, chain, patient, deps)
  const beforeSeq = cursor ? Number(cursor) : undefined
  let shown: AuditRecord[]
  let nextBeforeSeq: number | undefined
  let total: number | undefined
  if (view.kind === 'own') {
    const page = await deps.reader.pageByOrganisation(chain, view.ods, { limit, beforeSeq })
    shown = page.records
    nextBeforeSeq = page.nextBeforeSeq
    // Only its own records count for this reader (the chain's length would say how many others
    // looked): known when one page holds them all, else left out, as FHIR allows.
    total = nextBeforeSeq === undefined && beforeSeq === undefined ? shown.length : undefined
  } else {
    const records = await deps.reader.page(chain, { limit: limit + 1, ...(beforeSeq ? { beforeSeq } : {}) })
    shown = records.slice(0, limit)
    if (records.length > limit) nextBeforeSeq = shown.at(-1)!.seq
    // The chain numbers records 1, 2, 3… and never loses one, so its newest seq is the total.
    const newest = beforeSeq ? (await deps.reader.page(chain, { limit: 1 }))[0] : records[0]
    total = newest?.seq ?? 0
  }
  const linkOf = (pageCursor?: string) =>
    `${baseUrl}/AuditEvent?${new URLSearchParams({
      patient: `Patient/${nhsNumber}`,
      ...(countText !== undefined ? { _count: String(limit) } : {}),
      ...(pageCursor ? { _cursor: pageCursor } : {}),
    })}`
  const links = [{ relation: 'self', url: linkOf(cursor) }]
  if (nextBeforeSeq !== undefined) links.push({ relation: 'next', url: linkOf(String(nextBeforeSeq)) })
  return {
    bundle: {
      resourceType: 'Bundle',
      type: 'searchset',
      timestamp: ukDateTime(deps.clock()),
      ...(total === undefined ? {} : { total }),
      link: links,
      entry: shown.map((record) => {
        const event = auditEventOf(record, deps.ics, { reduced: isReduced(view, record) })
        return { fullUrl: `${baseUrl}/AuditEvent/${event.id}`, resource: event, search: { mode: 'match' } }
      }),
    },
    audit: [{ patient: chain, action: 'R', entities: [`AuditEvent?patient=${nhsNumber}`] }],
  }
}

/** Which view of the trail the caller gets. */
async function viewOf(
  caller: Caller | PatientCaller,
  nhsNumber: string,
  patient: Parameters<typeof isRestricted>[0] | undefined,
  deps: AuditReadDependencies,
): Promise<AuditView> {
  if (caller.kind === 'patient') return { kind: 'patient' }
  const ods = caller.organisation
  // A restricted patient's other organisations are revealed to no organisation (confidentiality.ts).
  if (patient && isRestricted(patient)) return { kind: 'own', ods }
  const relationship = await careRelationshipOf(ods, nhsNumber, patient, deps.index)
  return relationship ? { kind: 'care', ods } : { kind: 'own', ods }
}

/** Whether a record's person is shown reduced to their organisation in this view. */
function isReduced(view: AuditView, record: AuditRecord): boolean {
  if (view.kind === 'patient') return record.caller.kind !== 'patient'
  if (record.caller.kind === 'patient') return false // the patient's own request, to their carers
  return record.caller.organisation !== view.ods
}
