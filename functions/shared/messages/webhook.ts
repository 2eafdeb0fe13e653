import type { WebhookPoster } from '../../messages/delivery'

/** How long a subscriber's endpoint has to answer one delivery. */
export const WEBHOOK_TIMEOUT_MS = 5_000

/**
 * Posts one delivery with fetch: no redirects followed (a 3xx is a failure, so an endpoint
 * cannot bounce the message elsewhere), the answer's body discarded, cut off after
 * WEBHOOK_TIMEOUT_MS.
 */
export const fetchWebhook: WebhookPoster = async ({ url, body, headers }) => {
  const response = await fetch(url, {
    method: 'POST',
    headers,
    body,
    redirect: 'manual',
    signal: AbortSignal.timeout(WEBHOOK_TIMEOUT_MS),
  })
  await response.body?.cancel().catch(() => undefined)
  return response.status
}
