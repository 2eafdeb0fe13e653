import { randomUUID } from 'node:crypto'
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware'
import middy from '@middy/core'
import httpEventNormalizer from '@middy/http-event-normalizer'
import httpHeaderNormalizer from '@middy/http-header-normalizer'
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda'
import { decodeJwt } from 'jose'
import type { FunctionName } from '../../infra/functions'
import { type RouteDeclaration, type routes, routesOf } from '../../infra/routes'
import type { Caller, PatientCaller } from '../../schemas/auth'
import { isValidNhsNumber, NHS_NUMBER_SYSTEM } from '../../schemas/fhir/identifiers'
import type { IcsRuntimeConfig } from '../../schemas/ics-config'
import { authenticateCaller, bearerToken, requireScope } from './auth'
import { FhirError } from './errors'
import { currentIcs } from './ics'
import { logger } from './logger'
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
  const byKey = new Map(declared.map((route) => [`${route.method} ${route.path}`, route]))
  const icsOf = deps.ics ?? currentIcs
  const verify = deps.authenticate ?? authenticateCaller
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
      if (route.hasBody) request.body = bodyOf(event)
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
    return toProxyResult(result)
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
    state.route ??= byKey.get(`${event.httpMethod} ${event.resource}`)
    if (!state.route || state.route.scope === null) return
    const patient = (error instanceof FhirError && error.patient) || patientNamedBy(state.route, event)
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

/** Most JSON nodes searched for an NHS number in a refused request's body. */
const MAX_NODES_SEARCHED = 10_000

/** The valid NHS number a request names where its route declares one (`patientAt`), if any. */
function patientNamedBy(route: RouteDeclaration, event: APIGatewayProxyEvent): string | undefined {
  const at = route.patientAt
  let candidate: unknown
  if (at?.in === 'path') candidate = event.pathParameters?.[at.name]
  else if (at?.in === 'query') {
    const raw = queryOf(event)[at.name]?.[0]
    const bar = raw?.indexOf('|') ?? -1
    // Bare, or a token in the NHS number system (or with an empty system).
    if (raw !== undefined && bar < 0) candidate = raw
    else if (raw !== undefined && [NHS_NUMBER_SYSTEM, ''].includes(raw.slice(0, bar)))
      candidate = raw.slice(bar + 1)
  } else if (at?.in === 'body') candidate = nhsNumberInBody(event)
  return typeof candidate === 'string' && isValidNhsNumber(candidate) ? candidate : undefined
}

/** The shallowest identifier in the NHS number system in a JSON body (breadth first), within bounds. */
function nhsNumberInBody(event: APIGatewayProxyEvent): string | undefined {
  const raw = event.body ?? ''
  const text = event.isBase64Encoded ? Buffer.from(raw, 'base64').toString('utf8') : raw
  if (
    text === '' ||
    Buffer.byteLength(text, 'utf8') > MAX_BODY_BYTES ||
    nestingDepth(text) > MAX_BODY_NESTING
  )
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
