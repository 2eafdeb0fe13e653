import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch'
import type { Context, EventBridgeEvent, SQSEvent, SQSRecord } from 'aws-lambda'
import { eventRules } from '../../infra/event-rules'
import { currentIcs, isLocalIcs } from '../shared/ics'
import { logger } from '../shared/logger'
import { DynamoDbMessageStore } from '../shared/messages/DynamoDbMessageStore'
import type { MessageStore } from '../shared/messages/MessageStore'
import { fetchWebhook } from '../shared/messages/webhook'
import { deliverMessage } from './delivery'

/** Receives of one event before its undelivered recipients are `failed` and it goes to the DLQ. */
const MAX_RECEIVES = eventRules.find((rule) => rule.name === 'DeliverMessages')!.delivery.maxReceiveCount

let messages: MessageStore | undefined
const processor = new BatchProcessor(EventType.SQS)

/**
 * The DeliverMessages rule's consumer: one delivery pass per message event. A pass with
 * recipients still undelivered is reported as a failed record, so the queue delivers it
 * again after its backoff (only to the subscriptions still missing it); on the last receive
 * they are marked `failed` and the event moves to the DLQ (`npm run dlq:replay -- --message <id>`).
 * Records of a batch are delivered in parallel.
 */
export const deliverMessages = (event: SQSEvent, context: Context) =>
  processPartialResponse(
    event,
    async (record: SQSRecord) => {
      const busEvent = JSON.parse(record.body) as EventBridgeEvent<string, unknown>
      messages ??= new DynamoDbMessageStore()
      const receives = Number(record.attributes.ApproximateReceiveCount ?? '1')
      const outcome = await deliverMessage(busEvent, receives >= MAX_RECEIVES, {
        messages,
        post: fetchWebhook,
        now: () => new Date(),
        allowLoopback: isLocalIcs(currentIcs()),
      })
      if (outcome.pending.length > 0) {
        logger.warn('message delivery incomplete', {
          eventId: busEvent.id,
          receives,
          pending: outcome.pending,
        })
        throw new Error(`undelivered to ${outcome.pending.map((item) => item.ods).join(', ')}`)
      }
    },
    processor,
    { context, processInParallel: true },
  )
