import { Construct } from 'constructs'
import type { JoinupFunction } from './JoinupFunction'
import type { Platform } from './Platform'

/** GET /metadata and /.well-known/smart-configuration: public, no patient data, no table access. */
export class Metadata extends Construct {
  readonly function: JoinupFunction

  constructor(scope: Construct, id: string, platform: Platform) {
    super(scope, id)
    this.function = platform.function(this, 'metadata')
  }
}
