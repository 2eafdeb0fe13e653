import { Construct } from 'constructs'
import type { JoinupFunction } from './JoinupFunction'
import type { Platform } from './Platform'

/**
 * Messages: the API ($process-message, message status and acknowledgement, subscriptions)
 * and the deliverer behind the DeliverMessages rule's SQS queue and DLQ. A Lambda deliverer
 * rather than EventBridge API destinations: an API destination sends one fixed set of
 * headers per destination and cannot sign each body with a per-subscription secret
 * (`X-Signature`), nor record per-recipient delivery state. Grants, routes and the rule come
 * from the declarations in infra/; the deliverer may only read and update the messages table.
 * The outbox sweep (a rate rule, infra/functions.ts `schedule`) finishes what a POST that died
 * between storing and publishing left: every stored message is announced.
 */
export class Messages extends Construct {
  readonly api: JoinupFunction
  readonly deliverer: JoinupFunction
  /** The outbox sweep: announces, every minute, messages stored whose events never left. */
  readonly outbox: JoinupFunction

  constructor(scope: Construct, id: string, platform: Platform) {
    super(scope, id)
    this.api = platform.function(this, 'messages')
    this.deliverer = platform.function(this, 'messageDeliverer')
    this.outbox = platform.function(this, 'messageOutbox')
  }
}
