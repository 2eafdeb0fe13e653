import type { Caller } from '../../schemas/auth'
import { PointerRegistration } from '../../schemas/fhir/DocumentReference'
import {
  isValidNhsNumber,
  NHS_NUMBER_SYSTEM,
  ODS_CODE_SYSTEM,
  parseTokenParameter,
} from '../../schemas/fhir/identifiers'
import { LOCAL_RECORD_TYPES, type RecordType, recordTypeOf, SNOMED } from '../../schemas/fhir/recordTypes'
import type { IcsRuntimeConfig } from '../../schemas/ics-config'
import { recordTypesAllowedFor } from '../../schemas/ics-policy'
import { FhirError } from '../shared/errors'
import type { EventPublisher } from '../shared/events'
import { isLocalIcs } from '../shared/ics'
import type { PatientIndex } from '../shared/patient-index/PatientIndex'
import { nhsNumberOf } from '../shared/patients/PatientCache'
import type { PatientDirectory } from '../shared/patients/PatientDirectory'
import type { AuditFacts, OrganisationAuditFacts } from '../shared/ports'
import type { Clock } from '../shared/time'
import { checkUntrustedEndpoint } from '../shared/untrustedEndpoint'
import { pointerIdOf, pointerOf } from './pointers'

export interface ProducerDependencies {
  index: PatientIndex
  publisher: EventPublisher
  clock: Clock
  /** PDS lookup: a pointer needs an NHS number PDS knows; a superseded number means its replacement. */
  directory: PatientDirectory
  /** The ICS: its members' roles (the record types each may register) and whether it runs locally. */
  ics: IcsRuntimeConfig
}

/** The ids of the API request, passed on to PDS lookups. */
export interface ProducerContext {
  correlationId: string
  requestId?: string
}

/**
 * The NHS number the index keys a patient by: PDS's current number for the person (a
 * superseded number resolves to its replacement, as PDS reads do), or undefined when PDS
 * lookup does not know the number (never issued, or invalidated without a replacement).
 */
export async function currentNhsNumber(
  nhsNumber: string,
  directory: PatientDirectory,
  context: ProducerContext,
): Promise<string | undefined> {
  const found = await directory.read(nhsNumber, {
    requestId: context.requestId ?? context.correlationId,
    correlationId: context.correlationId,
  })
  return found.kind === 'found' ? nhsNumberOf(found.patient) : undefined
}

/**
 * An organisation announces that it holds a record about a patient. It may only speak
 * for its own ODS code (403 otherwise), only with a record type its role may hold (403,
 * as NRL's per-organisation pointer types), only about a patient PDS lookup knows (a
 * superseded number is registered under its replacement), and only with an endpoint URL
 * that passes the untrusted-endpoint rules; a pointer that is already current is a
 * duplicate (409, as NRL). The index is not written here: a RecordHolderRegistered v2
 * event is published and the index consumer applies it, as every other producer's are.
 */
export async function registerPointer(
  body: unknown,
  caller: Caller,
  context: ProducerContext,
  deps: ProducerDependencies,
): Promise<{ pointer: ReturnType<typeof pointerOf>; audit: AuditFacts[] }> {
  const parsed = PointerRegistration.safeParse(body)
  if (!parsed.success) {
    const where = parsed.error.issues.map((issue) => issue.path.join('.') || 'resource').join(', ')
    throw new FhirError(
      'INVALID_RESOURCE',
      `The DocumentReference is missing or has invalid fields: ${where}`,
      {
        status: 400,
      },
    )
  }
  const registration = parsed.data
  const { subject, custodian } = registration
  if (subject.identifier.system !== NHS_NUMBER_SYSTEM || !isValidNhsNumber(subject.identifier.value)) {
    throw new FhirError(
      'INVALID_NHS_NUMBER',
      'subject.identifier must be a valid NHS number (https://fhir.nhs.uk/Id/nhs-number)',
    )
  }
  if (custodian.identifier.system !== ODS_CODE_SYSTEM) {
    throw new FhirError('INVALID_RESOURCE', `custodian.identifier.system must be ${ODS_CODE_SYSTEM}`, {
      status: 400,
    })
  }
  if (custodian.identifier.value !== caller.organisation) {
    throw new FhirError(
      'AUTHOR_CREDENTIALS_ERROR',
      `The custodian must be your own organisation (${caller.organisation})`,
    )
  }
  const coding = registration.type.coding[0]!
  const recordType = coding.system && coding.code ? recordTypeOf(coding.system, coding.code) : undefined
  if (!recordType) {
    throw new FhirError(
      'INVALID_CODE_SYSTEM',
      `type.coding must be one of the ICS record types (${SNOMED} or ${LOCAL_RECORD_TYPES})`,
    )
  }
  const role = deps.ics.members.find((member) => member.ods === caller.organisation)?.role
  if (!role || !recordTypesAllowedFor(deps.ics, role).includes(recordType.code)) {
    // NRL: AUTHOR_CREDENTIALS_ERROR, "not in the list of allowed types for this organisation".
    throw new FhirError(
      'AUTHOR_CREDENTIALS_ERROR',
      'The type of the provided DocumentReference is not in the list of allowed types for this organisation',
    )
  }
  const sentUrl = registration.content?.[0]?.attachment.url
  let endpoint: string | undefined
  if (sentUrl !== undefined) {
    const verdict = checkUntrustedEndpoint(sentUrl, { allowLoopback: isLocalIcs(deps.ics) })
    if (!verdict.ok) {
      throw new FhirError('INVALID_RESOURCE', `content[0].attachment.url: ${verdict.reason}`, { status: 400 })
    }
    endpoint = verdict.url
  }
  // PDS lookup and the duplicate check at once: the number sent is nearly always current.
  const sent = subject.identifier.value
  const [nhsNumber, sentEntry] = await Promise.all([
    currentNhsNumber(sent, deps.directory, context),
    deps.index.entry(sent, caller.organisation, recordType.code),
  ])
  if (!nhsNumber) {
    throw new FhirError('INVALID_NHS_NUMBER', 'subject.identifier is not an NHS number PDS lookup knows')
  }
  const existing =
    nhsNumber === sent ? sentEntry : await deps.index.entry(nhsNumber, caller.organisation, recordType.code)
  if (existing?.status === 'current') {
    throw new FhirError('DUPLICATE_REJECTED', 'Create would lead to creation of a duplicate resource')
  }
  const [eventId] = await deps.publisher.publish(
    [
      {
        detailType: 'RecordHolderRegistered',
        major: 2,
        data: { nhsNumber, holderOds: caller.organisation, recordType, ...(endpoint ? { endpoint } : {}) },
      },
    ],
    context,
  )
  const now = deps.clock().toISOString()
  const pointer = pointerOf({
    nhsNumber,
    holderOds: caller.organisation,
    recordType,
    ...(endpoint ? { endpoint } : {}),
    status: 'current',
    firstSeenAt: now,
    lastSeenAt: now,
    decidedAt: now,
    decidedBy: eventId!,
    sources: [],
    version: 0,
  })
  return {
    pointer,
    audit: [{ patient: nhsNumber, action: 'C', entities: [`DocumentReference/${pointer.id}`] }],
  }
}

/**
 * FHIR conditional delete by the custodian: with a subject, the organisation stops
 * holding (or may no longer share) that patient's records, of one type or all; without
 * one, it withdraws everything it holds (it closes or leaves the ICS). Both are events.
 * A withdrawal of everything names no patient: it is audited in the organisation's own
 * chain (`organisationAudit`), one record for the bulk change.
 */
export async function withdrawPointers(
  query: Record<string, string[]>,
  caller: Caller,
  context: ProducerContext,
  deps: ProducerDependencies,
): Promise<{ diagnostics: string; audit: AuditFacts[]; organisationAudit?: OrganisationAuditFacts[] }> {
  for (const name of Object.keys(query)) {
    if (!['subject:identifier', 'custodian:identifier', 'type', 'reason'].includes(name)) {
      throw new FhirError(
        'INVALID_PARAMETER',
        `Invalid query parameter (extra: ${name.slice(0, 60)} not permitted)`,
      )
    }
    if ((query[name]?.length ?? 0) > 1) throw new FhirError('INVALID_PARAMETER', `${name} may appear once`)
  }
  const custodianParam = query['custodian:identifier']?.[0]
  if (!custodianParam) {
    throw new FhirError('INVALID_PARAMETER', 'Invalid query parameter (custodian:identifier: field required)')
  }
  const custodian = parseTokenParameter(custodianParam)
  if (custodian.system !== ODS_CODE_SYSTEM) {
    throw new FhirError('INVALID_PARAMETER', `custodian:identifier must use ${ODS_CODE_SYSTEM}`)
  }
  if (custodian.value !== caller.organisation) {
    throw new FhirError(
      'AUTHOR_CREDENTIALS_ERROR',
      `You may only withdraw your own organisation's pointers (${caller.organisation})`,
    )
  }
  const subjectParam = query['subject:identifier']?.[0]
  if (!subjectParam) {
    if (query.type) throw new FhirError('INVALID_PARAMETER', 'type needs subject:identifier')
    const reason = query.reason?.[0] ?? 'sharing-suspended'
    if (!['organisation-closed', 'left-ics', 'sharing-suspended'].includes(reason)) {
      throw new FhirError(
        'INVALID_PARAMETER',
        'reason must be organisation-closed, left-ics or sharing-suspended',
      )
    }
    await deps.publisher.publish(
      [
        {
          detailType: 'OrganisationRecordsWithdrawn',
          major: 1,
          data: { holderOds: caller.organisation, reason },
        },
      ],
      context,
    )
    return {
      diagnostics: `Every pointer of ${caller.organisation} will be withdrawn`,
      audit: [],
      organisationAudit: [
        {
          organisation: caller.organisation,
          action: 'D',
          entities: [
            `DocumentReference?custodian:identifier=${ODS_CODE_SYSTEM}|${caller.organisation}&reason=${reason}`,
          ],
        },
      ],
    }
  }
  const subject = parseTokenParameter(subjectParam)
  if (subject.system !== NHS_NUMBER_SYSTEM || !isValidNhsNumber(subject.value)) {
    throw new FhirError('INVALID_NHS_NUMBER', 'subject:identifier must be a valid NHS number')
  }
  const reason = query.reason?.[0] ?? 'record-deleted'
  if (!['record-deleted', 'patient-objection', 'patient-moved', 'entered-in-error'].includes(reason)) {
    throw new FhirError(
      'INVALID_PARAMETER',
      'reason must be record-deleted, patient-objection, patient-moved or entered-in-error',
    )
  }
  // The index keys the person by PDS's current number; a number PDS no longer knows keeps its
  // own key, so an organisation can always withdraw what it registered.
  const nhsNumber = (await currentNhsNumber(subject.value, deps.directory, context)) ?? subject.value
  let recordTypes: RecordType[]
  if (query.type) {
    const type = parseTokenParameter(query.type[0]!)
    const known = type.system ? recordTypeOf(type.system, type.value) : undefined
    if (!known)
      throw new FhirError('INVALID_CODE_SYSTEM', 'type must be <system>|<code> of an ICS record type')
    recordTypes = [known]
  } else {
    // Without a type: every type this organisation currently holds for the patient, one event each.
    const held = await deps.index.entriesOfHolder(nhsNumber, caller.organisation)
    recordTypes = held.filter((entry) => entry.status === 'current').map((entry) => entry.recordType)
    if (recordTypes.length === 0)
      throw new FhirError('NO_RECORD_FOUND', 'You hold no current pointer for this patient')
  }
  await deps.publisher.publish(
    recordTypes.map((recordType) => ({
      detailType: 'RecordHolderRemoved' as const,
      major: 1,
      data: { nhsNumber, holderOds: caller.organisation, recordType, reason },
    })),
    context,
  )
  const entities = recordTypes.map(
    (recordType) => `DocumentReference/${pointerIdOf(nhsNumber, caller.organisation, recordType.code)}`,
  )
  return {
    diagnostics: 'The pointers will be withdrawn',
    audit: [{ patient: nhsNumber, action: 'D', entities }],
  }
}
