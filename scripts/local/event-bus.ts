import { randomUUID } from 'node:crypto'
import { createServer, type IncomingMessage, type Server } from 'node:http'
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb'
import { CreateTableCommand, ListTablesCommand } from '@aws-sdk/client-dynamodb'
import {
  BatchGetCommand,
  BatchWriteCommand,
  type BatchWriteCommandInput,
  DeleteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb'
import type { EventBridgeEvent, SQSBatchResponse, SQSEvent } from 'aws-lambda'
import { correlationHeaders, correlationOf } from '../../functions/shared/correlation'
import { untilTableActive } from './dynamodb'
import { type CompiledEventPattern, compileEventPattern } from './event-pattern'
import { localGuard } from './local-guard'

/** What a rule hands matching events to. */
export type LocalTarget =
  /** A queue-fed consumer: invoked with an SQS-shaped batch, answers partial batch failures. */
  | {
      kind: 'consumer'
      name: string
      invoke: (event: SQSEvent) => Promise<SQSBatchResponse | undefined>
    }
  /** An HTTP endpoint (as an EventBridge API destination): POSTs the event, 2xx is delivered. */
  | { kind: 'http'; url: string }

export interface LocalRule {
  name: string
  pattern: unknown
  target: LocalTarget
  /** Attempts before the delivery is dead-lettered (SQS maxReceiveCount). */
  maxAttempts: number
}

export interface DeadLetter {
  deliveryId: string
  rule: string
  eventId: string
  detailType: string
  attempts: number
  lastError: string
  deadAt: string
}

interface Delivery {
  pk: 'DELIVERY'
  sk: string
  rule: string
  eventId: string
  status: 'pending' | 'dead'
  attempts: number
  nextAttemptAt: number
  lastError?: string
  deadAt?: string
}

/**
 * Written before an event's items and deleted after them: what a restart needs to finish
 * accepting the event (dynalite has no TransactWriteItems).
 */
type WriteRequest = NonNullable<BatchWriteCommandInput['RequestItems']>[string][number]

/** The pending delivery of an accepted event to one rule's target. */
function deliveryOf(intent: AcceptanceIntent, rule: string): Delivery {
  return {
    pk: 'DELIVERY',
    sk: `${intent.time}#${intent.sk}#${rule}`,
    rule,
    eventId: intent.sk,
    status: 'pending',
    attempts: 0,
    nextAttemptAt: intent.acceptedAt,
  }
}

interface AcceptanceIntent {
  pk: 'INTENT'
  /** The event id. */
  sk: string
  event: string
  archiveSk: string
  /** Names of the rules the event matched when it was put. */
  rules: string[]
  time: string
  acceptedAt: number
}

export interface LocalEventBusOptions {
  busName: string
  region: string
  account: string
  client: DynamoDBClient
  documents: DynamoDBDocumentClient
  /** First retry delay; doubles each attempt up to `maxBackoffMs` (SQS visibility timeout locally). */
  retryBaseMs?: number
  maxBackoffMs?: number
  log?: (line: string) => void
}

const TABLE = 'joinup-local-bus'
const MAX_ENTRIES = 10
const MAX_ENTRY_BYTES = 256 * 1024

/** A rule name clash, or an attempt to change a declared rule. */
export class RuleConflict extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'RuleConflict'
  }
}

/**
 * A local Amazon EventBridge bus. It speaks the PutEvents JSON protocol, so the handlers'
 * real EventBridge client works through an endpoint override; matches rules with the
 * EventBridge-faithful matcher; delivers to each target at least once with exponential
 * backoff; dead-letters what keeps failing; and archives every event. Events, deliveries
 * and dead letters live in the local DynamoDB, so with DATA_DIR they survive a crash:
 * anything acknowledged to a producer is delivered after a restart.
 */
export class LocalEventBus {
  private readonly rules = new Map<
    string,
    { rule: LocalRule; compiled: CompiledEventPattern; declared: boolean }
  >()
  private server: Server | undefined
  private timer: NodeJS.Timeout | undefined
  private pumping: Promise<void> | undefined
  private pumpAgain = false
  private accepted = 0
  private stopped = false
  private readonly inFlight = new Set<Promise<unknown>>()
  /** Deliveries being attempted now: a pass never starts them twice, nor waits for them. */
  private readonly delivering = new Set<string>()
  /** Batches being delivered (attempt and bookkeeping), for stop(). */
  private readonly batches = new Set<Promise<void>>()
  /** Acknowledged events whose archive entries and deliveries are still to be written, oldest first. */
  private readonly unfinished: AcceptanceIntent[] = []
  /**
   * Acknowledged events whose gathered write failed part-way: completed one by one as a
   * restart would (`completeAcceptance`), which never resets a delivery already recorded.
   */
  private readonly interrupted: AcceptanceIntent[] = []
  /** The write of the unfinished acceptances under way (or waiting for its retry), if any. */
  private finishing: Promise<void> | undefined
  readonly options: Required<Omit<LocalEventBusOptions, 'log'>> & { log: (line: string) => void }

  constructor(options: LocalEventBusOptions) {
    this.options = { retryBaseMs: 200, maxBackoffMs: 10_000, log: () => {}, ...options }
  }

  /**
   * Adds a rule; an invalid pattern is refused here, as EventBridge refuses it at PutRule.
   * Names are unique: a rule never replaces another, so a tap cannot take the place of a
   * declared consumer (infra/event-rules.ts) and silently stop its deliveries.
   */
  addRule(rule: LocalRule, options: { declared?: boolean } = {}): void {
    if (this.rules.has(rule.name)) throw new RuleConflict(`A rule named ${rule.name} exists already`)
    this.rules.set(rule.name, {
      rule,
      compiled: compileEventPattern(rule.pattern),
      declared: options.declared ?? false,
    })
  }

  /** Removes a tap; declared rules are immutable (RuleConflict). False when there is no such rule. */
  removeRule(name: string): boolean {
    if (this.rules.get(name)?.declared)
      throw new RuleConflict(`${name} is a declared rule and cannot be removed`)
    return this.rules.delete(name)
  }

  listRules(): { name: string; pattern: unknown; target: string }[] {
    return [...this.rules.values()].map(({ rule }) => ({
      name: rule.name,
      pattern: rule.pattern,
      target: rule.target.kind === 'http' ? rule.target.url : rule.target.name,
    }))
  }

  /** Creates the bus's own table if needed and starts the PutEvents endpoint on a free port. */
  async start(): Promise<string> {
    const tables = (await this.options.client.send(new ListTablesCommand({}))).TableNames ?? []
    if (!tables.includes(TABLE)) {
      await this.options.client.send(
        new CreateTableCommand({
          TableName: TABLE,
          BillingMode: 'PAY_PER_REQUEST',
          AttributeDefinitions: [
            { AttributeName: 'pk', AttributeType: 'S' },
            { AttributeName: 'sk', AttributeType: 'S' },
          ],
          KeySchema: [
            { AttributeName: 'pk', KeyType: 'HASH' },
            { AttributeName: 'sk', KeyType: 'RANGE' },
          ],
        }),
      )
      await untilTableActive(this.options.client, TABLE)
    }
    let bound = 0
    const guard = localGuard('127.0.0.1', () => bound)
    this.server = createServer((request, response) => {
      // The AWS SDK sends neither Origin nor a foreign Host: a browser page does (local-guard.ts).
      const refusal = guard.refusalOf(request, { jsonWrites: false })
      if (refusal) {
        response.writeHead(refusal.status, { 'Content-Type': 'application/x-amz-json-1.1' })
        response.end(JSON.stringify({ __type: 'AccessDeniedException', message: refusal.reason }))
        request.resume()
        return
      }
      this.handlePutEvents(request)
        .then(({ status, body }) => {
          response.writeHead(status, { 'Content-Type': 'application/x-amz-json-1.1' })
          response.end(JSON.stringify(body))
        })
        .catch((error: unknown) => {
          response.writeHead(500, { 'Content-Type': 'application/x-amz-json-1.1' })
          response.end(JSON.stringify({ __type: 'InternalException', message: String(error) }))
        })
    })
    // Before taking new events: acceptances a crash interrupted are completed first.
    const recovered = await this.recoverAcceptances()
    if (recovered) this.options.log(`completed ${recovered} event acceptance(s) interrupted by a crash`)
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve))
    const address = this.server.address()
    if (!address || typeof address === 'string') throw new Error('event bus did not bind')
    bound = address.port
    // Deliveries left pending by a previous run (a crash) go out now.
    this.schedulePump(0)
    return `http://127.0.0.1:${address.port}`
  }

  async stop(): Promise<void> {
    this.stopped = true
    if (this.timer) clearTimeout(this.timer)
    // What is left unfinished stays as intents, completed at the next start.
    await this.finishing
    await this.pumping
    await Promise.allSettled([...this.inFlight, ...this.batches])
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()))
  }

  /** Publishes events as PutEvents does; returns the entry results. */
  async putEvents(
    entries: {
      Source?: string
      DetailType?: string
      Detail?: string
      EventBusName?: string
      Resources?: string[]
      Time?: string
    }[],
  ): Promise<{
    FailedEntryCount: number
    Entries: ({ EventId: string } | { ErrorCode: string; ErrorMessage: string })[]
  }> {
    const results: ({ EventId: string } | { ErrorCode: string; ErrorMessage: string })[] = []
    const intents: AcceptanceIntent[] = []
    for (const entry of entries) {
      const problem = this.entryProblem(entry)
      if (problem) {
        results.push(problem)
        continue
      }
      const event: EventBridgeEvent<string, unknown> = {
        version: '0',
        id: randomUUID(),
        'detail-type': entry.DetailType!,
        source: entry.Source!,
        account: this.options.account,
        time: entry.Time ? new Date(entry.Time).toISOString().replace(/\.\d{3}Z$/, 'Z') : nowIso(),
        region: this.options.region,
        resources: entry.Resources ?? [],
        detail: JSON.parse(entry.Detail!),
      }
      intents.push(this.intentFor(event))
      results.push({ EventId: event.id })
    }
    if (intents.length) await this.accept(intents)
    return { FailedEntryCount: results.filter((result) => 'ErrorCode' in result).length, Entries: results }
  }

  /** Archived events, newest first (the archive you can query while debugging). */
  async archive(
    filter: { detailType?: string; source?: string; limit?: number } = {},
  ): Promise<EventBridgeEvent<string, unknown>[]> {
    await this.acceptancesFinished()
    const events: EventBridgeEvent<string, unknown>[] = []
    for await (const item of this.itemsOf('ARCHIVE', { newestFirst: true })) {
      const event = JSON.parse(item.event as string) as EventBridgeEvent<string, unknown>
      if (filter.detailType && event['detail-type'] !== filter.detailType) continue
      if (filter.source && event.source !== filter.source) continue
      events.push(event)
      if (events.length >= (filter.limit ?? 100)) break
    }
    return events
  }

  async deadLetters(): Promise<DeadLetter[]> {
    const deliveries = await this.deliveries()
    const letters: DeadLetter[] = []
    for (const delivery of deliveries.filter((candidate) => candidate.status === 'dead')) {
      const event = await this.event(delivery.eventId)
      letters.push({
        deliveryId: delivery.sk,
        rule: delivery.rule,
        eventId: delivery.eventId,
        detailType: event?.['detail-type'] ?? 'unknown',
        attempts: delivery.attempts,
        lastError: delivery.lastError ?? '',
        deadAt: delivery.deadAt ?? '',
      })
    }
    return letters
  }

  /** Sends dead letters back for delivery (all, or the one named): the replay command. */
  async replay(deliveryId?: string): Promise<number> {
    const dead = (await this.deliveries()).filter(
      (delivery) => delivery.status === 'dead' && (!deliveryId || delivery.sk === deliveryId),
    )
    for (const delivery of dead) {
      await this.options.documents.send(
        new UpdateCommand({
          TableName: TABLE,
          Key: { pk: 'DELIVERY', sk: delivery.sk },
          UpdateExpression: 'SET #status = :pending, attempts = :zero, nextAttemptAt = :now REMOVE deadAt',
          ConditionExpression: '#status = :dead',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: {
            ':pending': 'pending',
            ':dead': 'dead',
            ':zero': 0,
            ':now': Date.now(),
          },
        }),
      )
    }
    this.schedulePump(0)
    return dead.length
  }

  /** Resolves once no delivery is due now or in flight: tests and seeding wait on it. */
  async idle(timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs
    while (Date.now() < deadline) {
      await this.finishing
      await this.pumping
      const due = (await this.deliveries()).some(
        (d) => d.status === 'pending' && d.nextAttemptAt <= Date.now() + 5,
      )
      const settled = !this.finishing && this.unfinished.length === 0 && this.interrupted.length === 0
      if (settled && !due && !this.pumping && this.inFlight.size === 0 && this.batches.size === 0) return
      this.schedulePump(0)
      await new Promise((resolve) => setTimeout(resolve, 10))
    }
  }

  private entryProblem(entry: {
    Source?: string
    DetailType?: string
    Detail?: string
    EventBusName?: string
  }) {
    if (
      entry.EventBusName &&
      entry.EventBusName !== this.options.busName &&
      !entry.EventBusName.endsWith(`/${this.options.busName}`)
    ) {
      return { ErrorCode: 'InvalidArgument', ErrorMessage: `Event bus ${entry.EventBusName} does not exist.` }
    }
    if (!entry.Source || !entry.DetailType) {
      return { ErrorCode: 'InvalidArgument', ErrorMessage: 'Parameters Source and DetailType are required.' }
    }
    if (!entry.Detail) return { ErrorCode: 'InvalidArgument', ErrorMessage: 'Parameter Detail is not valid.' }
    if (Buffer.byteLength(JSON.stringify(entry)) > MAX_ENTRY_BYTES) {
      return { ErrorCode: 'InvalidArgument', ErrorMessage: 'Entry size exceeds 256 KB.' }
    }
    try {
      const detail: unknown = JSON.parse(entry.Detail)
      if (detail === null || typeof detail !== 'object' || Array.isArray(detail))
        throw new Error('not an object')
    } catch {
      return { ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is malformed.' }
    }
    return undefined
  }

  /**
   * Accepts events as PutEvents does: once this resolves they are acknowledged and will be
   * delivered, whatever happens to the process. Each event is written with an intent item
   * that names its archive entry and its matching rules (dynalite has no transactions); the
   * archive entries and deliveries follow (`finishAcceptances`), and the intent goes last.
   * A crash in between leaves the intent, and the next start completes the acceptance from
   * it (`recoverAcceptances`). So an entry is either not accepted at all, or archived with
   * all its deliveries.
   */
  private async accept(intents: AcceptanceIntent[]): Promise<void> {
    // One batched write acknowledges the call. An event written without its intent (a crash
    // inside this batch) has no deliveries and was not acknowledged: nothing reads it.
    await this.writeAll(
      intents.flatMap((intent) => [
        { PutRequest: { Item: intent } },
        { PutRequest: { Item: { pk: 'EVENT', sk: intent.sk, event: intent.event } } },
      ]),
    )
    this.unfinished.push(...intents)
    this.finishSoon(0)
  }

  /**
   * Writes the archive entries and deliveries of the acknowledged events, then drops their
   * intents, for every call acknowledged since the last time together: under load, many
   * PutEvents share two batched writes instead of making two each, and off their request
   * path, as EventBridge's own fan-out is.
   */
  private finishSoon(delayMs: number): void {
    if (this.finishing || this.unfinished.length + this.interrupted.length === 0) return
    let failed = false
    this.finishing = new Promise((resolve) => setTimeout(resolve, delayMs))
      .then(() => this.finishAcceptances())
      .catch((error: unknown) => {
        // The intents are in the table: nothing is lost. Try again shortly (or at the next start).
        failed = true
        this.options.log(`finishing event acceptances failed, retrying: ${String(error)}`)
      })
      .finally(() => {
        this.finishing = undefined
        if (!this.stopped) this.finishSoon(failed ? this.options.retryBaseMs : 0)
      })
  }

  private async finishAcceptances(): Promise<void> {
    if (this.interrupted.length) {
      while (this.interrupted.length) {
        await this.completeAcceptance(this.interrupted[0]!)
        this.interrupted.shift()
      }
      this.schedulePump(0)
    }
    while (this.unfinished.length) {
      const intents = this.unfinished.splice(0, 100)
      try {
        // Unconditional puts are safe here: the event ids were made just now, so no delivery
        // of theirs can exist yet.
        await this.writeAll(
          intents.flatMap((intent) => [
            { PutRequest: { Item: { pk: 'ARCHIVE', sk: intent.archiveSk, event: intent.event } } },
            ...intent.rules.map((rule) => ({ PutRequest: { Item: deliveryOf(intent, rule) } })),
          ]),
        )
        this.schedulePump(0)
        await this.writeAll(
          intents.map((intent) => ({ DeleteRequest: { Key: { pk: 'INTENT', sk: intent.sk } } })),
        )
      } catch (error) {
        // Some of their deliveries may exist (and be under way) by now: finish them as a restart would.
        this.interrupted.push(...intents)
        throw error
      }
    }
  }

  /**
   * Resolves once every event acknowledged so far has its archive entry and deliveries (read
   * your writes for the archive), or after a few failed tries: then it answers with what is there.
   */
  private async acceptancesFinished(): Promise<void> {
    for (let round = 0; this.finishing && round < 3; round++) await this.finishing
  }

  private intentFor(event: EventBridgeEvent<string, unknown>): AcceptanceIntent {
    return {
      pk: 'INTENT',
      sk: event.id,
      event: JSON.stringify(event),
      // Acceptance order, not event time: events put in the same second would tie.
      archiveSk: `${String(Date.now()).padStart(15, '0')}#${String(++this.accepted).padStart(9, '0')}`,
      rules: [...this.rules.values()]
        .filter(({ compiled }) => compiled.matches(event))
        .map(({ rule }) => rule.name),
      time: event.time,
      acceptedAt: Date.now(),
    }
  }

  /** Writes items of the bus table in batches of 25 (BatchWriteItem), retrying what comes back unprocessed. */
  private async writeAll(requests: WriteRequest[]): Promise<void> {
    for (let start = 0; start < requests.length; start += 25) {
      let pending: WriteRequest[] = requests.slice(start, start + 25)
      for (let attempt = 0; pending.length; attempt++) {
        if (attempt === 5) throw new Error(`${pending.length} writes to the bus table left unprocessed`)
        if (attempt) await new Promise((resolve) => setTimeout(resolve, 10 * 2 ** attempt))
        const { UnprocessedItems } = await this.options.documents.send(
          new BatchWriteCommand({ RequestItems: { [TABLE]: pending } }),
        )
        pending = (UnprocessedItems?.[TABLE] ?? []) as WriteRequest[]
      }
    }
  }

  /** Writes what an intent names (idempotent: a restart may run it again), then drops the intent. */
  private async completeAcceptance(intent: AcceptanceIntent): Promise<void> {
    const { documents } = this.options
    // The event first: a delivery is only ever read together with it.
    await documents.send(
      new PutCommand({ TableName: TABLE, Item: { pk: 'EVENT', sk: intent.sk, event: intent.event } }),
    )
    await Promise.all([
      documents.send(
        new PutCommand({
          TableName: TABLE,
          Item: { pk: 'ARCHIVE', sk: intent.archiveSk, event: intent.event },
        }),
      ),
      ...intent.rules.map((rule) => {
        const delivery = deliveryOf(intent, rule)
        // Never reset a delivery that is already recorded (pending, or dead after its attempts).
        return documents
          .send(
            new PutCommand({
              TableName: TABLE,
              Item: delivery,
              ConditionExpression: 'attribute_not_exists(sk)',
            }),
          )
          .catch((error: unknown) => {
            if ((error as { name?: string }).name !== 'ConditionalCheckFailedException') throw error
          })
      }),
    ])
    await documents.send(new DeleteCommand({ TableName: TABLE, Key: { pk: 'INTENT', sk: intent.sk } }))
  }

  /**
   * Completes the acceptances a crash interrupted. Their producers got no answer, so each
   * such event is delivered at least once without having been acknowledged, as after a
   * lost PutEvents response; consumers are idempotent by event id.
   */
  private async recoverAcceptances(): Promise<number> {
    let recovered = 0
    for await (const item of this.itemsOf('INTENT')) {
      await this.completeAcceptance(item as unknown as AcceptanceIntent)
      recovered++
    }
    return recovered
  }

  private async event(id: string): Promise<EventBridgeEvent<string, unknown> | undefined> {
    const { Item } = await this.options.documents.send(
      new GetCommand({ TableName: TABLE, Key: { pk: 'EVENT', sk: id } }),
    )
    return Item ? (JSON.parse(Item.event as string) as EventBridgeEvent<string, unknown>) : undefined
  }

  /** The events a batch of deliveries carries, by delivery, read in one BatchGetItem (a batch is at most 10). */
  private async eventsOf(deliveries: Delivery[]): Promise<Map<string, EventBridgeEvent<string, unknown>>> {
    const byId = new Map<string, EventBridgeEvent<string, unknown>>()
    let keys: Record<string, unknown>[] = [...new Set(deliveries.map((delivery) => delivery.eventId))].map(
      (id) => ({ pk: 'EVENT', sk: id }),
    )
    for (let attempt = 0; keys.length; attempt++) {
      if (attempt === 5) throw new Error(`${keys.length} events of the bus table left unread`)
      if (attempt) await new Promise((resolve) => setTimeout(resolve, 10 * 2 ** attempt))
      const { Responses, UnprocessedKeys } = await this.options.documents.send(
        new BatchGetCommand({ RequestItems: { [TABLE]: { Keys: keys, ConsistentRead: true } } }),
      )
      for (const item of Responses?.[TABLE] ?? [])
        byId.set(item.sk as string, JSON.parse(item.event as string) as EventBridgeEvent<string, unknown>)
      keys = UnprocessedKeys?.[TABLE]?.Keys ?? []
    }
    const events = new Map<string, EventBridgeEvent<string, unknown>>()
    for (const delivery of deliveries) {
      const event = byId.get(delivery.eventId)
      if (event) events.set(delivery.sk, event)
    }
    return events
  }

  private async deliveries(): Promise<Delivery[]> {
    const deliveries: Delivery[] = []
    for await (const item of this.itemsOf('DELIVERY')) deliveries.push(item as unknown as Delivery)
    return deliveries
  }

  /** Every item of one kind (partition) of the bus table, page by page, read consistently. */
  private async *itemsOf(
    kind: 'ARCHIVE' | 'INTENT' | 'DELIVERY',
    options: { newestFirst?: boolean } = {},
  ): AsyncGenerator<Record<string, unknown>> {
    let ExclusiveStartKey: Record<string, unknown> | undefined
    do {
      const page = await this.options.documents.send(
        new QueryCommand({
          TableName: TABLE,
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': kind },
          ScanIndexForward: !options.newestFirst,
          ConsistentRead: true,
          ExclusiveStartKey,
        }),
      )
      yield* page.Items ?? []
      ExclusiveStartKey = page.LastEvaluatedKey
    } while (ExclusiveStartKey)
  }

  private schedulePump(delayMs: number) {
    if (this.stopped) return
    if (this.pumping) {
      this.pumpAgain = true
      return
    }
    if (this.timer) clearTimeout(this.timer)
    this.timer = setTimeout(() => {
      this.timer = undefined
      let failed = false
      this.pumping = this.pump()
        .catch((error: unknown) => {
          // Nothing is lost (the deliveries stay pending in the table): log, and try again shortly,
          // rather than let one failed read take the whole stack down as an unhandled rejection.
          failed = true
          this.options.log(`delivery pass failed, retrying: ${String(error)}`)
        })
        .finally(() => {
          this.pumping = undefined
          if (this.pumpAgain || failed) {
            this.pumpAgain = false
            this.schedulePump(failed ? this.options.retryBaseMs : 0)
          }
        })
    }, delayMs)
  }

  /**
   * Starts every due delivery, grouped per rule in batches of up to 10 (an SQS receive), and
   * does not wait for them: as Lambda's pollers do, a slow consumer or endpoint holds up its
   * own batch only, and the next pass runs when anything new is due.
   */
  private async pump(): Promise<void> {
    const pending = (await this.deliveries()).filter((delivery) => delivery.status === 'pending')
    const now = Date.now()
    const due = pending.filter(
      (delivery) => delivery.nextAttemptAt <= now && !this.delivering.has(delivery.sk),
    )
    const byRule = new Map<string, Delivery[]>()
    for (const delivery of due) byRule.set(delivery.rule, [...(byRule.get(delivery.rule) ?? []), delivery])
    for (const [ruleName, deliveries] of byRule) {
      const entry = this.rules.get(ruleName)
      if (!entry) continue // a rule removed since: its deliveries wait until it is declared again
      for (let start = 0; start < deliveries.length; start += 10) {
        const batch = deliveries.slice(start, start + 10)
        for (const delivery of batch) this.delivering.add(delivery.sk)
        let failed = false
        const running: Promise<void> = this.deliver(entry.rule, batch)
          .catch((error: unknown) => {
            // The deliveries stay pending in the table: tried again shortly, never lost.
            failed = true
            this.options.log(`delivery by rule ${ruleName} failed, retrying: ${String(error)}`)
          })
          .finally(() => {
            for (const delivery of batch) this.delivering.delete(delivery.sk)
            this.batches.delete(running)
            this.schedulePump(failed ? this.options.retryBaseMs : 0)
          })
        this.batches.add(running)
      }
    }
    const later = pending.filter((delivery) => delivery.nextAttemptAt > now)
    if (later.length)
      this.schedulePump(Math.max(0, Math.min(...later.map((d) => d.nextAttemptAt)) - Date.now()))
  }

  private async deliver(rule: LocalRule, deliveries: Delivery[]): Promise<void> {
    const events = await this.eventsOf(deliveries)
    const failed = new Map<string, string>()
    const attempt = this.attemptDelivery(rule, deliveries, events)
    this.inFlight.add(attempt)
    try {
      for (const [sk, error] of await attempt) failed.set(sk, error)
    } finally {
      this.inFlight.delete(attempt)
    }
    // Delivered: the archive keeps the event; only pending and dead deliveries stay listed.
    await this.writeAll(
      deliveries
        .filter((delivery) => !failed.has(delivery.sk))
        .map((delivery) => ({ DeleteRequest: { Key: { pk: 'DELIVERY', sk: delivery.sk } } })),
    )
    for (const delivery of deliveries) {
      const error = failed.get(delivery.sk)
      const attempts = delivery.attempts + 1
      if (error === undefined) continue
      if (attempts >= rule.maxAttempts) {
        this.options.log(
          `event ${delivery.eventId} dead-lettered by rule ${rule.name} after ${attempts} attempts`,
        )
        await this.update(delivery.sk, { status: 'dead', attempts, lastError: error, deadAt: nowIso() })
        continue
      }
      const backoff = Math.min(this.options.maxBackoffMs, this.options.retryBaseMs * 2 ** (attempts - 1))
      const jitter = Math.random() * backoff * 0.2
      await this.update(delivery.sk, {
        attempts,
        lastError: error,
        nextAttemptAt: Date.now() + backoff + jitter,
      })
      this.schedulePump(backoff + jitter)
    }
  }

  /** Returns the deliveries that failed, with why. */
  private async attemptDelivery(
    rule: LocalRule,
    deliveries: Delivery[],
    events: Map<string, EventBridgeEvent<string, unknown>>,
  ): Promise<Map<string, string>> {
    const failed = new Map<string, string>()
    const target = rule.target
    if (target.kind === 'http') {
      await Promise.all(
        deliveries.map(async (delivery) => {
          try {
            const response = await fetch(target.url, {
              method: 'POST',
              // The event's correlation travels in headers too, as a webhook delivery's does.
              headers: {
                'Content-Type': 'application/json',
                ...correlationHeaders(correlationOf(events.get(delivery.sk)!)),
              },
              body: JSON.stringify(events.get(delivery.sk)),
              signal: AbortSignal.timeout(5_000),
            })
            if (response.status < 200 || response.status > 299)
              failed.set(delivery.sk, `HTTP ${response.status}`)
          } catch (error) {
            failed.set(delivery.sk, String(error))
          }
        }),
      )
      return failed
    }
    const records = deliveries.map((delivery) => ({
      messageId: delivery.sk,
      receiptHandle: delivery.sk,
      body: JSON.stringify(events.get(delivery.sk)),
      attributes: {
        ApproximateReceiveCount: String(delivery.attempts + 1),
        SentTimestamp: String(Date.now()),
        SenderId: 'events.amazonaws.com',
        ApproximateFirstReceiveTimestamp: String(Date.now()),
      },
      messageAttributes: {},
      md5OfBody: '',
      eventSource: 'aws:sqs',
      eventSourceARN: `arn:aws:sqs:${this.options.region}:${this.options.account}:${rule.name}Queue`,
      awsRegion: this.options.region,
    }))
    try {
      const response = await target.invoke({ Records: records } as SQSEvent)
      for (const failure of response?.batchItemFailures ?? [])
        failed.set(failure.itemIdentifier, 'reported as a batch item failure')
    } catch (error) {
      // A thrown handler fails the whole batch, as Lambda does for an SQS event source.
      for (const delivery of deliveries) failed.set(delivery.sk, String(error))
    }
    return failed
  }

  private async update(sk: string, fields: Partial<Delivery>): Promise<void> {
    const names = Object.keys(fields)
    await this.options.documents.send(
      new UpdateCommand({
        TableName: TABLE,
        Key: { pk: 'DELIVERY', sk },
        UpdateExpression: `SET ${names.map((name) => `#${name} = :${name}`).join(', ')}`,
        ExpressionAttributeNames: Object.fromEntries(names.map((name) => [`#${name}`, name])),
        ExpressionAttributeValues: Object.fromEntries(
          Object.entries(fields).map(([name, value]) => [`:${name}`, value]),
        ),
      }),
    )
  }

  private async handlePutEvents(request: IncomingMessage): Promise<{ status: number; body: unknown }> {
    const target = String(request.headers['x-amz-target'] ?? '')
    const chunks: Buffer[] = []
    for await (const chunk of request) chunks.push(chunk as Buffer)
    if (target !== 'AWSEvents.PutEvents') {
      return {
        status: 400,
        body: { __type: 'UnknownOperationException', message: `${target} is not supported locally` },
      }
    }
    let input: { Entries?: unknown }
    try {
      input = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { Entries?: unknown }
    } catch {
      return { status: 400, body: { __type: 'SerializationException', message: 'Body is not JSON' } }
    }
    if (!Array.isArray(input.Entries) || input.Entries.length < 1 || input.Entries.length > MAX_ENTRIES) {
      return {
        status: 400,
        body: { __type: 'ValidationException', message: 'Entries must hold 1 to 10 entries' },
      }
    }
    return { status: 200, body: await this.putEvents(input.Entries) }
  }
}

function nowIso(): string {
  return new Date().toISOString().replace(/\.\d{3}Z$/, 'Z')
}
