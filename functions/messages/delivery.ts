import { createHmac } from 'node:crypto'
import type { EventBridgeEvent } from 'aws-lambda'
import type { DischargeSummaryPublishedV1 } from '../../schemas/events/DischargeSummaryPublished/v1'
import { EventMetadata } from '../../schemas/events/envelope'
import { type DetailType, readEventData } from '../../schemas/events/versions'
import type {
  MessageStore,
  RecipientState,
  StoredMessage,
  StoredSubscription,
} from '../shared/messages/MessageStore'
import { checkUntrustedEndpoint } from '../shared/untrustedEndpoint'

/** The `X-Signature` of a body: `sha256=<hex HMAC-SHA256 of the exact bytes with the subscription's secret>`. */
export function signatureOf(body: string, secret: string): string {
  return `sha256=${createHmac('sha256', secret).update(body, 'utf8').digest('hex')}`
}

/** One POST to a subscriber's endpoint. */
export interface WebhookRequest {
  url: string
  body: string
  headers: Record<string, string>
}

/** Posts a delivery and answers the HTTP status; throws on a network error or timeout. */
export type WebhookPoster = (request: WebhookRequest) => Promise<number>

export interface DeliveryDependencies {
  messages: MessageStore
  post: WebhookPoster
  now: () => Date
  /** Whether loopback endpoints are allowed (the local stack only). */
  allowLoopback: boolean
}

/** How one delivery pass went: whether anything is left to retry, and the last reason. */
export interface DeliveryOutcome {
  pending: { ods: string; reason: string }[]
}

/**
 * One delivery pass of a message event: POSTs the Bundle, signed per subscription, to every
 * subscription of every recipient that has not answered 2xx yet, all at once (a slow
 * endpoint holds up no other), and records each recipient's state. A recipient is
 * `delivered` when all its subscriptions have it; a recipient without a subscription stays
 * `accepted`. `finalAttempt`: what is still undelivered becomes `failed`, with the reason.
 */
export async function deliverMessage(
  event: EventBridgeEvent<string, unknown>,
  finalAttempt: boolean,
  deps: DeliveryDependencies,
): Promise<DeliveryOutcome> {
  const detail = event.detail as { metadata?: unknown; data?: unknown }
  const metadata = EventMetadata.parse(detail.metadata)
  const data = readEventData(
    event['detail-type'] as DetailType,
    metadata.version,
    detail.data,
    1,
  ) as DischargeSummaryPublishedV1
  const message = await deps.messages.message(data.messageId)
  if (!message) throw new Error('The event names a message this stack does not hold')
  const pending: DeliveryOutcome['pending'] = []
  await Promise.all(
    Object.entries(message.recipients).map(async ([ods, state]) => {
      const reason = await deliverToRecipient(message, event['detail-type'], ods, state, finalAttempt, deps)
      if (reason) pending.push({ ods, reason })
    }),
  )
  return { pending }
}

async function deliverToRecipient(
  message: StoredMessage,
  detailType: string,
  ods: string,
  state: RecipientState,
  finalAttempt: boolean,
  deps: DeliveryDependencies,
): Promise<string | undefined> {
  if (state.status === 'acknowledged') return undefined
  const subscriptions = (await deps.messages.subscriptionsOf(ods)).filter(
    (subscription) => subscription.detailType === detailType && !state.deliveredTo.includes(subscription.id),
  )
  if (subscriptions.length === 0) {
    // Nothing (more) to deliver to: every subscription has it, or the recipient has none.
    if (state.status === 'failed' && state.deliveredTo.length > 0)
      await deps.messages.updateRecipient(message.id, ods, {
        ...state,
        status: 'delivered',
        updatedAt: deps.now().toISOString(),
      })
    return undefined
  }
  const attempt = state.attempts + 1
  const results = await Promise.all(
    subscriptions.map(async (subscription) => ({
      subscription,
      error: await postTo(subscription, message, attempt, deps),
    })),
  )
  const deliveredTo = [
    ...state.deliveredTo,
    ...results.filter((result) => result.error === undefined).map((result) => result.subscription.id),
  ]
  const failure = results.find((result) => result.error !== undefined)?.error
  const next: RecipientState = {
    status:
      failure === undefined
        ? 'delivered'
        : finalAttempt
          ? 'failed'
          : state.status === 'failed'
            ? 'failed'
            : 'accepted',
    attempts: attempt,
    deliveredTo,
    updatedAt: deps.now().toISOString(),
    ...(failure !== undefined ? { reason: failure } : {}),
  }
  await deps.messages.updateRecipient(message.id, ods, next)
  return failure
}

/** One signed POST; the reason it failed (never patient data), or undefined on 2xx. */
async function postTo(
  subscription: StoredSubscription,
  message: StoredMessage,
  attempt: number,
  deps: DeliveryDependencies,
): Promise<string | undefined> {
  // Checked again at delivery: a subscription stored under other rules never reaches a private address.
  const verdict = checkUntrustedEndpoint(subscription.endpoint, { allowLoopback: deps.allowLoopback })
  if (!verdict.ok) return `endpoint refused: ${verdict.reason}`
  try {
    const status = await deps.post({
      url: verdict.url,
      body: message.bundle,
      headers: {
        'Content-Type': 'application/fhir+json',
        'X-Signature': signatureOf(message.bundle, subscription.secret),
        'X-Message-ID': message.id,
        'X-Correlation-ID': message.correlationId,
        'X-Delivery-Attempt': String(attempt),
      },
    })
    return status >= 200 && status < 300 ? undefined : `endpoint answered HTTP ${status}`
  } catch (error) {
    const name = (error as { name?: string }).name
    if (name === 'EndpointRefused') return 'endpoint refused: it resolves to a private or reserved address'
    return name === 'TimeoutError' || name === 'AbortError'
      ? 'endpoint did not answer in time'
      : 'endpoint unreachable'
  }
}
