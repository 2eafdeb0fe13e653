import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  applyHolderChange,
  type HolderChange,
  type HolderEntry,
  KEPT_SOURCES,
} from '../../functions/shared/patient-index/HolderEntry'
import { LOCAL_RECORD_TYPES, type RecordType, recordTypeOf, SNOMED } from '../../schemas/fhir/recordTypes'

const SUMMARY_RECORD = recordTypeOf(SNOMED, '824321000000109')!
const PATIENT = '9000000009'
const HOLDER = 'Y90001'
const ENDPOINT = 'https://y90001.example/fhir'

function registered(eventId: string, occurredAt: string, extra: Partial<HolderChange> = {}): HolderChange {
  return {
    kind: 'registered',
    nhsNumber: PATIENT,
    holderOds: HOLDER,
    recordType: SUMMARY_RECORD,
    endpoint: ENDPOINT,
    occurredAt,
    eventId,
    ...extra,
  }
}

function removed(eventId: string, occurredAt: string, extra: Partial<HolderChange> = {}): HolderChange {
  return {
    kind: 'removed',
    nhsNumber: PATIENT,
    holderOds: HOLDER,
    recordType: SUMMARY_RECORD,
    reason: 'record-deleted',
    occurredAt,
    eventId,
    ...extra,
  }
}

/** Applies changes in delivery order, as the consumer does (an unchanged entry stays as it was). */
function fold(changes: readonly HolderChange[]): HolderEntry | undefined {
  let entry: HolderEntry | undefined
  for (const change of changes) entry = applyHolderChange(entry, change) ?? entry
  return entry
}

function withoutVersion(entry: HolderEntry | undefined) {
  if (!entry) return undefined
  const { version: _version, ...rest } = entry
  return rest
}

describe('applyHolderChange', () => {
  it('creates a current entry from a first registration, first and last seen at its time', () => {
    // Prepare
    const change = registered('evt-1', '2026-05-01T09:00:00.000Z')

    // Act
    const entry = applyHolderChange(undefined, change)

    // Assess
    expect(entry).toEqual({
      nhsNumber: PATIENT,
      holderOds: HOLDER,
      recordType: SUMMARY_RECORD,
      endpoint: ENDPOINT,
      status: 'current',
      firstSeenAt: '2026-05-01T09:00:00.000Z',
      lastSeenAt: '2026-05-01T09:00:00.000Z',
      decidedAt: '2026-05-01T09:00:00.000Z',
      decidedBy: 'evt-1',
      sources: [{ eventId: 'evt-1', occurredAt: '2026-05-01T09:00:00.000Z', kind: 'registered' }],
      version: 0,
    })
  })

  it('ignores a duplicate of an event it has already applied', () => {
    // Prepare
    const change = registered('evt-1', '2026-05-01T09:00:00.000Z')
    const entry = applyHolderChange(undefined, change)!

    // Act
    const again = applyHolderChange(entry, { ...change })

    // Assess
    expect(again).toBeUndefined()
  })

  it('tombstones the entry on a newer removal and keeps when it was seen', () => {
    // Prepare
    const entry = applyHolderChange(undefined, registered('evt-1', '2026-05-01T09:00:00.000Z'))!

    // Act
    const next = applyHolderChange(
      entry,
      removed('evt-2', '2026-05-02T09:00:00.000Z', { reason: 'patient-objection' }),
    )

    // Assess
    expect(next).toMatchObject({
      status: 'removed',
      removalReason: 'patient-objection',
      decidedAt: '2026-05-02T09:00:00.000Z',
      decidedBy: 'evt-2',
      firstSeenAt: '2026-05-01T09:00:00.000Z',
      lastSeenAt: '2026-05-01T09:00:00.000Z',
    })
    expect(next?.sources.map((source) => source.eventId)).toEqual(['evt-2', 'evt-1'])
  })

  it('never lets an older registration resurrect a removed entry, though it can lower firstSeenAt', () => {
    // Prepare
    const registeredFirst = applyHolderChange(undefined, registered('evt-2', '2026-05-02T09:00:00.000Z'))!
    const tombstone = applyHolderChange(registeredFirst, removed('evt-3', '2026-05-03T09:00:00.000Z'))!

    // Act
    const next = applyHolderChange(tombstone, registered('evt-1', '2026-05-01T09:00:00.000Z'))

    // Assess
    expect(next).toMatchObject({
      status: 'removed',
      removalReason: 'record-deleted',
      decidedBy: 'evt-3',
      firstSeenAt: '2026-05-01T09:00:00.000Z',
      lastSeenAt: '2026-05-02T09:00:00.000Z',
    })
    expect(next?.sources.map((source) => source.eventId)).toEqual(['evt-3', 'evt-2', 'evt-1'])
  })

  it('keeps a removal that arrived first when an older registration follows', () => {
    // Prepare
    const tombstone = applyHolderChange(undefined, removed('evt-2', '2026-05-02T09:00:00.000Z'))!

    // Act
    const next = applyHolderChange(tombstone, registered('evt-1', '2026-05-01T09:00:00.000Z'))

    // Assess
    expect(next).toMatchObject({
      status: 'removed',
      decidedBy: 'evt-2',
      firstSeenAt: '2026-05-01T09:00:00.000Z',
      lastSeenAt: '2026-05-01T09:00:00.000Z',
    })
  })

  it('revives a removed entry on a newer registration and clears the removal reason', () => {
    // Prepare
    const first = applyHolderChange(undefined, registered('evt-1', '2026-05-01T09:00:00.000Z'))!
    const tombstone = applyHolderChange(first, removed('evt-2', '2026-05-02T09:00:00.000Z'))!

    // Act
    const next = applyHolderChange(
      tombstone,
      registered('evt-3', '2026-05-03T09:00:00.000Z', { endpoint: 'https://moved.example/fhir' }),
    )

    // Assess
    expect(next).toMatchObject({
      status: 'current',
      decidedBy: 'evt-3',
      endpoint: 'https://moved.example/fhir',
      firstSeenAt: '2026-05-01T09:00:00.000Z',
      lastSeenAt: '2026-05-03T09:00:00.000Z',
    })
    expect(next).not.toHaveProperty('removalReason')
  })

  it('decides events at the same instant by event id, in either order', () => {
    // Prepare
    const at = '2026-05-01T09:00:00.000Z'
    const registration = registered('evt-b', at)
    const removal = removed('evt-a', at)

    // Act
    const registrationFirst = fold([registration, removal])
    const removalFirst = fold([removal, registration])

    // Assess: 'evt-b' sorts after 'evt-a', so the registration is the later writer
    expect(registrationFirst).toMatchObject({ status: 'current', decidedBy: 'evt-b' })
    expect(withoutVersion(removalFirst)).toEqual(withoutVersion(registrationFirst))
  })

  it('compares occurredAt with different offsets as instants, not as text', () => {
    // Prepare: 10:30+01:00 is 09:30Z, half an hour BEFORE the removal at 10:00Z
    const tombstone = applyHolderChange(undefined, removed('evt-1', '2026-05-01T10:00:00Z'))!

    // Act
    const next = applyHolderChange(tombstone, registered('evt-2', '2026-05-01T10:30:00+01:00'))

    // Assess
    expect(next).toMatchObject({ status: 'removed', decidedBy: 'evt-1' })
  })

  it('lets a registration given with an offset win when it is the later instant', () => {
    // Prepare: the removal at 10:00+01:00 is 09:00Z, half an hour BEFORE the registration at 09:30Z
    const tombstone = applyHolderChange(undefined, removed('evt-9', '2026-05-01T10:00:00+01:00'))!

    // Act
    const next = applyHolderChange(tombstone, registered('evt-1', '2026-05-01T09:30:00Z'))

    // Assess
    expect(next).toMatchObject({ status: 'current', decidedBy: 'evt-1' })
  })

  it(`keeps the newest ${KEPT_SOURCES} sources, newest first, whatever the delivery order`, () => {
    // Prepare: 25 registrations a minute apart, delivered in a scrambled order
    const changes = Array.from({ length: 25 }, (_, minute) =>
      registered(
        `evt-${String(minute).padStart(2, '0')}`,
        `2026-05-01T09:${String(minute).padStart(2, '0')}:00.000Z`,
      ),
    )
    const scrambled = changes.map((_, i) => changes[(i * 7) % 25]!)

    // Act
    const entry = fold(scrambled)

    // Assess
    expect(entry?.sources).toHaveLength(KEPT_SOURCES)
    expect(entry?.sources.map((source) => source.eventId)).toEqual(
      changes
        .slice(-KEPT_SOURCES)
        .reverse()
        .map((change) => change.eventId),
    )
    expect(entry).toMatchObject({
      firstSeenAt: '2026-05-01T09:00:00.000Z',
      lastSeenAt: '2026-05-01T09:24:00.000Z',
    })
  })

  it('ends a tombstone with the same endpoint and record type whichever order the events came in', () => {
    // Prepare: a registration with an endpoint, then (later in time) its removal
    const registration = registered('evt-1', '2026-05-01T09:00:00.000Z', { endpoint: ENDPOINT })
    const removal = removed('evt-2', '2026-05-02T09:00:00.000Z')

    // Act
    const inOrder = fold([registration, removal])
    const outOfOrder = fold([removal, registration])

    // Assess
    expect(withoutVersion(outOfOrder)).toEqual(withoutVersion(inOrder))
  })
})

// --- properties -------------------------------------------------------------------------

const BASE = Date.parse('2026-05-01T09:00:00.000Z')
const REASONS = ['record-deleted', 'patient-objection', 'patient-moved', 'entered-in-error'] as const

/** Changes to one (patient, holder, type), a few minutes apart at most so that ties happen. */
function changeOf(options: { endpoints: readonly (string | undefined)[]; displays: readonly string[] }) {
  return fc
    .record({
      kind: fc.constantFrom('registered' as const, 'removed' as const),
      minute: fc.integer({ min: 0, max: 4 }),
      eventId: fc.stringMatching(/^[0-9a-f]{1,6}$/),
      endpoint: fc.constantFrom(...options.endpoints),
      display: fc.constantFrom(...options.displays),
      reason: fc.constantFrom(...REASONS),
    })
    .map(({ kind, minute, eventId, endpoint, display, reason }): HolderChange => {
      const recordType: RecordType = { system: LOCAL_RECORD_TYPES, code: 'uncoded', display }
      const occurredAt = new Date(BASE + minute * 60_000).toISOString()
      return kind === 'registered'
        ? {
            kind,
            nhsNumber: PATIENT,
            holderOds: HOLDER,
            recordType,
            ...(endpoint ? { endpoint } : {}),
            occurredAt,
            eventId,
          }
        : { kind, nhsNumber: PATIENT, holderOds: HOLDER, recordType, reason, occurredAt, eventId }
    })
}

/** Every change at least once, some again, in any order. */
function deliveryOf(changes: HolderChange[]) {
  return fc
    .array(fc.nat({ max: changes.length - 1 }), { maxLength: 10 })
    .chain((repeats) => {
      const all = [...changes.keys(), ...repeats]
      return fc.shuffledSubarray(all, { minLength: all.length, maxLength: all.length })
    })
    .map((order) => order.map((i) => changes[i]!))
}

function scenarioOf(change: fc.Arbitrary<HolderChange>) {
  return fc
    .uniqueArray(change, { minLength: 1, maxLength: 30, selector: (c) => c.eventId })
    .chain((changes) => fc.tuple(fc.constant(changes), deliveryOf(changes), deliveryOf(changes)))
}

describe('applyHolderChange (properties)', () => {
  it('converges on the same status, seen times and sources for any order and repetition of the same events', () => {
    // Prepare: no endpoints and one display, so only kinds, instants, ids, reasons and repeats vary
    const scenarios = scenarioOf(changeOf({ endpoints: [undefined], displays: ['Summary record'] }))

    fc.assert(
      fc.property(scenarios, ([changes, oneDelivery, anotherDelivery]) => {
        // Act
        const inOrder = fold(changes)
        const one = fold(oneDelivery)
        const another = fold(anotherDelivery)

        // Assess
        expect(withoutVersion(one)).toEqual(withoutVersion(inOrder))
        expect(withoutVersion(another)).toEqual(withoutVersion(inOrder))
      }),
      { numRuns: 300 },
    )
  })

  it('converges when registrations carry different endpoints and displays, as real producers send', () => {
    // Prepare: v1 producers' free text all lands on the "uncoded" code, each with its own display
    const scenarios = scenarioOf(
      changeOf({
        endpoints: [undefined, 'https://a.example/fhir', 'https://b.example/fhir'],
        displays: ['Hydrotherapy notes', 'Physio notes'],
      }),
    )

    fc.assert(
      fc.property(scenarios, ([changes, oneDelivery, anotherDelivery]) => {
        // Act
        const inOrder = fold(changes)
        const one = fold(oneDelivery)
        const another = fold(anotherDelivery)

        // Assess
        expect(withoutVersion(one)).toEqual(withoutVersion(inOrder))
        expect(withoutVersion(another)).toEqual(withoutVersion(inOrder))
      }),
      { numRuns: 300 },
    )
  })

  it('changes nothing when the same event is applied twice in a row', () => {
    // Prepare
    const scenarios = scenarioOf(
      changeOf({
        endpoints: [undefined, 'https://a.example/fhir'],
        displays: ['Hydrotherapy notes', 'Physio notes'],
      }),
    )

    fc.assert(
      fc.property(scenarios, ([, delivery]) => {
        let entry: HolderEntry | undefined
        for (const change of delivery) {
          // Act
          entry = applyHolderChange(entry, change) ?? entry
          const second = applyHolderChange(entry, change)

          // Assess
          expect(second).toBeUndefined()
        }
      }),
      { numRuns: 300 },
    )
  })
})
