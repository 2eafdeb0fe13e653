import { createHash } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import {
  type AuditRecord,
  canonicalJson,
  chainAfter,
  GENESIS_HASH,
  hashOf,
  verifyChain,
} from '../../functions/shared/audit/chain'
import { type AuditChainSource, verifyTrail } from '../../functions/shared/audit/verify'
import type { AuditEntry } from '../../functions/shared/ports'

// The stored audit chain must verify forever: the genesis hash, the canonical JSON and the
// hash are part of what every stored record means, so they are pinned here as literals.

/** Two records of one patient's chain, exactly as this release stores them. */
const STORED: readonly AuditRecord[] = [
  {
    patient: '9000000009',
    action: 'R',
    entities: ['Patient/9000000009'],
    recordedAt: '2026-07-01T09:30:00+01:00',
    requestId: 'req-1',
    correlationId: 'corr-1',
    operation: 'readPatient',
    caller: { sub: 'dr-a', organisation: 'NX001', purposeOfUse: 'directcare', scopes: ['patient.read'] },
    status: 200,
    seq: 1,
    prevHash: '0000000000000000000000000000000000000000000000000000000000000000',
    hash: 'ced12a9252ba3c1a836336165f3030b72c6db5cf38c0b2056d8946b42a111266',
  },
  {
    patient: '9000000009',
    action: 'R',
    entities: ['DocumentReference/abc'],
    recordedAt: '2026-07-01T09:31:00+01:00',
    requestId: 'req-2',
    correlationId: 'corr-1',
    operation: 'searchPointers',
    caller: { sub: 'dr-a', organisation: 'NX001', purposeOfUse: 'directcare', scopes: ['patient.read'] },
    status: 200,
    seq: 2,
    prevHash: 'ced12a9252ba3c1a836336165f3030b72c6db5cf38c0b2056d8946b42a111266',
    hash: '6b7a759709197d5f15ede427e3b135ff1f1c72bac95a314e8df8f417226ab84c',
  },
]

function entryOf(record: AuditRecord): AuditEntry {
  const { seq: _seq, prevHash: _prevHash, hash: _hash, ...entry } = record
  return entry
}

/** An audit table in memory: one patient's records, oldest first, as the adapter pages them. */
function sourceOf(trails: Record<string, readonly AuditRecord[]>) {
  const asked: string[] = []
  const chains: (string | undefined)[] = []
  const source: AuditChainSource = {
    async *all(nhsNumber, chain) {
      asked.push(nhsNumber)
      chains.push(chain)
      for (const record of trails[nhsNumber] ?? []) yield structuredClone(record)
    },
  }
  return { source, asked, chains }
}

describe('the stored chain format', () => {
  it('starts every chain after a genesis hash of 64 zeros', () => {
    expect(GENESIS_HASH).toBe('0000000000000000000000000000000000000000000000000000000000000000')
    expect(chainAfter(undefined, entryOf(STORED[0]!)).prevHash).toBe(
      '0000000000000000000000000000000000000000000000000000000000000000',
    )
  })

  it('hashes the canonical JSON of a record with SHA-256', () => {
    // Prepare
    const { hash: _hash, ...content } = STORED[0]!
    const canonical =
      '{"action":"R","caller":{"organisation":"NX001","purposeOfUse":"directcare","scopes":["patient.read"],"sub":"dr-a"},' +
      '"correlationId":"corr-1","entities":["Patient/9000000009"],"operation":"readPatient","patient":"9000000009",' +
      '"prevHash":"0000000000000000000000000000000000000000000000000000000000000000","recordedAt":"2026-07-01T09:30:00+01:00",' +
      '"requestId":"req-1","seq":1,"status":200}'

    // Act, Assess
    expect(canonicalJson(content)).toBe(canonical)
    expect(hashOf(STORED[0]!)).toBe(createHash('sha256').update(canonical).digest('hex'))
  })

  it('chains the same entries to the same records as before', () => {
    // Act
    const first = chainAfter(undefined, entryOf(STORED[0]!))
    const second = chainAfter(first, entryOf(STORED[1]!))

    // Assess
    expect([first, second]).toEqual(STORED)
  })

  it('verifies records stored by this release', () => {
    expect(verifyChain(STORED)).toEqual({ intact: true, records: 2 })
  })

  it('sorts every key of a wide object, whatever order they came in', () => {
    // Prepare
    const keys = 'qwertyuiopasdfghjklzxcvbnm'.split('')
    const shuffled = Object.fromEntries(keys.map((key, i) => [key, i]))

    // Act
    const json = canonicalJson(shuffled)

    // Assess
    expect(Object.keys(JSON.parse(json))).toEqual([...keys].sort())
  })
})

describe('verifyTrail', () => {
  it('reads the patient’s whole chain and finds it intact', async () => {
    // Prepare
    const { source, asked, chains } = sourceOf({ '9000000009': STORED })

    // Act
    const verdict = await verifyTrail(source, '9000000009')

    // Assess: a patient's chain unless told otherwise
    expect(verdict).toEqual({ intact: true, records: 2 })
    expect(asked).toEqual(['9000000009'])
    expect(chains).toEqual(['patient'])
  })

  it('reads an organisation’s chain of bulk changes when asked for it', async () => {
    const { source, chains } = sourceOf({})

    await verifyTrail(source, 'NX001', 'organisation')

    expect(chains).toEqual(['organisation'])
  })

  it('reports the first broken link of a tampered chain', async () => {
    // Prepare: the second record's status changed after it was written
    const tampered = [STORED[0]!, { ...STORED[1]!, status: 404 }]
    const { source } = sourceOf({ '9000000009': tampered })

    // Act
    const verdict = await verifyTrail(source, '9000000009')

    // Assess
    expect(verdict).toEqual({
      intact: false,
      records: 2,
      brokenAt: 2,
      reason: 'content does not match its hash',
    })
  })

  it('reports a record missing from the start of the chain', async () => {
    // Prepare
    const { source } = sourceOf({ '9000000009': [STORED[1]!] })

    // Act
    const verdict = await verifyTrail(source, '9000000009')

    // Assess
    expect(verdict).toMatchObject({ intact: false, records: 1, brokenAt: 1 })
  })

  it('finds a patient without audit records intact, with no records', async () => {
    // Prepare
    const { source } = sourceOf({ '9000000009': STORED })

    // Act, Assess
    expect(await verifyTrail(source, '9000000017')).toEqual({ intact: true, records: 0 })
  })
})
