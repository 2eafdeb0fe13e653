import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge'
import {
  ChangeMessageVisibilityCommand,
  DeleteMessageBatchCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  ListQueuesCommand,
  ListQueueTagsCommand,
  type Message,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SendMessageCommand,
  type SQSClient,
  StartMessageMoveTaskCommand,
} from '@aws-sdk/client-sqs'
import { DEAD_LETTER_TAG, type DeadLetterKind, ICS_TAG, REPLAY_TO_TAG } from '../infra/dead-letter-tags'

export interface DeadLetterQueueReport {
  queueUrl: string
  kind: DeadLetterKind
  messages: number
  action:
    | 'moved back to its source queue'
    | 'sent to its rule’s queue'
    | 're-published to the bus'
    | 'nothing to do'
  replayed: number
}

/**
 * Replays an ICS's dead letters in the cloud, each kind by the mechanism that can move it
 * (the stack tags every DLQ with its kind, infra/dead-letter-tags.ts):
 * - a consumer queue's DLQ goes back to that queue with SQS redrive (StartMessageMoveTask),
 *   which only moves messages that came from an SQS queue;
 * - a rule's DLQ holds events EventBridge could not hand to the rule's queue: each is sent to
 *   that queue (its URL is the DLQ's `joinup:replay-to` tag), so only that consumer sees it again;
 * - the bus's DLQ holds events no rule received: they are published to the bus again.
 * Consumers are idempotent on `metadata.id`, so a replayed duplicate is harmless. A message is
 * deleted only once its destination accepted it.
 */
export async function replayDeadLetters(options: {
  sqs: SQSClient
  events: EventBridgeClient
  ics: string
  dryRun?: boolean
}): Promise<DeadLetterQueueReport[]> {
  const { sqs, events, ics } = options
  const reports: DeadLetterQueueReport[] = []
  for (const queueUrl of await queuesOf(sqs, `Joinup-${ics}-`)) {
    const { Tags = {} } = await sqs.send(new ListQueueTagsCommand({ QueueUrl: queueUrl }))
    const kind = Tags[DEAD_LETTER_TAG] as DeadLetterKind | undefined
    // Another ICS whose name starts the same way is not ours to touch.
    if (!kind || Tags[ICS_TAG] !== ics) continue
    const { Attributes = {} } = await sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl: queueUrl,
        AttributeNames: ['QueueArn', 'ApproximateNumberOfMessages'],
      }),
    )
    const messages = Number(Attributes.ApproximateNumberOfMessages ?? 0)
    if (messages === 0) {
      reports.push({ queueUrl, kind, messages, action: 'nothing to do', replayed: 0 })
      continue
    }
    if (kind === 'queue') {
      if (!options.dryRun) await sqs.send(new StartMessageMoveTaskCommand({ SourceArn: Attributes.QueueArn }))
      reports.push({
        queueUrl,
        kind,
        messages,
        action: 'moved back to its source queue',
        replayed: options.dryRun ? 0 : messages,
      })
    } else if (kind === 'rule') {
      const target = Tags[REPLAY_TO_TAG]
      if (!target) throw new Error(`${queueUrl} is a rule's dead-letter queue without a ${REPLAY_TO_TAG} tag`)
      const replayed = options.dryRun ? 0 : await drain(sqs, queueUrl, (batch) => sendTo(sqs, target, batch))
      reports.push({ queueUrl, kind, messages, action: 'sent to its rule’s queue', replayed })
    } else {
      const replayed = options.dryRun
        ? 0
        : await drain(sqs, queueUrl, (batch) => republish(events, batch, `joinup-${ics}`))
      reports.push({ queueUrl, kind, messages, action: 're-published to the bus', replayed })
    }
  }
  return reports
}

async function queuesOf(sqs: SQSClient, prefix: string): Promise<string[]> {
  const urls: string[] = []
  let NextToken: string | undefined
  do {
    const page = await sqs.send(
      new ListQueuesCommand({ QueueNamePrefix: prefix, MaxResults: 1000, NextToken }),
    )
    urls.push(...(page.QueueUrls ?? []))
    NextToken = page.NextToken
  } while (NextToken)
  return urls
}

/**
 * Receives batches from a dead-letter queue, hands each to `forward`, and deletes the
 * messages it reports accepted; stops when the queue is empty or something was refused
 * (what was refused stays for the next run).
 */
async function drain(
  sqs: SQSClient,
  queueUrl: string,
  forward: (batch: Message[]) => Promise<Message[]>,
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
    const accepted = await forward(Messages)
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

/** Sends the events, unchanged, to the queue their rule delivers to. */
async function sendTo(sqs: SQSClient, queueUrl: string, batch: Message[]): Promise<Message[]> {
  const result = await sqs.send(
    new SendMessageBatchCommand({
      QueueUrl: queueUrl,
      Entries: batch.map((message, index) => ({ Id: String(index), MessageBody: message.Body ?? '' })),
    }),
  )
  const sent = new Set((result.Successful ?? []).map((entry) => entry.Id))
  return batch.filter((_, index) => sent.has(String(index)))
}

/** Publishes the events to the bus again; an entry without an EventId was not accepted. */
async function republish(events: EventBridgeClient, batch: Message[], busName: string): Promise<Message[]> {
  const parsed = batch.map((message) => JSON.parse(message.Body ?? '{}') as Record<string, unknown>)
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
  return batch.filter((_, index) => result.Entries?.[index]?.EventId)
}

/** The message id a message event names (`detail.data.messageId`), if the text is one. */
export function messageIdOfEvent(text: string | undefined): string | undefined {
  try {
    const event = JSON.parse(text ?? '') as { detail?: { data?: { messageId?: unknown } } }
    const id = event.detail?.data?.messageId
    return typeof id === 'string' ? id : undefined
  } catch {
    return undefined
  }
}

/**
 * `npm run dlq:replay -- --ics <name> --message <id>`: moves the dead-lettered event of one
 * message from the DeliverMessages DLQ back to its queue, so the deliverer tries its
 * undelivered recipients again; every other dead letter is made visible again at once.
 * Answers how many were moved (0 when the message is not dead-lettered).
 */
export async function replayMessageDeadLetter(options: {
  sqs: SQSClient
  ics: string
  messageId: string
}): Promise<number> {
  const { sqs, ics, messageId } = options
  const urls = await queuesOf(sqs, `Joinup-${ics}-`)
  const deadLetters = urls.find((url) => url.includes('DeliverMessagesDeadLetters'))
  const source = urls.find((url) => url.includes('DeliverMessagesQueue'))
  if (!deadLetters || !source) throw new Error(`${ics} has no DeliverMessages queue and DLQ`)
  let moved = 0
  for (let round = 0; round < 100; round++) {
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: deadLetters,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: 1,
        VisibilityTimeout: 30,
      }),
    )
    if (Messages.length === 0) break
    for (const message of Messages) {
      if (messageIdOfEvent(message.Body) === messageId) {
        await sqs.send(new SendMessageCommand({ QueueUrl: source, MessageBody: message.Body ?? '' }))
        await sqs.send(
          new DeleteMessageCommand({ QueueUrl: deadLetters, ReceiptHandle: message.ReceiptHandle }),
        )
        moved++
      } else {
        await sqs.send(
          new ChangeMessageVisibilityCommand({
            QueueUrl: deadLetters,
            ReceiptHandle: message.ReceiptHandle,
            VisibilityTimeout: 0,
          }),
        )
      }
    }
    if (moved > 0) break
  }
  return moved
}

export { EventBridgeClient }
