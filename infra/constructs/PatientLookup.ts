import { Construct } from 'constructs'
import type { JoinupFunction } from './JoinupFunction'
import type { Platform } from './Platform'

/** PDS lookup: GET /Patient/{nhsNumber} and GET /Patient, over the ICS's PDS cache or the national PDS. */
export class PatientLookup extends Construct {
  readonly function: JoinupFunction

  constructor(scope: Construct, id: string, platform: Platform) {
    super(scope, id)
    this.function = platform.function(this, 'patientLookup')
    const pds = platform.config.pds
    // The NHS API platform signing key: this function alone may read it, and only it.
    if (pds.source !== 'ics-cache') this.function.readSecret(pds.auth.secret)
  }
}
