import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { bookAppointment, searchPatientAppointments } from '../../functions/appointments/appointments'
import { appointmentPracticeOf, practiceError } from '../../functions/appointments/practices'
import { slotResource } from '../../functions/appointments/resources'
import { readSlot, searchSlots } from '../../functions/appointments/slotSearch'
import type { AppointmentBook } from '../../functions/shared/appointments/AppointmentBook'
import type { PracticeAppointments } from '../../functions/shared/appointments/PracticeAppointments'
import { FhirError } from '../../functions/shared/errors'
import type { EventPublisher } from '../../functions/shared/events'
import {
  GpConnectAppointments,
  patientAppointmentsOf,
  patientIdOf,
  practiceSlotsOf,
  r4AppointmentOf,
  stu3AppointmentOf,
} from '../../functions/shared/gpconnect/GpConnectAppointments'
import type { PatientDirectory } from '../../functions/shared/patients/PatientDirectory'
import type { Caller } from '../../schemas/auth'
import {
  type Appointment,
  BOOKING_ORGANISATION_URL,
  CANCELLATION_REASON_URL,
  PracticeAppointmentShape,
} from '../../schemas/fhir/Appointment'
import type { IcsRuntimeConfig } from '../../schemas/ics-config'
import { bookingRequest } from '../../scripts/seed/bookingRequest'
import { fhirR4SchemaErrors } from '../support/fhir-schema'

// Practices on GP Connect Appointment Management (issue 11 item 5): the STU3 → R4 mapping of
// their slots and appointments, and the fan-out of slot search and booking, with fakes.

const EXAMPLES = join(__dirname, '../../../shared/examples/gpconnect/appointments')
const haveExamples = existsSync(EXAMPLES)
const example = (name: string) => JSON.parse(readFileSync(join(EXAMPLES, name), 'utf8')) as unknown

const ics = {
  ics: 'demo',
  members: [
    { ods: 'Y90001', name: 'Demo Surgery North', role: 'gp-practice' },
    { ods: 'Y90002', name: 'Demo Surgery South', role: 'gp-practice' },
    { ods: 'NX001', name: 'Demo Urgent Care', role: 'urgent-care' },
  ],
  directory: {
    consumerAsid: '200000009001',
    holderTimeoutMs: 100,
    holders: [
      {
        ods: 'Y90002',
        protocol: 'gpconnect-1.6-stu3',
        endpoint: 'https://gpc.example.nhs.uk/Y90002/STU3/1/gpconnect',
        asid: '918999190002',
        interactions: ['structured-record', 'appointment-management'],
      },
    ],
  },
} as unknown as IcsRuntimeConfig

const caller: Caller = {
  sub: 'clinician',
  organisation: 'NX001',
  ics: 'demo',
  scopes: new Set(['appointment.read', 'appointment.write']),
  purposeOfUse: 'directcare',
} as Caller

/** A GP Connect free-slot searchset of the project's own (the shape of GP Connect's example). */
const searchset = {
  resourceType: 'Bundle',
  type: 'searchset',
  entry: [
    {
      resource: {
        resourceType: 'Slot',
        id: '1584',
        meta: { versionId: '7' },
        extension: [
          {
            url: 'https://fhir.nhs.uk/STU3/StructureDefinition/Extension-GPConnect-DeliveryChannel-2',
            valueCode: 'Telephone',
          },
        ],
        serviceType: [{ text: 'General GP Appointment' }],
        schedule: { reference: 'Schedule/14' },
        status: 'free',
        start: '2027-06-15T11:30:00+01:00',
        end: '2027-06-15T11:40:00+01:00',
      },
    },
    {
      resource: {
        resourceType: 'Schedule',
        id: '14',
        extension: [
          {
            url: 'https://fhir.nhs.uk/STU3/StructureDefinition/Extension-GPConnect-PractitionerRole-1',
            valueCodeableConcept: {
              coding: [
                { system: 'https://fhir.nhs.uk/STU3/CodeSystem/CareConnect-SDSJobRoleName-1', code: 'R0260' },
              ],
            },
          },
        ],
        serviceCategory: { text: 'General GP Appointments' },
        actor: [{ reference: 'Location/17' }, { reference: 'Practitioner/2' }],
      },
    },
    { resource: { resourceType: 'Location', id: '17', name: 'The Surgery' } },
    { resource: { resourceType: 'Practitioner', id: '2', name: [{ family: 'Black' }] } },
  ],
}
// Compiling HL7's R4 schema takes seconds: once, before the tests' own time starts.
beforeAll(() => {
  fhirR4SchemaErrors({ resourceType: 'Basic', code: { text: 'warm-up' } })
}, 120_000)

const WINDOW = { from: '2027-06-14T23:00:00.000Z', to: '2027-06-28T22:59:59.999Z' }

/** PDS lookup that finds any NHS number, as a bare Patient with `extra` on it. */
function directoryFindingAny(extra: Record<string, unknown> = {}): PatientDirectory {
  return {
    read: async (nhsNumber: string) => ({
      kind: 'found',
      patient: {
        resourceType: 'Patient',
        id: nhsNumber,
        identifier: [{ system: 'https://fhir.nhs.uk/Id/nhs-number', value: nhsNumber }],
        ...extra,
      },
    }),
  } as unknown as PatientDirectory
}

/** A booking at Y90002 (a GP Connect practice in the demo ICS) by NX001 for 9000000009. */
function practiceBooking() {
  return bookingRequest({
    slot: { id: 'Y90002.1584', start: '2099-06-15T11:30:00+01:00', end: '2099-06-15T11:40:00+01:00' },
    patient: '9000000009',
    places: ['Location/Y90002.17'],
  })
}

describe('practiceSlotsOf (GP Connect free slots, STU3 → this stack’s slots)', () => {
  it('maps a free slot with its schedule into the ICS’s ids, answered exactly as a slot held here', () => {
    // Act
    const mapped = practiceSlotsOf('Y90002', searchset, WINDOW, new Date('2027-06-01T00:00:00Z'))
    // Assess
    expect(mapped.kind).toBe('answered')
    if (mapped.kind !== 'answered') return
    expect(mapped.slots).toEqual([
      expect.objectContaining({
        id: 'Y90002.1584',
        hostOds: 'Y90002',
        scheduleId: 'Y90002.14',
        start: '2027-06-15T10:30:00.000Z',
        locationId: 'Y90002.17',
        practitionerId: 'Y90002.2',
        deliveryChannel: 'Telephone',
        serviceCategory: 'General GP Appointments',
        practitionerRole: expect.objectContaining({ code: 'R0260' }),
        version: 7,
      }),
    ])
    const slot = slotResource(mapped.slots[0]!)
    expect(slot).toMatchObject({
      id: 'Y90002.1584',
      start: '2027-06-15T11:30:00+01:00',
      schedule: { reference: 'Schedule/Y90002.14' },
    })
    expect(fhirR4SchemaErrors(slot)).toEqual([])
    const schedule = mapped.resources.find((resource) => resource.type === 'Schedule')!.resource
    expect(schedule).toMatchObject({
      id: 'Y90002.14',
      serviceCategory: [{ text: 'General GP Appointments' }],
      actor: [{ reference: 'Location/Y90002.17' }, { reference: 'Practitioner/Y90002.2' }],
    })
    for (const { resource } of mapped.resources) expect(fhirR4SchemaErrors(resource)).toEqual([])
  })

  it('leaves out busy slots, slots outside the window and slots whose schedule did not come', () => {
    const entry = searchset.entry
    const busy = { resource: { ...entry[0]!.resource, id: 'busy', status: 'busy' } }
    const late = {
      resource: {
        ...entry[0]!.resource,
        id: 'late',
        start: '2027-07-15T11:30:00+01:00',
        end: '2027-07-15T11:40:00+01:00',
      },
    }
    const orphan = {
      resource: { ...entry[0]!.resource, id: 'orphan', schedule: { reference: 'Schedule/99' } },
    }
    const mapped = practiceSlotsOf(
      'Y90002',
      { ...searchset, entry: [...entry, busy, late, orphan] },
      WINDOW,
      new Date(),
    )
    expect(mapped.kind === 'answered' && mapped.slots.map((slot) => slot.id)).toEqual(['Y90002.1584'])
  })

  it('calls anything but a searchset Bundle invalid', () => {
    expect(practiceSlotsOf('Y90002', { resourceType: 'OperationOutcome' }, WINDOW, new Date())).toMatchObject(
      {
        kind: 'failed',
        failure: 'invalid',
      },
    )
  })

  it.skipIf(!haveExamples)("maps GP Connect's published free-slot example (../shared)", () => {
    const mapped = practiceSlotsOf(
      'Y90002',
      example('search_for_free_slots_response_example.json'),
      { from: '2016-08-14T00:00:00.000Z', to: '2016-08-28T00:00:00.000Z' },
      new Date(),
    )
    expect(mapped.kind === 'answered' && mapped.slots.length).toBeGreaterThan(0)
    if (mapped.kind === 'answered')
      for (const slot of mapped.slots) expect(fhirR4SchemaErrors(slotResource(slot))).toEqual([])
  })
})

describe('r4AppointmentOf and stu3AppointmentOf (Appointment, STU3 ↔ R4)', () => {
  const stu3 = {
    resourceType: 'Appointment',
    id: '9',
    meta: { versionId: '3' },
    contained: [
      {
        resourceType: 'Organization',
        id: '1',
        identifier: [{ system: 'https://fhir.nhs.uk/Id/ods-organization-code', value: 'NX001' }],
        name: 'Demo Urgent Care',
      },
    ],
    extension: [
      { url: BOOKING_ORGANISATION_URL, valueReference: { reference: '#1' } },
      { url: CANCELLATION_REASON_URL, valueString: 'Patient recovered' },
    ],
    status: 'cancelled',
    serviceCategory: { text: 'General GP Appointments' },
    reason: [{ text: 'Review' }],
    description: 'Follow-up',
    start: '2027-06-15T11:30:00+01:00',
    end: '2027-06-15T11:40:00+01:00',
    slot: [{ reference: 'Slot/1584' }],
    participant: [
      { actor: { reference: 'Patient/9000000009' }, status: 'accepted' },
      { actor: { reference: 'Location/17' }, status: 'accepted' },
    ],
  }

  it('answers an Appointment whose arrays are of the shape this stack reads, or none', () => {
    // The mapping repairs what it can (a lone contained resource, a stray extension);
    // what it cannot is no Appointment (the practice's error), never a TypeError and a 500.
    for (const broken of [
      { contained: { resourceType: 'Organization', id: '1' } },
      { contained: ['x'] },
      { extension: 'x' },
      { extension: [{ valueString: 'no url' }] },
      { identifier: [null] },
      { participant: 'x' },
      { participant: [{ actor: { reference: 7 } }] },
      { slot: [{ reference: 7 }] },
    ]) {
      const r4 = r4AppointmentOf('Y90002', { ...stu3, ...broken })
      if (r4 !== undefined) expect(PracticeAppointmentShape.safeParse(r4).success).toBe(true)
    }
    for (const broken of [
      { extension: [{ valueString: 'no url' }] },
      { identifier: [null] },
      { participant: 'x' },
      { participant: [{ actor: { reference: 7 } }] },
      { slot: [{ reference: 7 }] },
    ]) {
      expect(r4AppointmentOf('Y90002', { ...stu3, ...broken })).toBeUndefined()
    }
  })

  it('maps a practice’s STU3 Appointment to valid R4 with the ICS’s ids and R4’s cancelationReason', () => {
    // Act
    const r4 = r4AppointmentOf('Y90002', stu3)!
    // Assess
    expect(r4).toMatchObject({
      id: 'Y90002.9',
      meta: { versionId: '3' },
      status: 'cancelled',
      cancelationReason: { text: 'Patient recovered' },
      serviceCategory: [{ text: 'General GP Appointments' }],
      reasonCode: [{ text: 'Review' }],
      slot: [{ reference: 'Slot/Y90002.1584' }],
      participant: [
        { actor: { reference: 'Patient/9000000009' } },
        { actor: { reference: 'Location/Y90002.17' } },
      ],
    })
    expect(JSON.stringify(r4.extension)).not.toContain(CANCELLATION_REASON_URL)
    expect(fhirR4SchemaErrors(r4)).toEqual([])
  })

  it('sends a consumer’s R4 Appointment back in STU3 with the practice’s own ids', () => {
    const back = stu3AppointmentOf('Y90002', r4AppointmentOf('Y90002', stu3)!)
    expect(back).toMatchObject({
      id: '9',
      serviceCategory: { text: 'General GP Appointments' },
      slot: [{ reference: 'Slot/1584' }],
      participant: [{ actor: { reference: 'Patient/9000000009' } }, { actor: { reference: 'Location/17' } }],
      extension: expect.arrayContaining([{ url: CANCELLATION_REASON_URL, valueString: 'Patient recovered' }]),
    })
    expect(back).not.toHaveProperty('cancelationReason')
    expect(back).not.toHaveProperty('meta')
  })

  it.skipIf(!haveExamples)("maps GP Connect's published booking answer (../shared) to valid R4", () => {
    const r4 = r4AppointmentOf('Y90002', example('book_appt_response_example.json'))!
    expect(r4.id).toBe('Y90002.9')
    expect(fhirR4SchemaErrors(r4)).toEqual([])
  })
})

/** A fake practice: answers from `slots`, or as `behaviour` says. */
function fakePractices(
  behaviour: 'normal' | 'silent' | 'failing' | 'taken',
): PracticeAppointments & { calls: string[] } {
  const calls: string[] = []
  const never = (signal: AbortSignal) =>
    new Promise<never>((_, reject) => signal.addEventListener('abort', () => reject(signal.reason)))
  return {
    calls,
    async freeSlots(practice, _window, context) {
      calls.push(`slots ${practice.ods}`)
      if (behaviour === 'silent') {
        await never(context.signal).catch(() => undefined)
        return { kind: 'failed', failure: 'timeout', detail: 'no answer in time' }
      }
      if (behaviour === 'failing') return { kind: 'failed', failure: 'error', detail: 'answered 500' }
      return practiceSlotsOf(practice.ods, searchset, WINDOW, new Date())
    },
    async book(practice, appointment) {
      calls.push(`book ${practice.ods}`)
      if (behaviour === 'taken') return { kind: 'refused', status: 409, code: 'DUPLICATE_REJECTED' }
      const booked = r4AppointmentOf(practice.ods, {
        ...stu3AppointmentOf(practice.ods, appointment),
        id: '9',
        meta: { versionId: '1' },
      })!
      return { kind: 'answered', appointment: booked, version: '1' }
    },
    read: async () => ({ kind: 'refused', status: 404 }),
    update: async () => ({ kind: 'refused', status: 404 }),
    async patientAppointments(practice, nhsNumber, _days, context) {
      calls.push(`appointments ${practice.ods} ${nhsNumber}`)
      if (behaviour === 'silent') {
        await never(context.signal).catch(() => undefined)
        return { kind: 'failed', failure: 'timeout', detail: 'no answer in time' }
      }
      if (behaviour === 'failing') return { kind: 'failed', failure: 'error', detail: 'answered 500' }
      return patientAppointmentsOf(practice.ods, patientAppointmentsAt, '2', nhsNumber)
    },
  }
}

/** A GP Connect "Retrieve a patient's appointments" searchset: one booked by NX001, one by RX9. */
const atPractice = (id: string, start: string, bookingOds: string) => ({
  resourceType: 'Appointment',
  id,
  meta: { versionId: '4', profile: ['https://fhir.nhs.uk/STU3/StructureDefinition/GPConnect-Appointment-1'] },
  contained: [
    {
      resourceType: 'Organization',
      id: '1',
      identifier: [{ system: 'https://fhir.nhs.uk/Id/ods-organization-code', value: bookingOds }],
      name: `Organisation ${bookingOds}`,
    },
  ],
  extension: [{ url: BOOKING_ORGANISATION_URL, valueReference: { reference: '#1' } }],
  status: 'booked',
  description: 'Review',
  start,
  end: start.replace(':00:00', ':10:00'),
  slot: [{ reference: 'Slot/1584' }],
  created: '2027-06-01T09:00:00+01:00',
  participant: [
    { actor: { reference: 'Patient/2' }, status: 'accepted' },
    { actor: { reference: 'Location/17' }, status: 'accepted' },
  ],
})
const patientAppointmentsAt = {
  resourceType: 'Bundle',
  type: 'searchset',
  entry: [
    { fullUrl: 'Appointment/148', resource: atPractice('148', '2027-06-15T10:00:00+01:00', 'NX001') },
    { fullUrl: 'Appointment/149', resource: atPractice('149', '2027-06-15T09:00:00+01:00', 'RX9') },
  ],
}

const emptyBook = {
  publishers: async () => [{ hostOds: 'Y90001', lastEnd: '2099-01-01T00:00:00.000Z' }],
  openSlots: async () => ({ slots: [] }),
  resources: async () => [],
} as unknown as AppointmentBook

describe('searchSlots with a practice on GP Connect', () => {
  const query = {
    status: ['free'],
    start: ['ge2027-06-15'],
    end: ['le2027-06-20'],
    _include: ['Slot:schedule'],
  }

  it('asks the practice beside the slots held here and answers its slots as its own', async () => {
    const practices = fakePractices('normal')
    const bundle = await searchSlots(query, 'https://api.example', {
      book: emptyBook,
      clock: () => new Date(),
      ics,
      practices,
      caller,
    })
    expect(practices.calls).toEqual(['slots Y90002'])
    expect(
      bundle.entry?.map(
        (entry) =>
          `${entry.search?.mode} ${entry.resource.resourceType}/${(entry.resource as unknown as { id: string }).id}`,
      ),
    ).toEqual(['match Slot/Y90002.1584', 'include Schedule/Y90002.14', 'include Organization/Y90002'])
  })

  it('adds an OperationOutcome warning, within the holder timeout, when the practice does not answer', async () => {
    const started = Date.now()
    const bundle = await searchSlots(query, 'https://api.example', {
      book: emptyBook,
      clock: () => new Date(),
      ics,
      practices: fakePractices('silent'),
      caller,
    })
    expect(Date.now() - started).toBeLessThan(2_000)
    expect(bundle.entry).toEqual([
      expect.objectContaining({
        search: { mode: 'outcome' },
        resource: expect.objectContaining({
          resourceType: 'OperationOutcome',
          issue: [expect.objectContaining({ severity: 'warning', code: 'timeout' })],
        }),
      }),
    ])
  })

  it('asks no practice when the search names only organisations held here', async () => {
    const practices = fakePractices('normal')
    await searchSlots({ ...query, organization: ['Y90001'] }, 'https://api.example', {
      book: emptyBook,
      clock: () => new Date(),
      ics,
      practices,
      caller,
    })
    expect(practices.calls).toEqual([])
  })
})

describe('bookAppointment at a practice on GP Connect', () => {
  const patients = directoryFindingAny()
  const appointment = practiceBooking()
  const deps = (practices: PracticeAppointments, published: unknown[]) => ({
    book: {} as AppointmentBook,
    publisher: {
      publish: async (events: unknown[]) => void published.push(...events),
    } as unknown as EventPublisher,
    clock: () => new Date('2027-01-01T00:00:00Z'),
    ics,
    patients,
    practices,
  })

  it('books at the practice and publishes AppointmentBooked naming it as the host', async () => {
    const published: { detailType: string; data: Record<string, unknown> }[] = []
    const answer = await bookAppointment(
      appointment,
      caller,
      { requestId: 'r1', correlationId: 'c1' },
      deps(fakePractices('normal'), published),
    )
    expect(answer.appointment.id).toBe('Y90002.9')
    expect(answer.etag).toBe('W/"1"')
    expect(answer.audit).toEqual([
      { patient: '9000000009', action: 'C', entities: ['Appointment/Y90002.9', 'Slot/Y90002.1584'] },
    ])
    expect(published).toEqual([
      expect.objectContaining({
        detailType: 'AppointmentBooked',
        data: expect.objectContaining({ hostOds: 'Y90002', bookingOds: 'NX001', appointmentId: 'Y90002.9' }),
      }),
    ])
  })

  it('answers 409 DUPLICATE_REJECTED when the practice says the slot is taken, and publishes nothing', async () => {
    const published: unknown[] = []
    const error = await bookAppointment(
      appointment,
      caller,
      { requestId: 'r2', correlationId: 'c2' },
      deps(fakePractices('taken'), published),
    ).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(FhirError)
    expect(error).toMatchObject({ code: 'DUPLICATE_REJECTED', status: 409 })
    expect(published).toEqual([])
  })
})

describe('bookAppointment at a practice on GP Connect, retried after a lost answer', () => {
  const patients = directoryFindingAny()
  const appointment = practiceBooking()
  /** A practice that books the first request but whose answer never arrives, then says 409. */
  function losingPractice(): PracticeAppointments {
    const held: Appointment[] = []
    return {
      ...fakePractices('normal'),
      async book(practice, sent) {
        if (held.length) return { kind: 'refused', status: 409, code: 'DUPLICATE_REJECTED' }
        held.push(
          r4AppointmentOf(practice.ods, {
            ...stu3AppointmentOf(practice.ods, sent),
            id: '9',
            meta: { versionId: '1' },
          })!,
        )
        return { kind: 'failed', failure: 'timeout', detail: 'no answer in time' }
      },
      patientAppointments: async () => ({
        kind: 'answered',
        appointments: held.map((one) => ({ appointment: one, version: '1' })),
      }),
    }
  }
  const deps = (practices: PracticeAppointments, published: unknown[]) => ({
    book: {} as AppointmentBook,
    publisher: {
      publish: async (events: unknown[]) => void published.push(...events),
    } as unknown as EventPublisher,
    clock: () => new Date('2027-01-01T00:00:00Z'),
    ics,
    patients,
    practices,
  })

  it('answers the retry (same X-Request-ID) with the booking its first attempt made, and another request 409', async () => {
    // Prepare: the first attempt times out although the practice booked it
    const practices = losingPractice()
    const published: { detailType: string }[] = []
    const lost = await bookAppointment(
      appointment,
      caller,
      { requestId: 'r1', correlationId: 'c1', headers: { 'x-request-id': 'r1' } },
      deps(practices, published),
    ).catch((e: unknown) => e)
    expect(lost).toMatchObject({ code: 'SERVICE_UNAVAILABLE', status: 504 })
    // Act
    const retry = await bookAppointment(
      appointment,
      caller,
      { requestId: 'r1', correlationId: 'c2', headers: { 'x-request-id': 'r1' } },
      deps(practices, published),
    )
    const another = await bookAppointment(
      appointment,
      caller,
      { requestId: 'r2', correlationId: 'c3', headers: { 'x-request-id': 'r2' } },
      deps(practices, published),
    ).catch((e: unknown) => e)
    // Assess
    expect(retry.appointment.id).toBe('Y90002.9')
    expect(retry.etag).toBe('W/"1"')
    expect(JSON.stringify(retry.appointment)).not.toContain('booking-request')
    expect(published.map((event) => event.detailType)).toEqual(['AppointmentBooked'])
    expect(another).toMatchObject({ code: 'DUPLICATE_REJECTED', status: 409 })
  })
})

describe('bookAppointment at a practice on GP Connect, retried without an X-Request-ID', () => {
  it('answers 409: without a client key a second request is a new request', async () => {
    // Prepare: the first booking's answer is lost, and the practice holds it
    const calls: string[] = []
    let booked = false
    const practices: PracticeAppointments = {
      ...fakePractices('normal'),
      async book() {
        calls.push('book')
        if (booked) return { kind: 'refused', status: 409, code: 'DUPLICATE_REJECTED' }
        booked = true
        return { kind: 'failed', failure: 'timeout', detail: 'no answer in time' }
      },
      async patientAppointments() {
        calls.push('appointments')
        return { kind: 'answered', appointments: [] }
      },
    }
    const deps = {
      book: {} as AppointmentBook,
      publisher: { publish: async () => undefined } as unknown as EventPublisher,
      clock: () => new Date('2027-01-01T00:00:00Z'),
      ics,
      patients: directoryFindingAny(),
      practices,
    }
    const body = practiceBooking()
    const attempt = (requestId: string) =>
      bookAppointment(body, caller, { requestId, correlationId: requestId, headers: {} }, deps).catch(
        (e: unknown) => e,
      )
    // Act
    await attempt('generated-1')
    const second = await attempt('generated-2')
    // Assess
    expect(second).toMatchObject({ code: 'DUPLICATE_REJECTED', status: 409 })
    expect(calls).toEqual(['book', 'book'])
  })
})

describe('practiceError', () => {
  const practice = appointmentPracticeOf('Y90002', ics)!
  it('keeps GP Connect codes, and answers 504 / 502 (never 500) when the practice gives nothing usable', () => {
    expect(
      practiceError({ kind: 'refused', status: 422, code: 'INVALID_RESOURCE' }, practice, ics, 'x'),
    ).toMatchObject({ status: 422, code: 'INVALID_RESOURCE' })
    expect(practiceError({ kind: 'refused', status: 404 }, practice, ics, 'x')).toMatchObject({
      status: 404,
      code: 'NO_RECORD_FOUND',
    })
    expect(
      practiceError({ kind: 'failed', failure: 'timeout', detail: '' }, practice, ics, 'x'),
    ).toMatchObject({ status: 504, code: 'SERVICE_UNAVAILABLE' })
    expect(
      practiceError({ kind: 'failed', failure: 'invalid', detail: 'not FHIR' }, practice, ics, 'x'),
    ).toMatchObject({ status: 502 })
    expect(
      practiceError({ kind: 'refused', status: 403, code: 'ACCESS DENIED' }, practice, ics, 'x'),
    ).toMatchObject({ status: 502 })
  })
  it('only lists practices whose directory entry names Appointment Management', () => {
    expect(appointmentPracticeOf('Y90001', ics)).toBeUndefined()
    expect(appointmentPracticeOf('Y90002', ics)?.asid).toBe('918999190002')
  })
})

describe("patientIdOf and patientAppointmentsOf (GP Connect Find a patient, Retrieve a patient's appointments)", () => {
  it("finds the provider's logical id of the patient with the NHS number, and null when it does not know them", () => {
    const found = {
      resourceType: 'Bundle',
      type: 'searchset',
      entry: [
        {
          resource: {
            resourceType: 'Patient',
            id: '2',
            identifier: [{ system: 'https://fhir.nhs.uk/Id/nhs-number', value: '9000000009' }],
          },
        },
      ],
    }
    expect(patientIdOf(found, '9000000009')).toBe('2')
    expect(patientIdOf({ resourceType: 'Bundle', type: 'searchset' }, '9000000009')).toBeNull()
    expect(patientIdOf(found, '9000000017')).toBeNull()
    expect(patientIdOf({ resourceType: 'OperationOutcome' }, '9000000009')).toMatchObject({
      kind: 'failed',
      failure: 'invalid',
    })
  })

  it('maps the appointments to valid R4 with ICS ids, naming the patient by NHS number, with their versions', () => {
    const answer = patientAppointmentsOf('Y90002', patientAppointmentsAt, '2', '9000000009')
    if (answer.kind !== 'answered') throw new Error('expected appointments')
    expect(answer.appointments.map(({ appointment, version }) => [appointment.id, version])).toEqual([
      ['Y90002.148', '4'],
      ['Y90002.149', '4'],
    ])
    expect(answer.appointments[0]!.appointment).toMatchObject({
      slot: [{ reference: 'Slot/Y90002.1584' }],
      participant: [
        { actor: { reference: 'Patient/9000000009' } },
        { actor: { reference: 'Location/Y90002.17' } },
      ],
    })
    for (const { appointment } of answer.appointments) expect(fhirR4SchemaErrors(appointment)).toEqual([])
    expect(patientAppointmentsOf('Y90002', { resourceType: 'Patient' }, '2', '9000000009')).toMatchObject({
      kind: 'failed',
    })
  })

  it.skipIf(!haveExamples)(
    "maps GP Connect's published Find a patient and Retrieve answers (../shared)",
    () => {
      const found = JSON.parse(
        readFileSync(join(EXAMPLES, '../foundations/find_patient_response_example.json'), 'utf8'),
      ) as unknown
      expect(patientIdOf(found, '9476719931')).toBe('2')
      const answer = patientAppointmentsOf(
        'Y90002',
        example('retrieve_patients_appts_response_example.json'),
        '2',
        '9476719931',
      )
      if (answer.kind !== 'answered') throw new Error('expected appointments')
      expect(answer.appointments.length).toBeGreaterThan(0)
      for (const { appointment } of answer.appointments) {
        expect(appointment.id.startsWith('Y90002.')).toBe(true)
        expect(JSON.stringify(appointment.participant)).toContain('Patient/9476719931')
        expect(fhirR4SchemaErrors(appointment)).toEqual([])
      }
    },
  )
})

describe('searchPatientAppointments with a practice on GP Connect', () => {
  const nhsNumber = '9000000009'
  const patients = directoryFindingAny()
  /** One appointment held here, at Y90001 on 15 June 2027 at 09:30 BST, booked by NX001. */
  const held = {
    slot: {
      id: 'Y90001.gp.202706150830',
      hostOds: 'Y90001',
      scheduleId: 'Y90001.gp',
      start: '2027-06-15T08:30:00.000Z',
      end: '2027-06-15T08:40:00.000Z',
      serviceType: 'General GP Appointment',
      locationId: 'Y90001.surgery',
      status: 'busy',
      bookings: 1,
      version: 2,
      publishedAt: '2027-06-01T00:00:00.000Z',
    },
    booking: {
      n: 1,
      requestId: 'r',
      bookingOrganisation: { ods: 'NX001', name: 'Demo Urgent Care', telephone: '0300 303 5678' },
      nhsNumber,
      restricted: false,
      description: 'Review',
      created: '2027-06-01T00:00:00.000Z',
      lastUpdated: '2027-06-01T00:00:00.000Z',
      version: 1,
      announced: true,
    },
    onSlot: true,
  }
  const deps = (practices: PracticeAppointments) => ({
    book: { appointmentsOf: async () => [held] } as unknown as AppointmentBook,
    publisher: { publish: async () => undefined } as unknown as EventPublisher,
    clock: () => new Date('2027-06-14T12:00:00Z'),
    ics,
    patients,
    practices,
  })
  const query = { start: ['ge2027-06-15', 'le2027-06-16'] }
  /** The patient's appointments as `asCaller` searches them (the booking organisation by default). */
  const search = (
    practices: PracticeAppointments,
    asCaller: Caller = caller,
    dependencies: ReturnType<typeof deps> = deps(practices),
  ) =>
    searchPatientAppointments(
      nhsNumber,
      query,
      'https://api.example',
      asCaller,
      { requestId: 'r', correlationId: 'c' },
      dependencies,
    )
  const hostPractice = { ...caller, organisation: 'Y90002' } as Caller

  it("merges the practice's appointments the caller booked with those held here, in start order", async () => {
    // Prepare
    const practices = fakePractices('normal')
    // Act
    const { bundle, audit } = await search(practices)
    // Assess: RX9's booking at the practice is not NX001's to see
    expect(practices.calls).toEqual([`appointments Y90002 ${nhsNumber}`])
    expect(bundle.total).toBe(2)
    expect(
      bundle.entry?.map(
        (entry) => `${entry.search?.mode} ${(entry.resource as unknown as { id: string }).id}`,
      ),
    ).toEqual(['match Y90001.gp.202706150830.1', 'match Y90002.148'])
    expect(bundle.entry?.[1]?.fullUrl).toBe('https://api.example/Appointment/Y90002.148')
    expect(audit[0]?.entities).toEqual([
      `Patient/${nhsNumber}`,
      'Appointment/Y90001.gp.202706150830.1',
      'Appointment/Y90002.148',
    ])
  })

  it('shows the host practice every appointment it holds for the patient', async () => {
    const { bundle } = await search(fakePractices('normal'), hostPractice)
    expect(bundle.entry?.map((entry) => (entry.resource as unknown as { id: string }).id)).toEqual([
      'Y90002.149',
      'Y90002.148',
    ])
  })

  it('answers what is held here with an OperationOutcome warning, within the holder timeout, when the practice does not answer', async () => {
    // Act
    const started = Date.now()
    const { bundle } = await search(fakePractices('silent'))
    // Assess
    expect(Date.now() - started).toBeLessThan(2_000)
    expect(bundle.total).toBe(1)
    expect(bundle.entry?.map((entry) => entry.search?.mode)).toEqual(['match', 'outcome'])
    expect(bundle.entry?.[1]?.resource).toMatchObject({
      resourceType: 'OperationOutcome',
      issue: [
        {
          severity: 'warning',
          code: 'timeout',
          details: { coding: expect.arrayContaining([expect.objectContaining({ code: 'Y90002' })]) },
        },
      ],
    })
    expect(JSON.stringify(bundle.entry?.[1]?.resource)).not.toContain(nhsNumber)
  })

  it("hides a restricted patient's booking organisation from the host practice", async () => {
    // Prepare
    const restrictedPatients = directoryFindingAny({
      meta: { security: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-Confidentiality', code: 'R' }] },
    })
    // Act
    const practices = fakePractices('normal')
    const { bundle } = await search(practices, hostPractice, {
      ...deps(practices),
      patients: restrictedPatients,
    })
    // Assess
    const fromPractice = bundle.entry?.map((entry) => JSON.stringify(entry.resource)) ?? []
    expect(fromPractice).toHaveLength(2)
    for (const text of fromPractice) {
      expect(text).not.toContain('NX001')
      expect(text).not.toContain('RX9')
    }
  })

  it('warns the same way when the practice fails', async () => {
    const { bundle } = await search(fakePractices('failing'))
    expect(bundle.entry?.map((entry) => entry.search?.mode)).toEqual(['match', 'outcome'])
    expect(bundle.entry?.[1]?.resource).toMatchObject({
      issue: [{ severity: 'warning', code: 'incomplete' }],
    })
  })
})

describe('readSlot at a practice on GP Connect', () => {
  const read = (practices: PracticeAppointments) => ({
    practices,
    ics,
    clock: () => new Date('2027-06-14T12:00:00Z'),
    caller,
    baseUrl: 'https://api.example',
  })

  it("reads the slot from the practice's free slots (GP Connect has no slot read)", async () => {
    // Prepare
    const practices = fakePractices('normal')
    // Act
    const { slot, etag } = await readSlot('Y90002.1584', emptyBook, read(practices))
    // Assess
    expect(practices.calls).toEqual(['slots Y90002'])
    expect(slot).toMatchObject({ resourceType: 'Slot', id: 'Y90002.1584', status: 'free' })
    expect(etag).toMatch(/^W\/"\d+"$/)
    expect(fhirR4SchemaErrors(slot)).toEqual([])
  })

  it('answers 404 NO_RECORD_FOUND for a slot the practice does not offer free', async () => {
    const error = await readSlot('Y90002.9999', emptyBook, read(fakePractices('normal'))).catch(
      (e: unknown) => e,
    )
    expect(error).toMatchObject({ code: 'NO_RECORD_FOUND', status: 404 })
  })

  it('answers 504, within the holder timeout, when the practice does not answer', async () => {
    const error = await readSlot('Y90002.1584', emptyBook, read(fakePractices('silent'))).catch(
      (e: unknown) => e,
    )
    expect(error).toMatchObject({ code: 'SERVICE_UNAVAILABLE', status: 504 })
  })
})

describe('GpConnectAppointments (the GP Connect consumer of Appointment Management)', () => {
  const practice = appointmentPracticeOf('Y90002', ics)!
  const nhsNumber = '9000000009'
  const patient = {
    resourceType: 'Patient',
    id: '2',
    identifier: [{ system: 'https://fhir.nhs.uk/Id/nhs-number', value: nhsNumber }],
  }
  const stored = {
    ...stu3AppointmentOf('Y90002', {
      resourceType: 'Appointment',
      status: 'booked',
      description: 'Follow-up',
      start: '2099-06-15T11:30:00+01:00',
      end: '2099-06-15T11:40:00+01:00',
      slot: [{ reference: 'Slot/Y90002.1584' }],
      participant: [
        { actor: { reference: 'Patient/2' }, status: 'accepted' },
        { actor: { reference: 'Location/Y90002.17' }, status: 'accepted' },
      ],
    }),
    id: '9',
    meta: { versionId: '1' },
  }
  /** A provider answering by interaction id; what it was sent is kept. */
  function provider() {
    const sent: { interaction: string; path: string; body?: unknown }[] = []
    const answers: Record<string, [number, unknown]> = {
      'urn:nhs:names:services:gpconnect:fhir:rest:search:patient-1': [
        200,
        { resourceType: 'Bundle', type: 'searchset', entry: [{ resource: patient }] },
      ],
      'urn:nhs:names:services:gpconnect:fhir:rest:read:patient-1': [200, patient],
      'urn:nhs:names:services:gpconnect:fhir:rest:create:appointment-1': [201, stored],
      'urn:nhs:names:services:gpconnect:fhir:rest:read:appointment-1': [200, stored],
    }
    const transport = async (url: URL, request: { headers: Record<string, string>; body?: string }) => {
      const interaction = request.headers['Ssp-InteractionID']!
      sent.push({
        interaction,
        path: `${url.pathname.replace(/^.*\/gpconnect/, '')}${url.search}`,
        ...(request.body ? { body: JSON.parse(request.body) as unknown } : {}),
      })
      const [status, body] = answers[interaction] ?? [404, { resourceType: 'OperationOutcome' }]
      return { status, body: JSON.stringify(body), headers: { etag: 'W/"1"' } }
    }
    return {
      sent,
      adapter: new GpConnectAppointments({ directory: ics.directory!, ics: 'demo', transport }),
    }
  }
  const context = () => ({
    caller,
    callerOrganisationName: 'Demo Urgent Care',
    consumerBaseUrl: 'https://api.example',
    signal: AbortSignal.timeout(1_000),
  })

  it("books for the practice's own Patient (Find a patient first) and answers naming them by NHS number", async () => {
    // Prepare
    const { sent, adapter } = provider()
    // Act
    const answer = await adapter.book(
      practice,
      {
        resourceType: 'Appointment',
        status: 'booked',
        slot: [{ reference: 'Slot/Y90002.1584' }],
        participant: [{ actor: { reference: `Patient/${nhsNumber}` }, status: 'accepted' }],
      },
      context(),
    )
    // Assess
    expect(sent.map((call) => call.interaction.split(':').at(-1))).toEqual(['patient-1', 'appointment-1'])
    expect(sent[0]!.path).toBe(
      `/Patient?identifier=${encodeURIComponent(`https://fhir.nhs.uk/Id/nhs-number|${nhsNumber}`)}`,
    )
    expect(JSON.stringify(sent[1]!.body)).toContain('"Patient/2"')
    expect(JSON.stringify(sent[1]!.body)).not.toContain(nhsNumber)
    if (answer.kind !== 'answered') throw new Error(JSON.stringify(answer))
    expect(answer.appointment.participant[0]!.actor).toEqual({ reference: `Patient/${nhsNumber}` })
  })

  it('reads an appointment and names its patient by NHS number (Read a patient)', async () => {
    const { sent, adapter } = provider()
    const answer = await adapter.read(practice, 'Y90002.9', context())
    expect(sent.map((call) => call.path)).toEqual(['/Appointment/9', '/Patient/2'])
    if (answer.kind !== 'answered') throw new Error(JSON.stringify(answer))
    expect(answer.appointment.participant[0]!.actor).toEqual({ reference: `Patient/${nhsNumber}` })
  })

  it("retrieves a patient's appointments by the practice's logical id, with dates only", async () => {
    const { sent, adapter } = provider()
    const answer = await adapter.patientAppointments(
      practice,
      nhsNumber,
      { from: '2099-06-15', to: '2099-06-16' },
      context(),
    )
    expect(sent.map((call) => call.path)).toEqual([
      `/Patient?identifier=${encodeURIComponent(`https://fhir.nhs.uk/Id/nhs-number|${nhsNumber}`)}`,
      '/Patient/2/Appointment?start=ge2099-06-15&start=le2099-06-16',
    ])
    // The provider's 404 to the retrieval is a refusal, kept as it said
    expect(answer).toMatchObject({ kind: 'refused', status: 404 })
  })

  it('answers PATIENT_NOT_FOUND, without booking, for a patient the practice does not know', async () => {
    const { sent, adapter } = provider()
    const answer = await adapter.book(
      practice,
      { resourceType: 'Appointment', participant: [{ actor: { reference: 'Patient/9000000017' } }] },
      context(),
    )
    expect(answer).toEqual({ kind: 'refused', status: 404, code: 'PATIENT_NOT_FOUND' })
    expect(sent.map((call) => call.interaction.split(':').at(-1))).toEqual(['patient-1'])
  })
})
