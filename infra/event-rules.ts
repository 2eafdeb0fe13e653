import type { FunctionName } from './functions'

/**
 * EventBridge rules, declared once as plain data: the CDK backbone builds rule → SQS queue
 * → Lambda (batch, partial failures) from each, and the local bus wires the same patterns
 * to the same handlers. Patterns are checked by the event-pattern matcher when declared.
 */
export interface EventRuleDeclaration {
  name: string
  description: string
  /** An EventBridge event pattern. */
  pattern: Record<string, unknown>
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

export const eventRules: readonly EventRuleDeclaration[] = []
