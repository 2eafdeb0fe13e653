import autocannon from 'autocannon'
import { bookingRequest } from '../seed/bookingRequest'
import type { AppointmentBenchServers, BenchSlot } from './appointments-server'
import { CpuLedger, cpuFloorRows } from './cpu'
import type { LoadRound } from './load'
import { startChildOnOwnDynamo } from './processes'
import {
  type BenchOptions,
  type Measurement,
  median,
  ms,
  perSecond,
  type SuiteResult,
  table,
  times,
  verdictOf,
} from './report'

const CONNECTIONS = 50
/** GP Connect's targets for booking, locally (issue 11). */
const SHALL_MS = 250
const SHOULD_MS = 100

interface Plan {
  rounds: number
  /** Bookings per round (and for the warm-up) on each side. */
  amount: number
  warmup: number
  /** Bookings by one client alone, on each side (what one Lambda instance sees). */
  alone: number
}

function bookingBody(slot: BenchSlot, patient: string): string {
  return JSON.stringify(
    bookingRequest({ slot, patient, places: [`Location/${slot.location}`], description: 'Bench booking' }),
  )
}

/**
 * One round of `amount` bookings from `connections` keep-alive clients, each booking slots
 * from its own slice of the round's free slots (every request a new slot, a new patient
 * turn and a new X-Request-ID, as real bookings are).
 */
async function round(
  url: string,
  slice: (connection: number) => { path: string; headers: Record<string, string>; body?: string }[],
  amount: number,
  connections = CONNECTIONS,
): Promise<LoadRound> {
  let next = 0
  const result = await autocannon({
    url,
    connections,
    amount,
    timeout: 10,
    setupClient: (client) => {
      client.setRequests(slice(next++ % connections).map((request) => ({ method: 'POST', ...request })))
    },
  })
  const completed = result['2xx']
  return {
    requestsPerSecond: completed / result.duration,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    completed,
    failed: result.non2xx + result.errors + result.timeouts,
  }
}

/** The booking suite: POST /Appointment at 50 concurrent clients beside the bare conditional write. */
export async function benchBooking(options: BenchOptions): Promise<SuiteResult> {
  const started = performance.now()
  const plan: Plan = options.quick
    ? { rounds: 2, amount: 400, warmup: 200, alone: 50 }
    : { rounds: 3, amount: 1_200, warmup: 400, alone: 150 }
  // The bare side serves two baselines (audited, and the UpdateItem alone) from its pool.
  const pool = Math.ceil(((plan.warmup + plan.rounds * plan.amount + plan.alone) * 2 * 2.2) / 100) * 100
  const server = startChildOnOwnDynamo<AppointmentBenchServers>('appointments-server.ts', [String(pool)])
  try {
    const servers = await server.ready
    options.progress(
      `${pool} free slots a side; ${plan.rounds} rounds of ${plan.amount} bookings a side, ${CONNECTIONS} clients`,
    )
    const stackSlots = [...servers.stackSlots]
    const bareSlots = [...servers.bareSlots]
    // Each connection books for its own patients, so appends to one patient's audit chain do not
    // race each other more than real traffic spread over many patients would.
    const patientOf = (connection: number, index: number) =>
      servers.patients[(connection + (index % 2) * CONNECTIONS) % servers.patients.length]!
    /** The round's slots, dealt out so that each connection books its own. */
    const dealt = <T>(slots: T[], count: number, connections: number) => {
      const taken = slots.splice(0, Math.ceil(count * 2.2))
      return (connection: number) => taken.filter((_, index) => index % connections === connection)
    }
    const subjectRound = (amount: number, connections = CONNECTIONS) => {
      const deal = dealt(stackSlots, amount, connections)
      return round(
        servers.stackUrl,
        (connection) =>
          deal(connection).map((slot, index) => ({
            path: '/Appointment',
            headers: {
              authorization: `Bearer ${servers.token}`,
              'content-type': 'application/fhir+json',
              'x-request-id': crypto.randomUUID(),
            },
            body: bookingBody(slot, patientOf(connection, index)),
          })),
        amount,
        connections,
      )
    }
    // The baseline: the least a correct booking does (the conditional slot write, which is the
    // appointment, and the audit record); the information: the conditional UpdateItem alone.
    const bareRound =
      (prefix: string) =>
      (amount: number, connections = CONNECTIONS) => {
        const deal = dealt(bareSlots, amount, connections)
        return round(
          servers.bareUrl,
          (connection) =>
            deal(connection).map((id) => ({ path: `${prefix}/Appointment/${id}`, headers: {} })),
          amount,
          connections,
        )
      }
    const baselineRound = bareRound('/audited')
    const informationRound = bareRound('')
    // A first booking proves the subject books (201) before anything is timed.
    const check = await subjectRound(CONNECTIONS)
    if (check.completed !== CONNECTIONS)
      throw new Error(`the stack booked ${check.completed} of ${CONNECTIONS}`)
    await subjectRound(plan.warmup)
    await baselineRound(plan.warmup)
    await informationRound(plan.warmup)
    const rounds: { subject: LoadRound[]; baseline: LoadRound[]; information: LoadRound[] } = {
      subject: [],
      baseline: [],
      information: [],
    }
    const sides = ['baseline', 'subject', 'information'] as const
    const runners = { subject: subjectRound, baseline: baselineRound, information: informationRound }
    const cpu = new CpuLedger({ server: () => server.process.pid, dynamo: server.dynamoPid })
    for (let index = 0; index < plan.rounds; index++) {
      const order = index % 2 === 0 ? sides : [...sides].reverse()
      for (const side of order) {
        const result = await cpu.during(
          side,
          () => runners[side](plan.amount),
          (each) => each.completed,
        )
        rounds[side].push(result)
        options.progress(
          `round ${index + 1}/${plan.rounds} ${side}: ${Math.round(result.requestsPerSecond)} req/s, p50 ${result.p50Ms} ms, p99 ${result.p99Ms} ms` +
            (result.failed ? `, ${result.failed} failed` : ''),
        )
      }
    }
    // One client booking alone: the latency one Lambda instance, serving one request at a time, gives.
    const alone = { subject: await subjectRound(plan.alone, 1), baseline: await baselineRound(plan.alone, 1) }
    options.progress(
      `1 client: stack p50 ${alone.subject.p50Ms} ms p99 ${alone.subject.p99Ms} ms, ` +
        `audited bare p50 ${alone.baseline.p50Ms} ms p99 ${alone.baseline.p99Ms} ms`,
    )
    if (alone.subject.failed || alone.baseline.failed) throw new Error('bookings by one client alone failed')
    for (const side of sides) {
      const failed = rounds[side].reduce((sum, each) => sum + each.failed, 0)
      // Every request books a fresh slot: any failure means the figures are not about booking.
      if (failed > 0) throw new Error(`${side}: ${failed} bookings failed`)
    }
    const figure = (side: (typeof sides)[number], key: 'p50Ms' | 'p99Ms' | 'requestsPerSecond') =>
      median(rounds[side].map((each) => each[key]))
    const p99 = figure('subject', 'p99Ms')
    const measurements: Measurement[] = [
      {
        suite: 'booking',
        measure: `booking (POST /Appointment) p50, ${CONNECTIONS} clients`,
        subject: ms(figure('subject', 'p50Ms')),
        baseline: `${ms(figure('baseline', 'p50Ms'))} (bare node:http + the conditional UpdateItem + the audit record)`,
        ratio: figure('subject', 'p50Ms') / figure('baseline', 'p50Ms'),
        target: 'report',
        verdict: 'INFO',
      },
      {
        suite: 'booking',
        measure: `booking (POST /Appointment) p99, ${CONNECTIONS} clients`,
        subject: ms(p99),
        baseline: `${ms(figure('baseline', 'p99Ms'))} (bare node:http + the conditional UpdateItem + the audit record)`,
        ratio: p99 / figure('baseline', 'p99Ms'),
        target: `< ${SHALL_MS} ms SHALL, < ${SHOULD_MS} ms SHOULD (GP Connect)`,
        verdict: verdictOf(p99 < SHALL_MS),
      },
      {
        suite: 'booking',
        measure: 'booking p50 / p99, 1 client (one request at a time, as one Lambda instance serves)',
        subject: `${ms(alone.subject.p50Ms)} / ${ms(alone.subject.p99Ms)}`,
        baseline: `${ms(alone.baseline.p50Ms)} / ${ms(alone.baseline.p99Ms)} (the audited bare server)`,
        ratio: alone.subject.p99Ms / alone.baseline.p99Ms,
        target: `information (< ${SHALL_MS} ms SHALL, < ${SHOULD_MS} ms SHOULD)`,
        verdict: 'INFO',
      },
      {
        suite: 'booking',
        measure: `bookings per second, ${CONNECTIONS} clients`,
        subject: perSecond(figure('subject', 'requestsPerSecond')),
        baseline: perSecond(figure('baseline', 'requestsPerSecond')),
        ratio: figure('subject', 'requestsPerSecond') / figure('baseline', 'requestsPerSecond'),
        target: 'report',
        verdict: 'INFO',
      },
      {
        suite: 'booking',
        measure: `booking p99 against the conditional UpdateItem alone (information), ${CONNECTIONS} clients`,
        subject: ms(p99),
        baseline: `${ms(figure('information', 'p99Ms'))} (bare node:http + the conditional UpdateItem, no audit record)`,
        ratio: p99 / figure('information', 'p99Ms'),
        target: 'report',
        verdict: 'INFO',
      },
      ...cpuFloorRows(
        'booking',
        'booking',
        CONNECTIONS,
        cpu.perOperation('subject'),
        cpu.perOperation('baseline'),
        'the audited bare server',
        `explains the p99 row: a mean floor over ${SHALL_MS} ms leaves no p99 under the SHALL`,
      ),
    ]
    return {
      suite: 'booking',
      title: 'Booking at 50 concurrent clients',
      durationMs: performance.now() - started,
      measurements,
      details: [
        `${CONNECTIONS} autocannon connections book ${plan.amount} free slots a round, each connection its own ` +
          'slots, each booking a new X-Request-ID, alternating (ABC CBA) with a bare `node:http` server making ' +
          "the least a correct booking does: the booking's one conditional UpdateItem on the slot item (`status = " +
          'free`; the slot item is the appointment) and one conditional PutItem of an audit record of the size the ' +
          'stack writes, against the same dynalite; the same server making the UpdateItem alone is shown as ' +
          `information. Medians of ${plan.rounds} rounds. A booking through the stack also verifies the token, ` +
          'claims and completes its idempotency key, reads the patient, publishes AppointmentBooked through the ' +
          'local bus (which acknowledges once the event and its intent are written, then writes its archive ' +
          'entry and delivery together with those of other bookings and deletes the intent), marks the booking ' +
          'announced, and runs the index consumer in the same process.',
        table(
          [
            'round',
            'stack req/s',
            'stack p50',
            'stack p99',
            'audited bare req/s',
            'audited bare p50',
            'audited bare p99',
            'UpdateItem req/s',
            'UpdateItem p99',
          ],
          rounds.subject.map((subject, index) => {
            const baseline = rounds.baseline[index]!
            const information = rounds.information[index]!
            return [
              String(index + 1),
              String(Math.round(subject.requestsPerSecond)),
              ms(subject.p50Ms),
              ms(subject.p99Ms),
              String(Math.round(baseline.requestsPerSecond)),
              ms(baseline.p50Ms),
              ms(baseline.p99Ms),
              String(Math.round(information.requestsPerSecond)),
              ms(information.p99Ms),
            ]
          }),
        ),
        `p99 ${ms(p99)} is ${times(p99 / SHOULD_MS)} the ${SHOULD_MS} ms SHOULD and ${times(p99 / SHALL_MS)} the ${SHALL_MS} ms SHALL.`,
      ],
      data: { ...rounds, alone },
    }
  } finally {
    await server.stop()
  }
}
