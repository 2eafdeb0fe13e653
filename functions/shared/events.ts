import { randomUUID } from 'node:crypto'
import { EventBridgeClient, PutEventsCommand, type PutEventsRequestEntry } from '@aws-sdk/client-eventbridge'
import { envelopeOf } from '../../schemas/events/envelope'
import { type DetailType, type EventVersion, eventVersionOf } from '../../schemas/events/versions'
import { FhirError } from './errors'
import { withoutPayloadLogging } from './sdkClient'
import type { Clock } from './time'

/** One event to publish: its detail-type, the major to write, and its data. */
export interface OutgoingEvent {
  detailType: DetailType
  major: number
  data: unknown
  /**
   * The envelope id, when the producer derives it from the fact (`booked.<appointment id>`),
   * so that publishing the same fact again after a crash is a duplicate consumers ignore.
   */
  id?: string
  /** When it happened, if not now (a fact published again later keeps its own time). */
  occurredAt?: string
}

/** Publishes domain events to the ICS bus, enveloped and validated. */
export interface EventPublisher {
  /** Returns the envelope ids (`metadata.id`) in order. */
  publish(events: OutgoingEvent[], context: { correlationId: string }): Promise<string[]>
}

/** One EventBridge client per container, reused by every invocation (pure: dropped where unused). */
export const eventBridgeClient = /* @__PURE__ */ withoutPayloadLogging(
  /* @__PURE__ */ new EventBridgeClient({ maxAttempts: 3 }),
)

const MAX_BATCH = 10
const MAX_ROUNDS = 5
/** EventBridge: an entry, and a whole PutEvents request, at most 256 KB. */
export const MAX_EVENT_BYTES = 256 * 1024

/** An entry's size as EventBridge counts it (Source, DetailType, Detail and Resources, UTF-8). */
export function entrySizeOf(entry: PutEventsRequestEntry): number {
  let size = 0
  for (const text of [entry.Source, entry.DetailType, entry.Detail, ...(entry.Resources ?? [])])
    size += Buffer.byteLength(text ?? '', 'utf8')
  return entry.Time ? size + 14 : size
}

/**
 * PutEvents with the DESIGN.md envelope. Each detail is validated with the strict schema
 * of its version before it leaves (a producer bug fails here, not in a consumer), and
 * entries PutEvents reports as failed (FailedEntryCount) are sent again with backoff;
 * if some still fail, publishing throws rather than losing them. An event over EventBridge's
 * 256 KB entry limit is refused before anything is sent (413, never a 500 from PutEvents),
 * and batches are cut so no PutEvents request exceeds 256 KB either.
 */
export class EventBridgePublisher implements EventPublisher {
  constructor(
    private readonly options: {
      source: string
      ics: () => string
      clock: Clock
      busName?: () => string
      client?: EventBridgeClient
      sleep?: (ms: number) => Promise<void>
    },
  ) {}

  async publish(events: OutgoingEvent[], context: { correlationId: string }): Promise<string[]> {
    const occurredAt = this.options.clock().toISOString()
    const entries = events.map((event) => {
      const definition: EventVersion | undefined = eventVersionOf(event.detailType, event.major)
      if (!definition) throw new Error(`${event.detailType} has no major ${event.major}`)
      const detail = envelopeOf(definition.strict, 'strict').parse({
        metadata: {
          id: event.id ?? randomUUID(),
          version: definition.version,
          occurredAt: event.occurredAt ?? occurredAt,
          correlationId: context.correlationId,
          ics: this.options.ics(),
          producer: this.options.source,
        },
        data: event.data,
      })
      return {
        id: detail.metadata.id,
        entry: {
          Source: this.options.source,
          DetailType: event.detailType,
          Detail: JSON.stringify(detail),
          EventBusName: this.options.busName?.() ?? busNameFromEnvironment(),
        } satisfies PutEventsRequestEntry,
      }
    })
    for (const { entry } of entries) {
      if (entrySizeOf(entry) > MAX_EVENT_BYTES) {
        throw new FhirError(
          'PAYLOAD_TOO_LARGE',
          `The ${entry.DetailType} event this request would publish is larger than EventBridge's 256 KB`,
        )
      }
    }
    let batch: PutEventsRequestEntry[] = []
    let batchBytes = 0
    for (const { entry } of entries) {
      const size = entrySizeOf(entry)
      if (batch.length === MAX_BATCH || batchBytes + size > MAX_EVENT_BYTES) {
        await this.put(batch)
        batch = []
        batchBytes = 0
      }
      batch.push(entry)
      batchBytes += size
    }
    if (batch.length) await this.put(batch)
    return entries.map(({ id }) => id)
  }

  private async put(batch: PutEventsRequestEntry[]): Promise<void> {
    const client = this.options.client ?? eventBridgeClient
    const sleep = this.options.sleep ?? ((ms: number) => new Promise((resolve) => setTimeout(resolve, ms)))
    let pending = batch
    for (let round = 1; pending.length > 0; round++) {
      const result = await client.send(new PutEventsCommand({ Entries: pending }))
      if (!result.FailedEntryCount) return
      // An entry without an EventId was not accepted, whatever else the answer says.
      pending = pending.filter((_, index) => !result.Entries?.[index]?.EventId)
      if (round >= MAX_ROUNDS) {
        const codes = [...new Set(result.Entries?.map((entry) => entry.ErrorCode).filter(Boolean))].join(', ')
        throw new Error(`PutEvents kept failing for ${pending.length} entries (${codes})`)
      }
      await sleep(50 * 2 ** round)
    }
  }
}

function busNameFromEnvironment(): string {
  const name = process.env.EVENT_BUS_NAME
  if (!name) throw new Error('EVENT_BUS_NAME is not set')
  return name
}
