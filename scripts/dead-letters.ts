import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge'
import {
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  ListDeadLetterSourceQueuesCommand,
  ListQueuesCommand,
  ReceiveMessageCommand,
  type SQSClient,
  StartMessageMoveTaskCommand,
} from '@aws-sdk/client-sqs'

export interface DeadLetterQueueReport {
  queueUrl: string
  messages: number
  action: 'moved back to its source queue' | 're-published to the bus' | 'nothing to do'
  replayed: number
}

/**
 * Replays an ICS's dead letters in the cloud. A consumer's DLQ goes back to the queue it
 * came from (SQS StartMessageMoveTask, AWS's own redrive); the bus's and the rules' DLQs
 * hold EventBridge events that never reached a queue, so they are published to the bus
 * again (consumers are idempotent on metadata.id) and deleted once PutEvents accepted them.
 */
export async function replayDeadLetters(options: {
  sqs: SQSClient
  events: EventBridgeClient
  ics: string
  dryRun?: boolean
}): Promise<DeadLetterQueueReport[]> {
  const { sqs, events, ics } = options
  const { QueueUrls = [] } = await sqs.send(new ListQueuesCommand({ QueueNamePrefix: `Joinup-${ics}-` }))
  const reports: DeadLetterQueueReport[] = []
  for (const queueUrl of QueueUrls.filter((url) => url.includes('DeadLetters'))) {
    const { Attributes = {} } = await sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl: queueUrl,
        AttributeNames: ['QueueArn', 'ApproximateNumberOfMessages'],
      }),
    )
    const messages = Number(Attributes.ApproximateNumberOfMessages ?? 0)
    const sources =
      (await sqs.send(new ListDeadLetterSourceQueuesCommand({ QueueUrl: queueUrl }))).queueUrls ?? []
    if (messages === 0) {
      reports.push({ queueUrl, messages, action: 'nothing to do', replayed: 0 })
      continue
    }
    if (sources.length > 0) {
      if (!options.dryRun) await sqs.send(new StartMessageMoveTaskCommand({ SourceArn: Attributes.QueueArn }))
      reports.push({
        queueUrl,
        messages,
        action: 'moved back to its source queue',
        replayed: options.dryRun ? 0 : messages,
      })
      continue
    }
    const replayed = options.dryRun ? 0 : await republish(sqs, events, queueUrl, `joinup-${ics}`)
    reports.push({ queueUrl, messages, action: 're-published to the bus', replayed })
  }
  return reports
}

async function republish(
  sqs: SQSClient,
  events: EventBridgeClient,
  queueUrl: string,
  busName: string,
): Promise<number> {
  let replayed = 0
  for (;;) {
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: 1,
        VisibilityTimeout: 60,
      }),
    )
    if (Messages.length === 0) return replayed
    const parsed = Messages.map((message) => JSON.parse(message.Body ?? '{}') as Record<string, unknown>)
    const result = await events.send(
      new PutEventsCommand({
        Entries: parsed.map((event) => ({
          Source: String(event.source),
          DetailType: String(event['detail-type']),
          Detail: JSON.stringify(event.detail),
          EventBusName: busName,
        })),
      }),
    )
    // Only messages the bus accepted are deleted; the rest stay for the next run.
    const accepted = Messages.filter((_, index) => result.Entries?.[index]?.EventId)
    if (accepted.length) {
      await sqs.send(
        new DeleteMessageBatchCommand({
          QueueUrl: queueUrl,
          Entries: accepted.map((message, index) => ({
            Id: String(index),
            ReceiptHandle: message.ReceiptHandle,
          })),
        }),
      )
    }
    replayed += accepted.length
    if (accepted.length < Messages.length) return replayed
  }
}

export { EventBridgeClient }
