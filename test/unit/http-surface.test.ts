import { describe, expect, it } from 'vitest'
import { routesDefine } from '../../infra/bundling'
import { gatewayMethods } from '../../infra/http-surface'
import { type RouteDeclaration, routes } from '../../infra/routes'

const search: RouteDeclaration = {
  operationId: 'searchThings',
  method: 'GET',
  path: '/Thing',
  function: 'patientLookup',
  scope: 'patient.read',
  summary: 'Search things',
  fhir: { resource: 'Thing', interaction: 'search-type' },
  searchParams: [{ name: 'name', type: 'string' }],
}
const create: RouteDeclaration = {
  ...search,
  operationId: 'createThing',
  method: 'POST',
  function: 'auditApi',
}

describe('gatewayMethods', () => {
  it('derives HEAD for a GET, POST _search for a type search and OPTIONS once per path', () => {
    // Act
    const methods = gatewayMethods([search, create]).map(
      (method) => `${method.kind} ${method.method} ${method.path}`,
    )
    // Assess
    expect(methods).toEqual([
      'declared GET /Thing',
      'head HEAD /Thing',
      'search-post POST /Thing/_search',
      'declared POST /Thing',
      'options OPTIONS /Thing',
      'options OPTIONS /Thing/_search',
    ])
  })
})

describe('routesDefine', () => {
  it("compiles a function's routes and the others on its paths into its bundle, without docs-only fields", () => {
    // Act
    const compiled = JSON.parse(
      JSON.parse(routesDefine('auditApi', [search, create])['process.env.JOINUP_ROUTES']!),
    )
    // Assess
    expect(compiled.map((route: RouteDeclaration) => route.operationId)).toEqual([
      'searchThings',
      'createThing',
    ])
    expect(compiled[0]).not.toHaveProperty('summary')
    expect(compiled[0]).not.toHaveProperty('searchParams')
  })

  it('keeps a bundle to its own paths, however many routes the stack declares', () => {
    const compiled = JSON.parse(
      JSON.parse(routesDefine('auditApi')['process.env.JOINUP_ROUTES']!),
    ) as RouteDeclaration[]
    expect(compiled.every((route) => route.path.startsWith('/AuditEvent'))).toBe(true)
    expect(compiled.length).toBeLessThan(routes.length)
  })
})
