import { DynamoDBClient } from '@aws-sdk/client-dynamodb'
import { BatchGetCommand, DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb'
import { mockClient } from 'aws-sdk-client-mock'
import { describe, expect, it } from 'vitest'
import { batchGetItems } from '../../functions/shared/dynamodb'

// The one BatchGetItem loop every adapter uses: 100 keys a call, unprocessed keys asked again.

const TABLE = 'appointments'
const keyOf = (n: number) => ({ pk: 'ORG#Y90001', sk: `Slot#${n}` })

describe('batchGetItems', () => {
  it('asks for 250 keys in three calls of at most 100 and answers every item found', async () => {
    // Prepare: each call answers the keys it was given as items
    const client = DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'eu-west-2' }))
    const mock = mockClient(client)
    mock.on(BatchGetCommand).callsFake((input: { RequestItems: Record<string, { Keys: object[] }> }) => ({
      Responses: { [TABLE]: input.RequestItems[TABLE]!.Keys.map((key) => ({ ...key, found: true })) },
    }))
    const keys = Array.from({ length: 250 }, (_, n) => keyOf(n))

    // Act
    const items = await batchGetItems(client, TABLE, keys)

    // Assess
    expect(
      mock
        .commandCalls(BatchGetCommand)
        .map((call) => call.args[0].input.RequestItems?.[TABLE]?.Keys?.length),
    ).toEqual([100, 100, 50])
    expect(items.map((item) => item.sk)).toEqual(keys.map((key) => key.sk))
    // Eventually consistent unless asked: the appointment book's published resources allow it.
    expect(mock.commandCalls(BatchGetCommand)[0]!.args[0].input.RequestItems?.[TABLE]).not.toHaveProperty(
      'ConsistentRead',
    )
  })

  it('answers nothing, without a call, for no keys', async () => {
    // Prepare
    const client = DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'eu-west-2' }))
    const mock = mockClient(client)

    // Act
    const items = await batchGetItems(client, TABLE, [])

    // Assess
    expect(items).toEqual([])
    expect(mock.commandCalls(BatchGetCommand)).toHaveLength(0)
  })
})
