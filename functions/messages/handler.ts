import type { Caller } from '../../schemas/auth'
import { EventBridgePublisher } from '../shared/events'
import { type HttpRequest, type HttpResult, httpApi } from '../shared/http'
import { currentIcs } from '../shared/ics'
import { DynamoDbIdempotencyStore } from '../shared/idempotency/DynamoDbIdempotencyStore'
import {
  type IdempotencyStore,
  idempotencyKey,
  requestFingerprint,
  type StoredResponse,
  withIdempotency,
} from '../shared/idempotency/IdempotencyStore'
import { DynamoDbMessageStore } from '../shared/messages/DynamoDbMessageStore'
import type { MessageStore } from '../shared/messages/MessageStore'
import { patientDirectory } from '../shared/patients/directory'
import { auditTrail, rateLimiter } from '../shared/platform'
import { DynamoDbClinicalStore } from '../shared/records/DynamoDbClinicalStore'
import { systemClock } from '../shared/time'
import { acknowledgeMessage, type MessageDependencies, processMessage, readMessageStatus } from './messages'
import {
  createSubscription,
  deleteSubscription,
  readSubscription,
  searchSubscriptions,
} from './subscriptions'

let messages: MessageStore | undefined
let records: DynamoDbClinicalStore | undefined
let keys: IdempotencyStore | undefined
const publisher = new EventBridgePublisher({
  source: 'joinup.messages',
  ics: () => currentIcs().ics,
  clock: systemClock,
})

function dependencies(): MessageDependencies {
  messages ??= new DynamoDbMessageStore()
  records ??= new DynamoDbClinicalStore()
  return { messages, records, patients: patientDirectory(), publisher, clock: systemClock }
}

/** A write the client may retry with the same X-Request-ID: the retry gets the original answer. */
async function once(
  request: HttpRequest,
  caller: Caller,
  run: () => Promise<StoredResponse>,
): Promise<HttpResult> {
  if (request.headers['x-request-id'] === undefined) return run()
  keys ??= new DynamoDbIdempotencyStore()
  const key = idempotencyKey(request.route.operationId, caller.organisation, request.requestId)
  const fingerprint = requestFingerprint(request.route.operationId, request.pathParameters, request.body)
  const { replayed, ...response } = await withIdempotency(
    key,
    fingerprint,
    { store: keys, clock: systemClock },
    run,
  )
  return replayed ? { ...response, audit: [] } : response
}

/** Messages: write-back and discharge, their status and acknowledgement, and rest-hook subscriptions. */
export const handler = httpApi(
  'messages',
  {
    processMessage: (request, caller) =>
      once(request, caller, async () => {
        const { message, audit } = await processMessage(request.body, caller, request, dependencies())
        return {
          status: 202,
          body: {
            resourceType: 'OperationOutcome',
            issue: [
              {
                severity: 'information',
                code: 'informational',
                diagnostics: `Message ${message.id} accepted for ${Object.keys(message.recipients).length} recipient(s); its status is at the Location`,
              },
            ],
          },
          headers: { Location: `${request.baseUrl}/Message/${message.id}` },
          audit,
        }
      }),
    readMessageStatus: async (request, caller) => {
      const { status, audit } = await readMessageStatus(
        request.pathParameters.id ?? '',
        caller,
        dependencies(),
      )
      return { status: 200, body: status, audit }
    },
    acknowledgeMessage: async (request, caller) => {
      const { status, audit } = await acknowledgeMessage(
        request.pathParameters.id ?? '',
        caller,
        dependencies(),
      )
      return { status: 200, body: status, audit }
    },
    createSubscription: async (request, caller) => {
      const subscription = await createSubscription(request.body, caller, {
        messages: dependencies().messages,
        clock: systemClock,
        ics: currentIcs(),
      })
      return {
        status: 201,
        body: subscription,
        headers: { Location: `${request.baseUrl}/Subscription/${subscription.id}` },
      }
    },
    searchSubscriptions: async (request, caller) => ({
      status: 200,
      body: await searchSubscriptions(caller, request.baseUrl, dependencies()),
    }),
    readSubscription: async (request, caller) => ({
      status: 200,
      body: await readSubscription(request.pathParameters.id ?? '', caller, dependencies()),
    }),
    deleteSubscription: async (request, caller) => {
      await deleteSubscription(request.pathParameters.id ?? '', caller, dependencies())
      return { status: 204 }
    },
  },
  { audit: auditTrail, rateLimiter },
)
