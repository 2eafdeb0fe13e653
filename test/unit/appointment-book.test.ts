import { DynamoDBClient } from '@aws-sdk/client-dynamodb'
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  type AppointmentDependencies,
  bookAppointment,
  finishCancellation,
  readAppointment,
  searchPatientAppointments,
  updateAppointment,
} from '../../functions/appointments/appointments'
import { followUpAppointmentEvent } from '../../functions/appointments/followUp'
import { publishSlots } from '../../functions/appointments/publishing'
import { searchSlots } from '../../functions/appointments/slotSearch'
import {
  type Booking,
  parseAppointmentId,
  type SlotRecord,
} from '../../functions/shared/appointments/AppointmentBook'
import { DynamoDbAppointmentBook } from '../../functions/shared/appointments/DynamoDbAppointmentBook'
import { FhirError } from '../../functions/shared/errors'
import type { EventPublisher, OutgoingEvent } from '../../functions/shared/events'
import type { PatientDirectory } from '../../functions/shared/patients/PatientDirectory'
import { ukDateTime } from '../../functions/shared/time'
import type { Caller } from '../../schemas/auth'
import type { Patient } from '../../schemas/fhir/Patient'
import type { IcsRuntimeConfig } from '../../schemas/ics-config'
import { createDeclaredTables, type LocalDynamoDb, startLocalDynamoDb } from '../../scripts/local/dynamodb'
import { bookingRequest } from '../../scripts/seed/bookingRequest'
import { pdsPatient } from '../../scripts/seed/demoPatients'

// The appointment book against a real DynamoDB-protocol server (dynalite), with the table and
// its indexes built from infra/tables.ts, driven through the domain functions.

const NOW = new Date('2027-01-11T08:00:00Z')
const ics = {
  ics: 'demo',
  members: [
    { ods: 'Y90001', name: 'Demo Surgery North', role: 'gp-practice' },
    { ods: 'RX9', name: 'Demo General Hospital', role: 'acute-trust' },
    { ods: 'NX001', name: 'Demo Urgent Care', role: 'urgent-care' },
  ],
} as IcsRuntimeConfig

const callerOf = (organisation: string): Caller => ({
  sub: 'user',
  organisation,
  ics: 'demo',
  scopes: new Set(['appointment.read', 'appointment.write', 'slot.write']),
  purposeOfUse: 'directcare',
})
const patient = (nhsNumber: string, extra: Partial<Parameters<typeof pdsPatient>[0]> = {}): Patient =>
  pdsPatient({
    nhsNumber,
    family: 'Smith',
    given: ['Jane'],
    gender: 'female',
    birthDate: '2010-10-22',
    postcode: 'LS1 6AE',
    line: '1 Street',
    gp: 'Y90001',
    ...extra,
  })
const PATIENTS = new Map<string, Patient>([
  ['9000000009', patient('9000000009')],
  ['9000000025', patient('9000000025', { restricted: true })],
  ['9000000033', patient('9000000033', { diedAt: '2024-03-02T09:15:00+00:00' })],
])
const directory: PatientDirectory = {
  read: async (nhsNumber) => {
    const found = PATIENTS.get(nhsNumber)
    return found ? { kind: 'found', patient: found } : { kind: 'not-found' }
  },
  search: async () => ({ kind: 'matches', matches: [] }),
}

class RecordingPublisher implements EventPublisher {
  readonly events: OutgoingEvent[] = []
  async publish(events: OutgoingEvent[]): Promise<string[]> {
    this.events.push(...events)
    return events.map((event) => event.id ?? 'x')
  }
  of(detailType: string) {
    return this.events.filter((event) => event.detailType === detailType)
  }
}

let dynamo: LocalDynamoDb
let documents: DynamoDBDocumentClient
let tableName: string
let book: DynamoDbAppointmentBook
let publisher: RecordingPublisher
let deps: AppointmentDependencies
const context = (requestId = crypto.randomUUID()) => ({ requestId, correlationId: 'test' })

/** A publication of `count` 15-minute slots for schedule `schedule` from `first` (UK local). */
function publication(schedule: string, first: string, count: number) {
  const start = new Date(first)
  return {
    resourceType: 'Bundle',
    type: 'collection',
    entry: [
      { resource: { resourceType: 'Location', id: 'surgery', name: 'Demo Surgery North' } },
      {
        resource: {
          resourceType: 'Schedule',
          id: schedule,
          serviceCategory: [{ text: 'General GP Appointments' }],
          actor: [{ reference: 'Location/surgery' }],
        },
      },
      ...Array.from({ length: count }, (_, index) => ({
        resource: {
          resourceType: 'Slot',
          serviceType: [{ text: 'General GP Appointment' }],
          schedule: { reference: `Schedule/${schedule}` },
          status: 'free',
          start: ukDateTime(new Date(start.getTime() + index * 900_000)),
          end: ukDateTime(new Date(start.getTime() + (index + 1) * 900_000)),
        },
      })),
    ],
  }
}

function appointmentFor(
  slot: { id: string; start: string; end: string },
  overrides: Record<string, unknown> = {},
) {
  return {
    ...bookingRequest({ slot, patient: '9000000009', places: ['Location/Y90001.surgery'] }),
    ...overrides,
  }
}

/** Publishes slots for a fresh schedule and returns them as the search shows them. */
async function freshSlots(schedule: string, count = 3, first = '2027-01-12T09:00:00Z') {
  const published = await publishSlots(
    publication(schedule, first, count),
    callerOf('Y90001'),
    context(),
    deps,
  )
  return (
    (published.body as { entry: { resource: { id: string; start: string; end: string } }[] }).entry ?? []
  ).map((entry) => entry.resource)
}

async function refusalOf(promise: Promise<unknown>): Promise<FhirError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  )
  expect(error).toBeInstanceOf(FhirError)
  return error as FhirError
}

beforeAll(async () => {
  dynamo = await startLocalDynamoDb()
  const client = new DynamoDBClient({
    endpoint: dynamo.endpoint,
    region: 'eu-west-2',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  })
  const names = await createDeclaredTables(client, 'demo')
  documents = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } })
  tableName = names.appointments
  book = new DynamoDbAppointmentBook(documents, tableName)
  publisher = new RecordingPublisher()
  deps = { book, publisher, clock: () => NOW, ics, patients: directory }
})
afterAll(() => dynamo?.close())

describe('publishSlots', () => {
  it('names each slot by its schedule and UTC start, and publishing again changes nothing', async () => {
    // Act
    const first = await publishSlots(
      publication('republish', '2027-01-12T09:00:00Z', 2),
      callerOf('Y90001'),
      context(),
      deps,
    )
    const again = await publishSlots(
      publication('republish', '2027-01-12T09:00:00Z', 2),
      callerOf('Y90001'),
      context(),
      deps,
    )
    // Assess
    expect(first.status).toBe(201)
    expect(again.status).toBe(200)
    expect(again.body).toEqual(first.body)
    expect(
      (first.body as { entry: { resource: { id: string } }[] }).entry.map((entry) => entry.resource.id),
    ).toEqual(['Y90001.republish.202701120900', 'Y90001.republish.202701120915'])
    const events = publisher.of('SlotsPublished').slice(-2)
    expect(events[0]!.id).toBe(events[1]!.id)
  })

  it('refuses overlapping slots of one schedule, in a publication or against what is published', async () => {
    // Prepare
    await freshSlots('overlap', 1)
    const overlapping = publication('overlap', '2027-01-12T09:05:00Z', 1)
    // Act and Assess
    expect((await refusalOf(publishSlots(overlapping, callerOf('Y90001'), context(), deps))).status).toBe(422)
    const inner = publication('overlap-inner', '2027-01-12T09:00:00Z', 2)
    ;(inner.entry[3]!.resource as { start: string }).start = '2027-01-12T09:10:00+00:00'
    expect((await refusalOf(publishSlots(inner, callerOf('Y90001'), context(), deps))).status).toBe(422)
  })

  it("refuses another organisation's schedule with 403", async () => {
    const foreign = publication('x', '2027-01-12T09:00:00Z', 1)
    ;(foreign.entry[2]!.resource as { schedule: { reference: string } }).schedule.reference =
      'Schedule/Y90002.gp'
    expect((await refusalOf(publishSlots(foreign, callerOf('Y90001'), context(), deps))).status).toBe(403)
  })
})

describe('bookAppointment', () => {
  it('books a free slot once: of 30 concurrent bookings one wins and the rest are DUPLICATE_REJECTED', async () => {
    // Prepare
    const [slot] = await freshSlots('race', 1)
    // Act
    const outcomes = await Promise.all(
      Array.from({ length: 30 }, () =>
        bookAppointment(appointmentFor(slot!), callerOf('NX001'), context(), deps).then(
          (answer) => answer.appointment.id,
          (error: FhirError) => error.code,
        ),
      ),
    )
    // Assess
    expect(outcomes.filter((outcome) => outcome === `${slot!.id}.1`)).toHaveLength(1)
    expect(outcomes.filter((outcome) => outcome === 'DUPLICATE_REJECTED')).toHaveLength(29)
    const stored = await book.slot(slot!.id)
    expect(stored).toMatchObject({ status: 'busy', bookings: 1, booking: { n: 1 } })
  })

  it('answers a retry of the same request with the same appointment, even 20 at once', async () => {
    // Prepare
    const [slot] = await freshSlots('retry', 1)
    const requestId = crypto.randomUUID()
    // Act
    const ids = await Promise.all(
      Array.from({ length: 20 }, () =>
        bookAppointment(appointmentFor(slot!), callerOf('NX001'), context(requestId), deps).then(
          (answer) => answer.appointment.id,
        ),
      ),
    )
    // Assess
    expect(new Set(ids)).toEqual(new Set([`${slot!.id}.1`]))
  })

  it('announces the booking with an id derived from the appointment, and marks it announced', async () => {
    const [slot] = await freshSlots('announce', 1)
    const { appointment } = await bookAppointment(appointmentFor(slot!), callerOf('NX001'), context(), deps)
    expect((await book.slot(slot!.id))?.booking?.announced).toBe(true)
    expect(publisher.of('AppointmentBooked').at(-1)).toMatchObject({
      id: `booked.${appointment.id}`,
      data: {
        appointmentId: appointment.id,
        hostOds: 'Y90001',
        bookingOds: 'NX001',
        nhsNumber: '9000000009',
        restricted: false,
      },
    })
  })

  it('refuses a deceased patient as PATIENT_NOT_FOUND, and another organisation as booker with 403', async () => {
    const [slot] = await freshSlots('refusals', 1)
    const deceased = appointmentFor(slot!, {
      participant: [
        { actor: { reference: 'Patient/9000000033' }, status: 'accepted' },
        { actor: { reference: 'Location/Y90001.surgery' }, status: 'accepted' },
      ],
    })
    expect((await refusalOf(bookAppointment(deceased, callerOf('NX001'), context(), deps))).code).toBe(
      'PATIENT_NOT_FOUND',
    )
    expect(
      (await refusalOf(bookAppointment(appointmentFor(slot!), callerOf('RX9'), context(), deps))).status,
    ).toBe(403)
  })

  it('refuses a slot that is not there as REFERENCE_NOT_FOUND', async () => {
    const missing = {
      id: 'Y90001.nowhere.202701120900',
      start: '2027-01-12T09:00:00+00:00',
      end: '2027-01-12T09:15:00+00:00',
    }
    expect(
      (await refusalOf(bookAppointment(appointmentFor(missing), callerOf('NX001'), context(), deps))).code,
    ).toBe('REFERENCE_NOT_FOUND')
  })
})

describe('a booking whose event never left (crash between the booking and its event)', () => {
  it('is announced by the first reader once its own request must be over', async () => {
    // Prepare: the booking written, nothing after it
    const [slot] = await freshSlots('unannounced', 1)
    const read = (await book.slot(slot!.id))!
    await book.book(
      read.id,
      {
        n: 1,
        requestId: 'lost',
        bookingOrganisation: { ods: 'NX001', name: 'Demo Urgent Care', telecom: [{ value: '0300' }] },
        nhsNumber: '9000000009',
        restricted: false,
        description: 'Written before the crash',
        created: NOW.toISOString(),
        lastUpdated: NOW.toISOString(),
        version: 1,
      },
      read,
    )
    const soon = { ...deps, clock: () => new Date(NOW.getTime() + 5_000) }
    const later = { ...deps, clock: () => new Date(NOW.getTime() + 61_000) }
    const id = `${slot!.id}.1`
    // Act
    await readAppointment(id, callerOf('NX001'), context(), soon)
    const announcedSoon = publisher.of('AppointmentBooked').some((event) => event.id === `booked.${id}`)
    await readAppointment(id, callerOf('NX001'), context(), later)
    // Assess
    expect(announcedSoon).toBe(false)
    expect(publisher.of('AppointmentBooked').filter((event) => event.id === `booked.${id}`)).toHaveLength(1)
    expect((await book.slot(slot!.id))?.booking?.announced).toBe(true)
  })
})

describe('cancelling', () => {
  it('frees the slot for rebooking, and the cancelled appointment keeps its own record', async () => {
    // Prepare
    const [slot] = await freshSlots('cancel', 1)
    const { appointment } = await bookAppointment(appointmentFor(slot!), callerOf('NX001'), context(), deps)
    // Act
    const cancelled = await updateAppointment(
      appointment.id,
      { ...appointment, status: 'cancelled', cancelationReason: { text: 'Patient asked' } },
      'W/"1"',
      callerOf('NX001'),
      context(),
      deps,
    )
    const rebooked = await bookAppointment(appointmentFor(slot!), callerOf('NX001'), context(), deps)
    // Assess
    expect(cancelled.appointment).toMatchObject({
      status: 'cancelled',
      cancelationReason: { text: 'Patient asked' },
    })
    expect(cancelled.etag).toBe('W/"2"')
    expect(rebooked.appointment.id).toBe(`${slot!.id}.2`)
    const first = await readAppointment(appointment.id, callerOf('NX001'), context(), deps)
    expect(first.appointment.status).toBe('cancelled')
  })

  it('is finished by the next reader when the process died after the decision (crash between writes)', async () => {
    // Prepare: the cancellation decided on the slot, nothing after it (as a SIGKILL there leaves it)
    const [slot] = await freshSlots('cut-short', 1)
    const { appointment } = await bookAppointment(appointmentFor(slot!), callerOf('NX001'), context(), deps)
    const { slotId, n } = parseAppointmentId(appointment.id)!
    expect(
      await book.cancel(
        slotId,
        n,
        1,
        { reason: 'x', at: NOW.toISOString(), byOds: 'NX001' },
        NOW.toISOString(),
      ),
    ).toBe(true)
    expect(await book.slot(slotId)).toMatchObject({ status: 'busy' })
    // Act: a slot search sees the slot and finishes the cancellation
    const bundle = await searchSlots(
      { status: ['free'], start: ['ge2027-01-12'], end: ['le2027-01-12'], organization: ['Y90001'] },
      'https://api.example',
      {
        book,
        clock: () => NOW,
        ics,
        finishCancellation: (open: SlotRecord) =>
          finishCancellation({ slot: open, booking: open.booking!, onSlot: true }, context(), deps),
      },
    )
    // Assess
    expect(bundle.entry?.map((entry) => entry.resource.id)).toContain(slotId)
    expect(await book.slot(slotId)).toMatchObject({ status: 'free', bookings: 1 })
    expect((await book.appointment(slotId, n))?.booking.cancellation?.reason).toBe('x')
    expect(publisher.of('AppointmentCancelled').at(-1)?.id).toBe(`cancelled.${appointment.id}`)
  })
})

describe('rebooking', () => {
  it('finishes a cancellation cut short before booking the slot again', async () => {
    // Prepare: decided on the slot, nothing after it
    const [slot] = await freshSlots('rebook-cut-short', 1)
    const { appointment } = await bookAppointment(appointmentFor(slot!), callerOf('NX001'), context(), deps)
    const { slotId, n } = parseAppointmentId(appointment.id)!
    await book.cancel(slotId, n, 1, { reason: 'x', at: NOW.toISOString(), byOds: 'NX001' }, NOW.toISOString())
    // Act
    const rebooked = await bookAppointment(appointmentFor(slot!), callerOf('NX001'), context(), deps)
    // Assess
    expect(rebooked.appointment.id).toBe(`${slotId}.2`)
    expect((await book.appointment(slotId, 1))?.booking.cancellation?.reason).toBe('x')
  })
})

describe('followUpAppointmentEvent', () => {
  const envelope = (detailType: string, data: unknown) => ({
    'detail-type': detailType,
    detail: {
      metadata: {
        id: crypto.randomUUID(),
        version: '1.0',
        occurredAt: ukDateTime(NOW),
        correlationId: 'test',
        ics: 'demo',
        producer: 'joinup.appointments',
      },
      data,
    },
  })

  it('finishes a cancellation its request could not, and refuses events it does not follow up', async () => {
    // Prepare
    const [slot] = await freshSlots('follow-up', 1)
    const { appointment } = await bookAppointment(appointmentFor(slot!), callerOf('NX001'), context(), deps)
    const booked = publisher.of('AppointmentBooked').at(-1)!
    const { slotId, n } = parseAppointmentId(appointment.id)!
    await book.cancel(slotId, n, 1, { reason: 'x', at: NOW.toISOString(), byOds: 'NX001' }, NOW.toISOString())
    // Act
    const outcome = await followUpAppointmentEvent(
      envelope('AppointmentCancelled', { ...(booked.data as object), cancelledByOds: 'NX001' }) as never,
      { book, now: () => NOW },
    )
    const again = await followUpAppointmentEvent(
      envelope('AppointmentCancelled', { ...(booked.data as object), cancelledByOds: 'NX001' }) as never,
      { book, now: () => NOW },
    )
    // Assess
    expect(outcome).toBe('cancellation finished')
    expect(again).toBe('already finished')
    expect(await book.slot(slotId)).toMatchObject({ status: 'free' })
    expect((await book.appointment(slotId, n))?.booking).toMatchObject({ cancellation: { reason: 'x' } })
    await expect(
      followUpAppointmentEvent(envelope('AppointmentBooked', booked.data) as never, { book, now: () => NOW }),
    ).rejects.toThrow('Not an appointments event')
  })
})

describe('restricted patients', () => {
  it('show the booking organisation to the booker only', async () => {
    // Prepare
    const [slot] = await freshSlots('restricted', 1)
    const body = appointmentFor(slot!, {
      participant: [
        { actor: { reference: 'Patient/9000000025' }, status: 'accepted' },
        { actor: { reference: 'Location/Y90001.surgery' }, status: 'accepted' },
      ],
    })
    const { appointment } = await bookAppointment(body, callerOf('NX001'), context(), deps)
    // Act
    const byHost = await readAppointment(appointment.id, callerOf('Y90001'), context(), deps)
    const byBooker = await readAppointment(appointment.id, callerOf('NX001'), context(), deps)
    // Assess
    expect(byBooker.appointment.contained).toHaveLength(1)
    expect(byHost.appointment.contained).toBeUndefined()
    expect(JSON.stringify(byHost.appointment)).not.toContain('NX001')
    expect(publisher.of('AppointmentBooked').at(-1)?.data).toMatchObject({ restricted: true })
  })
})

describe("a patient's appointments", () => {
  it('lists booked and cancelled ones the caller booked or hosts, and nobody else', async () => {
    // Prepare
    const [first, second] = await freshSlots('listing', 2, '2027-01-13T10:00:00Z')
    const a = await bookAppointment(appointmentFor(first!), callerOf('NX001'), context(), deps)
    await bookAppointment(appointmentFor(second!), callerOf('NX001'), context(), deps)
    await updateAppointment(
      a.appointment.id,
      { ...a.appointment, status: 'cancelled', cancelationReason: { text: 'x' } },
      'W/"1"',
      callerOf('NX001'),
      context(),
      deps,
    )
    const query = { start: ['ge2027-01-13', 'le2027-01-13'] }
    // Act
    const mine = await searchPatientAppointments(
      '9000000009',
      query,
      'https://x',
      callerOf('NX001'),
      context(),
      deps,
    )
    const theirs = await searchPatientAppointments(
      '9000000009',
      query,
      'https://x',
      callerOf('RX9'),
      context(),
      deps,
    )
    // Assess
    expect(
      mine.bundle.entry?.map((entry) => (entry.resource as unknown as { status: string }).status),
    ).toEqual(['cancelled', 'booked'])
    expect(theirs.bundle.total).toBe(0)
  })
})

describe('the adapter', () => {
  it('refuses to book a slot whose booking number moved on since it was read', async () => {
    const [slot] = await freshSlots('numbers', 1)
    const read = (await book.slot(slot!.id))!
    const booking: Booking = {
      n: 1,
      requestId: 'r',
      bookingOrganisation: { ods: 'NX001', name: 'x', telecom: [] },
      nhsNumber: '9000000009',
      restricted: false,
      description: 'd',
      created: NOW.toISOString(),
      lastUpdated: NOW.toISOString(),
      version: 1,
    }
    expect((await book.book(read.id, booking, read))?.booking).toEqual(booking)
    expect(await book.book(read.id, booking, read)).toBeUndefined()
    expect(await book.book(read.id, { ...booking, n: 2 }, read)).toBeUndefined()
  })

  it('refuses to book a slot that is not what the booking says, or that does not exist', async () => {
    // Prepare
    const [slot] = await freshSlots('expected', 1)
    const read = (await book.slot(slot!.id))!
    const booking: Booking = {
      n: 1,
      requestId: 'r',
      bookingOrganisation: { ods: 'NX001', name: 'x', telecom: [] },
      nhsNumber: '9000000009',
      restricted: false,
      description: 'd',
      created: NOW.toISOString(),
      lastUpdated: NOW.toISOString(),
      version: 1,
    }
    const later = new Date(Date.parse(read.end) + 60_000).toISOString()

    // Act
    const outcomes = [
      await book.book(read.id, booking, { ...read, end: later }),
      await book.book(read.id, booking, { ...read, locationId: 'Y90001.elsewhere' }),
      await book.book(read.id, booking, { ...read, practitionerId: 'Y90001.someone' }),
      await book.book(read.id.replace(/\d{4}$/, '0001'), booking, read),
    ]

    // Assess: nothing booked
    expect(outcomes).toEqual([undefined, undefined, undefined, undefined])
    expect((await book.slot(read.id))?.status).toBe('free')
  })

  it('keeps reference data for a short time, and forgets it when this process publishes again', async () => {
    // Prepare: a second book over the same table, with a clock the test moves
    let now = 0
    const writer = new DynamoDbAppointmentBook(documents, tableName)
    const reader = new DynamoDbAppointmentBook(documents, tableName, 30_000, () => now)
    const schedule = (text: string) => ({
      hostOds: 'RX9',
      type: 'Schedule' as const,
      id: 'RX9.cached',
      resource: { resourceType: 'Schedule', id: 'RX9.cached', comment: text },
    })
    await writer.saveResources([schedule('first')])
    const key = [{ hostOds: 'RX9', type: 'Schedule' as const, id: 'RX9.cached' }]
    expect((await reader.resources(key))[0]?.resource.comment).toBe('first')

    // Act: another process republishes; then the time passes; then this process republishes
    await writer.saveResources([schedule('second')])
    const withinTtl = (await reader.resources(key))[0]?.resource.comment
    now = 30_000
    const afterTtl = (await reader.resources(key))[0]?.resource.comment
    await reader.saveResources([schedule('third')])
    const afterOwnPublication = (await reader.resources(key))[0]?.resource.comment

    // Assess
    expect(withinTtl).toBe('first')
    expect(afterTtl).toBe('second')
    expect(afterOwnPublication).toBe('third')
  })

  it('pages open slots of one organisation in start order', async () => {
    await freshSlots('paging', 5, '2027-01-14T09:00:00Z')
    const window = { from: '2027-01-14T00:00:00.000Z', to: '2027-01-14T23:59:59.999Z' }
    const first = await book.openSlots('Y90001', window, { limit: 3 })
    const second = await book.openSlots('Y90001', window, { limit: 3, after: first.next! })
    expect(first.slots.map((slot) => slot.start)).toEqual([
      '2027-01-14T09:00:00.000Z',
      '2027-01-14T09:15:00.000Z',
      '2027-01-14T09:30:00.000Z',
    ])
    expect(second.slots.map((slot) => slot.start)).toEqual([
      '2027-01-14T09:45:00.000Z',
      '2027-01-14T10:00:00.000Z',
    ])
    expect(second.next).toBeUndefined()
  })
})
