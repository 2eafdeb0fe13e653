import { busEventConsumer } from '../shared/busConsumer'
import { countMetric } from '../shared/metrics'
import { DynamoDbPatientIndex } from '../shared/patient-index/DynamoDbPatientIndex'
import type { PatientIndex } from '../shared/patient-index/PatientIndex'
import { applyHolderEvent } from './apply'

// The index updater's entry point, apart from handler.ts so that its bundle carries neither
// the HTTP stack (middy, jose) nor the EventBridge client, and the API's none of this.
let index: PatientIndex | undefined
const indexOf = () => (index ??= new DynamoDbPatientIndex())

/** Applies record-holder events from the rule's queue; failed records go back (and in the end to the DLQ). */
export const applyHolderEvents = busEventConsumer(async ({ event, record, log, context }) => {
  try {
    const outcome = await applyHolderEvent(event, {
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
})
