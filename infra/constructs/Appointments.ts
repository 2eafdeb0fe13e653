import { Construct } from 'constructs'
import type { JoinupFunction } from './JoinupFunction'
import type { Platform } from './Platform'

/**
 * Appointments: the API (publish and search slots; book, read, amend and cancel
 * appointments; a patient's appointments) and the follow-up consumer that finishes what a
 * request left (cancellations, announcements, the directory of slot publishers). Grants,
 * routes and the consumer's rule come from the declarations in infra/.
 */
export class Appointments extends Construct {
  readonly api: JoinupFunction
  readonly followUp: JoinupFunction

  constructor(scope: Construct, id: string, platform: Platform) {
    super(scope, id)
    this.api = platform.function(this, 'appointments')
    this.followUp = platform.function(this, 'appointmentsFollowUp')
  }
}
