import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { EventBridgeEvent } from 'aws-lambda'
import { describe, expect, it } from 'vitest'
import { applyHolderEvent } from '../../functions/patient-index/apply'
import { MemoryPatientIndex } from '../support/memory-index'

// AppointmentBooked and AppointmentCancelled, as the index consumer reads them: the hosting
// organisation holds an appointment record about the patient.

const example = (detailType: string) =>
  JSON.parse(
    readFileSync(
      join(import.meta.dirname, '..', '..', 'schemas', 'events', detailType, 'v1.example.json'),
      'utf8',
    ),
  ) as EventBridgeEvent<
    string,
    { metadata: { id: string; occurredAt: string }; data: Record<string, unknown> }
  >

describe('applyHolderEvent for appointments', () => {
  it('lists the hosting organisation as a holder of an Appointment record when a slot is booked', async () => {
    // Prepare
    const index = new MemoryPatientIndex()
    // Act
    const outcome = await applyHolderEvent(example('AppointmentBooked'), { index })
    // Assess
    expect(outcome).toEqual({ written: 1, unchanged: 0 })
    expect(await index.entry('9000000009', 'Y90001', '749001000000101')).toMatchObject({
      status: 'current',
      holderOds: 'Y90001',
      recordType: { system: 'http://snomed.info/sct', code: '749001000000101', display: 'Appointment' },
    })
    expect(await index.entry('9000000009', 'NX001', '749001000000101')).toBeUndefined()
  })

  it('keeps the holder when the appointment is cancelled (the host still holds its record)', async () => {
    // Prepare
    const index = new MemoryPatientIndex()
    await applyHolderEvent(example('AppointmentBooked'), { index })
    // Act
    await applyHolderEvent(example('AppointmentCancelled'), { index })
    // Assess
    expect(await index.entry('9000000009', 'Y90001', '749001000000101')).toMatchObject({ status: 'current' })
  })

  it('is idempotent: the same booking announced twice changes nothing the second time', async () => {
    const index = new MemoryPatientIndex()
    await applyHolderEvent(example('AppointmentBooked'), { index })
    expect(await applyHolderEvent(example('AppointmentBooked'), { index })).toEqual({
      written: 0,
      unchanged: 1,
    })
  })

  // The booking example happened at 2026-11-23T10:15:00+00:00 (id booked.Y90001.gp.202611250920.1).
  it.each([
    [
      'withdrew its records after the booking happened (a late event)',
      '2026-11-23T10:15:01.000Z',
      'evt-w',
      0,
    ],
    ['withdrew at the same moment, with a later event id', '2026-11-23T10:15:00.000Z', 'zz-withdrawal', 0],
    ['withdrew at the same moment, with an earlier event id', '2026-11-23T10:15:00.000Z', 'aa-withdrawal', 1],
    ['withdrew before the booking happened', '2026-11-23T10:14:59.000Z', 'evt-w', 1],
  ])(
    'when the host %s, lists it only if the booking is the later event',
    async (_label, occurredAt, eventId, written) => {
      // Prepare
      const index = new MemoryPatientIndex()
      await index.saveWithdrawal({ holderOds: 'Y90001', occurredAt, eventId, reason: 'left-ics' })

      // Act
      const outcome = await applyHolderEvent(example('AppointmentBooked'), { index })

      // Assess
      expect(outcome).toEqual({ written, unchanged: 1 - written })
      const entry = await index.entry('9000000009', 'Y90001', '749001000000101')
      if (written) expect(entry).toMatchObject({ status: 'current' })
      else expect(entry).toBeUndefined()
    },
  )

  it('does not bring back a host that withdrew, when a cancellation arrives late', async () => {
    const index = new MemoryPatientIndex()
    await index.saveWithdrawal({
      holderOds: 'Y90001',
      occurredAt: '2026-12-31T00:00:00.000Z',
      eventId: 'evt-w',
      reason: 'left-ics',
    })

    expect(await applyHolderEvent(example('AppointmentCancelled'), { index })).toEqual({
      written: 0,
      unchanged: 1,
    })
    expect(await index.entry('9000000009', 'Y90001', '749001000000101')).toBeUndefined()
  })

  it('refuses SlotsPublished, which names no patient', async () => {
    await expect(
      applyHolderEvent(example('SlotsPublished'), { index: new MemoryPatientIndex() }),
    ).rejects.toThrow('Not a record-holder event')
  })
})
