import type { HolderEntry } from './HolderEntry'

/** A page of index entries and, when there are more, the cursor for the next page. */
export interface IndexPage {
  entries: HolderEntry[]
  cursor?: string
}

/** Someone else wrote the entry between our read and our write: read again and retry. */
export class ConcurrentIndexUpdate extends Error {
  constructor() {
    super('index entry changed since it was read')
    this.name = 'ConcurrentIndexUpdate'
  }
}

/** The patient index: which organisations hold which records about each patient. */
export interface PatientIndex {
  entry(nhsNumber: string, holderOds: string, recordTypeCode: string): Promise<HolderEntry | undefined>
  /** Writes an entry if it is still at `expectedVersion` (0: must not exist); throws ConcurrentIndexUpdate. */
  save(entry: HolderEntry, expectedVersion: number): Promise<void>
  /**
   * The current holders of one patient's records, one Query per page whatever the number
   * of patients; optionally one holder's entries, or one record type's.
   */
  holdersOf(
    nhsNumber: string,
    filter: { holderOds?: string; recordTypeCode?: string; recordTypeSystem?: string },
    page: { limit: number; cursor?: string },
  ): Promise<IndexPage>
  /** How many current holders `holdersOf` would list over all its pages (the searchset total). */
  countHolders(
    nhsNumber: string,
    filter: { holderOds?: string; recordTypeCode?: string; recordTypeSystem?: string },
  ): Promise<number>
  /** The entry a pointer id names (current or a tombstone), from the by-pointer-id index. */
  byPointerId(pointerId: string): Promise<HolderEntry | undefined>
  /** Every entry one holder has for one patient, removed ones included. */
  entriesOfHolder(nhsNumber: string, holderOds: string): Promise<HolderEntry[]>
  /** A page of one organisation's current entries, from the by-holder index. */
  heldBy(holderOds: string, page: { limit: number; cursor?: string }): Promise<IndexPage>
  /**
   * An entry and when its holder last withdrew everything it holds (later-arriving older
   * registrations lose to that), read together: what a registration needs, in one round trip.
   */
  entryAndWithdrawal(
    nhsNumber: string,
    holderOds: string,
    recordTypeCode: string,
  ): Promise<{ entry?: HolderEntry; withdrawal?: OrganisationWithdrawal }>
  /** Records a withdrawal if it is newer than the one stored. */
  saveWithdrawal(withdrawal: OrganisationWithdrawal): Promise<void>
}

export interface OrganisationWithdrawal {
  holderOds: string
  occurredAt: string
  eventId: string
  reason: string
}
