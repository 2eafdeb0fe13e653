import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { NHS_NUMBER_SYSTEM } from '../../schemas/fhir/identifiers'
import { SNOMED } from '../../schemas/fhir/recordTypes'
import { testRangeNhsNumbers } from '../../scripts/seed/demoPatients'
import { bootStack, eventually, type RunningStack } from './harness'

// What off-the-shelf FHIR clients and browsers rely on around the resources themselves:
// formats, HEAD and OPTIONS, CORS, search by POST, paging, Location and ids, references.

const PARTNER_ORIGIN = 'https://partner-app.example.nhs.uk'
let running: RunningStack
let token: string
/** Patients the seed gave no holders; this file gives them its own. */
const spare = testRangeNhsNumbers(160).slice(140)

interface SearchBundle {
  total?: number
  link: { relation: string; url: string }[]
  entry?: { fullUrl: string; search: { mode: string }; resource: { id: string; resourceType: string } }[]
}

beforeAll(async () => {
  running = await bootStack({ corsOrigins: [PARTNER_ORIGIN] })
  token = await running.token('Y90001', 'patient.read record.read pointer.write audit.read')
})
afterAll(() => running.stop())

const get = (path: string, headers: Record<string, string> = {}) => running.request(path, { token, headers })
const pointersOf = (nhsNumber: string, extra = '') =>
  `/DocumentReference?subject:identifier=${NHS_NUMBER_SYSTEM}|${nhsNumber}${extra}`
const codeOf = async (response: Response) =>
  ((await response.json()) as { issue: { details: { coding: { code: string }[] } }[] }).issue[0]!.details
    .coding[0]!.code

describe('formats', () => {
  it.each([
    ['Accept: application/fhir+xml', '/Patient/9000000009', { Accept: 'application/fhir+xml' }],
    ['_format=xml', '/Patient/9000000009?_format=xml', {}],
    ['_format=application/fhir+xml', '/Patient/9000000009?_format=application%2Ffhir%2Bxml', {}],
    ['Accept: text/turtle', '/metadata', { Accept: 'text/turtle' }],
  ])('answers 406 NOT_ACCEPTABLE for %s', async (_, path, headers) => {
    const response = await get(path, headers)
    expect(response.status).toBe(406)
    expect(await codeOf(response)).toBe('NOT_ACCEPTABLE')
  })

  it.each([
    ['_format=json', '/Patient/9000000009?_format=json', {}],
    ['_format=application/fhir+json', '/Patient/9000000009?_format=application%2Ffhir%2Bjson', {}],
    ['Accept: application/json', '/Patient/9000000009', { Accept: 'application/json' }],
    ['a browser Accept', '/Patient/9000000009', { Accept: 'text/html,application/xhtml+xml,*/*;q=0.8' }],
  ])('serves JSON for %s', async (_, path, headers) => {
    const response = await get(path, headers)
    expect(response.status).toBe(200)
    expect(response.headers.get('content-type')).toMatch(/^application\/fhir\+json/)
  })
})

describe('HEAD and OPTIONS', () => {
  it('answers HEAD like GET, without a body', async () => {
    const response = await running.request('/Patient/9000000009', { method: 'HEAD', token })
    expect(response.status).toBe(200)
    expect(response.headers.get('etag')).toBe('W/"1"')
    expect(await response.text()).toBe('')
    expect((await running.request('/Patient/4857773457', { method: 'HEAD', token })).status).toBe(404)
  })

  it('answers OPTIONS with the methods the path has, without a token', async () => {
    const response = await running.request('/DocumentReference', { method: 'OPTIONS' })
    expect(response.status).toBe(204)
    expect(response.headers.get('allow')).toBe('GET, HEAD, POST, DELETE, OPTIONS')
    expect((await running.request('/Patient/_search', { method: 'OPTIONS' })).headers.get('allow')).toBe(
      'POST, OPTIONS',
    )
  })
})

describe('CORS (origins from the ICS config)', () => {
  it('answers the preflight of an allowed origin with the declared methods and headers', async () => {
    const response = await running.request('/DocumentReference', {
      method: 'OPTIONS',
      headers: {
        Origin: PARTNER_ORIGIN,
        'Access-Control-Request-Method': 'POST',
        'Access-Control-Request-Headers': 'authorization,content-type',
      },
    })
    expect(response.status).toBe(204)
    expect(response.headers.get('access-control-allow-origin')).toBe(PARTNER_ORIGIN)
    expect(response.headers.get('access-control-allow-methods')).toBe('GET, HEAD, POST, DELETE, OPTIONS')
    expect(response.headers.get('access-control-allow-headers')?.split(', ').sort()).toEqual(
      ['Accept', 'Authorization', 'Content-Type', 'X-Correlation-ID', 'X-Request-ID'].sort(),
    )
    expect(response.headers.get('vary')).toContain('Origin')
  })

  it('lets an allowed origin read the answer and its headers, and nobody else', async () => {
    const allowed = await get('/Patient/9000000009', { Origin: PARTNER_ORIGIN })
    expect(allowed.headers.get('access-control-allow-origin')).toBe(PARTNER_ORIGIN)
    expect(allowed.headers.get('access-control-expose-headers')).toContain('X-Request-ID')
    const other = await get('/Patient/9000000009', { Origin: 'https://evil.example' })
    expect(other.headers.get('access-control-allow-origin')).toBeNull()
    const preflight = await running.request('/Patient', {
      method: 'OPTIONS',
      headers: { Origin: 'https://evil.example', 'Access-Control-Request-Method': 'GET' },
    })
    expect(preflight.status).toBe(403)
    expect(preflight.headers.get('access-control-allow-origin')).toBeNull()
  })
})

describe('search', () => {
  it('answers POST [type]/_search with a form body as the GET search', async () => {
    const viaGet = (await (await get('/Patient?family=Smith&birthdate=eq2010-10-22')).json()) as SearchBundle
    const response = await running.request('/Patient/_search', {
      method: 'POST',
      token,
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: 'family=Smith&birthdate=eq2010-10-22',
    })
    expect(response.status).toBe(200)
    const viaPost = (await response.json()) as SearchBundle
    expect(viaPost.entry?.map((entry) => entry.resource.id)).toEqual(
      viaGet.entry?.map((entry) => entry.resource.id),
    )
    const json = await running.request('/Patient/_search', {
      method: 'POST',
      token,
      headers: { 'Content-Type': 'application/json' },
      body: '{"family":"Smith"}',
    })
    expect(json.status).toBe(415)
  })

  it.each([
    ['Patient', '/Patient?family=Smith&birthdate=eq2010-10-22'],
    ['DocumentReference', pointersOf('9000000009')],
    ['AuditEvent', '/AuditEvent?patient=Patient/9000000009'],
  ])('gives %s entries a fullUrl that names them and search.mode match', async (type, path) => {
    const bundle = (await (await get(path)).json()) as SearchBundle
    expect(bundle.entry?.length).toBeGreaterThan(0)
    for (const entry of bundle.entry ?? []) {
      expect(entry.fullUrl).toBe(`${running.baseUrl}/${type}/${entry.resource.id}`)
      expect(entry.search.mode).toBe('match')
    }
  })

  it('honours the system of a type token', async () => {
    const snomed = (await (
      await get(pointersOf('9000000009', `&type=${SNOMED}|824321000000109`))
    ).json()) as SearchBundle
    const loinc = (await (
      await get(pointersOf('9000000009', '&type=http://loinc.org|824321000000109'))
    ).json()) as SearchBundle
    expect(snomed.total).toBeGreaterThan(0)
    expect(loinc.total).toBe(0)
  })

  it('finds pointers by subject and custodian as references too', async () => {
    const byReference = (await (
      await get('/DocumentReference?subject=Patient/9000000009&custodian=Organization/Y90001')
    ).json()) as SearchBundle
    expect(byReference.entry?.map((entry) => entry.resource.id).every((id) => id.startsWith('Y90001-'))).toBe(
      true,
    )
    expect(byReference.total).toBeGreaterThan(0)
  })
})

describe('paging', () => {
  it('pages exactly 60 pointers as 20, 20, 20 with no next link on the last page', async () => {
    // Prepare: 60 holders for one patient, through the bus as any producer would
    const patient = spare[0]!
    const bus = new EventBridgeClient({
      endpoint: running.stack.busEndpoint,
      region: 'eu-west-2',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    })
    for (let batch = 0; batch < 6; batch++) {
      await bus.send(
        new PutEventsCommand({
          Entries: Array.from({ length: 10 }, (_, index) => ({
            EventBusName: 'joinup-demo',
            Source: 'joinup.platform',
            DetailType: 'RecordHolderRegistered',
            Detail: JSON.stringify({
              metadata: {
                id: crypto.randomUUID(),
                version: '2.0',
                occurredAt: new Date().toISOString(),
                correlationId: 'paging-test',
                ics: 'demo',
                producer: 'test',
              },
              data: {
                nhsNumber: patient,
                holderOds: `ZP${String(batch * 10 + index).padStart(3, '0')}`,
                recordType: { system: SNOMED, code: '824321000000109', display: 'Summary record' },
              },
            }),
          })),
        }),
      )
    }
    bus.destroy()
    await eventually(async () => {
      const last = (await (await get(pointersOf(patient, '&_count=100'))).json()) as SearchBundle
      return last.total === 60 ? last : undefined
    }, 15_000)
    // Act
    const pages: SearchBundle[] = []
    let next: string | undefined = pointersOf(patient, '&_count=20')
    while (next) {
      const page = (await (await get(next)).json()) as SearchBundle
      pages.push(page)
      const link = page.link.find((candidate) => candidate.relation === 'next')?.url
      next = link?.slice(running.baseUrl.length)
    }
    // Assess
    expect(pages.map((page) => page.entry?.length)).toEqual([20, 20, 20])
    expect(pages.map((page) => page.total)).toEqual([undefined, undefined, 60])
  })

  it('gives AuditEvent searches the total of every record, on every page', async () => {
    // Prepare: the trail so far (reading it adds a record), then 26 audited reads
    const patient = '9000000033'
    const before = ((await (await get(`/AuditEvent?patient=Patient/${patient}`)).json()) as SearchBundle)
      .total!
    for (let read = 0; read < 26; read++) expect((await get(`/Patient/${patient}`)).status).toBe(200)
    // Act
    const first = (await (
      await get(`/AuditEvent?patient=Patient/${patient}&_count=20`)
    ).json()) as SearchBundle
    const nextUrl = first.link.find((link) => link.relation === 'next')!.url
    const second = (await (await get(nextUrl.slice(running.baseUrl.length))).json()) as SearchBundle
    // Assess: every record counted, the first page's own read included on the second
    expect(first.total).toBe(before + 1 + 26)
    expect(first.entry).toHaveLength(20)
    expect(second.total).toBe(first.total! + 1)
    expect(second.entry).toHaveLength(Math.min(20, first.total! - 20))
    expect(first.entry!.length + second.entry!.length).toBe(Math.min(40, first.total!))
  })

  it('takes _count on pointer and audit searches, within 1 to 100', async () => {
    const two = (await (await get('/AuditEvent?patient=Patient/9000000009&_count=2')).json()) as SearchBundle
    expect(two.entry).toHaveLength(2)
    expect((await get('/AuditEvent?patient=9000000009&_count=0')).status).toBe(400)
    expect((await get(pointersOf('9000000009', '&_count=101'))).status).toBe(400)
  })
})

describe('pointers by id', () => {
  it('reads a registration at its Location once indexed, and deletes it by id', async () => {
    // Prepare
    const patient = spare[1]!
    const producer = await running.token('RX9', 'pointer.write record.read')
    const created = await running.request('/DocumentReference', {
      method: 'POST',
      token: producer,
      headers: { 'Content-Type': 'application/fhir+json' },
      body: JSON.stringify({
        resourceType: 'DocumentReference',
        status: 'current',
        type: { coding: [{ system: SNOMED, code: '736253002' }] },
        subject: { identifier: { system: NHS_NUMBER_SYSTEM, value: patient } },
        custodian: { identifier: { system: 'https://fhir.nhs.uk/Id/ods-organization-code', value: 'RX9' } },
      }),
    })
    const location = created.headers.get('location')!
    const path = location.slice(running.baseUrl.length)
    // Act
    const read = await eventually(async () => {
      const response = await running.request(path, { token: producer })
      return response.status === 200 ? ((await response.json()) as { id: string }) : undefined
    })
    const refused = await running.request(path, { method: 'DELETE', token })
    const deleted = await running.request(path, { method: 'DELETE', token: producer })
    // Assess
    expect(created.status).toBe(202)
    expect(path).toBe(`/DocumentReference/${read.id}`)
    expect(refused.status).toBe(403)
    expect(deleted.status).toBe(202)
    await eventually(async () =>
      (await running.request(path, { token: producer })).status === 404 ? true : undefined,
    )
  })

  it('answers 404 NO_RECORD_FOUND for an unknown id and 400 for a malformed one', async () => {
    const unknown = await get('/DocumentReference/Y90001-0000000000000000')
    expect(unknown.status).toBe(404)
    expect(await codeOf(unknown)).toBe('NO_RECORD_FOUND')
    expect((await get('/DocumentReference/not-an-id')).status).toBe(400)
  })
})

describe('discovery', () => {
  it('tells clients where to get a token and which scopes exist', async () => {
    const response = await running.request('/.well-known/smart-configuration')
    const configuration = (await response.json()) as { token_endpoint: string; scopes_supported: string[] }
    expect(response.status).toBe(200)
    expect(configuration.token_endpoint).toBe(`${running.baseUrl}/_local/token`)
    expect(configuration.scopes_supported).toContain('patient.read')
    const minted = await fetch(configuration.token_endpoint, {
      method: 'POST',
      body: new URLSearchParams({
        grant_type: 'client_credentials',
        client_id: 'NX001',
        scope: 'patient.read',
      }),
    })
    const { access_token } = (await minted.json()) as { access_token: string }
    expect((await running.request('/Patient/9000000009', { token: access_token })).status).toBe(200)
  })
})
