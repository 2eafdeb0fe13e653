import type { DomainMetricName } from './metrics'

/** An alarm on a domain metric, made when the metric's capability is deployed. */
export interface DomainAlarm {
  /** Alarm when the 5-minute sum reaches this. */
  threshold: number
  /** One alarm per ICS member (the metric's extra dimension) rather than one for the capability. */
  perMember?: boolean
  description: string
}

/**
 * Alarms on domain metrics (infra/metrics.ts), beside the ones every capability gets (5xx per
 * function, p99 against its target, errors, throttles). Kept apart from the metric list so the
 * functions, which bundle that list, do not carry these descriptions.
 */
export const domainAlarms: Partial<Record<DomainMetricName, DomainAlarm>> = {
  PdsNationalFailures: { threshold: 5, description: 'The national PDS is failing: lookups answer 503' },
  PdsTokenFailures: {
    threshold: 1,
    description:
      'The NHS API platform token exchange failed: check the secret, the kid and the API key (RUNBOOK)',
  },
  HoldersFailed: {
    threshold: 5,
    perMember: true,
    description: 'A record holder keeps failing or timing out',
  },
  MessagesFailed: { threshold: 1, description: 'A message could not be delivered: see its message status' },
  SubscriberDeliveryFailures: {
    threshold: 3,
    perMember: true,
    description: 'Webhook deliveries to this subscriber keep failing: check its endpoint',
  },
}
