/**
 * Every custom metric the functions emit, declared once as plain data. The functions write
 * them as CloudWatch embedded metric format (functions/shared/metrics.ts: `countMetric`), and
 * the CDK stack builds each capability's dashboard widgets from this list (and its alarms from
 * infra/metric-alarms.ts), so a metric declared here for a capability shows on the dashboard
 * the moment that capability's functions are deployed.
 *
 * Dimensions: every metric carries `ics`; request metrics add `capability` (and
 * `statusClass`) or `function`; domain metrics add `capability` and the `extraDimension`
 * they declare (kept to ICS members, so its cardinality is bounded).
 *
 * Every function bundles this module: what each metric means is said in comments, not strings.
 */

/** The CloudWatch namespace of every custom metric. */
export const METRIC_NAMESPACE = 'Joinup'

export type MetricUnit = 'Count' | 'Milliseconds'

export interface DomainMetricDeclaration {
  /** The capability (infra/capabilities.ts, or one still to land) that emits it. */
  capability: string
  unit: MetricUnit
  /** A dimension beyond ics and capability, holding an ODS code. */
  extraDimension?: 'subscriber' | 'holder'
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
 * `countMetric('HoldersFailed', 1, { holder: ods })` or `countMetric('BookingsMade')`.
 */
export const domainMetrics = {
  // PDS lookup
  /** Reads answered from the ICS PDS cache (national-with-cache). */
  PdsCacheHits: { capability: 'patientLookup', unit: 'Count' },
  /** Calls to the national PDS: reads missing from the cache, and every search. */
  PdsNationalCalls: { capability: 'patientLookup', unit: 'Count' },
  /** National PDS calls that failed after their retries (answered 503). */
  PdsNationalFailures: { capability: 'patientLookup', unit: 'Count' },
  /** NHS API platform access tokens obtained (about one per token lifetime per container). */
  PdsTokenExchanges: { capability: 'patientLookup', unit: 'Count' },
  /** Token exchanges that failed: credentials unreadable, refused or the endpoint down. */
  PdsTokenFailures: { capability: 'patientLookup', unit: 'Count' },

  // Patient index
  /** Pointers registered (POST /DocumentReference accepted). */
  PointersRegistered: { capability: 'patientIndex', unit: 'Count' },
  /** Pointer withdrawals accepted (DELETE /DocumentReference). */
  PointersWithdrawn: { capability: 'patientIndex', unit: 'Count' },
  /** Record-holder events applied to the index by its consumer. */
  HolderEventsApplied: { capability: 'patientIndex', unit: 'Count' },

  // Audit
  /** Audit records appended to the hash-chained trail. */
  AuditRecordsAppended: { capability: 'audit', unit: 'Count' },

  // Record retrieval (GP Connect structured record)
  /** Structured records returned. */
  RecordsRetrieved: { capability: 'records', unit: 'Count' },
  /** Holders that answered a record retrieval, per holder. */
  HoldersAnswered: { capability: 'records', unit: 'Count', extraDimension: 'holder' },
  /** Holders that failed or timed out (an OperationOutcome warning entry), per holder. */
  HoldersFailed: { capability: 'records', unit: 'Count', extraDimension: 'holder' },

  // Appointments
  /** Appointments booked. */
  BookingsMade: { capability: 'appointments', unit: 'Count' },
  /** Bookings refused because the slot was no longer free (409). */
  BookingConflicts: { capability: 'appointments', unit: 'Count' },

  // Write-back and discharge messages
  /** Messages accepted (202). */
  MessagesAccepted: { capability: 'messages', unit: 'Count' },
  /** Messages delivered to a recipient. */
  MessagesDelivered: { capability: 'messages', unit: 'Count' },
  /** Messages acknowledged by their recipient. */
  MessagesAcknowledged: { capability: 'messages', unit: 'Count' },
  /** Messages that could not be delivered. */
  MessagesFailed: { capability: 'messages', unit: 'Count' },
  /** Webhook deliveries, per subscriber. */
  SubscriberDeliveries: { capability: 'messages', unit: 'Count', extraDimension: 'subscriber' },
  /** Failed webhook delivery attempts, per subscriber. */
  SubscriberDeliveryFailures: { capability: 'messages', unit: 'Count', extraDimension: 'subscriber' },
} as const satisfies Record<string, DomainMetricDeclaration>

export type DomainMetricName = keyof typeof domainMetrics

/** The domain metrics a capability emits. */
export function domainMetricsOf(capability: string): [DomainMetricName, DomainMetricDeclaration][] {
  return (Object.entries(domainMetrics) as [DomainMetricName, DomainMetricDeclaration][]).filter(
    ([, declaration]) => declaration.capability === capability,
  )
}
