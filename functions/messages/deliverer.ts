import { eventRules } from '../../infra/event-rules'
import { busEventConsumer } from '../shared/busConsumer'
import { currentIcs, isLocalIcs } from '../shared/ics'
import { DynamoDbMessageStore } from '../shared/messages/DynamoDbMessageStore'
import type { MessageStore } from '../shared/messages/MessageStore'
import { delayRetry } from '../shared/messages/SqsRetryBackoff'
import { webhookPoster } from '../shared/messages/webhook'
import { deliverMessage } from './delivery'

/** Receives of one event before its undelivered recipients are `failed` and it goes to the DLQ. */
const MAX_RECEIVES = eventRules.find((rule) => rule.name === 'DeliverMessages')!.delivery.maxReceiveCount

let messages: MessageStore | undefined

/**
 * The DeliverMessages rule's consumer: one delivery pass per message event. A pass with
 * recipients still undelivered is reported as a failed record, so the queue delivers it
 * again after an exponential, jittered backoff (only to the subscriptions still missing it:
 * a ChangeMessageVisibility on the record, which the event source mapping's consume grant
 * allows); on the last receive
 * they are marked `failed` and the event moves to the DLQ (`npm run dlq:replay -- --message <id>`).
 * Records of a batch are delivered in parallel.
 */
export const deliverMessages = busEventConsumer(async ({ event, record, receives, log }) => {
  messages ??= new DynamoDbMessageStore()
  const allowLoopback = isLocalIcs(currentIcs())
  const outcome = await deliverMessage(event, receives >= MAX_RECEIVES, {
    messages,
    post: webhookPoster({ allowLoopback }),
    now: () => new Date(),
    allowLoopback,
  })
  if (outcome.pending.length > 0) {
    log.warn('message delivery incomplete', { eventId: event.id, receives, pending: outcome.pending })
    // In the cloud the retry waits an exponential, jittered delay; the local bus backs off itself.
    if (receives < MAX_RECEIVES && !isLocalIcs(currentIcs()))
      await delayRetry(record, receives).catch((error: unknown) =>
        log.warn('could not delay the retry; the queue visibility timeout applies', { error: String(error) }),
      )
    throw new Error(`undelivered to ${outcome.pending.map((item) => item.ods).join(', ')}`)
  }
})
