import type { Caller } from '../../schemas/auth'
import type { IcsRuntimeConfig } from '../../schemas/ics-config'
import { FhirError } from '../shared/errors'
import type { EventPublisher } from '../shared/events'
import type { HolderEntry } from '../shared/patient-index/HolderEntry'
import type { PatientIndex } from '../shared/patient-index/PatientIndex'
import type { AuditFacts } from '../shared/ports'
import { pointerOf } from './pointers'

/** A pointer id as pointerIdOf makes it: `<ODS code>-<16 hex>`. */
const POINTER_ID = /^([A-Z0-9]{3,6})-[0-9a-f]{16}$/
/** Why a custodian withdraws one pointer (the same reasons as a withdrawal by patient). */
const REMOVAL_REASONS = ['record-deleted', 'patient-objection', 'patient-moved', 'entered-in-error']

function custodianOf(id: string): string {
  const match = POINTER_ID.exec(id)
  if (!match) throw new FhirError('INVALID_RESOURCE_ID', 'A pointer id is <ODS code>-<16 hex digits>')
  return match[1]!
}

async function currentEntry(index: PatientIndex, id: string): Promise<HolderEntry> {
  const entry = await index.byPointerId(id)
  // NRL: an unknown or withdrawn pointer is 404.
  if (entry?.status !== 'current') throw new FhirError('NO_RECORD_FOUND', 'No pointer has this id')
  return entry
}

/**
 * NRL-style read of one pointer by id: what `Location` names after a registration. A
 * registration is indexed moments after its 202 (the index consumer applies the event),
 * so a read straight after it may be 404 for that moment.
 */
export async function readPointer(
  id: string,
  deps: { index: PatientIndex; ics: IcsRuntimeConfig },
): Promise<{ pointer: ReturnType<typeof pointerOf>; audit: AuditFacts[] }> {
  custodianOf(id)
  const entry = await currentEntry(deps.index, id)
  const endpoint = deps.ics.members.find((member) => member.ods === entry.holderOds)?.endpoint
  return {
    pointer: pointerOf(entry, endpoint),
    audit: [{ patient: entry.nhsNumber, action: 'R', entities: [`DocumentReference/${id}`] }],
  }
}

/**
 * The custodian withdraws one pointer by id (FHIR delete): a RecordHolderRemoved event, as
 * the conditional delete publishes. Only the organisation the id names may (403 otherwise,
 * before anything is looked up, so nobody learns which ids exist for other organisations).
 */
export async function deletePointer(
  id: string,
  query: Record<string, string[]>,
  caller: Caller,
  context: { correlationId: string },
  deps: { index: PatientIndex; publisher: EventPublisher },
): Promise<{ audit: AuditFacts[] }> {
  for (const name of Object.keys(query)) {
    if (name !== 'reason')
      throw new FhirError(
        'INVALID_PARAMETER',
        `Invalid query parameter (extra: ${name.slice(0, 60)} not permitted)`,
      )
  }
  const reasons = query.reason ?? []
  if (reasons.length > 1) throw new FhirError('INVALID_PARAMETER', 'reason may appear once')
  const reason = reasons[0] ?? 'record-deleted'
  if (!REMOVAL_REASONS.includes(reason))
    throw new FhirError('INVALID_PARAMETER', `reason must be one of ${REMOVAL_REASONS.join(', ')}`)
  if (custodianOf(id) !== caller.organisation) {
    throw new FhirError(
      'AUTHOR_CREDENTIALS_ERROR',
      `You may only withdraw your own organisation's pointers (${caller.organisation})`,
    )
  }
  const entry = await currentEntry(deps.index, id)
  await deps.publisher.publish(
    [
      {
        detailType: 'RecordHolderRemoved',
        major: 1,
        data: {
          nhsNumber: entry.nhsNumber,
          holderOds: entry.holderOds,
          recordType: entry.recordType,
          reason,
        },
      },
    ],
    context,
  )
  return { audit: [{ patient: entry.nhsNumber, action: 'D', entities: [`DocumentReference/${id}`] }] }
}
