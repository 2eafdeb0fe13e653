import { randomUUID } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { addDays, ukDate } from '../../functions/shared/time'
import { localTableName } from '../../infra/tables'
import { loadOrCreateDevKeys, mintToken } from '../../scripts/local/dev-keys'
import { bookingRequest } from '../../scripts/seed/bookingRequest'
import { testRangeNhsNumbers } from '../../scripts/seed/demoPatients'
import { CrashableProcess, DataDirs, freePort, scanDataDir } from '../support/crash'

// Crash safety of booking (issue 11): `npm start` with DATA_DIR is SIGKILLed in the middle of
// a booking storm (two clients after every slot, some bookings cancelled straight away), then
// restarted on the same DATA_DIR. Every acknowledged booking must be there, no slot booked
// without its appointment or twice, every acknowledged cancellation finished, and a request
// cut off by the crash, retried with its X-Request-ID, gets a clear answer.

const WORKERS = 16
/** The crash comes once this many bookings are acknowledged (or at the deadline). */
const KILL_AFTER = { bookings: 50, deadlineMs: 8_000 }
const PATIENTS = testRangeNhsNumbers(100).slice(0, 40)

interface Slot {
  id: string
  start: string
  end: string
  schedule: { reference: string }
}
interface Attempt {
  slot: Slot
  patient: string
  requestId: string
  body: string
}
interface Storm {
  booked: (Attempt & { appointmentId: string })[]
  cancelled: string[]
  /** Bookings sent and not answered when the stack died: their outcome is unknown to the caller. */
  cutOff: Attempt[]
  statuses: Map<number, number>
  inFlightAtKill: number
  killedAfterMs: number
  /** Bookings acknowledged before the crash (retries after the restart add to `booked`). */
  acknowledgedAtKill: number
}

const dirs = new DataDirs()
let dataDir: string
let baseUrl: string
let booker: string
let storm: Storm
let restartMs: number
const slots: Slot[] = []

function bookingBody(slot: Slot, patient: string, location: string): string {
  return JSON.stringify(
    bookingRequest({ slot, patient, places: [`Location/${location}`], description: 'Crash test booking' }),
  )
}

async function send(
  url: string,
  path: string,
  init: RequestInit,
): Promise<{ status: number; body: unknown }> {
  const response = await fetch(`${url}${path}`, {
    ...init,
    headers: {
      Authorization: `Bearer ${booker}`,
      'Content-Type': 'application/fhir+json',
      ...(init.headers as object),
    },
  })
  return { status: response.status, body: await response.json().catch(() => undefined) }
}

/** Books (and sometimes cancels) from WORKERS clients until the crash, recording what was acknowledged. */
async function stormUntilCrash(
  url: string,
  locations: Map<string, string>,
  crash: () => Promise<void>,
): Promise<Storm> {
  const outcome: Storm = {
    booked: [],
    cancelled: [],
    cutOff: [],
    statuses: new Map(),
    inFlightAtKill: 0,
    killedAfterMs: 0,
    acknowledgedAtKill: 0,
  }
  // Two clients after every slot, for different patients.
  const jobs: Attempt[] = slots.flatMap((slot, index) =>
    [0, 1].map((twin) => {
      const patient = PATIENTS[(index * 2 + twin) % PATIENTS.length]!
      return {
        slot,
        patient,
        requestId: randomUUID(),
        body: bookingBody(slot, patient, locations.get(slot.schedule.reference)!),
      }
    }),
  )
  for (let i = jobs.length - 1; i > 0; i -= 2) [jobs[i], jobs[i - 1]] = [jobs[i - 1]!, jobs[i]!]
  let next = 0
  let inFlight = 0
  let stopping = false
  const count = (status: number) => outcome.statuses.set(status, (outcome.statuses.get(status) ?? 0) + 1)
  const worker = async () => {
    while (!stopping && next < jobs.length) {
      const attempt = jobs[next++]!
      inFlight++
      let answer: { status: number; body: unknown } | undefined
      try {
        answer = await send(url, '/Appointment', {
          method: 'POST',
          headers: { 'X-Request-ID': attempt.requestId },
          body: attempt.body,
        })
      } catch {
        outcome.cutOff.push(attempt)
      } finally {
        inFlight--
      }
      if (!answer) continue
      count(answer.status)
      if (answer.status !== 201) continue
      const appointment = answer.body as { id: string }
      outcome.booked.push({ ...attempt, appointmentId: appointment.id })
      // One booking in four is cancelled at once, so the crash can land inside a cancellation too.
      if (outcome.booked.length % 4 !== 0 || stopping) continue
      try {
        const cancel = await send(url, `/Appointment/${appointment.id}`, {
          method: 'PUT',
          headers: { 'If-Match': 'W/"1"' },
          body: JSON.stringify({
            ...(answer.body as object),
            status: 'cancelled',
            cancelationReason: { text: 'Crash test' },
          }),
        })
        count(cancel.status)
        if (cancel.status === 200) outcome.cancelled.push(appointment.id)
      } catch {
        // Cut off by the crash: either outcome is allowed, the read after restart decides it.
      }
    }
  }
  const startedAt = Date.now()
  const load = Array.from({ length: WORKERS }, worker)
  while (outcome.booked.length < KILL_AFTER.bookings && Date.now() - startedAt < KILL_AFTER.deadlineMs) {
    await new Promise((resolve) => setTimeout(resolve, 5))
  }
  outcome.inFlightAtKill = inFlight
  outcome.killedAfterMs = Date.now() - startedAt
  const crashed = crash()
  stopping = true
  await crashed
  await Promise.all(load)
  outcome.acknowledgedAtKill = outcome.booked.length
  return outcome
}

beforeAll(async () => {
  // Prepare: a first start on an empty DATA_DIR (it seeds the demo and its slots)
  dataDir = await dirs.fresh()
  const first = CrashableProcess.stack(dataDir, await freePort())
  const firstUrl = await first.ready()
  const keys = await loadOrCreateDevKeys(dataDir)
  booker = await mintToken(keys, { org: 'NX001', scopes: 'appointment.read appointment.write', ics: 'demo' })
  const today = ukDate(new Date())
  const search = await send(
    firstUrl,
    `/Slot?status=free&start=ge${addDays(today, 1)}&end=le${addDays(today, 14)}&organization=Y90001&_include=Slot:schedule`,
    {},
  )
  const entries = (
    search.body as { entry: { resource: Slot & { resourceType: string; actor?: { reference: string }[] } }[] }
  ).entry
  const locations = new Map<string, string>()
  for (const { resource } of entries) {
    if (resource.resourceType === 'Slot') slots.push(resource)
    else if (resource.resourceType === 'Schedule') {
      const location = resource.actor!.find((actor) => actor.reference.startsWith('Location/'))!.reference
      locations.set(`Schedule/${resource.id}`, location.slice('Location/'.length))
    }
  }
  // Act: the storm; SIGKILL once enough bookings are acknowledged; restart on the same DATA_DIR
  storm = await stormUntilCrash(firstUrl, locations, () => first.crash())
  const restartedAt = Date.now()
  const restarted = CrashableProcess.stack(dataDir, await freePort())
  baseUrl = await restarted.ready()
  restartMs = Date.now() - restartedAt
  afterAllStop = () => restarted.crash()
}, 120_000)

let afterAllStop: () => Promise<void> = async () => {}
afterAll(async () => {
  if (storm) {
    console.log(
      `appointments-crash: SIGKILL ${storm.killedAfterMs} ms into the storm with ${storm.inFlightAtKill} requests in flight; ` +
        `${storm.acknowledgedAtKill} bookings and ${storm.cancelled.length} cancellations acknowledged, ${storm.cutOff.length} bookings cut off and retried; ` +
        `answers ${JSON.stringify(Object.fromEntries(storm.statuses))}; restart ready in ${restartMs} ms`,
    )
  }
  await afterAllStop()
  await dirs.removeAll()
})

describe('a SIGKILL in the middle of a booking storm, with DATA_DIR', () => {
  it('was killed after dozens of acknowledged bookings, with requests in flight and no 5xx', () => {
    expect(storm.acknowledgedAtKill).toBeGreaterThanOrEqual(20)
    expect(storm.inFlightAtKill).toBeGreaterThan(0)
    expect([...storm.statuses.keys()].filter((status) => status >= 500)).toEqual([])
    // Two clients per slot: never two 201s for one slot (a cancelled slot may be booked again, as .2).
    const perSlot = new Map<string, string[]>()
    for (const booking of storm.booked)
      perSlot.set(booking.slot.id, [...(perSlot.get(booking.slot.id) ?? []), booking.appointmentId])
    for (const [slot, ids] of perSlot) expect(new Set(ids).size, slot).toBe(ids.length)
  })

  it('keeps every acknowledged booking, for its patient, and every acknowledged cancellation', async () => {
    for (const booking of storm.booked) {
      // Act
      const { status, body } = await send(baseUrl, `/Appointment/${booking.appointmentId}`, {})
      // Assess
      expect(status, booking.appointmentId).toBe(200)
      const appointment = body as {
        status: string
        participant: { actor: { reference: string } }[]
        slot: { reference: string }[]
      }
      expect(appointment.participant[0]!.actor.reference).toBe(`Patient/${booking.patient}`)
      expect(appointment.slot).toEqual([{ reference: `Slot/${booking.slot.id}` }])
      if (storm.cancelled.includes(booking.appointmentId)) expect(appointment.status).toBe('cancelled')
    }
  })

  it('answers a retry of every booking cut off by the crash with its booking, or a clear refusal', async () => {
    for (const attempt of storm.cutOff) {
      // Act: retry with the same X-Request-ID until the dead request's claim has lapsed
      let answer = await send(baseUrl, '/Appointment', {
        method: 'POST',
        headers: { 'X-Request-ID': attempt.requestId },
        body: attempt.body,
      })
      for (
        let round = 0;
        answer.status === 409 && codeOf(answer.body) === 'CONFLICT' && round < 30;
        round++
      ) {
        await new Promise((resolve) => setTimeout(resolve, 500))
        answer = await send(baseUrl, '/Appointment', {
          method: 'POST',
          headers: { 'X-Request-ID': attempt.requestId },
          body: attempt.body,
        })
      }
      // Assess
      expect([201, 409], `${attempt.slot.id} ${JSON.stringify(answer.body).slice(0, 200)}`).toContain(
        answer.status,
      )
      if (answer.status === 201) {
        const appointment = answer.body as { id: string; participant: { actor: { reference: string } }[] }
        expect(appointment.participant[0]!.actor.reference).toBe(`Patient/${attempt.patient}`)
        storm.booked.push({ ...attempt, appointmentId: appointment.id })
      } else {
        expect(codeOf(answer.body)).toBe('DUPLICATE_REJECTED')
      }
    }
  })

  it('shows every slot either free or booked by exactly one appointment', async () => {
    // Prepare: the slot search's view, and each touched slot's appointments read by id
    const today = ukDate(new Date())
    const search = await send(
      baseUrl,
      `/Slot?status=free&start=ge${addDays(today, 1)}&end=le${addDays(today, 14)}&organization=Y90001`,
      {},
    )
    const free = new Set(
      (search.body as { entry?: { resource: { id: string } }[] }).entry?.map((entry) => entry.resource.id),
    )
    const touched = [...new Set(storm.booked.map((booking) => booking.slot.id))]
    for (const slotId of touched) {
      // Act
      const appointments = await Promise.all(
        [1, 2, 3].map(async (n) => {
          const { status, body } = await send(baseUrl, `/Appointment/${slotId}.${n}`, {})
          return status === 200 ? (body as { status: string }).status : undefined
        }),
      )
      // Assess
      const booked = appointments.filter((status) => status === 'booked').length
      expect(booked, slotId).toBe(free.has(slotId) ? 0 : 1)
    }
  })

  describe('on disk, once the restarted stack is killed too', () => {
    let items: Record<string, unknown>[]

    beforeAll(async () => {
      await afterAllStop()
      items = await scanDataDir(dataDir, localTableName('demo', 'appointments'))
    }, 30_000)

    it('has no slot booked without a complete booking, and no booking on a free slot', () => {
      const slotItems = items.filter((item) => item.kind === 'slot')
      expect(slotItems.length).toBeGreaterThan(50) // Y90001's fortnight (Y90002's slots are its GP Connect provider's now)
      for (const slot of slotItems) {
        const booking = slot.booking as Record<string, unknown> | undefined
        if (slot.status === 'busy') {
          expect(booking, String(slot.id)).toMatchObject({
            n: slot.bookings,
            requestId: expect.any(String),
            nhsNumber: expect.any(String),
            bookingOrganisation: { ods: expect.stringMatching(/^[A-Z0-9]{3,6}$/) },
            description: expect.any(String),
            version: expect.any(Number),
          })
          expect(slot.patientKey).toBe(`PATIENT#${booking!.nhsNumber}`)
        } else {
          expect(slot.status).toBe('free')
          expect(booking).toBeUndefined()
          expect(slot.patientKey).toBeUndefined()
        }
      }
    })

    it('keeps each cancelled appointment once, for a booking its slot made', () => {
      const bookingsOf = new Map(
        items
          .filter((item) => item.kind === 'slot')
          .map((slot) => [`${slot.pk}|${slot.sk}`, slot.bookings as number]),
      )
      for (const cancelled of items.filter((item) => item.kind === 'cancelled')) {
        const slotKey = `${cancelled.pk}|${String(cancelled.sk).split('#APPOINTMENT#')[0]}`
        const booking = cancelled.booking as { n: number; cancellation?: unknown }
        expect(booking.cancellation).toBeDefined()
        expect(booking.n).toBeLessThanOrEqual(bookingsOf.get(slotKey)!)
      }
    })
  })
})

function codeOf(body: unknown): string | undefined {
  return (body as { issue?: { details?: { coding?: { code?: string }[] } }[] } | undefined)?.issue?.[0]
    ?.details?.coding?.[0]?.code
}
