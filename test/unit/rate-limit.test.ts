import { DynamoDBClient } from '@aws-sdk/client-dynamodb'
import { DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb'
import { mockClient } from 'aws-sdk-client-mock'
import { beforeEach, describe, expect, it } from 'vitest'
import { DynamoDbRateLimiter, leaseSizeFor } from '../../functions/shared/rate-limit'

const dynamo = mockClient(DynamoDBDocumentClient)
let counters: Map<string, number>

beforeEach(() => {
  dynamo.reset()
  // Prepare: a shared counter table, as DynamoDB's atomic ADD keeps it
  counters = new Map()
  dynamo
    .on(UpdateCommand)
    .callsFake((input: { Key: { pk: string }; ExpressionAttributeValues: { ':size': number } }) => {
      const next = (counters.get(input.Key.pk) ?? 0) + input.ExpressionAttributeValues[':size']
      counters.set(input.Key.pk, next)
      return { Attributes: { requests: next } }
    })
})

const limiter = (limit: number) =>
  new DynamoDbRateLimiter(
    () => limit,
    DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'eu-west-2' })),
    'rate-limits',
  )
const at = (seconds: number) => new Date(Date.UTC(2026, 10, 21, 12, 0, 0) + seconds * 1000)

async function admitted(
  containers: DynamoDbRateLimiter[],
  requests: number,
  organisation = 'NX001',
  second = 1,
) {
  let count = 0
  for (let i = 0; i < requests; i++) {
    const { allowed } = await containers[i % containers.length]!.consume(organisation, at(second))
    if (allowed) count++
  }
  return count
}

describe('leaseSizeFor', () => {
  it('is exact for small limits and at most 1% of large ones, capped at 20', () => {
    expect(leaseSizeFor(5)).toBe(1)
    expect(leaseSizeFor(199)).toBe(1)
    expect(leaseSizeFor(1200)).toBe(12)
    expect(leaseSizeFor(100_000)).toBe(20)
  })
})

describe('DynamoDbRateLimiter', () => {
  it('admits exactly the limit in a window when leases are single requests', async () => {
    expect(await admitted([limiter(5)], 20)).toBe(5)
  })

  it('never admits more than the limit across several containers, whatever the lease size', async () => {
    // Act: 5 containers share a limit of 1,200 (leases of 12) and see 3,000 requests
    const count = await admitted(
      [limiter(1200), limiter(1200), limiter(1200), limiter(1200), limiter(1200)],
      3000,
    )
    // Assess: at most the limit; at worst each container leaves part of one lease unspent
    expect(count).toBeLessThanOrEqual(1200)
    expect(count).toBeGreaterThan(1200 - 5 * 12)
  })

  it('writes once per lease, not once per request', async () => {
    await admitted([limiter(1200)], 120)
    expect(dynamo.commandCalls(UpdateCommand)).toHaveLength(10)
  })

  it('refuses locally, without writes, once a window is spent', async () => {
    // Prepare
    const container = limiter(5)
    await admitted([container], 6)
    const writes = dynamo.commandCalls(UpdateCommand).length
    // Act
    const refused = await container.consume('NX001', at(2))
    // Assess
    expect(refused).toEqual({ allowed: false, retryAfterSeconds: 58 })
    expect(dynamo.commandCalls(UpdateCommand)).toHaveLength(writes)
  })

  it('starts afresh in the next window, and counts organisations apart', async () => {
    const container = limiter(5)
    await admitted([container], 10)
    expect((await container.consume('NX001', at(61))).allowed).toBe(true)
    expect((await container.consume('RX9', at(2))).allowed).toBe(true)
  })
})
