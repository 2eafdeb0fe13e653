import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { addDays, ukDate, ukDateTime, ukOffsetMinutes, ukWallClock } from '../../functions/shared/time'
import { NHS_NUMBER_SYSTEM } from '../../schemas/fhir/identifiers'
import { bookingRequest, DEMO_BOOKER } from '../../scripts/seed/bookingRequest'
import { DEMO_PATIENTS, testRangeNhsNumbers } from '../../scripts/seed/demoPatients'
import { fhirR4SchemaErrors } from '../support/fhir-schema'
import { bootStack, eventually, type RunningStack } from './harness'

// Appointments over HTTP against the seeded local stack (issue 11): publishing, slot search
// under GP Connect's rules, booking, reading, amending, cancelling, a patient's
// appointments, who may see what, the 100-way race and concurrent retries.

interface Resource {
  resourceType: string
  id: string
  [key: string]: unknown
}
interface SearchBundle {
  resourceType: 'Bundle'
  type: string
  total?: number
  entry?: { fullUrl: string; search: { mode: string }; resource: Resource }[]
  link: { relation: string; url: string }[]
}
interface SlotResource extends Resource {
  start: string
  end: string
  status: string
  schedule: { reference: string }
}
interface Appointment extends Resource {
  status: string
  meta: { versionId: string }
  description: string
  comment?: string
  start: string
  end: string
  contained?: Resource[]
  participant: { actor: { reference: string } }[]
}

let running: RunningStack
/** NX001 (Demo Urgent Care), the partner app: books and reads. */
let booker: string
/** Y90001 (Demo Surgery North): publishes slots and hosts appointments. */
let host: string
/** Y90002 (Demo Surgery South), the restricted patient's practice. */
let otherPractice: string
/** RX9: a member with no part in the appointments it tries to see. */
let stranger: string
/** Free demo slots of Y90001, each test takes its own. */
const pool: SlotResource[] = []
const locationOf = new Map<string, string>()

const today = () => ukDate(new Date())
/** Seeded patients of the 999 range that no other test file books for. */
const [indexedPatient, listedPatient, racerA, racerB] = testRangeNhsNumbers(100).slice(-4)
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

async function json<T>(response: Response): Promise<T> {
  return (await response.json()) as T
}

function codeOf(body: unknown): string | undefined {
  return (body as { issue?: { details?: { coding?: { code?: string }[] } }[] }).issue?.[0]?.details
    ?.coding?.[0]?.code
}

async function searchSlots(query: string, token = booker) {
  const response = await running.request(`/Slot?${query}`, { token })
  return { status: response.status, body: await json<SearchBundle>(response) }
}

function takeSlot(): SlotResource {
  const slot = pool.shift()
  if (!slot) throw new Error('the demo fortnight ran out of free slots for this test file')
  return slot
}

function appointmentFor(
  slot: SlotResource,
  options: { patient?: string; bookingOds?: string; description?: string; comment?: string } = {},
) {
  const bookingOds = options.bookingOds ?? 'NX001'
  return {
    ...bookingRequest({
      slot,
      patient: options.patient ?? DEMO_PATIENTS.registered,
      places: [`Location/${locationOf.get(slot.schedule.reference)}`],
      bookedBy: { ods: bookingOds, name: `Organisation ${bookingOds}`, telephone: DEMO_BOOKER.telephone },
      description: options.description ?? 'Follow-up after urgent care visit',
      ...(options.comment !== undefined ? { comment: options.comment } : {}),
    }),
    created: ukDateTime(new Date()),
  }
}

async function book(body: unknown, options: { token?: string; requestId?: string } = {}) {
  const response = await running.request('/Appointment', {
    method: 'POST',
    token: options.token ?? booker,
    headers: {
      'Content-Type': 'application/fhir+json',
      ...(options.requestId ? { 'X-Request-ID': options.requestId } : {}),
    },
    body: JSON.stringify(body),
  })
  return { status: response.status, headers: response.headers, body: await json<Appointment>(response) }
}

async function put(id: string, body: unknown, ifMatch: string | undefined, token = booker) {
  const response = await running.request(`/Appointment/${id}`, {
    method: 'PUT',
    token,
    headers: { 'Content-Type': 'application/fhir+json', ...(ifMatch ? { 'If-Match': ifMatch } : {}) },
    body: JSON.stringify(body),
  })
  return { status: response.status, headers: response.headers, body: await json<Appointment>(response) }
}

async function read(id: string, token = booker) {
  const response = await running.request(`/Appointment/${id}`, { token })
  return { status: response.status, headers: response.headers, body: await json<Appointment>(response) }
}

/** The last Sunday of a month (the UK clocks change at 01:00 UTC on it), the next one from now. */
function nextChangeDay(month: 3 | 10): string {
  const now = new Date()
  for (let year = now.getUTCFullYear(); ; year++) {
    const last = new Date(Date.UTC(year, month, 0))
    const sunday = new Date(last.getTime() - last.getUTCDay() * 86_400_000)
    if (sunday.getTime() > now.getTime() + 86_400_000) return sunday.toISOString().slice(0, 10)
  }
}

beforeAll(async () => {
  // Compile HL7's schema first: seconds of CPU that would otherwise stall requests mid-file.
  fhirR4SchemaErrors({ resourceType: 'Basic', code: { text: 'warm-up' } })
  running = await bootStack({ requestsPerMinute: 1_000_000 })
  ;[booker, host, otherPractice, stranger] = await Promise.all([
    running.token('NX001', 'appointment.read appointment.write record.read'),
    running.token('Y90001', 'appointment.read appointment.write slot.write'),
    running.token('Y90002', 'appointment.read appointment.write slot.write'),
    running.token('RX9', 'appointment.read appointment.write'),
  ])
  const { body } = await searchSlots(
    `status=free&start=ge${today()}&end=le${addDays(today(), 14)}&organization=Y90001&_include=Slot:schedule`,
  )
  for (const entry of body.entry ?? []) {
    if (entry.resource.resourceType === 'Schedule') {
      const actors = entry.resource.actor as { reference: string }[]
      const location = actors.find((actor) => actor.reference.startsWith('Location/'))!.reference
      locationOf.set(`Schedule/${entry.resource.id}`, location.slice('Location/'.length))
    }
  }
  // Slots a day ahead at least, so none passes into the past while the file runs.
  const tomorrow = ukWallClock(addDays(today(), 1)).getTime()
  for (const entry of body.entry ?? []) {
    if (
      entry.resource.resourceType === 'Slot' &&
      Date.parse((entry.resource as SlotResource).start) >= tomorrow
    )
      pool.push(entry.resource as SlotResource)
  }
}, 60_000)
afterAll(() => running?.stop())

describe('GET /Slot (GP Connect Search for free slots)', () => {
  it('finds the demo practices’ free slots in start order, each time in UK local time with its offset', async () => {
    // Act
    const { status, body } = await searchSlots(
      `status=free&start=ge${today()}&end=le${addDays(today(), 14)}&_include=Slot:schedule` +
        '&_include:recurse=Schedule:actor:Practitioner&_include:recurse=Schedule:actor:Location',
    )
    // Assess
    expect(status).toBe(200)
    expect(body).toMatchObject({ resourceType: 'Bundle', type: 'searchset' })
    const slots = (body.entry ?? [])
      .filter((entry) => entry.search.mode === 'match')
      .map((entry) => entry.resource as SlotResource)
    expect(slots.length).toBeGreaterThan(50)
    expect(new Set(slots.map((slot) => slot.id.split('.')[0]))).toEqual(new Set(['Y90001', 'Y90002']))
    const starts = slots.map((slot) => Date.parse(slot.start))
    expect(starts).toEqual([...starts].sort((a, b) => a - b))
    for (const slot of slots) {
      expect(slot.status).toBe('free')
      const expected = ukOffsetMinutes(new Date(slot.start)) === 60 ? '+01:00' : '+00:00'
      expect(slot.start.endsWith(expected), slot.start).toBe(true)
      expect(slot.start).not.toMatch(/Z$/)
    }
    const included = (body.entry ?? [])
      .filter((entry) => entry.search.mode === 'include')
      .map((entry) => entry.resource)
    expect(included.map((resource) => `${resource.resourceType}/${resource.id}`).sort()).toEqual([
      'Location/Y90001.surgery',
      'Location/Y90002.surgery',
      'Organization/Y90001',
      'Organization/Y90002',
      'Practitioner/Y90001.gp',
      'Practitioner/Y90002.gp',
      'Schedule/Y90001.gp',
      'Schedule/Y90001.nurse',
      'Schedule/Y90002.gp',
      'Schedule/Y90002.nurse',
    ])
    const sample = [
      ...(body.entry ?? []).slice(0, 3),
      ...(body.entry ?? []).filter((entry) => entry.search.mode === 'include'),
    ]
    expect(fhirR4SchemaErrors({ ...body, entry: sample })).toEqual([])
  })

  it('refuses a window over 14 days with 422 INVALID_PARAMETER', async () => {
    const { status, body } = await searchSlots(`status=free&start=ge${today()}&end=le${addDays(today(), 15)}`)
    expect(status).toBe(422)
    expect(codeOf(body)).toBe('INVALID_PARAMETER')
  })

  it('requires status=free (400 when absent, 422 for another status)', async () => {
    const window = `start=ge${today()}&end=le${addDays(today(), 2)}`
    expect((await searchSlots(window)).status).toBe(400)
    const busy = await searchSlots(`status=busy&${window}`)
    expect(busy.status).toBe(422)
    expect(codeOf(busy.body)).toBe('INVALID_PARAMETER')
  })

  it('takes times only with the UK offset of their date, never Z, across both clock changes', async () => {
    for (const [month, before, after] of [
      [3, '+00:00', '+01:00'],
      [10, '+01:00', '+00:00'],
    ] as const) {
      // Prepare: a week either side of the change, at 09:00 local
      const change = nextChangeDay(month)
      const from = `${addDays(change, -7)}T09:00:00`
      const to = `${addDays(change, 7)}T09:00:00`
      // Act and Assess
      const right = await searchSlots(
        `status=free&start=ge${from}${encodeURIComponent(before)}&end=le${to}${encodeURIComponent(after)}`,
      )
      expect(right.status, `${change} ${before} to ${after}`).toBe(200)
      const wrong = await searchSlots(
        `status=free&start=ge${from}${encodeURIComponent(after)}&end=le${to}${encodeURIComponent(after)}`,
      )
      expect(wrong.status).toBe(422)
      const zulu = await searchSlots(`status=free&start=ge${from}Z&end=le${to}${encodeURIComponent(after)}`)
      expect(zulu.status).toBe(422)
    }
  })

  it('needs appointment.read', async () => {
    const token = await running.token('NX001', 'patient.read')
    const response = await running.request(
      `/Slot?status=free&start=ge${today()}&end=le${addDays(today(), 1)}`,
      { token },
    )
    expect(response.status).toBe(403)
  })
})

describe('POST /Slot (an organisation publishes its slots)', () => {
  const publication = (schedule: string, starts: Date[], minutes = 15) => ({
    resourceType: 'Bundle',
    type: 'collection',
    entry: [
      { resource: { resourceType: 'Location', id: 'annex', name: 'Demo Surgery North Annex' } },
      { resource: { resourceType: 'Schedule', id: schedule, actor: [{ reference: 'Location/annex' }] } },
      ...starts.map((start) => ({
        resource: {
          resourceType: 'Slot',
          serviceType: [{ text: 'Minor Surgery' }],
          schedule: { reference: `Schedule/${schedule}` },
          status: 'free',
          start: ukDateTime(start),
          end: ukDateTime(new Date(start.getTime() + minutes * 60_000)),
        },
      })),
    ],
  })
  const publish = async (body: unknown, token = host) => {
    const response = await running.request('/Slot', {
      method: 'POST',
      token,
      headers: { 'Content-Type': 'application/fhir+json' },
      body: JSON.stringify(body),
    })
    return { status: response.status, body: await json<SearchBundle>(response) }
  }

  it('publishes slots across both clock changes, each with the offset of its date, idempotently, and emits SlotsPublished', async () => {
    // Prepare: 09:00 local the day before and the day after each change
    const starts = [3, 10].flatMap((month) => {
      const change = nextChangeDay(month as 3 | 10)
      return [ukWallClock(addDays(change, -1), '09:00'), ukWallClock(addDays(change, 1), '09:00')]
    })
    // Act
    const first = await publish(publication('clock-change', starts))
    const again = await publish(publication('clock-change', starts))
    // Assess
    expect(first.status).toBe(201)
    expect(again.status).toBe(200)
    const times = (first.body.entry ?? []).map((entry) => (entry.resource as SlotResource).start)
    expect(times.map((time) => time.slice(11))).toEqual(
      [...times]
        .sort()
        .map((time) => (ukOffsetMinutes(new Date(time)) ? '09:00:00+01:00' : '09:00:00+00:00')),
    )
    expect(times.map((time) => time.slice(19)).sort()).toEqual(['+00:00', '+00:00', '+01:00', '+01:00'])
    const events = await eventually(async () => {
      const found = await json<{ detail: { data: { hostOds: string; scheduleIds: string[] } } }[]>(
        await fetch(`${running.baseUrl}/_local/events?detail-type=SlotsPublished`),
      )
      const mine = found.filter((event) => event.detail.data.scheduleIds.includes('Y90001.clock-change'))
      return mine.length >= 2 ? mine : undefined
    })
    expect(events[0]!.detail.data.hostOds).toBe('Y90001')
    // And a search over the change finds them with those offsets
    const change = nextChangeDay(10)
    const found = await eventually(async () => {
      const { body } = await searchSlots(
        `status=free&start=ge${addDays(change, -1)}&end=le${addDays(change, 1)}&organization=Y90001`,
      )
      const slots = (body.entry ?? []).map((entry) => entry.resource as SlotResource)
      return slots.length === 2 ? slots : undefined
    })
    expect(found.map((slot) => slot.start)).toEqual([
      `${addDays(change, -1)}T09:00:00+01:00`,
      `${addDays(change, 1)}T09:00:00+00:00`,
    ])
  })

  it("refuses another organisation's schedule with 403", async () => {
    const foreign = publication('intruder', [ukWallClock(addDays(today(), 3), '07:00')])
    ;(foreign.entry[2]!.resource as { schedule: { reference: string } }).schedule.reference =
      'Schedule/Y90002.gp'
    const { status } = await publish(foreign)
    expect(status).toBe(403)
  })

  it('refuses overlapping slots of one schedule with 422', async () => {
    const start = ukWallClock(addDays(today(), 3), '07:00')
    const { status, body } = await publish(
      publication('overlapping', [start, new Date(start.getTime() + 5 * 60_000)]),
    )
    expect(status).toBe(422)
    expect(codeOf(body)).toBe('INVALID_RESOURCE')
  })

  it('needs slot.write', async () => {
    const { status } = await publish(
      publication('no-scope', [ukWallClock(addDays(today(), 3), '07:00')]),
      booker,
    )
    expect(status).toBe(403)
  })
})

describe('POST /Appointment (GP Connect Book an appointment)', () => {
  it('books a free slot: 201 with Location, ETag W/"1" and a valid R4 Appointment', async () => {
    // Prepare
    const slot = takeSlot()
    // Act
    const { status, headers, body } = await book(appointmentFor(slot, { comment: 'Wheelchair access' }))
    // Assess
    expect(status).toBe(201)
    expect(headers.get('etag')).toBe('W/"1"')
    expect(headers.get('location')).toBe(`${running.baseUrl}/Appointment/${slot.id}.1`)
    expect(body).toMatchObject({
      resourceType: 'Appointment',
      id: `${slot.id}.1`,
      meta: { versionId: '1' },
      status: 'booked',
      start: slot.start,
      end: slot.end,
      slot: [{ reference: `Slot/${slot.id}` }],
      comment: 'Wheelchair access',
    })
    expect(fhirR4SchemaErrors(body)).toEqual([])
  })

  it('answers 409 DUPLICATE_REJECTED for a slot no longer free, and the original 201 to a retry', async () => {
    // Prepare
    const slot = takeSlot()
    const requestId = crypto.randomUUID()
    // A retry resends the same body (its `created` would differ if rebuilt a second later).
    const appointment = appointmentFor(slot)
    const first = await book(appointment, { requestId })
    // Act
    const retry = await book(appointment, { requestId })
    const other = await book(appointmentFor(slot), { requestId: crypto.randomUUID() })
    // Assess
    expect(first.status, JSON.stringify(first.body)).toBe(201)
    expect(retry.status, JSON.stringify(retry.body)).toBe(201)
    expect(retry.body.id).toBe(first.body.id)
    expect(other.status, JSON.stringify(other.body)).toBe(409)
    expect(codeOf(other.body)).toBe('DUPLICATE_REJECTED')
  })

  it('takes a description of 100 characters and a comment of 500, and refuses one more (422 INVALID_RESOURCE)', async () => {
    const longest = await book(
      appointmentFor(takeSlot(), { description: 'd'.repeat(100), comment: 'c'.repeat(500) }),
    )
    expect(longest.status).toBe(201)
    for (const options of [{ description: 'd'.repeat(101) }, { comment: 'c'.repeat(501) }]) {
      const refused = await book(appointmentFor(takeSlot(), options))
      expect(refused.status).toBe(422)
      expect(codeOf(refused.body)).toBe('INVALID_RESOURCE')
    }
  })

  it('refuses elements GP Connect does not allow (reason, specialty) with 422 INVALID_RESOURCE', async () => {
    const slot = takeSlot()
    const refused = await book({ ...appointmentFor(slot), reasonCode: [{ text: 'pain' }] })
    expect(refused.status).toBe(422)
    expect(codeOf(refused.body)).toBe('INVALID_RESOURCE')
    pool.unshift(slot)
  })

  it('books only as the caller’s own organisation (403) and needs appointment.write (403)', async () => {
    const slot = takeSlot()
    expect((await book(appointmentFor(slot, { bookingOds: 'RX9' }))).status).toBe(403)
    const readOnly = await running.token('NX001', 'appointment.read')
    expect((await book(appointmentFor(slot), { token: readOnly })).status).toBe(403)
    pool.unshift(slot)
  })

  it('emits AppointmentBooked, and the index then lists the hosting organisation as a holder', async () => {
    // Prepare: a patient nobody holds an appointment record about yet
    const patient = indexedPatient!
    const slot = takeSlot()
    // Act
    const { status, body } = await book(appointmentFor(slot, { patient }))
    // Assess
    expect(status).toBe(201)
    const pointer = await eventually(async () => {
      const bundle = await json<SearchBundle>(
        await running.request(`/DocumentReference?subject:identifier=${NHS_NUMBER_SYSTEM}|${patient}`, {
          token: booker,
        }),
      )
      return bundle.entry?.find(
        (entry) =>
          (entry.resource.type as { coding: { code: string }[] }).coding[0]!.code === '749001000000101',
      )?.resource
    })
    expect(pointer).toMatchObject({ custodian: { identifier: { value: 'Y90001' } } })
    const events = await json<{ detail: { data: { appointmentId: string } } }[]>(
      await fetch(`${running.baseUrl}/_local/events?detail-type=AppointmentBooked`),
    )
    expect(events.map((event) => event.detail.data.appointmentId)).toContain(body.id)
  })
})

describe('GET and PUT /Appointment/{id}', () => {
  it('shows an appointment to the organisation that booked it and the one that hosts it, and no other (403)', async () => {
    const { body } = await book(appointmentFor(takeSlot()))
    expect((await read(body.id)).status).toBe(200)
    expect((await read(body.id, host)).status).toBe(200)
    expect((await read(body.id, stranger)).status).toBe(403)
    expect((await read(`${body.id}9`)).status).toBe(404)
  })

  it('amends description and comment with the current If-Match, and nothing else (422 INVALID_RESOURCE)', async () => {
    // Prepare
    const { body } = await book(appointmentFor(takeSlot()))
    // Act
    const amended = await put(
      body.id,
      { ...body, description: 'Dressing change', comment: 'Bring letter' },
      'W/"1"',
    )
    const moved = await put(body.id, { ...amended.body, start: body.end }, 'W/"2"')
    const tooLong = await put(body.id, { ...amended.body, comment: 'c'.repeat(501) }, 'W/"2"')
    // Assess
    expect(amended.status).toBe(200)
    expect(amended.headers.get('etag')).toBe('W/"2"')
    expect(amended.body).toMatchObject({
      description: 'Dressing change',
      comment: 'Bring letter',
      meta: { versionId: '2' },
    })
    expect(moved.status).toBe(422)
    expect(codeOf(moved.body)).toBe('INVALID_RESOURCE')
    expect(tooLong.status).toBe(422)
  })

  it('refuses a stale If-Match with 409 and a missing one with 412', async () => {
    const { body } = await book(appointmentFor(takeSlot()))
    await put(body.id, { ...body, description: 'First change' }, 'W/"1"')
    const stale = await put(body.id, { ...body, description: 'Second change' }, 'W/"1"')
    expect(stale.status).toBe(409)
    expect((await put(body.id, { ...body, description: 'Third change' }, undefined)).status).toBe(412)
  })

  it('cancels with a reason (422 INVALID_PARAMETER without), frees the slot and allows rebooking', async () => {
    // Prepare
    const slot = takeSlot()
    const { body } = await book(appointmentFor(slot))
    // Act
    const withoutReason = await put(body.id, { ...body, status: 'cancelled' }, 'W/"1"')
    const cancelled = await put(
      body.id,
      { ...body, status: 'cancelled', cancelationReason: { text: 'Patient recovered' } },
      'W/"1"',
    )
    const freeAgain = await searchSlots(
      `status=free&start=ge${slot.start.slice(0, 10)}&end=le${slot.start.slice(0, 10)}&organization=Y90001`,
    )
    const rebooked = await book(appointmentFor(slot))
    const amendCancelled = await put(body.id, { ...cancelled.body, description: 'x' }, 'W/"2"')
    // Assess
    expect(withoutReason.status).toBe(422)
    expect(codeOf(withoutReason.body)).toBe('INVALID_PARAMETER')
    expect(cancelled.status).toBe(200)
    expect(cancelled.body).toMatchObject({
      status: 'cancelled',
      cancelationReason: { text: 'Patient recovered' },
    })
    expect((freeAgain.body.entry ?? []).map((entry) => entry.resource.id)).toContain(slot.id)
    expect(rebooked.status).toBe(201)
    expect(rebooked.body.id).toBe(`${slot.id}.2`)
    expect(amendCancelled.status).toBe(422)
    expect((await read(body.id)).body.status).toBe('cancelled')
  })

  it('lets the hosting organisation cancel too, and nobody else', async () => {
    const { body } = await book(appointmentFor(takeSlot()))
    const cancelled = await put(
      body.id,
      { ...body, status: 'cancelled', cancelationReason: { text: 'Clinic closed' } },
      'W/"1"',
      host,
    )
    expect(cancelled.status).toBe(200)
    expect(
      (
        await put(
          body.id,
          { ...body, status: 'cancelled', cancelationReason: { text: 'x' } },
          'W/"1"',
          stranger,
        )
      ).status,
    ).toBe(403)
  })
})

describe('GET /Patient/{nhs}/Appointment (GP Connect Retrieve a patient’s appointments)', () => {
  it('lists booked and cancelled appointments the caller booked or hosts, and nothing to other organisations', async () => {
    // Prepare
    const patient = listedPatient!
    const first = await book(appointmentFor(takeSlot(), { patient }))
    const second = await book(appointmentFor(takeSlot(), { patient }))
    await put(
      first.body.id,
      { ...first.body, status: 'cancelled', cancelationReason: { text: 'x' } },
      'W/"1"',
    )
    const range = `start=ge${today()}&start=le${addDays(today(), 14)}`
    // Act
    const list = async (token: string) =>
      json<SearchBundle>(await running.request(`/Patient/${patient}/Appointment?${range}`, { token }))
    const [mine, hosted, theirs] = await Promise.all([list(booker), list(host), list(stranger)])
    // Assess
    const summary = (bundle: SearchBundle) =>
      (bundle.entry ?? [])
        .map((entry) => `${entry.resource.id} ${(entry.resource as Appointment).status}`)
        .sort()
    const expected = [`${first.body.id} cancelled`, `${second.body.id} booked`].sort()
    expect(summary(mine)).toEqual(expected)
    expect(summary(hosted)).toEqual(expected)
    expect(theirs.total).toBe(0)
  })

  it('refuses a range in the past, times and a single bound with 422 INVALID_PARAMETER', async () => {
    for (const range of [
      `start=ge${addDays(today(), -1)}&start=le${addDays(today(), 2)}`,
      `start=ge${today()}T09:00:00%2B00:00&start=le${addDays(today(), 2)}`,
      `start=ge${today()}`,
    ]) {
      const response = await running.request(`/Patient/${DEMO_PATIENTS.registered}/Appointment?${range}`, {
        token: booker,
      })
      expect(response.status, range).toBe(422)
      expect(codeOf(await response.json())).toBe('INVALID_PARAMETER')
    }
    const invalid = await running.request(
      `/Patient/4857773456/Appointment?start=ge${today()}&start=le${today()}`,
      {
        token: booker,
      },
    )
    expect(invalid.status).toBe(400)
  })
})

describe('a restricted (S-flag) patient', () => {
  it('books normally, but the host never learns who booked: it may be their hidden practice', async () => {
    // Prepare: the restricted patient's own practice (Y90002) books them at Y90001
    const slot = takeSlot()
    const booked = await book(
      appointmentFor(slot, { patient: DEMO_PATIENTS.restricted, bookingOds: 'Y90002' }),
      {
        token: otherPractice,
      },
    )
    expect(booked.status).toBe(201)
    // Act
    const asHost = await read(booked.body.id, host)
    const asBooker = await read(booked.body.id, otherPractice)
    const listed = await json<SearchBundle>(
      await running.request(
        `/Patient/${DEMO_PATIENTS.restricted}/Appointment?start=ge${today()}&start=le${addDays(today(), 14)}`,
        { token: host },
      ),
    )
    // Assess
    expect(asBooker.body.contained?.[0]).toMatchObject({ identifier: [{ value: 'Y90002' }] })
    expect(asHost.status).toBe(200)
    expect(JSON.stringify(asHost.body)).not.toContain('Y90002')
    expect(JSON.stringify(listed)).not.toContain('Y90002')
    expect(listed.total).toBe(1)
  })
})

describe('never twice the same slot', () => {
  it('answers 100 concurrent bookings of one slot with exactly one 201 and 99 409s, leaving one appointment', async () => {
    // Prepare
    const slot = takeSlot()
    const patients = [racerA!, racerB!]
    // Act
    const answers = await Promise.all(
      Array.from({ length: 100 }, (_, index) =>
        book(appointmentFor(slot, { patient: patients[index % 2] }), { requestId: crypto.randomUUID() }),
      ),
    )
    // Assess
    const statuses = answers.map((answer) => answer.status)
    expect(statuses.filter((status) => status === 201)).toHaveLength(1)
    expect(statuses.filter((status) => status === 409)).toHaveLength(99)
    const winner = answers.find((answer) => answer.status === 201)!.body
    expect(winner.id).toBe(`${slot.id}.1`)
    expect((await read(`${slot.id}.2`)).status).toBe(404)
    const day = slot.start.slice(0, 10)
    const free = await searchSlots(`status=free&start=ge${day}&end=le${day}&organization=Y90001`)
    expect((free.body.entry ?? []).map((entry) => entry.resource.id)).not.toContain(slot.id)
    const listed = await Promise.all(
      patients.map(async (patient) =>
        json<SearchBundle>(
          await running.request(`/Patient/${patient}/Appointment?start=ge${day}&start=le${day}`, {
            token: booker,
          }),
        ),
      ),
    )
    const onThisSlot = listed
      .flatMap((bundle) => bundle.entry ?? [])
      .filter((entry) => entry.resource.id.startsWith(slot.id))
    expect(onThisSlot.map((entry) => entry.resource.id)).toEqual([winner.id])
  })

  it('answers 20 concurrent retries of one request with one appointment id', async () => {
    // Prepare
    const slot = takeSlot()
    const requestId = crypto.randomUUID()
    const appointment = appointmentFor(slot)
    // Act
    const answers = await Promise.all(Array.from({ length: 20 }, () => book(appointment, { requestId })))
    // Assess
    expect(answers.map((answer) => answer.status)).toEqual(Array(20).fill(201))
    expect(new Set(answers.map((answer) => answer.body.id))).toEqual(new Set([`${slot.id}.1`]))
    await sleep(0)
  })
})
