import { createHash } from 'node:crypto'
import { isValidNhsNumber } from '../../../schemas/fhir/identifiers'
import type { RecordType } from '../../../schemas/fhir/recordTypes'
import type { FhirResource } from '../gpconnect/stu3ToR4'

/**
 * One record an organisation wrote to this ICS about a patient: the FHIR R4 resources it
 * recorded together (a consultation summary's Encounter, Conditions, MedicationStatements
 * and so on). The store is the holder's record here: retrieval reads it as it reads a GP
 * Connect provider, and the summary write-back (issue 12) writes into it.
 */
export interface StoredRecord {
  nhsNumber: string
  /** ODS code of the organisation that wrote it: the holder retrieval names. */
  holderOds: string
  /** The writer's own id for the record (a message id, say): unique per holder, the idempotency key. */
  recordId: string
  recordType: RecordType
  /** When the organisation recorded it (an ISO 8601 instant). */
  recordedAt: string
  /** FHIR R4 resources with ids unique within the record; references between them as `Type/id`. */
  resources: FhirResource[]
}

/** The same record id was written before with different content: the second write is refused. */
export class StoredRecordConflict extends Error {
  constructor(holderOds: string, recordId: string) {
    super(`${holderOds} already wrote a different record with id ${recordId}`)
    this.name = 'StoredRecordConflict'
  }
}

/** The record is not one the store can keep; the message says why (no patient data in it). */
export class InvalidStoredRecord extends Error {
  constructor(reason: string) {
    super(reason)
    this.name = 'InvalidStoredRecord'
  }
}

/** The stack's own clinical store. */
export interface ClinicalStore {
  /**
   * Keeps a record. Idempotent: writing the same record again answers `unchanged`; a
   * different record under an id already written throws StoredRecordConflict.
   */
  write(record: StoredRecord): Promise<'written' | 'unchanged'>
  /** Every record one holder wrote about a patient, oldest first. */
  recordsOf(nhsNumber: string, holderOds: string, options?: { signal?: AbortSignal }): Promise<StoredRecord[]>
}

/** Largest record kept: a DynamoDB item holds 400 KB, with room for the keys and attributes. */
export const MAX_RECORD_BYTES = 350_000
const RECORD_ID = /^[A-Za-z0-9._:-]{1,128}$/
const R4_ID = /^[A-Za-z0-9\-.]{1,64}$/

/** Refuses what the store cannot keep, before it is written. */
export function checkStoredRecord(record: StoredRecord): void {
  if (!isValidNhsNumber(record.nhsNumber))
    throw new InvalidStoredRecord('nhsNumber is not a valid NHS number')
  if (!/^[A-Z0-9]{3,6}$/.test(record.holderOds)) throw new InvalidStoredRecord('holderOds is not an ODS code')
  if (!RECORD_ID.test(record.recordId))
    throw new InvalidStoredRecord('recordId must be 1 to 128 of A-Z a-z 0-9 . _ : -')
  if (Number.isNaN(Date.parse(record.recordedAt)))
    throw new InvalidStoredRecord('recordedAt is not an instant')
  if (!Array.isArray(record.resources) || record.resources.length === 0)
    throw new InvalidStoredRecord('a record holds at least one resource')
  const ids = new Set<string>()
  for (const resource of record.resources) {
    if (
      typeof resource?.resourceType !== 'string' ||
      typeof resource.id !== 'string' ||
      !R4_ID.test(resource.id)
    )
      throw new InvalidStoredRecord('every resource needs a resourceType and an R4 id')
    const key = `${resource.resourceType}/${resource.id}`
    if (ids.has(key)) throw new InvalidStoredRecord(`${key} appears twice`)
    ids.add(key)
  }
  if (Buffer.byteLength(JSON.stringify(record.resources)) > MAX_RECORD_BYTES)
    throw new InvalidStoredRecord(`a record's resources may take at most ${MAX_RECORD_BYTES} bytes`)
}

/** SHA-256 of what a record says (not where it is stored), to tell a repeat from a conflicting write. */
export function contentHashOf(record: StoredRecord): string {
  return createHash('sha256')
    .update(JSON.stringify([record.recordType, record.recordedAt, record.resources]))
    .digest('hex')
}
