import { DynamoDBClient } from '@aws-sdk/client-dynamodb'
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { FhirError } from '../../functions/shared/errors'
import { DynamoDbIdempotencyStore } from '../../functions/shared/idempotency/DynamoDbIdempotencyStore'
import {
  idempotencyKey,
  requestFingerprint,
  type StoredResponse,
  withIdempotency,
} from '../../functions/shared/idempotency/IdempotencyStore'
import { createDeclaredTables, type LocalDynamoDb, startLocalDynamoDb } from '../../scripts/local/dynamodb'

// The shared idempotency store (idempotencyKeys table) against dynalite, through withIdempotency.

let dynamo: LocalDynamoDb
let store: DynamoDbIdempotencyStore
let now = new Date('2027-01-11T09:00:00Z')
const clock = () => now
const key = () => idempotencyKey('bookAppointment', 'NX001', crypto.randomUUID())
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

beforeAll(async () => {
  dynamo = await startLocalDynamoDb()
  const client = new DynamoDBClient({
    endpoint: dynamo.endpoint,
    region: 'eu-west-2',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  })
  const names = await createDeclaredTables(client, 'demo')
  store = new DynamoDbIdempotencyStore(DynamoDBDocumentClient.from(client), names.idempotencyKeys)
})
afterAll(() => dynamo?.close())

describe('withIdempotency', () => {
  it('runs the write once for 20 concurrent requests with one key, and all get its answer', async () => {
    // Prepare
    const shared = key()
    let runs = 0
    const write = async (): Promise<StoredResponse> => {
      runs++
      await sleep(50)
      return { status: 201, body: { id: `appointment-${runs}` } }
    }
    // Act
    const answers = await Promise.all(
      Array.from({ length: 20 }, () =>
        withIdempotency(shared, 'same', { store, clock: () => new Date(), sleep: () => sleep(5) }, write),
      ),
    )
    // Assess
    expect(runs).toBe(1)
    expect(new Set(answers.map((answer) => JSON.stringify(answer.body)))).toEqual(
      new Set(['{"id":"appointment-1"}']),
    )
    expect(answers.filter((answer) => !answer.replayed)).toHaveLength(1)
  })

  it('keeps successes only: after a 4xx or a failure the retry runs again', async () => {
    // Prepare
    const refused = key()
    const failed = key()
    // Act
    await withIdempotency(refused, 'f', { store, clock }, async () => ({ status: 409 }))
    const retried = await withIdempotency(refused, 'f', { store, clock }, async () => ({ status: 201 }))
    await expect(
      withIdempotency(failed, 'f', { store, clock }, async () => {
        throw new Error('outage')
      }),
    ).rejects.toThrow('outage')
    const afterFailure = await withIdempotency(failed, 'f', { store, clock }, async () => ({ status: 201 }))
    // Assess
    expect(retried).toMatchObject({ status: 201, replayed: false })
    expect(afterFailure).toMatchObject({ status: 201, replayed: false })
  })

  it('refuses a key reused for a different request with 422', async () => {
    const reused = key()
    await withIdempotency(reused, requestFingerprint('a'), { store, clock }, async () => ({ status: 201 }))
    const error = await withIdempotency(reused, requestFingerprint('b'), { store, clock }, async () => ({
      status: 201,
    })).catch((caught: unknown) => caught)
    expect(error).toBeInstanceOf(FhirError)
    expect((error as FhirError).status).toBe(422)
  })

  it('takes over a key whose request died once its lease ends, and answers 409 while it holds', async () => {
    // Prepare: a claim that nobody completes (its process was killed)
    const orphan = key()
    expect(await store.claim(orphan, 'f', now, 10_000)).toEqual({ kind: 'claimed' })
    // Act
    const waiting = await withIdempotency(orphan, 'f', { store, clock, waitMs: 0 }, async () => ({
      status: 201,
    })).catch((caught: unknown) => caught)
    now = new Date(now.getTime() + 10_001)
    const takenOver = await withIdempotency(orphan, 'f', { store, clock }, async () => ({
      status: 201,
      body: 'second',
    }))
    // Assess
    expect((waiting as FhirError).status).toBe(409)
    expect(takenOver).toMatchObject({ status: 201, body: 'second', replayed: false })
  })

  it('scopes keys by operation and organisation', () => {
    expect(idempotencyKey('bookAppointment', 'NX001', 'A')).not.toBe(
      idempotencyKey('bookAppointment', 'RX9', 'A'),
    )
    expect(idempotencyKey('bookAppointment', 'NX001', 'A')).toBe(
      idempotencyKey('bookAppointment', 'NX001', 'a'),
    )
  })
})
