import type { EventBridgeEvent } from 'aws-lambda'
import type { AppointmentBookedV1 } from '../../schemas/events/AppointmentBooked/v1'
import type { AppointmentCancelledV1 } from '../../schemas/events/AppointmentCancelled/v1'
import { EventMetadata } from '../../schemas/events/envelope'
import type { OrganisationRecordsWithdrawnV1 } from '../../schemas/events/OrganisationRecordsWithdrawn/v1'
import type { RecordHolderRegisteredV2 } from '../../schemas/events/RecordHolderRegistered/v2'
import type { RecordHolderRemovedV1 } from '../../schemas/events/RecordHolderRemoved/v1'
import { isDetailType, readEventData } from '../../schemas/events/versions'
import { recordTypeFromText } from '../../schemas/fhir/recordTypes'
import {
  applyHolderChange,
  compareStamps,
  type HolderChange,
  type HolderEntry,
} from '../shared/patient-index/HolderEntry'
import { ConcurrentIndexUpdate, type PatientIndex } from '../shared/patient-index/PatientIndex'

/** The record type an appointment is indexed as (SNOMED CT 749001000000101, NRL's "Appointment"). */
const APPOINTMENT_RECORD = recordTypeFromText('Appointment')

/** Attempts at one entry when other writers keep winning the race. */
const MAX_RACES = 10

export interface ApplyDependencies {
  index: PatientIndex
  /** How long the invocation has left (a withdrawal of a large organisation stops early and is retried). */
  remainingMs?: () => number
}

/** What applying one event did. */
export interface ApplyOutcome {
  written: number
  unchanged: number
}

/**
 * Applies one record-holder event to the patient index. Reads each event at its own major
 * and upcasts it to the major this consumer works in (RecordHolderRegistered v1 → v2), so
 * old producers keep working. Safe under at-least-once and out-of-order delivery: every
 * entry converges (HolderEntry.applyHolderChange) and writes are conditional on the version
 * read. Throws on an event it cannot read: the batch reports it and it ends in the DLQ.
 */
export async function applyHolderEvent(
  event: EventBridgeEvent<string, unknown>,
  deps: ApplyDependencies,
): Promise<ApplyOutcome> {
  const detailType = event['detail-type']
  if (!isDetailType(detailType)) throw new Error(`Not a record-holder event: ${detailType}`)
  const detail = event.detail as { metadata?: unknown; data?: unknown }
  const metadata = EventMetadata.parse(detail.metadata)
  const occurredAt = new Date(metadata.occurredAt).toISOString()
  const stamp = { occurredAt, eventId: metadata.id }

  switch (detailType) {
    case 'RecordHolderRegistered': {
      const data = readEventData(
        'RecordHolderRegistered',
        metadata.version,
        detail.data,
        2,
      ) as RecordHolderRegisteredV2
      return tally([await registerUnlessWithdrawn(deps.index, changeOf('registered', data, stamp))])
    }
    case 'RecordHolderRemoved': {
      const data = readEventData(
        'RecordHolderRemoved',
        metadata.version,
        detail.data,
        1,
      ) as RecordHolderRemovedV1
      return tally([await applyToEntry(deps.index, changeOf('removed', data, stamp))])
    }
    case 'AppointmentBooked':
    case 'AppointmentCancelled': {
      // The hosting organisation holds an appointment record about the patient, booked or
      // cancelled alike (GP Connect keeps cancelled appointments in the patient's list).
      const data = readEventData(detailType, metadata.version, detail.data, 1) as
        | AppointmentBookedV1
        | AppointmentCancelledV1
      const holding = { nhsNumber: data.nhsNumber, holderOds: data.hostOds, recordType: APPOINTMENT_RECORD }
      return tally([await registerUnlessWithdrawn(deps.index, changeOf('registered', holding, stamp))])
    }
    case 'SlotsPublished':
    case 'ConsultationSummaryRecorded':
    case 'DischargeSummaryPublished':
      throw new Error(`Not a record-holder event: ${detailType}`)
    case 'OrganisationRecordsWithdrawn': {
      const data = readEventData(
        'OrganisationRecordsWithdrawn',
        metadata.version,
        detail.data,
        1,
      ) as OrganisationRecordsWithdrawnV1
      // The marker first: registrations older than it that arrive from now on are refused.
      await deps.index.saveWithdrawal({
        holderOds: data.holderOds,
        occurredAt,
        eventId: metadata.id,
        reason: data.reason,
      })
      const results: boolean[] = []
      let cursor: string | undefined
      do {
        // Every page re-reads current entries only, so a retry after a timeout carries on where this stopped.
        const page = await deps.index.heldBy(data.holderOds, { limit: 100, cursor })
        results.push(
          ...(await Promise.all(
            page.entries.map((entry) =>
              applyToEntry(deps.index, {
                kind: 'removed',
                nhsNumber: entry.nhsNumber,
                holderOds: entry.holderOds,
                recordType: entry.recordType,
                reason: data.reason,
                ...stamp,
              }),
            ),
          )),
        )
        cursor = page.cursor
        if (cursor && deps.remainingMs && deps.remainingMs() < 10_000) {
          throw new Error(`Withdrawal of ${data.holderOds} is not finished; the retry continues it`)
        }
      } while (cursor)
      return tally(results)
    }
  }
}

/** What one record-holder event says about its index entry (only the known fields: tolerant reads keep extras). */
function changeOf(
  kind: HolderChange['kind'],
  data: Pick<RecordHolderRegisteredV2, 'nhsNumber' | 'holderOds' | 'recordType'> & {
    endpoint?: string
    reason?: string
  },
  stamp: Pick<HolderChange, 'occurredAt' | 'eventId'>,
): HolderChange {
  const { system, code, display } = data.recordType
  return {
    kind,
    nhsNumber: data.nhsNumber,
    holderOds: data.holderOds,
    recordType: { system, code, display },
    ...(kind === 'registered' && data.endpoint ? { endpoint: data.endpoint } : {}),
    ...(kind === 'removed' ? { reason: data.reason } : {}),
    ...stamp,
  }
}

/**
 * A registration, unless the holder withdrew everything after it happened: then it does not
 * come back. Ties are settled by event id, as inside an entry, so arrival order never
 * decides. The entry and the withdrawal marker are read in one round trip.
 */
async function registerUnlessWithdrawn(index: PatientIndex, change: HolderChange): Promise<boolean> {
  const { entry, withdrawal } = await index.entryAndWithdrawal(
    change.nhsNumber,
    change.holderOds,
    change.recordType.code,
  )
  const withdrawnLater =
    withdrawal &&
    compareStamps(
      { at: withdrawal.occurredAt, id: withdrawal.eventId },
      { at: change.occurredAt, id: change.eventId },
    ) > 0
  if (withdrawnLater) return false
  return applyToEntry(index, change, { entry })
}

/**
 * Read, merge, write on condition; on a lost race, read again. Returns whether it wrote.
 * `justRead` is the entry as the caller has just read it (absent or not), if it has.
 */
async function applyToEntry(
  index: PatientIndex,
  change: HolderChange,
  justRead?: { entry: HolderEntry | undefined },
): Promise<boolean> {
  for (let race = 0; race < MAX_RACES; race++) {
    const current =
      race === 0 && justRead
        ? justRead.entry
        : await index.entry(change.nhsNumber, change.holderOds, change.recordType.code)
    const next = applyHolderChange(current, change)
    if (!next) return false
    try {
      await index.save(next, current?.version ?? 0)
      return true
    } catch (error) {
      if (!(error instanceof ConcurrentIndexUpdate)) throw error
    }
  }
  throw new Error('Index entry kept changing under this update')
}

function tally(results: boolean[]): ApplyOutcome {
  const written = results.filter(Boolean).length
  return { written, unchanged: results.length - written }
}
