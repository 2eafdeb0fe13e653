import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch'
import type { Context, EventBridgeEvent, SQSEvent, SQSRecord } from 'aws-lambda'
import { loggerFor } from '../shared/logger'
import { countMetric, withMetrics } from '../shared/metrics'
import { DynamoDbPatientIndex } from '../shared/patient-index/DynamoDbPatientIndex'
import type { PatientIndex } from '../shared/patient-index/PatientIndex'
import { applyHolderEvent } from './apply'

// The index updater's entry point, apart from handler.ts so that its bundle carries neither
// the HTTP stack (middy, jose) nor the EventBridge client, and the API's none of this.
let index: PatientIndex | undefined
const indexOf = () => (index ??= new DynamoDbPatientIndex())

/** Applies record-holder events from the rule's queue; failed records go back (and in the end to the DLQ). */
export const applyHolderEvents = withMetrics((event: SQSEvent, context: Context) =>
  processPartialResponse(
    event,
    async (record: SQSRecord) => {
      const busEvent = JSON.parse(record.body) as EventBridgeEvent<string, unknown>
      // Every line about this event carries the correlation id of the request that caused it.
      const log = loggerFor(busEvent)
      try {
        const outcome = await applyHolderEvent(busEvent, {
          index: indexOf(),
          remainingMs: () => context.getRemainingTimeInMillis(),
        })
        log.info('record-holder event applied', {
          receiveCount: record.attributes?.ApproximateReceiveCount,
          ...outcome,
        })
        countMetric('HolderEventsApplied')
      } catch (error) {
        log.error('record-holder event failed; it returns to the queue', { error })
        throw error
      }
    },
    // One processor per invocation: it keeps the batch's state, and the local runtime runs
    // batches of one rule concurrently in one process (Lambda never does).
    new BatchProcessor(EventType.SQS),
    { context },
  ),
)
