import type { EventBridgeEvent } from 'aws-lambda'
import { beforeEach, describe, expect, it } from 'vitest'
import { applyHolderEvent } from '../../functions/patient-index/apply'
import { applyHolderChange, type HolderEntry } from '../../functions/shared/patient-index/HolderEntry'
import { ConcurrentIndexUpdate } from '../../functions/shared/patient-index/PatientIndex'
import { LOCAL_RECORD_TYPES, recordTypeOf, SNOMED } from '../../schemas/fhir/recordTypes'
import { MemoryPatientIndex, testNhsNumbers } from '../support/memory-index'

const SUMMARY_RECORD = recordTypeOf(SNOMED, '824321000000109')!
const DISCHARGE_SUMMARY = recordTypeOf(SNOMED, '373942005')!
const PATIENT = '9000000009'

let sequence = 0

/** An EventBridge event as the rule's queue delivers it, with the DESIGN.md envelope as its detail. */
function busEvent(
  detailType: string,
  metadata: { id?: string; version: string; occurredAt: string },
  data: unknown,
): EventBridgeEvent<string, unknown> {
  const id = metadata.id ?? `evt-${String(++sequence).padStart(4, '0')}`
  return {
    id: `bus-${id}`,
    version: '0',
    account: '000000000000',
    time: metadata.occurredAt,
    region: 'eu-west-2',
    resources: [],
    source: 'joinup.patient-index',
    'detail-type': detailType,
    detail: {
      metadata: {
        id,
        version: metadata.version,
        occurredAt: metadata.occurredAt,
        correlationId: 'corr-apply-test',
        ics: 'demo',
        producer: 'joinup.patient-index',
      },
      data,
    },
  }
}

const registeredV2 = (
  occurredAt: string,
  data: { nhsNumber?: string; holderOds?: string; recordType?: object; endpoint?: string } = {},
  id?: string,
) =>
  busEvent(
    'RecordHolderRegistered',
    { id, version: '2.0', occurredAt },
    {
      nhsNumber: PATIENT,
      holderOds: 'RX9',
      recordType: DISCHARGE_SUMMARY,
      endpoint: 'https://rx9.example/fhir',
      ...data,
    },
  )

const registeredV1 = (occurredAt: string, recordType: string, id?: string) =>
  busEvent(
    'RecordHolderRegistered',
    { id, version: '1.0', occurredAt },
    { nhsNumber: PATIENT, holderOds: 'Y90001', recordType, endpoint: 'https://y90001.example/fhir' },
  )

const removedV1 = (occurredAt: string, data: { nhsNumber?: string; holderOds?: string } = {}, id?: string) =>
  busEvent(
    'RecordHolderRemoved',
    { id, version: '1.0', occurredAt },
    {
      nhsNumber: PATIENT,
      holderOds: 'RX9',
      recordType: DISCHARGE_SUMMARY,
      reason: 'record-deleted',
      ...data,
    },
  )

const withdrawnV1 = (occurredAt: string, holderOds: string, id?: string) =>
  busEvent(
    'OrganisationRecordsWithdrawn',
    { id, version: '1.0', occurredAt },
    { holderOds, reason: 'organisation-closed' },
  )

function withoutVersion(entry: HolderEntry | undefined) {
  if (!entry) return undefined
  const { version: _version, ...rest } = entry
  return rest
}

let index: MemoryPatientIndex

beforeEach(() => {
  index = new MemoryPatientIndex()
})

describe('applyHolderEvent', () => {
  it('creates an index entry from a RecordHolderRegistered v2', async () => {
    // Prepare
    const event = registeredV2('2026-05-01T09:00:00.000Z', {}, 'evt-reg')

    // Act
    const outcome = await applyHolderEvent(event, { index })

    // Assess
    expect(outcome).toEqual({ written: 1, unchanged: 0 })
    expect(await index.entry(PATIENT, 'RX9', DISCHARGE_SUMMARY.code)).toMatchObject({
      status: 'current',
      recordType: DISCHARGE_SUMMARY,
      endpoint: 'https://rx9.example/fhir',
      decidedBy: 'evt-reg',
      firstSeenAt: '2026-05-01T09:00:00.000Z',
      version: 1,
    })
  })

  it('writes nothing when the same event is delivered twice', async () => {
    // Prepare
    const event = registeredV2('2026-05-01T09:00:00.000Z')
    await applyHolderEvent(event, { index })

    // Act
    const outcome = await applyHolderEvent(structuredClone(event), { index })

    // Assess
    expect(outcome).toEqual({ written: 0, unchanged: 1 })
    expect(index.entries.size).toBe(1)
    expect(index.saves).toHaveLength(1)
  })

  it('normalises occurredAt with an offset to a UTC instant', async () => {
    // Prepare
    const event = registeredV2('2026-05-01T10:00:00+01:00')

    // Act
    await applyHolderEvent(event, { index })

    // Assess
    expect(await index.entry(PATIENT, 'RX9', DISCHARGE_SUMMARY.code)).toMatchObject({
      decidedAt: '2026-05-01T09:00:00.000Z',
      firstSeenAt: '2026-05-01T09:00:00.000Z',
    })
  })

  it('upcasts a RecordHolderRegistered v1 "GP record" to the SNOMED summary record type', async () => {
    // Prepare
    const event = registeredV1('2026-05-01T09:00:00.000Z', 'GP record')

    // Act
    await applyHolderEvent(event, { index })

    // Assess
    const entry = await index.entry(PATIENT, 'Y90001', '824321000000109')
    expect(entry).toMatchObject({
      status: 'current',
      recordType: { system: SNOMED, code: '824321000000109', display: 'Summary record' },
      endpoint: 'https://y90001.example/fhir',
    })
  })

  it('keeps v1 free text nobody knows under the local "uncoded" code, its text as display', async () => {
    // Prepare
    const event = registeredV1('2026-05-01T09:00:00.000Z', '  Hydrotherapy notes ')

    // Act
    await applyHolderEvent(event, { index })

    // Assess
    expect(await index.entry(PATIENT, 'Y90001', 'uncoded')).toMatchObject({
      status: 'current',
      recordType: { system: LOCAL_RECORD_TYPES, code: 'uncoded', display: 'Hydrotherapy notes' },
    })
  })

  it('ends removed when a newer removal arrives before an older registration', async () => {
    // Prepare
    const removal = removedV1('2026-05-02T09:00:00.000Z', {}, 'evt-rem')
    const registration = registeredV2('2026-05-01T09:00:00.000Z')

    // Act
    await applyHolderEvent(removal, { index })
    await applyHolderEvent(registration, { index })

    // Assess
    expect(await index.entry(PATIENT, 'RX9', DISCHARGE_SUMMARY.code)).toMatchObject({
      status: 'removed',
      removalReason: 'record-deleted',
      decidedBy: 'evt-rem',
    })
    expect(index.current()).toEqual([])
  })

  it('ends removed when the removal follows the registration', async () => {
    // Prepare
    await applyHolderEvent(registeredV2('2026-05-01T09:00:00.000Z'), { index })

    // Act
    const outcome = await applyHolderEvent(removedV1('2026-05-02T09:00:00.000Z'), { index })

    // Assess
    expect(outcome).toEqual({ written: 1, unchanged: 0 })
    expect(await index.entry(PATIENT, 'RX9', DISCHARGE_SUMMARY.code)).toMatchObject({ status: 'removed' })
  })

  it('converges on the same entry whichever order a registration and its removal arrive in', async () => {
    // Prepare
    const registration = registeredV2('2026-05-01T09:00:00.000Z', {}, 'evt-reg')
    const removal = removedV1('2026-05-02T09:00:00.000Z', {}, 'evt-rem')
    const inOrder = new MemoryPatientIndex()
    const outOfOrder = new MemoryPatientIndex()

    // Act
    await applyHolderEvent(registration, { index: inOrder })
    await applyHolderEvent(removal, { index: inOrder })
    await applyHolderEvent(removal, { index: outOfOrder })
    await applyHolderEvent(registration, { index: outOfOrder })

    // Assess
    const key = [PATIENT, 'RX9', DISCHARGE_SUMMARY.code] as const
    expect(withoutVersion(await outOfOrder.entry(...key))).toEqual(
      withoutVersion(await inOrder.entry(...key)),
    )
  })

  describe('OrganisationRecordsWithdrawn', () => {
    const patients = testNhsNumbers(130)

    beforeEach(async () => {
      // Prepare: RX9 holds 130 patients' discharge summaries (two pages of 100), Y90001 holds 3
      for (const [i, nhsNumber] of patients.entries()) {
        await applyHolderEvent(registeredV2('2026-05-01T09:00:00.000Z', { nhsNumber }, `reg-rx9-${i}`), {
          index,
        })
      }
      for (const nhsNumber of patients.slice(0, 3)) {
        await applyHolderEvent(
          registeredV2('2026-05-01T09:00:00.000Z', {
            nhsNumber,
            holderOds: 'Y90001',
            recordType: SUMMARY_RECORD,
          }),
          { index },
        )
      }
    })

    it('removes every current entry of the organisation across patients, page after page', async () => {
      // Act
      const outcome = await applyHolderEvent(withdrawnV1('2026-06-01T09:00:00.000Z', 'RX9', 'evt-wd'), {
        index,
      })

      // Assess
      expect(outcome).toEqual({ written: 130, unchanged: 0 })
      expect(index.heldByPages).toBeGreaterThanOrEqual(2)
      const rx9 = [...index.entries.values()].filter((entry) => entry.holderOds === 'RX9')
      expect(rx9).toHaveLength(130)
      expect(rx9.every((entry) => entry.status === 'removed' && entry.decidedBy === 'evt-wd')).toBe(true)
      expect(rx9[0]?.removalReason).toBe('organisation-closed')
    })

    it('leaves other organisations’ entries alone', async () => {
      // Act
      await applyHolderEvent(withdrawnV1('2026-06-01T09:00:00.000Z', 'RX9'), { index })

      // Assess
      expect(index.current().map((entry) => entry.holderOds)).toEqual(['Y90001', 'Y90001', 'Y90001'])
    })

    it('stores the withdrawal marker', async () => {
      // Act
      await applyHolderEvent(withdrawnV1('2026-06-01T10:00:00+01:00', 'RX9', 'evt-wd'), { index })

      // Assess
      expect(await index.withdrawal('RX9')).toEqual({
        holderOds: 'RX9',
        occurredAt: '2026-06-01T09:00:00.000Z',
        eventId: 'evt-wd',
        reason: 'organisation-closed',
      })
    })

    it('ignores a registration older than the withdrawal that arrives after it', async () => {
      // Prepare
      await applyHolderEvent(withdrawnV1('2026-06-01T09:00:00.000Z', 'RX9'), { index })
      const [newcomer] = testNhsNumbers(1, 5000) as [string]

      // Act
      const late = await applyHolderEvent(registeredV2('2026-05-31T09:00:00.000Z', { nhsNumber: newcomer }), {
        index,
      })
      const lateForKnown = await applyHolderEvent(
        registeredV2('2026-05-31T09:00:00.000Z', { nhsNumber: patients[0] }),
        { index },
      )

      // Assess
      expect(late).toEqual({ written: 0, unchanged: 1 })
      expect(lateForKnown).toEqual({ written: 0, unchanged: 1 })
      expect(await index.entry(newcomer, 'RX9', DISCHARGE_SUMMARY.code)).toBeUndefined()
      expect(await index.entry(patients[0]!, 'RX9', DISCHARGE_SUMMARY.code)).toMatchObject({
        status: 'removed',
      })
    })

    it('applies a registration newer than the withdrawal', async () => {
      // Prepare
      await applyHolderEvent(withdrawnV1('2026-06-01T09:00:00.000Z', 'RX9'), { index })

      // Act
      const outcome = await applyHolderEvent(
        registeredV2('2026-06-02T09:00:00.000Z', { nhsNumber: patients[0] }),
        { index },
      )

      // Assess
      expect(outcome).toEqual({ written: 1, unchanged: 0 })
      expect(await index.entry(patients[0]!, 'RX9', DISCHARGE_SUMMARY.code)).toMatchObject({
        status: 'current',
      })
    })

    it('keeps the newest marker when an older withdrawal arrives late', async () => {
      // Prepare
      await applyHolderEvent(withdrawnV1('2026-06-02T09:00:00.000Z', 'RX9', 'evt-newer'), { index })

      // Act
      await applyHolderEvent(withdrawnV1('2026-06-01T09:00:00.000Z', 'RX9', 'evt-older'), { index })

      // Assess
      expect(await index.withdrawal('RX9')).toMatchObject({ eventId: 'evt-newer' })
    })

    it('stops early when the invocation is running out of time, and the retry finishes the job', async () => {
      // Prepare
      const event = withdrawnV1('2026-06-01T09:00:00.000Z', 'RX9')

      // Act
      const first = applyHolderEvent(event, { index, remainingMs: () => 5_000 })

      // Assess
      await expect(first).rejects.toThrow(/not finished/)
      expect(index.current().filter((entry) => entry.holderOds === 'RX9')).toHaveLength(30)
      expect(await applyHolderEvent(event, { index, remainingMs: () => 60_000 })).toEqual({
        written: 30,
        unchanged: 0,
      })
      expect(index.current().filter((entry) => entry.holderOds === 'RX9')).toEqual([])
    })
  })

  it('reads the entry again and applies the change when another writer wins the race', async () => {
    // Prepare: between our read and our write, another consumer stores a newer registration
    await applyHolderEvent(registeredV2('2026-05-01T09:00:00.000Z', {}, 'evt-1'), { index })
    let races = 0
    index.beforeSave = (_entry, expectedVersion) => {
      if (races++ > 0) return
      const theirs = applyHolderChange(
        { ...index.entries.values().next().value!, version: expectedVersion },
        {
          kind: 'registered',
          nhsNumber: PATIENT,
          holderOds: 'RX9',
          recordType: DISCHARGE_SUMMARY,
          endpoint: 'https://rx9.example/fhir/v2',
          occurredAt: '2026-05-03T09:00:00.000Z',
          eventId: 'evt-3',
        },
      )!
      index.store(theirs, expectedVersion)
    }

    // Act
    const outcome = await applyHolderEvent(removedV1('2026-05-02T09:00:00.000Z', {}, 'evt-2'), { index })

    // Assess
    expect(outcome).toEqual({ written: 1, unchanged: 0 })
    expect(index.saves.map((save) => save.expectedVersion)).toEqual([0, 1, 2])
    const entry = await index.entry(PATIENT, 'RX9', DISCHARGE_SUMMARY.code)
    expect(entry).toMatchObject({
      status: 'current',
      decidedBy: 'evt-3',
      endpoint: 'https://rx9.example/fhir/v2',
      version: 3,
    })
    expect(entry?.sources.map((source) => source.eventId)).toEqual(['evt-3', 'evt-2', 'evt-1'])
  })

  it('gives up with an error when other writers keep winning', async () => {
    // Prepare
    index.beforeSave = () => {
      throw new ConcurrentIndexUpdate()
    }

    // Act
    const applying = applyHolderEvent(registeredV2('2026-05-01T09:00:00.000Z'), { index })

    // Assess
    await expect(applying).rejects.toThrow(/kept changing/)
    expect(index.saves).toHaveLength(10)
  })

  describe('poison events', () => {
    it('throws on a detail-type it does not consume', async () => {
      // Prepare
      const event = busEvent('SlotsPublished', { version: '1.0', occurredAt: '2026-05-01T09:00:00Z' }, {})

      // Act
      const applying = applyHolderEvent(event, { index })

      // Assess
      await expect(applying).rejects.toThrow(/Not a record-holder event/)
    })

    it('throws on a detail-type that only names an Object.prototype property', async () => {
      // Prepare
      const event = busEvent('constructor', { version: '1.0', occurredAt: '2026-05-01T09:00:00Z' }, {})

      // Act
      const applying = applyHolderEvent(event, { index })

      // Assess
      await expect(applying).rejects.toThrow()
    })

    it('throws on a major newer than this consumer', async () => {
      // Prepare
      const event = busEvent(
        'RecordHolderRegistered',
        { version: '3.0', occurredAt: '2026-05-01T09:00:00Z' },
        { nhsNumber: PATIENT, holderOds: 'RX9', recordType: DISCHARGE_SUMMARY },
      )

      // Act
      const applying = applyHolderEvent(event, { index })

      // Assess
      await expect(applying).rejects.toThrow(/no major 3/)
      expect(index.entries.size).toBe(0)
    })

    it('throws on data that does not fit the schema (an NHS number failing modulus 11)', async () => {
      // Prepare
      const event = registeredV2('2026-05-01T09:00:00Z', { nhsNumber: '9000000001' })

      // Act
      const applying = applyHolderEvent(event, { index })

      // Assess
      await expect(applying).rejects.toThrow(/NHS number/)
      expect(index.entries.size).toBe(0)
    })

    it('throws on an envelope without metadata', async () => {
      // Prepare
      const event = { ...registeredV2('2026-05-01T09:00:00Z'), detail: { data: {} } }

      // Act
      const applying = applyHolderEvent(event, { index })

      // Assess
      await expect(applying).rejects.toThrow()
    })
  })
})
