import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { documentClient } from '../../functions/shared/dynamodb'
import { eventBridgeClient } from '../../functions/shared/events'
import { withoutPayloadLogging } from '../../functions/shared/sdkClient'
import { secretsManagerClient } from '../../functions/shared/secrets'
import { type LocalDynamoDb, startLocalDynamoDb } from '../../scripts/local/dynamodb'

// The AWS SDK never logs a request or an answer: DynamoDB items carry NHS numbers and names.

let dynamo: LocalDynamoDb

beforeAll(async () => {
  dynamo = await startLocalDynamoDb()
})

afterAll(async () => {
  await dynamo.close()
})

/** A DynamoDB client whose SDK logger records what it is handed. */
function loggingClient() {
  const logged: unknown[] = []
  const record = (entry: unknown) => logged.push(entry)
  const client = new DynamoDBClient({
    endpoint: dynamo.endpoint,
    region: 'eu-west-2',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    logger: { debug: () => {}, info: record, warn: record, error: record, trace: () => {} },
  })
  return { client, logged }
}

describe('SDK clients without payload logging', () => {
  it('hand a configured SDK logger nothing, on success or on failure', async () => {
    const plain = loggingClient()
    await plain.client.send(new ListTablesCommand({}))
    // The SDK's default: the logger receives the input and the output of every call.
    expect(plain.logged).toHaveLength(1)

    const quiet = loggingClient()
    withoutPayloadLogging(quiet.client)
    await quiet.client.send(new ListTablesCommand({}))
    await expect(quiet.client.send(new ListTablesCommand({ Limit: 0 }))).rejects.toThrow()
    expect(quiet.logged).toEqual([])
  })

  it('is how every module-scope client is built', () => {
    for (const client of [documentClient, eventBridgeClient, secretsManagerClient]) {
      expect(client.middlewareStack.identify().filter((name) => name.startsWith('loggerMiddleware'))).toEqual(
        [],
      )
    }
  })
})
