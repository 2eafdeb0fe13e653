import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge'
import {
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  ListDeadLetterSourceQueuesCommand,
  ListQueuesCommand,
  ReceiveMessageCommand,
  SQSClient,
  StartMessageMoveTaskCommand,
} from '@aws-sdk/client-sqs'
import { mockClient } from 'aws-sdk-client-mock'
import { beforeEach, describe, expect, it } from 'vitest'
import { replayDeadLetters } from '../../scripts/dead-letters'

const sqs = mockClient(SQSClient)
const events = mockClient(EventBridgeClient)
const consumerDlq = 'https://sqs.eu-west-2.amazonaws.com/1/Joinup-demo-IndexRecordHoldersDeadLetters'
const busDlq = 'https://sqs.eu-west-2.amazonaws.com/1/Joinup-demo-PlatformBusDeadLetters'

beforeEach(() => {
  sqs.reset()
  events.reset()
  sqs
    .on(ListQueuesCommand)
    .resolves({ QueueUrls: [consumerDlq, busDlq, 'https://sqs/1/Joinup-demo-IndexRecordHoldersQueue'] })
  sqs
    .on(GetQueueAttributesCommand, { QueueUrl: consumerDlq })
    .resolves({ Attributes: { QueueArn: 'arn:consumer-dlq', ApproximateNumberOfMessages: '3' } })
  sqs
    .on(GetQueueAttributesCommand, { QueueUrl: busDlq })
    .resolves({ Attributes: { QueueArn: 'arn:bus-dlq', ApproximateNumberOfMessages: '2' } })
  sqs
    .on(ListDeadLetterSourceQueuesCommand, { QueueUrl: consumerDlq })
    .resolves({ queueUrls: ['https://sqs/1/source'] })
  sqs.on(ListDeadLetterSourceQueuesCommand, { QueueUrl: busDlq }).resolves({ queueUrls: [] })
  const event = (id: string) =>
    JSON.stringify({
      source: 'joinup.patient-index',
      'detail-type': 'RecordHolderRegistered',
      detail: { metadata: { id }, data: {} },
    })
  sqs
    .on(ReceiveMessageCommand)
    .resolvesOnce({
      Messages: [
        { Body: event('a'), ReceiptHandle: 'r1' },
        { Body: event('b'), ReceiptHandle: 'r2' },
      ],
    })
    .resolves({ Messages: [] })
  events
    .on(PutEventsCommand)
    .resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'e1' }, { EventId: 'e2' }] })
})

describe('replayDeadLetters', () => {
  it('moves a consumer DLQ back to its source queue with SQS redrive', async () => {
    // Act
    const reports = await replayDeadLetters({
      sqs: new SQSClient({}),
      events: new EventBridgeClient({}),
      ics: 'demo',
    })
    // Assess
    expect(sqs.commandCalls(StartMessageMoveTaskCommand).map((call) => call.args[0].input)).toEqual([
      { SourceArn: 'arn:consumer-dlq' },
    ])
    expect(reports.find((report) => report.queueUrl === consumerDlq)).toMatchObject({
      action: 'moved back to its source queue',
      replayed: 3,
    })
  })

  it('re-publishes the bus DLQ’s events to the bus and deletes only what the bus accepted', async () => {
    // Act
    const reports = await replayDeadLetters({
      sqs: new SQSClient({}),
      events: new EventBridgeClient({}),
      ics: 'demo',
    })
    // Assess
    const entries = events.commandCalls(PutEventsCommand)[0]!.args[0].input.Entries!
    expect(entries.map((entry) => entry.DetailType)).toEqual([
      'RecordHolderRegistered',
      'RecordHolderRegistered',
    ])
    expect(entries[0]!.EventBusName).toBe('joinup-demo')
    expect(JSON.parse(entries[0]!.Detail!)).toEqual({ metadata: { id: 'a' }, data: {} })
    expect(sqs.commandCalls(DeleteMessageBatchCommand)[0]!.args[0].input.Entries).toHaveLength(2)
    expect(reports.find((report) => report.queueUrl === busDlq)).toMatchObject({
      action: 're-published to the bus',
      replayed: 2,
    })
  })

  it('keeps messages the bus refused', async () => {
    events
      .on(PutEventsCommand)
      .resolves({ FailedEntryCount: 1, Entries: [{ EventId: 'e1' }, { ErrorCode: 'InternalFailure' }] })
    await replayDeadLetters({ sqs: new SQSClient({}), events: new EventBridgeClient({}), ics: 'demo' })
    const deleted = sqs.commandCalls(DeleteMessageBatchCommand)[0]!.args[0].input.Entries!
    expect(deleted.map((entry) => entry.ReceiptHandle)).toEqual(['r1'])
  })

  it('changes nothing on a dry run', async () => {
    await replayDeadLetters({
      sqs: new SQSClient({}),
      events: new EventBridgeClient({}),
      ics: 'demo',
      dryRun: true,
    })
    expect(sqs.commandCalls(StartMessageMoveTaskCommand)).toHaveLength(0)
    expect(events.commandCalls(PutEventsCommand)).toHaveLength(0)
  })
})
