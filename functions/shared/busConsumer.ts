import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch'
import type { Logger } from '@aws-lambda-powertools/logger'
import type { Context, EventBridgeEvent, SQSEvent, SQSRecord } from 'aws-lambda'
import { loggerFor } from './logger'
import { withMetrics } from './metrics'

/** One event a rule's queue handed to its consumer. */
export interface QueuedBusEvent {
  event: EventBridgeEvent<string, unknown>
  record: SQSRecord
  /** How many times the queue has handed this record out, 1 the first time. */
  receives: number
  /** Every line it writes carries the correlation id of the request that caused the event. */
  log: Logger
  context: Context
}

/**
 * The entry point of a rule's consumer: records of a batch are handled in parallel, and a
 * record whose handling throws goes back to the queue (in the end to the rule's DLQ) through
 * a partial batch response, so one bad event never fails the others.
 */
export function busEventConsumer(handle: (queued: QueuedBusEvent) => Promise<void>) {
  return withMetrics((event: SQSEvent, context: Context) =>
    processPartialResponse(
      event,
      async (record: SQSRecord) => {
        const busEvent = JSON.parse(record.body) as EventBridgeEvent<string, unknown>
        await handle({
          event: busEvent,
          record,
          receives: Number(record.attributes?.ApproximateReceiveCount ?? '1'),
          log: loggerFor(busEvent),
          context,
        })
      },
      // One processor per invocation: it keeps the batch's state, and the local runtime runs
      // batches of one rule concurrently in one process (Lambda never does).
      new BatchProcessor(EventType.SQS),
      { context },
    ),
  )
}
