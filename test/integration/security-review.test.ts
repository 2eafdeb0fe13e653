import { request as httpRequest } from 'node:http'
import { DynamoDBClient } from '@aws-sdk/client-dynamodb'
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DynamoDbAuditTrail } from '../../functions/shared/audit/DynamoDbAuditTrail'
import { verifyTrail } from '../../functions/shared/audit/verify'
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

const NHS = 'https://fhir.nhs.uk/Id/nhs-number'
const ODS = 'https://fhir.nhs.uk/Id/ods-organization-code'

interface PointerBundle {
  total?: number
  entry: {
    resource: { custodian: { identifier: { value: string } }; subject: { identifier: { value: string } } }
  }[]
}

async function custodiansOf(nhsNumber: string, org: string): Promise<string[]> {
  const response = await running.request(`/DocumentReference?subject:identifier=${NHS}|${nhsNumber}`, {
    token: await running.token(org, 'record.read'),
  })
  expect(response.status).toBe(200)
  const bundle = (await response.json()) as PointerBundle
  return bundle.entry.map((entry) => entry.resource.custodian.identifier.value).sort()
}

function pointerBody(
  nhsNumber: string,
  custodian: string,
  code: string,
  url?: string,
  system = 'http://snomed.info/sct',
) {
  return JSON.stringify({
    resourceType: 'DocumentReference',
    status: 'current',
    type: { coding: [{ system, code }] },
    subject: { identifier: { system: NHS, value: nhsNumber } },
    custodian: { identifier: { system: ODS, value: custodian } },
    ...(url === undefined ? {} : { content: [{ attachment: { url } }] }),
  })
}

async function registerAs(org: string, body: string): Promise<Response> {
  return running.request('/DocumentReference', {
    method: 'POST',
    token: await running.token(org, 'pointer.write'),
    headers: { 'Content-Type': 'application/fhir+json' },
    body,
  })
}

describe('finding 2: a restricted patient in the patient index', () => {
  it('shows an organisation with no record of the patient an empty searchset (the review’s repro)', async () => {
    expect(await custodiansOf(DEMO_PATIENTS.restricted, 'FX001')).toEqual([])
  })

  it('shows the holder its own pointer only', async () => {
    // The seed registered the restricted patient's GP record at Y90002.
    expect(await custodiansOf(DEMO_PATIENTS.restricted, 'Y90002')).toEqual(['Y90002'])
  })
})

describe('finding 3: withheld telecom in searches', () => {
  it('does not confirm a restricted patient’s withheld phone number (the review’s repro)', async () => {
    const response = await running.request('/Patient?family=Smythe&birthdate=2010-10-22&phone=01632960123', {
      token: await running.token('FX001', 'patient.read'),
    })
    const bundle = (await response.json()) as { total: number }

    expect(response.status).toBe(200)
    expect(bundle.total).toBe(0)
  })
})

describe('finding 7: pointer input', () => {
  it.each([
    ['the metadata service', 'http://169.254.169.254/latest/meta-data/iam/security-credentials/'],
    ['plain http', 'http://fhir.demo-general.example.nhs.uk/R4'],
    ['credentials', 'https://user:pass@fhir.demo-general.example.nhs.uk/R4'],
    ['a 240 KB URL', `https://fhir.demo-general.example.nhs.uk/${'a'.repeat(240 * 1024)}`],
    [
      'a 300 KB URL (EventBridge’s limit: it was a 500)',
      `https://fhir.demo-general.example.nhs.uk/${'a'.repeat(300 * 1024)}`,
    ],
  ])('refuses %s with 400', async (_label, url) => {
    const response = await registerAs('RX9', pointerBody(DEMO_PATIENTS.registered, 'RX9', '373942005', url))
    const outcome = (await response.json()) as { issue: { details: { coding: { code: string }[] } }[] }

    expect(response.status).toBe(400)
    expect(outcome.issue[0]!.details.coding[0]!.code).toBe('INVALID_RESOURCE')
  })

  it('refuses a pharmacy announcing a GP summary record with 403', async () => {
    const response = await registerAs(
      'FX001',
      pointerBody(DEMO_PATIENTS.registered, 'FX001', '824321000000109'),
    )

    expect(response.status).toBe(403)
  })

  it('refuses a never-seeded NHS number with 400 INVALID_NHS_NUMBER', async () => {
    const response = await registerAs('RX9', pointerBody(DEMO_PATIENTS.neverSeeded, 'RX9', '373942005'))

    expect(response.status).toBe(400)
  })

  it('registers a superseded number under its replacement, where both searches find it', async () => {
    // Act
    const response = await registerAs('RX9', pointerBody(DEMO_PATIENTS.superseded, 'RX9', '373942005'))

    // Assess
    expect(response.status).toBe(202)
    const custodians = await eventually(async () => {
      const found = await custodiansOf(DEMO_PATIENTS.supersededBy, 'NX001')
      return found.includes('RX9') ? found : undefined
    })
    expect(custodians).toContain('RX9')
    expect(await custodiansOf(DEMO_PATIENTS.superseded, 'NX001')).toEqual(custodians)
  })
})

interface AuditBundle {
  entry: {
    resource: {
      outcome: string
      outcomeDesc?: string
      subtype: { code: string }[]
      agent: { who: { identifier?: { value: string }; display?: string } }[]
    }
  }[]
}

async function trailAs(token: string, nhsNumber: string): Promise<{ status: number; bundle?: AuditBundle }> {
  const response = await running.request(`/AuditEvent?patient=${nhsNumber}`, { token })
  return {
    status: response.status,
    bundle: response.status === 200 ? ((await response.json()) as AuditBundle) : undefined,
  }
}

const whoOf = (bundle: AuditBundle | undefined) =>
  (bundle?.entry ?? []).map(({ resource }) =>
    resource.agent.map((agent) => agent.who.identifier?.value ?? agent.who.display),
  )

describe('finding 4: who may read an audit trail', () => {
  it('shows a member organisation with no relationship only what its own staff did (the review’s repro)', async () => {
    // Prepare: the GP practice and an urgent care clinician read the patient
    const patient = DEMO_PATIENTS.registered
    await running.request(`/Patient/${patient}`, {
      token: await running.token('Y90001', 'patient.read', { sub: 'dr-gp@Y90001' }),
    })
    await running.request(`/Patient/${patient}`, {
      token: await running.token('NX001', 'patient.read', { sub: 'dr-uc@NX001' }),
    })

    // Act: FX002, a pharmacy with no relationship to the patient, and FX001, their nominated pharmacy
    const stranger = await trailAs(await running.token('FX002', 'audit.read'), patient)
    const pharmacy = await trailAs(await running.token('FX001', 'audit.read'), patient)

    // Assess
    expect(stranger.status).toBe(200)
    expect(whoOf(stranger.bundle).flat()).not.toContain('Y90001')
    expect(whoOf(stranger.bundle).flat()).not.toContain('dr-uc@NX001')
    const seenByPharmacy = whoOf(pharmacy.bundle).flat()
    expect(seenByPharmacy).toEqual(expect.arrayContaining(['Y90001', 'NX001']))
    expect(seenByPharmacy).not.toContain('dr-gp@Y90001')
    expect(seenByPharmacy).not.toContain('dr-uc@NX001')
  })

  it('lets the patient read their own trail with their own token, and nothing else with it', async () => {
    // Prepare
    const patient = DEMO_PATIENTS.deceased
    await running.request(`/Patient/${patient}`, {
      token: await running.token('RX9', 'patient.read', { sub: 'dr-h@RX9' }),
    })
    const own = await running.patientToken(patient)

    // Act
    const mine = await trailAs(own, patient)
    const theirs = await trailAs(own, DEMO_PATIENTS.registered)
    const elsewhere = await Promise.all([
      running.request(`/Patient/${patient}`, { token: own }),
      running.request(`/DocumentReference?subject:identifier=https://fhir.nhs.uk/Id/nhs-number|${patient}`, {
        token: own,
      }),
    ])

    // Assess
    expect(mine.status).toBe(200)
    expect(whoOf(mine.bundle).flat()).toContain('RX9')
    expect(whoOf(mine.bundle).flat()).not.toContain('dr-h@RX9')
    expect(theirs.status).toBe(403)
    expect(elsewhere.map((response) => response.status)).toEqual([403, 403])
  })

  it('refuses a patient token below proofing level P9', async () => {
    const weak = await running.patientToken(DEMO_PATIENTS.deceased, { proofingLevel: 'P5' })

    expect((await trailAs(weak, DEMO_PATIENTS.deceased)).status).toBe(403)
  })
})

describe('finding 6: refused access is audited', () => {
  it('leaves a record of a 401 and a 403 on a named patient, with the outcome', async () => {
    // Prepare
    const patient = DEMO_PATIENTS.supersededBy
    // Act: no token; then a member without the scope
    const unauthenticated = await running.request(`/Patient/${patient}`)
    const forbidden = await running.request(`/Patient/${patient}`, {
      token: await running.token('NX001', 'record.read'),
    })

    // Assess: the patient sees both refusals in their trail
    expect([unauthenticated.status, forbidden.status]).toEqual([401, 403])
    const { bundle } = await trailAs(await running.patientToken(patient), patient)
    const refusals = bundle!.entry.map(({ resource }) => resource).filter((event) => event.outcome === '4')
    expect(refusals.map((event) => [event.subtype[1]!.code, event.outcomeDesc])).toEqual(
      expect.arrayContaining([
        ['readPatient', 'ACCESS_DENIED'],
        ['readPatient', 'ACCESS_DENIED'],
      ]),
    )
    expect(
      refusals.flatMap((event) =>
        event.agent.map((agent) => agent.who.display ?? agent.who.identifier?.value),
      ),
    ).toEqual(expect.arrayContaining(['unauthenticated caller', 'NX001']))
  })

  it('audits an organisation-wide withdrawal in the organisation’s own hash chain', async () => {
    // Act
    const withdrawn = await running.request(
      '/DocumentReference?custodian:identifier=https://fhir.nhs.uk/Id/ods-organization-code|NX001&reason=sharing-suspended',
      { method: 'DELETE', token: await running.token('NX001', 'pointer.write') },
    )

    // Assess
    expect(withdrawn.status).toBe(202)
    const info = (await (await running.request('/_local/info')).json()) as {
      dynamoEndpoint: string
      tables: { audit: string }
    }
    const client = new DynamoDBClient({
      endpoint: info.dynamoEndpoint,
      region: 'eu-west-2',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    })
    const trail = new DynamoDbAuditTrail(DynamoDBDocumentClient.from(client), info.tables.audit)
    const records = []
    for await (const record of trail.all('NX001', 'organisation')) records.push(record)
    client.destroy()
    expect(records).toEqual([
      expect.objectContaining({
        organisation: 'NX001',
        action: 'D',
        operation: 'withdrawPointers',
        status: 202,
      }),
    ])
    expect((await verifyTrail(trail, 'NX001', 'organisation')).intact).toBe(true)
  })
})
