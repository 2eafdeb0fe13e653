import { LogFormatter, Logger, LogItem } from '@aws-lambda-powertools/logger'
import type { LogAttributes, UnformattedAttributes } from '@aws-lambda-powertools/logger/types'
import type { EventBridgeEvent } from 'aws-lambda'
import { correlationOf } from './correlation'

// Keys whose values identify a person; their values never reach a log line.
const PERSONAL_KEYS = new Set([
  'nhsnumber',
  'nhs_number',
  'family',
  'given',
  'name',
  'names',
  'prefix',
  'birthdate',
  'birth_date',
  'dateofbirth',
  'dob',
  'deceaseddatetime',
  'nhs-number',
  'address',
  'line',
  'postalcode',
  'postcode',
  'address-postalcode',
  'telecom',
  'phone',
  'email',
  'patient',
  'subject:identifier',
])
// Ten digits, optionally spaced 3-3-4 as printed on NHS cards. Digits that run on into a
// hex letter belong to a hex identifier (a UUID request or correlation id, an X-Ray trace id,
// a content hash), which is random, not a person's: about one random UUID in 75 has exactly ten
// digits in a row, and redacting them broke the correlation of that request's log lines.
const NHS_NUMBER_PATTERN = /(?<![\dA-Fa-f])\d{3}[ -]?\d{3}[ -]?\d{4}(?![\dA-Fa-f])/g

/** Replaces NHS numbers in free text with a marker. */
export function redactText(text: string): string {
  return text.replace(NHS_NUMBER_PATTERN, '[NHS_NUMBER]')
}

/** Returns a copy of a log value with personal fields and NHS numbers removed. */
export function redact(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return redactText(value)
  if (value === null || typeof value !== 'object') return value
  if (depth > 8) return '[TRUNCATED]'
  if (value instanceof Error) {
    return { name: value.name, message: redactText(value.message), stack: redactText(value.stack ?? '') }
  }
  if (Array.isArray(value)) return value.map((item) => redact(item, depth + 1))
  const copy: Record<string, unknown> = {}
  for (const [key, inner] of Object.entries(value)) {
    copy[key] = PERSONAL_KEYS.has(key.toLowerCase()) ? '[REDACTED]' : redact(inner, depth + 1)
  }
  return copy
}

/** Powertools' JSON log keys, with personal data redacted from the message and every attribute. */
class RedactingLogFormatter extends LogFormatter {
  override formatAttributes(attributes: UnformattedAttributes, additional: LogAttributes): LogItem {
    return new LogItem({
      attributes: {
        level: attributes.logLevel,
        message: redactText(attributes.message),
        timestamp: this.formatTimestamp(attributes.timestamp),
        service: attributes.serviceName,
        cold_start: attributes.lambdaContext?.coldStart,
        function_name: attributes.lambdaContext?.functionName,
        function_request_id: attributes.lambdaContext?.awsRequestId,
        xray_trace_id: attributes.xRayTraceId,
      },
    }).addAttributes(redact(additional) as LogAttributes)
  }

  override formatError(error: Error): LogAttributes {
    return redact(super.formatError(error)) as LogAttributes
  }
}

/** The one structured logger every function uses (service name from POWERTOOLS_SERVICE_NAME). */
export const logger = new Logger({
  serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'joinup',
  logFormatter: new RedactingLogFormatter(),
})

/**
 * A logger whose every line carries one bus event's correlation id, event id and detail-type.
 * A child logger per event rather than keys on the shared one: a batch's records run in parallel.
 */
export function loggerFor(
  event: Pick<EventBridgeEvent<string, unknown>, 'detail' | 'detail-type' | 'id'>,
): Logger {
  return logger.createChild({ persistentKeys: { ...correlationOf(event) } })
}
