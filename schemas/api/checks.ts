import { queryNamesOf, type RouteDeclaration } from '../../infra/routes'
import type { OperationDoc } from './types'

/**
 * What a route's declaration lacks for the OpenAPI document, as readable problems: docs
 * for every path and query parameter (and none for parameters the route does not read),
 * a working example per parameter, an example for every JSON body, and at least one
 * operation-specific 4xx for any route that takes input. test/contract/openapi.test.ts
 * requires none, so a new route cannot land half-documented.
 */
export function declarationProblems(
  routes: readonly RouteDeclaration[],
  docs: Readonly<Record<string, OperationDoc | undefined>>,
): string[] {
  const problems: string[] = []
  for (const route of routes) {
    const where = `${route.operationId} (${route.method} ${route.path})`
    const doc = docs[route.operationId]
    if (!doc) {
      problems.push(`${where}: no docs entry in schemas/api`)
      continue
    }
    const pathNames = [...route.path.matchAll(/\{(\w+)\}/g)].map((match) => match[1]!)
    const queryNames = (route.searchParams ?? []).flatMap(queryNamesOf)
    const expected = new Set([...pathNames, ...queryNames])
    const documented = new Set(Object.keys(doc.parameters ?? {}))
    for (const name of expected)
      if (!documented.has(name)) problems.push(`${where}: parameter ${name} is not documented`)
    for (const name of documented)
      if (!expected.has(name)) problems.push(`${where}: documents ${name}, which the route does not declare`)
    for (const [name, parameter] of Object.entries(doc.parameters ?? {})) {
      if (!parameter.example) problems.push(`${where}: parameter ${name} has no example`)
      if (!parameter.description) problems.push(`${where}: parameter ${name} has no description`)
    }
    if (doc.response.schema && doc.response.example === undefined)
      problems.push(`${where}: the ${doc.response.status} response has no example`)
    if (route.hasBody && !doc.request) problems.push(`${where}: takes a body but documents no request`)
    if (!route.hasBody && doc.request) problems.push(`${where}: documents a request body it does not read`)
    if (doc.request && doc.request.example === undefined)
      problems.push(`${where}: the request has no example`)
    const takesInput = expected.size > 0 || route.hasBody === true
    const ownClientErrors = doc.errors.filter((error) => (error.status ?? 400) < 500)
    if (takesInput && ownClientErrors.length === 0)
      problems.push(`${where}: takes input but declares no 4xx error of its own`)
  }
  return problems
}
