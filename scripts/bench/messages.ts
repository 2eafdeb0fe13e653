import { randomUUID } from 'node:crypto'
import { createServer } from 'node:http'
import exampleDischarge from '../../schemas/api/examples/processMessage.request.json' with { type: 'json' }
import { CpuLedger, cpuFloorRows } from './cpu'
import type { MessagesBenchServers } from './messages-server'
import { startChildOnOwnDynamo } from './processes'
import {
  type BenchOptions,
  type Measurement,
  median,
  ms,
  percentile,
  type SuiteResult,
  table,
  times,
  verdictOf,
} from './report'

/** Concurrent senders, each posting its next discharge once the previous one reached the receiver. */
const SENDERS = 50
/** GP Connect's targets for commands, applied to the 202 (issue 12). */
const SHALL_MS = 250
const SHOULD_MS = 100
/** A discharge not received by then is a failure of the run, not a slow figure. */
const RECEIPT_TIMEOUT_MS = 30_000

/** One side's round: per message, the 202's latency and the latency to the webhook's receipt. */
interface MessageRound {
  acceptedMs: number[]
  receivedMs: number[]
  durationMs: number
  failed: number
}

/** The example discharge for one patient, with fresh Bundle and MessageHeader ids. */
function dischargeFor(nhsNumber: string): { headerId: string; body: string } {
  const headerId = randomUUID()
  const bundle = JSON.parse(JSON.stringify(exampleDischarge).replaceAll('9000000009', nhsNumber)) as {
    id: string
    entry: { fullUrl?: string; resource: { id: string } }[]
  }
  bundle.id = `bench-${headerId}`
  bundle.entry[0]!.fullUrl = `urn:uuid:${headerId}`
  bundle.entry[0]!.resource.id = headerId
  return { headerId, body: JSON.stringify(bundle) }
}

/**
 * The webhook receiver both sides deliver to, in this process: it answers 200 and resolves
 * the waiter of the MessageHeader id it received.
 */
async function startReceiver() {
  const waiting = new Map<string, (at: number) => void>()
  let unexpected = 0
  const server = createServer((request, response) => {
    const chunks: Buffer[] = []
    request.on('data', (chunk: Buffer) => chunks.push(chunk))
    request.on('end', () => {
      const at = performance.now()
      try {
        const bundle = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
          entry: { resource: { id: string } }[]
        }
        const resolve = waiting.get(bundle.entry[0]!.resource.id)
        if (resolve) resolve(at)
        else unexpected++
      } catch {
        unexpected++
      }
      response.writeHead(200).end()
    })
  })
  server.keepAliveTimeout = 5_000
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const address = server.address()
  if (!address || typeof address === 'string') throw new Error('receiver did not bind')
  return {
    url: `http://127.0.0.1:${address.port}/inbox`,
    /** Resolves with the receipt time of this MessageHeader id (rejects after RECEIPT_TIMEOUT_MS). */
    receiptOf(headerId: string): Promise<number> {
      return new Promise<number>((resolve, reject) => {
        const timer = setTimeout(() => {
          waiting.delete(headerId)
          reject(new Error('not received in time'))
        }, RECEIPT_TIMEOUT_MS)
        waiting.set(headerId, (at) => {
          clearTimeout(timer)
          waiting.delete(headerId)
          resolve(at)
        })
      })
    },
    unexpected: () => unexpected,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}

type Receiver = Awaited<ReturnType<typeof startReceiver>>

/**
 * One round: SENDERS closed loops share `amount` discharges; each posts one (a new
 * X-Request-ID), times its 202, waits until the receiver has it, then posts the next.
 */
async function round(
  url: string,
  headers: Record<string, string>,
  patients: readonly string[],
  amount: number,
  receiver: Receiver,
  senders = SENDERS,
): Promise<MessageRound> {
  const result: MessageRound = { acceptedMs: [], receivedMs: [], durationMs: 0, failed: 0 }
  let next = 0
  const started = performance.now()
  await Promise.all(
    Array.from({ length: senders }, async (_, sender) => {
      for (let turn = 0; next < amount; turn++) {
        next++
        // Each sender its own patients, so appends to one patient's audit chain do not all race.
        const patient = patients[(sender + turn * senders) % patients.length]!
        const { headerId, body } = dischargeFor(patient)
        const receipt = receiver.receiptOf(headerId)
        const sent = performance.now()
        try {
          const response = await fetch(url, {
            method: 'POST',
            headers: {
              ...headers,
              'content-type': 'application/fhir+json',
              'x-request-id': randomUUID(),
            },
            body,
          })
          await response.body?.cancel()
          if (response.status !== 202) throw new Error(`answered ${response.status}`)
          result.acceptedMs.push(performance.now() - sent)
          result.receivedMs.push((await receipt) - sent)
        } catch {
          result.failed++
          receipt.catch(() => undefined)
        }
      }
    }),
  )
  result.durationMs = performance.now() - started
  return result
}

const summary = (values: readonly number[]) => ({ p50: percentile(values, 50), p99: percentile(values, 99) })

/**
 * The messages suite: discharge POST /$process-message to its receipt at a loopback webhook,
 * 50 concurrent senders, beside a bare store-and-forward server measured in the same run.
 */
export async function benchMessages(options: BenchOptions): Promise<SuiteResult> {
  const started = performance.now()
  const plan = options.quick
    ? { rounds: 2, amount: 200, warmup: 100, alone: 50 }
    : { rounds: 3, amount: 600, warmup: 200, alone: 150 }
  const receiver = await startReceiver()
  const server = startChildOnOwnDynamo<MessagesBenchServers>('messages-server.ts', [receiver.url])
  try {
    const servers = await server.ready
    if (servers.patients.length < SENDERS)
      throw new Error(`only ${servers.patients.length} patients with a nominated pharmacy`)
    options.progress(
      `${plan.rounds} rounds of ${plan.amount} discharges a side, ${SENDERS} senders, ${servers.patients.length} patients`,
    )
    const subjectRound = (amount: number, senders = SENDERS) =>
      round(
        `${servers.stackUrl}/$process-message`,
        { authorization: `Bearer ${servers.token}` },
        servers.patients,
        amount,
        receiver,
        senders,
      )
    const baselineRound = (amount: number, senders = SENDERS) =>
      round(`${servers.bareUrl}/$process-message`, {}, servers.patients, amount, receiver, senders)
    // A first round proves the subject accepts and delivers before anything is timed.
    const check = await subjectRound(SENDERS)
    if (check.failed > 0) throw new Error(`the stack failed ${check.failed} of ${SENDERS} discharges`)
    await subjectRound(plan.warmup)
    await baselineRound(plan.warmup)
    const rounds: { subject: MessageRound[]; baseline: MessageRound[] } = { subject: [], baseline: [] }
    const cpu = new CpuLedger({ server: () => server.process.pid, dynamo: server.dynamoPid })
    for (let index = 0; index < plan.rounds; index++) {
      const order = index % 2 === 0 ? (['baseline', 'subject'] as const) : (['subject', 'baseline'] as const)
      for (const side of order) {
        const result = await cpu.during(
          side,
          () => (side === 'subject' ? subjectRound(plan.amount) : baselineRound(plan.amount)),
          (each) => each.receivedMs.length,
        )
        rounds[side].push(result)
        const accepted = summary(result.acceptedMs)
        const received = summary(result.receivedMs)
        options.progress(
          `round ${index + 1}/${plan.rounds} ${side}: 202 p50 ${ms(accepted.p50)} p99 ${ms(accepted.p99)}; ` +
            `receipt p50 ${ms(received.p50)} p99 ${ms(received.p99)}` +
            (result.failed ? `; ${result.failed} failed` : ''),
        )
      }
    }
    // One sender, one discharge at a time: what one Lambda instance (one request at a time) sees.
    const alone = { subject: await subjectRound(plan.alone, 1), baseline: await baselineRound(plan.alone, 1) }
    options.progress(
      `1 sender: stack 202 p50 ${ms(summary(alone.subject.acceptedMs).p50)} p99 ${ms(summary(alone.subject.acceptedMs).p99)}, ` +
        `bare 202 p50 ${ms(summary(alone.baseline.acceptedMs).p50)} p99 ${ms(summary(alone.baseline.acceptedMs).p99)}`,
    )
    for (const side of ['subject', 'baseline'] as const) {
      if (alone[side].failed > 0) throw new Error(`${side}: ${alone[side].failed} discharges failed alone`)
      const failed = rounds[side].reduce((sum, each) => sum + each.failed, 0)
      // Every discharge is new: a failure means the figures are not about delivery.
      if (failed > 0) throw new Error(`${side}: ${failed} discharges failed or were not received`)
    }
    const figure = (side: 'subject' | 'baseline', key: 'acceptedMs' | 'receivedMs', p: 'p50' | 'p99') =>
      median(rounds[side].map((each) => summary(each[key])[p]))
    const perSecond = (side: 'subject' | 'baseline') =>
      median(rounds[side].map((each) => (each.acceptedMs.length / each.durationMs) * 1000))
    const bareName = 'bare node:http: PutItem, 202, signed POST'
    const accepted99 = figure('subject', 'acceptedMs', 'p99')
    const accepted50 = figure('subject', 'acceptedMs', 'p50')
    const measurements: Measurement[] = [
      {
        suite: 'messages',
        measure: `discharge POST /$process-message to webhook receipt p50, ${SENDERS} senders`,
        subject: ms(figure('subject', 'receivedMs', 'p50')),
        baseline: `${ms(figure('baseline', 'receivedMs', 'p50'))} (${bareName})`,
        ratio: figure('subject', 'receivedMs', 'p50') / figure('baseline', 'receivedMs', 'p50'),
        target: 'report',
        verdict: 'INFO',
      },
      {
        suite: 'messages',
        measure: `discharge POST /$process-message to webhook receipt p99, ${SENDERS} senders`,
        subject: ms(figure('subject', 'receivedMs', 'p99')),
        baseline: `${ms(figure('baseline', 'receivedMs', 'p99'))} (${bareName})`,
        ratio: figure('subject', 'receivedMs', 'p99') / figure('baseline', 'receivedMs', 'p99'),
        target: 'report',
        verdict: 'INFO',
      },
      {
        suite: 'messages',
        measure: `discharge 202 p50, ${SENDERS} senders`,
        subject: ms(accepted50),
        baseline: `${ms(figure('baseline', 'acceptedMs', 'p50'))} (${bareName})`,
        ratio: accepted50 / figure('baseline', 'acceptedMs', 'p50'),
        target: `< ${SHOULD_MS} ms SHOULD (GP Connect)`,
        verdict: 'INFO',
      },
      {
        suite: 'messages',
        measure: `discharge 202 p99, ${SENDERS} senders`,
        subject: ms(accepted99),
        baseline: `${ms(figure('baseline', 'acceptedMs', 'p99'))} (${bareName})`,
        ratio: accepted99 / figure('baseline', 'acceptedMs', 'p99'),
        target: `< ${SHALL_MS} ms SHALL, < ${SHOULD_MS} ms SHOULD (GP Connect)`,
        verdict: verdictOf(accepted99 < SHALL_MS),
      },
      {
        suite: 'messages',
        measure: 'discharge 202 p50 / p99, 1 sender (one request at a time, as one Lambda instance serves)',
        subject: `${ms(summary(alone.subject.acceptedMs).p50)} / ${ms(summary(alone.subject.acceptedMs).p99)}`,
        baseline: `${ms(summary(alone.baseline.acceptedMs).p50)} / ${ms(summary(alone.baseline.acceptedMs).p99)} (${bareName})`,
        ratio: summary(alone.subject.acceptedMs).p99 / summary(alone.baseline.acceptedMs).p99,
        target: `information (< ${SHALL_MS} ms SHALL, < ${SHOULD_MS} ms SHOULD)`,
        verdict: 'INFO',
      },
      {
        suite: 'messages',
        measure: `discharges accepted and delivered per second, ${SENDERS} senders`,
        subject: `${Math.round(perSecond('subject'))} msg/s`,
        baseline: `${Math.round(perSecond('baseline'))} msg/s`,
        ratio: perSecond('subject') / perSecond('baseline'),
        target: 'report',
        verdict: 'INFO',
      },
      ...cpuFloorRows(
        'messages',
        'discharge (accepted and delivered)',
        SENDERS,
        cpu.perOperation('subject'),
        cpu.perOperation('baseline'),
        bareName,
        'explains the receipt rows: each sender posts its next discharge only after the receipt',
      ),
    ]
    return {
      suite: 'messages',
      title: 'Messages: discharge to pharmacy webhook at 50 concurrent senders',
      durationMs: performance.now() - started,
      measurements,
      details: [
        `${SENDERS} senders in closed loops post ${plan.amount} discharges a round (each a new Bundle, ` +
          'MessageHeader and X-Request-ID, for demo patients whose nominated pharmacy is subscribed to a ' +
          'loopback receiver in the bench process); each sender times the 202, waits until the receiver has ' +
          'the message, then posts its next. Alternating (ABBA) with a bare `node:http` server doing the same ' +
          'store-and-forward (one conditional PutItem of the Bundle on the same messages table in the same ' +
          `dynalite, the 202, then the signed POST to the same receiver); medians of ${plan.rounds} rounds. ` +
          'A discharge through the stack also verifies the token, claims and completes its idempotency key, ' +
          'reads the patient from PDS, claims the Bundle id and stores the message, writes the sender’s ' +
          'record, publishes RecordHolderRegistered and DischargeSummaryPublished through the local bus, marks ' +
          'them announced and appends the audit record; the bus then invokes the deliverer, which reads the ' +
          'message and the subscriptions of each recipient, signs, POSTs and records each status.',
        table(
          [
            'round',
            'stack 202 p50',
            'stack 202 p99',
            'stack receipt p50',
            'stack receipt p99',
            'bare 202 p99',
            'bare receipt p50',
            'bare receipt p99',
          ],
          rounds.subject.map((subject, index) => {
            const baseline = rounds.baseline[index]!
            return [
              String(index + 1),
              ms(summary(subject.acceptedMs).p50),
              ms(summary(subject.acceptedMs).p99),
              ms(summary(subject.receivedMs).p50),
              ms(summary(subject.receivedMs).p99),
              ms(summary(baseline.acceptedMs).p99),
              ms(summary(baseline.receivedMs).p50),
              ms(summary(baseline.receivedMs).p99),
            ]
          }),
        ),
        `202 p99 ${ms(accepted99)} is ${times(accepted99 / SHOULD_MS)} the ${SHOULD_MS} ms SHOULD and ` +
          `${times(accepted99 / SHALL_MS)} the ${SHALL_MS} ms SHALL; p50 ${ms(accepted50)}.` +
          (receiver.unexpected() ? ` The receiver saw ${receiver.unexpected()} unexpected deliveries.` : ''),
      ],
      data: { ...rounds, alone },
    }
  } finally {
    await server.stop()
    await receiver.close()
  }
}
