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
 */
export class Messages extends Construct {
  readonly api: JoinupFunction
  readonly deliverer: JoinupFunction

  constructor(scope: Construct, id: string, platform: Platform) {
    super(scope, id)
    this.api = platform.function(this, 'messages')
    this.deliverer = platform.function(this, 'messageDeliverer')
  }
}
