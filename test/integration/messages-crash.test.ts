import { randomUUID } from 'node:crypto'
import { createServer } from 'node:http'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { messageIdOf } from '../../functions/messages/messages'
import { nominatedPharmacyOf } from '../../functions/shared/patients/careRelationship'
import { isRestricted } from '../../functions/shared/patients/confidentiality'
import { localTableName } from '../../infra/tables'
import exampleDischarge from '../../schemas/api/examples/processMessage.request.json' with { type: 'json' }
import { loadOrCreateDevKeys, mintToken } from '../../scripts/local/dev-keys'
import { isValidSignature } from '../../scripts/pharmacy-inbox/inbox'
import { demoPatientRecords } from '../../scripts/seed/demoPatients'
import { CrashableProcess, DataDirs, freePort, scanDataDir } from '../support/crash'
import { eventually } from './harness'

// Crash safety of messages (issue 12): `npm start` with DATA_DIR is SIGKILLed while hospitals
// post discharges and deliveries to a pharmacy's receiver are pending (the receiver is slow,
// and refuses some first attempts), then restarted on the same DATA_DIR. Every message that
// got a 202 must reach the receiver, which deduplicates by X-Message-ID (a redelivery of the
// same message is allowed at the HTTP level, and must carry the same bytes); a message stored
// but cut off before its answer is announced by the outbox sweep, even if never retried; a
// retry with the same X-Request-ID gets the 202.

const WORKERS = 12
/** The crash comes once this many discharges are acknowledged (or at the deadline). */
const KILL_AFTER = { accepted: 30, deadlineMs: 10_000 }
const SENDER = 'RX9'

interface Attempt {
  headerId: string
  requestId: string
  body: string
}

const dirs = new DataDirs()
let hospital: string
let baseUrl: string
let stopRestarted: () => Promise<void> = async () => {}
let receiver: Awaited<ReturnType<typeof startDedupReceiver>>
const acknowledged = new Map<string, Attempt>()
const cutOff: Attempt[] = []
const statuses = new Map<number, number>()
let inFlightAtKill = 0
/** Cut-off discharges the dying stack had stored: their status exists after the restart. */
let storedCutOff = 0
/** Messages the dead stack had stored and not announced (its outbox on disk): the sweep's work. */
let unannouncedAtKill: string[] = []

/** Patients the demo gives FX001 as nominated pharmacy. */
const patients = demoPatientRecords()
  .filter(
    (record) =>
      record.status === 'active' &&
      !isRestricted(record.patient) &&
      !record.patient.deceasedDateTime &&
      nominatedPharmacyOf(record.patient) === 'FX001',
  )
  .map((record) => record.nhsNumber)

function discharge(index: number): Attempt {
  const headerId = randomUUID()
  const bundle = JSON.parse(
    JSON.stringify(exampleDischarge).replaceAll('9000000009', patients[index % patients.length]!),
  ) as { id: string; entry: { fullUrl?: string; resource: { id: string } }[] }
  bundle.id = `crash-${headerId}`
  bundle.entry[0]!.fullUrl = `urn:uuid:${headerId}`
  bundle.entry[0]!.resource.id = headerId
  return { headerId, requestId: randomUUID(), body: JSON.stringify(bundle) }
}

/**
 * A pharmacy's receiver that deduplicates by X-Message-ID: slow (so deliveries are pending
 * when the stack dies), refusing the first attempt of one message in three with 503.
 */
async function startDedupReceiver() {
  const processed = new Map<string, string>()
  const receipts = new Map<string, number>()
  const differentBodies: string[] = []
  const badSignatures: string[] = []
  let secret = ''
  const server = createServer((request, response) => {
    const chunks: Buffer[] = []
    request.on('data', (chunk: Buffer) => chunks.push(chunk))
    request.on('end', async () => {
      const id = String(request.headers['x-message-id'])
      const body = Buffer.concat(chunks)
      receipts.set(id, (receipts.get(id) ?? 0) + 1)
      await new Promise((resolve) => setTimeout(resolve, 40))
      if (!isValidSignature(body, request.headers['x-signature'] as string | undefined, secret)) {
        badSignatures.push(id)
        response.writeHead(401).end()
        return
      }
      if (request.headers['x-delivery-attempt'] === '1' && id.charCodeAt(id.length - 1) % 3 === 0) {
        response.writeHead(503).end()
        return
      }
      const seen = processed.get(id)
      if (seen === undefined) processed.set(id, body.toString('utf8'))
      else if (seen !== body.toString('utf8')) differentBodies.push(id)
      response.writeHead(200).end()
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const address = server.address()
  if (!address || typeof address === 'string') throw new Error('no port')
  return {
    url: `http://127.0.0.1:${address.port}/inbox`,
    processed,
    receipts,
    differentBodies,
    badSignatures,
    useSecret: (value: string) => {
      secret = value
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}

async function post(url: string, attempt: Attempt) {
  const response = await fetch(`${url}/$process-message`, {
    method: 'POST',
    headers: {
      Authorization: `Bearer ${hospital}`,
      'Content-Type': 'application/fhir+json',
      'X-Request-ID': attempt.requestId,
    },
    body: attempt.body,
  })
  return { status: response.status, body: (await response.json().catch(() => undefined)) as unknown }
}

const codeOf = (body: unknown) =>
  (body as { issue?: { details?: { coding?: { code?: string }[] } }[] } | undefined)?.issue?.[0]?.details
    ?.coding?.[0]?.code

beforeAll(async () => {
  // Prepare: a stack on an empty DATA_DIR, the pharmacy's receiver subscribed
  const dataDir = await dirs.fresh('joinup-messages-crash-')
  const first = CrashableProcess.stack(dataDir, await freePort())
  const firstUrl = await first.ready()
  const keys = await loadOrCreateDevKeys(dataDir)
  hospital = await mintToken(keys, { org: SENDER, scopes: 'message.write', ics: 'demo' })
  const pharmacy = await mintToken(keys, { org: 'FX001', scopes: 'subscription.write', ics: 'demo' })
  receiver = await startDedupReceiver()
  const subscribed = await fetch(`${firstUrl}/Subscription`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${pharmacy}`, 'Content-Type': 'application/fhir+json' },
    body: JSON.stringify({
      resourceType: 'Subscription',
      status: 'requested',
      reason: 'crash test inbox',
      criteria: 'DischargeSummaryPublished?recipient=FX001',
      channel: { type: 'rest-hook', endpoint: receiver.url, payload: 'application/fhir+json' },
    }),
  })
  expect(subscribed.status).toBe(201)
  receiver.useSecret(
    ((await subscribed.json()) as { extension: { valueString: string }[] }).extension[0]!.valueString,
  )

  // Act: discharges from WORKERS clients; SIGKILL once enough are acknowledged; restart
  let next = 0
  let inFlight = 0
  let stopping = false
  const worker = async () => {
    while (!stopping) {
      const attempt = discharge(next++)
      inFlight++
      try {
        const answer = await post(firstUrl, attempt)
        statuses.set(answer.status, (statuses.get(answer.status) ?? 0) + 1)
        if (answer.status === 202) acknowledged.set(messageIdOf(SENDER, attempt.headerId), attempt)
      } catch {
        cutOff.push(attempt)
      } finally {
        inFlight--
      }
    }
  }
  const startedAt = Date.now()
  const load = Array.from({ length: WORKERS }, worker)
  while (acknowledged.size < KILL_AFTER.accepted && Date.now() - startedAt < KILL_AFTER.deadlineMs)
    await new Promise((resolve) => setTimeout(resolve, 5))
  inFlightAtKill = inFlight
  const crashed = first.crash()
  stopping = true
  await crashed
  await Promise.all(load)
  unannouncedAtKill = (await scanDataDir(dataDir, localTableName('demo', 'messages')))
    .filter((item) => item.sk === 'MESSAGE' && item.announced === false)
    .map((item) => item.id as string)
  const restarted = CrashableProcess.stack(dataDir, await freePort())
  baseUrl = await restarted.ready()
  stopRestarted = () => restarted.crash()
}, 120_000)

afterAll(async () => {
  console.log(
    `messages-crash: SIGKILL with ${inFlightAtKill} POSTs in flight; ${acknowledged.size} acknowledged, ` +
      `${cutOff.length} cut off (${storedCutOff} of them stored, ${unannouncedAtKill.length} unannounced); answers ${JSON.stringify(Object.fromEntries(statuses))}; ` +
      `receipts ${[...(receiver?.receipts.values() ?? [])].reduce((sum, n) => sum + n, 0)} for ` +
      `${receiver?.receipts.size ?? 0} messages`,
  )
  await stopRestarted()
  await CrashableProcess.crashAll()
  await receiver?.close()
  await dirs.removeAll()
})

describe('a SIGKILL while discharges are accepted and deliveries pending, with DATA_DIR', () => {
  it('was killed with acknowledged discharges, POSTs in flight and no 5xx', () => {
    expect(acknowledged.size).toBeGreaterThanOrEqual(10)
    expect(inFlightAtKill).toBeGreaterThan(0)
    expect([...statuses.keys()].filter((status) => status !== 202)).toEqual([])
  })

  it('delivers every acknowledged discharge to the deduplicating receiver, signed, each once', async () => {
    // Assess: every 202 is received; a redelivery (HTTP level) carries the same bytes
    await eventually(
      async () => [...acknowledged.keys()].every((id) => receiver.processed.has(id)) || undefined,
      90_000,
    )
    for (const [id, attempt] of acknowledged) expect(receiver.processed.get(id), id).toBe(attempt.body)
    expect(receiver.differentBodies).toEqual([])
    expect(receiver.badSignatures).toEqual([])
  })

  it('announces a discharge stored before the crash but never answered, without a retry', async () => {
    // Prepare: the cut-off discharges the dying stack had stored (their status exists)
    const stored: string[] = []
    for (const attempt of cutOff) {
      const id = messageIdOf(SENDER, attempt.headerId)
      const response = await fetch(`${baseUrl}/Message/${id}`, {
        headers: { Authorization: `Bearer ${hospital}` },
      })
      if (response.status === 200) stored.push(id)
      else expect(response.status).toBe(404)
    }
    storedCutOff = stored.length
    // Assess: the outbox sweep at start-up announced them; the receiver has them
    expect(stored).toEqual(expect.arrayContaining(unannouncedAtKill))
    await eventually(
      async () => [...stored, ...unannouncedAtKill].every((id) => receiver.processed.has(id)) || undefined,
      90_000,
    )
  })

  it('answers a retry of every discharge cut off by the crash with its 202, and delivers it', async () => {
    for (const attempt of cutOff) {
      // Act: the same X-Request-ID, until the dead request's claim has lapsed
      let answer = await post(baseUrl, attempt)
      for (
        let round = 0;
        answer.status === 409 && codeOf(answer.body) === 'CONFLICT' && round < 40;
        round++
      ) {
        await new Promise((resolve) => setTimeout(resolve, 500))
        answer = await post(baseUrl, attempt)
      }
      // Assess
      expect(answer.status, JSON.stringify(answer.body).slice(0, 300)).toBe(202)
      acknowledged.set(messageIdOf(SENDER, attempt.headerId), attempt)
    }
    await eventually(
      async () => [...acknowledged.keys()].every((id) => receiver.processed.has(id)) || undefined,
      90_000,
    )
    // Each message's status shows its pharmacy delivered
    for (const id of acknowledged.keys()) {
      const response = await fetch(`${baseUrl}/Message/${id}`, {
        headers: { Authorization: `Bearer ${hospital}` },
      })
      expect(JSON.stringify(await response.json()), id).toContain('"valueCode":"delivered"')
    }
  })
})
