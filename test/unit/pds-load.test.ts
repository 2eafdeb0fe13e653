import { describe, expect, it } from 'vitest'
import type { CachedPatient, PatientCache } from '../../functions/shared/patients/PatientCache'
import { loadIcsConfig } from '../../infra/ics-configs'
import { IcsConfig } from '../../schemas/ics-config'
import { describeSummary, loadPdsTrace } from '../../scripts/pds/load'
import { fakePdsPatient } from '../support/nhs-api-platform'

/** A patients table in memory, recording each batch written. */
function memoryCache() {
  const stored = new Map<string, CachedPatient>()
  const batches: number[] = []
  const cache: PatientCache = {
    get: async (nhsNumber) => stored.get(nhsNumber),
    byFamilyPrefix: async () => ({ patients: [], truncated: false }),
    byBirthDate: async () => ({ patients: [], truncated: false }),
    putAll: async (records) => {
      batches.push(records.length)
      for (const record of records) stored.set(record.nhsNumber, record)
    },
  }
  return { cache, stored, batches }
}

async function* linesOf(lines: string[]): AsyncIterable<string> {
  yield* lines
}

const demo = loadIcsConfig('demo')
const north = loadIcsConfig('example-north')
const now = () => new Date('2026-03-01T09:00:00Z')

describe('loadPdsTrace', () => {
  it('loads every valid Patient of a trace result, in batches of 25, and reports progress', async () => {
    // Prepare: 60 synthetic patients with valid NHS numbers
    const { cache, stored, batches } = memoryCache()
    const patients = Array.from({ length: 60 }, (_, index) =>
      fakePdsPatient(withCheckDigit(`999000${String(index + 100).padStart(3, '0')}`)),
    )
    const progress: number[] = []

    // Act
    const summary = await loadPdsTrace({
      lines: linesOf(patients.map((patient) => JSON.stringify(patient))),
      cache,
      config: demo,
      now,
      progress: (seen) => progress.push(seen.lines),
      progressEvery: 20,
    })

    // Assess
    expect(summary).toEqual({ lines: 60, loaded: 60, rejected: {} })
    expect(batches).toEqual([25, 25, 10])
    expect(progress).toEqual([20, 40, 60, 60])
    expect(stored.get(patients[0]!.id)).toEqual({
      nhsNumber: patients[0]!.id,
      status: 'active',
      patient: patients[0],
    })
  })

  it('skips bad lines, counting them by reason and line number, never quoting them', async () => {
    // Prepare
    const { cache, stored } = memoryCache()
    const mismatched = { ...fakePdsPatient('9000000009'), id: '9000000017' }
    const lines = [
      JSON.stringify(fakePdsPatient('9000000009')),
      '{"resourceType":"Patient",',
      JSON.stringify({ resourceType: 'OperationOutcome', issue: [] }),
      JSON.stringify(fakePdsPatient('9000000008')),
      '',
      JSON.stringify(mismatched),
    ]

    // Act
    const summary = await loadPdsTrace({ lines: linesOf(lines), cache, config: demo, now })

    // Assess
    expect(summary).toEqual({
      lines: 5,
      loaded: 1,
      rejected: {
        'not JSON': [2],
        'not a FHIR Patient': [3],
        'invalid NHS number': [4],
        'id and NHS number identifier differ': [5],
      },
    })
    expect([...stored.keys()]).toEqual(['9000000009'])
    expect(describeSummary(summary)).toBe(
      [
        '5 lines: 1 patients loaded, 4 rejected',
        '  not JSON: 1 (lines 2)',
        '  not a FHIR Patient: 1 (lines 3)',
        '  invalid NHS number: 1 (lines 4)',
        '  id and NHS number identifier differ: 1 (lines 5)',
      ].join('\n'),
    )
  })

  it('takes only synthetic NHS numbers into a demo ICS (its tokens can be minted by whoever holds the demo key)', async () => {
    const { cache, stored } = memoryCache()
    const real = fakePdsPatient('4857773457')
    const summary = await loadPdsTrace({ lines: linesOf([JSON.stringify(real)]), cache, config: demo, now })
    expect(summary.rejected).toEqual({ 'not a synthetic NHS number (demo ICS)': [1] })
    expect(stored.size).toBe(0)
  })

  it('gives read-through copies the ICS’s expiry and never stores a restricted patient (national-with-cache)', async () => {
    // Prepare
    const { cache, stored } = memoryCache()
    const lines = [fakePdsPatient('4857773457'), fakePdsPatient('9000000033', { restricted: true })].map(
      (patient) => JSON.stringify(patient),
    )

    // Act
    const summary = await loadPdsTrace({ lines: linesOf(lines), cache, config: north, now })

    // Assess
    expect(summary.rejected).toEqual({ 'restricted (S-flag) patient in a read-through cache': [2] })
    const ttl = north.pds.source === 'national-with-cache' ? north.pds.cacheTtlSeconds : 0
    expect(stored.get('4857773457')?.expiresAt).toBe(Date.parse('2026-03-01T09:00:00Z') / 1000 + ttl)
  })

  it('writes nothing on a dry run, and refuses an ICS that has no cache', async () => {
    const { cache, batches } = memoryCache()
    const summary = await loadPdsTrace({
      lines: linesOf([JSON.stringify(fakePdsPatient('9000000009'))]),
      cache,
      config: demo,
      dryRun: true,
    })
    expect(summary.loaded).toBe(1)
    expect(batches).toEqual([])
    const direct = IcsConfig.parse({
      ...north,
      pds: {
        source: 'national',
        baseUrl: 'https://api.service.nhs.uk/personal-demographics/FHIR/R4',
        auth: { secret: 's' },
      },
    })
    await expect(loadPdsTrace({ lines: linesOf([]), cache, config: direct })).rejects.toThrow(
      /no cache to load/,
    )
  })
})

/** Appends the modulus 11 check digit to nine digits (skipping the numbers that have none). */
function withCheckDigit(nine: string): string {
  const total = [...nine].reduce((sum, digit, index) => sum + Number(digit) * (10 - index), 0)
  const check = 11 - (total % 11)
  if (check === 10) return withCheckDigit(String(Number(nine) + 1).padStart(9, '0'))
  return `${nine}${check === 11 ? 0 : check}`
}
