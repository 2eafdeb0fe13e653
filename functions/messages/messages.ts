import { createHash } from 'node:crypto'
import type { Caller } from '../../schemas/auth'
import { isValidNhsNumber, NHS_NUMBER_SYSTEM, ODS_CODE_SYSTEM } from '../../schemas/fhir/identifiers'
import { MESSAGE_RESOURCE_TYPES, MessageBundle, MessageHeader } from '../../schemas/fhir/Message'
import type { Patient } from '../../schemas/fhir/Patient'
import { recordTypeFromText } from '../../schemas/fhir/recordTypes'
import { FhirError } from '../shared/errors'
import type { EventPublisher } from '../shared/events'
import {
  DuplicateMessage,
  MESSAGE_EVENTS,
  type MessageEventCode,
  type MessageStore,
  type RecipientState,
  type StoredMessage,
} from '../shared/messages/MessageStore'
import { nominatedPharmacyOf } from '../shared/patients/careRelationship'
import { isRestricted } from '../shared/patients/confidentiality'
import type { CallContext, PatientDirectory } from '../shared/patients/PatientDirectory'
import type { AuditFacts } from '../shared/ports'
import {
  type ClinicalStore,
  InvalidStoredRecord,
  MAX_RECORD_BYTES,
  StoredRecordConflict,
} from '../shared/records/ClinicalStore'
import { type Clock, ukDateTime } from '../shared/time'

/** What the message routes need. */
export interface MessageDependencies {
  messages: MessageStore
  records: ClinicalStore
  patients: PatientDirectory
  publisher: EventPublisher
  clock: Clock
}

const invalid = (diagnostics: string, patient?: string) =>
  new FhirError('INVALID_RESOURCE', diagnostics, patient ? { patient } : {})

/** The message id: derived from the sender and its MessageHeader id, so a repeated header is the same message. */
export function messageIdOf(senderOds: string, messageHeaderId: string): string {
  return `${senderOds}-${createHash('sha256').update(`${senderOds}#${messageHeaderId}`).digest('hex').slice(0, 16)}`
}

/** The organisation a MessageHeader names as sender: an ODS identifier, or a reference to an Organization carrying one. */
function senderOdsOf(
  header: MessageHeader,
  resources: Map<string, Record<string, unknown>>,
): string | undefined {
  const { identifier, reference } = header.sender
  if (identifier?.system === ODS_CODE_SYSTEM && identifier.value) return identifier.value
  if (!reference) return undefined
  const organisation = resources.get(reference)
  const ids = organisation?.identifier as { system?: string; value?: string }[] | undefined
  return Array.isArray(ids) ? ids.find((id) => id?.system === ODS_CODE_SYSTEM)?.value : undefined
}

/** Every `reference` string in a resource, with where it is (breadth first, bounded by the body limits). */
function referencesIn(resource: unknown): { path: string; reference: string }[] {
  const found: { path: string; reference: string }[] = []
  const queue: { node: unknown; path: string }[] = [{ node: resource, path: '' }]
  for (let next = 0; next < queue.length; next++) {
    const { node, path } = queue[next]!
    if (typeof node !== 'object' || node === null) continue
    for (const [key, value] of Object.entries(node)) {
      const where = path ? `${path}.${key}` : key
      if (key === 'reference' && typeof value === 'string') found.push({ path: where, reference: value })
      else if (typeof value === 'object' && value !== null) queue.push({ node: value, path: where })
    }
  }
  return found
}

/** What a valid message says, checked: the flow, its sender, patient and resources. */
export interface CheckedMessage {
  bundle: MessageBundle
  header: MessageHeader
  eventCode: MessageEventCode
  senderOds: string
  nhsNumber: string
}

/**
 * Checks a message Bundle (FHIR R4 messaging): the MessageHeader first with an event this
 * stack routes; the sender is the caller's organisation (else 403); one Patient with a valid
 * NHS number; a Composition; only the allowed resource types; ids unique; every reference
 * inside the Bundle resolves (`Type/id`, a fullUrl, or `#contained`). Anything else is 422
 * INVALID_RESOURCE, as the issue asks for every content error.
 */
export function checkMessage(body: unknown, caller: Caller): CheckedMessage {
  const parsed = MessageBundle.safeParse(body)
  if (!parsed.success) {
    const where = [
      ...new Set(parsed.error.issues.slice(0, 5).map((issue) => issue.path.join('.') || 'resource')),
    ]
    throw invalid(
      `Not a FHIR message Bundle (type message, an id, entries with resources): ${where.join(', ')}`,
    )
  }
  const bundle = parsed.data
  const headerParsed = MessageHeader.safeParse(bundle.entry[0]!.resource)
  if (!headerParsed.success) {
    throw invalid(
      'The first entry must be a MessageHeader with eventCoding.code update-record or discharge-summary, a sender and a source endpoint',
    )
  }
  const header = headerParsed.data
  const byReference = new Map<string, Record<string, unknown>>()
  const fullUrls = new Set<string>()
  const allowed: readonly string[] = MESSAGE_RESOURCE_TYPES
  bundle.entry.forEach((entry, index) => {
    const { resourceType, id } = entry.resource
    if (!allowed.includes(resourceType))
      throw invalid(
        `entry[${index}]: ${resourceType} is not a resource type a message may carry (${allowed.join(', ')})`,
      )
    if (index > 0 && resourceType === 'MessageHeader')
      throw invalid(`entry[${index}]: only one MessageHeader, first`)
    const key = `${resourceType}/${id}`
    if (byReference.has(key)) throw invalid(`entry[${index}]: ${key} appears twice`)
    byReference.set(key, entry.resource)
    if (entry.fullUrl) fullUrls.add(entry.fullUrl)
  })
  const senderOds = senderOdsOf(header, byReference)
  if (!senderOds) throw invalid('MessageHeader.sender must name an organisation by its ODS code')
  if (senderOds !== caller.organisation)
    throw new FhirError('ACCESS_DENIED', 'The sender must be your own organisation')

  const patients = bundle.entry.filter((entry) => entry.resource.resourceType === 'Patient')
  if (patients.length !== 1) throw invalid('A message carries exactly one Patient')
  const identifiers = patients[0]!.resource.identifier as { system?: string; value?: unknown }[] | undefined
  const nhsNumber = Array.isArray(identifiers)
    ? identifiers.find((identifier) => identifier?.system === NHS_NUMBER_SYSTEM)?.value
    : undefined
  if (typeof nhsNumber !== 'string' || !isValidNhsNumber(nhsNumber))
    throw invalid('The Patient must carry a valid NHS number (modulus 11)')
  if (!bundle.entry.some((entry) => entry.resource.resourceType === 'Composition'))
    throw invalid('A message carries a Composition', nhsNumber)

  for (const entry of bundle.entry) {
    const contained = new Set((entry.resource.contained ?? []).map((resource) => `#${resource.id}`))
    for (const { path, reference } of referencesIn(entry.resource)) {
      const resolves =
        byReference.has(reference) ||
        fullUrls.has(reference) ||
        (reference.startsWith('#') && contained.has(reference))
      if (!resolves) {
        throw invalid(
          `${entry.resource.resourceType}/${entry.resource.id} ${path} does not resolve inside the Bundle`,
          nhsNumber,
        )
      }
    }
  }
  return { bundle, header, eventCode: header.eventCoding.code, senderOds, nhsNumber }
}

/** The registered GP practice (PDS `generalPractitioner`) of a patient. */
function registeredGpOf(patient: Patient): string | undefined {
  return patient.generalPractitioner?.find((gp) => gp.identifier?.system === ODS_CODE_SYSTEM)?.identifier
    ?.value
}

/** Who a message goes to: the registered GP for a summary; the nominated pharmacy and the GP for a discharge. */
export function recipientsOf(eventCode: MessageEventCode, patient: Patient): string[] {
  const gp = registeredGpOf(patient)
  const pharmacy = eventCode === 'discharge-summary' ? nominatedPharmacyOf(patient) : undefined
  return [...new Set([pharmacy, gp].filter((ods): ods is string => typeof ods === 'string'))]
}

/**
 * `POST /$process-message`: checks the message, finds its recipients through PDS, stores it
 * (the message store for delivery, the clinical store as the sender's record), registers the
 * sender as a holder and emits the flow's event. Idempotent: the same message again after a
 * crash finishes what was cut short; another message with a Bundle or MessageHeader id
 * already used is 409.
 */
export async function processMessage(
  body: unknown,
  caller: Caller,
  context: CallContext,
  deps: MessageDependencies,
  rawBody?: string,
): Promise<{ message: StoredMessage; audit: AuditFacts[] }> {
  const checked = checkMessage(body, caller)
  const { nhsNumber, senderOds, eventCode, bundle, header } = checked
  // Stored and delivered byte for byte as posted (the signature is over the exact body).
  const text = rawBody ?? JSON.stringify(body)
  const found = await deps.patients.read(nhsNumber, context)
  if (found.kind !== 'found' || found.patient.id !== nhsNumber)
    throw invalid('The Patient is not known to PDS by this NHS number (or it was superseded)', nhsNumber)
  const recipients = recipientsOf(eventCode, found.patient)
  if (recipients.length === 0) {
    throw invalid(
      eventCode === 'discharge-summary'
        ? 'PDS names neither a nominated pharmacy nor a registered GP for this patient'
        : 'PDS names no registered GP for this patient',
      nhsNumber,
    )
  }
  const now = deps.clock()
  const id = messageIdOf(senderOds, header.id)
  const state: RecipientState = {
    status: 'accepted',
    attempts: 0,
    deliveredTo: [],
    updatedAt: now.toISOString(),
  }
  let message: StoredMessage
  try {
    message = await deps.messages.accept({
      id,
      senderOds,
      eventCode,
      nhsNumber,
      restricted: isRestricted(found.patient),
      bundleId: bundle.id,
      messageHeaderId: header.id,
      correlationId: context.correlationId,
      requestId: context.requestId,
      acceptedAt: now.toISOString(),
      bundle: text,
      contentHash: createHash('sha256').update(text).digest('hex'),
      recipients: Object.fromEntries(recipients.map((ods) => [ods, state])),
      announced: false,
    })
  } catch (error) {
    if (error instanceof DuplicateMessage)
      throw new FhirError('DUPLICATE_REJECTED', error.message, { patient: nhsNumber })
    throw error
  }
  if (!message.announced) {
    await completeAcceptance(
      message,
      deps,
      bundle.entry.map((entry) => entry.resource),
    )
  }
  return {
    message,
    audit: [{ patient: nhsNumber, action: 'C', entities: [`Patient/${nhsNumber}`, `Message/${id}`] }],
  }
}

/**
 * Finishes the acceptance of a stored message (the outbox pattern, with single-item writes
 * only): writes the sender's record to the clinical store, publishes RecordHolderRegistered
 * and the flow's event, then takes the message out of the outbox. Every step is idempotent
 * (the record write compares content; event ids are derived from the message id and
 * consumers are idempotent by `metadata.id`), so a crash anywhere in it is repaired by
 * running it again: on a retry of the POST, or by the outbox sweep.
 */
export async function completeAcceptance(
  message: StoredMessage,
  deps: Pick<MessageDependencies, 'messages' | 'records' | 'publisher'>,
  resources: Record<string, unknown>[] = (
    JSON.parse(message.bundle) as { entry: { resource: Record<string, unknown> }[] }
  ).entry.map((entry) => entry.resource),
): Promise<void> {
  const { id, nhsNumber, senderOds, eventCode } = message
  const recordType = recordTypeFromText(
    eventCode === 'discharge-summary' ? 'Discharge summary' : 'Clinical summary',
  )
  try {
    await deps.records.write({
      nhsNumber,
      holderOds: senderOds,
      recordId: `message.${id}`,
      recordType,
      recordedAt: message.acceptedAt,
      resources: recordResourcesOf(resources) as Parameters<ClinicalStore['write']>[0]['resources'],
    })
  } catch (error) {
    if (error instanceof StoredRecordConflict)
      throw new FhirError('DUPLICATE_REJECTED', 'A different record was stored for this message', {
        patient: nhsNumber,
      })
    if (error instanceof InvalidStoredRecord) throw invalid(error.message, nhsNumber)
    throw error
  }
  await deps.publisher.publish(
    [
      {
        detailType: 'RecordHolderRegistered',
        major: 2,
        id: `holder.${id}`,
        occurredAt: ukDateTime(new Date(message.acceptedAt)),
        data: { nhsNumber, holderOds: senderOds, recordType },
      },
      {
        detailType: MESSAGE_EVENTS[eventCode],
        major: 1,
        id: `message.${id}`,
        occurredAt: ukDateTime(new Date(message.acceptedAt)),
        data: {
          messageId: id,
          messageHeaderId: message.messageHeaderId,
          nhsNumber,
          senderOds,
          recipients: Object.keys(message.recipients),
          restricted: message.restricted,
        },
      },
    ],
    { correlationId: message.correlationId },
  )
  await deps.messages.markAnnounced(id)
}

/**
 * What of a message goes into the sender's record in the clinical store: every resource but
 * the MessageHeader. A record item holds at most MAX_RECORD_BYTES, so when a message is
 * larger (a PDF discharge letter), its documents' inline bytes (`Binary.data`, an
 * attachment's `data`) are left out of the record, each marked with the FHIR
 * `data-absent-reason` extension `unsupported` (this store does not keep them); the whole
 * message, documents included, stays in the message store and reaches every recipient.
 */
export function recordResourcesOf(resources: Record<string, unknown>[]): Record<string, unknown>[] {
  const kept = resources.filter((resource) => resource.resourceType !== 'MessageHeader')
  if (Buffer.byteLength(JSON.stringify(kept)) <= MAX_RECORD_BYTES) return kept
  const withoutData = (node: Record<string, unknown>) => {
    const { data: _data, ...rest } = node
    return { ...rest, _data: { extension: [DATA_ABSENT_UNSUPPORTED] } }
  }
  return kept.map((resource) => {
    if (resource.resourceType === 'Binary' && 'data' in resource) return withoutData(resource)
    if (resource.resourceType === 'DocumentReference' && Array.isArray(resource.content))
      return {
        ...resource,
        content: (resource.content as { attachment?: unknown }[]).map((content) =>
          // Any shape may arrive here: only an object attachment carrying data is touched.
          typeof content?.attachment === 'object' &&
          content.attachment !== null &&
          'data' in content.attachment
            ? { ...content, attachment: withoutData(content.attachment as Record<string, unknown>) }
            : content,
        ),
      }
    return resource
  })
}

const DATA_ABSENT_UNSUPPORTED = {
  url: 'http://hl7.org/fhir/StructureDefinition/data-absent-reason',
  valueCode: 'unsupported',
}

/** How long a stored message may wait unannounced before the sweep finishes it (a POST in flight is younger). */
export const OUTBOX_GRACE_SECONDS = 60

/**
 * The outbox sweep: finishes the acceptance of every message stored before `now - graceSeconds`
 * whose events have not left (its POST died between storing and publishing, and its client
 * did not retry). Answers how many were announced and how many failed (left for the next sweep).
 */
export async function announcePending(
  deps: Pick<MessageDependencies, 'messages' | 'records' | 'publisher' | 'clock'>,
  graceSeconds: number = OUTBOX_GRACE_SECONDS,
): Promise<{ announced: number; failed: number }> {
  const before = new Date(deps.clock().getTime() - graceSeconds * 1000).toISOString()
  let announced = 0
  let failed = 0
  // Bounded: an index that lags behind markAnnounced may list a finished message again (harmless, idempotent).
  for (let page = 0; page < 40; page++) {
    const pending = await deps.messages.unannounced(before, 25)
    const results = await Promise.allSettled(pending.map((message) => completeAcceptance(message, deps)))
    announced += results.filter((result) => result.status === 'fulfilled').length
    failed += results.filter((result) => result.status === 'rejected').length
    // A page with a failure stops the sweep: the next one tries again (the index is eventually consistent).
    if (pending.length < 25 || results.some((result) => result.status === 'rejected')) break
  }
  return { announced, failed }
}

/** A message the caller may see: its sender or one of its recipients (403 otherwise, 404 when there is none). */
async function messageFor(id: string, caller: Caller, deps: Pick<MessageDependencies, 'messages'>) {
  const message = /^[A-Za-z0-9\-.]{1,64}$/.test(id) ? await deps.messages.message(id) : undefined
  if (!message) throw new FhirError('RESOURCE_NOT_FOUND', 'No message has this id')
  if (message.senderOds !== caller.organisation && !Object.hasOwn(message.recipients, caller.organisation))
    throw new FhirError('ACCESS_DENIED', 'Only the sender and the recipients may see a message', {
      patient: message.nhsNumber,
    })
  return message
}

/**
 * The status resource of a message (a FHIR R4 Parameters): its event, sender, acceptance and
 * one `recipient` part per recipient. For a restricted (S-flagged) patient a recipient's
 * organisation is shown only to itself (DESIGN.md "Who may see what").
 */
export function messageStatusOf(message: StoredMessage, viewer: string) {
  return {
    resourceType: 'Parameters',
    id: message.id,
    parameter: [
      { name: 'event', valueCode: message.eventCode },
      { name: 'sender', valueIdentifier: { system: ODS_CODE_SYSTEM, value: message.senderOds } },
      { name: 'accepted', valueDateTime: ukDateTime(new Date(message.acceptedAt)) },
      ...Object.entries(message.recipients).map(([ods, state]) => ({
        name: 'recipient',
        part: [
          ...(message.restricted && ods !== viewer
            ? []
            : [{ name: 'organization', valueIdentifier: { system: ODS_CODE_SYSTEM, value: ods } }]),
          { name: 'status', valueCode: state.status },
          { name: 'attempts', valueInteger: state.attempts },
          ...(state.reason && state.status !== 'delivered' && state.status !== 'acknowledged'
            ? [{ name: 'reason', valueString: state.reason }]
            : []),
          { name: 'updated', valueDateTime: ukDateTime(new Date(state.updatedAt)) },
        ],
      })),
    ],
  }
}

/** `GET /Message/{id}`. */
export async function readMessageStatus(
  id: string,
  caller: Caller,
  deps: Pick<MessageDependencies, 'messages'>,
) {
  const message = await messageFor(id, caller, deps)
  return {
    status: messageStatusOf(message, caller.organisation),
    audit: [{ patient: message.nhsNumber, action: 'R', entities: [`Message/${id}`] }] satisfies AuditFacts[],
  }
}

/** `POST /Message/{id}/$acknowledge`: a recipient's business acknowledgement (ITK3). */
export async function acknowledgeMessage(
  id: string,
  caller: Caller,
  deps: Pick<MessageDependencies, 'messages' | 'clock'>,
) {
  const message = await messageFor(id, caller, deps)
  const own = message.recipients[caller.organisation]
  if (!own)
    throw new FhirError('ACCESS_DENIED', 'Only a recipient acknowledges a message', {
      patient: message.nhsNumber,
    })
  const acknowledged: RecipientState = {
    ...own,
    status: 'acknowledged',
    updatedAt: deps.clock().toISOString(),
  }
  if (own.status !== 'acknowledged')
    await deps.messages.updateRecipient(id, caller.organisation, acknowledged)
  const recipients = {
    ...message.recipients,
    [caller.organisation]: own.status === 'acknowledged' ? own : acknowledged,
  }
  return {
    status: messageStatusOf({ ...message, recipients }, caller.organisation),
    audit: [{ patient: message.nhsNumber, action: 'U', entities: [`Message/${id}`] }] satisfies AuditFacts[],
  }
}
