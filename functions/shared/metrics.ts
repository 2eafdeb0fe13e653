import type { MiddlewareObj } from '@middy/core'
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda'
import {
  type DomainMetricDeclaration,
  type DomainMetricName,
  domainMetrics,
  METRIC_NAMESPACE,
  type MetricUnit,
  requestMetrics,
} from '../../infra/metrics'
import { capabilityOfFunction } from './capabilities'
import { currentIcs } from './ics'

/**
 * Custom metrics in CloudWatch embedded metric format (EMF): one JSON line per dimension set
 * on stdout, which CloudWatch Logs turns into metrics without an API call. Written here
 * rather than with Powertools Metrics, which adds 12 KB to every bundle for the same lines
 * (README, "Decisions"). Values are gathered during an invocation and written at its end.
 */

/** EMF allows at most 100 metrics per directive and 100 values per metric. */
const MAX_METRICS = 100
const MAX_VALUES = 100

interface MetricValues {
  unit: MetricUnit
  values: number[]
}

interface Group {
  dimensions: Record<string, string>
  metrics: Map<string, MetricValues>
}

const pending = new Map<string, Group>()

/** Where EMF lines go: stdout, as a line of its own (not through console, which Lambda reformats). */
export type MetricSink = (line: string) => void
const stdout: MetricSink = (line) => {
  process.stdout.write(`${line}\n`)
}

function icsName(): string {
  try {
    return currentIcs().ics
  } catch {
    return 'unconfigured'
  }
}

function disabled(): boolean {
  return process.env.POWERTOOLS_METRICS_DISABLED === 'true'
}

function add(
  dimensions: Record<string, string>,
  name: string,
  unit: MetricUnit,
  value: number,
  sum: boolean,
) {
  if (disabled()) return
  const key = JSON.stringify(Object.entries(dimensions).sort())
  let group = pending.get(key)
  if (!group) {
    group = { dimensions, metrics: new Map() }
    pending.set(key, group)
  }
  const metric = group.metrics.get(name)
  if (!metric) group.metrics.set(name, { unit, values: [value] })
  else if (sum) metric.values[0] = (metric.values[0] ?? 0) + value
  else metric.values.push(value)
}

/**
 * Counts something a capability did, under the metric declared in infra/metrics.ts, e.g.
 * `countMetric('HoldersFailed', 1, { holder: 'Y90001' })`. Written at the end of the invocation.
 */
export function countMetric(
  name: DomainMetricName,
  value = 1,
  extra: Partial<Record<'subscriber' | 'holder', string>> = {},
): void {
  const declaration: DomainMetricDeclaration = domainMetrics[name]
  const dimensions: Record<string, string> = { ics: icsName(), capability: declaration.capability }
  if (declaration.extraDimension) {
    const value = extra[declaration.extraDimension]
    if (value) dimensions[declaration.extraDimension] = value
  }
  add(dimensions, name, declaration.unit, value, true)
}

/** The status class of an HTTP status: `2xx`, `4xx`, ... */
export function statusClassOf(status: number): string {
  return `${Math.floor(status / 100)}xx`
}

/** Records one answered HTTP request of a function: requests by status class, 5xx by function, latency. */
export function recordRequest(fn: string, status: number, durationMs: number): void {
  const ics = icsName()
  const capability = capabilityOfFunction(fn).capability ?? fn
  add({ ics, capability, statusClass: statusClassOf(status) }, requestMetrics.requests, 'Count', 1, true)
  add({ ics, function: fn }, requestMetrics.serverErrors, 'Count', status >= 500 ? 1 : 0, true)
  add({ ics, capability }, requestMetrics.latency, 'Milliseconds', Math.round(durationMs), false)
}

/** Writes everything gathered so far as EMF lines, and forgets it. */
export function flushMetrics(sink: MetricSink = stdout, now: () => number = Date.now): void {
  for (const group of pending.values()) {
    const metrics = [...group.metrics]
    for (let start = 0; start < metrics.length; start += MAX_METRICS) {
      const slice = metrics.slice(start, start + MAX_METRICS)
      const document: Record<string, unknown> = {
        _aws: {
          Timestamp: now(),
          CloudWatchMetrics: [
            {
              Namespace: METRIC_NAMESPACE,
              Dimensions: [Object.keys(group.dimensions)],
              Metrics: slice.map(([name, { unit }]) => ({ Name: name, Unit: unit })),
            },
          ],
        },
        ...group.dimensions,
      }
      for (const [name, { values }] of slice) {
        document[name] = values.length === 1 ? values[0] : values.slice(0, MAX_VALUES)
      }
      sink(JSON.stringify(document))
    }
  }
  pending.clear()
}

/** The middy middleware of the HTTP stack: records each answered request, then writes the metrics. */
export function requestMetricsMiddleware(
  fn: string,
): MiddlewareObj<APIGatewayProxyEvent, APIGatewayProxyResult> {
  const started = new WeakMap<Context, number>()
  const finish = (context: Context, response: APIGatewayProxyResult | null | undefined) => {
    if (response) recordRequest(fn, response.statusCode, performance.now() - (started.get(context) ?? 0))
    flushMetrics()
  }
  return {
    before: (request) => {
      started.set(request.context, performance.now())
    },
    after: (request) => finish(request.context, request.response),
    onError: (request) => finish(request.context, request.response),
  }
}

/** Wraps a non-HTTP handler (a queue consumer) so its metrics are written when it returns or throws. */
export function withMetrics<A extends unknown[], R>(handler: (...args: A) => Promise<R>) {
  return async (...args: A): Promise<R> => {
    try {
      return await handler(...args)
    } finally {
      flushMetrics()
    }
  }
}
