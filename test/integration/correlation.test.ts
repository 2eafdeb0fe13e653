import { randomUUID } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { NHS_NUMBER_SYSTEM, ODS_CODE_SYSTEM } from '../../schemas/fhir/identifiers'
import { DEMO_PATIENTS } from '../../scripts/seed/demoPatients'
import { startWebhook } from '../support/webhook'
import { bootStack, eventually, type RunningStack } from './harness'

// Issue 15, item 5: one correlation id, sent with an HTTP request, followed end to end through
// what the stack writes: the response, the audit trail, the event's metadata on the bus, a
// delivery to a subscriber's webhook, and every log line the request and the event's consumer
// wrote (captured from stdout and stderr at INFO).
const captured: string[] = []
const originalStdout = process.stdout.write.bind(process.stdout)
const originalStderr = process.stderr.write.bind(process.stderr)
let running: RunningStack
let webhook: Awaited<ReturnType<typeof startWebhook>>

function capture(original: typeof process.stdout.write) {
  return ((chunk: string | Uint8Array, ...rest: unknown[]) => {
    captured.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'))
    return (original as (chunk: string | Uint8Array, ...args: unknown[]) => boolean)(chunk, ...rest)
  }) as typeof process.stdout.write
}

/** Every JSON log line captured so far (EMF metric lines left out). */
function logLines(): Record<string, unknown>[] {
  return captured
    .join('')
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .flatMap((line) => {
      try {
        return [JSON.parse(line) as Record<string, unknown>]
      } catch {
        return []
      }
    })
    .filter((line) => !('_aws' in line))
}

beforeAll(async () => {
  process.env.LOG_LEVEL = 'INFO'
  process.stdout.write = capture(originalStdout)
  process.stderr.write = capture(originalStderr)
  running = await bootStack()
  webhook = await startWebhook()
  // A subscriber of RecordHolderRegistered: the local bus delivers to its webhook with retries.
  const tap = await fetch(`${running.baseUrl}/_local/rules`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      name: 'correlation-subscriber',
      pattern: { 'detail-type': ['RecordHolderRegistered'], source: ['joinup.patient-index'] },
      url: webhook.url,
    }),
  })
  expect(tap.status).toBe(201)
})

afterAll(async () => {
  await running.stop()
  await webhook.close()
  process.stdout.write = originalStdout
  process.stderr.write = originalStderr
  delete process.env.LOG_LEVEL
})

describe('one correlation id, end to end', () => {
  it('follows a pointer registration from the request through the bus, the consumer, a webhook and every log line', async () => {
    // Prepare
    const correlationId = `corr-${randomUUID()}`
    const requestId = randomUUID()
    const writer = await running.token('RX9', 'pointer.write')

    // Act: register a pointer, then wait until the index consumer has applied its event
    const response = await running.request('/DocumentReference', {
      method: 'POST',
      token: writer,
      headers: {
        'Content-Type': 'application/fhir+json',
        'X-Correlation-ID': correlationId,
        'X-Request-ID': requestId,
      },
      body: JSON.stringify({
        resourceType: 'DocumentReference',
        status: 'current',
        // A clinical summary: a record type an acute trust may hold (recordTypesByRole) and
        // the seed has not registered for this patient, so the registration is new.
        type: { coding: [{ system: 'http://snomed.info/sct', code: '887181000000106' }] },
        subject: { identifier: { system: NHS_NUMBER_SYSTEM, value: DEMO_PATIENTS.registered } },
        custodian: { identifier: { system: ODS_CODE_SYSTEM, value: 'RX9' } },
      }),
    })
    const event = await eventually(async () => {
      const archive = (await (
        await fetch(`${running.baseUrl}/_local/events?detail-type=RecordHolderRegistered&limit=20`)
      ).json()) as { detail: { metadata: { id: string; correlationId: string } } }[]
      return archive.find((candidate) => candidate.detail.metadata.correlationId === correlationId)
    })
    const eventId = event.detail.metadata.id
    const applied = await eventually(async () =>
      logLines().find((line) => line.message === 'record-holder event applied' && line.event_id === eventId),
    )
    const delivery = await eventually(async () =>
      webhook.received.find(
        (received) =>
          (received.body as { detail: { metadata: { id: string } } }).detail.metadata.id === eventId,
      ),
    )
    await running.stack.bus.idle()

    // Assess: the response echoes it
    expect(response.status).toBe(202)
    expect(response.headers.get('X-Correlation-ID')).toBe(correlationId)

    // ... the event carries it in its metadata, and the consumer logged it against the event
    expect(applied.correlation_id).toBe(correlationId)
    expect(applied.detail_type).toBe('RecordHolderRegistered')

    // ... the webhook delivery carries it in the event and in its headers
    expect(delivery.headers['x-correlation-id']).toBe(correlationId)
    expect(delivery.headers['x-event-id']).toBe(eventId)

    // ... and every log line of the request and of the event's consumption carries it
    const lines = logLines()
    const ofRequest = lines.filter((line) => line.request_id === requestId)
    const ofEvent = lines.filter((line) => line.event_id === eventId)
    expect(ofRequest.map((line) => line.message)).toContain('request finished')
    expect(ofEvent.length).toBeGreaterThan(0)
    for (const line of [...ofRequest, ...ofEvent])
      expect(line.correlation_id, String(line.message)).toBe(correlationId)
    // and no line carries it that belongs to other work
    const carrying = lines.filter((line) => line.correlation_id === correlationId)
    expect(carrying.every((line) => line.request_id === requestId || line.event_id === eventId)).toBe(true)
  })

  it('records it in the audit trail of the reads it caused', async () => {
    // Prepare
    const correlationId = `corr-${randomUUID()}`
    const reader = await running.token('NX001', 'patient.read audit.read')

    // Act
    await running.request(`/Patient/${DEMO_PATIENTS.registered}`, {
      token: reader,
      headers: { 'X-Correlation-ID': correlationId },
    })
    const trail = await running.request(`/AuditEvent?patient=${DEMO_PATIENTS.registered}`, { token: reader })

    // Assess
    expect(JSON.stringify(await trail.json())).toContain(correlationId)
  })
})
