import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { addDays, ukDate, ukWallClock } from '../../functions/shared/time'
import { NHS_NUMBER_SYSTEM } from '../../schemas/fhir/identifiers'
import { bookingRequest, DEMO_BOOKER } from '../../scripts/seed/bookingRequest'
import { DEMO_PATIENTS, testRangeNhsNumbers } from '../../scripts/seed/demoPatients'
import { bootStack, eventually, type RunningStack } from './harness'

// The GP Connect pass-through against the sandbox provider (issue 11 item 5): the demo
// directory says Demo Surgery South (Y90002) speaks GP Connect Appointment Management, so its
// slots come from its sandbox provider and its appointments are booked, read, amended and
// cancelled there, with the same answers and codes as slots held in the stack.

/** The demo ICS's holder timeout (infra/ics/demo.json). */
const HOLDER_TIMEOUT_MS = 2000
const PRACTICE = 'Y90002'

interface Resource {
  resourceType: string
  id: string
  [key: string]: unknown
}
interface SearchBundle {
  resourceType: 'Bundle'
  entry?: { search: { mode: string }; resource: Resource }[]
}
interface Slot extends Resource {
  start: string
  end: string
  schedule: { reference: string }
}
interface Appointment extends Resource {
  status: string
  meta: { versionId: string }
  description: string
  comment?: string
  start: string
  end: string
  slot: { reference: string }[]
  contained?: Resource[]
  cancelationReason?: { text: string }
  participant: { actor: { reference: string } }[]
}

let running: RunningStack
let booker: string
let practice: string
let stranger: string
const pool: Slot[] = []
const locationOf = new Map<string, string>()
const [indexedPatient, patientB, patientC, patientD, patientE] = testRangeNhsNumbers(100).slice(41, 46) as [
  string,
  string,
  string,
  string,
  string,
]
const today = () => ukDate(new Date())

const codeOf = (body: unknown) =>
  (body as { issue?: { details?: { coding?: { code?: string }[] } }[] }).issue?.[0]?.details?.coding?.[0]
    ?.code

async function searchSlots(query: string, token = booker) {
  const started = Date.now()
  const response = await running.request(`/Slot?${query}`, { token })
  return { status: response.status, body: (await response.json()) as SearchBundle, ms: Date.now() - started }
}

async function behave(behaviour: Record<string, unknown> | undefined) {
  const response = await fetch(`${running.baseUrl}/_local/sandbox/gpconnect/${PRACTICE}/behaviour`, {
    method: behaviour ? 'PUT' : 'DELETE',
    headers: { 'Content-Type': 'application/json' },
    ...(behaviour ? { body: JSON.stringify(behaviour) } : {}),
  })
  expect(response.status).toBe(200)
}

function takeSlot(): Slot {
  const slot = pool.shift()
  if (!slot) throw new Error('the sandbox fortnight ran out of free slots for this test file')
  return slot
}

function appointmentFor(slot: Slot, patient: string = DEMO_PATIENTS.registered, bookingOds = 'NX001') {
  return bookingRequest({
    slot,
    patient,
    places: [`Location/${locationOf.get(slot.schedule.reference)}`],
    bookedBy: { ods: bookingOds, name: `Organisation ${bookingOds}`, telephone: DEMO_BOOKER.telephone },
    description: 'Follow-up after urgent care visit',
  })
}

async function book(body: unknown, token = booker, requestId?: string) {
  const started = Date.now()
  const response = await running.request('/Appointment', {
    method: 'POST',
    token,
    headers: {
      'Content-Type': 'application/fhir+json',
      ...(requestId ? { 'X-Request-ID': requestId } : {}),
    },
    body: JSON.stringify(body),
  })
  return {
    status: response.status,
    headers: response.headers,
    body: (await response.json()) as Appointment,
    ms: Date.now() - started,
  }
}

async function read(id: string, token = booker) {
  const response = await running.request(`/Appointment/${id}`, { token })
  return { status: response.status, headers: response.headers, body: (await response.json()) as Appointment }
}

async function put(id: string, body: unknown, ifMatch: string | undefined, token = booker) {
  const response = await running.request(`/Appointment/${id}`, {
    method: 'PUT',
    token,
    headers: { 'Content-Type': 'application/fhir+json', ...(ifMatch ? { 'If-Match': ifMatch } : {}) },
    body: JSON.stringify(body),
  })
  return { status: response.status, headers: response.headers, body: (await response.json()) as Appointment }
}

/** What the sandbox provider saw of the stack's GP Connect calls. */
async function seenByPractice() {
  const response = await fetch(`${running.baseUrl}/_local/sandbox/gpconnect/${PRACTICE}/requests`)
  return (await response.json()) as {
    method: string
    path: string
    headers: Record<string, string>
    body?: unknown
  }[]
}

beforeAll(async () => {
  running = await bootStack({ requestsPerMinute: 1_000_000 })
  ;[booker, practice, stranger] = await Promise.all([
    running.token('NX001', 'appointment.read appointment.write'),
    running.token(PRACTICE, 'appointment.read appointment.write'),
    running.token('RX9', 'appointment.read appointment.write'),
  ])
  const { body } = await searchSlots(
    `status=free&start=ge${today()}&end=le${addDays(today(), 14)}&organization=${PRACTICE}&_include=Slot:schedule&_include:recurse=Schedule:actor:Location`,
  )
  const tomorrow = ukWallClock(addDays(today(), 1)).getTime()
  for (const entry of body.entry ?? []) {
    const resource = entry.resource
    if (resource.resourceType === 'Schedule') {
      const actors = resource.actor as { reference: string }[]
      const location = actors.find((actor) => actor.reference.startsWith('Location/'))!.reference
      locationOf.set(`Schedule/${resource.id}`, location.slice('Location/'.length))
    }
    if (resource.resourceType === 'Slot' && Date.parse((resource as Slot).start) >= tomorrow)
      pool.push(resource as Slot)
  }
}, 120_000)
afterAll(() => running?.stop())
afterEach(() => behave(undefined))

describe('GET /Slot with a practice on GP Connect Appointment Management', () => {
  it("finds the practice's free slots from its GP Connect provider beside the slots held in the stack", async () => {
    // Act
    const { status, body } = await searchSlots(
      `status=free&start=ge${today()}&end=le${addDays(today(), 7)}&_include=Slot:schedule` +
        '&_include:recurse=Schedule:actor:Practitioner&_include:recurse=Schedule:actor:Location',
    )
    // Assess: both practices' slots, merged in start order, mapped to R4 with the ICS's ids
    expect(status).toBe(200)
    const slots = (body.entry ?? [])
      .filter((entry) => entry.search.mode === 'match')
      .map((entry) => entry.resource as Slot)
    expect(new Set(slots.map((slot) => slot.id.split('.')[0]))).toEqual(new Set(['Y90001', PRACTICE]))
    const starts = slots.map((slot) => Date.parse(slot.start))
    expect(starts).toEqual([...starts].sort((a, b) => a - b))
    const included = (body.entry ?? [])
      .filter((entry) => entry.search.mode === 'include')
      .map((entry) => entry.resource)
    expect(included.map((resource) => `${resource.resourceType}/${resource.id}`)).toEqual(
      expect.arrayContaining([
        `Schedule/${PRACTICE}.gp`,
        `Location/${PRACTICE}.surgery`,
        `Practitioner/${PRACTICE}.gp`,
        `Organization/${PRACTICE}`,
      ]),
    )
    // …asked as a GP Connect consumer asks: Ssp-* headers and the search interaction
    const call = (await seenByPractice()).findLast((request) => request.path === '/Slot')!
    expect(call.headers['ssp-interactionid']).toBe('urn:nhs:names:services:gpconnect:fhir:rest:search:slot-1')
    expect(call.headers['ssp-to']).toBe('918999190002')
    expect(call.headers.authorization).toMatch(/^Bearer .+\..+\.$/)
  })

  it('answers the other slots with an OperationOutcome warning when the practice does not answer in time', async () => {
    // Prepare
    await behave({ mode: 'slow', delayMs: 10_000 })
    // Act
    const { status, body, ms } = await searchSlots(
      `status=free&start=ge${today()}&end=le${addDays(today(), 3)}`,
    )
    // Assess
    expect(status).toBe(200)
    expect(ms).toBeLessThan(HOLDER_TIMEOUT_MS + 1_500)
    const outcome = (body.entry ?? []).find((entry) => entry.search.mode === 'outcome')?.resource
    expect(outcome).toMatchObject({
      resourceType: 'OperationOutcome',
      issue: [
        {
          severity: 'warning',
          code: 'timeout',
          details: { coding: expect.arrayContaining([expect.objectContaining({ code: PRACTICE })]) },
        },
      ],
    })
    const matched = (body.entry ?? []).filter((entry) => entry.search.mode === 'match')
    expect(matched.every((entry) => entry.resource.id.startsWith('Y90001.'))).toBe(true)
  })

  it('warns, and answers 200, when the practice fails', async () => {
    await behave({ mode: 'failing' })
    const { status, body } = await searchSlots(
      `status=free&start=ge${today()}&end=le${addDays(today(), 3)}&organization=${PRACTICE}`,
    )
    expect(status).toBe(200)
    expect(body.entry?.map((entry) => entry.search.mode)).toEqual(['outcome'])
  })
})

describe('Booking, reading, amending and cancelling at a practice on GP Connect', () => {
  it('books, reads, amends and cancels through the practice, with the same answers as slots held here', async () => {
    // Book
    const slot = takeSlot()
    const booked = await book(appointmentFor(slot))
    expect(booked.status, JSON.stringify(booked.body)).toBe(201)
    expect(booked.headers.get('etag')).toBe('W/"1"')
    expect(booked.headers.get('location')).toBe(`${running.baseUrl}/Appointment/${booked.body.id}`)
    expect(booked.body.id.startsWith(`${PRACTICE}.`)).toBe(true)
    expect(booked.body).toMatchObject({
      status: 'booked',
      slot: [{ reference: `Slot/${slot.id}` }],
      start: slot.start,
    })
    // The slot is no longer offered
    const after = await searchSlots(
      `status=free&start=ge${today()}&end=le${addDays(today(), 14)}&organization=${PRACTICE}`,
    )
    expect(after.body.entry?.map((entry) => entry.resource.id)).not.toContain(slot.id)

    // Read, by the booker and by the host practice; not by another organisation
    const asBooker = await read(booked.body.id)
    expect(asBooker.status).toBe(200)
    expect(asBooker.body.description).toBe('Follow-up after urgent care visit')
    expect((await read(booked.body.id, practice)).status).toBe(200)
    expect((await read(booked.body.id, stranger)).status).toBe(403)

    // Amend: If-Match required, stale refused, only description and comment
    const amended = { ...asBooker.body, comment: 'Bring the discharge letter' }
    expect((await put(booked.body.id, amended, undefined)).status).toBe(412)
    const moved = await put(booked.body.id, { ...amended, start: slot.end }, 'W/"1"')
    expect(moved.status).toBe(422)
    expect(codeOf(moved.body)).toBe('INVALID_RESOURCE')
    const ok = await put(booked.body.id, amended, 'W/"1"')
    expect(ok.status, JSON.stringify(ok.body)).toBe(200)
    expect(ok.headers.get('etag')).toBe('W/"2"')
    expect(ok.body.comment).toBe('Bring the discharge letter')
    const stale = await put(booked.body.id, amended, 'W/"1"')
    expect(stale.status).toBe(409)
    expect(codeOf(stale.body)).toBe('FHIR_CONSTRAINT_VIOLATION')

    // Cancel: the slot is free again at the practice
    const cancelled = await put(
      booked.body.id,
      { ...ok.body, status: 'cancelled', cancelationReason: { text: 'Patient recovered' } },
      'W/"2"',
    )
    expect(cancelled.status, JSON.stringify(cancelled.body)).toBe(200)
    expect(cancelled.body).toMatchObject({
      status: 'cancelled',
      cancelationReason: { text: 'Patient recovered' },
    })
    const again = await searchSlots(
      `status=free&start=ge${today()}&end=le${addDays(today(), 14)}&organization=${PRACTICE}`,
    )
    expect(again.body.entry?.map((entry) => entry.resource.id)).toContain(slot.id)
    // Every call went to the practice under its own interaction id
    const interactions = (await seenByPractice()).map((request) => request.headers['ssp-interactionid'])
    expect(interactions).toEqual(
      expect.arrayContaining([
        'urn:nhs:names:services:gpconnect:fhir:rest:create:appointment-1',
        'urn:nhs:names:services:gpconnect:fhir:rest:read:appointment-1',
        'urn:nhs:names:services:gpconnect:fhir:rest:update:appointment-1',
        'urn:nhs:names:services:gpconnect:fhir:rest:cancel:appointment-1',
      ]),
    )
  })

  it('answers 409 DUPLICATE_REJECTED for a slot already taken at the practice', async () => {
    const slot = takeSlot()
    expect((await book(appointmentFor(slot, patientB))).status).toBe(201)
    const second = await book(appointmentFor(slot, patientC))
    expect(second.status).toBe(409)
    expect(codeOf(second.body)).toBe('DUPLICATE_REJECTED')
  })

  it('answers 404 for an appointment the practice does not hold', async () => {
    const { status, body } = await read(`${PRACTICE}.appt-999999`)
    expect(status).toBe(404)
    expect(codeOf(body)).toBe('NO_RECORD_FOUND')
  })

  it('publishes AppointmentBooked, so the index lists the practice as a holder, and audits the booking', async () => {
    const { status, body } = await book(appointmentFor(takeSlot(), indexedPatient))
    expect(status).toBe(201)
    const pointer = await eventually(async () => {
      const bundle = (await (
        await running.request(
          `/DocumentReference?subject:identifier=${NHS_NUMBER_SYSTEM}|${indexedPatient}`,
          {
            token: await running.token('NX001', 'record.read'),
          },
        )
      ).json()) as SearchBundle
      return bundle.entry?.find(
        (entry) =>
          (entry.resource.type as { coding: { code: string }[] }).coding[0]!.code === '749001000000101',
      )?.resource
    })
    expect(pointer).toMatchObject({ custodian: { identifier: { value: PRACTICE } } })
    const audit = (await (
      await running.request(`/AuditEvent?patient=${indexedPatient}`, {
        token: await running.token('NX001', 'audit.read'),
      })
    ).json()) as SearchBundle
    expect(JSON.stringify(audit)).toContain(`Appointment/${body.id}`)
  })

  it('answers a clear 504 within the timeout when the practice does not answer a booking', async () => {
    await behave({ mode: 'slow', delayMs: 10_000 })
    const { status, body, ms } = await book(appointmentFor(takeSlot(), patientC))
    expect(status).toBe(504)
    expect(codeOf(body)).toBe('SERVICE_UNAVAILABLE')
    expect(ms).toBeLessThan(HOLDER_TIMEOUT_MS + 1_500)
  })

  it('answers 502, never a 500, when the practice fails a booking', async () => {
    await behave({ mode: 'garbage' })
    const { status, body } = await book(appointmentFor(takeSlot(), patientC))
    expect(status).toBe(502)
    expect(codeOf(body)).toBe('SERVICE_UNAVAILABLE')
  })

  it("shows a restricted patient's booking organisation to the booker only", async () => {
    // Prepare: the restricted patient's own practice books them at Y90002 (hides nothing from itself)
    const slot = takeSlot()
    const bookerToken = await running.token('Y90001', 'appointment.read appointment.write')
    const booked = await book(appointmentFor(slot, DEMO_PATIENTS.restricted, 'Y90001'), bookerToken)
    expect(booked.status, JSON.stringify(booked.body)).toBe(201)
    // Act
    const asHost = await read(booked.body.id, practice)
    // Assess
    expect(asHost.status).toBe(200)
    expect(JSON.stringify(asHost.body)).not.toContain('Y90001')
    expect((await read(booked.body.id, bookerToken)).body.contained?.[0]).toMatchObject({
      identifier: [{ value: 'Y90001' }],
    })
  })
})

describe("GET /Patient/{nhs}/Appointment with a practice on GP Connect (Retrieve a patient's appointments)", () => {
  /** Free slots held in the stack at Demo Surgery North (Y90001), from tomorrow on. */
  const heldPool: Slot[] = []
  const range = () => `start=ge${today()}&start=le${addDays(today(), 14)}`
  const patientAppointments = async (nhsNumber: string, token = booker) => {
    const started = Date.now()
    const response = await running.request(`/Patient/${nhsNumber}/Appointment?${range()}`, { token })
    return {
      status: response.status,
      body: (await response.json()) as SearchBundle,
      ms: Date.now() - started,
    }
  }
  const matched = (body: SearchBundle) =>
    (body.entry ?? [])
      .filter((entry) => entry.search.mode === 'match')
      .map((entry) => entry.resource as Appointment)

  beforeAll(async () => {
    const { body } = await searchSlots(
      `status=free&start=ge${today()}&end=le${addDays(today(), 14)}&organization=Y90001&_include=Slot:schedule&_include:recurse=Schedule:actor:Location`,
    )
    const tomorrow = ukWallClock(addDays(today(), 1)).getTime()
    for (const entry of body.entry ?? []) {
      const resource = entry.resource
      if (resource.resourceType === 'Schedule') {
        const actors = resource.actor as { reference: string }[]
        const location = actors.find((actor) => actor.reference.startsWith('Location/'))!.reference
        locationOf.set(`Schedule/${resource.id}`, location.slice('Location/'.length))
      }
      if (resource.resourceType === 'Slot' && Date.parse((resource as Slot).start) >= tomorrow)
        heldPool.push(resource as Slot)
    }
  }, 60_000)

  it("merges the patient's appointments at the practice with those held here, in start order, as each caller may see them", async () => {
    // Prepare: NX001 books the patient at the practice and at Y90001; RX9 books them at the practice too
    const atPractice = await book(appointmentFor(takeSlot(), patientD))
    const held = await book(appointmentFor(heldPool.shift()!, patientD))
    const byStranger = await book(appointmentFor(takeSlot(), patientD, 'RX9'), stranger)
    for (const booked of [atPractice, held, byStranger])
      expect(booked.status, JSON.stringify(booked.body)).toBe(201)

    // Act
    const asBooker = await patientAppointments(patientD)

    // Assess: NX001 sees what it booked, both places, in start order; not RX9's booking
    expect(asBooker.status).toBe(200)
    const ids = matched(asBooker.body).map((appointment) => appointment.id)
    expect(new Set(ids)).toEqual(new Set([atPractice.body.id, held.body.id]))
    const starts = matched(asBooker.body).map((appointment) => Date.parse(appointment.start))
    expect(starts).toEqual([...starts].sort((a, b) => a - b))
    const fromPractice = matched(asBooker.body).find((appointment) => appointment.id === atPractice.body.id)!
    expect(fromPractice).toMatchObject({
      status: 'booked',
      slot: atPractice.body.slot,
      start: atPractice.body.start,
    })
    expect(fromPractice.participant.map((participant) => participant.actor.reference)).toContain(
      `Patient/${patientD}`,
    )
    // The practice sees every appointment it hosts, and not Y90001's; RX9 only its own
    expect(new Set(matched((await patientAppointments(patientD, practice)).body).map((a) => a.id))).toEqual(
      new Set([atPractice.body.id, byStranger.body.id]),
    )
    expect(matched((await patientAppointments(patientD, stranger)).body).map((a) => a.id)).toEqual([
      byStranger.body.id,
    ])
    // Asked as GP Connect says: Find a patient by NHS number, then the appointments of its logical id
    const calls = await seenByPractice()
    const find = calls.findLast((call) => call.path === '/Patient')!
    expect(find.headers['ssp-interactionid']).toBe(
      'urn:nhs:names:services:gpconnect:fhir:rest:search:patient-1',
    )
    const retrieve = calls.findLast((call) => /^\/Patient\/[^/]+\/Appointment$/.test(call.path))!
    expect(retrieve.headers['ssp-interactionid']).toBe(
      'urn:nhs:names:services:gpconnect:fhir:rest:search:patient_appointments-1',
    )
    expect(retrieve.path).not.toContain(patientD)
  })

  it('answers 200 with the appointments held here and an OperationOutcome warning when the practice does not answer in time', async () => {
    // Prepare
    const held = await book(appointmentFor(heldPool.shift()!, patientE))
    expect(held.status).toBe(201)
    await behave({ mode: 'slow', delayMs: 10_000 })
    // Act
    const { status, body, ms } = await patientAppointments(patientE)
    // Assess
    expect(status).toBe(200)
    expect(ms).toBeLessThan(HOLDER_TIMEOUT_MS + 1_500)
    expect(matched(body).map((appointment) => appointment.id)).toEqual([held.body.id])
    const outcome = (body.entry ?? []).find((entry) => entry.search.mode === 'outcome')?.resource
    expect(outcome).toMatchObject({
      resourceType: 'OperationOutcome',
      issue: [
        {
          severity: 'warning',
          code: 'timeout',
          details: { coding: expect.arrayContaining([expect.objectContaining({ code: PRACTICE })]) },
        },
      ],
    })
    expect(JSON.stringify(outcome)).not.toContain(patientE)
  })

  it('warns, and answers 200, when the practice fails', async () => {
    await behave({ mode: 'failing' })
    const { status, body } = await patientAppointments(patientE)
    expect(status).toBe(200)
    expect((body.entry ?? []).map((entry) => entry.search.mode)).toEqual(['match', 'outcome'])
  })
})

describe('Retries and slot reads at a practice on GP Connect', () => {
  it('replays the original 201 for a retried booking (same X-Request-ID) without asking the practice again', async () => {
    // Prepare
    const body = appointmentFor(takeSlot(), patientE)
    const requestId = crypto.randomUUID()
    // The practice's bookings of this request (each carries the request's key as an identifier)
    const creates = async () =>
      (await seenByPractice()).filter(
        (call) =>
          call.headers['ssp-interactionid'] ===
            'urn:nhs:names:services:gpconnect:fhir:rest:create:appointment-1' &&
          JSON.stringify(call.body).includes(requestId),
      ).length
    // Act
    const first = await book(body, booker, requestId)
    const retry = await book(body, booker, requestId)
    // Assess
    expect(first.status, JSON.stringify(first.body)).toBe(201)
    expect(retry.status, JSON.stringify(retry.body)).toBe(201)
    expect(retry.body.id).toBe(first.body.id)
    expect(retry.headers.get('etag')).toBe(first.headers.get('etag'))
    expect(retry.headers.get('location')).toBe(first.headers.get('location'))
    expect(await creates()).toBe(1)
    // …booked for the practice's own Patient (GP Connect Find a patient), not an NHS number
    const create = (await seenByPractice()).findLast((call) => JSON.stringify(call.body).includes(requestId))!
    const patientRef = (create.body as { participant: { actor: { reference: string } }[] }).participant[0]!
      .actor.reference
    expect(patientRef).toMatch(/^Patient\//)
    expect(patientRef).not.toBe(`Patient/${patientE}`)
  })

  it('answers a retry of a booking whose answer was lost (the practice booked it after the timeout) with that booking, not 409', async () => {
    // Prepare: the practice answers too late, and books once the stack has given up
    const slot = takeSlot()
    const body = appointmentFor(slot, patientE)
    const requestId = crypto.randomUUID()
    await behave({
      mode: 'slow',
      delayMs: 10_000,
      interaction: 'urn:nhs:names:services:gpconnect:fhir:rest:create:appointment-1',
    })
    const lost = await book(body, booker, requestId)
    expect(lost.status).toBe(504)
    await behave(undefined)
    const taken = async () =>
      (
        await searchSlots(
          `status=free&start=ge${today()}&end=le${addDays(today(), 14)}&organization=${PRACTICE}`,
        )
      ).body.entry?.some((entry) => entry.resource.id === slot.id)
        ? undefined
        : true
    await eventually(taken)
    // Act
    const retry = await book(body, booker, requestId)
    const another = await book(appointmentFor(slot, patientE), booker, crypto.randomUUID())
    // Assess: the retry gets the booking its first attempt made; another request still 409
    expect(retry.status, JSON.stringify(retry.body)).toBe(201)
    expect(retry.body).toMatchObject({ status: 'booked', slot: [{ reference: `Slot/${slot.id}` }] })
    expect(retry.headers.get('location')).toBe(`${running.baseUrl}/Appointment/${retry.body.id}`)
    expect(another.status).toBe(409)
    expect(codeOf(another.body)).toBe('DUPLICATE_REJECTED')
    // The request's key stays between the stack and the practice
    expect(JSON.stringify(retry.body)).not.toContain(requestId)
    expect(JSON.stringify((await read(retry.body.id, practice)).body)).not.toContain(requestId)
  })

  it('reads a free slot at the practice with GET /Slot/{id}, and answers 404 once it is booked', async () => {
    // Prepare
    const slot = takeSlot()
    // Act
    const response = await running.request(`/Slot/${slot.id}`, { token: booker })
    // Assess
    expect(response.status).toBe(200)
    expect(response.headers.get('etag')).toMatch(/^W\/"\d+"$/)
    expect(await response.json()).toMatchObject({
      resourceType: 'Slot',
      id: slot.id,
      status: 'free',
      start: slot.start,
    })
    expect((await book(appointmentFor(slot, patientE))).status).toBe(201)
    const gone = await running.request(`/Slot/${slot.id}`, { token: booker })
    expect(gone.status).toBe(404)
    expect(codeOf(await gone.json())).toBe('NO_RECORD_FOUND')
  })
})
