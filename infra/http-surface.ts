import type { FunctionName } from './functions'
import type { RouteDeclaration } from './routes'

/**
 * Every method the API answers, derived from the declared routes so that API Gateway (CDK),
 * the local gateway and the handlers agree: each declared route; HEAD beside every GET
 * (FHIR clients and link checkers probe with it); `POST <type>/_search` beside every type
 * search (FHIR R4 http.html#search: a search by form post, for long or sensitive criteria);
 * OPTIONS on every path (the `Allow` list and the CORS preflight).
 */
export type GatewayMethodKind = 'declared' | 'head' | 'search-post' | 'options'

export interface GatewayMethod {
  method: 'GET' | 'HEAD' | 'POST' | 'PUT' | 'DELETE' | 'OPTIONS'
  path: string
  function: FunctionName
  /** The declared route this method runs (for OPTIONS: the first route on the path). */
  route: RouteDeclaration
  kind: GatewayMethodKind
}

/** The suffix of a search by POST (FHIR R4: `POST [base]/[type]/_search`). */
export const SEARCH_BY_POST = '/_search'

/** The methods derived from a list of routes (infra/routes.ts's, or those a bundle carries). */
export function gatewayMethods(declared: readonly RouteDeclaration[]): GatewayMethod[] {
  const methods: GatewayMethod[] = []
  for (const route of declared) {
    methods.push({
      method: route.method,
      path: route.path,
      function: route.function,
      route,
      kind: 'declared',
    })
    if (route.method === 'GET') {
      methods.push({ method: 'HEAD', path: route.path, function: route.function, route, kind: 'head' })
    }
    if (isTypeSearch(route)) {
      methods.push({
        method: 'POST',
        path: `${route.path}${SEARCH_BY_POST}`,
        function: route.function,
        route,
        kind: 'search-post',
      })
    }
  }
  const paths = new Map<string, GatewayMethod>()
  for (const method of methods) if (!paths.has(method.path)) paths.set(method.path, method)
  for (const [path, first] of paths) {
    methods.push({ method: 'OPTIONS', path, function: first.function, route: first.route, kind: 'options' })
  }
  return methods
}

/** Whether a route is a FHIR type search (it gets `POST <path>/_search`). */
export function isTypeSearch(route: RouteDeclaration): boolean {
  return (
    route.method === 'GET' &&
    !!route.fhir &&
    'interaction' in route.fhir &&
    route.fhir.interaction === 'search-type'
  )
}
