import { Bundle } from '../../../schemas/fhir/Bundle'
import { OperationOutcome } from '../../../schemas/fhir/OperationOutcome'
import { Patient } from '../../../schemas/fhir/Patient'
import { FhirError } from '../errors'
import { countMetric } from '../metrics'
import {
  type CallContext,
  OPEN_END,
  OPEN_START,
  type PatientDirectory,
  type PatientReadResult,
  type PatientSearchCriteria,
  type PatientSearchResult,
} from './PatientDirectory'

export interface NationalPdsOptions {
  /** e.g. https://api.service.nhs.uk/personal-demographics/FHIR/R4 */
  baseUrl: string
  /**
   * An NHS API platform access token (application-restricted signed-JWT flow,
   * NhsApiPlatformTokens); `refresh` asks for a new one after PDS refused the current one.
   */
  accessToken: (request?: { refresh?: boolean }) => Promise<string>
  fetch?: typeof fetch
  /** Attempts per call, the first included. */
  attempts?: number
  timeoutMs?: number
  sleep?: (ms: number) => Promise<void>
}

/** Statuses worth another try: throttling and the platform's transient failures. */
const RETRYABLE = new Set([408, 429, 500, 502, 503, 504])

/**
 * PDS lookups answered by the national PDS FHIR R4 API. Each logical call keeps one
 * X-Request-ID across its retries, so PDS can recognise a repeat (PDS FHIR: "retries must
 * reuse the X-Request-ID"); the caller's correlation id travels as X-Correlation-ID.
 */
export class NationalPdsDirectory implements PatientDirectory {
  private readonly fetch: typeof fetch
  private readonly attempts: number
  private readonly timeoutMs: number
  private readonly sleep: (ms: number) => Promise<void>

  constructor(private readonly options: NationalPdsOptions) {
    this.fetch = options.fetch ?? globalThis.fetch
    this.attempts = options.attempts ?? 3
    this.timeoutMs = options.timeoutMs ?? 5_000
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)))
  }

  async read(nhsNumber: string, context: CallContext): Promise<PatientReadResult> {
    const response = await this.call(`/Patient/${encodeURIComponent(nhsNumber)}`, context)
    const body: unknown = await response.json()
    if (response.status === 200) return { kind: 'found', patient: Patient.parse(body) }
    const code = outcomeCode(body)
    if (response.status === 404 && code === 'INVALIDATED_RESOURCE') return { kind: 'invalidated' }
    if (response.status === 404) return { kind: 'not-found' }
    throw failure('read', response.status, code)
  }

  async search(criteria: PatientSearchCriteria, context: CallContext): Promise<PatientSearchResult> {
    const response = await this.call(`/Patient?${searchQuery(criteria)}`, context)
    const body: unknown = await response.json()
    if (response.status !== 200) throw failure('search', response.status, outcomeCode(body))
    // PDS answers 200 with a bare OperationOutcome when more than _max-results match.
    if (outcomeCode(body) === 'TOO_MANY_MATCHES') return { kind: 'too-many' }
    const bundle = Bundle.parse(body)
    return {
      kind: 'matches',
      matches: (bundle.entry ?? []).map((entry) => ({
        patient: Patient.parse(entry.resource),
        score: entry.search?.score ?? 1,
      })),
    }
  }

  private async call(path: string, context: CallContext): Promise<Response> {
    let lastError: unknown
    countMetric('PdsNationalCalls')
    // No token is a configuration fault: fail now rather than retry it as an outage.
    let token = await this.options.accessToken()
    let refreshed = false
    for (let attempt = 1; attempt <= this.attempts; attempt++) {
      try {
        const response = await this.fetch(`${this.options.baseUrl}${path}`, {
          headers: {
            Accept: 'application/fhir+json',
            Authorization: `Bearer ${token}`,
            'X-Request-ID': context.requestId,
            'X-Correlation-ID': context.correlationId,
          },
          signal: AbortSignal.timeout(this.timeoutMs),
        })
        // A token the platform revoked or expired early: one new token, one more try (not an attempt).
        if (response.status === 401 && !refreshed) {
          refreshed = true
          token = await this.options.accessToken({ refresh: true })
          attempt--
          continue
        }
        const delay = retryDelay(response, attempt)
        // A Retry-After beyond our budget is PDS saying "not now": answer rather than retry early.
        if (!RETRYABLE.has(response.status) || attempt === this.attempts || delay === undefined)
          return response
        lastError = new Error(`PDS answered ${response.status}`)
        await this.sleep(delay)
      } catch (error) {
        lastError = error
        if (attempt === this.attempts) break
        await this.sleep(retryDelay(undefined, attempt) ?? 0)
      }
    }
    countMetric('PdsNationalFailures')
    throw new FhirError(
      'SERVICE_UNAVAILABLE',
      `The national PDS did not answer (${lastError instanceof Error ? lastError.message : 'no answer'}); try again`,
      { headers: { 'Retry-After': '5' } },
    )
  }
}

/**
 * What a PDS answer this client cannot use becomes: an outage PDS is still having after the
 * retries (5xx, 429, 408) is a 503 for our caller; anything else (PDS refusing our request
 * or our credentials) is our fault, a 500 that alarms.
 */
function failure(operation: 'read' | 'search', status: number, code: string | undefined): Error {
  const described = `PDS ${operation} answered ${status} ${code ?? ''}`.trim()
  if (!RETRYABLE.has(status)) return new Error(described)
  countMetric('PdsNationalFailures')
  return new FhirError('SERVICE_UNAVAILABLE', `The national PDS is unavailable (${described}); try again`, {
    headers: { 'Retry-After': '5' },
  })
}

/** Longest Retry-After worth waiting for inside one API request. */
const MAX_RETRY_AFTER_SECONDS = 5

/** Milliseconds before the next attempt, or undefined when PDS asks for longer than we can wait. */
function retryDelay(response: Response | undefined, attempt: number): number | undefined {
  const header = response?.headers.get('retry-after')
  if (header) {
    const seconds = /^\d+$/.test(header) ? Number(header) : (Date.parse(header) - Date.now()) / 1000
    if (Number.isFinite(seconds))
      return seconds > MAX_RETRY_AFTER_SECONDS ? undefined : Math.max(0, seconds) * 1000
  }
  return 100 * 2 ** (attempt - 1)
}

function outcomeCode(body: unknown): string | undefined {
  const outcome = OperationOutcome.safeParse(body)
  return outcome.success ? outcome.data.issue[0]?.details?.coding[0]?.code : undefined
}

/** A date or range as PDS takes it: `eq` for one day, else `ge` and/or `le` for the ends given. */
function appendDateRange(query: URLSearchParams, name: string, range: { from: string; to: string }) {
  if (range.from === range.to) return query.append(name, `eq${range.from}`)
  if (range.from !== OPEN_START) query.append(name, `ge${range.from}`)
  if (range.to !== OPEN_END) query.append(name, `le${range.to}`)
}

/** The PDS query string for validated criteria. */
export function searchQuery(criteria: PatientSearchCriteria): string {
  const query = new URLSearchParams()
  const text = (criterion: { text: string; raw?: string }) => criterion.raw ?? criterion.text
  if (criteria.family) query.append('family', text(criteria.family))
  for (const given of criteria.given) query.append('given', text(given))
  if (criteria.gender) query.append('gender', criteria.gender)
  appendDateRange(query, 'birthdate', criteria.birthDate)
  if (criteria.postcode) query.append('address-postalcode', text(criteria.postcode))
  if (criteria.generalPractitioner) query.append('general-practitioner', criteria.generalPractitioner)
  if (criteria.email) query.append('email', criteria.email)
  if (criteria.phone) query.append('phone', criteria.phone)
  if (criteria.deathDate) appendDateRange(query, 'death-date', criteria.deathDate)
  if (criteria.fuzzy) query.append('_fuzzy-match', 'true')
  if (criteria.exactMatch) query.append('_exact-match', 'true')
  query.append('_max-results', String(criteria.maxResults))
  return query.toString()
}
