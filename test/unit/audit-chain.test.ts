import { describe, expect, it } from 'vitest'
import {
  type AuditRecord,
  canonicalJson,
  chainAfter,
  GENESIS_HASH,
  hashOf,
  verifyChain,
} from '../../functions/shared/audit/chain'
import type { AuditEntry } from '../../functions/shared/ports'

function entry(index: number): AuditEntry {
  return {
    patient: '9000000009',
    action: 'R',
    entities: ['Patient/9000000009'],
    recordedAt: `2026-07-01T09:3${index}:00+01:00`,
    requestId: `req-${index}`,
    correlationId: `corr-${index}`,
    operation: 'readPatient',
    caller: { sub: 'app-1', organisation: 'NX001', purposeOfUse: 'direct-care', scopes: ['patient.read'] },
    status: 200,
  }
}

/** A patient's chain of `length` records, oldest first. */
function chainOf(length: number): AuditRecord[] {
  const records: AuditRecord[] = []
  for (let index = 1; index <= length; index++) records.push(chainAfter(records.at(-1), entry(index)))
  return records
}

/** A deep copy, so a test can tamper with one record without touching the others. */
function copyOf(records: AuditRecord[]): AuditRecord[] {
  return structuredClone(records)
}

describe('canonicalJson', () => {
  it('is the same whatever the key order, at every level', () => {
    expect(canonicalJson({ b: 1, a: { d: [1, { z: 1, y: 2 }], c: 'x' } })).toBe(
      canonicalJson({ a: { c: 'x', d: [1, { y: 2, z: 1 }] }, b: 1 }),
    )
  })

  it('sorts keys and keeps array order', () => {
    expect(canonicalJson({ b: [2, 1], a: null })).toBe('{"a":null,"b":[2,1]}')
  })

  it('leaves out undefined properties', () => {
    expect(canonicalJson({ a: 1, b: undefined })).toBe('{"a":1}')
  })
})

describe('hashOf', () => {
  it('is a SHA-256 hex digest that ignores the hash field and key order', () => {
    // Prepare
    const [record] = chainOf(1)
    const { hash, ...content } = record!
    const reordered = Object.fromEntries(Object.entries(content).reverse()) as typeof content

    // Act, Assess
    expect(hash).toMatch(/^[0-9a-f]{64}$/)
    expect(hashOf(content)).toBe(hash)
    expect(hashOf(reordered)).toBe(hash)
    expect(hashOf({ ...content, hash: 'anything' })).toBe(hash)
  })
})

describe('chainAfter', () => {
  it('starts a chain at seq 1 after the genesis hash', () => {
    const first = chainAfter(undefined, entry(1))

    expect(first.seq).toBe(1)
    expect(first.prevHash).toBe(GENESIS_HASH)
    expect(first.hash).toBe(hashOf(first))
  })

  it('links each record to the hash of the one before', () => {
    const [first, second] = chainOf(2)

    expect(second!.seq).toBe(2)
    expect(second!.prevHash).toBe(first!.hash)
  })
})

describe('verifyChain', () => {
  it('verifies an untouched chain of 5', () => {
    expect(verifyChain(chainOf(5))).toEqual({ intact: true, records: 5 })
  })

  it('verifies an empty chain', () => {
    expect(verifyChain([])).toEqual({ intact: true, records: 0 })
  })

  it.each<[string, (record: AuditRecord) => void]>([
    ['patient', (record) => (record.patient = '9000000017')],
    ['action', (record) => (record.action = 'U')],
    ['entities', (record) => record.entities.push('Patient/9000000025')],
    ['recordedAt', (record) => (record.recordedAt = '2026-07-01T10:00:00+01:00')],
    ['requestId', (record) => (record.requestId = 'req-other')],
    ['correlationId', (record) => (record.correlationId = 'corr-other')],
    ['operation', (record) => (record.operation = 'searchPatients')],
    ['caller.organisation', (record) => (record.caller.organisation = 'RX9')],
    ['caller.scopes', (record) => (record.caller.scopes = ['audit.read'])],
    ['status', (record) => (record.status = 404)],
    ['hash', (record) => (record.hash = 'f'.repeat(64))],
  ])('reports an edited %s of record 3 at seq 3: content does not match its hash', (_field, edit) => {
    // Prepare
    const records = copyOf(chainOf(5))
    edit(records[2]!)

    // Act
    const verdict = verifyChain(records)

    // Assess
    expect(verdict).toEqual({
      intact: false,
      records: 5,
      brokenAt: 3,
      reason: 'content does not match its hash',
    })
  })

  it('reports an edited prevHash of record 3 at seq 3', () => {
    // Prepare
    const records = copyOf(chainOf(5))
    records[2]!.prevHash = GENESIS_HASH

    // Act
    const verdict = verifyChain(records)

    // Assess
    expect(verdict).toMatchObject({
      intact: false,
      brokenAt: 3,
      reason: 'prevHash does not match the previous record',
    })
  })

  it.each([4, 30, 2])('reports record 3 with its seq edited to %s at seq 3', (seq) => {
    // Prepare
    const records = copyOf(chainOf(5))
    records[2]!.seq = seq

    // Act
    const verdict = verifyChain(records)

    // Assess
    expect(verdict).toMatchObject({ intact: false, brokenAt: 3 })
  })

  it('reports a deleted record 2 as missing', () => {
    // Prepare
    const records = chainOf(5)
    records.splice(1, 1)

    // Act
    const verdict = verifyChain(records)

    // Assess
    expect(verdict).toEqual({
      intact: false,
      records: 4,
      brokenAt: 2,
      reason: 'record 2 is missing or out of place (found seq 3)',
    })
  })

  it('reports the last record deleted only by its absence: the rest still verify', () => {
    // A chain cut at its end is consistent; the stored head count is what catches it.
    expect(verifyChain(chainOf(5).slice(0, 4))).toEqual({ intact: true, records: 4 })
  })

  it('reports a re-hashed edit of record 3 at record 4, whose prevHash no longer matches', () => {
    // Prepare
    const records = copyOf(chainOf(5))
    const edited = records[2]!
    edited.status = 500
    edited.hash = hashOf(edited)

    // Act
    const verdict = verifyChain(records)

    // Assess
    expect(verdict).toEqual({
      intact: false,
      records: 5,
      brokenAt: 4,
      reason: 'prevHash does not match the previous record',
    })
  })

  it('reports records out of order', () => {
    // Prepare
    const records = chainOf(5)
    ;[records[1], records[2]] = [records[2]!, records[1]!]

    // Act
    const verdict = verifyChain(records)

    // Assess: record 2 is not where it belongs
    expect(verdict).toMatchObject({ intact: false, brokenAt: 2 })
  })
})
