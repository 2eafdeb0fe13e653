import { type DynamoDBDocumentClient, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb'
import { documentClient, isConditionFailure, tableNameOf } from '../dynamodb'
import type { AuditEntry, AuditTrail, OrganisationAuditEntry } from '../ports'
import { type AuditRecord, type ChainLink, chainAfter } from './chain'

/** How often one append retries after losing a race for the next link. */
const MAX_RACE_RETRIES = 20
/** Most chain heads one instance remembers (least recently written forgotten first). */
const MAX_KNOWN_HEADS = 10_000
/**
 * How long a remembered head is used without reading it again. Another instance may have
 * appended since; then the conditional put fails and the append falls back to a head Query,
 * so a stale head costs a round trip, never a fork. Past this age the head is read again
 * (in parallel with the data when the route names the patient up front: `prepare`).
 */
const DEFAULT_HEAD_TRUST_MS = 30_000

/** A chain head this instance wrote or read, or a read of it in flight. */
interface KnownHead {
  link: Promise<ChainLink | undefined | typeof UNREAD>
  at: number
}
/** A head read that failed: the append reads it again rather than start a new chain. */
const UNREAD = Symbol('unread')

/** Partition key of a patient's chain. */
export function auditKeyOf(nhsNumber: string): string {
  return `PATIENT#${nhsNumber}`
}

/** Partition key of an organisation's chain: its bulk changes (withdrawing everything it holds). */
export function organisationAuditKeyOf(ods: string): string {
  return `ORGANISATION#${ods}`
}

/** Most Query pages one filtered page reads before answering with what it found (and a cursor). */
const MAX_FILTERED_QUERIES = 10

/** A page of a chain, newest first, and where the next page starts when there may be more. */
export interface AuditPage {
  records: AuditRecord[]
  /** Pass as `beforeSeq` for the next page; absent at the chain's start. */
  nextBeforeSeq?: number
}

/**
 * The audit trail in DynamoDB: one chain per patient, sort key `seq`. Each append links
 * after the chain's head and puts `seq + 1` on condition that it does not exist yet, so two
 * concurrent writers cannot fork a chain: the loser re-reads the head and links after the
 * winner. Functions get PutItem and Query on this table, never UpdateItem or DeleteItem.
 *
 * The hot path is two sequential round trips: the head is either remembered from this
 * instance's last append to that chain (no Query at all) or read by `prepare` in parallel
 * with the data; then the conditional put. Appends to one chain from this instance are
 * queued, so they link after each other instead of racing; a race with another instance
 * (or a stale remembered head) fails the condition and falls back to a head Query.
 */
export class DynamoDbAuditTrail implements AuditTrail {
  private readonly heads = new Map<string, KnownHead>()
  /** Per chain, the end of this instance's queue of appends. */
  private readonly queues = new Map<string, Promise<void>>()

  constructor(
    private readonly client: DynamoDBDocumentClient = documentClient,
    private readonly tableName: string = tableNameOf('audit'),
    private readonly headTrustMs: number = DEFAULT_HEAD_TRUST_MS,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * Starts reading a patient's chain head, unless this instance knows it already, so the
   * append that follows the data read needs no Query of its own. Never fails: a failed
   * read is retried by the append.
   */
  prepare(nhsNumber: string): void {
    const key = auditKeyOf(nhsNumber)
    if (this.knownHead(key)) return
    this.remember(
      key,
      this.headOf(key).catch(() => UNREAD),
    )
  }

  async append(entries: AuditEntry[]): Promise<void> {
    await this.appendToChains(entries.map((entry) => ({ key: auditKeyOf(entry.patient), entry })))
  }

  async appendForOrganisation(entries: OrganisationAuditEntry[]): Promise<void> {
    await this.appendToChains(
      entries.map((entry) => ({ key: organisationAuditKeyOf(entry.organisation), entry })),
    )
  }

  private async appendToChains(entries: { key: string; entry: object }[]): Promise<void> {
    // Chains are independent: different chains in parallel, one chain's entries in order.
    const byChain = new Map<string, object[]>()
    for (const { key, entry } of entries) byChain.set(key, [...(byChain.get(key) ?? []), entry])
    await Promise.all(
      [...byChain].map(async ([key, chain]) => {
        for (const entry of chain) await this.queued(key, () => this.appendOne(key, entry))
      }),
    )
  }

  /** Runs `append` after every earlier append of this instance to the same chain. */
  private async queued(key: string, append: () => Promise<void>): Promise<void> {
    const previous = this.queues.get(key)
    const mine = (previous ? previous.then(append, append) : append()).finally(() => {
      if (this.queues.get(key) === settled) this.queues.delete(key)
    })
    // The queue continues whether this append succeeded or not; its caller sees the failure.
    const settled = mine.catch(() => undefined)
    this.queues.set(key, settled)
    await mine
  }

  /** The remembered head of a chain while it is trusted, or undefined. */
  private knownHead(key: string): KnownHead | undefined {
    const known = this.heads.get(key)
    if (known && this.now() - known.at <= this.headTrustMs) return known
    if (known) this.heads.delete(key)
    return undefined
  }

  private remember(key: string, link: KnownHead['link']): void {
    // Map order is insertion order: re-inserting keeps the most recently written last.
    this.heads.delete(key)
    this.heads.set(key, { link, at: this.now() })
    if (this.heads.size > MAX_KNOWN_HEADS) this.heads.delete(this.heads.keys().next().value!)
  }

  /** The newest record of a patient's chain. */
  async head(nhsNumber: string): Promise<AuditRecord | undefined> {
    return (await this.headOf(auditKeyOf(nhsNumber))) as AuditRecord | undefined
  }

  private async headOf(key: string): Promise<ChainLink | undefined> {
    const { Items } = await this.client.send(
      new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': key },
        ScanIndexForward: false,
        Limit: 1,
      }),
    )
    return Items?.[0] ? recordOf(Items[0]) : undefined
  }

  /**
   * A page of a patient's records made by one organisation's staff, newest first: what an
   * organisation without a care relationship may read (its own staff's accesses). Filtered
   * in DynamoDB; reads at most MAX_FILTERED_QUERIES pages of the chain per call, so a long
   * chain answers a short page with a cursor rather than scanning it all.
   */
  async pageByOrganisation(
    nhsNumber: string,
    organisation: string,
    options: { limit: number; beforeSeq?: number },
  ): Promise<AuditPage> {
    const records: AuditRecord[] = []
    let beforeSeq = options.beforeSeq
    for (let query = 0; query < MAX_FILTERED_QUERIES; query++) {
      const { Items, LastEvaluatedKey } = await this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: beforeSeq !== undefined ? 'pk = :pk AND seq < :before' : 'pk = :pk',
          FilterExpression: '#caller.#organisation = :organisation',
          ExpressionAttributeNames: { '#caller': 'caller', '#organisation': 'organisation' },
          ExpressionAttributeValues: {
            ':pk': auditKeyOf(nhsNumber),
            ':organisation': organisation,
            ...(beforeSeq !== undefined ? { ':before': beforeSeq } : {}),
          },
          ScanIndexForward: false,
          Limit: options.limit * 4,
        }),
      )
      for (const item of Items ?? []) {
        records.push(recordOf(item))
        if (records.length === options.limit) return { records, nextBeforeSeq: records.at(-1)!.seq }
      }
      if (!LastEvaluatedKey) return { records }
      beforeSeq = Number(LastEvaluatedKey.seq)
    }
    return { records, nextBeforeSeq: beforeSeq }
  }

  /** A page of a patient's records, newest first. */
  async page(
    nhsNumber: string,
    options: { limit: number; beforeSeq?: number; oldestFirst?: boolean },
  ): Promise<AuditRecord[]> {
    const before = options.beforeSeq !== undefined
    const { Items } = await this.client.send(
      new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: before ? 'pk = :pk AND seq < :before' : 'pk = :pk',
        ExpressionAttributeValues: {
          ':pk': auditKeyOf(nhsNumber),
          ...(before ? { ':before': options.beforeSeq } : {}),
        },
        ScanIndexForward: options.oldestFirst ?? false,
        Limit: options.limit,
      }),
    )
    return (Items ?? []).map(recordOf)
  }

  /**
   * Every record of a patient's chain, oldest first (for verification); an organisation's
   * chain with `chain: 'organisation'` and its ODS code.
   */
  async *all(subject: string, chain: 'patient' | 'organisation' = 'patient'): AsyncGenerator<AuditRecord> {
    let ExclusiveStartKey: Record<string, unknown> | undefined
    const key = chain === 'patient' ? auditKeyOf(subject) : organisationAuditKeyOf(subject)
    do {
      const page = await this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': key },
          ExclusiveStartKey,
        }),
      )
      for (const item of page.Items ?? []) yield recordOf(item)
      ExclusiveStartKey = page.LastEvaluatedKey
    } while (ExclusiveStartKey)
  }

  private async appendOne(key: string, entry: object): Promise<void> {
    // The remembered or prefetched head first; after a lost race, always a fresh read.
    let head: ChainLink | undefined | typeof UNREAD = await (this.knownHead(key)?.link ?? UNREAD)
    for (let attempt = 0; attempt < MAX_RACE_RETRIES; attempt++) {
      if (head === UNREAD) head = await this.headOf(key)
      const record = chainAfter(head, entry)
      try {
        await this.client.send(
          new PutCommand({
            TableName: this.tableName,
            Item: { pk: key, ...record },
            ConditionExpression: 'attribute_not_exists(pk)',
          }),
        )
        this.remember(key, Promise.resolve({ seq: record.seq, prevHash: record.prevHash, hash: record.hash }))
        return
      } catch (error) {
        this.heads.delete(key)
        if (!isConditionFailure(error)) throw error
        head = UNREAD
        // A stale head is re-read at once; a second loss is a real race: back off with jitter.
        if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, Math.random() * 5 * attempt))
      }
    }
    throw new Error('Could not append to the audit trail: too much contention on one chain')
  }
}

function recordOf(item: Record<string, unknown>): AuditRecord {
  const { pk: _pk, ...record } = item
  return record as unknown as AuditRecord
}
