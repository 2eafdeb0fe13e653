import { EventBridgePublisher } from '../shared/events'
import { currentIcs } from '../shared/ics'
import { logger } from '../shared/logger'
import { DynamoDbMessageStore } from '../shared/messages/DynamoDbMessageStore'
import { DynamoDbClinicalStore } from '../shared/records/DynamoDbClinicalStore'
import { systemClock } from '../shared/time'
import { announcePending, OUTBOX_GRACE_SECONDS } from './messages'

let messages: DynamoDbMessageStore | undefined
let records: DynamoDbClinicalStore | undefined
const publisher = new EventBridgePublisher({
  source: 'joinup.messages',
  ics: () => currentIcs().ics,
  clock: systemClock,
})

/**
 * The outbox sweep, on a schedule (infra/functions.ts `schedule`): announces every message
 * stored more than OUTBOX_GRACE_SECONDS ago whose events never left (its POST died between
 * storing and publishing). The local runtime also runs it once at start-up with no grace:
 * nothing of a process that is only starting can be in flight.
 */
export async function sweepOutbox(event: { detail?: { graceSeconds?: unknown } } = {}) {
  messages ??= new DynamoDbMessageStore()
  records ??= new DynamoDbClinicalStore()
  const grace = event.detail?.graceSeconds
  const outcome = await announcePending(
    { messages, records, publisher, clock: systemClock },
    typeof grace === 'number' && grace >= 0 ? grace : OUTBOX_GRACE_SECONDS,
  )
  if (outcome.announced > 0 || outcome.failed > 0) logger.warn('outbox sweep announced messages', outcome)
  if (outcome.failed > 0)
    throw new Error(`${outcome.failed} message(s) could not be announced; next sweep retries`)
  return outcome
}
