import { createHash } from 'node:crypto'
import type { RecordType } from '../../../schemas/fhir/recordTypes'

/**
 * A stable pointer id, `<ODS>-<16 hex>`, as NRL ids are `<ODS>-<local id>`. Derived from
 * the entry's key so it never changes, and hashed so that it does not carry the NHS number.
 */
export function pointerIdOf(nhsNumber: string, holderOds: string, recordTypeCode: string): string {
  const digest = createHash('sha256').update(`${nhsNumber}|${holderOds}|${recordTypeCode}`).digest('hex')
  return `${holderOds}-${digest.slice(0, 16)}`
}

/** How many source event ids an entry keeps (the newest). */
export const KEPT_SOURCES = 20

/** One line of the patient index: an organisation holds a record of a type about a patient. */
export interface HolderEntry {
  nhsNumber: string
  holderOds: string
  recordType: RecordType
  /** Where the holder serves the record, as last announced. */
  endpoint?: string
  /** `removed` entries are tombstones: they stop older registrations from resurrecting the entry. */
  status: 'current' | 'removed'
  removalReason?: string
  /** Earliest and latest registration seen (UTC ISO instants). */
  firstSeenAt?: string
  lastSeenAt?: string
  /** The event that decided the status: last writer wins by occurredAt, then by event id. */
  decidedAt: string
  decidedBy: string
  /** The newest source events, newest first. */
  sources: HolderSource[]
  /** Optimistic concurrency: each write expects the version it read. */
  version: number
}

export interface HolderSource {
  eventId: string
  occurredAt: string
  kind: HolderChange['kind']
}

/** What one event says about one index entry. */
export interface HolderChange {
  kind: 'registered' | 'removed'
  nhsNumber: string
  holderOds: string
  recordType: RecordType
  endpoint?: string
  reason?: string
  /** UTC ISO instant (normalised from the envelope's occurredAt). */
  occurredAt: string
  eventId: string
}

/** Orders two (instant, id) pairs; instants are compared as times, not as text. */
export function compareStamps(a: { at: string; id: string }, b: { at: string; id: string }): number {
  const delta = Date.parse(a.at) - Date.parse(b.at)
  if (delta !== 0) return delta
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0
}

const minInstant = (a: string | undefined, b: string) =>
  a === undefined || Date.parse(b) < Date.parse(a) ? b : a
const maxInstant = (a: string | undefined, b: string) =>
  a === undefined || Date.parse(b) > Date.parse(a) ? b : a

/**
 * The entry after one more event, or undefined when the event changes nothing (a
 * duplicate, or an older event whose facts are already known). The result depends only
 * on the set of events applied, never on their order or repetition, so out-of-order and
 * at-least-once delivery converge: status, endpoint and display come from the newest
 * event (last writer wins by occurredAt, ties by event id); first and last seen are the
 * min and max of the registrations; the sources are the newest few.
 */
export function applyHolderChange(
  current: HolderEntry | undefined,
  change: HolderChange,
): HolderEntry | undefined {
  if (current?.sources.some((source) => source.eventId === change.eventId)) return undefined
  const wins =
    !current ||
    compareStamps(
      { at: change.occurredAt, id: change.eventId },
      { at: current.decidedAt, id: current.decidedBy },
    ) > 0
  const base: HolderEntry = current ?? {
    nhsNumber: change.nhsNumber,
    holderOds: change.holderOds,
    recordType: change.recordType,
    status: change.kind === 'registered' ? 'current' : 'removed',
    decidedAt: change.occurredAt,
    decidedBy: change.eventId,
    sources: [],
    version: 0,
  }
  const next: HolderEntry = { ...base, sources: mergeSources(base.sources, change) }
  if (wins) {
    next.decidedAt = change.occurredAt
    next.decidedBy = change.eventId
    next.status = change.kind === 'registered' ? 'current' : 'removed'
    if (change.kind === 'registered') {
      next.recordType = change.recordType
      if (change.endpoint) next.endpoint = change.endpoint
      else delete next.endpoint
      delete next.removalReason
    } else {
      // Everything shown comes from the winning event alone, so arrival order cannot leak in.
      next.recordType = change.recordType
      delete next.endpoint
      next.removalReason = change.reason ?? 'unspecified'
    }
  }
  if (change.kind === 'registered') {
    next.firstSeenAt = minInstant(base.firstSeenAt, change.occurredAt)
    next.lastSeenAt = maxInstant(base.lastSeenAt, change.occurredAt)
  }
  return sameFacts(current, next) ? undefined : next
}

function mergeSources(sources: HolderSource[], change: HolderChange): HolderSource[] {
  const merged = [...sources, { eventId: change.eventId, occurredAt: change.occurredAt, kind: change.kind }]
  merged.sort((a, b) =>
    compareStamps({ at: b.occurredAt, id: b.eventId }, { at: a.occurredAt, id: a.eventId }),
  )
  return merged.slice(0, KEPT_SOURCES)
}

function sameFacts(current: HolderEntry | undefined, next: HolderEntry): boolean {
  if (!current) return false
  const { version: _a, ...left } = current
  const { version: _b, ...right } = next
  return JSON.stringify(sortKeys(left)) === JSON.stringify(sortKeys(right))
}

function sortKeys(value: object): object {
  return Object.fromEntries(Object.entries(value).sort(([a], [b]) => (a < b ? -1 : 1)))
}
