import { describe, expect, it } from 'vitest'
import { operationOutcome } from '../../schemas/fhir/OperationOutcome'
import { DEMO_PATIENTS } from '../../scripts/seed/demoPatients'
import { brokenInvariants } from './invariants'
import type { Credentials, FuzzRequest } from './requests'
import type { Exchange } from './wire'

// The fuzz suite is only as good as its oracle: these pin down what each invariant catches,
// so a check that silently stopped working would fail here rather than pass every run.

const reader: Credentials = { kind: 'member', org: 'NX001', scopes: ['patient.read', 'record.read'] }
const REQUEST_ID = '6f1c1d2e-0b7a-4c55-9a43-5b2f0e0e8a11'

function exchange(
  target: string,
  status: number,
  body: unknown,
  options: { credentials?: Credentials; method?: string; headers?: Record<string, string> } = {},
): Exchange {
  const request: FuzzRequest = {
    origin: 'test',
    method: options.method ?? 'GET',
    target,
    credentials: options.credentials ?? reader,
    headers: {},
  }
  return {
    request,
    status,
    headers: new Headers({
      'X-Request-ID': REQUEST_ID,
      'Content-Type': 'application/fhir+json',
      ...options.headers,
    }),
    text: typeof body === 'string' ? body : JSON.stringify(body),
  }
}

const none = { documentedNhsNumbers: new Set<string>() }

describe('brokenInvariants', () => {
  it('accepts a 4xx answered with a Spine OperationOutcome', () => {
    // Act
    const broken = brokenInvariants(
      exchange('/Patient/123', 400, operationOutcome('INVALID_RESOURCE_ID')),
      none,
    )
    // Assess
    expect(broken).toEqual([])
  })

  it('refuses a 4xx whose body is not an OperationOutcome with a Spine code', () => {
    const cases: unknown[] = [
      '',
      'Not Found',
      { message: 'nope' },
      { resourceType: 'OperationOutcome', issue: [] },
      { resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'invalid' }] },
      {
        resourceType: 'OperationOutcome',
        issue: [
          { severity: 'error', code: 'invalid', details: { coding: [{ system: 'x', code: 'BAD_REQUEST' }] } },
        ],
      },
    ]
    for (const body of cases) {
      expect(brokenInvariants(exchange('/x', 404, body), none).join()).toContain(
        'not a valid OperationOutcome',
      )
    }
  })

  it('refuses any 5xx, however well formed', () => {
    const broken = brokenInvariants(
      exchange('/metadata', 500, operationOutcome('INTERNAL_SERVER_ERROR')),
      none,
    )
    expect(broken.join()).toContain('answered 500')
  })

  it('refuses an answer without X-Request-ID', () => {
    const answer = exchange('/metadata', 404, operationOutcome('NOT_FOUND'))
    answer.headers.delete('X-Request-ID')
    expect(brokenInvariants(answer, none).join()).toContain('no X-Request-ID')
  })

  it('refuses a stack trace or an internal path in a body', () => {
    const traces = [
      'TypeError: x is not a function\n    at handler (/var/task/index.mjs:12:34)',
      'failed at Object.<anonymous> (file:///srv/app/handler.js:1:2)',
      'Cannot find module /srv/node_modules/zod',
    ]
    for (const diagnostics of traces) {
      const body = operationOutcome('BAD_REQUEST', diagnostics)
      expect(brokenInvariants(exchange('/x', 400, body), none).join()).toContain('stack trace')
    }
  })

  it('refuses an NHS number the request did not carry, and allows an echo of one it did', () => {
    const body = operationOutcome('INVALID_VALUE', `Invalid value - '${DEMO_PATIENTS.registered}'`)
    expect(brokenInvariants(exchange('/Patient?family=x', 400, body), none).join()).toContain('NHS numbers')
    expect(
      brokenInvariants(exchange(`/Patient?family=${DEMO_PATIENTS.registered}`, 400, body), none),
    ).toEqual([])
  })

  it('allows a read of a superseded number to answer with its replacement, and nothing else', () => {
    const replacement = { resourceType: 'Patient', id: DEMO_PATIENTS.supersededBy }
    expect(
      brokenInvariants(exchange(`/Patient/${DEMO_PATIENTS.superseded}`, 200, replacement), none),
    ).toEqual([])
    const other = { resourceType: 'Patient', id: DEMO_PATIENTS.restricted }
    expect(
      brokenInvariants(exchange(`/Patient/${DEMO_PATIENTS.superseded}`, 200, other), none).join(),
    ).toContain(DEMO_PATIENTS.restricted)
  })

  it('allows a demographic search to name the patients it matched, and nobody else', () => {
    const bundle = {
      resourceType: 'Bundle',
      entry: [{ resource: { resourceType: 'Patient', id: DEMO_PATIENTS.registered } }],
    }
    expect(
      brokenInvariants(exchange('/Patient?family=Smith&birthdate=eq2010-10-22', 200, bundle), none),
    ).toEqual([])
    const stray = { ...bundle, link: [{ url: `/Patient/${DEMO_PATIENTS.deceased}` }] }
    expect(
      brokenInvariants(exchange('/Patient?family=Smith&birthdate=eq2010-10-22', 200, stray), none).join(),
    ).toContain(DEMO_PATIENTS.deceased)
  })

  it('refuses the restricted patient’s contact details anywhere', () => {
    const leaked = operationOutcome('BAD_REQUEST', 'see 2 Hidden Court')
    expect(brokenInvariants(exchange('/x', 400, leaked), none).join()).toContain('restricted patient')
  })

  it('refuses a 2xx from a protected route to a caller without a valid token carrying its scope', () => {
    const patient = { resourceType: 'Patient', id: DEMO_PATIENTS.registered }
    const target = `/Patient/${DEMO_PATIENTS.registered}`
    const refused: Credentials[] = [
      { kind: 'none' },
      { kind: 'expired', org: 'NX001', scopes: ['patient.read'] },
      { kind: 'member', org: 'NX001', scopes: ['record.read'] },
    ]
    for (const credentials of refused) {
      expect(brokenInvariants(exchange(target, 200, patient, { credentials }), none).join()).toContain(
        'protected route',
      )
    }
  })

  it('requires the function’s answers to echo a valid X-Request-ID the caller sent', () => {
    const answer = exchange(
      '/metadata',
      200,
      { resourceType: 'CapabilityStatement' },
      {
        headers: { 'X-Correlation-ID': 'c-1' },
      },
    )
    answer.request.headers['X-Request-ID'] = '0b0e6a4c-1111-4222-8333-944445555666'
    expect(brokenInvariants(answer, none).join()).toContain('not echoed')
  })
})
