import { join } from 'node:path'
import { type RouteDeclaration, routes } from '../../infra/routes'
import { isValidNhsNumber } from '../../schemas/fhir/identifiers'
import { SPINE_ERROR_SYSTEM, spineCodes } from '../../schemas/fhir/OperationOutcome'
import { DEMO_PATIENTS, demoPatientRecords } from '../../scripts/seed/demoPatients'
import { type FuzzRequest, routedPathname } from './requests'
import type { Exchange } from './wire'

/** The middleware's rules for the ids it echoes (functions/shared/http.ts; PDS: X-Request-ID is a UUID). */
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i
const CORRELATION_ID = /^[\x21-\x7e]{1,200}$/

const REPO_ROOT = join(import.meta.dirname, '..', '..')

const SEVERITIES = new Set(['fatal', 'error', 'warning', 'information'])

/**
 * What a stack trace or an internal path looks like in a body. Checked line by line, with
 * JSON's escaped `\n` counted as a line break, so a trace inside `diagnostics` is caught.
 */
const STACK_TRACE_SIGNS = [
  /\bat [^()\n]*\([^()\n]*:\d+:\d+\)/, // V8 frame: "at fn (file.ts:12:34)"
  /\bat (?:file:\/\/|\/)[^\s"()]*:\d+:\d+/, // V8 frame without a function name
  /\b\w*Error: .*(?:\n|\\n)\s*at /, // "TypeError: … \n at …"
  /node_modules/,
  /\/work\//,
  /file:\/\/\//,
  // The checkout's own path, wherever it lives (CI runners check out under other roots).
  new RegExp(REPO_ROOT.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')),
]

/**
 * The restricted patient's contact details that no other seeded record shares. A PDS
 * S-flag means they never leave the API (DESIGN.md), so no body may carry them.
 */
const RESTRICTED_DETAILS: readonly string[] = (() => {
  const records = demoPatientRecords()
  const found = records.find((record) => record.nhsNumber === DEMO_PATIENTS.restricted)
  const restricted = found && 'patient' in found ? found.patient : undefined
  const others = records
    .filter((record) => record.nhsNumber !== DEMO_PATIENTS.restricted)
    .map((record) => JSON.stringify(record))
    .join('\n')
  const details = [
    ...(restricted?.address ?? []).flatMap((address) => [...(address.line ?? []), address.postalCode ?? '']),
    ...(restricted?.telecom ?? []).map((telecom) => telecom.value ?? ''),
  ]
  return details.filter((detail) => detail.length >= 6 && !others.includes(detail))
})()

/**
 * Routes whose 2xx answers legitimately name patients the request did not: a demographic
 * search finds people by name and date of birth, so its matches' NHS numbers are the answer.
 * For these the check narrows to "only the matched entries' NHS numbers".
 */
const LISTS_PATIENTS = new Set(['searchPatients'])

/**
 * Routes whose 2xx answer is an Appointment the caller's organisation booked or hosts: it
 * names its patient (participant `Patient/<nhs>`), whom the request named only by the
 * appointment's id. For these the patient of the answered Appointment is allowed.
 */
const NAMES_ITS_PATIENT = new Set(['readAppointment', 'updateAppointment'])

/** The NHS numbers of an Appointment's patient participants. */
function appointmentPatients(text: string): Set<string> {
  try {
    const participants = field(JSON.parse(text), 'participant')
    return new Set(
      (Array.isArray(participants) ? participants : [])
        .map((participant) => String(field(field(participant, 'actor'), 'reference') ?? ''))
        .filter((reference) => reference.startsWith('Patient/'))
        .map((reference) => reference.slice('Patient/'.length)),
    )
  } catch {
    return new Set()
  }
}

/**
 * NHS numbers of one person: PDS answers a read of a superseded number with its
 * replacement, and that person's audit names both (DESIGN.md, the demo seed).
 */
const SAME_PERSON: ReadonlyMap<string, readonly string[]> = new Map([
  [DEMO_PATIENTS.superseded, [DEMO_PATIENTS.supersededBy]],
  [DEMO_PATIENTS.supersededBy, [DEMO_PATIENTS.superseded]],
])

interface CompiledRoute {
  route: RouteDeclaration
  pattern: RegExp
  specificity: number
}

/** The routes as the local gateway matches them: most literal segments first, optional trailing slash. */
const COMPILED: readonly CompiledRoute[] = routes
  .map((route: RouteDeclaration) => ({
    route,
    pattern: new RegExp(
      `^${route.path
        .split('/')
        .map((part) => (/^\{\w+\}$/.test(part) ? '([^/]+)' : part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
        .join('/')}/?$`,
    ),
    specificity: route.path.split('/').filter((part) => part && !part.startsWith('{')).length,
  }))
  .sort((a, b) => b.specificity - a.specificity)

/** The declared route that serves `request`, if any. */
export function servedRoute(request: FuzzRequest): RouteDeclaration | undefined {
  const pathname = routedPathname(request.target)
  if (pathname === undefined) return undefined
  return COMPILED.find(
    (candidate) => candidate.route.method === request.method && candidate.pattern.test(pathname),
  )?.route
}

/** Decodes every run of valid percent-encodings, leaving invalid ones as they are. */
function looselyDecoded(text: string): string {
  return text.replace(/(?:%[0-9A-Fa-f]{2})+/g, (run) => {
    try {
      return decodeURIComponent(run)
    } catch {
      return run
    }
  })
}

/**
 * Everything the request carried, raw and decoded: an echo of any of it (an NHS number
 * in an error's diagnostics, a name in a search's self link) is not a leak.
 */
function requestText(request: FuzzRequest): string {
  const parts = [request.target, looselyDecoded(request.target), ...Object.values(request.headers)]
  const url = new URL(`http://127.0.0.1${request.target}`)
  for (const [name, value] of url.searchParams) parts.push(name, value)
  if (request.body) parts.push(request.body.text)
  if (request.credentials.kind === 'header') parts.push(request.credentials.value)
  if ('org' in request.credentials) parts.push(request.credentials.org, ...request.credentials.scopes)
  if (request.credentials.kind === 'patient') parts.push(request.credentials.nhsNumber)
  return parts.join('\n')
}

function field(value: unknown, key: string | number): unknown {
  return typeof value === 'object' && value !== null
    ? (value as Record<string | number, unknown>)[key]
    : undefined
}

/** Why a body is not an OperationOutcome carrying a Spine error code, or undefined when it is one. */
export function outcomeDefect(text: string): string | undefined {
  let body: unknown
  try {
    body = JSON.parse(text)
  } catch {
    return 'the body is not JSON'
  }
  if (field(body, 'resourceType') !== 'OperationOutcome') return 'resourceType is not OperationOutcome'
  const issue = field(field(body, 'issue'), 0)
  if (!Array.isArray(field(body, 'issue')) || issue === undefined) return 'issue[0] is missing'
  const severity = field(issue, 'severity')
  if (typeof severity !== 'string' || !SEVERITIES.has(severity))
    return 'issue[0].severity is not a FHIR severity'
  const code = field(issue, 'code')
  if (typeof code !== 'string' || code === '') return 'issue[0].code is missing'
  const coding = field(field(field(issue, 'details'), 'coding'), 0)
  if (field(coding, 'system') !== SPINE_ERROR_SYSTEM)
    return `issue[0].details.coding[0].system is not ${SPINE_ERROR_SYSTEM}`
  const spineCode = field(coding, 'code')
  if (typeof spineCode !== 'string' || !(spineCode in spineCodes))
    return `issue[0].details.coding[0].code ${JSON.stringify(spineCode)} is not a Spine code`
  return undefined
}

/** NHS numbers in a body: ten digits standing alone that pass modulus 11. */
function nhsNumbersIn(text: string): Set<string> {
  return new Set([...text.matchAll(/\b\d{10}\b/g)].map((match) => match[0]).filter(isValidNhsNumber))
}

/** The NHS numbers of a searchset's matches (entry[].resource.id), for routes that list patients. */
function matchedPatients(text: string): Set<string> {
  try {
    const entries = field(JSON.parse(text), 'entry')
    return new Set(
      (Array.isArray(entries) ? entries : []).map((entry) => String(field(field(entry, 'resource'), 'id'))),
    )
  } catch {
    return new Set()
  }
}

function clip(text: string, max = 300): string {
  return text.length > max
    ? `${JSON.stringify(text.slice(0, max))}… (${text.length} chars)`
    : JSON.stringify(text)
}

/** What the checks need beyond the exchange itself. */
export interface Expectations {
  /** NHS numbers the public documentation routes show to everyone (their examples), captured at boot. */
  documentedNhsNumbers: ReadonlySet<string>
}

/**
 * Every invariant one exchange must keep. Returns the broken ones, empty when all hold.
 *
 * What "leak" means here: a body names a patient (an NHS number, or a restricted patient's
 * contact details) that the caller did not name in the request and the route's answer does
 * not legitimately contain. So:
 * - errors (any non-2xx) may only echo NHS numbers from the request;
 * - a 2xx may too, plus: the other NHS number of the same person (a superseded number and
 *   its replacement, which a read by id and the audit name together); a route that lists
 *   patients (LISTS_PATIENTS) the NHS numbers of the entries it matched, and nothing else;
 *   the public documentation its own static examples;
 * - no body ever carries the restricted patient's unique contact details.
 * Echoes are allowed because a caller cannot learn from an echo what it did not already send.
 */
export function brokenInvariants(exchange: Exchange, expectations: Expectations): string[] {
  const { request, status, headers, text } = exchange
  const broken: string[] = []
  const served = servedRoute(request)
  const sent = requestText(request)

  if (status >= 500) broken.push(`answered ${status}`)

  const requestId = headers.get('x-request-id')
  if (!requestId) broken.push('no X-Request-ID header')
  // Answers from the functions (they carry X-Correlation-ID) echo valid ids the caller sent.
  if (headers.has('x-correlation-id')) {
    const sentRequestId = request.headers['X-Request-ID']
    if (sentRequestId !== undefined && UUID.test(sentRequestId) && requestId !== sentRequestId)
      broken.push(`X-Request-ID ${sentRequestId} not echoed (got ${requestId})`)
    const sentCorrelationId = request.headers['X-Correlation-ID']?.trim()
    if (
      sentCorrelationId !== undefined &&
      CORRELATION_ID.test(sentCorrelationId) &&
      headers.get('x-correlation-id') !== sentCorrelationId
    )
      broken.push(`X-Correlation-ID ${clip(sentCorrelationId, 60)} not echoed`)
  }

  if (status >= 400) {
    const defect = outcomeDefect(text)
    if (defect) broken.push(`error body is not a valid OperationOutcome: ${defect}`)
    const contentType = headers.get('content-type') ?? ''
    if (!contentType.startsWith('application/fhir+json'))
      broken.push(`error Content-Type is ${clip(contentType, 60)}`)
  }

  for (const line of text.split(/\n|\\n/)) {
    for (const sign of STACK_TRACE_SIGNS) {
      const found = sign.exec(line)
      if (found && !sent.includes(found[0]))
        broken.push(`body looks like it carries a stack trace: ${clip(found[0], 120)}`)
    }
  }

  // Security, not just robustness: a protected route answers 2xx only to a valid token with its scope.
  if (status < 300 && served?.scope) {
    const credentials = request.credentials
    // A patient's own token opens only the routes that declare patientAccess, at P9 (schemas/auth.ts).
    const validPatient =
      credentials.kind === 'patient' &&
      served.patientAccess === true &&
      credentials.proofingLevel === 'P9' &&
      credentials.scopes.every((scope) => scope === 'audit.read')
    if (!(credentials.kind === 'member' || validPatient) || !credentials.scopes.includes(served.scope))
      broken.push(
        `protected route ${served.operationId} answered ${status} to ${credentials.kind} credentials`,
      )
  }

  const allowed = new Set<string>()
  if (status < 300 && served) {
    if (served.scope === null) for (const nhs of expectations.documentedNhsNumbers) allowed.add(nhs)
    for (const [nhs, others] of SAME_PERSON)
      if (sent.includes(nhs)) for (const other of others) allowed.add(other)
    if (LISTS_PATIENTS.has(served.operationId)) for (const nhs of matchedPatients(text)) allowed.add(nhs)
    if (NAMES_ITS_PATIENT.has(served.operationId))
      for (const nhs of appointmentPatients(text)) allowed.add(nhs)
  }
  const leaked = [...nhsNumbersIn(text)].filter((nhs) => !allowed.has(nhs) && !sent.includes(nhs))
  if (leaked.length) broken.push(`body names NHS numbers the request did not: ${leaked.join(', ')}`)
  const exposed = RESTRICTED_DETAILS.filter((detail) => text.includes(detail) && !sent.includes(detail))
  if (exposed.length)
    broken.push(`body carries the restricted patient's contact details: ${exposed.join(', ')}`)

  return broken.map((problem) => `${problem}\n    answer ${status}: ${clip(text)}`)
}
