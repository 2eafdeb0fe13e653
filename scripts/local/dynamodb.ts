import type { IncomingMessage, Server, ServerResponse } from 'node:http'
import { createRequire } from 'node:module'
import { dirname } from 'node:path'
import { crc32 as nativeCrc32 } from 'node:zlib'
import {
  CreateTableCommand,
  DescribeTableCommand,
  type DynamoDBClient,
  ListTablesCommand,
} from '@aws-sdk/client-dynamodb'
import dynalite from 'dynalite'
import { localTableName, type TableName, tables } from '../../infra/tables'
import { localGuard } from './local-guard'

/**
 * Puts the local-only guard (local-guard.ts) in front of dynalite's own request handler: a
 * page in the developer's browser must not reach the local DynamoDB by DNS rebinding.
 */
function guardRequests(server: Server): void {
  const handlers = server.listeners('request') as ((
    request: IncomingMessage,
    response: ServerResponse,
  ) => void)[]
  server.removeAllListeners('request')
  // The port never changes once bound: read it once, not on every request.
  let bound = 0
  const guard = localGuard('127.0.0.1', () => {
    if (bound) return bound
    const address = server.address()
    bound = address && typeof address !== 'string' ? address.port : 0
    return bound
  })
  server.on('request', (request: IncomingMessage, response: ServerResponse) => {
    const refusal = guard.refusalOf(request, { jsonWrites: false })
    if (!refusal) {
      for (const handler of handlers) handler(request, response)
      return
    }
    response.writeHead(refusal.status, { 'Content-Type': 'application/x-amz-json-1.0' })
    response.end(JSON.stringify({ __type: 'AccessDeniedException', message: refusal.reason }))
    request.resume()
  })
}

/** A running in-process DynamoDB (dynalite): in memory, or on disk under `path`. */
export interface LocalDynamoDb {
  endpoint: string
  close(): Promise<void>
}

/**
 * Starts dynalite on a free loopback port.
 *
 * Crash safety (test/integration/CRASH-SAFETY.md): every write is acknowledged only after
 * LevelDB has appended it to its log with write(2), so it survives the process being killed
 * (not a power cut: nothing is fsynced). Each item is written together with its secondary
 * index entries in one atomic LevelDB batch (see `makeItemWritesAtomic`), so no crash
 * leaves an item without its index entries or the reverse.
 */
export async function startLocalDynamoDb(options: { path?: string } = {}): Promise<LocalDynamoDb> {
  installAtomicItemWrites()
  installNativeCrc32()
  createdStores.length = 0
  // Tables are ready at once: dynalite's simulated provisioning delays would only slow start-up.
  const server: Server = dynalite({
    path: options.path,
    createTableMs: 0,
    deleteTableMs: 0,
    updateTableMs: 0,
  })
  const store = createdStores.pop()
  if (!store)
    throw new Error('dynalite did not create its store through dynalite/db: re-check the atomic-write fix')
  makeItemWritesAtomic(store)
  await finishInterruptedTableCreations(store)
  guardRequests(server)
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
      ...indexes.flatMap((index) => [index.partitionKey, ...('sortKey' in index ? [index.sortKey] : [])]),
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
    await untilTableActive(client, name)
  }
  return names
}

/**
 * Waits until a table just created is ACTIVE, as code must on DynamoDB. dynalite answers
 * CreateTable with the table still CREATING and marks it ACTIVE a timer tick later (even
 * with createTableMs 0); a request in between gets ResourceNotFoundException.
 */
export async function untilTableActive(client: DynamoDBClient, tableName: string): Promise<void> {
  for (let attempt = 0; attempt < 1000; attempt++) {
    const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }))
    if (Table?.TableStatus === 'ACTIVE') return
    await new Promise((resolve) => setTimeout(resolve, 5))
  }
  throw new Error(`Table ${tableName} did not become ACTIVE`)
}

// ---------------------------------------------------------------------------------------
// Atomic item writes. dynalite 4.0.0 writes an item and its secondary index entries as
// separate LevelDB operations (db/index.js `updateIndexes`: index deletes, then index puts,
// each its own `put`/`del`; actions/putItem.js, updateItem.js and deleteItem.js then write
// the item). A process killed in between leaves an index entry without its item, an item
// without its index entry, or an index entry of another version than its item: the
// half-written state the local stack must never show. The fix below stages the index
// operations and hands them, with the item's own put or delete, to LevelDB as ONE batch,
// which LevelDB applies atomically (one log record) and recovers all-or-nothing.
// It relies on dynalite internals, so it is tied to the exact version (package.json pins it).

const require = createRequire(import.meta.url)

/**
 * dynalite signs every answer's body with an `x-amz-crc32` header, as DynamoDB does, using
 * buffer-crc32: a JavaScript loop over each byte, 0.33 ms for a 44 KB Query answer and
 * about a sixth of dynalite's CPU under the slot-search bench. zlib's native crc32 gives the
 * same value (test/unit/local-dynamodb.test.ts) about 18 times faster. Only dynalite's copy
 * of buffer-crc32 is touched, and only the one-argument call dynalite makes.
 */
function installNativeCrc32(): void {
  const crc32 = require(
    require.resolve('buffer-crc32', { paths: [dirname(require.resolve('dynalite'))] }),
  ) as { unsigned: (...args: unknown[]) => number; nativeUnsigned?: true }
  if (crc32.nativeUnsigned) return
  const javascript = crc32.unsigned
  crc32.unsigned = (...args: unknown[]) =>
    args.length === 1 && (typeof args[0] === 'string' || Buffer.isBuffer(args[0]))
      ? nativeCrc32(args[0] as string | Buffer)
      : javascript(...args)
  crc32.nativeUnsigned = true
}

type Callback = (error?: Error | null) => void
type DynamoItem = Record<string, Record<string, unknown>>

interface LevelOperation {
  type: 'put' | 'del'
  key: string
  value?: unknown
}

interface IndexDescription {
  IndexName: string
  IndexStatus?: string
}

/** A table as dynalite keeps it (its DescribeTable shape). */
interface TableDescription {
  TableName: string
  TableStatus: string
  GlobalSecondaryIndexes?: IndexDescription[]
  LocalSecondaryIndexes?: IndexDescription[]
}

/** dynalite's key-prefixed view of its one LevelDB (db/index.js `createPrefixedDbWrapper`). */
interface SubDb {
  put(key: string, value: unknown, callback: Callback): void
  del(key: string, callback: Callback): void
  createValueStream(): AsyncIterable<unknown>
}

/** What db/index.js `create` returns. */
interface DynaliteStore {
  db: { batch(operations: LevelOperation[], callback: Callback): void }
  tableDb: SubDb
  getItemDb(tableName: string): SubDb
}

interface IndexActions {
  puts: { index: string; key: string; item: DynamoItem }[]
  deletes: { index: string; key: string }[]
}

/** The exports of dynalite/db/index.js this fix uses or replaces. */
interface DynaliteDbModule {
  create(options: object): DynaliteStore
  createKey(item: DynamoItem, table: TableDescription): string
  getIndexActions(
    indexes: IndexDescription[],
    existingItem: DynamoItem | null | undefined,
    item: DynamoItem | null | undefined,
    table: TableDescription,
  ): IndexActions
  updateIndexes(
    store: DynaliteStore,
    table: TableDescription,
    existingItem: DynamoItem | null | undefined,
    item: DynamoItem | null | undefined,
    callback: Callback,
  ): void
}

const PATCHED_DYNALITE_VERSION = '4.0.0'
/** Stores made by `startLocalDynamoDb`, captured as dynalite creates them. */
const createdStores: DynaliteStore[] = []
/** Per atomic store: index operations staged for the item write that follows, by table and item key. */
const stagedIndexWrites = new WeakMap<DynaliteStore, Map<string, LevelOperation[]>>()
const patchedItemDbs = new WeakSet<SubDb>()
let installed = false

function installAtomicItemWrites(): void {
  if (installed) return
  const { version } = require('dynalite/package.json') as { version: string }
  if (version !== PATCHED_DYNALITE_VERSION) {
    throw new Error(
      `scripts/local/dynamodb.ts makes dynalite ${PATCHED_DYNALITE_VERSION}'s item writes atomic; ` +
        `dynalite ${version} is installed: re-check db/index.js updateIndexes before changing the pin`,
    )
  }
  const db = require('dynalite/db') as DynaliteDbModule
  const create = db.create
  const updateIndexes = db.updateIndexes
  db.create = (options) => {
    const store = create(options)
    createdStores.push(store)
    return store
  }
  // The item actions call `db.updateIndexes(...)` and, in its callback and under the item's
  // lock, write the item: stage the index operations here, the item write commits them.
  db.updateIndexes = (store, table, existingItem, item, callback) => {
    const staged = stagedIndexWrites.get(store)
    if (!staged) {
      updateIndexes(store, table, existingItem, item, callback)
      return
    }
    const deletes: LevelOperation[] = []
    const puts: LevelOperation[] = []
    for (const [kind, indexes] of [
      ['local', table.LocalSecondaryIndexes ?? []],
      ['global', table.GlobalSecondaryIndexes ?? []],
    ] as const) {
      const actions = db.getIndexActions(indexes, existingItem, item, table)
      // Same prefix as dynalite's getIndexDb: `index-<local|global>~<table>~<index>~`.
      const prefix = (index: string) => `index-${kind}~${table.TableName}~${index}~`
      for (const action of actions.deletes)
        deletes.push({ type: 'del', key: prefix(action.index) + action.key })
      for (const action of actions.puts)
        puts.push({ type: 'put', key: prefix(action.index) + action.key, value: action.item })
    }
    const subject = item ?? existingItem
    if (subject && deletes.length + puts.length > 0) {
      staged.set(`${table.TableName}\u0000${db.createKey(subject, table)}`, [...deletes, ...puts])
    }
    callback()
  }
  installed = true
}

/** Routes the store's item puts and deletes through one batch with their staged index operations. */
function makeItemWritesAtomic(store: DynaliteStore): void {
  const staged = new Map<string, LevelOperation[]>()
  stagedIndexWrites.set(store, staged)
  const getItemDb = store.getItemDb.bind(store)
  store.getItemDb = (tableName) => {
    const itemDb = getItemDb(tableName)
    if (patchedItemDbs.has(itemDb)) return itemDb
    const put = itemDb.put.bind(itemDb)
    const del = itemDb.del.bind(itemDb)
    // Same prefix as dynalite's getItemDb: `item-<table>~`.
    const fullKey = (key: string) => `item-${tableName}~${key}`
    const take = (key: string) => {
      const operations = staged.get(`${tableName}\u0000${key}`)
      staged.delete(`${tableName}\u0000${key}`)
      return operations
    }
    itemDb.put = (key, value, callback) => {
      const operations = take(key)
      if (operations) store.db.batch([...operations, { type: 'put', key: fullKey(key), value }], callback)
      else put(key, value, callback)
    }
    itemDb.del = (key, callback) => {
      const operations = take(key)
      if (operations) store.db.batch([...operations, { type: 'del', key: fullKey(key) }], callback)
      else del(key, callback)
    }
    patchedItemDbs.add(itemDb)
    return itemDb
  }
}

/**
 * dynalite stores a new table as CREATING and marks it ACTIVE in a second write a timer
 * later (actions/createTable.js). A process killed in between leaves a table that is
 * listed but refuses every request, for ever. With no provisioning delay (createTableMs 0)
 * a table still CREATING when the store opens can only be such a leftover: finish it.
 */
async function finishInterruptedTableCreations(store: DynaliteStore): Promise<void> {
  const interrupted: TableDescription[] = []
  for await (const value of store.tableDb.createValueStream()) {
    const table = value as TableDescription
    if (table?.TableStatus === 'CREATING') interrupted.push(table)
  }
  for (const table of interrupted) {
    table.TableStatus = 'ACTIVE'
    for (const index of table.GlobalSecondaryIndexes ?? []) index.IndexStatus = 'ACTIVE'
    await new Promise<void>((resolve, reject) =>
      store.tableDb.put(table.TableName, table, (error) => (error ? reject(error) : resolve())),
    )
  }
}
