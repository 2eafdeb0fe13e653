import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge'
import {
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  ListQueuesCommand,
  ListQueueTagsCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SQSClient,
  StartMessageMoveTaskCommand,
} from '@aws-sdk/client-sqs'
import { mockClient } from 'aws-sdk-client-mock'
import { beforeEach, describe, expect, it } from 'vitest'
import { DEAD_LETTER_TAG, ICS_TAG, REPLAY_TO_TAG } from '../../infra/dead-letter-tags'
import { replayDeadLetters } from '../../scripts/dead-letters'

const sqs = mockClient(SQSClient)
const events = mockClient(EventBridgeClient)
/** What SendMessageBatch answers for an entry it accepted. */
const sentOk = (Id: string) => ({ Id, MessageId: `m-${Id}`, MD5OfMessageBody: 'md5' })
const queueDlq = 'https://sqs.eu-west-2.amazonaws.com/1/Joinup-demo-IndexRecordHoldersDeadLetters-A'
const ruleDlq = 'https://sqs.eu-west-2.amazonaws.com/1/Joinup-demo-IndexRecordHoldersRuleDeadLetters-B'
const busDlq = 'https://sqs.eu-west-2.amazonaws.com/1/Joinup-demo-PlatformBusDeadLetters-C'
const consumerQueue = 'https://sqs.eu-west-2.amazonaws.com/1/Joinup-demo-IndexRecordHoldersQueue-D'
// Another ICS whose name starts like this one: ListQueues' prefix matches its queues too.
const otherIcsDlq = 'https://sqs.eu-west-2.amazonaws.com/1/Joinup-demo-north-PlatformBusDeadLetters-E'

const event = (id: string) =>
  JSON.stringify({
    source: 'joinup.patient-index',
    'detail-type': 'RecordHolderRegistered',
    detail: { metadata: { id }, data: {} },
  })

function replay(dryRun = false) {
  return replayDeadLetters({ sqs: new SQSClient({}), events: new EventBridgeClient({}), ics: 'demo', dryRun })
}

beforeEach(() => {
  // Prepare: one DLQ of each kind, tagged as the stack tags them, each holding messages.
  sqs.reset()
  events.reset()
  sqs.on(ListQueuesCommand).resolves({ QueueUrls: [queueDlq, ruleDlq, busDlq, consumerQueue, otherIcsDlq] })
  sqs
    .on(ListQueueTagsCommand, { QueueUrl: queueDlq })
    .resolves({ Tags: { [ICS_TAG]: 'demo', [DEAD_LETTER_TAG]: 'queue' } })
  sqs.on(ListQueueTagsCommand, { QueueUrl: ruleDlq }).resolves({
    Tags: { [ICS_TAG]: 'demo', [DEAD_LETTER_TAG]: 'rule', [REPLAY_TO_TAG]: consumerQueue },
  })
  sqs
    .on(ListQueueTagsCommand, { QueueUrl: busDlq })
    .resolves({ Tags: { [ICS_TAG]: 'demo', [DEAD_LETTER_TAG]: 'bus' } })
  sqs.on(ListQueueTagsCommand, { QueueUrl: consumerQueue }).resolves({ Tags: { [ICS_TAG]: 'demo' } })
  sqs
    .on(ListQueueTagsCommand, { QueueUrl: otherIcsDlq })
    .resolves({ Tags: { [ICS_TAG]: 'demo-north', [DEAD_LETTER_TAG]: 'bus' } })
  for (const [url, arn, count] of [
    [queueDlq, 'arn:queue-dlq', '3'],
    [ruleDlq, 'arn:rule-dlq', '2'],
    [busDlq, 'arn:bus-dlq', '2'],
  ] as const) {
    sqs
      .on(GetQueueAttributesCommand, { QueueUrl: url })
      .resolves({ Attributes: { QueueArn: arn, ApproximateNumberOfMessages: count } })
  }
  for (const url of [ruleDlq, busDlq]) {
    sqs
      .on(ReceiveMessageCommand, { QueueUrl: url })
      .resolvesOnce({
        Messages: [
          { Body: event(`${url.at(-1)}1`), ReceiptHandle: 'r1' },
          { Body: event(`${url.at(-1)}2`), ReceiptHandle: 'r2' },
        ],
      })
      .resolves({ Messages: [] })
  }
  sqs.on(SendMessageBatchCommand).resolves({ Successful: [sentOk('0'), sentOk('1')], Failed: [] })
  events
    .on(PutEventsCommand)
    .resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'e1' }, { EventId: 'e2' }] })
})

describe('replayDeadLetters', () => {
  it('moves a consumer queue’s DLQ back to its source queue with SQS redrive', async () => {
    // Act
    const reports = await replay()

    // Assess
    expect(sqs.commandCalls(StartMessageMoveTaskCommand).map((call) => call.args[0].input)).toEqual([
      { SourceArn: 'arn:queue-dlq' },
    ])
    expect(reports.find((report) => report.queueUrl === queueDlq)).toMatchObject({
      kind: 'queue',
      action: 'moved back to its source queue',
      replayed: 3,
    })
  })

  it('sends a rule’s dead letters to the rule’s own queue, never by SQS redrive (their source is EventBridge)', async () => {
    // Act
    const reports = await replay()

    // Assess: StartMessageMoveTask only ever ran on the consumer queue's DLQ
    expect(
      sqs.commandCalls(StartMessageMoveTaskCommand).map((call) => call.args[0].input.SourceArn),
    ).not.toContain('arn:rule-dlq')
    const sent = sqs.commandCalls(SendMessageBatchCommand)[0]!.args[0].input
    expect(sent.QueueUrl).toBe(consumerQueue)
    expect(sent.Entries?.map((entry) => JSON.parse(entry.MessageBody!).detail.metadata.id)).toEqual([
      'B1',
      'B2',
    ])
    const deleted = sqs
      .commandCalls(DeleteMessageBatchCommand)
      .find((call) => call.args[0].input.QueueUrl === ruleDlq)
    expect(deleted?.args[0].input.Entries).toHaveLength(2)
    expect(reports.find((report) => report.queueUrl === ruleDlq)).toMatchObject({
      kind: 'rule',
      action: 'sent to its rule’s queue',
      replayed: 2,
    })
  })

  it('re-publishes the bus DLQ’s events to the bus and deletes only what the bus accepted', async () => {
    // Act
    const reports = await replay()

    // Assess
    const entries = events.commandCalls(PutEventsCommand)[0]!.args[0].input.Entries!
    expect(entries.map((entry) => entry.DetailType)).toEqual([
      'RecordHolderRegistered',
      'RecordHolderRegistered',
    ])
    expect(entries[0]!.EventBusName).toBe('joinup-demo')
    expect(JSON.parse(entries[0]!.Detail!)).toEqual({ metadata: { id: 'C1' }, data: {} })
    const deleted = sqs
      .commandCalls(DeleteMessageBatchCommand)
      .find((call) => call.args[0].input.QueueUrl === busDlq)
    expect(deleted?.args[0].input.Entries).toHaveLength(2)
    expect(reports.find((report) => report.queueUrl === busDlq)).toMatchObject({
      kind: 'bus',
      action: 're-published to the bus',
      replayed: 2,
    })
  })

  it('keeps messages the bus or the queue refused', async () => {
    // Prepare
    events
      .on(PutEventsCommand)
      .resolves({ FailedEntryCount: 1, Entries: [{ EventId: 'e1' }, { ErrorCode: 'InternalFailure' }] })
    sqs
      .on(SendMessageBatchCommand)
      .resolves({ Successful: [sentOk('1')], Failed: [{ Id: '0', Code: 'x', SenderFault: false }] })

    // Act
    await replay()

    // Assess
    const deletedFrom = (url: string) =>
      sqs
        .commandCalls(DeleteMessageBatchCommand)
        .find((call) => call.args[0].input.QueueUrl === url)
        ?.args[0].input.Entries?.map((entry) => entry.ReceiptHandle)
    expect(deletedFrom(busDlq)).toEqual(['r1'])
    expect(deletedFrom(ruleDlq)).toEqual(['r2'])
  })

  it('leaves another ICS’s dead-letter queues alone, even when its name starts the same', async () => {
    const reports = await replay()
    expect(reports.map((report) => report.queueUrl)).not.toContain(otherIcsDlq)
    expect(reports.map((report) => report.queueUrl)).not.toContain(consumerQueue)
  })

  it('changes nothing on a dry run', async () => {
    await replay(true)
    expect(sqs.commandCalls(StartMessageMoveTaskCommand)).toHaveLength(0)
    expect(sqs.commandCalls(SendMessageBatchCommand)).toHaveLength(0)
    expect(events.commandCalls(PutEventsCommand)).toHaveLength(0)
    expect(sqs.commandCalls(DeleteMessageBatchCommand)).toHaveLength(0)
  })
})
