import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import SwaggerParser from '@apidevtools/swagger-parser'
import { createConfig, lintFromString } from '@redocly/openapi-core'
import { describe, expect, it } from 'vitest'
import { type RouteDeclaration, routes } from '../../infra/routes'
import { operationDocs } from '../../schemas/api'
import { declarationProblems } from '../../schemas/api/checks'
import { docsDocuments } from '../../schemas/docs-documents'

const ROOT = join(import.meta.dirname, '..', '..')
const committed = (path: string) =>
  JSON.parse(readFileSync(join(ROOT, path), 'utf8')) as Record<string, unknown>
const OPENAPI = 'schemas/exported/openapi.json'

interface Operation {
  operationId: string
  security: unknown[]
  responses: Record<string, { content?: Record<string, { examples?: Record<string, { value: unknown }> }> }>
}
const operations = () =>
  Object.values(committed(OPENAPI).paths as Record<string, Record<string, Operation>>).flatMap((methods) =>
    Object.values(methods),
  )

describe('the committed docs documents', () => {
  it.each(Object.keys(docsDocuments(ROOT)))('%s is up to date (npm run docs)', (path) => {
    expect(committed(path), `${path} is stale: run npm run docs and commit it`).toEqual(
      JSON.parse(JSON.stringify(docsDocuments(ROOT)[path])),
    )
  })
})

describe('the OpenAPI document, checked by the tools partners use', () => {
  it('is valid OpenAPI 3.1 for @apidevtools/swagger-parser (references resolved)', async () => {
    // Act
    const api = (await SwaggerParser.validate(committed(OPENAPI) as never)) as { openapi: string }
    // Assess
    expect(api.openapi).toBe('3.1.0')
  })

  it("has 0 errors and 0 warnings under Redocly's recommended ruleset", async () => {
    // Prepare
    const config = await createConfig({ extends: ['recommended'] })
    // Act
    const problems = await lintFromString({
      source: readFileSync(join(ROOT, OPENAPI), 'utf8'),
      absoluteRef: OPENAPI,
      config,
    })
    // Assess
    const found = problems.map((problem) => `${problem.severity} ${problem.ruleId}: ${problem.message}`)
    console.log(`Redocly recommended: ${found.length} problems`)
    expect(found).toEqual([])
  })

  it('puts scopes on an OAuth2 client-credentials scheme, and no security on public operations', () => {
    const document = committed(OPENAPI) as {
      components: { securitySchemes: Record<string, { type: string; flows: Record<string, unknown> }> }
    }
    expect(document.components.securitySchemes.smart?.type).toBe('oauth2')
    expect(Object.keys(document.components.securitySchemes.smart!.flows)).toEqual(['clientCredentials'])
    for (const route of routes as readonly RouteDeclaration[]) {
      const operation = operations().find((candidate) => candidate.operationId === route.operationId)!
      expect(operation.security, route.operationId).toEqual(route.scope ? [{ smart: [route.scope] }] : [])
    }
  })

  it('gives every error response an OperationOutcome example per code, naming that code', () => {
    for (const operation of operations()) {
      const statuses = Object.keys(operation.responses).filter((status) => /^[45]/.test(status))
      expect(
        statuses.some((status) => status.startsWith('4')),
        operation.operationId,
      ).toBe(true)
      for (const status of statuses) {
        const examples = operation.responses[status]!.content!['application/fhir+json']!.examples!
        for (const [code, example] of Object.entries(examples)) {
          const outcome = example.value as { issue: { details: { coding: { code: string }[] } }[] }
          expect(outcome.issue[0]!.details.coding[0]!.code, `${operation.operationId} ${status}`).toBe(code)
        }
      }
    }
  })
})

describe('route declarations (infra/routes.ts with schemas/api)', () => {
  it('document every parameter, body, example and error the OpenAPI document needs', () => {
    expect(declarationProblems(routes, operationDocs)).toEqual([])
  })

  it('catch a new route that lacks docs, an example or a 4xx', () => {
    // Prepare: what a teammate might add without finishing its docs
    const added: RouteDeclaration = {
      operationId: 'searchSlots',
      method: 'GET',
      path: '/Slot',
      function: 'patientLookup',
      scope: 'appointment.read',
      summary: 'Free slots',
      searchParams: [{ name: 'start', type: 'date' }],
    }
    const half = {
      searchSlots: {
        parameters: {
          status: { description: 'Slot status', schema: { type: 'string' as const }, example: 'free' },
        },
        response: { status: 200, description: 'Slots', schema: operationDocs.searchPointers.response.schema },
        errors: [],
      },
    }
    // Act
    const missingAll = declarationProblems([added], {})
    const missingParts = declarationProblems([added], half)
    // Assess
    expect(missingAll).toEqual(['searchSlots (GET /Slot): no docs entry in schemas/api'])
    expect(missingParts).toEqual([
      'searchSlots (GET /Slot): parameter start is not documented',
      'searchSlots (GET /Slot): documents status, which the route does not declare',
      'searchSlots (GET /Slot): the 200 response has no example',
      'searchSlots (GET /Slot): takes input but declares no 4xx error of its own',
    ])
  })

  it('have bodies whose examples parse with their own schemas', () => {
    for (const [operationId, doc] of Object.entries(operationDocs)) {
      if (doc.response.schema && doc.response.example !== undefined) {
        const parsed = doc.response.schema.safeParse(doc.response.example)
        expect(parsed.success, `${operationId} response example`).toBe(true)
      }
      if (doc.request)
        expect(doc.request.schema.safeParse(doc.request.example).success, operationId).toBe(true)
    }
  })
})
