import { Construct } from 'constructs'
import type { JoinupFunction } from './JoinupFunction'
import type { Platform } from './Platform'

/** PDS lookup: GET /Patient/{nhsNumber} and GET /Patient, over the ICS's PDS cache or the national PDS. */
export class PatientLookup extends Construct {
  readonly function: JoinupFunction

  constructor(scope: Construct, id: string, platform: Platform) {
    super(scope, id)
    // Its grant of the NHS API platform key comes from its declaration (looksUpPatients).
    this.function = platform.function(this, 'patientLookup')
  }
}
