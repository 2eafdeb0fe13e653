/**
 * Every custom metric the functions emit, declared once as plain data. The functions write
 * them as CloudWatch embedded metric format (functions/shared/metrics.ts: `countMetric`), and
 * the CDK stack builds each capability's dashboard widgets and alarms from this list, so a
 * metric declared here for a capability shows on the dashboard the moment that capability's
 * functions are deployed.
 *
 * Dimensions: every metric carries `ics`; request metrics add `capability` (and
 * `statusClass`) or `function`; domain metrics add `capability` and the `extraDimension`
 * they declare (kept to ICS members, so its cardinality is bounded).
 */

/** The CloudWatch namespace of every custom metric. */
export const METRIC_NAMESPACE = 'Joinup'

export type MetricUnit = 'Count' | 'Milliseconds'

/** An alarm on a domain metric, made when its capability is deployed. */
export interface DomainAlarm {
  /** Alarm when the 5-minute sum reaches this. */
  threshold: number
  /** One alarm per ICS member (as the metric's extra dimension) rather than one for the capability. */
  perMember?: boolean
  description: string
}

export interface DomainMetricDeclaration {
  /** The capability (infra/capabilities.ts, or one still to land) that emits it. */
  capability: string
  unit: MetricUnit
  description: string
  /** A dimension beyond ics and capability, holding an ODS code. */
  extraDimension?: 'subscriber' | 'holder'
  alarm?: DomainAlarm
}

/** Metrics the HTTP middleware writes for every request (functions/shared/http.ts). */
export const requestMetrics = {
  /** Requests answered, by capability and status class (2xx, 3xx, 4xx, 5xx). */
  requests: 'Requests',
  /** 1 for each 5xx answer, 0 otherwise, by function: errors the Lambda Errors metric cannot see. */
  serverErrors: 'ServerErrors',
  /** Handler time per request, by capability (p99 against the capability's target). */
  latency: 'Latency',
} as const

/**
 * Counters of what the capabilities do. Emit one with
 * `countMetric('HoldersFailed', failed)` or, with its extra dimension,
 * `countMetric('SubscriberDeliveryFailures', 1, { subscriber: ods })`.
 */
export const domainMetrics = {
  // PDS lookup
  PdsCacheHits: {
    capability: 'patientLookup',
    unit: 'Count',
    description: 'Reads answered from the ICS PDS cache',
  },
  PdsNationalCalls: {
    capability: 'patientLookup',
    unit: 'Count',
    description: 'Calls to the national PDS (reads missing from the cache, and every search)',
  },
  PdsNationalFailures: {
    capability: 'patientLookup',
    unit: 'Count',
    description: 'National PDS calls that failed after their retries',
    alarm: { threshold: 5, description: 'The national PDS is failing: lookups answer 503' },
  },
  PdsTokenExchanges: {
    capability: 'patientLookup',
    unit: 'Count',
    description: 'NHS API platform access tokens obtained (one per token lifetime per container)',
  },
  PdsTokenFailures: {
    capability: 'patientLookup',
    unit: 'Count',
    description: 'Failed NHS API platform token exchanges',
    alarm: {
      threshold: 1,
      description:
        'The NHS API platform refused the signed-JWT token exchange: check the key, kid and API key',
    },
  },
  // Patient index
  PointersRegistered: { capability: 'patientIndex', unit: 'Count', description: 'Pointers registered' },
  PointersWithdrawn: {
    capability: 'patientIndex',
    unit: 'Count',
    description: 'Pointer withdrawals accepted',
  },
  HolderEventsApplied: {
    capability: 'patientIndex',
    unit: 'Count',
    description: 'Record-holder events applied to the index',
  },
  // Audit
  AuditRecordsAppended: {
    capability: 'audit',
    unit: 'Count',
    description: 'Audit records appended to the hash-chained trail',
  },
  // Record retrieval (GP Connect structured record)
  RecordsRetrieved: { capability: 'records', unit: 'Count', description: 'Structured records returned' },
  HoldersAnswered: {
    capability: 'records',
    unit: 'Count',
    description: 'Holders that answered a record retrieval',
    extraDimension: 'holder',
  },
  HoldersFailed: {
    capability: 'records',
    unit: 'Count',
    description: 'Holders that failed or timed out (an OperationOutcome warning entry)',
    extraDimension: 'holder',
    alarm: { threshold: 5, perMember: true, description: 'A record holder keeps failing or timing out' },
  },
  // Appointments
  BookingsMade: { capability: 'appointments', unit: 'Count', description: 'Appointments booked' },
  BookingConflicts: {
    capability: 'appointments',
    unit: 'Count',
    description: 'Bookings refused because the slot was no longer free (409)',
  },
  // Write-back and discharge messages
  MessagesAccepted: { capability: 'messages', unit: 'Count', description: 'Messages accepted (202)' },
  MessagesDelivered: {
    capability: 'messages',
    unit: 'Count',
    description: 'Messages delivered to a recipient',
  },
  MessagesAcknowledged: {
    capability: 'messages',
    unit: 'Count',
    description: 'Messages acknowledged by their recipient',
  },
  MessagesFailed: {
    capability: 'messages',
    unit: 'Count',
    description: 'Messages that could not be delivered',
    alarm: { threshold: 1, description: 'A message could not be delivered: see the message status' },
  },
  SubscriberDeliveries: {
    capability: 'messages',
    unit: 'Count',
    description: 'Webhook deliveries per subscriber',
    extraDimension: 'subscriber',
  },
  SubscriberDeliveryFailures: {
    capability: 'messages',
    unit: 'Count',
    description: 'Failed webhook delivery attempts per subscriber',
    extraDimension: 'subscriber',
    alarm: {
      threshold: 3,
      perMember: true,
      description: 'Webhook deliveries to this subscriber keep failing: check its endpoint',
    },
  },
} as const satisfies Record<string, DomainMetricDeclaration>

export type DomainMetricName = keyof typeof domainMetrics

/** The domain metrics a capability emits. */
export function domainMetricsOf(capability: string): [DomainMetricName, DomainMetricDeclaration][] {
  return (Object.entries(domainMetrics) as [DomainMetricName, DomainMetricDeclaration][]).filter(
    ([, declaration]) => declaration.capability === capability,
  )
}
