/**
 * Tags on every dead-letter queue, read by `npm run dlq:replay` (scripts/dead-letters.ts):
 * what the queue holds decides how it replays. Plain data, so the script loads no aws-cdk-lib.
 */

/** What a dead-letter queue holds: `bus`, `rule` or `queue` (DeadLetterKind). */
export const DEAD_LETTER_TAG = 'joinup:dead-letters'
/** On a rule's dead-letter queue: the URL of the queue the rule delivers to (replay sends there). */
export const REPLAY_TO_TAG = 'joinup:replay-to'
/** On every resource of an ICS stack (infra/bin/app.ts): the ICS it belongs to. */
export const ICS_TAG = 'joinup:ics'

/** What a dead-letter queue holds, so each replays by its own mechanism. */
export type DeadLetterKind =
  /** Events the bus could not deliver at all: re-published to the bus. */
  | 'bus'
  /** Events a rule could not hand to its queue: sent to that queue (SQS redrive cannot: they never came from a queue). */
  | 'rule'
  /** Messages a consumer failed `maxReceiveCount` times: moved back by SQS redrive (StartMessageMoveTask). */
  | 'queue'
