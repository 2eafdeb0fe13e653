import { NHS_NUMBER_SYSTEM } from '../../../schemas/fhir/identifiers'
import type { HolderAnswer, HolderRecordSource, HolderRequest } from '../records/HolderRecordSource'
import { timedOut } from '../records/HolderRecordSource'
import { parametersOf } from '../records/query'
import {
  callGpConnect,
  GpConnectAnswerTooLarge,
  type GpConnectConsumerOptions,
  type GpConnectHolder,
} from './consumer'
import {
  entriesOf,
  type FhirResource,
  isMappedType,
  type MappingContext,
  r4Id,
  r4ResourceOf,
} from './stu3ToR4'

/** GP Connect Access Record Structured's interaction id (`Ssp-InteractionID`). */
export const GET_STRUCTURED_RECORD_INTERACTION =
  'urn:nhs:names:services:gpconnect:fhir:operation:gpc.getstructuredrecord-1'

type Json = Record<string, unknown>
const isObject = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value)

/** The Spine error code of a GP Connect OperationOutcome, if it carries a plausible one (also for appointments). */
export function spineCodeOf(body: unknown): string | undefined {
  if (!isObject(body) || body.resourceType !== 'OperationOutcome' || !Array.isArray(body.issue))
    return undefined
  const issue = body.issue[0]
  const coding =
    isObject(issue) && isObject(issue.details) && Array.isArray(issue.details.coding)
      ? issue.details.coding[0]
      : undefined
  const code = isObject(coding) ? coding.code : undefined
  return typeof code === 'string' && /^[A-Z_ ]{3,40}$/.test(code) ? code : undefined
}

/**
 * Reads a GP Connect structured record answer: a FHIR STU3 `collection` Bundle with a
 * Patient whose NHS number is the one asked for (GP Connect: consumers SHALL cross-check
 * the patient), mapped to R4. Anything else is not a structured record of this patient.
 */
export function structuredRecordOf(
  body: unknown,
  nhsNumber: string,
): { resources: FhirResource[]; notes: string[] } | { invalid: string } {
  if (!isObject(body) || body.resourceType !== 'Bundle') return { invalid: 'the answer is not a FHIR Bundle' }
  if (body.type !== 'collection') return { invalid: 'the answer is not a collection Bundle' }
  if (body.entry !== undefined && !Array.isArray(body.entry))
    return { invalid: 'the Bundle has no list of entries' }
  const resources = entriesOf(body)
  if (resources.some((resource) => !isObject(resource) || typeof resource.resourceType !== 'string'))
    return { invalid: 'the Bundle has an entry that is not a FHIR resource' }
  const patients = resources.filter((resource) => (resource as Json).resourceType === 'Patient') as Json[]
  const ofPatient = patients.filter((patient) =>
    (Array.isArray(patient.identifier) ? patient.identifier : []).some(
      (identifier) =>
        isObject(identifier) && identifier.system === NHS_NUMBER_SYSTEM && identifier.value === nhsNumber,
    ),
  )
  if (patients.length !== 1 || ofPatient.length !== 1)
    return { invalid: 'the record is not of the patient asked for (no single Patient with that NHS number)' }
  const patient = ofPatient[0]!
  const context: MappingContext = {
    patient:
      typeof patient.id === 'string' ? { reference: `Patient/${r4Id(patient.id, 'Patient')}` } : undefined,
  }
  const unmapped = new Map<string, number>()
  const mapped: FhirResource[] = []
  for (const resource of resources as Json[]) {
    if (!isMappedType(resource.resourceType)) {
      const type = String(resource.resourceType)
        .replace(/[^A-Za-z]/g, '')
        .slice(0, 40)
      unmapped.set(type, (unmapped.get(type) ?? 0) + 1)
      continue
    }
    const r4 = r4ResourceOf(resource, context)
    if (r4) mapped.push(r4)
  }
  const notes = [...unmapped].map(
    ([type, count]) =>
      `${count} ${type} resource${count === 1 ? ' was' : 's were'} left out: no R4 mapping for the type`,
  )
  return { resources: mapped, notes }
}

/**
 * Asks GP Connect 1.6 providers for structured records, as a GP Connect consumer
 * (functions/shared/gpconnect/consumer.ts), and answers them in R4.
 */
export class GpConnectRecordSource implements HolderRecordSource {
  constructor(private readonly options: GpConnectConsumerOptions) {}

  async structuredRecord(request: HolderRequest): Promise<HolderAnswer> {
    if (request.holder.protocol !== 'gpconnect-1.6-stu3')
      return { kind: 'failed', failure: 'not-reachable', detail: 'not a GP Connect provider' }
    const holder: GpConnectHolder = request.holder
    let answer: Awaited<ReturnType<typeof callGpConnect>>
    try {
      answer = await callGpConnect(
        {
          holder,
          directory: this.options.directory,
          interactionId: GET_STRUCTURED_RECORD_INTERACTION,
          method: 'POST',
          path: '/Patient/$gpc.getstructuredrecord',
          body: parametersOf(request.query),
          requestedScope: 'patient/*.read',
          consumer: {
            caller: request.caller,
            organisationName: request.callerOrganisationName,
            baseUrl: request.consumerBaseUrl,
            ics: this.options.ics,
          },
          signal: request.signal,
          now: (this.options.clock ?? (() => new Date()))(),
        },
        this.options.transport,
      )
    } catch (error) {
      if (timedOut(request.signal)) return { kind: 'failed', failure: 'timeout', detail: 'no answer in time' }
      if (error instanceof GpConnectAnswerTooLarge)
        return { kind: 'failed', failure: 'invalid', detail: 'the answer was too large to read' }
      return { kind: 'failed', failure: 'unreachable', detail: 'no answer (connection failed or broke off)' }
    }
    // Logged once per retrieval with the other holders' (functions/record-retrieval/handler.ts).
    const exchange = { status: answer.status, traceId: answer.traceId }
    if (answer.status === 200) {
      const record = structuredRecordOf(answer.json, request.query.nhsNumber)
      if ('invalid' in record) return { kind: 'failed', failure: 'invalid', detail: record.invalid, exchange }
      return { kind: 'answered', resources: record.resources, notes: record.notes, exchange }
    }
    const code = spineCodeOf(answer.json)
    const said = code ? ` ${code}` : ''
    if (answer.status === 404)
      return { kind: 'failed', failure: 'not-found', detail: `answered 404${said}`, exchange }
    if (answer.status >= 400 && answer.status < 500)
      return { kind: 'failed', failure: 'refused', detail: `answered ${answer.status}${said}`, exchange }
    return { kind: 'failed', failure: 'error', detail: `answered ${answer.status}${said}`, exchange }
  }
}
