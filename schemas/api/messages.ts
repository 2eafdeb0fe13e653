import { Bundle } from '../fhir/Bundle'
import { MessageBundle, MessageStatus, SubscriptionRequest, SubscriptionResource } from '../fhir/Message'
import { OperationOutcome } from '../fhir/OperationOutcome'
import acknowledgeMessageExample from './examples/acknowledgeMessage.json' with { type: 'json' }
import createSubscriptionExample from './examples/createSubscription.json' with { type: 'json' }
import createSubscriptionRequest from './examples/createSubscription.request.json' with { type: 'json' }
import processMessageExample from './examples/processMessage.json' with { type: 'json' }
import processMessageRequest from './examples/processMessage.request.json' with { type: 'json' }
import readMessageStatusExample from './examples/readMessageStatus.json' with { type: 'json' }
import readSubscriptionExample from './examples/readSubscription.json' with { type: 'json' }
import searchSubscriptionsExample from './examples/searchSubscriptions.json' with { type: 'json' }
import type { ErrorDoc, OperationDocs, ParameterDoc } from './types'

const messageId: ParameterDoc = {
  description: 'Message id, `<sender ODS>-<16 hex>` (the `Location` of `POST /$process-message`)',
  required: true,
  schema: { type: 'string', pattern: '^[A-Z0-9]{3,6}-[a-f0-9]{16}$' },
  example: 'RX9-5c1f0e7a2b3d4c6e',
}
const subscriptionId: ParameterDoc = {
  description: 'Subscription id, `<owner ODS>-<24 hex>` (the `Location` of `POST /Subscription`)',
  required: true,
  schema: { type: 'string', pattern: '^[A-Z0-9]{3,6}-[a-f0-9]{24}$' },
  example: 'Y90001-4b1d9e0c7a2f5e8d3c6b1a09',
}
const messageReadErrors: ErrorDoc[] = [
  { code: 'ACCESS_DENIED', when: 'Your organisation is neither the sender nor a recipient' },
  { code: 'RESOURCE_NOT_FOUND', when: 'No message has this id' },
]
const subscriptionErrors: ErrorDoc[] = [
  { code: 'ACCESS_DENIED', when: "The subscription is another organisation's" },
  { code: 'RESOURCE_NOT_FOUND', when: 'No subscription has this id' },
]

/** Messages: write-back to the GP and discharge to the pharmacy, their status, and rest-hook subscriptions. */
export const messagesApi: OperationDocs<
  | 'processMessage'
  | 'readMessageStatus'
  | 'acknowledgeMessage'
  | 'createSubscription'
  | 'searchSubscriptions'
  | 'readSubscription'
  | 'deleteSubscription'
> = {
  processMessage: {
    description:
      "A FHIR R4 message Bundle, asynchronous as GP Connect Send Document and Update Record are (ITK3 over MESH nationally). The MessageHeader comes first, with `eventCoding.code` `update-record` (a consultation summary for the patient's registered GP; emits ConsultationSummaryRecorded) or `discharge-summary` (for the nominated pharmacy and the registered GP; emits DischargeSummaryPublished), the sender (your organisation), the Patient (NHS number known to PDS), a Composition and the clinical entries (MedicationStatement, AllergyIntolerance, Condition, Observation, Binary or DocumentReference). The message is stored in the ICS's clinical store, the sender registered as a holder, and the message pushed to the recipients' subscriptions. A retry with the same `X-Request-ID` answers the original 202. At most 350 KB (a DynamoDB item).",
    request: {
      description: 'A message Bundle (type `message`)',
      schema: MessageBundle,
      example: processMessageRequest,
    },
    response: {
      status: 202,
      description: 'Accepted; the message status is at the `Location`',
      schema: OperationOutcome,
      example: processMessageExample,
      headers: ['Location'],
    },
    errors: [
      {
        code: 'INVALID_RESOURCE',
        when: 'Not a message Bundle; no MessageHeader first or another event; a resource type a message may not carry; an NHS number that fails modulus 11 or that PDS does not know; a reference that does not resolve inside the Bundle; no recipient in PDS',
      },
      { code: 'ACCESS_DENIED', when: 'The MessageHeader sender is not your organisation' },
      {
        code: 'DUPLICATE_REJECTED',
        when: 'A message with this Bundle id or MessageHeader id was accepted before',
      },
    ],
  },
  readMessageStatus: {
    description:
      "Where the message stands for each recipient: `accepted`, `delivered` (every subscription of the recipient answered 2xx), `acknowledged` (the recipient's business acknowledgement) or `failed` (after the configured attempts, with the reason), and the attempts. For a restricted patient a recipient's organisation is shown only to itself.",
    parameters: { id: messageId },
    response: {
      status: 200,
      description: 'A Parameters resource: event, sender, accepted, and one `recipient` part per recipient',
      schema: MessageStatus,
      example: readMessageStatusExample,
    },
    errors: messageReadErrors,
  },
  acknowledgeMessage: {
    description:
      "A recipient acknowledges a message it received and processed (ITK3's business acknowledgement); its status becomes `acknowledged`. Acknowledging again changes nothing.",
    parameters: { id: messageId },
    response: {
      status: 200,
      description: 'The message status after the acknowledgement',
      schema: MessageStatus,
      example: acknowledgeMessageExample,
    },
    errors: [
      { code: 'ACCESS_DENIED', when: 'Your organisation is not a recipient of the message' },
      { code: 'RESOURCE_NOT_FOUND', when: 'No message has this id' },
    ],
  },
  createSubscription: {
    description:
      'FHIR R4 Subscription, rest-hook channel: `criteria` `DischargeSummaryPublished?recipient=<your ODS>` or `ConsultationSummaryRecorded?recipient=<your ODS>`. Each message is POSTed to the endpoint with `Content-Type: application/fhir+json`, `X-Signature: sha256=<hex HMAC-SHA256 of the body with the secret>`, `X-Message-ID`, `X-Correlation-ID` and `X-Delivery-Attempt`. The answer carries the signing secret in an extension, shown this once. Endpoints: https, no credentials, no private, loopback or link-local host.',
    request: {
      description: 'An R4 Subscription with a rest-hook channel',
      schema: SubscriptionRequest,
      example: createSubscriptionRequest,
    },
    response: {
      status: 201,
      description: 'The subscription, active, with its signing secret (shown once)',
      schema: SubscriptionResource,
      example: createSubscriptionExample,
      headers: ['Location'],
    },
    errors: [
      {
        code: 'INVALID_RESOURCE',
        when: 'Not a rest-hook Subscription; criteria not `<event>?recipient=<ODS>`; an endpoint that is not https, carries credentials or names a private host; more than 20 subscriptions',
      },
      { code: 'ACCESS_DENIED', when: "The criteria name another organisation's messages" },
    ],
  },
  searchSubscriptions: {
    response: {
      status: 200,
      description: "A searchset Bundle of your organisation's subscriptions, without their secrets",
      schema: Bundle,
      example: searchSubscriptionsExample,
    },
    errors: [],
  },
  readSubscription: {
    parameters: { id: subscriptionId },
    response: {
      status: 200,
      description: 'The subscription, without its secret',
      schema: SubscriptionResource,
      example: readSubscriptionExample,
    },
    errors: subscriptionErrors,
  },
  deleteSubscription: {
    parameters: { id: subscriptionId },
    response: { status: 204, description: 'Removed: nothing more is delivered to it' },
    errors: subscriptionErrors,
  },
}
