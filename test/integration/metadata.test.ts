import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { routes } from '../../infra/routes'
import { bootStack, type RunningStack } from './harness'

let running: RunningStack

beforeAll(async () => {
  running = await bootStack()
})
afterAll(() => running.stop())

describe('GET /metadata', () => {
  it('answers a CapabilityStatement without a token, listing every protected operation', async () => {
    // Act
    const response = await running.request('/metadata')
    const statement = (await response.json()) as {
      resourceType: string
      fhirVersion: string
      rest: { resource: { type: string; interaction: { code: string }[] }[] }[]
    }
    // Assess
    expect(response.status).toBe(200)
    expect(response.headers.get('content-type')).toMatch(/^application\/fhir\+json/)
    expect(response.headers.get('x-request-id')).toBeTruthy()
    expect(statement).toMatchObject({ resourceType: 'CapabilityStatement', fhirVersion: '4.0.1' })
    const listed = statement.rest[0]!.resource.flatMap((resource) =>
      resource.interaction.map((interaction) => `${resource.type}:${interaction.code}`),
    )
    for (const route of routes) {
      if (route.scope === null || !('fhir' in route) || !('interaction' in route.fhir)) continue
      expect(listed).toContain(`${route.fhir.resource}:${route.fhir.interaction}`)
    }
  })
})

describe('docs', () => {
  it('serves a readable reference page and the OpenAPI document', async () => {
    const page = await running.request('/docs')
    expect(page.status).toBe(200)
    expect(page.headers.get('content-type')).toMatch(/^text\/html/)
    expect(await page.text()).toContain('/Patient/{nhsNumber}')
    const openApi = (await (await running.request('/docs/openapi.json')).json()) as {
      paths: Record<string, unknown>
    }
    expect(Object.keys(openApi.paths)).toEqual(expect.arrayContaining(['/Patient/{nhsNumber}', '/Patient']))
  })
})

describe('the local gateway', () => {
  it('answers an unknown path with a 404 OperationOutcome, as API Gateway is configured to', async () => {
    const response = await running.request('/Nowhere/at/all')
    expect(response.status).toBe(404)
    const body = (await response.json()) as {
      resourceType: string
      issue: { details: { coding: { code: string }[] } }[]
    }
    expect(body.resourceType).toBe('OperationOutcome')
    expect(body.issue[0]!.details.coding[0]!.code).toBe('NOT_FOUND')
  })

  it('answers a method the path does not have the same way', async () => {
    const response = await running.request('/metadata', { method: 'DELETE' })
    expect(response.status).toBe(404)
  })
})
