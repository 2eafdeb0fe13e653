import { describe, expect, it } from 'vitest'
import { parseSearchCriteria } from '../../functions/patient-lookup/searchCriteria'
import { NationalPdsDirectory, searchQuery } from '../../functions/shared/patients/NationalPdsDirectory'
import type { CallContext } from '../../functions/shared/patients/PatientDirectory'
import { NHS_NUMBER_SYSTEM } from '../../schemas/fhir/identifiers'
import { operationOutcome, type SpineCodeName } from '../../schemas/fhir/OperationOutcome'
import type { Patient } from '../../schemas/fhir/Patient'

// Payloads are small inline copies of the shapes in ../shared/examples/pds (patient_9000000009.json,
// PatientSearch.json, RESOURCE_NOT_FOUND.json, INVALIDATED_RESOURCE.json, TOO_MANY_MATCHES.json).

const BASE_URL = 'https://sandbox.api.service.nhs.uk/personal-demographics/FHIR/R4'
const CONTEXT: CallContext = {
  requestId: '60E0B220-8136-4CA5-AE46-1D97EF59D068',
  correlationId: 'corr-11C46F5F',
}

interface RecordedCall {
  url: string
  headers: Record<string, string>
}

type Reply = { status: number; body: unknown; headers?: Record<string, string> } | Error

/** A fetch that answers from a script, one reply per call, and records what it was asked. */
function scriptedFetch(...replies: Reply[]) {
  const calls: RecordedCall[] = []
  const fetch = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    calls.push({ url: String(input), headers: { ...(init?.headers as Record<string, string>) } })
    const reply = replies.shift()
    if (!reply) throw new Error('the test scripted no more replies')
    if (reply instanceof Error) throw reply
    return new Response(JSON.stringify(reply.body), {
      status: reply.status,
      headers: { 'Content-Type': 'application/fhir+json', ...reply.headers },
    })
  }
  return { fetch: fetch as typeof globalThis.fetch, calls }
}

/** A sleep that returns at once and records each delay asked for. */
function recordedSleep() {
  const delays: number[] = []
  const sleep = async (ms: number) => {
    delays.push(ms)
  }
  return { sleep, delays }
}

function directoryWith(fetch: typeof globalThis.fetch, sleep: (ms: number) => Promise<void>, attempts = 3) {
  return new NationalPdsDirectory({
    baseUrl: BASE_URL,
    accessToken: async () => 'token-abc',
    fetch,
    sleep,
    attempts,
  })
}

function pdsPatient(nhsNumber: string, family = 'Smith'): Patient {
  return {
    resourceType: 'Patient',
    id: nhsNumber,
    identifier: [{ system: NHS_NUMBER_SYSTEM, value: nhsNumber }],
    meta: {
      versionId: '2',
      security: [
        {
          system: 'http://terminology.hl7.org/CodeSystem/v3-Confidentiality',
          code: 'U',
          display: 'unrestricted',
        },
      ],
    },
    name: [{ id: '123', use: 'usual', given: ['Jane'], family }],
    gender: 'female',
    birthDate: '2010-10-22',
  }
}

const outcome = (code: SpineCodeName) => operationOutcome(code)

describe('NationalPdsDirectory', () => {
  describe('read', () => {
    it('answers found with the patient PDS returned', async () => {
      // Prepare
      const { fetch, calls } = scriptedFetch({ status: 200, body: pdsPatient('9000000009') })
      const directory = directoryWith(fetch, recordedSleep().sleep)

      // Act
      const result = await directory.read('9000000009', CONTEXT)

      // Assess
      expect(result).toEqual({ kind: 'found', patient: pdsPatient('9000000009') })
      expect(calls).toHaveLength(1)
      expect(calls[0]!.url).toBe(`${BASE_URL}/Patient/9000000009`)
      expect(calls[0]!.headers).toMatchObject({
        Accept: 'application/fhir+json',
        Authorization: 'Bearer token-abc',
        'X-Request-ID': CONTEXT.requestId,
        'X-Correlation-ID': CONTEXT.correlationId,
      })
    })

    it('answers not-found on 404 RESOURCE_NOT_FOUND', async () => {
      const { fetch } = scriptedFetch({ status: 404, body: outcome('RESOURCE_NOT_FOUND') })

      const result = await directoryWith(fetch, recordedSleep().sleep).read('4857773457', CONTEXT)

      expect(result).toEqual({ kind: 'not-found' })
    })

    it('answers invalidated on 404 INVALIDATED_RESOURCE', async () => {
      const { fetch } = scriptedFetch({ status: 404, body: outcome('INVALIDATED_RESOURCE') })

      const result = await directoryWith(fetch, recordedSleep().sleep).read('9000000009', CONTEXT)

      expect(result).toEqual({ kind: 'invalidated' })
    })

    it('throws on a status it cannot retry, without retrying', async () => {
      // Prepare
      const { fetch, calls } = scriptedFetch({ status: 403, body: outcome('ACCESS_DENIED') })
      const directory = directoryWith(fetch, recordedSleep().sleep)

      // Act
      const reading = directory.read('9000000009', CONTEXT)

      // Assess
      await expect(reading).rejects.toThrow(/403 ACCESS_DENIED/)
      expect(calls).toHaveLength(1)
    })
  })

  describe('retries', () => {
    it('retries a 503 and answers from the second attempt, with the same request and correlation ids', async () => {
      // Prepare
      const { fetch, calls } = scriptedFetch(
        { status: 503, body: outcome('SERVICE_UNAVAILABLE') },
        { status: 200, body: pdsPatient('9000000009') },
      )
      const { sleep, delays } = recordedSleep()

      // Act
      const result = await directoryWith(fetch, sleep).read('9000000009', CONTEXT)

      // Assess
      expect(result.kind).toBe('found')
      expect(calls).toHaveLength(2)
      expect(calls.map((call) => call.headers['X-Request-ID'])).toEqual([
        CONTEXT.requestId,
        CONTEXT.requestId,
      ])
      expect(calls.map((call) => call.headers['X-Correlation-ID'])).toEqual([
        CONTEXT.correlationId,
        CONTEXT.correlationId,
      ])
      expect(delays).toEqual([100])
    })

    it('waits as long as a 429 Retry-After asks before trying again', async () => {
      // Prepare
      const { fetch, calls } = scriptedFetch(
        { status: 429, body: outcome('TOO_MANY_REQUESTS'), headers: { 'Retry-After': '2' } },
        { status: 200, body: pdsPatient('9000000009') },
      )
      const { sleep, delays } = recordedSleep()

      // Act
      const result = await directoryWith(fetch, sleep).read('9000000009', CONTEXT)

      // Assess
      expect(result.kind).toBe('found')
      expect(calls).toHaveLength(2)
      expect(delays).toEqual([2000])
    })

    it('backs off exponentially and gives up after its attempts, throwing', async () => {
      // Prepare
      const { fetch, calls } = scriptedFetch(
        { status: 503, body: outcome('SERVICE_UNAVAILABLE') },
        { status: 502, body: outcome('SERVICE_UNAVAILABLE') },
        { status: 503, body: outcome('SERVICE_UNAVAILABLE') },
        { status: 200, body: pdsPatient('9000000009') },
      )
      const { sleep, delays } = recordedSleep()

      // Act
      const reading = directoryWith(fetch, sleep, 3).read('9000000009', CONTEXT)

      // Assess
      await expect(reading).rejects.toThrow(/503/)
      expect(calls).toHaveLength(3)
      expect(delays).toEqual([100, 200])
    })

    it('retries a network failure and rethrows it when every attempt fails', async () => {
      // Prepare
      const { fetch, calls } = scriptedFetch(new TypeError('fetch failed'), new TypeError('fetch failed'))
      const { sleep, delays } = recordedSleep()

      // Act
      const reading = directoryWith(fetch, sleep, 2).read('9000000009', CONTEXT)

      // Assess
      await expect(reading).rejects.toThrow('fetch failed')
      expect(calls).toHaveLength(2)
      expect(calls[0]!.headers['X-Request-ID']).toBe(calls[1]!.headers['X-Request-ID'])
      expect(delays).toEqual([100])
    })
  })

  describe('search', () => {
    it('answers too-many when PDS answers 200 with a bare TOO_MANY_MATCHES OperationOutcome', async () => {
      // Prepare
      const { fetch } = scriptedFetch({ status: 200, body: outcome('TOO_MANY_MATCHES') })
      const criteria = parseSearchCriteria({ family: ['Smith'], birthdate: ['2010-10-22'] })

      // Act
      const result = await directoryWith(fetch, recordedSleep().sleep).search(criteria, CONTEXT)

      // Assess
      expect(result).toEqual({ kind: 'too-many' })
    })

    it('answers the searchset entries as matches with their scores', async () => {
      // Prepare
      const { fetch, calls } = scriptedFetch({
        status: 200,
        body: {
          resourceType: 'Bundle',
          type: 'searchset',
          timestamp: '2019-12-25T12:00:00+00:00',
          total: 2,
          entry: [
            {
              fullUrl: `${BASE_URL}/Patient/9000000009`,
              search: { score: 1 },
              resource: pdsPatient('9000000009'),
            },
            {
              fullUrl: `${BASE_URL}/Patient/9000000025`,
              search: { score: 0.75 },
              resource: pdsPatient('9000000025', 'Smythe'),
            },
          ],
        },
      })
      const criteria = parseSearchCriteria({ family: ['Sm*'], birthdate: ['2010-10-22'] })

      // Act
      const result = await directoryWith(fetch, recordedSleep().sleep).search(criteria, CONTEXT)

      // Assess
      expect(result).toEqual({
        kind: 'matches',
        matches: [
          { patient: pdsPatient('9000000009'), score: 1 },
          { patient: pdsPatient('9000000025', 'Smythe'), score: 0.75 },
        ],
      })
      expect(calls[0]!.url).toBe(`${BASE_URL}/Patient?${searchQuery(criteria)}`)
      expect(calls[0]!.headers['X-Request-ID']).toBe(CONTEXT.requestId)
    })

    it('answers no matches for an empty searchset', async () => {
      // Prepare
      const { fetch } = scriptedFetch({
        status: 200,
        body: { resourceType: 'Bundle', type: 'searchset', total: 0 },
      })
      const criteria = parseSearchCriteria({ family: ['Smith'], birthdate: ['2010-10-22'] })

      // Act
      const result = await directoryWith(fetch, recordedSleep().sleep).search(criteria, CONTEXT)

      // Assess
      expect(result).toEqual({ kind: 'matches', matches: [] })
    })

    it('throws when PDS refuses the search', async () => {
      // Prepare
      const { fetch } = scriptedFetch({ status: 400, body: outcome('INVALID_SEARCH_DATA') })
      const criteria = parseSearchCriteria({ family: ['Smith'], birthdate: ['2010-10-22'] })

      // Act
      const searching = directoryWith(fetch, recordedSleep().sleep).search(criteria, CONTEXT)

      // Assess
      await expect(searching).rejects.toThrow(/400 INVALID_SEARCH_DATA/)
    })
  })
})

describe('searchQuery', () => {
  it('sends one date of birth as birthdate=eq…', () => {
    // Prepare
    const criteria = parseSearchCriteria({ family: ['Smith'], birthdate: ['2010-10-22'] })

    // Act
    const query = new URLSearchParams(searchQuery(criteria))

    // Assess
    expect(query.getAll('birthdate')).toEqual(['eq2010-10-22'])
    expect(query.get('family')).toBe('Smith')
    expect(query.get('_max-results')).toBe('50')
  })

  it('sends a range as ge… and le…', () => {
    // Prepare
    const criteria = parseSearchCriteria({ family: ['Smith'], birthdate: ['ge2010-01-01', 'le2010-12-31'] })

    // Act
    const query = new URLSearchParams(searchQuery(criteria))

    // Assess
    expect(query.getAll('birthdate')).toEqual(['ge2010-01-01', 'le2010-12-31'])
  })

  it('sends a one-sided range as the caller sent it, without made-up bounds', () => {
    // Prepare
    const from = parseSearchCriteria({ family: ['Smith'], birthdate: ['ge2010-01-01'] })
    const until = parseSearchCriteria({ family: ['Smith'], birthdate: ['le2010-12-31'] })

    // Act
    const fromQuery = new URLSearchParams(searchQuery(from))
    const untilQuery = new URLSearchParams(searchQuery(until))

    // Assess: FHIR dates have no year 0000, and PDS was never asked about 9999
    expect(fromQuery.getAll('birthdate')).toEqual(['ge2010-01-01'])
    expect(untilQuery.getAll('birthdate')).toEqual(['le2010-12-31'])
  })

  it('passes wildcard text on as the caller sent it', () => {
    // Prepare
    const criteria = parseSearchCriteria({
      family: ['Sm*th'],
      given: ['Ja*'],
      birthdate: ['2010-10-22'],
      'address-postalcode': ['LS1*'],
    })

    // Act
    const text = searchQuery(criteria)
    const query = new URLSearchParams(text)

    // Assess
    expect(text).toContain('family=Sm*th')
    expect(query.get('family')).toBe('Sm*th')
    expect(query.getAll('given')).toEqual(['Ja*'])
    expect(query.get('address-postalcode')).toBe('LS1*')
  })

  it('passes the remaining criteria and flags on', () => {
    // Prepare
    const criteria = parseSearchCriteria({
      family: ['Smith'],
      given: ['Jane'],
      gender: ['female'],
      birthdate: ['2010-10-22'],
      'address-postalcode': ['LS1 6AE'],
      'general-practitioner': ['Y90001'],
      email: ['jane.smith@example.com'],
      phone: ['01632960587'],
      '_fuzzy-match': ['true'],
      '_max-results': ['10'],
    })

    // Act
    const query = new URLSearchParams(searchQuery(criteria))

    // Assess
    expect(Object.fromEntries(query)).toEqual({
      family: 'Smith',
      given: 'Jane',
      gender: 'female',
      birthdate: 'eq2010-10-22',
      'address-postalcode': 'LS1 6AE',
      'general-practitioner': 'Y90001',
      email: 'jane.smith@example.com',
      phone: '01632960587',
      '_fuzzy-match': 'true',
      '_max-results': '10',
    })
  })
})
