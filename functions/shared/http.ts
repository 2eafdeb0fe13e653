import { randomUUID } from 'node:crypto'
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware'
import middy from '@middy/core'
import httpEventNormalizer from '@middy/http-event-normalizer'
import httpHeaderNormalizer from '@middy/http-header-normalizer'
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda'
import { decodeJwt } from 'jose'
import type { FunctionName } from '../../infra/functions'
import { gatewayMethods } from '../../infra/http-surface'
import { routes as declaredRoutes, type RouteDeclaration, type routes } from '../../infra/routes'
import type { Caller, PatientCaller } from '../../schemas/auth'
import { isValidNhsNumber, NHS_NUMBER_SYSTEM } from '../../schemas/fhir/identifiers'
import type { IcsRuntimeConfig } from '../../schemas/ics-config'
import { authenticateCaller, bearerToken, requireScope } from './auth'
import { requireCapability } from './capabilities'
import { FhirError } from './errors'
import { currentIcs } from './ics'
import { logger } from './logger'
import { requestMetricsMiddleware } from './metrics'
import type {
  AuditCaller,
  AuditEntry,
  AuditFacts,
  AuditTrail,
  OrganisationAuditFacts,
  RateLimiter,
  RefusalAuditBudget,
} from './ports'
import { type Clock, systemClock } from './time'

/**
 * The routes this code knows: in a Lambda bundle, the function's own (and the others on its
 * paths), compiled in by infra/bundling.ts `routesDefine`, so no bundle carries every route
 * of the stack; run from source (npm start, tests), every declared route.
 */
const knownRoutes: readonly RouteDeclaration[] = process.env.JOINUP_ROUTES
  ? (JSON.parse(process.env.JOINUP_ROUTES) as RouteDeclaration[])
  : declaredRoutes

/** Largest JSON body a route accepts unless it declares its own `maxBodyBytes` (API Gateway's own limit is 10 MB; Lambda's 6 MB). */
export const MAX_BODY_BYTES = 1_048_576
/** Deepest JSON nesting accepted: FHIR resources stay far below it; deeper input is an attack on the stack. */
export const MAX_BODY_NESTING = 64

const FHIR_JSON = 'application/fhir+json; charset=utf-8'
/** Media ranges a FHIR JSON answer satisfies (FHIR R4 http.html#mime-type; `_format` shorthands too). */
const FHIR_JSON_TYPES = new Set([
  'application/fhir+json',
  'application/json',
  'application/json+fhir',
  'json',
])
/** Headers every route reads; a browser app may send them cross-origin. */
const COMMON_REQUEST_HEADERS = ['Accept', 'X-Request-ID', 'X-Correlation-ID']
/** Response headers a cross-origin browser app may read. */
const EXPOSED_HEADERS = 'ETag, Location, Content-Location, Retry-After, X-Request-ID, X-Correlation-ID'
/** How long a browser may cache a preflight answer (seconds). */
const PREFLIGHT_MAX_AGE = '600'
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i
const CORRELATION_ID = /^[\x21-\x7e]{1,200}$/

/** A request as the domain sees it: parsed, size-checked and authenticated. */
export interface HttpRequest {
  route: RouteDeclaration
  pathParameters: Record<string, string>
  /** Query parameters with every repetition kept (FHIR repeats `birthdate` for a range). */
  query: Record<string, string[]>
  /** Lower-cased header names. */
  headers: Record<string, string>
  /** Parsed JSON body, for routes that take one. */
  body: unknown
  /** The body exactly as sent (decoded as UTF-8), for routes that take one: what a route that forwards it signs. */
  rawBody?: string
  requestId: string
  correlationId: string
  /** The public base URL of this API (scheme, host and stage), for fullUrl and links. */
  baseUrl: string
}

/** What a route implementation answers. */
export interface HttpResult {
  status: number
  /** A FHIR resource (sent as JSON) or text (sent as is with `contentType`). */
  body?: unknown
  contentType?: string
  headers?: Record<string, string>
  /** Patient data the route read or wrote; each fact becomes an audit record. */
  audit?: AuditFacts[]
  /** Bulk changes of an organisation that name no patient; audited in the organisation's chain. */
  organisationAudit?: OrganisationAuditFacts[]
}

export type RouteImplementation = (request: HttpRequest, caller: Caller) => Promise<HttpResult>
/** A route that declares `patientAccess`: the caller may be the patient, with their own token. */
export type PatientRouteImplementation = (
  request: HttpRequest,
  caller: Caller | PatientCaller,
) => Promise<HttpResult>
export type PublicRouteImplementation = (request: HttpRequest) => Promise<HttpResult>

export interface HttpApiDependencies {
  ics?: () => IcsRuntimeConfig
  audit?: AuditTrail
  rateLimiter?: RateLimiter
  /** Caps how many refused attempts on one patient are audited one by one (all, when absent). */
  refusalBudget?: RefusalAuditBudget
  authenticate?: (token: string, ics: IcsRuntimeConfig) => Promise<Caller | PatientCaller>
  clock?: Clock
}

type RoutesOf<F extends FunctionName> = Extract<(typeof routes)[number], { function: F }>

/** One implementation per route the function serves: a missing one is a type error. */
export type ImplementationsOf<F extends FunctionName> = {
  [R in RoutesOf<F> as R['operationId']]: R['scope'] extends null
    ? PublicRouteImplementation
    : R extends { patientAccess: true }
      ? PatientRouteImplementation
      : RouteImplementation
}

interface RequestState {
  requestId: string
  correlationId: string
  startedAt: number
  route?: RouteDeclaration
  caller?: Caller | PatientCaller
  /** Query parameters as the route reads them (a POST _search's form included), for refusal audits. */
  query?: Record<string, string[]>
  /** The `Origin` a browser sent, when the ICS allows it (CORS). */
  allowedOrigin?: string
}

/**
 * The one middy stack every HTTP function uses: request and correlation ids, JWT and
 * scope checks, rate limiting, body checks, routing by the declared routes, the audit
 * trail, and OperationOutcome errors that never carry a stack trace.
 *
 * `implementations` maps each operationId the function serves (infra/routes.ts) to its
 * implementation; a missing one fails at cold start, not on the first request.
 */
export function httpApi<F extends FunctionName>(
  fn: F,
  implementations: NoInfer<ImplementationsOf<F>>,
  deps: HttpApiDependencies = {},
) {
  return routedHttpHandler(
    fn,
    knownRoutes.filter((route) => route.function === fn),
    implementations as Record<
      string,
      RouteImplementation | PatientRouteImplementation | PublicRouteImplementation
    >,
    deps,
  )
}

/** The same stack for any list of routes (tests use it with routes of their own). */
export function routedHttpHandler(
  fn: string,
  declared: readonly RouteDeclaration[],
  implementations: Record<
    string,
    RouteImplementation | PatientRouteImplementation | PublicRouteImplementation
  >,
  deps: HttpApiDependencies = {},
) {
  for (const route of declared) {
    if (!implementations[route.operationId]) throw new Error(`${fn} does not implement ${route.operationId}`)
  }
  // Every method of this function's routes (HEAD, POST _search and OPTIONS derived), and
  // for Allow lists every route on a path, whichever function serves it.
  const surface = gatewayMethods(declared)
  const byKey = new Map(surface.map((method) => [`${method.method} ${method.path}`, method]))
  const everyRoute = [...knownRoutes, ...declared.filter((route) => !knownRoutes.includes(route))]
  const everyMethod = gatewayMethods(everyRoute)
  const icsOf = deps.ics ?? currentIcs
  const verify = deps.authenticate ?? authenticateCaller
  const clock = deps.clock ?? systemClock
  const states = new WeakMap<object, RequestState>()

  const core = async (event: APIGatewayProxyEvent, context: Context): Promise<APIGatewayProxyResult> => {
    const state = states.get(context)!
    const found = byKey.get(`${event.httpMethod} ${event.resource}`)
    if (!found) {
      const pathKnown = surface.some((candidate) => candidate.path === event.resource)
      throw pathKnown
        ? new FhirError('METHOD_NOT_ALLOWED', `${event.httpMethod} is not supported on this resource`)
        : new FhirError('NOT_FOUND', 'No such resource or operation')
    }
    if (found.kind === 'options') return preflight(event, everyMethod, state)
    const route = found.route
    state.route = route
    logger.appendKeys({ operation: route.operationId })

    const request: HttpRequest = {
      route,
      pathParameters: (event.pathParameters ?? {}) as Record<string, string>,
      query: queryOf(event),
      headers: headersOf(event),
      body: undefined,
      requestId: state.requestId,
      correlationId: state.correlationId,
      baseUrl: baseUrlOf(event),
    }
    negotiate(route, request)
    if (found.kind === 'search-post') addFormParameters(event, request)
    state.query = request.query

    let result: HttpResult
    if (route.scope === null) {
      result = await (implementations[route.operationId] as PublicRouteImplementation)(request)
    } else {
      const ics = icsOf()
      const caller = await verify(bearerToken(request.headers.authorization), ics)
      state.caller = caller
      if (caller.kind === 'patient') {
        // A patient's token is for the routes that say so; it is never an organisation's.
        if (!route.patientAccess)
          throw new FhirError('ACCESS_DENIED', 'This operation does not accept a patient token')
      } else logger.appendKeys({ organisation: caller.organisation })
      // Before the scope check, so a flood of wrong-scope requests is limited (and its refusals audited) too.
      if (deps.rateLimiter) {
        const key = caller.kind === 'patient' ? `patient-${caller.nhsNumber}` : caller.organisation
        const budget = await deps.rateLimiter.consume(key, clock())
        if (!budget.allowed) {
          throw new FhirError('TOO_MANY_REQUESTS', 'Rate limit exceeded', {
            headers: { 'Retry-After': String(budget.retryAfterSeconds) },
          })
        }
      }
      requireScope(caller, route.scope)
      // Capabilities are switched on per organisation; a patient's own request is admitted by its route.
      if (caller.kind !== 'patient') requireCapability(fn, route.operationId, caller.organisation, ics)
      if (route.hasBody) {
        const { text, body } = bodyOf(event, route.maxBodyBytes ?? MAX_BODY_BYTES)
        request.body = body
        request.rawBody = text
      }
      // The chain head is read while the route reads the data: one round trip, not two in a row.
      if (deps.audit?.prepare && (route.patientAt?.in === 'path' || route.patientAt?.in === 'query')) {
        const patient = patientNamedBy(route, event, request.query)
        if (patient) deps.audit.prepare(patient)
      }
      result = await (implementations[route.operationId] as PatientRouteImplementation)(request, caller)
      if (result.audit?.length && deps.audit)
        await appendAudit(deps.audit, result.audit, state, result.status)
      if (result.organisationAudit?.length && deps.audit) {
        if (!deps.audit.appendForOrganisation)
          throw new Error('This audit trail keeps no organisation chains')
        const recorded = requestRecord(state, result.status)
        await deps.audit.appendForOrganisation(
          result.organisationAudit.map((fact) => ({ ...fact, ...recorded })),
        )
      }
    }
    const response = toProxyResult(result)
    // HEAD: the GET, run and audited as one, without its body.
    if (found.kind === 'head') response.body = ''
    return response
  }

  /** The ICS's allowed browser origin this request came from, if any (CORS). */
  function allowedOriginOf(event: APIGatewayProxyEvent): string | undefined {
    const origin = headerValue(event.headers ?? {}, 'origin')
    if (!origin) return undefined
    let allowed: readonly string[]
    try {
      allowed = icsOf().cors?.allowedOrigins ?? []
    } catch {
      return undefined
    }
    return allowed.find((candidate) => candidate.toLowerCase() === origin.toLowerCase())
  }

  /**
   * OPTIONS: the methods the path answers (`Allow`), and for a browser from an allowed
   * origin the CORS preflight answer with the declared methods and request headers. No
   * token is needed (browsers never send one on a preflight).
   */
  function preflight(
    event: APIGatewayProxyEvent,
    methods: ReturnType<typeof gatewayMethods>,
    state: RequestState,
  ): APIGatewayProxyResult {
    const onPath = methods.filter((method) => method.path === event.resource)
    const allow = [...new Set(onPath.map((method) => method.method))].join(', ')
    const origin = headerValue(event.headers ?? {}, 'origin')
    if (origin === undefined) return { statusCode: 204, headers: { Allow: allow }, body: '' }
    if (!state.allowedOrigin) {
      throw new FhirError(
        'ACCESS_DENIED',
        'This origin is not allowed to call the API from a browser (CORS)',
        {
          headers: { Allow: allow },
        },
      )
    }
    const requestHeaders = new Set(COMMON_REQUEST_HEADERS)
    for (const method of onPath) {
      if (method.route.scope !== null) requestHeaders.add('Authorization')
      if (method.route.hasBody || method.kind === 'search-post') requestHeaders.add('Content-Type')
      for (const header of method.route.requestHeaders ?? []) requestHeaders.add(header)
    }
    return {
      statusCode: 204,
      headers: {
        Allow: allow,
        'Access-Control-Allow-Methods': allow,
        'Access-Control-Allow-Headers': [...requestHeaders].join(', '),
        'Access-Control-Max-Age': PREFLIGHT_MAX_AGE,
      },
      body: '',
    }
  }

  /** What every audit record of this request says besides what it touched. */
  function requestRecord(
    state: RequestState,
    status: number,
    caller: AuditCaller = auditCallerOf(state.caller!),
  ) {
    return {
      recordedAt: clock().toISOString(),
      requestId: state.requestId,
      correlationId: state.correlationId,
      operation: state.route!.operationId,
      caller,
      status,
    }
  }

  async function appendAudit(trail: AuditTrail, facts: AuditFacts[], state: RequestState, status: number) {
    const recorded = requestRecord(state, status)
    await trail.append(facts.map((fact) => ({ ...fact, ...recorded })))
  }

  /**
   * A refused attempt on patient data (401, 403, 404, 400…, not 429) leaves an audit record
   * with its outcome in that patient's chain, found where the route declares it
   * (`patientAt`) or named by the refusing code. An unauthenticated caller is recorded as
   * such, with its source address and what its token claimed, unverified. The refusal budget
   * caps how many are recorded one by one per patient and minute. Never changes the answer:
   * if the trail cannot be written, that is logged.
   */
  async function auditRefusal(event: APIGatewayProxyEvent, error: unknown, state: RequestState | undefined) {
    if (!deps.audit || !state) return
    const status = error instanceof FhirError ? error.status : 500
    if (status < 400 || status === 429) return
    const found = byKey.get(`${event.httpMethod} ${event.resource}`)
    if (found?.kind === 'options') return // a preflight touches no patient data
    state.route ??= found?.route
    if (!state.route || state.route.scope === null) return
    const patient =
      (error instanceof FhirError && error.patient) || patientNamedBy(state.route, event, state.query)
    if (!patient) return
    try {
      const admitted = deps.refusalBudget ? await deps.refusalBudget.admit(patient, clock()) : 'record'
      if (admitted === 'skip') return
      const caller = state.caller ? auditCallerOf(state.caller) : unauthenticatedCaller(event)
      const entry: AuditEntry = {
        patient,
        action: actionOf(state.route),
        entities: [],
        ...requestRecord(state, status, caller),
        outcomeCode:
          admitted === 'summarise'
            ? 'FURTHER_REFUSALS_NOT_RECORDED'
            : error instanceof FhirError
              ? error.code
              : 'INTERNAL_SERVER_ERROR',
      }
      await deps.audit.append([entry])
    } catch (failure) {
      logger.error('could not audit a refused request', { error: failure })
    }
  }

  return middy<APIGatewayProxyEvent, APIGatewayProxyResult>()
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(requestMetricsMiddleware(fn))
    .use({
      // Ids first, so every later failure is answered with them.
      before: (request) => {
        const headers = request.event.headers ?? {}
        const sent = headerValue(headers, 'x-request-id')
        const correlation = headerValue(headers, 'x-correlation-id')
        const state: RequestState = {
          requestId: sent && UUID.test(sent) ? sent : randomUUID(),
          correlationId: correlation && CORRELATION_ID.test(correlation) ? correlation : randomUUID(),
          startedAt: performance.now(),
        }
        states.set(request.context, state)
        state.allowedOrigin = allowedOriginOf(request.event)
        logger.appendKeys({ request_id: state.requestId, correlation_id: state.correlationId })
        // PDS: X-Request-ID, when sent, must be a UUID.
        if (sent !== undefined && !UUID.test(sent)) {
          throw new FhirError('INVALID_VALUE', "Invalid value in header 'X-Request-ID': it must be a UUID")
        }
        if (correlation !== undefined && !CORRELATION_ID.test(correlation)) {
          throw new FhirError('INVALID_VALUE', "Invalid value in header 'X-Correlation-ID'")
        }
      },
      after: (request) => finish(request.response!, states.get(request.context)),
      onError: async (request) => {
        const state = states.get(request.context)
        await auditRefusal(request.event, request.error, state)
        request.response = errorResponse(request.error, state)
        finish(request.response, state)
      },
    })
    .use(httpHeaderNormalizer())
    .use(httpEventNormalizer())
    .handler(core)
}

/** The caller as the audit trail records it. */
function auditCallerOf(caller: Caller | PatientCaller): AuditCaller {
  if (caller.kind === 'patient') {
    return {
      kind: 'patient',
      sub: caller.sub,
      organisation: '',
      purposeOfUse: caller.purposeOfUse,
      scopes: [...caller.scopes],
    }
  }
  return {
    sub: caller.sub,
    organisation: caller.organisation,
    purposeOfUse: caller.purposeOfUse,
    scopes: [...caller.scopes],
  }
}

/** A caller without a verified token: where the request came from, and what its token claimed (unverified). */
function unauthenticatedCaller(event: APIGatewayProxyEvent): AuditCaller {
  const caller: AuditCaller = {
    kind: 'unauthenticated',
    sub: '',
    organisation: '',
    purposeOfUse: '',
    scopes: [],
  }
  const sourceIp = event.requestContext?.identity?.sourceIp
  if (typeof sourceIp === 'string' && sourceIp.length <= 64) caller.sourceIp = sourceIp
  const authorization = headerValue(event.headers ?? {}, 'authorization')
  const token = authorization?.startsWith('Bearer ') ? authorization.slice(7).trim() : undefined
  if (token && token.length <= 8192) {
    try {
      const claims = decodeJwt(token)
      const text = (value: unknown) => (typeof value === 'string' && value.length <= 64 ? value : undefined)
      const organisation = text(claims.requesting_organization)
      const sub = text(claims.sub)
      if (organisation || sub)
        caller.claimed = { ...(organisation ? { organisation } : {}), ...(sub ? { sub } : {}) }
    } catch {
      // Not a JWT at all: nothing was claimed.
    }
  }
  return caller
}

/** The FHIR AuditEvent action a route's attempt counts as. */
function actionOf(route: RouteDeclaration): AuditFacts['action'] {
  const fhir = route.fhir
  if (!fhir || !('interaction' in fhir)) return 'E'
  return ({ read: 'R', 'search-type': 'E', create: 'C', update: 'U', delete: 'D' } as const)[fhir.interaction]
}

/** The NHS number a query value names: bare, a token in the NHS number system (or none), or `Patient/<nhs>`. */
function nhsNumberOfParameter(raw: string): string | undefined {
  const bar = raw.indexOf('|')
  if (bar >= 0) return [NHS_NUMBER_SYSTEM, ''].includes(raw.slice(0, bar)) ? raw.slice(bar + 1) : undefined
  const reference = /(?:^|\/)Patient\/(\d{10})$/.exec(raw)
  return reference ? reference[1] : raw
}

/** Most JSON nodes searched for an NHS number in a refused request's body. */
const MAX_NODES_SEARCHED = 10_000

/**
 * The valid NHS number a request names where its route declares one (`patientAt`), if any.
 * `query` is the query as the route reads it (a POST _search's form included), when known.
 */
function patientNamedBy(
  route: RouteDeclaration,
  event: APIGatewayProxyEvent,
  query: Record<string, string[]> = queryOf(event),
): string | undefined {
  const at = route.patientAt
  let candidate: unknown
  if (at?.in === 'path') candidate = event.pathParameters?.[at.name]
  else if (at?.in === 'query') {
    for (const name of typeof at.name === 'string' ? [at.name] : at.name) {
      const raw = query[name]?.[0]
      if (raw !== undefined) candidate = nhsNumberOfParameter(raw)
      if (candidate !== undefined) break
    }
  } else if (at?.in === 'body') candidate = nhsNumberInBody(event, route.maxBodyBytes ?? MAX_BODY_BYTES)
  return typeof candidate === 'string' && isValidNhsNumber(candidate) ? candidate : undefined
}

/** The shallowest identifier in the NHS number system in a JSON body (breadth first), within bounds. */
function nhsNumberInBody(event: APIGatewayProxyEvent, maxBytes: number): string | undefined {
  const raw = event.body ?? ''
  const text = event.isBase64Encoded ? Buffer.from(raw, 'base64').toString('utf8') : raw
  if (text === '' || Buffer.byteLength(text, 'utf8') > maxBytes || nestingDepth(text) > MAX_BODY_NESTING)
    return undefined
  let body: unknown
  try {
    body = JSON.parse(text)
  } catch {
    return undefined
  }
  const queue: unknown[] = [body]
  for (let next = 0; next < queue.length && next < MAX_NODES_SEARCHED; next++) {
    const node = queue[next]
    if (typeof node !== 'object' || node === null) continue
    const record = node as Record<string, unknown>
    if (
      record.system === NHS_NUMBER_SYSTEM &&
      typeof record.value === 'string' &&
      isValidNhsNumber(record.value)
    )
      return record.value
    for (const child of Array.isArray(node) ? node : Object.values(record)) {
      if (queue.length >= MAX_NODES_SEARCHED) break
      queue.push(child)
    }
  }
  return undefined
}

function finish(response: APIGatewayProxyResult, state: RequestState | undefined) {
  const requestId = state?.requestId ?? randomUUID()
  response.headers = {
    ...response.headers,
    'X-Request-ID': requestId,
    'X-Correlation-ID': state?.correlationId ?? requestId,
    'Cache-Control': response.headers?.['Cache-Control'] ?? 'no-store',
    'X-Content-Type-Options': 'nosniff',
    'Strict-Transport-Security': 'max-age=31536000; includeSubDomains',
    // Answers differ by Origin (CORS), so caches must key on it.
    Vary: 'Origin',
    ...(state?.allowedOrigin
      ? {
          'Access-Control-Allow-Origin': state.allowedOrigin,
          'Access-Control-Expose-Headers': EXPOSED_HEADERS,
        }
      : {}),
  }
  logger.info('request finished', {
    status: response.statusCode,
    operation: state?.route?.operationId,
    durationMs: state ? Math.round(performance.now() - state.startedAt) : undefined,
  })
}

function errorResponse(error: unknown, state: RequestState | undefined): APIGatewayProxyResult {
  if (error instanceof FhirError) {
    if (error.status >= 500) logger.error('request failed', { code: error.code })
    return {
      statusCode: error.status,
      headers: { 'Content-Type': FHIR_JSON, ...error.headers },
      body: JSON.stringify(error.toOperationOutcome()),
    }
  }
  // Anything else is our bug or an outage: log it (redacted), answer without details.
  logger.error('unhandled error', { error, operation: state?.route?.operationId })
  const internal = new FhirError(
    'INTERNAL_SERVER_ERROR',
    `Unexpected error; quote request id ${state?.requestId}`,
  )
  return {
    statusCode: 500,
    headers: { 'Content-Type': FHIR_JSON },
    body: JSON.stringify(internal.toOperationOutcome()),
  }
}

function toProxyResult(result: HttpResult): APIGatewayProxyResult {
  const isText = typeof result.body === 'string'
  return {
    statusCode: result.status,
    headers: {
      'Content-Type': result.contentType ?? FHIR_JSON,
      ...result.headers,
    },
    body: result.body === undefined ? '' : isText ? (result.body as string) : JSON.stringify(result.body),
  }
}

function headerValue(headers: Record<string, string | undefined>, name: string): string | undefined {
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() === name) return value
  }
  return undefined
}

function headersOf(event: APIGatewayProxyEvent): Record<string, string> {
  // Null prototypes: a header or parameter named "__proto__" or "constructor" is just a name.
  const headers: Record<string, string> = Object.create(null)
  for (const [key, value] of Object.entries(event.headers ?? {})) {
    if (value !== undefined) headers[key.toLowerCase()] = value
  }
  return headers
}

function queryOf(event: APIGatewayProxyEvent): Record<string, string[]> {
  const query: Record<string, string[]> = Object.create(null)
  for (const [key, values] of Object.entries(event.multiValueQueryStringParameters ?? {})) {
    if (values) query[key] = values
  }
  for (const [key, value] of Object.entries(event.queryStringParameters ?? {})) {
    if (value !== undefined && !query[key]) query[key] = [value]
  }
  return query
}

function baseUrlOf(event: APIGatewayProxyEvent): string {
  const headers = headersOf(event)
  const host = event.requestContext?.domainName ?? headers.host ?? 'localhost'
  const proto = headers['x-forwarded-proto'] ?? 'https'
  // requestContext.path carries the stage (or custom domain base path) in front of event.path.
  const fullPath = event.requestContext?.path ?? event.path
  const prefix = fullPath.endsWith(event.path) ? fullPath.slice(0, fullPath.length - event.path.length) : ''
  return `${proto}://${host}${prefix}`
}

/** Whether an Accept header admits the media type a route answers with. */
function accepts(accept: string, produces: string): boolean {
  return accept.split(',').some((range) => {
    const [type = '', ...params] = range.split(';').map((part) => part.trim().toLowerCase())
    if (params.some((param) => /^q=0(\.0{0,3})?$/.test(param))) return false
    if (type === '*/*' || type === 'application/*') return true
    return produces === 'fhir' ? FHIR_JSON_TYPES.has(type) : type === produces
  })
}

/**
 * Content negotiation (FHIR R4 http.html#mime-type): a FHIR route answers JSON only, so
 * `_format` or an `Accept` naming XML, Turtle or anything else is 406, never a 200 the client
 * cannot read. `_format` is consumed here; route implementations never see it.
 */
function negotiate(route: RouteDeclaration, request: HttpRequest) {
  if (route.contentType !== undefined) return
  const formats = request.query._format
  if (formats) {
    const format = formats.length === 1 ? formats[0]!.split(';')[0]!.trim().toLowerCase() : ''
    if (!FHIR_JSON_TYPES.has(format)) {
      throw new FhirError(
        'NOT_ACCEPTABLE',
        'This server answers FHIR JSON only: use _format=json or leave it out',
      )
    }
    delete request.query._format
  }
  const accept = request.headers.accept
  if (accept && !accepts(accept, 'fhir')) {
    throw new FhirError('NOT_ACCEPTABLE', 'This server answers application/fhir+json only')
  }
}

/** `POST [type]/_search`: the form body's parameters join the query's (FHIR R4 http.html#search). */
function addFormParameters(event: APIGatewayProxyEvent, request: HttpRequest) {
  const raw = event.body ?? ''
  const text = event.isBase64Encoded ? Buffer.from(raw, 'base64').toString('utf8') : raw
  if (Buffer.byteLength(text, 'utf8') > MAX_BODY_BYTES) {
    throw new FhirError('PAYLOAD_TOO_LARGE', `Request body is larger than ${MAX_BODY_BYTES} bytes`)
  }
  if (text.trim() === '') return
  const contentType = (request.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase()
  if (contentType !== 'application/x-www-form-urlencoded') {
    throw new FhirError(
      'UNSUPPORTED_MEDIA_TYPE',
      'Send search parameters as application/x-www-form-urlencoded',
    )
  }
  for (const [name, value] of new URLSearchParams(text)) {
    if (Object.hasOwn(request.query, name)) request.query[name]!.push(value)
    else request.query[name] = [value]
  }
}

/** Deepest bracket nesting of JSON text, ignoring brackets inside strings; stops early past the limit. */
function nestingDepth(text: string): number {
  let depth = 0
  let deepest = 0
  let inString = false
  for (let i = 0; i < text.length; i++) {
    const char = text.charCodeAt(i)
    if (inString) {
      if (char === 92)
        i++ // backslash: skip the escaped character
      else if (char === 34) inString = false
    } else if (char === 34) inString = true
    else if (char === 123 || char === 91) {
      depth++
      if (depth > deepest) deepest = depth
      if (deepest > MAX_BODY_NESTING) return deepest
    } else if (char === 125 || char === 93) depth--
  }
  return deepest
}

/** The body as sent and parsed, within the route's size limit (`maxBodyBytes`, else MAX_BODY_BYTES). */
function bodyOf(event: APIGatewayProxyEvent, maxBytes: number): { text: string; body: unknown } {
  const headers = headersOf(event)
  const raw = event.body ?? ''
  const text = event.isBase64Encoded ? Buffer.from(raw, 'base64').toString('utf8') : raw
  if (Buffer.byteLength(text, 'utf8') > maxBytes) {
    throw new FhirError('PAYLOAD_TOO_LARGE', `Request body is larger than ${maxBytes} bytes`)
  }
  const contentType = (headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase()
  if (contentType !== 'application/fhir+json' && contentType !== 'application/json') {
    throw new FhirError('UNSUPPORTED_MEDIA_TYPE', 'Send the body as application/fhir+json')
  }
  if (text.trim() === '') throw new FhirError('BAD_REQUEST', 'Request body is required')
  if (nestingDepth(text) > MAX_BODY_NESTING) {
    throw new FhirError(
      'MESSAGE_NOT_WELL_FORMED',
      `Request body nests deeper than ${MAX_BODY_NESTING} levels`,
    )
  }
  try {
    return { text, body: JSON.parse(text) }
  } catch {
    throw new FhirError('MESSAGE_NOT_WELL_FORMED', 'Request body is not valid JSON')
  }
}
