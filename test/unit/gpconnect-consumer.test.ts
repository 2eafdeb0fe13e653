import { createServer, type IncomingHttpHeaders } from 'node:http'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  callGpConnect,
  consumerJwt,
  type GpConnectHolder,
  type GpConnectHttpRequest,
  type GpConnectTransport,
  nodeHttpTransport,
} from '../../functions/shared/gpconnect/consumer'
import {
  GET_STRUCTURED_RECORD_INTERACTION,
  GpConnectRecordSource,
  structuredRecordOf,
} from '../../functions/shared/gpconnect/GpConnectRecordSource'
import type { HolderRequest } from '../../functions/shared/records/HolderRecordSource'
import type { Caller } from '../../schemas/auth'
import { NHS_NUMBER_SYSTEM } from '../../schemas/fhir/identifiers'

// The GP Connect consumer: what it sends a provider (GP Connect "Retrieve a patient's
// structured record" headers, "Cross-organisation audit and provenance" JWT) and how it
// reads what comes back.

const NHS = '9000000009'
const NOW = new Date('2026-03-10T12:00:00Z')
const CALLER: Caller = {
  sub: 'clinician-7',
  organisation: 'NX001',
  ics: 'demo',
  scopes: new Set(['record.read']),
  purposeOfUse: 'directcare',
}
const HOLDER: GpConnectHolder = {
  ods: 'Y90001',
  protocol: 'gpconnect-1.6-stu3',
  endpoint: 'https://provider.example.nhs.uk/Y90001/STU3/1/gpconnect',
  asid: '918999190001',
  interactions: ['structured-record'],
}
const CONSUMER = {
  caller: CALLER,
  organisationName: 'Demo Urgent Care',
  baseUrl: 'https://api.demo.example.nhs.uk',
  ics: 'demo',
}

interface Sent {
  url: string
  init: GpConnectHttpRequest
}

/** A transport that records the request and answers with `status` and `body`. */
function fakeTransport(status: number, body: unknown, sent: Sent[] = []): GpConnectTransport {
  return async (url, init) => {
    sent.push({ url: String(url), init })
    return { status, body: typeof body === 'string' ? body : JSON.stringify(body) }
  }
}

const decode = (part: string) =>
  JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as Record<string, unknown>

const stu3Record = (nhsNumber = NHS) => ({
  resourceType: 'Bundle',
  type: 'collection',
  entry: [
    {
      resource: {
        resourceType: 'Patient',
        id: 'p',
        identifier: [{ system: NHS_NUMBER_SYSTEM, value: nhsNumber }],
      },
    },
    {
      resource: {
        resourceType: 'AllergyIntolerance',
        id: 'a',
        clinicalStatus: 'active',
        verificationStatus: 'unconfirmed',
        assertedDate: '2016-04-12',
        patient: { reference: 'Patient/p' },
      },
    },
    { resource: { resourceType: 'Flag', id: 'f' } },
  ],
})

function request(signal = new AbortController().signal): HolderRequest {
  return {
    holder: HOLDER,
    query: { nhsNumber: NHS, allergies: { includeResolved: true } },
    caller: CALLER,
    callerOrganisationName: 'Demo Urgent Care',
    consumerBaseUrl: CONSUMER.baseUrl,
    requestId: 'req',
    correlationId: 'corr',
    signal,
  }
}

describe('consumerJwt', () => {
  it("is unsigned and carries GP Connect's claims", () => {
    // Act
    const [header, payload, signature] = consumerJwt(CONSUMER, HOLDER.endpoint, 'patient/*.read', NOW).split(
      '.',
    )

    // Assess
    expect(decode(header!)).toEqual({ alg: 'none', typ: 'JWT' })
    expect(signature).toBe('')
    expect(decode(payload!)).toEqual({
      iss: 'https://api.demo.example.nhs.uk',
      sub: 'clinician-7',
      aud: HOLDER.endpoint,
      iat: NOW.getTime() / 1000,
      exp: NOW.getTime() / 1000 + 300,
      reason_for_request: 'directcare',
      requested_scope: 'patient/*.read conf/N',
      requesting_device: {
        resourceType: 'Device',
        identifier: [{ system: 'https://fhir.joinup.example/Id/device-identifier', value: 'joinup-demo' }],
        model: 'Joined-up care APIs',
        version: expect.any(String),
      },
      requesting_organization: {
        resourceType: 'Organization',
        identifier: [{ system: 'https://fhir.nhs.uk/Id/ods-organization-code', value: 'NX001' }],
        name: 'Demo Urgent Care',
      },
      requesting_practitioner: {
        resourceType: 'Practitioner',
        id: 'clinician-7',
        identifier: [
          { system: 'https://fhir.nhs.uk/Id/sds-user-id', value: 'UNK' },
          { system: 'https://fhir.nhs.uk/Id/sds-role-profile-id', value: 'UNK' },
          { system: 'https://fhir.joinup.example/Id/demo/subject', value: 'clinician-7' },
        ],
        name: [{ family: 'UNK' }],
      },
    })
  })
})

describe('callGpConnect', () => {
  it('sends the Ssp-* headers, the JWT and FHIR JSON to the directory endpoint, refusing redirects', async () => {
    // Prepare
    const sent: Sent[] = []

    // Act
    await callGpConnect(
      {
        holder: HOLDER,
        directory: { consumerAsid: '200000009001' },
        interactionId: GET_STRUCTURED_RECORD_INTERACTION,
        method: 'POST',
        path: '/Patient/$gpc.getstructuredrecord',
        body: { resourceType: 'Parameters' },
        requestedScope: 'patient/*.read',
        consumer: CONSUMER,
        signal: new AbortController().signal,
        now: NOW,
      },
      fakeTransport(200, stu3Record(), sent),
    )

    // Assess
    expect(sent).toHaveLength(1)
    const [{ url, init }] = sent as [Sent]
    expect(url).toBe(
      'https://provider.example.nhs.uk/Y90001/STU3/1/gpconnect/Patient/$gpc.getstructuredrecord',
    )
    expect(init).toMatchObject({
      method: 'POST',
      body: '{"resourceType":"Parameters"}',
      maxBytes: 8 * 1024 * 1024,
    })
    const headers = init.headers as Record<string, string>
    expect(headers).toMatchObject({
      Accept: 'application/fhir+json;charset=utf-8',
      'Content-Type': 'application/fhir+json;charset=utf-8',
      'Ssp-From': '200000009001',
      'Ssp-To': '918999190001',
      'Ssp-InteractionID': 'urn:nhs:names:services:gpconnect:fhir:operation:gpc.getstructuredrecord-1',
    })
    expect(headers['Ssp-TraceID']).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/)
    expect(headers.Authorization).toMatch(/^Bearer [\w-]+\.[\w-]+\.$/)
  })

  it('goes through the Spine Secure Proxy when the directory names one', async () => {
    // Prepare
    const sent: Sent[] = []

    // Act
    await callGpConnect(
      {
        holder: HOLDER,
        directory: { consumerAsid: '200000009001', sspUrl: 'https://proxy.intspineservices.nhs.uk/' },
        interactionId: GET_STRUCTURED_RECORD_INTERACTION,
        method: 'POST',
        path: '/Patient/$gpc.getstructuredrecord',
        requestedScope: 'patient/*.read',
        consumer: CONSUMER,
        signal: new AbortController().signal,
        now: NOW,
      },
      fakeTransport(200, {}, sent),
    )

    // Assess
    expect(sent[0]?.url).toBe(
      'https://proxy.intspineservices.nhs.uk/https://provider.example.nhs.uk/Y90001/STU3/1/gpconnect/Patient/$gpc.getstructuredrecord',
    )
  })
})

describe('GpConnectRecordSource', () => {
  const sourceAnswering = (status: number, body: unknown) =>
    new GpConnectRecordSource({
      directory: { consumerAsid: '200000009001' },
      ics: 'demo',
      clock: () => NOW,
      transport: fakeTransport(status, body),
    })

  it('answers the R4 record, and what it could not map', async () => {
    // Act
    const answer = await sourceAnswering(200, stu3Record()).structuredRecord(request())

    // Assess
    expect(answer).toMatchObject({
      kind: 'answered',
      notes: ['1 Flag resource was left out: no R4 mapping for the type'],
    })
    const resources = answer.kind === 'answered' ? answer.resources : []
    expect(resources.find((resource) => resource.resourceType === 'AllergyIntolerance')).toMatchObject({
      recordedDate: '2016-04-12',
      patient: { reference: 'Patient/p' },
    })
  })

  it.each<[string, number, unknown, string, RegExp]>([
    ['a record of another patient', 200, stu3Record('9000000017'), 'invalid', /not of the patient asked for/],
    ['text that is not JSON', 200, '<html>502</html>', 'invalid', /not a FHIR Bundle/],
    [
      'a searchset instead of a collection',
      200,
      { resourceType: 'Bundle', type: 'searchset', entry: [] },
      'invalid',
      /not a collection/,
    ],
    [
      'entries that are not resources',
      200,
      { resourceType: 'Bundle', type: 'collection', entry: [{ resource: 1 }] },
      'invalid',
      /not a FHIR resource/,
    ],
    [
      'PATIENT_NOT_FOUND',
      404,
      { resourceType: 'OperationOutcome', issue: [{ details: { coding: [{ code: 'PATIENT_NOT_FOUND' }] } }] },
      'not-found',
      /answered 404 PATIENT_NOT_FOUND/,
    ],
    [
      'ACCESS DENIED',
      403,
      { resourceType: 'OperationOutcome', issue: [{ details: { coding: [{ code: 'ACCESS DENIED' }] } }] },
      'refused',
      /answered 403 ACCESS DENIED/,
    ],
    ['a server error', 500, 'oops', 'error', /answered 500$/],
    [
      'a code that could carry anything (never echoed)',
      422,
      { resourceType: 'OperationOutcome', issue: [{ details: { coding: [{ code: '<b>9000000009</b>' }] } }] },
      'refused',
      /^answered 422$/,
    ],
  ])('reads %s as %s', async (_name, status, body, failure, detail) => {
    // Act
    const answer = await sourceAnswering(status, body).structuredRecord(request())

    // Assess
    expect(answer).toMatchObject({ kind: 'failed', failure })
    expect(answer.kind === 'failed' ? answer.detail : '').toMatch(detail)
  })

  it('answers unreachable when the connection fails', async () => {
    // Prepare
    const source = new GpConnectRecordSource({
      directory: {},
      ics: 'demo',
      transport: async () => {
        throw new Error('ECONNREFUSED')
      },
    })

    // Act
    const answer = await source.structuredRecord(request())

    // Assess
    expect(answer).toMatchObject({ kind: 'failed', failure: 'unreachable' })
  })

  it('answers timeout when its signal runs out', async () => {
    // Prepare
    const controller = new AbortController()
    const source = new GpConnectRecordSource({
      directory: {},
      ics: 'demo',
      transport: (_url, init) =>
        new Promise((_resolve, reject) =>
          init.signal.addEventListener('abort', () => reject(init.signal.reason)),
        ),
    })

    // Act
    const answering = source.structuredRecord(request(controller.signal))
    controller.abort(new DOMException('late', 'TimeoutError'))

    // Assess
    expect(await answering).toMatchObject({ kind: 'failed', failure: 'timeout' })
  })
})

describe('nodeHttpTransport', () => {
  // A provider on this machine: what the transport really sends, and what it refuses.
  let received: { method?: string; url?: string; headers: IncomingHttpHeaders; body: string }[] = []
  let answer: (url: string) => { status: number; body: string; headers?: Record<string, string> } = () => ({
    status: 200,
    body: '{}',
  })
  const server = createServer((request, response) => {
    let body = ''
    request.on('data', (chunk: Buffer) => {
      body += chunk.toString('utf8')
    })
    request.on('end', () => {
      received.push({ method: request.method, url: request.url, headers: request.headers, body })
      const { status, body: text, headers } = answer(request.url ?? '')
      response.writeHead(status, headers ?? { 'Content-Type': 'application/fhir+json' })
      response.end(text)
    })
  })
  let base = ''
  beforeAll(async () => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    base = `http://127.0.0.1:${(server.address() as { port: number }).port}`
  })
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())))

  const send = (path: string, overrides: Partial<GpConnectHttpRequest> = {}) =>
    nodeHttpTransport(new URL(`${base}${path}`), {
      method: 'POST',
      headers: { 'Ssp-To': '918999190001', 'Content-Type': 'application/fhir+json' },
      body: '{"resourceType":"Parameters"}',
      signal: new AbortController().signal,
      maxBytes: 1024,
      ...overrides,
    })

  it('sends the method, headers and body, and reads the answer', async () => {
    // Prepare
    received = []
    answer = () => ({ status: 200, body: '{"resourceType":"Bundle"}' })

    // Act
    const result = await send('/Y90001/STU3/1/gpconnect/Patient/$gpc.getstructuredrecord')

    // Assess
    expect(result).toEqual({ status: 200, body: '{"resourceType":"Bundle"}', headers: expect.any(Object) })
    expect(received[0]).toMatchObject({
      method: 'POST',
      url: '/Y90001/STU3/1/gpconnect/Patient/$gpc.getstructuredrecord',
      body: '{"resourceType":"Parameters"}',
      headers: { 'ssp-to': '918999190001', 'content-length': '29' },
    })
  })

  it('does not follow a redirect: the answer is what the endpoint said', async () => {
    // Prepare
    received = []
    answer = (url) =>
      url === '/moved'
        ? { status: 302, body: '', headers: { Location: `${base}/elsewhere` } }
        : { status: 200, body: '{}' }

    // Act
    const result = await send('/moved')

    // Assess
    expect(result.status).toBe(302)
    expect(received.map((request) => request.url)).toEqual(['/moved'])
  })

  it('refuses to read an answer larger than its limit', async () => {
    // Prepare
    answer = () => ({ status: 200, body: 'x'.repeat(5000) })

    // Act, Assess
    await expect(send('/large')).rejects.toThrow(/answer larger than 1024 bytes/)
  })

  it('stops when its signal is aborted', async () => {
    // Prepare
    const controller = new AbortController()
    answer = () => ({ status: 200, body: '{}' })
    controller.abort(new DOMException('late', 'TimeoutError'))

    // Act, Assess
    await expect(send('/late', { signal: controller.signal })).rejects.toThrow()
  })

  it('speaks only http and https', async () => {
    await expect(
      nodeHttpTransport(new URL('file:///etc/passwd'), {
        method: 'GET',
        headers: {},
        signal: new AbortController().signal,
        maxBytes: 10,
      }),
    ).rejects.toThrow(/unsupported scheme/)
  })
})

describe('structuredRecordOf', () => {
  it('wants exactly one Patient with the NHS number asked for', () => {
    // Prepare
    const two = stu3Record()
    two.entry.push({
      resource: { resourceType: 'Patient', id: 'q', identifier: [{ system: NHS_NUMBER_SYSTEM, value: NHS }] },
    } as never)

    // Act, Assess
    expect(structuredRecordOf(two, NHS)).toHaveProperty('invalid')
    expect(structuredRecordOf(stu3Record(), NHS)).toHaveProperty('resources')
  })
})
