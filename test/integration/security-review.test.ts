import { request as httpRequest } from 'node:http'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DEMO_PATIENTS } from '../../scripts/seed/demoPatients'
import { bootStack, eventually, type RunningStack } from './harness'

// The security review's findings (issue 9), each replayed over HTTP against the local stack.

let running: RunningStack

beforeAll(async () => {
  running = await bootStack()
})
afterAll(() => running?.stop())

describe('finding 1: wildcard search', () => {
  it('answers the 32-star search at once, and the stack keeps answering others meanwhile', async () => {
    // Prepare: the review's repro (22 s, with the event loop stuck)
    const token = await running.token('RX9', 'patient.read')
    const stars = '*'.repeat(32)
    const search = `/Patient?family=Le${encodeURIComponent(stars)}X&birthdate=ge1900-01-01&birthdate=le2100-01-01`

    // Act
    const started = performance.now()
    const [searched, other] = await Promise.all([
      running.request(search, { token }),
      running.request('/metadata'),
    ])
    const elapsed = performance.now() - started

    // Assess: generous for a loaded 2-core machine; the point is seconds versus nothing
    expect(searched.status).toBe(200)
    expect(((await searched.json()) as { total: number }).total).toBe(0)
    expect(other.status).toBe(200)
    expect(elapsed).toBeLessThan(3_000)
  })

  it('still finds patients by wildcard, stars collapsed', async () => {
    const token = await running.token('RX9', 'patient.read')
    const response = await running.request('/Patient?family=Sm***th&birthdate=eq2010-10-22', { token })
    const bundle = (await response.json()) as { entry?: { resource: { id: string } }[] }

    expect(response.status).toBe(200)
    expect(bundle.entry?.map((entry) => entry.resource.id)).toContain('9000000009')
  })
})

/** A raw HTTP request with headers fetch would not let us set (Host). */
function rawRequest(
  path: string,
  options: { method?: string; headers: Record<string, string>; body?: string },
): Promise<{ status: number; text: string }> {
  const url = new URL(path, running.baseUrl)
  return new Promise((resolve, reject) => {
    const sent = httpRequest(
      {
        host: url.hostname,
        port: url.port,
        path: url.pathname + url.search,
        method: options.method ?? 'GET',
        headers: options.headers,
      },
      (response) => {
        const chunks: Buffer[] = []
        response.on('data', (chunk: Buffer) => chunks.push(chunk))
        response.on('end', () =>
          resolve({ status: response.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }),
        )
      },
    )
    sent.on('error', reject)
    sent.end(options.body)
  })
}

async function ruleNames(): Promise<string[]> {
  const rules = (await (await running.request('/_local/rules')).json()) as { name: string }[]
  return rules.map((rule) => rule.name)
}

describe('finding 5: local admin endpoints', () => {
  const hijack = JSON.stringify({
    name: 'IndexRecordHolders',
    pattern: { source: [{ prefix: '' }] },
    url: 'http://127.0.0.1:4199/x',
  })

  it('refuses the cross-site text/plain POST of the review, and adds no rule', async () => {
    // Act: what a web page can send without a CORS preflight
    const response = await running.request('/_local/rules', {
      method: 'POST',
      headers: { 'Content-Type': 'text/plain' },
      body: JSON.stringify({
        name: 'page-tap',
        pattern: { source: [{ prefix: '' }] },
        url: 'http://127.0.0.1:4199/x',
      }),
    })

    // Assess
    expect(response.status).toBe(415)
    expect(await ruleNames()).not.toContain('page-tap')
  })

  it('refuses any request with a foreign Origin, reads and JSON writes alike', async () => {
    const origin = { Origin: 'https://attacker.example' }

    const read = await running.request('/_local/events', { headers: origin })
    const write = await running.request('/_local/rules', {
      method: 'POST',
      headers: { ...origin, 'Content-Type': 'application/json' },
      body: JSON.stringify({
        name: 'origin-tap',
        pattern: { source: [{ prefix: '' }] },
        url: 'http://127.0.0.1:4199/x',
      }),
    })

    expect(read.status).toBe(403)
    expect(write.status).toBe(403)
    expect(await ruleNames()).not.toContain('origin-tap')
  })

  it('refuses a foreign Host, as a DNS-rebinding page sends it', async () => {
    // Prepare: the page's own name, re-pointed at 127.0.0.1, with the stack's port
    const port = new URL(running.baseUrl).port
    const rebound = { Host: `attacker.example:${port}` }

    // Act
    const events = await rawRequest('/_local/events', { headers: rebound })
    const info = await rawRequest('/_local/info', { headers: rebound })
    const same = await rawRequest('/_local/info', { headers: { Host: `127.0.0.1:${port}` } })

    // Assess
    expect(events.status).toBe(403)
    expect(info.status).toBe(403)
    expect(info.text).not.toContain('dynamoEndpoint')
    expect(same.status).toBe(200)
  })

  it('guards the local DynamoDB and EventBridge endpoints against a foreign Host too', async () => {
    const info = (await (await running.request('/_local/info')).json()) as {
      dynamoEndpoint: string
      busEndpoint: string
    }
    for (const endpoint of [info.dynamoEndpoint, info.busEndpoint]) {
      const url = new URL(endpoint)
      const answer = await new Promise<number>((resolve, reject) => {
        const sent = httpRequest(
          {
            host: url.hostname,
            port: url.port,
            path: '/',
            method: 'POST',
            headers: { Host: `attacker.example:${url.port}` },
          },
          (response) => {
            response.resume()
            resolve(response.statusCode ?? 0)
          },
        )
        sent.on('error', reject)
        sent.end('{}')
      })
      expect(answer).toBe(403)
    }
  })

  it('never lets a tap replace or remove the declared IndexRecordHolders rule', async () => {
    // Act: the review's repro, as JSON from the machine itself, then a removal
    const replaced = await running.request('/_local/rules', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: hijack,
    })
    const removed = await running.request('/_local/rules/IndexRecordHolders', { method: 'DELETE' })

    // Assess: refused, and registrations are still indexed
    expect(replaced.status).toBe(409)
    expect(removed.status).toBe(409)
    const patient = DEMO_PATIENTS.deceased
    const registered = await running.request('/DocumentReference', {
      method: 'POST',
      token: await running.token('NX001', 'pointer.write'),
      headers: { 'Content-Type': 'application/fhir+json' },
      body: JSON.stringify({
        resourceType: 'DocumentReference',
        status: 'current',
        type: { coding: [{ system: 'http://snomed.info/sct', code: '887181000000106' }] },
        subject: { identifier: { system: 'https://fhir.nhs.uk/Id/nhs-number', value: patient } },
        custodian: { identifier: { system: 'https://fhir.nhs.uk/Id/ods-organization-code', value: 'NX001' } },
      }),
    })
    expect(registered.status).toBe(202)
    const reader = await running.token('NX001', 'record.read')
    await eventually(async () => {
      const bundle = (await (
        await running.request(
          `/DocumentReference?subject:identifier=https://fhir.nhs.uk/Id/nhs-number|${patient}&custodian:identifier=https://fhir.nhs.uk/Id/ods-organization-code|NX001`,
          { token: reader },
        )
      ).json()) as { entry: unknown[] }
      return bundle.entry.length > 0 ? true : undefined
    })
  })
})
