import { Construct } from 'constructs'
import type { JoinupFunction } from './JoinupFunction'
import type { Platform } from './Platform'

/**
 * The patient index: the NRL-style pointer API (reads the index, publishes events) and
 * the updater that applies record-holder events from its queue (the only writer).
 */
export class PatientIndex extends Construct {
  readonly api: JoinupFunction
  readonly updater: JoinupFunction

  constructor(scope: Construct, id: string, platform: Platform) {
    super(scope, id)
    this.api = platform.function(this, 'patientIndexApi')
    this.updater = platform.function(this, 'patientIndexUpdater')
  }
}
