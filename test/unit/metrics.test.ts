import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest'
import { authenticate } from '../../functions/shared/auth'
import { routedHttpHandler } from '../../functions/shared/http'
import { resetIcsConfig } from '../../functions/shared/ics'
import { countMetric, flushMetrics, recordRequest, withMetrics } from '../../functions/shared/metrics'
import { METRIC_NAMESPACE } from '../../infra/metrics'
import type { RouteDeclaration } from '../../infra/routes'
import type { IcsRuntimeConfig } from '../../schemas/ics-config'
import { lambdaContext, proxyEvent } from '../support/events'
import { type TestSigner, testIcs, testSigner } from '../support/tokens'

// CloudWatch embedded metric format: https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html
interface EmfDocument {
  _aws: {
    Timestamp: number
    CloudWatchMetrics: {
      Namespace: string
      Dimensions: string[][]
      Metrics: { Name: string; Unit: string }[]
    }[]
  }
  [key: string]: unknown
}

/** Flushes into a list and parses each line, checking it against the EMF specification's rules. */
function flushed(): EmfDocument[] {
  const lines: string[] = []
  flushMetrics(
    (line) => lines.push(line),
    () => 1_700_000_000_000,
  )
  return lines.map((line) => {
    const document = JSON.parse(line) as EmfDocument
    const [directive] = document._aws.CloudWatchMetrics
    expect(document._aws.Timestamp).toBe(1_700_000_000_000)
    expect(directive!.Namespace).toBe(METRIC_NAMESPACE)
    expect(directive!.Metrics.length).toBeLessThanOrEqual(100)
    // Every dimension and every metric named in the directive is a top-level member.
    for (const key of directive!.Dimensions.flat()) expect(typeof document[key], key).toBe('string')
    for (const { Name } of directive!.Metrics) expect(document[Name], Name).toBeDefined()
    return document
  })
}

function metricValue(documents: EmfDocument[], name: string, dimensions: Record<string, string>): unknown {
  const document = documents.find(
    (candidate) =>
      candidate[name] !== undefined &&
      Object.entries(dimensions).every(([key, value]) => candidate[key] === value) &&
      candidate._aws.CloudWatchMetrics[0]!.Dimensions[0]!.length === Object.keys(dimensions).length,
  )
  return document?.[name]
}

beforeEach(() => {
  process.env.ICS_CONFIG = JSON.stringify(testIcs())
  delete process.env.POWERTOOLS_METRICS_DISABLED
  resetIcsConfig()
  flushMetrics(() => {})
})

afterEach(() => {
  vi.restoreAllMocks()
})

describe('recordRequest', () => {
  it('counts requests by capability and status class, 5xx by function, and latency by capability', () => {
    // Act
    recordRequest('patientLookup', 200, 12.4)
    recordRequest('patientLookup', 200, 30)
    recordRequest('patientLookup', 404, 5)
    recordRequest('patientLookup', 503, 3000)
    const documents = flushed()

    // Assess
    const byClass = (statusClass: string) =>
      metricValue(documents, 'Requests', { ics: 'demo', capability: 'patientLookup', statusClass })
    expect([byClass('2xx'), byClass('4xx'), byClass('5xx')]).toEqual([2, 1, 1])
    expect(metricValue(documents, 'ServerErrors', { ics: 'demo', function: 'patientLookup' })).toBe(1)
    expect(metricValue(documents, 'Latency', { ics: 'demo', capability: 'patientLookup' })).toEqual([
      12, 30, 5, 3000,
    ])
    const latency = documents.find((document) => document.Latency !== undefined)!
    expect(latency._aws.CloudWatchMetrics[0]!.Metrics).toEqual([{ Name: 'Latency', Unit: 'Milliseconds' }])
  })

  it('writes ServerErrors 0 for an answer below 500, so the per-function alarm sees data, not silence', () => {
    recordRequest('auditApi', 403, 1)
    expect(metricValue(flushed(), 'ServerErrors', { ics: 'demo', function: 'auditApi' })).toBe(0)
  })
})

describe('countMetric', () => {
  it('sums a domain counter under its declared capability', () => {
    countMetric('PointersRegistered')
    countMetric('PointersRegistered', 2)
    expect(metricValue(flushed(), 'PointersRegistered', { ics: 'demo', capability: 'patientIndex' })).toBe(3)
  })

  it('keeps a declared extra dimension apart per organisation', () => {
    // Act
    countMetric('SubscriberDeliveryFailures', 1, { subscriber: 'FX001' })
    countMetric('SubscriberDeliveryFailures', 1, { subscriber: 'FX002' })
    countMetric('SubscriberDeliveryFailures', 1, { subscriber: 'FX001' })
    const documents = flushed()

    // Assess
    const failures = (subscriber: string) =>
      metricValue(documents, 'SubscriberDeliveryFailures', {
        ics: 'demo',
        capability: 'messages',
        subscriber,
      })
    expect([failures('FX001'), failures('FX002')]).toEqual([2, 1])
  })

  it('writes nothing when metrics are switched off (POWERTOOLS_METRICS_DISABLED)', () => {
    process.env.POWERTOOLS_METRICS_DISABLED = 'true'
    countMetric('PointersRegistered')
    recordRequest('metadata', 200, 1)
    expect(flushed()).toEqual([])
  })

  it('forgets what it wrote', () => {
    countMetric('PointersWithdrawn')
    expect(flushed()).toHaveLength(1)
    expect(flushed()).toEqual([])
  })
})

describe('withMetrics', () => {
  it('writes a consumer’s metrics to stdout when it throws as well as when it returns', async () => {
    // Prepare
    const lines: string[] = []
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
      lines.push(String(chunk))
      return true
    })
    const failing = withMetrics(async () => {
      countMetric('HolderEventsApplied', 4)
      throw new Error('batch failed')
    })

    // Act
    await expect(failing()).rejects.toThrow('batch failed')

    // Assess
    expect(lines).toHaveLength(1)
    expect(JSON.parse(lines[0]!)).toMatchObject({ HolderEventsApplied: 4, capability: 'patientIndex' })
  })
})

describe('the HTTP stack', () => {
  const routes: RouteDeclaration[] = [
    {
      operationId: 'searchPointers',
      method: 'GET',
      path: '/DocumentReference',
      function: 'patientIndexApi',
      scope: 'record.read',
      summary: 'search',
    },
    {
      operationId: 'registerPointer',
      method: 'POST',
      path: '/DocumentReference',
      function: 'patientIndexApi',
      scope: 'pointer.write',
      summary: 'register',
      hasBody: true,
    },
  ]
  let signer: TestSigner

  beforeAll(async () => {
    signer = await testSigner()
  })

  function handlerFor(ics: IcsRuntimeConfig, answer: () => Promise<{ status: number }>) {
    return routedHttpHandler(
      'patientIndexApi',
      routes,
      { searchPointers: answer, registerPointer: answer },
      { ics: () => ics, authenticate: (token, config) => authenticate(token, config, signer.keySet) },
    )
  }

  function captureStdout(): string[] {
    const lines: string[] = []
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
      lines.push(String(chunk))
      return true
    })
    return lines
  }

  it('counts a 500 the handler answered instead of throwing, against the function (finding 6)', async () => {
    // Prepare
    const lines = captureStdout()
    const handler = handlerFor(testIcs(), async () => {
      throw new Error('the index is down')
    })

    // Act
    const response = await handler(
      proxyEvent({
        method: 'GET',
        resource: '/DocumentReference',
        path: '/DocumentReference',
        headers: { Authorization: `Bearer ${await signer.token({ scope: 'record.read' })}` },
      }),
      lambdaContext(),
    )

    // Assess: Lambda saw a successful invocation, the metric saw the 5xx
    expect(response.statusCode).toBe(500)
    const metrics = lines.filter((line) => line.includes('"_aws"')).map((line) => JSON.parse(line))
    expect(metrics).toContainEqual(
      expect.objectContaining({ ServerErrors: 1, function: 'patientIndexApi', ics: 'demo' }),
    )
    expect(metrics).toContainEqual(
      expect.objectContaining({ Requests: 1, capability: 'patientIndex', statusClass: '5xx' }),
    )
  })

  describe('per-organisation capabilities', () => {
    const limited = testIcs({
      capabilities: { patientIndex: { consumers: ['NX001'], providers: ['RX9'] } },
    })
    const ok = async () => ({ status: 200 })

    async function call(ics: IcsRuntimeConfig, method: 'GET' | 'POST', organisation: string, scope: string) {
      captureStdout()
      const response = await handlerFor(ics, ok)(
        proxyEvent({
          method,
          resource: '/DocumentReference',
          path: '/DocumentReference',
          headers: {
            Authorization: `Bearer ${await signer.token({ requesting_organization: organisation, scope })}`,
            'Content-Type': 'application/fhir+json',
          },
          ...(method === 'POST' ? { body: '{}' } : {}),
        }),
        lambdaContext(),
      )
      return {
        status: response.statusCode,
        body: JSON.parse(response.body || '{}') as { issue?: { diagnostics?: string }[] },
      }
    }

    it('admits an organisation enabled as a consumer of the capability', async () => {
      expect((await call(limited, 'GET', 'NX001', 'record.read')).status).toBe(200)
    })

    it('refuses, with 403, a member organisation the ICS has not enabled for the capability', async () => {
      const refused = await call(limited, 'GET', 'Y90001', 'record.read')
      expect(refused.status).toBe(403)
      expect(refused.body.issue?.[0]?.diagnostics).toMatch(/Y90001 is not enabled for patientIndex/)
    })

    it('admits only the capability’s providers to the operations that serve it', async () => {
      expect((await call(limited, 'POST', 'RX9', 'pointer.write')).status).toBe(200)
      const consumerOnly = await call(limited, 'POST', 'NX001', 'pointer.write')
      expect(consumerOnly.status).toBe(403)
      expect(consumerOnly.body.issue?.[0]?.diagnostics).toMatch(/NX001 does not serve patientIndex/)
    })

    it('admits every member when the config names no lists', async () => {
      expect((await call(testIcs(), 'GET', 'Y90001', 'record.read')).status).toBe(200)
      expect((await call(testIcs(), 'POST', 'Y90001', 'pointer.write')).status).toBe(200)
    })

    it('answers 404, as the gateway would, when the capability is switched off for the ICS', async () => {
      const off = testIcs({ capabilities: { patientIndex: { enabled: false } } })
      expect((await call(off, 'GET', 'NX001', 'record.read')).status).toBe(404)
    })
  })
})
