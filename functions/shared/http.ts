import { randomUUID } from 'node:crypto'
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware'
import middy from '@middy/core'
import httpEventNormalizer from '@middy/http-event-normalizer'
import httpHeaderNormalizer from '@middy/http-header-normalizer'
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda'
import type { FunctionName } from '../../infra/functions'
import { type RouteDeclaration, type routes, routesOf } from '../../infra/routes'
import type { Caller } from '../../schemas/auth'
import type { IcsRuntimeConfig } from '../../schemas/ics-config'
import { authenticate, bearerToken, requireScope } from './auth'
import { requireCapability } from './capabilities'
import { FhirError } from './errors'
import { currentIcs } from './ics'
import { logger } from './logger'
import { requestMetricsMiddleware } from './metrics'
import type { AuditFacts, AuditTrail, RateLimiter } from './ports'
import { type Clock, systemClock } from './time'

/** Largest JSON body any route accepts (API Gateway's own limit is 10 MB; Lambda's 6 MB). */
export const MAX_BODY_BYTES = 1_048_576
/** Deepest JSON nesting accepted: FHIR resources stay far below it; deeper input is an attack on the stack. */
export const MAX_BODY_NESTING = 64

const FHIR_JSON = 'application/fhir+json; charset=utf-8'
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
}

export type RouteImplementation = (request: HttpRequest, caller: Caller) => Promise<HttpResult>
export type PublicRouteImplementation = (request: HttpRequest) => Promise<HttpResult>

export interface HttpApiDependencies {
  ics?: () => IcsRuntimeConfig
  audit?: AuditTrail
  rateLimiter?: RateLimiter
  authenticate?: (token: string, ics: IcsRuntimeConfig) => Promise<Caller>
  clock?: Clock
}

type RoutesOf<F extends FunctionName> = Extract<(typeof routes)[number], { function: F }>

/** One implementation per route the function serves: a missing one is a type error. */
export type ImplementationsOf<F extends FunctionName> = {
  [R in RoutesOf<F> as R['operationId']]: R['scope'] extends null
    ? PublicRouteImplementation
    : RouteImplementation
}

interface RequestState {
  requestId: string
  correlationId: string
  startedAt: number
  route?: RouteDeclaration
  caller?: Caller
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
    routesOf(fn),
    implementations as Record<string, RouteImplementation | PublicRouteImplementation>,
    deps,
  )
}

/** The same stack for any list of routes (tests use it with routes of their own). */
export function routedHttpHandler(
  fn: string,
  declared: readonly RouteDeclaration[],
  implementations: Record<string, RouteImplementation | PublicRouteImplementation>,
  deps: HttpApiDependencies = {},
) {
  for (const route of declared) {
    if (!implementations[route.operationId]) throw new Error(`${fn} does not implement ${route.operationId}`)
  }
  const byKey = new Map(declared.map((route) => [`${route.method} ${route.path}`, route]))
  const icsOf = deps.ics ?? currentIcs
  const verify = deps.authenticate ?? authenticate
  const clock = deps.clock ?? systemClock
  const states = new WeakMap<object, RequestState>()

  const core = async (event: APIGatewayProxyEvent, context: Context): Promise<APIGatewayProxyResult> => {
    const state = states.get(context)!
    const route = byKey.get(`${event.httpMethod} ${event.resource}`)
    if (!route) {
      const pathKnown = declared.some((candidate) => candidate.path === event.resource)
      throw pathKnown
        ? new FhirError('METHOD_NOT_ALLOWED', `${event.httpMethod} is not supported on this resource`)
        : new FhirError('NOT_FOUND', 'No such resource or operation')
    }
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

    let result: HttpResult
    if (route.scope === null) {
      result = await (implementations[route.operationId] as PublicRouteImplementation)(request)
    } else {
      const ics = icsOf()
      const caller = await verify(bearerToken(request.headers.authorization), ics)
      state.caller = caller
      logger.appendKeys({ organisation: caller.organisation })
      requireScope(caller, route.scope)
      requireCapability(fn, route.operationId, caller.organisation, ics)
      if (deps.rateLimiter) {
        const budget = await deps.rateLimiter.consume(caller.organisation, clock())
        if (!budget.allowed) {
          throw new FhirError('TOO_MANY_REQUESTS', `Rate limit for ${caller.organisation} exceeded`, {
            headers: { 'Retry-After': String(budget.retryAfterSeconds) },
          })
        }
      }
      if (route.hasBody) request.body = bodyOf(event)
      result = await (implementations[route.operationId] as RouteImplementation)(request, caller)
      if (result.audit?.length && deps.audit)
        await appendAudit(deps.audit, result.audit, state, result.status)
    }
    return toProxyResult(result)
  }

  async function appendAudit(trail: AuditTrail, facts: AuditFacts[], state: RequestState, status: number) {
    const caller = state.caller!
    const recordedAt = clock().toISOString()
    await trail.append(
      facts.map((fact) => ({
        ...fact,
        recordedAt,
        requestId: state.requestId,
        correlationId: state.correlationId,
        operation: state.route!.operationId,
        caller: {
          sub: caller.sub,
          organisation: caller.organisation,
          purposeOfUse: caller.purposeOfUse,
          scopes: [...caller.scopes],
        },
        status,
      })),
    )
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
      onError: (request) => {
        request.response = errorResponse(request.error, states.get(request.context))
        finish(request.response, states.get(request.context))
      },
    })
    .use(httpHeaderNormalizer())
    .use(httpEventNormalizer())
    .handler(core)
}

function finish(response: APIGatewayProxyResult, state: RequestState | undefined) {
  const requestId = state?.requestId ?? randomUUID()
  response.headers = {
    ...response.headers,
    'X-Request-ID': requestId,
    'X-Correlation-ID': state?.correlationId ?? requestId,
    'Cache-Control': 'no-store',
    'X-Content-Type-Options': 'nosniff',
    'Strict-Transport-Security': 'max-age=31536000; includeSubDomains',
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

function bodyOf(event: APIGatewayProxyEvent): unknown {
  const headers = headersOf(event)
  const raw = event.body ?? ''
  const text = event.isBase64Encoded ? Buffer.from(raw, 'base64').toString('utf8') : raw
  if (Buffer.byteLength(text, 'utf8') > MAX_BODY_BYTES) {
    throw new FhirError('PAYLOAD_TOO_LARGE', `Request body is larger than ${MAX_BODY_BYTES} bytes`)
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
    return JSON.parse(text)
  } catch {
    throw new FhirError('MESSAGE_NOT_WELL_FORMED', 'Request body is not valid JSON')
  }
}
