import { EventBridgePublisher } from '../shared/events'
import { httpApi } from '../shared/http'
import { currentIcs } from '../shared/ics'
import { answerOnce } from '../shared/idempotency/answerOnce'
import { DynamoDbMessageStore } from '../shared/messages/DynamoDbMessageStore'
import type { MessageStore } from '../shared/messages/MessageStore'
import { patientDirectory } from '../shared/patients/directory'
import { auditTrail, rateLimiter, refusalBudget } from '../shared/platform'
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

/** Messages: write-back and discharge, their status and acknowledgement, and rest-hook subscriptions. */
export const handler = httpApi(
  'messages',
  {
    processMessage: (request, caller) =>
      answerOnce(
        request,
        caller,
        async () => {
          const { message, audit } = await processMessage(
            request.body,
            caller,
            request,
            dependencies(),
            request.rawBody,
          )
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
        },
        { replayAudit: 'none' },
      ),
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
  { audit: auditTrail, rateLimiter, refusalBudget },
)
