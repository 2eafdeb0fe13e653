import { Construct } from 'constructs'
import type { JoinupFunction } from './JoinupFunction'
import type { Platform } from './Platform'

/** The audit trail's reader: GET /AuditEvent. Every function that touches patient data appends to it. */
export class Audit extends Construct {
  readonly function: JoinupFunction

  constructor(scope: Construct, id: string, platform: Platform) {
    super(scope, id)
    this.function = platform.function(this, 'auditApi')
  }
}
