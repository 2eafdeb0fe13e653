/** The two message flows (MessageHeader.eventCoding.code) and the events they emit. */
export const MESSAGE_EVENTS = {
  'update-record': 'ConsultationSummaryRecorded',
  'discharge-summary': 'DischargeSummaryPublished',
} as const
export type MessageEventCode = keyof typeof MESSAGE_EVENTS
export type MessageDetailType = (typeof MESSAGE_EVENTS)[MessageEventCode]

/**
 * Where a message stands for one recipient (ITK3's infrastructure and business
 * acknowledgements): accepted, delivered to every subscription it has (2xx), acknowledged
 * by the recipient, or failed after the configured attempts.
 */
export type RecipientStatus = 'accepted' | 'delivered' | 'acknowledged' | 'failed'

export interface RecipientState {
  status: RecipientStatus
  /** Delivery attempts so far (every POST to one of its subscriptions counts once per pass). */
  attempts: number
  /** Why the last attempt failed (HTTP status or network error; never patient data). */
  reason?: string
  /** Subscriptions that answered 2xx: a retry never posts to them again. */
  deliveredTo: string[]
  updatedAt: string
}

/** A message accepted by `POST /$process-message`. */
export interface StoredMessage {
  id: string
  senderOds: string
  eventCode: MessageEventCode
  nhsNumber: string
  /** The patient is PDS S-flagged (recipients are hidden from each other and from the sender). */
  restricted: boolean
  bundleId: string
  messageHeaderId: string
  correlationId: string
  /** The X-Request-ID of the POST that stored it: its retry after a lost answer resumes, even once announced. */
  requestId?: string
  acceptedAt: string
  /** The Bundle exactly as the sender posted it (what every subscription receives). */
  bundle: string
  /** SHA-256 of the bundle: tells a resumed acceptance from a duplicate. */
  contentHash: string
  recipients: Record<string, RecipientState>
  /** Its events have left: until then a retry of the same message may finish the acceptance. */
  announced: boolean
}

/** A rest-hook subscription of one organisation to messages addressed to it. */
export interface StoredSubscription {
  id: string
  /** The subscribing organisation: also the recipient the criteria name. */
  ownerOds: string
  detailType: MessageDetailType
  criteria: string
  reason: string
  endpoint: string
  /** The HMAC key of its deliveries: the signer needs it, so it is kept (KMS-encrypted table), never shown again. */
  secret: string
  createdAt: string
}

/** The message's acceptance ran into another message with the same Bundle or MessageHeader id. */
export class DuplicateMessage extends Error {
  constructor(readonly what: 'Bundle' | 'MessageHeader') {
    super(`A message with this ${what} id was accepted before`)
    this.name = 'DuplicateMessage'
  }
}

/** Messages and subscriptions (the `messages` table). */
export interface MessageStore {
  /**
   * Records a new message: claims its Bundle id for the sender, then writes the message.
   * Throws DuplicateMessage when either id belongs to another message, or to this one once
   * announced (unless it is the retry of the same request); answers the stored message when
   * an acceptance cut short (or its lost answer) is resumed. The message waits in the outbox
   * until markAnnounced.
   */
  accept(message: StoredMessage): Promise<StoredMessage>
  /** Its events have left: the message leaves the outbox. */
  markAnnounced(id: string): Promise<void>
  /** The outbox: messages stored before `acceptedBefore` (ISO) whose events have not left, oldest first. */
  unannounced(acceptedBefore: string, limit: number): Promise<StoredMessage[]>
  message(id: string): Promise<StoredMessage | undefined>
  /**
   * Sets one recipient's state, unless the recipient acknowledged already (a late delivery
   * report never takes an acknowledgement back). False when it did not apply.
   */
  updateRecipient(id: string, ods: string, state: RecipientState): Promise<boolean>
  saveSubscription(subscription: StoredSubscription): Promise<void>
  subscription(id: string): Promise<StoredSubscription | undefined>
  subscriptionsOf(ods: string): Promise<StoredSubscription[]>
  deleteSubscription(id: string): Promise<boolean>
}

/** The ODS code a subscription id starts with (`FX001-…`): where its item is found. */
export function ownerOfSubscriptionId(id: string): string | undefined {
  const match = /^([A-Z0-9]{3,6})-[a-f0-9]{16,32}$/.exec(id)
  return match?.[1]
}
