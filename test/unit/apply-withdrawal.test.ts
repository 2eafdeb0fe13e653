import type { EventBridgeEvent } from 'aws-lambda'
import { beforeEach, describe, expect, it } from 'vitest'
import { applyHolderEvent } from '../../functions/patient-index/apply'
import { recordTypeOf, SNOMED } from '../../schemas/fhir/recordTypes'
import { MemoryPatientIndex, testNhsNumbers } from '../support/memory-index'

// Paging of an organisation's withdrawal within one Lambda invocation, and what happens
// when the index write fails for a reason other than a lost race.

const DISCHARGE_SUMMARY = recordTypeOf(SNOMED, '373942005')!

function busEvent(
  detailType: string,
  id: string,
  occurredAt: string,
  data: unknown,
  version = '1.0',
): EventBridgeEvent<string, unknown> {
  return {
    id: `bus-${id}`,
    version: '0',
    account: '000000000000',
    time: occurredAt,
    region: 'eu-west-2',
    resources: [],
    source: 'joinup.patient-index',
    'detail-type': detailType,
    detail: {
      metadata: {
        id,
        version,
        occurredAt,
        correlationId: 'corr-withdrawal-test',
        ics: 'demo',
        producer: 'joinup.patient-index',
      },
      data,
    },
  }
}

const registered = (nhsNumber: string, id: string) =>
  busEvent(
    'RecordHolderRegistered',
    id,
    '2026-05-01T09:00:00.000Z',
    { nhsNumber, holderOds: 'RX9', recordType: DISCHARGE_SUMMARY, endpoint: 'https://rx9.example/fhir' },
    '2.0',
  )

const WITHDRAWAL = busEvent('OrganisationRecordsWithdrawn', 'evt-withdrawal', '2026-06-01T09:00:00.000Z', {
  holderOds: 'RX9',
  reason: 'left-ics',
})

/** A DynamoDB throttling error, as the SDK throws it. */
function throttling(): Error {
  return Object.assign(new Error('Rate of requests exceeds the allowed throughput.'), {
    name: 'ThrottlingException',
  })
}

let index: MemoryPatientIndex

/** RX9 holds `count` patients' discharge summaries. */
async function rx9Holding(count: number) {
  for (const [i, nhsNumber] of testNhsNumbers(count).entries()) {
    await applyHolderEvent(registered(nhsNumber, `reg-${i}`), { index })
  }
}

const currentOfRx9 = () => index.current().filter((entry) => entry.holderOds === 'RX9')

beforeEach(() => {
  index = new MemoryPatientIndex()
})

describe('applyHolderEvent: OrganisationRecordsWithdrawn paging', () => {
  it('carries on page after page while at least 10 s of the invocation are left', async () => {
    // Prepare: three pages of 100
    await rx9Holding(250)

    // Act
    const outcome = await applyHolderEvent(WITHDRAWAL, { index, remainingMs: () => 10_000 })

    // Assess
    expect(outcome).toEqual({ written: 250, unchanged: 0 })
    expect(index.heldByPages).toBe(3)
    expect(currentOfRx9()).toEqual([])
  })

  it('stops after the page that leaves less than 10 s, and the retry carries on from there', async () => {
    // Prepare
    await rx9Holding(250)
    const remaining = [30_000, 9_999]

    // Act
    const first = applyHolderEvent(WITHDRAWAL, { index, remainingMs: () => remaining.shift() ?? 0 })

    // Assess: two pages done, the third left for the retry
    await expect(first).rejects.toThrow(/not finished/)
    expect(currentOfRx9()).toHaveLength(50)
    expect(await applyHolderEvent(WITHDRAWAL, { index, remainingMs: () => 60_000 })).toEqual({
      written: 50,
      unchanged: 0,
    })
    expect(currentOfRx9()).toEqual([])
  })

  it('finishes a withdrawal that fits one page however little time is left', async () => {
    // Prepare
    await rx9Holding(40)

    // Act
    const outcome = await applyHolderEvent(WITHDRAWAL, { index, remainingMs: () => 0 })

    // Assess
    expect(outcome).toEqual({ written: 40, unchanged: 0 })
    expect(currentOfRx9()).toEqual([])
  })

  it('records the withdrawal in each entry as a removal, with its reason', async () => {
    // Prepare
    await rx9Holding(2)

    // Act
    await applyHolderEvent(WITHDRAWAL, { index })

    // Assess
    for (const entry of index.entries.values()) {
      expect(entry).toMatchObject({
        status: 'removed',
        removalReason: 'left-ics',
        decidedBy: 'evt-withdrawal',
      })
      expect(entry.sources[0]).toEqual({
        eventId: 'evt-withdrawal',
        occurredAt: '2026-06-01T09:00:00.000Z',
        kind: 'removed',
      })
    }
  })
})

describe('applyHolderEvent: a failed index write that is not a lost race', () => {
  it('throws a throttled registration write at once, without retrying it as a race', async () => {
    // Prepare
    index.beforeSave = () => {
      throw throttling()
    }

    // Act
    const applying = applyHolderEvent(registered(testNhsNumbers(1)[0]!, 'reg-throttled'), { index })

    // Assess: the batch reports the record and SQS redelivers it later
    await expect(applying).rejects.toThrow(expect.objectContaining({ name: 'ThrottlingException' }))
    expect(index.saves).toHaveLength(1)
  })

  it('throws a throttled withdrawal write at once, without retrying it as a race', async () => {
    // Prepare
    await rx9Holding(1)
    index.beforeSave = () => {
      throw throttling()
    }

    // Act
    const applying = applyHolderEvent(WITHDRAWAL, { index })

    // Assess
    await expect(applying).rejects.toThrow(expect.objectContaining({ name: 'ThrottlingException' }))
    expect(index.saves.filter((save) => save.entry.status === 'removed')).toHaveLength(1)
    expect(currentOfRx9()).toHaveLength(1)
  })
})
