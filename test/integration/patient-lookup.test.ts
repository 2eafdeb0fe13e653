import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DEMO_PATIENTS } from '../../scripts/seed/demoPatients'
import { bootStack, type RunningStack } from './harness'

let running: RunningStack
let token: string

beforeAll(async () => {
  running = await bootStack()
  token = await running.token('NX001', 'patient.read')
})
afterAll(() => running.stop())

async function outcomeCode(response: Response): Promise<string | undefined> {
  const body = (await response.json()) as { issue?: { details?: { coding?: { code?: string }[] } }[] }
  return body.issue?.[0]?.details?.coding?.[0]?.code
}

describe('PDS lookup over HTTP', () => {
  it('reads a patient and echoes the request and correlation ids', async () => {
    // Prepare
    const requestId = crypto.randomUUID()
    // Act
    const response = await running.request(`/Patient/${DEMO_PATIENTS.registered}`, {
      token,
      headers: { 'X-Request-ID': requestId, 'X-Correlation-ID': 'integration-1' },
    })
    // Assess
    expect(response.status).toBe(200)
    expect(response.headers.get('x-request-id')).toBe(requestId)
    expect(response.headers.get('x-correlation-id')).toBe('integration-1')
    expect(response.headers.get('etag')).toBe('W/"1"')
    const patient = (await response.json()) as {
      id: string
      generalPractitioner: { identifier: { value: string } }[]
    }
    expect(patient.id).toBe(DEMO_PATIENTS.registered)
    expect(patient.generalPractitioner[0]!.identifier.value).toBe('Y90001')
  })

  it('searches by demographics', async () => {
    const response = await running.request(
      '/Patient?family=smith&given=jane&birthdate=eq2010-10-22&gender=female',
      { token },
    )
    const bundle = (await response.json()) as {
      total: number
      entry: { fullUrl: string; search: { score: number } }[]
    }
    expect(response.status).toBe(200)
    expect(bundle.total).toBe(1)
    expect(bundle.entry[0]!.fullUrl).toBe(`${running.baseUrl}/Patient/${DEMO_PATIENTS.registered}`)
    expect(bundle.entry[0]!.search.score).toBe(1)
  })

  it('reads a superseded number as its replacement', async () => {
    const response = await running.request(`/Patient/${DEMO_PATIENTS.superseded}`, { token })
    expect(((await response.json()) as { id: string }).id).toBe(DEMO_PATIENTS.supersededBy)
  })

  it('withholds a restricted patient’s address, telecom and GP', async () => {
    const patient = (await (
      await running.request(`/Patient/${DEMO_PATIENTS.restricted}`, { token })
    ).json()) as Record<string, unknown>
    expect(patient).not.toHaveProperty('address')
    expect(patient).not.toHaveProperty('telecom')
    expect(patient).not.toHaveProperty('generalPractitioner')
  })

  it('returns a deceased patient with the death notification', async () => {
    const patient = (await (
      await running.request(`/Patient/${DEMO_PATIENTS.deceased}`, { token })
    ).json()) as Record<string, unknown>
    expect(patient.deceasedDateTime).toBe('2024-03-02T09:15:00+00:00')
  })

  const errors: [string, string, number, string][] = [
    ['an invalid NHS number', '/Patient/9000000008', 400, 'INVALID_RESOURCE_ID'],
    ['an unknown patient', `/Patient/${DEMO_PATIENTS.neverSeeded}`, 404, 'RESOURCE_NOT_FOUND'],
    ['a search without a date of birth', '/Patient?family=Smith', 400, 'MISSING_VALUE'],
    ['a search without a family name', '/Patient?birthdate=eq2010-10-22', 400, 'INVALID_SEARCH_DATA'],
    ['an invalid gender', '/Patient?family=Smith&birthdate=eq2010-10-22&gender=x', 400, 'INVALID_VALUE'],
    [
      'too many matches',
      '/Patient?family=Smith&birthdate=ge1900-01-01&_max-results=1',
      200,
      'TOO_MANY_MATCHES',
    ],
  ]
  for (const [name, path, status, code] of errors) {
    it(`answers ${status} ${code} for ${name}`, async () => {
      const response = await running.request(path, { token })
      expect(response.status).toBe(status)
      expect(await outcomeCode(response)).toBe(code)
      expect(response.headers.get('x-request-id')).toBeTruthy()
    })
  }
})

describe('PDS lookup access rules over HTTP', () => {
  it('refuses a request without a token with 401', async () => {
    const response = await running.request(`/Patient/${DEMO_PATIENTS.registered}`)
    expect(response.status).toBe(401)
    expect(await outcomeCode(response)).toBe('ACCESS_DENIED')
  })

  it('refuses an expired token with 401', async () => {
    const expired = await running.token('NX001', 'patient.read', { ttlSeconds: -120 })
    expect((await running.request(`/Patient/${DEMO_PATIENTS.registered}`, { token: expired })).status).toBe(
      401,
    )
  })

  it('refuses a token without patient.read with 403', async () => {
    const wrongScope = await running.token('NX001', 'appointment.read')
    expect(
      (await running.request(`/Patient/${DEMO_PATIENTS.registered}`, { token: wrongScope })).status,
    ).toBe(403)
  })

  it('refuses an organisation outside the ICS with 403', async () => {
    const outsider = await running.token('ZZ999', 'patient.read')
    expect((await running.request(`/Patient/${DEMO_PATIENTS.registered}`, { token: outsider })).status).toBe(
      403,
    )
  })

  it('refuses a token minted for another ICS (its audience is that stack) with 401', async () => {
    const otherIcs = await running.token('NX001', 'patient.read', { ics: 'example-north' })
    expect((await running.request(`/Patient/${DEMO_PATIENTS.registered}`, { token: otherIcs })).status).toBe(
      401,
    )
  })
})
