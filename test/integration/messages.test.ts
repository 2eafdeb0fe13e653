import { execFile } from 'node:child_process'
import { randomBytes, randomUUID } from 'node:crypto'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import exampleDischarge from '../../schemas/api/examples/processMessage.request.json' with { type: 'json' }
import { startSignedReceiver } from '../support/signed-receiver'
import { bootStack, eventually, type RunningStack } from './harness'

// Write-back and discharge over HTTP against the seeded local stack (issue 12), with real
// receivers on loopback ports: delivery, signatures, retries, the dead letter and its
// replay, acknowledgements, and every refusal the issue lists.

const run = promisify(execFile)

interface Parameters {
  resourceType: 'Parameters'
  id: string
  parameter: { name: string; valueCode?: string; part?: { name: string; [key: string]: unknown }[] }[]
}

type Bundle = typeof exampleDischarge

/** The example discharge with fresh Bundle and MessageHeader ids (and, for update-record, another sender and event). */
function message(options: { event?: 'discharge-summary' | 'update-record'; sender?: string } = {}): Bundle {
  const bundle = structuredClone(exampleDischarge) as Bundle
  const sender = options.sender ?? 'RX9'
  bundle.id = `bundle-${randomUUID()}`
  const header = bundle.entry[0]!.resource as unknown as {
    id: string
    eventCoding: { code: string }
    sender: { reference: string }
  }
  header.id = randomUUID()
  header.eventCoding.code = options.event ?? 'discharge-summary'
  header.sender.reference = `Organization/${sender}`
  const organisation = bundle.entry[1]!.resource as unknown as { id: string; identifier: { value: string }[] }
  organisation.id = sender
  organisation.identifier[0]!.value = sender
  for (const entry of bundle.entry) {
    const resource = entry.resource as unknown as Record<string, unknown>
    for (const key of ['author', 'informationSource'])
      if (resource[key])
        resource[key] = JSON.parse(
          JSON.stringify(resource[key]).replaceAll('Organization/RX9', `Organization/${sender}`),
        )
  }
  return bundle
}

function recipientStatus(status: Parameters, ods: string) {
  const recipient = status.parameter.find(
    (parameter) =>
      parameter.name === 'recipient' &&
      parameter.part?.some((part) => (part.valueIdentifier as { value?: string } | undefined)?.value === ods),
  )
  const part = (name: string) => recipient?.part?.find((candidate) => candidate.name === name)
  return {
    status: part('status')?.valueCode as string | undefined,
    attempts: part('attempts')?.valueInteger as number | undefined,
    reason: part('reason')?.valueString as string | undefined,
  }
}

describe('messages: write-back and discharge', () => {
  let running: RunningStack
  let hospital: string
  let pharmacy: string
  let practice: string

  beforeAll(async () => {
    running = await bootStack()
    hospital = await running.token('RX9', 'message.write')
    pharmacy = await running.token('FX001', 'message.write subscription.write')
    practice = await running.token('Y90001', 'message.write subscription.write')
  }, 60_000)
  afterAll(async () => running?.stop())

  const post = (body: unknown, token: string, headers: Record<string, string> = {}) =>
    running.request('/$process-message', {
      method: 'POST',
      token,
      headers: { 'Content-Type': 'application/fhir+json', ...headers },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    })

  async function subscribe(token: string, criteria: string, endpoint: string) {
    const response = await running.request('/Subscription', {
      method: 'POST',
      token,
      headers: { 'Content-Type': 'application/fhir+json' },
      body: JSON.stringify({
        resourceType: 'Subscription',
        status: 'requested',
        reason: 'integration test inbox',
        criteria,
        channel: { type: 'rest-hook', endpoint, payload: 'application/fhir+json' },
      }),
    })
    const body = (await response.json()) as { id: string; extension?: { url: string; valueString: string }[] }
    return { response, id: body.id, secret: body.extension?.[0]?.valueString ?? '', body }
  }

  const unsubscribe = (token: string, id: string) =>
    running.request(`/Subscription/${id}`, { method: 'DELETE', token })

  async function statusOf(location: string, token: string): Promise<Parameters> {
    const response = await running.request(new URL(location).pathname, { token })
    expect(response.status).toBe(200)
    return (await response.json()) as Parameters
  }

  it('delivers a discharge to the pharmacy, signed, then records delivered and acknowledged', async () => {
    // Prepare
    const receiver = await startSignedReceiver()
    const subscription = await subscribe(pharmacy, 'DischargeSummaryPublished?recipient=FX001', receiver.url)
    expect(subscription.response.status).toBe(201)
    receiver.useSecret(subscription.secret)
    try {
      // Act
      const sent = message()
      const response = await post(sent, hospital)
      // Assess
      expect(response.status).toBe(202)
      const location = response.headers.get('location')!
      expect(location).toMatch(/\/Message\/RX9-[a-f0-9]{16}$/)
      const messageId = location.split('/').pop()!
      const delivery = await eventually(async () =>
        receiver.deliveries.find((item) => item.headers['x-message-id'] === messageId),
      )
      expect(delivery.signatureValid).toBe(true)
      expect(JSON.parse(delivery.body)).toEqual(sent)
      expect(delivery.headers['content-type']).toBe('application/fhir+json')
      expect(delivery.headers['x-delivery-attempt']).toBe('1')
      expect(delivery.headers['x-correlation-id']).toBe(response.headers.get('x-correlation-id'))
      const delivered = await eventually(async () => {
        const status = await statusOf(location, hospital)
        return recipientStatus(status, 'FX001').status === 'delivered' ? status : undefined
      })
      expect(recipientStatus(delivered, 'FX001').attempts).toBe(1)
      // The GP has no subscription here: its copy waits, accepted.
      expect(recipientStatus(delivered, 'Y90001').status).toBe('accepted')

      const acknowledged = await running.request(`/Message/${messageId}/$acknowledge`, {
        method: 'POST',
        token: pharmacy,
      })
      expect(acknowledged.status).toBe(200)
      expect(recipientStatus(await statusOf(location, pharmacy), 'FX001').status).toBe('acknowledged')
      // Only the sender and the recipients may read it.
      const other = await running.token('FX002', 'message.write')
      expect((await running.request(`/Message/${messageId}`, { token: other })).status).toBe(403)
      expect(
        (await running.request(`/Message/${messageId}/$acknowledge`, { method: 'POST', token: hospital }))
          .status,
      ).toBe(403)
    } finally {
      await unsubscribe(pharmacy, subscription.id)
      await receiver.close()
    }
  })

  it('accepts a 4.5 MB discharge with its PDF letter and delivers the exact bytes, signed', async () => {
    // Prepare: a PDF as a Binary (about 3.4 MB, 4.5 MB in base64), the body indented as a sender might send it
    const receiver = await startSignedReceiver()
    const subscription = await subscribe(pharmacy, 'DischargeSummaryPublished?recipient=FX001', receiver.url)
    receiver.useSecret(subscription.secret)
    const sent = message()
    const pdf = Buffer.concat([Buffer.from('%PDF-1.4\n'), randomBytes(3_400_000)])
    sent.entry.push({
      resource: {
        resourceType: 'Binary',
        id: 'discharge-letter',
        contentType: 'application/pdf',
        data: pdf.toString('base64'),
      },
    } as never)
    const text = JSON.stringify(sent, null, 1)
    expect(Buffer.byteLength(text)).toBeGreaterThan(4_400_000)
    try {
      // Act
      const response = await post(text, hospital)
      // Assess
      expect(response.status).toBe(202)
      const messageId = response.headers.get('location')!.split('/').pop()!
      const delivery = await eventually(
        async () => receiver.deliveries.find((item) => item.headers['x-message-id'] === messageId),
        30_000,
      )
      expect(delivery.signatureValid).toBe(true)
      expect(delivery.body === text).toBe(true)
    } finally {
      await unsubscribe(pharmacy, subscription.id)
      await receiver.close()
    }
  })

  it('retries a receiver that fails three times, and counts the attempts', async () => {
    // Prepare
    const receiver = await startSignedReceiver((attempt) => (attempt <= 3 ? 503 : 200))
    const subscription = await subscribe(pharmacy, 'DischargeSummaryPublished?recipient=FX001', receiver.url)
    receiver.useSecret(subscription.secret)
    try {
      // Act
      const location = (await post(message(), hospital)).headers.get('location')!
      // Assess
      const status = await eventually(async () => {
        const current = recipientStatus(await statusOf(location, hospital), 'FX001')
        return current.status === 'delivered' ? current : undefined
      }, 15_000)
      expect(status.attempts).toBe(4)
      expect(receiver.attempts()).toBe(4)
      expect(receiver.deliveries[0]!.headers['x-delivery-attempt']).toBe('4')
      expect(receiver.deliveries[0]!.signatureValid).toBe(true)
    } finally {
      await unsubscribe(pharmacy, subscription.id)
      await receiver.close()
    }
  })

  it('dead-letters a message whose receiver is down for good, then replays it once it is back', async () => {
    // Prepare
    const receiver = await startSignedReceiver()
    const subscription = await subscribe(pharmacy, 'DischargeSummaryPublished?recipient=FX001', receiver.url)
    receiver.useSecret(subscription.secret)
    receiver.down()
    try {
      const location = (await post(message(), hospital)).headers.get('location')!
      const messageId = location.split('/').pop()!
      const failed = await eventually(async () => {
        const current = recipientStatus(await statusOf(location, hospital), 'FX001')
        return current.status === 'failed' ? current : undefined
      }, 20_000)
      expect(failed.attempts).toBe(6)
      expect(failed.reason).toBe('endpoint unreachable')
      // Act
      receiver.up()
      await run('npx', ['tsx', 'scripts/dlq-replay.ts', '--message', messageId, '--local', running.baseUrl])
      // Assess
      const delivered = await eventually(async () => {
        const current = recipientStatus(await statusOf(location, hospital), 'FX001')
        return current.status === 'delivered' ? current : undefined
      }, 15_000)
      expect(delivered.attempts).toBe(7)
      await new Promise((resolve) => setTimeout(resolve, 300))
      expect(receiver.deliveries.filter((item) => item.headers['x-message-id'] === messageId)).toHaveLength(1)
    } finally {
      await unsubscribe(pharmacy, subscription.id)
      await receiver.close()
    }
  }, 60_000)

  it('never lets a slow pharmacy delay a delivery to another', async () => {
    // Prepare: FX001 answers after 4 s (within the 5 s limit); FX002 at once.
    let slowAnsweredAt = 0
    const slow = await startSignedReceiver(() => 200, {
      delayMs: 4_000,
      onAnswer: () => {
        slowAnsweredAt = Date.now()
      },
    })
    const fast = await startSignedReceiver()
    const second = await running.token('FX002', 'subscription.write')
    const slowSubscription = await subscribe(pharmacy, 'DischargeSummaryPublished?recipient=FX001', slow.url)
    const fastSubscription = await subscribe(second, 'DischargeSummaryPublished?recipient=FX002', fast.url)
    try {
      // Act: a discharge for FX001's patient, then one for FX002's (9000000041)
      expect((await post(message(), hospital)).status).toBe(202)
      await eventually(async () => (slow.attempts() > 0 ? true : undefined))
      const other = JSON.parse(JSON.stringify(message()).replaceAll('9000000009', '9000000041')) as Bundle
      const location = (await post(other, hospital)).headers.get('location')!
      // Assess: FX002 has its message before FX001 has even answered
      const delivery = await eventually(
        async () =>
          fast.deliveries.find((item) => item.headers['x-message-id'] === location.split('/').pop()),
        10_000,
      )
      expect(delivery.receivedAt).toBeLessThan(slowAnsweredAt || Number.POSITIVE_INFINITY)
    } finally {
      await unsubscribe(pharmacy, slowSubscription.id)
      await unsubscribe(second, fastSubscription.id)
      await slow.close()
      await fast.close()
    }
  }, 30_000)

  it("brings an update-record to the GP's subscription and into the GP's structured record", async () => {
    // Prepare
    const receiver = await startSignedReceiver()
    const subscription = await subscribe(
      practice,
      'ConsultationSummaryRecorded?recipient=Y90001',
      receiver.url,
    )
    receiver.useSecret(subscription.secret)
    const urgentCare = await running.token('NX001', 'message.write record.read')
    try {
      // Act
      const response = await post(message({ event: 'update-record', sender: 'NX001' }), urgentCare)
      // Assess
      expect(response.status).toBe(202)
      const messageId = response.headers.get('location')!.split('/').pop()!
      const delivery = await eventually(async () =>
        receiver.deliveries.find((item) => item.headers['x-message-id'] === messageId),
      )
      expect(delivery.signatureValid).toBe(true)
      const gp = await running.token('Y90001', 'record.read')
      const record = await eventually(async () => {
        const answer = await running.request('/Patient/$gpc.getstructuredrecord', {
          method: 'POST',
          token: gp,
          headers: { 'Content-Type': 'application/fhir+json' },
          body: JSON.stringify({
            resourceType: 'Parameters',
            parameter: [
              {
                name: 'patientNHSNumber',
                valueIdentifier: { system: 'https://fhir.nhs.uk/Id/nhs-number', value: '9000000009' },
              },
              { name: 'includeMedication' },
            ],
          }),
        })
        const text = await answer.text()
        return text.includes('organisations/NX001') && text.includes('Amoxicillin') ? text : undefined
      }, 10_000)
      expect(record).toContain('Amoxicillin 500mg capsules')
    } finally {
      await unsubscribe(practice, subscription.id)
      await receiver.close()
    }
  })

  it('answers a retry with the same X-Request-ID with the original 202, and a duplicate message with 409', async () => {
    // Prepare
    const sent = message()
    const requestId = randomUUID()
    // Act
    const first = await post(sent, hospital, { 'X-Request-ID': requestId })
    const retry = await post(sent, hospital, { 'X-Request-ID': requestId })
    const duplicate = await post(sent, hospital)
    const sameHeader = message()
    ;(sameHeader.entry[0]!.resource as unknown as { id: string }).id = (
      sent.entry[0]!.resource as unknown as { id: string }
    ).id
    const duplicateHeader = await post(sameHeader, hospital)
    const sameBundle = message()
    sameBundle.id = sent.id
    const duplicateBundle = await post(sameBundle, hospital)
    // Assess
    expect(first.status).toBe(202)
    expect(retry.status).toBe(202)
    expect(retry.headers.get('location')).toBe(first.headers.get('location'))
    for (const response of [duplicate, duplicateHeader, duplicateBundle]) {
      expect(response.status).toBe(409)
      const outcome = (await response.json()) as { issue: { details: { coding: { code: string }[] } }[] }
      expect(outcome.issue[0]!.details.coding[0]!.code).toBe('DUPLICATE_REJECTED')
    }
  })

  it('refuses a wrong sender (403), a 6 MB body (413), unresolved references, disallowed types and unknown patients (422)', async () => {
    // Prepare
    const unresolved = message()
    ;(unresolved.entry[3]!.resource as unknown as { subject: { reference: string } }).subject.reference =
      'Patient/nobody'
    const disallowed = message()
    disallowed.entry.push({ resource: { resourceType: 'Appointment', id: 'x' } } as never)
    const unknown = message()
    const patient = unknown.entry[2]!.resource as unknown as { identifier: { value: string }[] }
    patient.identifier[0]!.value = '4857773457'
    const badNhs = message()
    ;(badNhs.entry[2]!.resource as unknown as { identifier: { value: string }[] }).identifier[0]!.value =
      '4857773456'
    const huge = message()
    ;(huge.entry[3]!.resource as unknown as { title: string }).title = 'x'.repeat(6 * 1024 * 1024)
    // Act
    const wrongSender = await post(message({ sender: 'RX9' }), await running.token('NX001', 'message.write'))
    const tooLarge = await post(huge, hospital)
    const answers = await Promise.all(
      [unresolved, disallowed, unknown, badNhs].map((body) => post(body, hospital)),
    )
    // Assess
    expect(wrongSender.status).toBe(403)
    expect(tooLarge.status).toBe(413)
    for (const answer of answers) {
      expect(answer.status).toBe(422)
      const outcome = (await answer.json()) as { issue: { details: { coding: { code: string }[] } }[] }
      expect(outcome.issue[0]!.details.coding[0]!.code).toBe('INVALID_RESOURCE')
    }
  })

  it("refuses a subscription to another organisation's messages, and a receiver with the wrong secret sees a bad signature", async () => {
    // Prepare
    const receiver = await startSignedReceiver()
    // Act
    const others = await subscribe(pharmacy, 'DischargeSummaryPublished?recipient=FX002', receiver.url)
    const privateHost = await subscribe(
      pharmacy,
      'DischargeSummaryPublished?recipient=FX001',
      'https://10.0.0.7/inbox',
    )
    const subscription = await subscribe(pharmacy, 'DischargeSummaryPublished?recipient=FX001', receiver.url)
    receiver.useSecret('0'.repeat(64))
    try {
      const location = (await post(message(), hospital)).headers.get('location')!
      const delivery = await eventually(async () =>
        receiver.deliveries.find((item) => item.headers['x-message-id'] === location.split('/').pop()),
      )
      // Assess
      expect(others.response.status).toBe(403)
      expect(privateHost.response.status).toBe(422)
      expect(delivery.signatureValid).toBe(false)
      // The owner reads it without its secret; others may not.
      const read = await running.request(`/Subscription/${subscription.id}`, { token: pharmacy })
      expect(read.status).toBe(200)
      expect(JSON.stringify(await read.json())).not.toContain(subscription.secret)
      expect((await running.request(`/Subscription/${subscription.id}`, { token: practice })).status).toBe(
        403,
      )
      expect((await unsubscribe(practice, subscription.id)).status).toBe(403)
    } finally {
      expect((await unsubscribe(pharmacy, subscription.id)).status).toBe(204)
      expect((await running.request(`/Subscription/${subscription.id}`, { token: pharmacy })).status).toBe(
        404,
      )
      await receiver.close()
    }
  })
})
