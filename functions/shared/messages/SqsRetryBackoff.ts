import { ChangeMessageVisibilityCommand, SQSClient } from '@aws-sdk/client-sqs'
import type { SQSRecord } from 'aws-lambda'
import { withoutPayloadLogging } from '../sdkClient'

/** One SQS client per container (pure: dropped where unused). */
const sqsClient = /* @__PURE__ */ withoutPayloadLogging(/* @__PURE__ */ new SQSClient({ maxAttempts: 3 }))

/** First retry delay of a delivery (seconds); doubles per receive. */
export const FIRST_RETRY_SECONDS = 30
/** SQS's longest visibility timeout is 12 hours; a delivery waits at most 15 minutes between attempts. */
export const MAX_RETRY_SECONDS = 900

/**
 * Exponential backoff with full jitter for the n-th failed receive: a random delay between
 * half and all of `FIRST_RETRY_SECONDS * 2^(n-1)`, capped at MAX_RETRY_SECONDS (AWS
 * Architecture Blog, "Exponential Backoff And Jitter"). `random` is for tests.
 */
export function retryDelaySeconds(receives: number, random: () => number = Math.random): number {
  const ceiling = Math.min(MAX_RETRY_SECONDS, FIRST_RETRY_SECONDS * 2 ** Math.max(0, receives - 1))
  return Math.round(ceiling / 2 + (random() * ceiling) / 2)
}

/** The queue URL of the queue a record came from (its ARN names region, account and queue). */
export function queueUrlOf(record: Pick<SQSRecord, 'eventSourceARN'>): string {
  const [, , , region, account, name] = record.eventSourceARN.split(':')
  return `https://sqs.${region}.amazonaws.com/${account}/${name}`
}

/**
 * Puts a failed record back on its queue after an exponential, jittered delay (the record's
 * visibility timeout), rather than the queue's fixed one: SQS redelivers it then, and the DLQ
 * takes it after maxReceiveCount. Locally the bus does the same backoff itself.
 */
export async function delayRetry(record: SQSRecord, receives: number, client: SQSClient = sqsClient) {
  await client.send(
    new ChangeMessageVisibilityCommand({
      QueueUrl: queueUrlOf(record),
      ReceiptHandle: record.receiptHandle,
      VisibilityTimeout: retryDelaySeconds(receives),
    }),
  )
}
