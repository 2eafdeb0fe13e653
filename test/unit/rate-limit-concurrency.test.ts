import { DynamoDBClient } from '@aws-sdk/client-dynamodb'
import { DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb'
import { mockClient } from 'aws-sdk-client-mock'
import { beforeEach, describe, expect, it } from 'vitest'
import { DynamoDbRateLimiter } from '../../functions/shared/rate-limit'

// Security review, finding 9: at 50 concurrent requests only 681 of 1,200 allowed requests
// passed. Concurrent callers in one container each reserved a lease and overwrote the others'.

const dynamo = mockClient(DynamoDBDocumentClient)
let counters: Map<string, number>

beforeEach(() => {
  dynamo.reset()
  // Prepare: a shared counter with DynamoDB's atomic ADD, answering after a moment as DynamoDB does
  counters = new Map()
  dynamo
    .on(UpdateCommand)
    .callsFake(async (input: { Key: { pk: string }; ExpressionAttributeValues: { ':size': number } }) => {
      const next = (counters.get(input.Key.pk) ?? 0) + input.ExpressionAttributeValues[':size']
      counters.set(input.Key.pk, next)
      await new Promise((resolve) => setTimeout(resolve, 2))
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

/** `total` requests from `concurrency` callers at once, each caller sending its share in turn. */
async function concurrently(container: DynamoDbRateLimiter, total: number, concurrency: number) {
  let next = 0
  let allowed = 0
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < total) {
        next++
        if ((await container.consume('NX001', at(1))).allowed) allowed++
      }
    }),
  )
  return allowed
}

describe('DynamoDbRateLimiter under concurrency', () => {
  it('lets 50 concurrent consumers share the budget exactly: all 1,200 pass, the 1,201st is refused', async () => {
    // Prepare
    const container = limiter(1200)

    // Act
    const allowed = await concurrently(container, 1200, 50)
    const next = await container.consume('NX001', at(2))

    // Assess
    expect(allowed).toBe(1200)
    expect(next.allowed).toBe(false)
  })

  it('makes the 50 consumers of one spent lease wait on one reservation, not 50', async () => {
    // Prepare
    const container = limiter(1200)

    // Act: 50 requests at once, from a container without a lease
    const answers = await Promise.all(Array.from({ length: 50 }, () => container.consume('NX001', at(1))))

    // Assess: leases of 12, so 5 reservations (one at a time) serve all 50
    expect(answers.every((answer) => answer.allowed)).toBe(true)
    expect(dynamo.commandCalls(UpdateCommand)).toHaveLength(5)
    expect(counters.get(`ORG#NX001#${Math.floor(at(1).getTime() / 60_000)}`)).toBe(60)
  })

  it('never admits more than the limit when concurrency outruns it', async () => {
    const container = limiter(30)

    expect(await concurrently(container, 500, 50)).toBe(30)
  })

  it('keeps organisations apart: one organisation waiting does not hold up another', async () => {
    // Prepare
    const container = limiter(5)

    // Act
    const [first, second] = await Promise.all([
      Promise.all(Array.from({ length: 10 }, () => container.consume('NX001', at(1)))),
      Promise.all(Array.from({ length: 10 }, () => container.consume('RX9', at(1)))),
    ])

    // Assess
    expect(first.filter((answer) => answer.allowed)).toHaveLength(5)
    expect(second.filter((answer) => answer.allowed)).toHaveLength(5)
  })
})
