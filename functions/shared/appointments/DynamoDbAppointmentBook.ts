import {
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  type QueryCommandInput,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb'
import { batchGetItems, documentClient, isConditionFailure, tableNameOf } from '../dynamodb'
import {
  type AppointmentBook,
  appointmentIdOf,
  type Booking,
  type PublishedResource,
  type PublishOutcome,
  parseSlotId,
  type SlotContent,
  type SlotExpectation,
  type SlotPage,
  type SlotRecord,
  type StoredAppointment,
} from './AppointmentBook'

/*
 * Items (one table, `appointments`):
 * - ORG#<ods>            | <Type>#<id>                     a published Schedule, Practitioner or Location
 * - SCHEDULE#<schedule>  | SLOT#<yyyymmddhhmm>             a slot, with `booking` while booked
 * - SCHEDULE#<schedule>  | SLOT#<yyyymmddhhmm>#APPOINTMENT#<n>   a cancelled appointment of that slot
 * - PUBLISHERS           | <ods>                           an organisation that publishes slots
 * GSIs: bySlotStart (slotOrg, slotStart = <start>#<slot id>) on slot items; byPatient
 * (patientKey, appointmentStart = <start>#<appointment id>) on booked slots and cancelled appointments.
 */

const PUBLISHERS = 'PUBLISHERS'
/** Sorts after every character of a slot or appointment id. */
const AFTER_IDS = '~'
/** Query pages: enough for a busy fortnight in a few round trips. */
const PAGE_ITEMS = 500

interface SlotItem extends SlotRecord {
  pk: string
  sk: string
  kind: 'slot'
  slotOrg: string
  slotStart: string
  patientKey?: string
  appointmentStart?: string
}

interface CancelledItem {
  pk: string
  sk: string
  kind: 'cancelled'
  slot: SlotRecord
  booking: Booking
  patientKey: string
  appointmentStart: string
}

const scheduleKey = (scheduleId: string) => `SCHEDULE#${scheduleId}`
const slotKey = (start: string) => `SLOT#${start.slice(0, 16).replace(/[-T:]/g, '')}`
const cancelledKey = (start: string, n: number) =>
  `${slotKey(start)}#APPOINTMENT#${String(n).padStart(5, '0')}`
const patientKey = (nhsNumber: string) => `PATIENT#${nhsNumber}`

/** The fields compared when a slot is published again. */
const CONTENT_FIELDS: readonly (keyof SlotContent)[] = [
  'end',
  'serviceType',
  'deliveryChannel',
  'serviceCategory',
  'practitionerId',
  'practitionerRole',
  'locationId',
]

function keyOf(slotId: string): { pk: string; sk: string } {
  const parsed = parseSlotId(slotId)
  if (!parsed) throw new Error('not a slot id')
  return { pk: scheduleKey(parsed.scheduleId), sk: slotKey(parsed.start) }
}

function slotOf(item: Record<string, unknown>): SlotRecord {
  const {
    pk: _pk,
    sk: _sk,
    kind: _kind,
    slotOrg: _slotOrg,
    slotStart: _slotStart,
    patientKey: _patientKey,
    appointmentStart: _appointmentStart,
    ...slot
  } = item as unknown as SlotItem
  return slot
}

function storedOf(item: Record<string, unknown>): StoredAppointment | undefined {
  if (item.kind === 'cancelled') {
    const cancelled = item as unknown as CancelledItem
    return { slot: cancelled.slot, booking: cancelled.booking, onSlot: false }
  }
  const slot = slotOf(item)
  if (!slot.booking) return undefined
  return { slot, booking: slot.booking, onSlot: true }
}

const sameContent = (a: SlotContent, b: SlotContent) =>
  CONTENT_FIELDS.every((field) => JSON.stringify(a[field]) === JSON.stringify(b[field]))

/** A free slot's item as the book writes it (bulk loads for benchmarks use the same). */
export function slotItemOf(slot: SlotRecord): Record<string, unknown> {
  return {
    ...slot,
    pk: scheduleKey(slot.scheduleId),
    sk: slotKey(slot.start),
    kind: 'slot',
    slotOrg: slot.hostOds,
    slotStart: `${slot.start}#${slot.id}`,
  } satisfies SlotItem
}

/** The item of an organisation in the directory of slot publishers. */
export function publisherItemOf(hostOds: string, lastEnd: string): Record<string, unknown> {
  return { pk: PUBLISHERS, sk: hostOds, hostOds, lastEnd }
}

/**
 * How long a process keeps reference data it read: published Schedules, Practitioners and
 * Locations, and the directory of slot publishers. They change when an organisation
 * publishes again (which clears this process's copy at once); other processes see the change
 * within this time. Slots are never kept: their status is read for every search.
 */
export const REFERENCE_DATA_TTL_MS = 30_000

/** The appointment book in DynamoDB: every change is one conditional write on one item. */
export class DynamoDbAppointmentBook implements AppointmentBook {
  private readonly knownResources = new Map<string, { resource: PublishedResource; until: number }>()
  private knownPublishers?: { publishers: Promise<{ hostOds: string; lastEnd: string }[]>; until: number }

  constructor(
    private readonly client: DynamoDBDocumentClient = documentClient,
    private readonly tableName: string = tableNameOf('appointments'),
    private readonly referenceTtlMs: number = REFERENCE_DATA_TTL_MS,
    private readonly now: () => number = Date.now,
  ) {}

  async saveResources(resources: PublishedResource[]): Promise<void> {
    for (const resource of resources) this.knownResources.delete(resourceKey(resource))
    // Reference data: the latest publication wins.
    await inBatches(resources, 16, (resource) =>
      this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: {
            pk: `ORG#${resource.hostOds}`,
            sk: `${resource.type}#${resource.id}`,
            kind: 'resource',
            ...resource,
            resource: JSON.stringify(resource.resource),
          },
        }),
      ),
    )
  }

  async resources(keys: Pick<PublishedResource, 'hostOds' | 'type' | 'id'>[]): Promise<PublishedResource[]> {
    const now = this.now()
    const found: PublishedResource[] = []
    const unique = [...new Map(keys.map((key) => [resourceKey(key), key])).values()].filter((key) => {
      const known = this.knownResources.get(resourceKey(key))
      if (!known || known.until <= now) return true
      found.push(known.resource)
      return false
    })
    const itemKeys = unique.map((key) => ({ pk: `ORG#${key.hostOds}`, sk: `${key.type}#${key.id}` }))
    for (const item of await batchGetItems(this.client, this.tableName, itemKeys)) {
      const resource: PublishedResource = {
        hostOds: item.hostOds as string,
        type: item.type as PublishedResource['type'],
        id: item.id as string,
        resource: JSON.parse(item.resource as string) as Record<string, unknown>,
      }
      found.push(resource)
      this.knownResources.set(resourceKey(resource), { resource, until: now + this.referenceTtlMs })
    }
    return found
  }

  async slotsOfSchedule(scheduleId: string, from: string, to: string): Promise<SlotRecord[]> {
    const items = await this.queryAll({
      TableName: this.tableName,
      KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
      FilterExpression: 'kind = :slot',
      ExpressionAttributeValues: {
        ':pk': scheduleKey(scheduleId),
        ':from': slotKey(from),
        ':to': `${slotKey(to)}${AFTER_IDS}`,
        ':slot': 'slot',
      },
      ConsistentRead: true,
    })
    return items.map(slotOf)
  }

  async publishSlot(slot: SlotRecord): Promise<PublishOutcome> {
    const key = keyOf(slot.id)
    for (let attempt = 0; attempt < 5; attempt++) {
      try {
        await this.client.send(
          new PutCommand({
            TableName: this.tableName,
            Item: slotItemOf(slot),
            ConditionExpression: 'attribute_not_exists(pk)',
          }),
        )
        return 'created'
      } catch (error) {
        if (!isConditionFailure(error)) throw error
      }
      const existing = await this.slot(slot.id)
      if (!existing) continue
      if (sameContent(existing, slot)) return 'unchanged'
      if (existing.status !== 'free') return 'booked'
      const names: Record<string, string> = {}
      const values: Record<string, unknown> = {
        ':free': 'free',
        ':version': existing.version,
        ':next': existing.version + 1,
        ':publishedAt': slot.publishedAt,
      }
      const sets = ['version = :next', 'publishedAt = :publishedAt']
      const removes: string[] = []
      CONTENT_FIELDS.forEach((field, index) => {
        names[`#f${index}`] = field
        if (slot[field] === undefined) removes.push(`#f${index}`)
        else {
          sets.push(`#f${index} = :f${index}`)
          values[`:f${index}`] = slot[field]
        }
      })
      try {
        await this.client.send(
          new UpdateCommand({
            TableName: this.tableName,
            Key: key,
            UpdateExpression: `SET ${sets.join(', ')}${removes.length ? ` REMOVE ${removes.join(', ')}` : ''}`,
            ConditionExpression: '#status = :free AND version = :version',
            ExpressionAttributeNames: { ...names, '#status': 'status' },
            ExpressionAttributeValues: values,
          }),
        )
        return 'updated'
      } catch (error) {
        if (!isConditionFailure(error)) throw error
      }
    }
    throw new Error('Slot kept changing while it was published')
  }

  async openSlots(
    hostOds: string,
    window: { from: string; to: string; endBy?: string },
    page: { limit: number; after?: string },
  ): Promise<SlotPage> {
    const slots: SlotRecord[] = []
    let exclusiveStartKey: Record<string, unknown> | undefined
    const lower = page.after ? `${page.after} ` : window.from
    do {
      const result = await this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          IndexName: 'bySlotStart',
          KeyConditionExpression: 'slotOrg = :ods AND slotStart BETWEEN :from AND :to',
          // Open: free, or booked by a cancellation that was cut short (the reader finishes it).
          FilterExpression: `(#status = :free OR attribute_exists(booking.cancellation))${window.endBy ? ' AND #end <= :endBy' : ''}`,
          ExpressionAttributeNames: { '#status': 'status', ...(window.endBy ? { '#end': 'end' } : {}) },
          ExpressionAttributeValues: {
            ':ods': hostOds,
            ':from': lower,
            ':to': `${window.to}#${AFTER_IDS}`,
            ':free': 'free',
            ...(window.endBy ? { ':endBy': window.endBy } : {}),
          },
          ExclusiveStartKey: exclusiveStartKey,
          Limit: Math.min(PAGE_ITEMS, Math.max(page.limit + 1, 50)),
        }),
      )
      for (const item of result.Items ?? []) slots.push(slotOf(item))
      exclusiveStartKey = result.LastEvaluatedKey
    } while (exclusiveStartKey && slots.length <= page.limit)
    if (slots.length > page.limit) {
      const kept = slots.slice(0, page.limit)
      const last = kept.at(-1)!
      return { slots: kept, next: `${last.start}#${last.id}` }
    }
    if (exclusiveStartKey) {
      const last = slots.at(-1)
      return { slots, ...(last ? { next: `${last.start}#${last.id}` } : {}) }
    }
    return { slots }
  }

  async slot(slotId: string): Promise<SlotRecord | undefined> {
    const { Item } = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: keyOf(slotId), ConsistentRead: true }),
    )
    return Item ? slotOf(Item) : undefined
  }

  async book(slotId: string, booking: Booking, expected: SlotExpectation): Promise<SlotRecord | undefined> {
    const parsed = parseSlotId(slotId)
    if (!parsed) return undefined
    const conditions = [
      // The one rule that keeps a slot from being booked twice: it must still be free, and
      // not booked and released since its booking number was learnt.
      '#status = :free AND bookings = :previous',
      // What the booking says of the slot must be what the slot is (a missing slot fails here too).
      '#start = :start AND #end = :end AND locationId = :location',
      ...(expected.practitionerId !== undefined ? ['practitionerId = :practitioner'] : []),
    ]
    try {
      const { Attributes } = await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keyOf(slotId),
          UpdateExpression:
            'SET #status = :busy, booking = :booking, bookings = :n, version = version + :one, patientKey = :patient, appointmentStart = :appointmentStart',
          ConditionExpression: conditions.join(' AND '),
          ExpressionAttributeNames: { '#status': 'status', '#start': 'start', '#end': 'end' },
          ExpressionAttributeValues: {
            ':busy': 'busy',
            ':free': 'free',
            ':booking': booking,
            ':n': booking.n,
            ':previous': booking.n - 1,
            ':one': 1,
            ':patient': patientKey(booking.nhsNumber),
            ':appointmentStart': `${expected.start}#${appointmentIdOf(slotId, booking.n)}`,
            ':start': expected.start,
            ':end': expected.end,
            ':location': expected.locationId,
            ...(expected.practitionerId !== undefined ? { ':practitioner': expected.practitionerId } : {}),
          },
          // The booked slot comes back with the write: the answer needs no second read.
          ReturnValues: 'ALL_NEW',
        }),
      )
      return Attributes ? slotOf(Attributes) : undefined
    } catch (error) {
      if (isConditionFailure(error)) return undefined
      throw error
    }
  }

  async appointment(slotId: string, n: number): Promise<StoredAppointment | undefined> {
    const { pk, sk } = keyOf(slotId)
    // One consistent Query: the slot and its cancelled appointments share a key prefix.
    const items = await this.queryAll({
      TableName: this.tableName,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :sk)',
      ExpressionAttributeValues: { ':pk': pk, ':sk': sk },
      ConsistentRead: true,
    })
    const slotItem = items.find((item) => item.sk === sk)
    const current = slotItem ? storedOf(slotItem) : undefined
    if (current && current.booking.n === n) return current
    const cancelled = items.find((item) => item.sk === `${sk}#APPOINTMENT#${String(n).padStart(5, '0')}`)
    return cancelled ? storedOf(cancelled) : undefined
  }

  async amend(
    slotId: string,
    n: number,
    expectedVersion: number,
    text: { description: string; comment?: string },
    now: string,
  ): Promise<boolean> {
    return this.conditionalUpdate(
      slotId,
      `SET booking.description = :description, booking.version = :next, booking.lastUpdated = :now, version = version + :one${
        text.comment === undefined ? ' REMOVE booking.#comment' : ', booking.#comment = :comment'
      }`,
      'booking.n = :n AND booking.version = :version AND attribute_not_exists(booking.cancellation)',
      {
        ':description': text.description,
        ':next': expectedVersion + 1,
        ':now': now,
        ':one': 1,
        ':n': n,
        ':version': expectedVersion,
        ...(text.comment === undefined ? {} : { ':comment': text.comment }),
      },
      { '#comment': 'comment' },
    )
  }

  async cancel(
    slotId: string,
    n: number,
    expectedVersion: number,
    cancellation: NonNullable<Booking['cancellation']>,
    now: string,
  ): Promise<boolean> {
    return this.conditionalUpdate(
      slotId,
      'SET booking.cancellation = :cancellation, booking.version = :next, booking.lastUpdated = :now, version = version + :one',
      'booking.n = :n AND booking.version = :version AND attribute_not_exists(booking.cancellation)',
      {
        ':cancellation': cancellation,
        ':next': expectedVersion + 1,
        ':now': now,
        ':one': 1,
        ':n': n,
        ':version': expectedVersion,
      },
    )
  }

  async saveCancelled(appointment: StoredAppointment): Promise<void> {
    const { booking, slot } = appointment
    const { booking: _booking, ...slotAsBooked } = slot
    const item: CancelledItem = {
      pk: scheduleKey(slot.scheduleId),
      sk: cancelledKey(slot.start, booking.n),
      kind: 'cancelled',
      slot: { ...slotAsBooked, status: 'busy' },
      booking,
      patientKey: patientKey(booking.nhsNumber),
      appointmentStart: `${slot.start}#${appointmentIdOf(slot.id, booking.n)}`,
    }
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: item,
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      )
    } catch (error) {
      // Saved already, by this or another finisher: a cancelled appointment never changes.
      if (!isConditionFailure(error)) throw error
    }
  }

  async release(slotId: string, n: number, now: string): Promise<boolean> {
    return this.conditionalUpdate(
      slotId,
      'SET #status = :free, version = version + :one, releasedAt = :now REMOVE booking, patientKey, appointmentStart',
      'booking.n = :n AND attribute_exists(booking.cancellation)',
      { ':free': 'free', ':one': 1, ':n': n, ':now': now },
      { '#status': 'status' },
    )
  }

  async markAnnounced(slotId: string, n: number): Promise<void> {
    const updated = await this.conditionalUpdate(slotId, 'SET booking.announced = :yes', 'booking.n = :n', {
      ':yes': true,
      ':n': n,
    })
    if (updated) return
    // Cancelled and released already: the flag belongs to the saved cancelled appointment.
    const parsed = parseSlotId(slotId)!
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk: scheduleKey(parsed.scheduleId), sk: cancelledKey(parsed.start, n) },
          UpdateExpression: 'SET booking.announced = :yes',
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeValues: { ':yes': true },
        }),
      )
    } catch (error) {
      if (!isConditionFailure(error)) throw error
    }
  }

  async appointmentsOf(nhsNumber: string, from: string, to: string): Promise<StoredAppointment[]> {
    const items = await this.queryAll({
      TableName: this.tableName,
      IndexName: 'byPatient',
      KeyConditionExpression: 'patientKey = :patient AND appointmentStart BETWEEN :from AND :to',
      ExpressionAttributeValues: {
        ':patient': patientKey(nhsNumber),
        ':from': from,
        ':to': `${to}#${AFTER_IDS}`,
      },
    })
    return items
      .map(storedOf)
      .filter((stored): stored is StoredAppointment => stored?.booking.nhsNumber === nhsNumber)
  }

  async recordPublisher(hostOds: string, lastEnd: string): Promise<void> {
    this.knownPublishers = undefined
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk: PUBLISHERS, sk: hostOds },
          UpdateExpression: 'SET lastEnd = :lastEnd, hostOds = :ods',
          ConditionExpression: 'attribute_not_exists(lastEnd) OR lastEnd < :lastEnd',
          ExpressionAttributeValues: { ':lastEnd': lastEnd, ':ods': hostOds },
        }),
      )
    } catch (error) {
      // A later end is recorded already.
      if (!isConditionFailure(error)) throw error
    }
  }

  async publishers(): Promise<{ hostOds: string; lastEnd: string }[]> {
    const now = this.now()
    if (this.knownPublishers && this.knownPublishers.until > now) return this.knownPublishers.publishers
    // Concurrent searches share one read; a failed read is not kept.
    const publishers = this.queryAll({
      TableName: this.tableName,
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': PUBLISHERS },
    }).then((items) =>
      items.map((item) => ({ hostOds: item.hostOds as string, lastEnd: item.lastEnd as string })),
    )
    const known = { publishers, until: now + this.referenceTtlMs }
    this.knownPublishers = known
    publishers.catch(() => {
      if (this.knownPublishers === known) this.knownPublishers = undefined
    })
    return publishers
  }

  private async conditionalUpdate(
    slotId: string,
    update: string,
    condition: string,
    values: Record<string, unknown>,
    names?: Record<string, string>,
  ): Promise<boolean> {
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keyOf(slotId),
          UpdateExpression: update,
          ConditionExpression: `attribute_exists(pk) AND ${condition}`,
          ExpressionAttributeValues: values,
          ...(names ? { ExpressionAttributeNames: names } : {}),
        }),
      )
      return true
    } catch (error) {
      if (isConditionFailure(error)) return false
      throw error
    }
  }

  private async queryAll(
    input: Omit<QueryCommandInput, 'ExclusiveStartKey'>,
  ): Promise<Record<string, unknown>[]> {
    const items: Record<string, unknown>[] = []
    let ExclusiveStartKey: Record<string, unknown> | undefined
    do {
      const page = await this.client.send(new QueryCommand({ ...input, ExclusiveStartKey }))
      items.push(...(page.Items ?? []))
      ExclusiveStartKey = page.LastEvaluatedKey
    } while (ExclusiveStartKey)
    return items
  }
}

const resourceKey = (key: Pick<PublishedResource, 'hostOds' | 'type' | 'id'>) =>
  `${key.hostOds}|${key.type}|${key.id}`

/** Runs `task` over `items`, at most `width` at a time. */
async function inBatches<T>(items: T[], width: number, task: (item: T) => Promise<unknown>): Promise<void> {
  let next = 0
  const worker = async () => {
    while (next < items.length) await task(items[next++]!)
  }
  await Promise.all(Array.from({ length: Math.min(width, items.length) }, worker))
}
