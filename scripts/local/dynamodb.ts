import type { Server } from 'node:http'
import { CreateTableCommand, type DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb'
import dynalite from 'dynalite'
import { localTableName, type TableName, tables } from '../../infra/tables'

/** A running in-process DynamoDB (dynalite): in memory, or on disk under `path`. */
export interface LocalDynamoDb {
  endpoint: string
  close(): Promise<void>
}

/** Starts dynalite on a free loopback port. */
export async function startLocalDynamoDb(options: { path?: string } = {}): Promise<LocalDynamoDb> {
  // Tables are ready at once: dynalite's simulated provisioning delays would only slow start-up.
  const server: Server = dynalite({
    path: options.path,
    createTableMs: 0,
    deleteTableMs: 0,
    updateTableMs: 0,
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const address = server.address()
  if (!address || typeof address === 'string') throw new Error('dynalite did not bind')
  return {
    endpoint: `http://127.0.0.1:${address.port}`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  }
}

/**
 * Creates every declared table (infra/tables.ts) that does not exist yet: the same key
 * schema and indexes the CDK stack deploys. Returns the physical names by table.
 */
export async function createDeclaredTables(
  client: DynamoDBClient,
  ics: string,
): Promise<Record<TableName, string>> {
  const existing = new Set((await client.send(new ListTablesCommand({}))).TableNames ?? [])
  const names = {} as Record<TableName, string>
  for (const [table, declaration] of Object.entries(tables) as [TableName, (typeof tables)[TableName]][]) {
    const name = localTableName(ics, table)
    names[table] = name
    if (existing.has(name)) continue
    const keys = [declaration.partitionKey, ...('sortKey' in declaration ? [declaration.sortKey] : [])]
    const indexes = 'globalIndexes' in declaration ? declaration.globalIndexes : []
    const attributes = new Map<string, 'S' | 'N'>()
    for (const key of [
      ...keys,
      ...indexes.flatMap((index) => [index.partitionKey, index.sortKey ?? []].flat()),
    ]) {
      attributes.set(key.name, key.type)
    }
    await client.send(
      new CreateTableCommand({
        TableName: name,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [...attributes].map(([AttributeName, AttributeType]) => ({
          AttributeName,
          AttributeType,
        })),
        KeySchema: [
          { AttributeName: declaration.partitionKey.name, KeyType: 'HASH' },
          ...('sortKey' in declaration
            ? [{ AttributeName: declaration.sortKey.name, KeyType: 'RANGE' as const }]
            : []),
        ],
        ...(indexes.length
          ? {
              GlobalSecondaryIndexes: indexes.map((index) => ({
                IndexName: index.indexName,
                KeySchema: [
                  { AttributeName: index.partitionKey.name, KeyType: 'HASH' as const },
                  ...('sortKey' in index && index.sortKey
                    ? [{ AttributeName: index.sortKey.name, KeyType: 'RANGE' as const }]
                    : []),
                ],
                Projection: { ProjectionType: 'ALL' as const },
              })),
            }
          : {}),
      }),
    )
  }
  return names
}
