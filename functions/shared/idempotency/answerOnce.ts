import type { Caller } from '../../../schemas/auth'
import type { HttpRequest, HttpResult } from '../http'
import { systemClock } from '../time'
import { DynamoDbIdempotencyStore } from './DynamoDbIdempotencyStore'
import {
  type IdempotencyStore,
  idempotencyKey,
  requestFingerprint,
  type StoredResponse,
  withIdempotency,
} from './IdempotencyStore'

let keys: IdempotencyStore | undefined

/**
 * A write the client may retry with the same X-Request-ID: the retry gets the first answer.
 * Without an X-Request-ID there is nothing to recognise a retry by, so the write just runs.
 * `replayAudit` says what a replayed answer is audited as (it reveals what the first did).
 */
export async function answerOnce(
  request: HttpRequest,
  caller: Caller,
  run: () => Promise<StoredResponse>,
  options: { replayAudit: 'read' | 'none' },
): Promise<HttpResult> {
  if (request.headers['x-request-id'] === undefined) return run()
  keys ??= new DynamoDbIdempotencyStore()
  const key = idempotencyKey(request.route.operationId, caller.organisation, request.requestId)
  // If-Match is part of the request: a retried PUT with another version is another request.
  const fingerprint = requestFingerprint(
    request.route.operationId,
    request.pathParameters,
    request.headers['if-match'] ?? null,
    request.body,
  )
  const { replayed, ...response } = await withIdempotency(
    key,
    fingerprint,
    { store: keys, clock: systemClock },
    run,
  )
  if (!replayed) return response
  if (options.replayAudit === 'none') return { ...response, audit: [] }
  return { ...response, audit: response.audit?.map((fact) => ({ ...fact, action: 'R' as const })) }
}
