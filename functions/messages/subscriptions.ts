import { randomBytes } from 'node:crypto'
import type { Caller } from '../../schemas/auth'
import { SubscriptionRequest } from '../../schemas/fhir/Message'
import type { IcsRuntimeConfig } from '../../schemas/ics-config'
import { FhirError } from '../shared/errors'
import { isLocalIcs } from '../shared/ics'
import {
  MESSAGE_EVENTS,
  type MessageDetailType,
  type MessageStore,
  type StoredSubscription,
} from '../shared/messages/MessageStore'
import type { Clock } from '../shared/time'
import { checkUntrustedEndpoint } from '../shared/untrustedEndpoint'

/** Where the signing secret is shown, once, in the answer to `POST /Subscription`. */
export const SIGNING_SECRET_URL =
  'https://fhir.joinup.example/StructureDefinition/subscription-signing-secret'
/** Most subscriptions one organisation may hold (each is a POST per message: a bounded fan-out). */
export const MAX_SUBSCRIPTIONS_PER_ORGANISATION = 20

const CRITERIA = new RegExp(`^(${Object.values(MESSAGE_EVENTS).join('|')})\\?recipient=([A-Za-z0-9]{1,16})$`)

export interface SubscriptionDependencies {
  messages: MessageStore
  clock: Clock
  ics: IcsRuntimeConfig
}

/** A subscription as the API shows it: never with its secret, unless just created. */
export function subscriptionResource(
  subscription: StoredSubscription,
  options: { withSecret?: boolean } = {},
) {
  return {
    resourceType: 'Subscription',
    id: subscription.id,
    ...(options.withSecret
      ? { extension: [{ url: SIGNING_SECRET_URL, valueString: subscription.secret }] }
      : {}),
    status: 'active',
    reason: subscription.reason,
    criteria: subscription.criteria,
    channel: { type: 'rest-hook', endpoint: subscription.endpoint, payload: 'application/fhir+json' },
  }
}

/**
 * `POST /Subscription`: an organisation subscribes its own endpoint to messages addressed to
 * it (`DischargeSummaryPublished?recipient=FX001`). The endpoint is untrusted input (https,
 * no credentials, no private, loopback or link-local host; loopback allowed on the local
 * stack only). The answer carries a fresh signing secret, shown this once.
 */
export async function createSubscription(body: unknown, caller: Caller, deps: SubscriptionDependencies) {
  const parsed = SubscriptionRequest.safeParse(body)
  if (!parsed.success) {
    const where = [
      ...new Set(parsed.error.issues.slice(0, 5).map((issue) => issue.path.join('.') || 'resource')),
    ]
    throw new FhirError(
      'INVALID_RESOURCE',
      `Not an R4 Subscription with reason, criteria and a rest-hook channel: ${where.join(', ')}`,
    )
  }
  const request = parsed.data
  const criteria = CRITERIA.exec(request.criteria)
  if (!criteria) {
    throw new FhirError(
      'INVALID_RESOURCE',
      `criteria must be <event>?recipient=<ODS code>, the event one of ${Object.values(MESSAGE_EVENTS).join(', ')}`,
    )
  }
  if (criteria[2] !== caller.organisation)
    throw new FhirError('ACCESS_DENIED', 'An organisation subscribes only to messages addressed to it')
  const verdict = checkUntrustedEndpoint(request.channel.endpoint, { allowLoopback: isLocalIcs(deps.ics) })
  if (!verdict.ok) throw new FhirError('INVALID_RESOURCE', `channel.endpoint: ${verdict.reason}`)
  const existing = await deps.messages.subscriptionsOf(caller.organisation)
  if (existing.length >= MAX_SUBSCRIPTIONS_PER_ORGANISATION) {
    throw new FhirError(
      'INVALID_RESOURCE',
      `An organisation holds at most ${MAX_SUBSCRIPTIONS_PER_ORGANISATION} subscriptions: delete one first`,
    )
  }
  const subscription: StoredSubscription = {
    id: `${caller.organisation}-${randomBytes(12).toString('hex')}`,
    ownerOds: caller.organisation,
    detailType: criteria[1] as MessageDetailType,
    criteria: request.criteria,
    reason: request.reason,
    endpoint: verdict.url,
    secret: randomBytes(32).toString('hex'),
    createdAt: deps.clock().toISOString(),
  }
  await deps.messages.saveSubscription(subscription)
  return subscriptionResource(subscription, { withSecret: true })
}

async function ownSubscription(id: string, caller: Caller, deps: Pick<SubscriptionDependencies, 'messages'>) {
  const subscription = await deps.messages.subscription(id)
  if (!subscription) throw new FhirError('RESOURCE_NOT_FOUND', 'No subscription has this id')
  if (subscription.ownerOds !== caller.organisation)
    throw new FhirError(
      'ACCESS_DENIED',
      'Only the organisation that made a subscription may see or remove it',
    )
  return subscription
}

/** `GET /Subscription`: the caller's own subscriptions, as a searchset Bundle (at most 20, one page). */
export async function searchSubscriptions(
  caller: Caller,
  baseUrl: string,
  deps: Pick<SubscriptionDependencies, 'messages'>,
) {
  const own = await deps.messages.subscriptionsOf(caller.organisation)
  return {
    resourceType: 'Bundle',
    type: 'searchset',
    total: own.length,
    link: [{ relation: 'self', url: `${baseUrl}/Subscription` }],
    entry: own.map((subscription) => ({
      fullUrl: `${baseUrl}/Subscription/${subscription.id}`,
      search: { mode: 'match' },
      resource: subscriptionResource(subscription),
    })),
  }
}

/** `GET /Subscription/{id}`: the owner's, without the secret. */
export async function readSubscription(
  id: string,
  caller: Caller,
  deps: Pick<SubscriptionDependencies, 'messages'>,
) {
  return subscriptionResource(await ownSubscription(id, caller, deps))
}

/** `DELETE /Subscription/{id}`: nothing more is delivered to it (a retry in flight finds it gone). */
export async function deleteSubscription(
  id: string,
  caller: Caller,
  deps: Pick<SubscriptionDependencies, 'messages'>,
) {
  await ownSubscription(id, caller, deps)
  await deps.messages.deleteSubscription(id)
}
