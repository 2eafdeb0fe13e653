import type { EventBridgeEvent } from 'aws-lambda'

/**
 * One correlation id follows a piece of work everywhere: the HTTP middleware takes it from
 * `X-Correlation-ID` (or makes one) and keys every log line of the request with it, the
 * publisher writes it into each event's `metadata.correlationId`, and a consumer keys every
 * log line about an event with it (and hands it on, with `correlationHeaders`, to whatever it
 * calls next: a webhook delivery, another service). `loggerFor` (./logger) keys a logger
 * with an event's correlation. Pure: the local bus uses it too, before any logger exists.
 */

/** The log keys of one bus event: its envelope's correlation id, its id and detail-type. */
export interface EventCorrelation {
  correlation_id?: string
  event_id?: string
  detail_type: string
}

function metadataOf(detail: unknown): { id?: unknown; correlationId?: unknown } | undefined {
  if (!detail || typeof detail !== 'object') return undefined
  const metadata = (detail as { metadata?: unknown }).metadata
  return metadata && typeof metadata === 'object'
    ? (metadata as { id?: unknown; correlationId?: unknown })
    : undefined
}

/** Reads the correlation of a bus event, tolerating an event that has no envelope. */
export function correlationOf(
  event: Pick<EventBridgeEvent<string, unknown>, 'detail' | 'detail-type' | 'id'>,
): EventCorrelation {
  const metadata = metadataOf(event.detail)
  const text = (value: unknown) => (typeof value === 'string' && value.length <= 200 ? value : undefined)
  return {
    correlation_id: text(metadata?.correlationId),
    event_id: text(metadata?.id) ?? text(event.id),
    detail_type: String(event['detail-type']),
  }
}

/** Headers that carry an event's correlation onward (webhook deliveries, calls to other services). */
export function correlationHeaders(correlation: EventCorrelation): Record<string, string> {
  return {
    ...(correlation.correlation_id ? { 'X-Correlation-ID': correlation.correlation_id } : {}),
    ...(correlation.event_id ? { 'X-Event-ID': correlation.event_id } : {}),
  }
}
