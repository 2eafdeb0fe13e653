import { type DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb'
import { documentClient, tableNameOf } from './dynamodb'
import type { RateLimiter, RefusalAuditBudget } from './ports'

/**
 * How many requests one container reserves at a time: 1 for small limits (exact to the
 * request), up to 20 for large ones, never more than 1% of the limit.
 */
export function leaseSizeFor(requestsPerMinute: number): number {
  return Math.max(1, Math.min(20, Math.floor(requestsPerMinute / 100)))
}

interface Lease {
  window: number
  remaining: number
}

/**
 * A fixed one-minute window per organisation, counted in DynamoDB so the limit holds across
 * every Lambda container (API Gateway stage throttling sits in front). Each container
 * reserves requests in small leases with one atomic UpdateItem (ADD) and spends them
 * locally, so most requests cost no write. A lease is granted only from what the counter
 * had left, so the ICS never admits more than its limit in a window; at worst a container
 * ends a window with a few unspent requests. Once the window is spent, the container
 * refuses locally until the next window: a flood costs no writes.
 *
 * Concurrent callers in one container (the local runtime, or any async overlap) share one
 * reservation at a time per organisation: while it is in flight the others wait for it and
 * then spend from the lease it brought, so none of the budget is reserved twice and lost.
 */
export class DynamoDbRateLimiter implements RateLimiter {
  private readonly leases = new Map<string, Lease>()
  /** The reservation in flight per organisation (single flight). */
  private readonly reserving = new Map<string, Promise<void>>()

  constructor(
    private readonly requestsPerMinute: () => number,
    private readonly client: DynamoDBDocumentClient = documentClient,
    private readonly tableName: string = tableNameOf('rateLimits'),
  ) {}

  async consume(organisation: string, now: Date): Promise<{ allowed: boolean; retryAfterSeconds: number }> {
    const epochSeconds = Math.floor(now.getTime() / 1000)
    const window = Math.floor(epochSeconds / 60)
    const retryAfterSeconds = (window + 1) * 60 - epochSeconds
    for (;;) {
      const lease = this.leases.get(organisation)
      // A caller still in the previous minute spends from the newer window: never a second lease.
      if (lease && lease.window >= window) {
        if (lease.remaining > 0) {
          lease.remaining--
          return { allowed: true, retryAfterSeconds }
        }
        if (lease.remaining < 0) return { allowed: false, retryAfterSeconds }
      }
      const inFlight = this.reserving.get(organisation)
      if (inFlight) {
        await inFlight
        continue
      }
      const reservation = this.reserve(organisation, window).finally(() =>
        this.reserving.delete(organisation),
      )
      this.reserving.set(organisation, reservation)
      await reservation
    }
  }

  /** Reserves the next lease of the window; a spent window is remembered as remaining -1. */
  private async reserve(organisation: string, window: number): Promise<void> {
    const limit = this.requestsPerMinute()
    const size = leaseSizeFor(limit)
    const { Attributes } = await this.client.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: { pk: `ORG#${organisation}#${window}` },
        UpdateExpression: 'ADD requests :size SET expiresAt = if_not_exists(expiresAt, :expires)',
        ExpressionAttributeValues: { ':size': size, ':expires': (window + 3) * 60 },
        ReturnValues: 'UPDATED_NEW',
      }),
    )
    const before = Number(Attributes?.requests ?? size) - size
    const granted = Math.max(0, Math.min(size, limit - before))
    // remaining -1 marks a spent window: refuse locally until it ends.
    this.leases.set(organisation, { window, remaining: granted === 0 ? -1 : granted })
  }
}

/** Refused attempts on one patient audited one by one per minute; the next is summarised, the rest skipped. */
export const REFUSALS_AUDITED_PER_MINUTE = 10

/**
 * The refusal budget (ports.ts RefusalAuditBudget) in the rate-limits table: one atomic ADD
 * per refused attempt on a patient and minute, `REFUSED#<nhs>#<window>`, expiring with the
 * table's TTL. The first REFUSALS_AUDITED_PER_MINUTE are recorded, the next one as a summary
 * ("further refusals not recorded one by one"), the rest not at all; once a window is over
 * budget this container skips it without a write. An attacker with no valid token can thus
 * add at most 11 records a minute to one patient's chain, and each costs one counter write.
 */
export class DynamoDbRefusalAuditBudget implements RefusalAuditBudget {
  /** Patients whose current window is over budget in this container: skipped without a write. */
  private readonly spent = new Map<string, number>()

  constructor(
    private readonly client: DynamoDBDocumentClient = documentClient,
    private readonly tableName: string = tableNameOf('rateLimits'),
  ) {}

  async admit(patient: string, now: Date): Promise<'record' | 'summarise' | 'skip'> {
    const window = Math.floor(now.getTime() / 60_000)
    if (this.spent.get(patient) === window) return 'skip'
    const { Attributes } = await this.client.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: { pk: `REFUSED#${patient}#${window}` },
        UpdateExpression: 'ADD refusals :one SET expiresAt = if_not_exists(expiresAt, :expires)',
        ExpressionAttributeValues: { ':one': 1, ':expires': (window + 3) * 60 },
        ReturnValues: 'UPDATED_NEW',
      }),
    )
    const count = Number(Attributes?.refusals ?? 1)
    if (count <= REFUSALS_AUDITED_PER_MINUTE) return 'record'
    // Forget older windows so the map holds at most the patients refused this minute.
    for (const [other, seen] of this.spent) if (seen !== window) this.spent.delete(other)
    this.spent.set(patient, window)
    return count === REFUSALS_AUDITED_PER_MINUTE + 1 ? 'summarise' : 'skip'
  }
}
