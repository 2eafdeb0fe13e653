import { DynamoDBClient } from '@aws-sdk/client-dynamodb'
import { BatchWriteCommand, DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb'
import type { EventBridgeEvent, SQSEvent } from 'aws-lambda'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type LocalDynamoDb, startLocalDynamoDb } from '../../scripts/local/dynamodb'
import { LocalEventBus } from '../../scripts/local/event-bus'

// The local bus's acceptance against a real DynamoDB-protocol server (in-process dynalite):
// one write acknowledges a PutEvents call, the rest of the acceptance is gathered across
// calls, and an acknowledged event whose acceptance was cut short is delivered after a restart.

let dynamo: LocalDynamoDb
let client: DynamoDBClient

beforeAll(async () => {
  dynamo = await startLocalDynamoDb()
  client = new DynamoDBClient({
    endpoint: dynamo.endpoint,
    region: 'eu-west-2',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  })
})

afterAll(async () => {
  client.destroy()
  await dynamo.close()
})

/**
 * A document client over the shared dynalite that reports each BatchWriteItem's item keys to
 * `seen`, and refuses writes of archive entries: the first batch of them (`once`), or every
 * write of one (`always`, as a process that dies there).
 */
function watchedDocuments(
  seen: { pk: string; kind: 'put' | 'delete' }[][],
  refuseArchive?: 'once' | 'always',
) {
  const documents = DynamoDBDocumentClient.from(client)
  const send = documents.send.bind(documents) as (command: unknown) => Promise<unknown>
  let refused = 0
  documents.send = ((command: unknown) => {
    const refuse = () => {
      refused++
      return Promise.reject(new Error('the process died here'))
    }
    if (command instanceof BatchWriteCommand) {
      const requests = Object.values(command.input.RequestItems ?? {}).flat()
      const keys = requests.map((request) =>
        request.PutRequest
          ? { pk: String(request.PutRequest.Item?.pk), kind: 'put' as const }
          : { pk: String(request.DeleteRequest?.Key?.pk), kind: 'delete' as const },
      )
      seen.push(keys)
      if (
        refuseArchive &&
        (refuseArchive === 'always' || refused === 0) &&
        keys.some((key) => key.pk === 'ARCHIVE')
      )
        return refuse()
    }
    if (refuseArchive === 'always' && command instanceof PutCommand && command.input.Item?.pk === 'ARCHIVE')
      return refuse()
    return send(command)
  }) as typeof documents.send
  return documents
}

/** A bus with one rule for `detailType`, whose consumer collects what it receives. */
function busFor(detailType: string, documents: DynamoDBDocumentClient) {
  const received: EventBridgeEvent<string, { n: number }>[] = []
  const bus = new LocalEventBus({
    busName: 'joinup-test',
    region: 'eu-west-2',
    account: '000000000000',
    client,
    documents,
    retryBaseMs: 20,
  })
  bus.addRule({
    name: `${detailType}Consumer`,
    pattern: { 'detail-type': [detailType] },
    maxAttempts: 3,
    target: {
      kind: 'consumer',
      name: `${detailType}Consumer`,
      invoke: async (event: SQSEvent) => {
        for (const record of event.Records) received.push(JSON.parse(record.body))
        return { batchItemFailures: [] }
      },
    },
  })
  return { bus, received }
}

const entry = (detailType: string, n: number) => ({
  Source: 'joinup.test',
  DetailType: detailType,
  Detail: JSON.stringify({ n }),
  EventBusName: 'joinup-test',
})

describe('LocalEventBus acceptance', () => {
  it('acknowledges a PutEvents call with one write, and writes archives and deliveries for many calls together', async () => {
    const writes: { pk: string; kind: 'put' | 'delete' }[][] = []
    const { bus, received } = busFor('Gathered', watchedDocuments(writes))
    await bus.start()
    try {
      const calls = 20
      const answers = await Promise.all(
        Array.from({ length: calls }, (_, n) => bus.putEvents([entry('Gathered', n)])),
      )
      expect(answers.every((answer) => answer.FailedEntryCount === 0)).toBe(true)
      await bus.idle()

      expect(received.map((event) => event.detail.n).sort((a, b) => a - b)).toEqual(
        Array.from({ length: calls }, (_, n) => n),
      )
      // Each call's own write: its intent and its event, nothing else.
      const acknowledgements = writes.filter((keys) =>
        keys.some((key) => key.pk === 'INTENT' && key.kind === 'put'),
      )
      expect(acknowledgements).toHaveLength(calls)
      for (const keys of acknowledgements)
        expect(keys.map((key) => key.pk).sort()).toEqual(['EVENT', 'INTENT'])
      // Archive entries and deliveries of twenty calls, in fewer writes than calls.
      const finishing = writes.filter((keys) => keys.some((key) => key.pk === 'ARCHIVE'))
      expect(finishing.flat().filter((key) => key.pk === 'ARCHIVE')).toHaveLength(calls)
      expect(finishing.length).toBeLessThan(calls / 2)
      // Every intent is dropped once its acceptance is complete.
      expect(writes.flat().filter((key) => key.pk === 'INTENT' && key.kind === 'delete')).toHaveLength(calls)
      expect((await bus.archive({ detailType: 'Gathered' })).length).toBe(calls)
    } finally {
      await bus.stop()
    }
  })

  it('finishes an acceptance whose gathered write failed, as a restart would, and delivers it once', async () => {
    const writes: { pk: string; kind: 'put' | 'delete' }[][] = []
    const { bus, received } = busFor('FailedOnce', watchedDocuments(writes, 'once'))
    await bus.start()
    try {
      const answers = await Promise.all([3, 4].map((n) => bus.putEvents([entry('FailedOnce', n)])))
      expect(answers.every((answer) => answer.FailedEntryCount === 0)).toBe(true)
      await bus.idle()
      expect(received.map((event) => event.detail.n).sort()).toEqual([3, 4])
      expect((await bus.archive({ detailType: 'FailedOnce' })).length).toBe(2)
    } finally {
      await bus.stop()
    }
  })

  it('delivers an acknowledged event after a restart when its acceptance was cut short', async () => {
    const writes: { pk: string; kind: 'put' | 'delete' }[][] = []
    const first = busFor('CutShort', watchedDocuments(writes, 'always'))
    await first.bus.start()
    const answer = await first.bus.putEvents([entry('CutShort', 7)])
    expect(answer.FailedEntryCount).toBe(0)
    await first.bus.stop()
    expect(first.received).toEqual([])

    const second = busFor('CutShort', DynamoDBDocumentClient.from(client))
    await second.bus.start()
    try {
      await second.bus.idle()
      expect(second.received.map((event) => event.detail.n)).toEqual([7])
      expect((await second.bus.archive({ detailType: 'CutShort' })).map((event) => event.detail)).toEqual([
        { n: 7 },
      ])
    } finally {
      await second.bus.stop()
    }
  })
})
