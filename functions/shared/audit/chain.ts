import { createHash } from 'node:crypto'
import type { AuditEntry, OrganisationAuditEntry } from '../ports'

/** `prevHash` of the first record in a patient's chain. */
export const GENESIS_HASH = '0'.repeat(64)

/** A record's place in its chain. */
export interface ChainLink {
  /** 1, 2, 3… per chain (patient or organisation). */
  seq: number
  /** SHA-256 of the previous record of the chain (GENESIS_HASH for the first). */
  prevHash: string
  /** SHA-256 of this record's canonical JSON, without `hash` itself. */
  hash: string
}

/** One stored audit record: the entry plus its place in the patient's chain. */
export interface AuditRecord extends AuditEntry, ChainLink {}

/** One stored record of an organisation's chain (bulk changes). */
export interface OrganisationAuditRecord extends OrganisationAuditEntry, ChainLink {}

/** JSON with object keys sorted at every level, so a record always hashes the same. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, inner]) => inner !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    return `{${entries.map(([key, inner]) => `${JSON.stringify(key)}:${canonicalJson(inner)}`).join(',')}}`
  }
  return JSON.stringify(value)
}

/** The hash a record must carry. */
export function hashOf(record: Omit<ChainLink, 'hash'> & { hash?: string }): string {
  const { hash: _hash, ...content } = record
  return createHash('sha256').update(canonicalJson(content)).digest('hex')
}

/** Links an entry after `previous` (undefined for a chain's first record). */
export function chainAfter<E extends object = AuditEntry>(
  previous: Pick<ChainLink, 'seq' | 'hash'> | undefined,
  entry: E,
): E & ChainLink {
  const unhashed = { ...entry, seq: (previous?.seq ?? 0) + 1, prevHash: previous?.hash ?? GENESIS_HASH }
  return { ...unhashed, hash: hashOf(unhashed) }
}

export type ChainVerdict =
  | { intact: true; records: number }
  | { intact: false; records: number; brokenAt: number; reason: string }

/**
 * Re-computes a patient's chain, oldest first, and reports the first broken link: the
 * lowest sequence number whose record is missing, out of place, altered or unlinked.
 */
export function verifyChain(records: readonly ChainLink[]): ChainVerdict {
  let previous: ChainLink | undefined
  for (const record of records) {
    const expectedSeq = (previous?.seq ?? 0) + 1
    if (record.seq !== expectedSeq) {
      return broken(
        records,
        expectedSeq,
        `record ${expectedSeq} is missing or out of place (found seq ${record.seq})`,
      )
    }
    if (record.prevHash !== (previous?.hash ?? GENESIS_HASH)) {
      return broken(records, record.seq, 'prevHash does not match the previous record')
    }
    if (record.hash !== hashOf(record)) return broken(records, record.seq, 'content does not match its hash')
    previous = record
  }
  return { intact: true, records: records.length }
}

function broken(records: readonly ChainLink[], seq: number, reason: string): ChainVerdict {
  return { intact: false, records: records.length, brokenAt: seq, reason }
}
