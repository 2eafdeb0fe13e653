import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type RouteDeclaration, routes } from '../../infra/routes'
import { operationDocs } from '../../schemas/api'
import type { OperationDoc } from '../../schemas/api/types'
import { bootStack, eventually, type RunningStack } from './harness'

// Walks the CapabilityStatement the running stack serves, as a client generated from it
// would: every interaction and every search parameter it declares is exercised and works,
// and every FHIR route of infra/routes.ts is in it.

interface Statement {
  rest: {
    resource: {
      type: string
      interaction: { code: string }[]
      conditionalDelete?: string
      searchParam?: { name: string; type: string; documentation?: string }[]
    }[]
  }[]
}
interface Searchset {
  resourceType: string
  type: string
  link: { relation: string; url: string }[]
  entry?: { resource: { resourceType: string; id: string } }[]
}

let running: RunningStack
let token: string
let statement: Statement

beforeAll(async () => {
  running = await bootStack()
  token = await running.token(
    'Y90001',
    'patient.read record.read pointer.write audit.read appointment.read appointment.write slot.write subscription.write',
  )
  statement = (await (await running.request('/metadata')).json()) as Statement
})
afterAll(() => running.stop())

const fhirRoutes = (routes as readonly RouteDeclaration[]).filter(
  (route) => route.scope !== null && route.fhir && 'interaction' in route.fhir,
)
const routeFor = (type: string, interaction: string, conditional = false) =>
  fhirRoutes.find(
    (route) =>
      route.fhir &&
      'interaction' in route.fhir &&
      route.fhir.resource === type &&
      route.fhir.interaction === interaction &&
      (route.fhir.conditional ?? false) === conditional,
  )!
const docOf = (route: RouteDeclaration): OperationDoc =>
  operationDocs[route.operationId as keyof typeof operationDocs]

/** A search that works: the docs' example query, else the required parameters' examples. */
function baseQuery(route: RouteDeclaration): URLSearchParams {
  const doc = docOf(route)
  if (doc.exampleQuery) return new URLSearchParams(doc.exampleQuery)
  const query = new URLSearchParams()
  for (const [name, parameter] of Object.entries(doc.parameters ?? {}))
    if (parameter.required && !route.path.includes(`{${name}}`)) query.set(name, parameter.example)
  return query
}

async function search(type: string, query: URLSearchParams): Promise<Searchset> {
  const response = await running.request(`/${type}?${query}`, { token })
  const body = (await response.json()) as Searchset
  expect(response.status, `GET /${type}?${query}: ${JSON.stringify(body).slice(0, 300)}`).toBe(200)
  expect(body).toMatchObject({ resourceType: 'Bundle', type: 'searchset' })
  return body
}

describe('the CapabilityStatement walk', () => {
  it('lists every FHIR route of infra/routes.ts, and nothing else', () => {
    const listed = statement.rest[0]!.resource.flatMap((resource) => [
      ...resource.interaction.map((interaction) => `${resource.type} ${interaction.code}`),
      ...(resource.conditionalDelete ? [`${resource.type} conditional-delete`] : []),
    ])
    const declared = fhirRoutes.map((route) => {
      const fhir = route.fhir as { resource: string; interaction: string; conditional?: boolean }
      return `${fhir.resource} ${fhir.conditional ? 'conditional-delete' : fhir.interaction}`
    })
    expect(listed.sort()).toEqual(declared.sort())
  })

  it('exercises every search parameter it declares, in each form, and each works', async () => {
    let exercised = 0
    for (const resource of statement.rest[0]!.resource) {
      const route = routeFor(resource.type, 'search-type')
      const doc = docOf(route)
      for (const param of resource.searchParam ?? []) {
        const declared = route.searchParams!.find((candidate) => candidate.name === param.name)!
        expect(param.type).toBe(declared.type)
        for (const name of [
          param.name,
          ...(declared.modifiers ?? []).map((modifier) => `${param.name}:${modifier}`),
        ]) {
          if (name === '_cursor') {
            // The paging cursor is exercised as clients use it: by following `next`.
            const query = baseQuery(route)
            query.set('_count', '1')
            const first = await search(resource.type, query)
            const next = first.link.find((link) => link.relation === 'next')
            expect(next, `${resource.type} has a second page`).toBeDefined()
            const second = await running.request(next!.url.slice(running.baseUrl.length), { token })
            expect(second.status).toBe(200)
            exercised++
            continue
          }
          const parameter = doc.parameters![name]!
          const query = parameter.exampleQuery
            ? new URLSearchParams(parameter.exampleQuery)
            : baseQuery(route)
          if (!parameter.exampleQuery) query.set(name, parameter.example)
          const found = await search(resource.type, query)
          expect(found.entry?.length ?? 0, `${resource.type}?${query} finds something`).toBeGreaterThan(0)
          exercised++
        }
      }
    }
    expect(exercised).toBeGreaterThan(20)
  })

  it('exercises every read, create and delete it declares', async () => {
    const interactions = statement.rest[0]!.resource.flatMap((resource) =>
      resource.interaction.map((interaction) => ({ type: resource.type, code: interaction.code })),
    )
    const created = new Map<string, string>()
    // create first (delete uses what it made), then read, then delete
    const order = ['search-type', 'create', 'read', 'delete']
    interactions.sort((a, b) => order.indexOf(a.code) - order.indexOf(b.code))
    for (const { type, code } of interactions) {
      const route = routeFor(type, code)
      const doc = docOf(route)
      if (code === 'search-type') {
        await search(type, baseQuery(route))
      } else if (code === 'create') {
        const response = await running.request(route.path, {
          method: 'POST',
          token,
          headers: { 'Content-Type': 'application/fhir+json' },
          body: JSON.stringify(doc.request!.example),
        })
        expect(response.status, `${type} create`).toBeLessThan(300)
        created.set(type, response.headers.get('location')!.slice(running.baseUrl.length))
      } else if (code === 'read') {
        // Read what a search found (and what was just created, once indexed).
        const found = await search(type, baseQuery(routeFor(type, 'search-type')))
        const id = found.entry![0]!.resource.id
        const read = await running.request(`/${type}/${id}`, { token })
        expect(read.status, `${type} read`).toBe(200)
        expect(((await read.json()) as { id: string }).id).toBe(id)
        const location = created.get(type)
        if (location)
          await eventually(async () =>
            (await running.request(location, { token })).status === 200 ? true : undefined,
          )
      } else if (code === 'delete') {
        const location = created.get(type)
        expect(location, `${type} delete needs a created ${type}`).toBeDefined()
        const response = await running.request(location!, { method: 'DELETE', token })
        expect(response.status, `${type} delete`).toBeLessThan(300)
        await eventually(async () =>
          (await running.request(location!, { token })).status === 404 ? true : undefined,
        )
      }
    }
  })

  it('exercises every conditional delete it declares', async () => {
    for (const resource of statement.rest[0]!.resource.filter((candidate) => candidate.conditionalDelete)) {
      const route = routeFor(resource.type, 'delete', true)
      const query = new URLSearchParams()
      for (const [name, parameter] of Object.entries(docOf(route).parameters ?? {}))
        if (parameter.required || name === 'type' || name === 'subject:identifier')
          query.set(name, parameter.example)
      const response = await running.request(`${route.path}?${query}`, { method: 'DELETE', token })
      expect(response.status, `${resource.type} conditional delete: ${await response.clone().text()}`).toBe(
        202,
      )
    }
  })
})
