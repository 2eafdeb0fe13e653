import type { FunctionName } from './functions'

/**
 * EventBridge rules, declared once as plain data: the CDK platform builds rule → SQS queue
 * → Lambda (batches, partial failures, DLQ) from each, and the local bus wires the same
 * patterns to the same handlers. A rule says which events and majors its consumer reads;
 * the pattern is derived from that, routing on the `detail.metadata.version` prefix.
 */
export interface EventRuleDeclaration {
  name: string
  description: string
  /** The events, and the majors of each, the consumer understands (it upcasts older ones). */
  consumes: readonly { detailType: string; majors: readonly number[] }[]
  /** The function that consumes matching events through a queue, in batches. */
  consumer: FunctionName
  delivery: {
    /** Receives of one message before it moves to the DLQ. */
    maxReceiveCount: number
    /** How long EventBridge keeps trying to hand an event to the queue. */
    maxEventAgeSeconds: number
    /** EventBridge attempts to hand an event to the queue before its own DLQ. */
    retryAttempts: number
  }
}

/** The EventBridge pattern of a rule: each event with its accepted majors, as `$or` branches. */
export function patternOf(rule: Pick<EventRuleDeclaration, 'consumes'>): Record<string, unknown> {
  const branches = rule.consumes.map(({ detailType, majors }) => ({
    'detail-type': [detailType],
    detail: { metadata: { version: majors.map((major) => ({ prefix: `${major}.` })) } },
  }))
  return branches.length === 1 ? branches[0]! : { $or: branches }
}

export const eventRules: readonly EventRuleDeclaration[] = [
  {
    name: 'IndexRecordHolders',
    description: 'Keeps the patient index in step with record-holder events',
    consumes: [
      { detailType: 'RecordHolderRegistered', majors: [1, 2] },
      { detailType: 'RecordHolderRemoved', majors: [1] },
      { detailType: 'OrganisationRecordsWithdrawn', majors: [1] },
      // The hosting organisation holds an appointment record about the patient (booked or cancelled).
      { detailType: 'AppointmentBooked', majors: [1] },
      { detailType: 'AppointmentCancelled', majors: [1] },
    ],
    consumer: 'patientIndexUpdater',
    delivery: { maxReceiveCount: 5, maxEventAgeSeconds: 86_400, retryAttempts: 185 },
  },
  {
    name: 'FollowUpAppointments',
    description:
      'Finishes cancellations cut short, and keeps the directory of organisations that publish slots',
    consumes: [
      { detailType: 'SlotsPublished', majors: [1] },
      { detailType: 'AppointmentCancelled', majors: [1] },
    ],
    consumer: 'appointmentsFollowUp',
    delivery: { maxReceiveCount: 5, maxEventAgeSeconds: 86_400, retryAttempts: 185 },
  },
  {
    name: 'DeliverMessages',
    description:
      "Pushes write-back and discharge messages to the recipients' rest-hook subscriptions, signed, with backoff, then the DLQ",
    consumes: [
      { detailType: 'ConsultationSummaryRecorded', majors: [1] },
      { detailType: 'DischargeSummaryPublished', majors: [1] },
    ],
    consumer: 'messageDeliverer',
    // Attempts per message before its undelivered recipients are `failed` and it is dead-lettered.
    delivery: { maxReceiveCount: 6, maxEventAgeSeconds: 86_400, retryAttempts: 185 },
  },
]
