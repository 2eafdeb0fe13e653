import type { Caller } from '../../schemas/auth'
import type { Patient } from '../../schemas/fhir/Patient'
import { DEFAULT_HOLDER_TIMEOUT_MS } from '../../schemas/holder-timeouts'
import type { DirectoryEntry, HolderProtocol, IcsRuntimeConfig } from '../../schemas/ics-config'
import { FhirError } from '../shared/errors'
import type { FhirResource } from '../shared/gpconnect/stu3ToR4'
import type { PatientIndex } from '../shared/patient-index/PatientIndex'
import { isRestricted } from '../shared/patients/confidentiality'
import { nhsNumberOf } from '../shared/patients/PatientCache'
import type { CallContext, PatientDirectory } from '../shared/patients/PatientDirectory'
import type { AuditFacts } from '../shared/ports'
import type { HolderAnswer, HolderRecordSource } from '../shared/records/HolderRecordSource'
import type { StructuredRecordQuery } from '../shared/records/query'
import type { Clock } from '../shared/time'
import { type HolderResult, mergeStructuredRecord } from './merge'
import { parseStructuredRecordRequest } from './parameters'

/** The whole retrieval answers within the holder timeout plus this (issue 10: timeout + 500 ms). */
export const RETRIEVAL_GRACE_MS = 500
/** Of the grace, what merging and the audit append may take after the last holder is cut off. */
const FINISHING_MS = 200
/** Most index pages read for one patient (20 holders' entries a page would be a very unusual patient). */
const MAX_INDEX_PAGES = 5

export interface RetrievalDependencies {
  patients: PatientDirectory
  index: PatientIndex
  /** One source per protocol the directory uses. */
  sources: Record<HolderProtocol, HolderRecordSource>
  ics: IcsRuntimeConfig
  clock: Clock
}

export interface RetrievalContext extends CallContext {
  /** This API's public base URL. */
  baseUrl: string
}

export interface StructuredRecordRetrieval {
  bundle: FhirResource
  audit: AuditFacts[]
  /** How each holder's part ended (`answered`, or its failure) and what its protocol said, for metrics and the log. */
  holders: { ods: string; outcome: string; status?: number; traceId?: string }[]
}

/** The reason a holder's signal is aborted once the retrieval is over (an object, not an Error: no stack to capture). */
const RETRIEVAL_OVER = Object.freeze({ name: 'RetrievalOver', message: 'The retrieval is over' })

/** A TimeoutError as AbortSignal.timeout makes it, so `timedOut` recognises ours too. */
function timeoutError(): DOMException {
  return new DOMException('The holder did not answer in time', 'TimeoutError')
}

/** GP Connect answers PATIENT_NOT_FOUND for unknown, sensitive, deceased and inactive patients alike. */
function patientNotFound(): FhirError {
  return new FhirError('PATIENT_NOT_FOUND', 'No record can be returned for this NHS number')
}

function isDeceased(patient: Patient): boolean {
  const deceased = patient as Patient & { deceasedBoolean?: boolean }
  return deceased.deceasedDateTime !== undefined || deceased.deceasedBoolean === true
}

/** The organisations the patient index lists for a patient, each once, in index order. */
async function holdersOf(index: PatientIndex, nhsNumber: string): Promise<string[]> {
  const holders: string[] = []
  let cursor: string | undefined
  for (let page = 0; page < MAX_INDEX_PAGES; page++) {
    const result = await index.holdersOf(nhsNumber, {}, { limit: 100, ...(cursor ? { cursor } : {}) })
    for (const entry of result.entries) if (!holders.includes(entry.holderOds)) holders.push(entry.holderOds)
    cursor = result.cursor
    if (!cursor) break
  }
  return holders
}

/** The registered GP first: its copy of a statement is the one a de-duplication keeps. */
function registeredGpFirst(holders: string[], registeredGp: string | undefined): string[] {
  return registeredGp && holders.includes(registeredGp)
    ? [registeredGp, ...holders.filter((ods) => ods !== registeredGp)]
    : holders
}

/**
 * Asks one holder, and always settles by the time its signal is aborted: a source that
 * ignores the signal is answered for, as timed out, without waiting for it.
 */
function askHolder(
  source: HolderRecordSource,
  request: Parameters<HolderRecordSource['structuredRecord']>[0],
) {
  const answered = source
    .structuredRecord(request)
    .catch((): HolderAnswer => ({ kind: 'failed', failure: 'error', detail: 'the retrieval from it failed' }))
  const cutOff = new Promise<HolderAnswer>((resolve) => {
    const onAbort = () => resolve({ kind: 'failed', failure: 'timeout', detail: 'no answer in time' })
    if (request.signal.aborted) onAbort()
    else request.signal.addEventListener('abort', onAbort, { once: true })
    // Once answered, the listener has nothing to do.
    answered.finally(() => request.signal.removeEventListener('abort', onAbort))
  })
  return Promise.race([answered, cutOff])
}

/**
 * GP Connect Access Record Structured, federated: validates the Parameters, reads the
 * patient from PDS (404 PATIENT_NOT_FOUND for an unknown, restricted, deceased or broken
 * superseded record; 403 NO_PATIENT_CONSENT for a patient who dissented from sharing),
 * finds their holders in the patient index (404 NO_RECORD_FOUND when there are none), asks
 * every holder at once through its directory entry, each for at most the ICS's holder
 * timeout, and merges what came back. The whole call ends within that timeout plus 500 ms
 * whatever the holders do.
 */
export async function getStructuredRecord(
  body: unknown,
  caller: Caller,
  context: RetrievalContext,
  deps: RetrievalDependencies,
): Promise<StructuredRecordRetrieval> {
  const startedAt = Date.now()
  const timeoutMs = deps.ics.directory?.holderTimeoutMs ?? DEFAULT_HOLDER_TIMEOUT_MS
  const asked = parseStructuredRecordRequest(body, deps.clock())

  // The patient and their holders are both needed before anyone is asked: read them together.
  const indexed = holdersOf(deps.index, asked.nhsNumber)
  indexed.catch(() => {})
  const read = await deps.patients.read(asked.nhsNumber, context)
  if (read.kind !== 'found') throw patientNotFound()
  const patient = read.patient
  // Sensitive first: a restricted patient's other facts (death, dissent) stay unsaid.
  if (isRestricted(patient) || isDeceased(patient)) throw patientNotFound()
  if (read.dissentsFromSharing)
    throw new FhirError('NO_PATIENT_CONSENT', 'The patient has dissented from sharing their record')
  const nhsNumber = nhsNumberOf(patient)
  const registeredGp = patient.generalPractitioner?.[0]?.identifier?.value
  // A superseded number reads as its replacement (as PDS does): ask about the current one.
  const holderOds = registeredGpFirst(
    nhsNumber === asked.nhsNumber ? await indexed : await holdersOf(deps.index, nhsNumber),
    registeredGp,
  )
  if (holderOds.length === 0)
    throw new FhirError('NO_RECORD_FOUND', 'No organisation in this ICS holds a record for this patient')
  const query: StructuredRecordQuery = { ...asked, nhsNumber }

  const members = new Map(deps.ics.members.map((member) => [member.ods, member.name]))
  const directory = new Map(
    (deps.ics.directory?.holders ?? [])
      .filter((entry) => entry.interactions.includes('structured-record'))
      .map((entry) => [entry.ods, entry] as const),
  )
  const deadline = startedAt + timeoutMs + RETRIEVAL_GRACE_MS - FINISHING_MS
  const holderTime = Math.max(0, Math.min(timeoutMs, deadline - Date.now()))
  const results = await Promise.all(
    holderOds.map(async (ods): Promise<HolderResult> => {
      const name = members.get(ods) ?? ods
      const entry: DirectoryEntry | undefined = directory.get(ods)
      if (!entry)
        return {
          ods,
          name,
          answer: {
            kind: 'failed',
            failure: 'not-reachable',
            detail: 'the ICS directory lists no structured-record endpoint for it',
          },
        }
      const controller = new AbortController()
      const timer = setTimeout(() => controller.abort(timeoutError()), holderTime)
      try {
        const answer = await askHolder(deps.sources[entry.protocol], {
          holder: entry,
          query,
          caller,
          callerOrganisationName: members.get(caller.organisation) ?? caller.organisation,
          consumerBaseUrl: context.baseUrl,
          requestId: context.requestId,
          correlationId: context.correlationId,
          signal: controller.signal,
        })
        if (answer.kind === 'failed' && answer.failure === 'timeout')
          return { ods, name, answer: { ...answer, detail: `no answer within ${holderTime} ms` } }
        return { ods, name, answer }
      } finally {
        clearTimeout(timer)
        controller.abort(RETRIEVAL_OVER)
      }
    }),
  )

  const bundle = mergeStructuredRecord({ patient, nhsNumber, query, holders: results, now: deps.clock() })
  const entities = [
    ...(nhsNumber === asked.nhsNumber ? [] : [`Patient/${asked.nhsNumber}`]),
    `Patient/${nhsNumber}`,
    ...results.map((result) => `Organization/${result.ods}`),
  ]
  const entityOutcomes = Object.fromEntries(
    results.map((result) => [
      `Organization/${result.ods}`,
      result.answer.kind === 'answered' ? 'answered' : result.answer.failure,
    ]),
  )
  return {
    bundle,
    audit: [{ patient: nhsNumber, action: 'E', entities, entityOutcomes }],
    holders: results.map((result) => ({
      ods: result.ods,
      outcome: result.answer.kind === 'answered' ? 'answered' : result.answer.failure,
      ...(result.answer.exchange
        ? { status: result.answer.exchange.status, traceId: result.answer.exchange.traceId }
        : {}),
    })),
  }
}
