import { FhirError } from '../../functions/shared/errors'
import { type HolderEntry, pointerIdOf } from '../../functions/shared/patient-index/HolderEntry'
import {
  ConcurrentIndexUpdate,
  type IndexPage,
  type OrganisationWithdrawal,
  type PatientIndex,
} from '../../functions/shared/patient-index/PatientIndex'

const keyOf = (nhsNumber: string, holderOds: string, recordTypeCode: string) =>
  `${nhsNumber}|${holderOds}|${recordTypeCode}`

const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url')

/**
 * The patient index in memory, with the same contract as the DynamoDB adapter: optimistic
 * writes (a stale `expectedVersion` throws ConcurrentIndexUpdate), entries returned in key
 * order, paging cursors bound to the partition they were issued for, and the newest
 * withdrawal kept. Tests reach into `entries` to arrange and assess.
 */
export class MemoryPatientIndex implements PatientIndex {
  readonly entries = new Map<string, HolderEntry>()
  readonly withdrawals = new Map<string, OrganisationWithdrawal>()
  /** Every save attempted, in order, with the version it expected. */
  readonly saves: { entry: HolderEntry; expectedVersion: number }[] = []
  /** Runs before each save is checked, so a test can let another writer get there first. */
  beforeSave?: (entry: HolderEntry, expectedVersion: number) => Promise<void> | void
  /** How many pages of `heldBy` were read. */
  heldByPages = 0

  async entry(nhsNumber: string, holderOds: string, recordTypeCode: string) {
    const stored = this.entries.get(keyOf(nhsNumber, holderOds, recordTypeCode))
    return stored ? structuredClone(stored) : undefined
  }

  async save(entry: HolderEntry, expectedVersion: number): Promise<void> {
    this.saves.push({ entry: structuredClone(entry), expectedVersion })
    await this.beforeSave?.(entry, expectedVersion)
    this.store(entry, expectedVersion)
  }

  /** The optimistic write itself, without the `beforeSave` hook (what another writer does). */
  store(entry: HolderEntry, expectedVersion: number): void {
    const key = keyOf(entry.nhsNumber, entry.holderOds, entry.recordType.code)
    if ((this.entries.get(key)?.version ?? 0) !== expectedVersion) throw new ConcurrentIndexUpdate()
    this.entries.set(key, structuredClone({ ...entry, version: expectedVersion + 1 }))
  }

  async holdersOf(
    nhsNumber: string,
    filter: { holderOds?: string; recordTypeCode?: string; recordTypeSystem?: string },
    page: { limit: number; cursor?: string },
  ): Promise<IndexPage> {
    const matching = this.sorted().filter(
      (entry) =>
        entry.nhsNumber === nhsNumber &&
        entry.status === 'current' &&
        (filter.holderOds === undefined || entry.holderOds === filter.holderOds) &&
        (filter.recordTypeCode === undefined || entry.recordType.code === filter.recordTypeCode) &&
        (filter.recordTypeSystem === undefined || entry.recordType.system === filter.recordTypeSystem),
    )
    return pageOf(matching, page, `PATIENT#${nhsNumber}`)
  }

  async countHolders(
    nhsNumber: string,
    filter: { holderOds?: string; recordTypeCode?: string; recordTypeSystem?: string },
  ): Promise<number> {
    return (await this.holdersOf(nhsNumber, filter, { limit: Number.MAX_SAFE_INTEGER })).entries.length
  }

  async byPointerId(pointerId: string): Promise<HolderEntry | undefined> {
    const found = this.sorted().find(
      (entry) => pointerIdOf(entry.nhsNumber, entry.holderOds, entry.recordType.code) === pointerId,
    )
    return found ? structuredClone(found) : undefined
  }

  async entriesOfHolder(nhsNumber: string, holderOds: string): Promise<HolderEntry[]> {
    return this.sorted()
      .filter((entry) => entry.nhsNumber === nhsNumber && entry.holderOds === holderOds)
      .map((entry) => structuredClone(entry))
  }

  async heldBy(holderOds: string, page: { limit: number; cursor?: string }): Promise<IndexPage> {
    this.heldByPages++
    const matching = this.sorted().filter(
      (entry) => entry.holderOds === holderOds && entry.status === 'current',
    )
    return pageOf(matching, page, `HOLDER#${holderOds}`)
  }

  async withdrawal(holderOds: string) {
    const stored = this.withdrawals.get(holderOds)
    return stored ? { ...stored } : undefined
  }

  async entryAndWithdrawal(nhsNumber: string, holderOds: string, recordTypeCode: string) {
    const [entry, withdrawal] = await Promise.all([
      this.entry(nhsNumber, holderOds, recordTypeCode),
      this.withdrawal(holderOds),
    ])
    return { ...(entry ? { entry } : {}), ...(withdrawal ? { withdrawal } : {}) }
  }

  async saveWithdrawal(withdrawal: OrganisationWithdrawal): Promise<void> {
    const stored = this.withdrawals.get(withdrawal.holderOds)
    if (!stored || Date.parse(stored.occurredAt) < Date.parse(withdrawal.occurredAt)) {
      this.withdrawals.set(withdrawal.holderOds, { ...withdrawal })
    }
  }

  /** The current entries, as a plain list. */
  current(): HolderEntry[] {
    return [...this.entries.values()].filter((entry) => entry.status === 'current')
  }

  private sorted(): HolderEntry[] {
    return [...this.entries.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, e]) => e)
  }
}

/** One page after the cursor's key; the cursor names the partition it belongs to. */
function pageOf(
  matching: HolderEntry[],
  page: { limit: number; cursor?: string },
  partition: string,
): IndexPage {
  const key = (entry: HolderEntry) => keyOf(entry.nhsNumber, entry.holderOds, entry.recordType.code)
  let after: string | undefined
  if (page.cursor !== undefined) {
    try {
      const decoded = JSON.parse(Buffer.from(page.cursor, 'base64url').toString('utf8')) as {
        partition?: unknown
        after?: unknown
      }
      if (decoded.partition === partition && typeof decoded.after === 'string') after = decoded.after
    } catch {
      // refused below
    }
    if (after === undefined) throw new FhirError('INVALID_PARAMETER', 'Invalid paging cursor')
  }
  const rest = after === undefined ? matching : matching.filter((entry) => key(entry) > after)
  const entries = rest.slice(0, page.limit).map((entry) => structuredClone(entry))
  const last = entries.at(-1)
  return {
    entries,
    ...(rest.length > page.limit && last ? { cursor: encode({ partition, after: key(last) }) } : {}),
  }
}

/**
 * `count` distinct NHS numbers that pass the modulus 11 check, in the 999 test range
 * (NHS Data Dictionary: weights 10..2, a check digit of 10 is never issued).
 */
export function testNhsNumbers(count: number, start = 0): string[] {
  const numbers: string[] = []
  for (let seed = start; numbers.length < count; seed++) {
    const stem = `999${String(seed).padStart(6, '0')}`
    let sum = 0
    for (let i = 0; i < 9; i++) sum += Number(stem[i]) * (10 - i)
    const check = 11 - (sum % 11)
    if (check === 10) continue
    numbers.push(`${stem}${check === 11 ? 0 : check}`)
  }
  return numbers
}
