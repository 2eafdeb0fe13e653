import { DynamoDBClient } from '@aws-sdk/client-dynamodb'
import { BatchGetCommand, type BatchGetCommandOutput, DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb'
import { type TableName, tables } from '../../infra/tables'
import { withoutPayloadLogging } from './sdkClient'

/**
 * One DynamoDB client per container, built at module scope and reused by every
 * invocation. The endpoint comes from the SDK's own configuration: in the local runtime
 * `AWS_ENDPOINT_URL_DYNAMODB` points it at the in-process dynalite. Pure, like every
 * module-scope SDK client here: a bundle keeps a client only where code calls it.
 */
export const documentClient = /* @__PURE__ */ withoutPayloadLogging(
  /* @__PURE__ */ DynamoDBDocumentClient.from(/* @__PURE__ */ new DynamoDBClient({ maxAttempts: 3 }), {
    marshallOptions: { removeUndefinedValues: true },
  }),
)

/**
 * Each table's environment variable. Cloud bundles have them compiled in (infra/bundling.ts
 * functionDefine), so the table declarations stay out of them; the local runtime reads them.
 */
const tableEnvVars: Readonly<Record<string, string>> = process.env.JOINUP_TABLE_ENV_VARS
  ? (JSON.parse(process.env.JOINUP_TABLE_ENV_VARS) as Record<string, string>)
  : Object.fromEntries(Object.entries(tables).map(([table, declaration]) => [table, declaration.envVar]))

/** The physical name of a declared table, from the environment the stack sets. */
export function tableNameOf(table: TableName): string {
  const envVar = tableEnvVars[table]
  const name = envVar ? process.env[envVar] : undefined
  if (!name) throw new Error(`${envVar ?? table} is not set`)
  return name
}

/** True when a write was refused by its condition expression. */
export function isConditionFailure(error: unknown): boolean {
  return error instanceof Error && error.name === 'ConditionalCheckFailedException'
}

/** Rounds of one BatchGetItem while DynamoDB leaves keys unprocessed (throttling), with backoff between. */
const BATCH_GET_ROUNDS = 6

/**
 * Every item of `keys` that exists in one table, by BatchGetItem (100 keys a call), asking
 * again with exponential backoff for what DynamoDB leaves unprocessed. Fails rather than
 * answer without a key it was asked for.
 */
export async function batchGetItems(
  client: DynamoDBDocumentClient,
  tableName: string,
  keys: Record<string, unknown>[],
  options: { consistentRead?: boolean } = {},
): Promise<Record<string, unknown>[]> {
  const items: Record<string, unknown>[] = []
  for (let start = 0; start < keys.length; start += 100) {
    let pending: Record<string, unknown>[] | undefined = keys.slice(start, start + 100)
    for (let round = 0; pending?.length && round < BATCH_GET_ROUNDS; round++) {
      if (round > 0) await new Promise((resolve) => setTimeout(resolve, 20 * 2 ** round))
      const result: BatchGetCommandOutput = await client.send(
        new BatchGetCommand({
          RequestItems: {
            [tableName]: { Keys: pending, ...(options.consistentRead ? { ConsistentRead: true } : {}) },
          },
        }),
      )
      items.push(...(result.Responses?.[tableName] ?? []))
      pending = result.UnprocessedKeys?.[tableName]?.Keys
    }
    if (pending?.length) throw new Error(`BatchGetItem kept leaving keys of ${tableName} unprocessed`)
  }
  return items
}
