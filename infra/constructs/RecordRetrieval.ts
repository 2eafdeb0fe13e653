import { Construct } from 'constructs'
import type { JoinupFunction } from './JoinupFunction'
import type { Platform } from './Platform'

/**
 * Record retrieval: POST /Patient/$gpc.getstructuredrecord. Reads the PDS cache, the patient
 * index and the clinical store; calls the GP Connect providers of the ICS's holder
 * directory over HTTPS (no VPC: the endpoints are on the internet or behind the Spine
 * Secure Proxy); appends to the audit trail. Publishes no events.
 */
export class RecordRetrieval extends Construct {
  readonly function: JoinupFunction

  constructor(scope: Construct, id: string, platform: Platform) {
    super(scope, id)
    // Its grant of the NHS API platform key comes from its declaration (looksUpPatients).
    this.function = platform.function(this, 'recordRetrieval')
  }
}
