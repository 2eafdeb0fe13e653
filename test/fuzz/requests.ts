import fc from 'fast-check'
import { type RouteDeclaration, routes } from '../../infra/routes'
import { type FuzzBody, fuzzBody } from './bodies'
import { encodeComponent, hugeText, nastyText, PROTOTYPE_NAMES, RAW_PERCENT_ENCODINGS } from './hostile'
import {
  appointmentIdLike,
  MEMBERS,
  nhsNumberLike,
  odsCodeLike,
  SCOPES,
  SEEDED_NHS_NUMBERS,
} from './identifiers'
import { MAX_COMPONENT, queryFor } from './queries'

/** Methods tried on every path: routes declare GET, POST, PUT and DELETE; PATCH never matches one. */
export const METHODS = ['GET', 'POST', 'PUT', 'DELETE', 'PATCH'] as const

/** How a fuzzed request authenticates. Tokens are minted when the request is sent. */
export type Credentials =
  | {
      kind:
        | 'member'
        | 'expired'
        | 'not-yet-valid'
        | 'other-ics'
        | 'wrong-audience'
        | 'non-member'
        | 'foreign-key'
        | 'alg-none'
      org: string
      scopes: string[]
    }
  | { kind: 'none' }
  /** A raw Authorization header value: garbage, other schemes, broken bearer syntax. */
  | { kind: 'header'; value: string }
  /** A patient's own token (NHS-login style): their NHS number, a proofing level, scopes. */
  | { kind: 'patient'; nhsNumber: string; proofingLevel: string; scopes: string[] }

/** One generated request. `target` is the path and query exactly as sent (already percent-encoded). */
export interface FuzzRequest {
  /** The operationId the request was derived from, or `unknown path`. */
  origin: string
  method: string
  target: string
  credentials: Credentials
  headers: Record<string, string>
  body?: FuzzBody
}

/** Printable ASCII, the only text a header value can carry through fetch untouched. */
const headerText = (maxLength: number) =>
  fc.string({
    unit: fc.integer({ min: 0x20, max: 0x7e }).map((code) => String.fromCharCode(code)),
    maxLength,
  })

const longHeaderText = (min: number, max: number) =>
  fc
    .record({ unit: fc.constantFrom('a', '0', '-', ' ', 'Z9'), length: fc.integer({ min, max }) })
    .map(({ unit, length }) => unit.repeat(Math.ceil(length / unit.length)).slice(0, length))

/**
 * Credentials for a request to `route`: mostly a valid token of a member organisation
 * (with the route's scope three times in four, so requests get past the scope check),
 * sometimes no token, a garbage header, or a token refused for one reason or another.
 */
function credentialsFor(route: RouteDeclaration | undefined): fc.Arbitrary<Credentials> {
  const scopes = fc
    .record({
      withRouteScope: fc.oneof(
        { weight: 3, arbitrary: fc.constant(true) },
        { weight: 1, arbitrary: fc.constant(false) },
      ),
      others: fc.subarray([...SCOPES], { maxLength: 4 }),
    })
    .map(({ withRouteScope, others }) =>
      withRouteScope && route?.scope ? [...new Set([route.scope, ...others])] : others,
    )
  const token = (
    kind: Exclude<Credentials['kind'], 'none' | 'header' | 'patient'>,
    org: fc.Arbitrary<string>,
  ) => fc.record({ kind: fc.constant(kind), org, scopes })
  const member = fc.constantFrom(...MEMBERS)
  return fc.oneof(
    { weight: 60, arbitrary: token('member', member) },
    { weight: 8, arbitrary: fc.constant({ kind: 'none' as const }) },
    {
      weight: 6,
      arbitrary: fc.record({
        kind: fc.constant('header' as const),
        value: fc.oneof(
          fc.constantFrom(
            'Bearer',
            'Bearer ',
            'bearer x.y.z',
            'Basic dXNlcjpwYXNz',
            'Bearer a.b.c',
            'Bearer ...',
            'Bearer eyJhbGciOiJub25lIn0.e30.',
            'Bearer eyJhbGciOiJFUzI1NiJ9.bm90IGpzb24.c2ln',
            'Token abc',
            'Bearer a b',
          ),
          headerText(60),
          headerText(40).map((text) => `Bearer ${text}`),
          longHeaderText(1_000, MAX_COMPONENT).map((text) => `Bearer ${text}`),
        ),
      }),
    },
    { weight: 3, arbitrary: token('expired', member) },
    { weight: 2, arbitrary: token('not-yet-valid', member) },
    { weight: 2, arbitrary: token('other-ics', member) },
    { weight: 2, arbitrary: token('wrong-audience', member) },
    { weight: 2, arbitrary: token('non-member', fc.constantFrom('ZZ999', 'A12', 'x', '', 'Y90001 ')) },
    { weight: 2, arbitrary: token('foreign-key', member) },
    { weight: 2, arbitrary: token('alg-none', member) },
    // Patient tokens: mostly P9 with audit.read for a seeded patient, sometimes weaker or wider.
    {
      weight: 6,
      arbitrary: fc.record({
        kind: fc.constant('patient' as const),
        nhsNumber: fc.oneof(
          { weight: 4, arbitrary: fc.constantFrom(...SEEDED_NHS_NUMBERS) },
          { weight: 1, arbitrary: nhsNumberLike },
        ),
        proofingLevel: fc.oneof(
          { weight: 6, arbitrary: fc.constant('P9') },
          { weight: 1, arbitrary: fc.constantFrom('P5', 'P0', 'p9', '') },
        ),
        scopes: fc.oneof(
          { weight: 6, arbitrary: fc.constant<string[]>(['audit.read']) },
          { weight: 1, arbitrary: fc.subarray([...SCOPES], { maxLength: 3 }) },
        ),
      }),
    },
  )
}

/** A path parameter value, already encoded for the path. */
const pathSegment: fc.Arbitrary<string> = fc.oneof(
  { weight: 16, arbitrary: nhsNumberLike.map(encodeComponent) },
  { weight: 4, arbitrary: nastyText.map(encodeComponent) },
  { weight: 2, arbitrary: fc.constantFrom(...RAW_PERCENT_ENCODINGS) },
  {
    weight: 2,
    arbitrary: fc
      .tuple(nhsNumberLike, fc.constantFrom(...RAW_PERCENT_ENCODINGS))
      .map(([nhs, raw]) => `${nhs}${raw}`),
  },
  { weight: 1, arbitrary: odsCodeLike.map(encodeComponent) },
  { weight: 4, arbitrary: appointmentIdLike.map(encodeComponent) },
  // Message and subscription ids: `<ODS>-<hex>`, of nobody or near misses.
  {
    weight: 2,
    arbitrary: fc
      .tuple(odsCodeLike, fc.constantFrom('5c1f0e7a2b3d4c6e', '4b1d9e0c7a2f5e8d3c6b1a09', 'zz', ''))
      .map(([ods, hex]) => encodeComponent(`${ods}-${hex}`)),
  },
  { weight: 1, arbitrary: fc.uuid() },
  { weight: 1, arbitrary: fc.constantFrom('', '.', '..', '$gpc.getstructuredrecord', '_history', '*') },
  {
    weight: 1,
    arbitrary: hugeText(1_000, MAX_COMPONENT).map((text) => encodeComponent(text).slice(0, MAX_COMPONENT)),
  },
)

/** A literal path segment: as declared, or spelled so that only a lax router would match it. */
function literalSegment(part: string): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 60, arbitrary: fc.constant(part) },
    { weight: 1, arbitrary: fc.constant(part.toLowerCase()) },
    { weight: 1, arbitrary: fc.constant(part.toUpperCase()) },
    {
      weight: 1,
      arbitrary: fc.constant(
        [...part]
          .map((char) => `%${char.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`)
          .join(''),
      ),
    },
    { weight: 1, arbitrary: nastyText.map((text) => part + encodeComponent(text)) },
  )
}

/** What follows a route's path: nothing, a trailing slash, extra segments, or a very long run of them. */
const pathTail: fc.Arbitrary<string> = fc.oneof(
  { weight: 60, arbitrary: fc.constant('') },
  { weight: 2, arbitrary: fc.constant('/') },
  { weight: 2, arbitrary: pathSegment.map((segment) => `/${segment}`) },
  { weight: 1, arbitrary: fc.constantFrom('/..', '/.', '//', '/%2e%2e', '/Appointment', '/_history/1') },
  {
    weight: 1,
    arbitrary: fc
      .record({
        segment: fc.constantFrom('a', 'Patient', '..', '%00', '9000000009'),
        times: fc.integer({ min: 50, max: 500 }),
      })
      .map(({ segment, times }) => `/${segment}`.repeat(times)),
  },
)

function pathOf(route: RouteDeclaration): fc.Arbitrary<string> {
  const parts = route.path.split('/').slice(1)
  const segments = parts.map((part) => (/^\{\w+\}$/.test(part) ? pathSegment : literalSegment(part)))
  return fc.tuple(fc.tuple(...segments), pathTail).map(([values, tail]) => `/${values.join('/')}${tail}`)
}

/** Resource and operation names a FHIR client might try, implemented here or not. */
const FHIR_NAMES = [
  'Patient',
  'DocumentReference',
  'Appointment',
  'Slot',
  'AuditEvent',
  'Subscription',
  'Message',
  '$process-message',
  '$gpc.getstructuredrecord',
  'metadata',
  'docs',
  'openapi.json',
  '.well-known',
  'v1',
  'local',
] as const

/**
 * Paths no route declares: random segments, FHIR names in odd places, traversal attempts,
 * and request targets that start `//`, which a URL parser reads as a host (`//host/path`).
 */
const unknownPath: fc.Arbitrary<string> = fc
  .record({
    prefix: fc.oneof(
      { weight: 12, arbitrary: fc.constant('') },
      {
        weight: 1,
        arbitrary: fc.constantFrom('/', '//x', '//%F2%B5%B3%B2', '//a%20b', '//[', '//x:99999', '//%'),
      },
    ),
    segments: fc.array(
      fc.oneof(
        { weight: 4, arbitrary: fc.constantFrom(...FHIR_NAMES) },
        { weight: 3, arbitrary: nastyText.map(encodeComponent) },
        { weight: 2, arbitrary: pathSegment },
        { weight: 1, arbitrary: fc.constantFrom(...RAW_PERCENT_ENCODINGS) },
      ),
      { maxLength: 6 },
    ),
  })
  .map(({ prefix, segments }) => `${prefix}/${segments.join('/')}`)

/** X-Request-ID and X-Correlation-ID: absent, valid, garbage, or very long; sometimes odd extra headers. */
const fuzzHeaders: fc.Arbitrary<Record<string, string>> = fc
  .record({
    requestId: fc.oneof(
      { weight: 8, arbitrary: fc.constant(undefined) },
      { weight: 8, arbitrary: fc.uuid() },
      { weight: 1, arbitrary: fc.uuid().map((id) => id.toUpperCase()) },
      { weight: 1, arbitrary: fc.uuid().map((id) => `{${id}}`) },
      { weight: 1, arbitrary: headerText(60) },
      { weight: 1, arbitrary: longHeaderText(1_000, MAX_COMPONENT) },
    ),
    correlationId: fc
      .oneof(
        { weight: 8, arbitrary: fc.constant(undefined) },
        { weight: 8, arbitrary: fc.stringMatching(/^[\x21-\x7e]{1,64}$/) },
        { weight: 2, arbitrary: headerText(60) },
        { weight: 1, arbitrary: longHeaderText(201, MAX_COMPONENT) },
      )
      // The audit trail shows every request's correlation id to later readers of that
      // patient's audit; one that looks like an NHS number would read as a leak there.
      .filter((id) => id === undefined || !/\d{10}/.test(id)),
    // One request in ten carries an odd extra header: names that shadow Object.prototype, overrides.
    extra: fc.oneof(
      { weight: 9, arbitrary: fc.constant(undefined) },
      {
        weight: 1,
        arbitrary: fc.tuple(
          fc.constantFrom(
            ...PROTOTYPE_NAMES.filter((name) => name !== '__proto__'),
            'If-Match',
            'Accept',
            'Content-Encoding',
            'X-HTTP-Method-Override',
            'Prefer',
            'X-Forwarded-Proto',
            'NHSD-Session-URID',
          ),
          fc.oneof(headerText(40), fc.constantFrom('gzip', 'DELETE', '*', 'W/"1"', 'application/xml')),
        ),
      },
    ),
  })
  .map(({ requestId, correlationId, extra }) => {
    const headers: Record<string, string> = {}
    if (requestId !== undefined) headers['X-Request-ID'] = requestId
    if (correlationId !== undefined) headers['X-Correlation-ID'] = correlationId
    if (extra) headers[extra[0]] = extra[1]
    return headers
  })

/** The body for `method`: fetch cannot send one with GET; other methods carry one sometimes. */
function bodyFor(
  method: string,
  route: RouteDeclaration | undefined,
  callerOds: string | undefined,
): fc.Arbitrary<FuzzBody | undefined> {
  if (method === 'GET') return fc.constant(undefined)
  const body = fuzzBody(route?.operationId, callerOds)
  const expectsBody = route?.hasBody === true && method === route.method
  return expectsBody
    ? fc.oneof({ weight: 12, arbitrary: body }, { weight: 1, arbitrary: fc.constant(undefined) })
    : fc.option(body, { freq: 2, nil: undefined })
}

/** A short, bounded description of a request, for fast-check's counterexample and our failure messages. */
export function describeRequest(request: FuzzRequest): string {
  const clip = (text: string, max: number) =>
    text.length > max ? `${JSON.stringify(text.slice(0, max))}… (${text.length} chars)` : JSON.stringify(text)
  const credentials =
    request.credentials.kind === 'none'
      ? 'no token'
      : request.credentials.kind === 'header'
        ? `Authorization ${clip(request.credentials.value, 60)}`
        : request.credentials.kind === 'patient'
          ? `patient token ${request.credentials.nhsNumber} ${request.credentials.proofingLevel} [${request.credentials.scopes.join(' ')}]`
          : `${request.credentials.kind} token ${request.credentials.org} [${request.credentials.scopes.join(' ')}]`
  const headers = Object.entries(request.headers)
    .map(([name, value]) => `${name}: ${clip(value, 60)}`)
    .join(', ')
  const body = request.body
    ? ` body ${clip(request.body.text, 300)} as ${request.body.contentType ?? '(no Content-Type)'}`
    : ''
  return `${request.method} ${clip(request.target, 300)} (${request.origin}; ${credentials}${headers ? `; ${headers}` : ''})${body}`
}

/**
 * Requests past what gateways accept: a request line or one header over 16 KB (Node's
 * default header limit, and past API Gateway's URL and header limits). One in forty.
 */
type Oversize = { where: 'path' | 'query' | 'header'; length: number } | undefined
const oversize: fc.Arbitrary<Oversize> = fc.oneof(
  { weight: 39, arbitrary: fc.constant(undefined) },
  {
    weight: 1,
    arbitrary: fc.record({
      where: fc.constantFrom('path' as const, 'query' as const, 'header' as const),
      length: fc.integer({ min: 17_000, max: 40_000 }),
    }),
  },
)

interface RequestParts {
  origin: string
  credentials: Credentials
  method: string
  path: string
  query: string
  headers: Record<string, string>
  oversize: Oversize
  body: FuzzBody | undefined
}

function assemble(parts: RequestParts): FuzzRequest {
  let { path, query, headers } = parts
  const padding = 'a'.repeat(parts.oversize?.length ?? 0)
  if (parts.oversize?.where === 'path') path = `${path}/${padding}`
  if (parts.oversize?.where === 'query') query = `${query ? `${query}&` : ''}padding=${padding}`
  if (parts.oversize?.where === 'header') headers = { ...headers, 'X-Padding': padding }
  const request: FuzzRequest = {
    origin: parts.origin,
    method: parts.method,
    target: query ? `${path}?${query}` : path,
    credentials: parts.credentials,
    headers,
    ...(parts.body ? { body: parts.body } : {}),
  }
  Object.defineProperty(request, fc.toStringMethod, {
    value: () => describeRequest(request),
    enumerable: false,
  })
  return request
}

/** A request derived from one declared route: its method most of the time, any method otherwise. */
function routedRequest(route: RouteDeclaration): fc.Arbitrary<FuzzRequest> {
  return credentialsFor(route).chain((credentials) => {
    const callerOds = 'org' in credentials ? credentials.org : undefined
    return fc
      .record({
        method: fc.oneof(
          { weight: 17, arbitrary: fc.constant(route.method) },
          { weight: 3, arbitrary: fc.constantFrom(...METHODS) },
        ),
        path: pathOf(route),
        query: queryFor(route, callerOds),
        headers: fuzzHeaders,
        oversize,
      })
      .chain((parts) =>
        bodyFor(parts.method, route, callerOds).map((body) =>
          assemble({ ...parts, origin: route.operationId, credentials, body }),
        ),
      )
  })
}

/**
 * The gateway's view of a target: the pathname it routes on, after fetch has normalised
 * the URL (scripts/local/gateway.ts resolves the request line against a base URL, so
 * `//host/path` routes on `/path`). Undefined when that resolution fails.
 */
export function routedPathname(target: string): string | undefined {
  const sent = new URL(`http://127.0.0.1${target}`)
  return URL.canParse(`${sent.pathname}${sent.search}`, 'http://localhost')
    ? new URL(`${sent.pathname}${sent.search}`, 'http://localhost').pathname
    : undefined
}

/**
 * The local stack's own endpoints that are not part of the API: the admin API under
 * `/_local/` (it reconfigures the bus, and the cloud has no such path) and the dev
 * issuer's JWKS. Unknown-path fuzzing stays off them.
 */
export function isLocalAdministration(target: string): boolean {
  const pathname = routedPathname(target)
  return pathname !== undefined && (pathname.startsWith('/_local/') || pathname === '/.well-known/jwks.json')
}

const unknownPathRequest: fc.Arbitrary<FuzzRequest> = credentialsFor(undefined).chain((credentials) =>
  fc
    .record({
      method: fc.constantFrom(...METHODS),
      path: unknownPath,
      query: queryFor(undefined, undefined),
      headers: fuzzHeaders,
      oversize,
    })
    .filter(({ path }) => !isLocalAdministration(path))
    .chain((parts) =>
      bodyFor(parts.method, undefined, undefined).map((body) =>
        assemble({ ...parts, origin: 'unknown path', credentials, body }),
      ),
    ),
)

/**
 * Any fuzzed request: nine in ten derived from a route in infra/routes.ts (iterated, so a
 * new route is fuzzed without touching this suite), one in ten to a path no route declares.
 */
export const fuzzRequest: fc.Arbitrary<FuzzRequest> = fc.oneof(
  {
    weight: 9,
    arbitrary: fc
      .constantFrom(...routes)
      .chain((route: RouteDeclaration) => routedRequest(route))
      .filter((request) => !isLocalAdministration(request.target)),
  },
  { weight: 1, arbitrary: unknownPathRequest },
)
