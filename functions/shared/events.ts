import { randomUUID } from 'node:crypto'
import { EventBridgeClient, PutEventsCommand, type PutEventsRequestEntry } from '@aws-sdk/client-eventbridge'
import { envelopeOf } from '../../schemas/events/envelope'
import { type DetailType, type EventVersion, eventRegistry } from '../../schemas/events/registry'
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

/** One EventBridge client per container, reused by every invocation. */
export const eventBridgeClient = new EventBridgeClient({ maxAttempts: 3 })

const MAX_BATCH = 10
const MAX_ROUNDS = 5

/**
 * PutEvents with the DESIGN.md envelope. Each detail is validated with the strict schema
 * of its version before it leaves (a producer bug fails here, not in a consumer), and
 * entries PutEvents reports as failed (FailedEntryCount) are sent again with backoff;
 * if some still fail, publishing throws rather than losing them.
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
      const definition: EventVersion | undefined = (
        eventRegistry[event.detailType].versions as Readonly<Record<number, EventVersion>>
      )[event.major]
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
    for (let start = 0; start < entries.length; start += MAX_BATCH) {
      await this.put(entries.slice(start, start + MAX_BATCH).map(({ entry }) => entry))
    }
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
