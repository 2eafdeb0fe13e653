import { Construct } from 'constructs'
import type { JoinupFunction } from './JoinupFunction'
import type { Platform } from './Platform'

/**
 * The docs site (/docs): getting started, the API reference (Swagger UI), the event
 * catalogue and the OpenAPI document. Its own function, so the static files it serves
 * (copied beside the bundle, never bundled as code) stay out of every API function.
 */
export class Docs extends Construct {
  readonly function: JoinupFunction

  constructor(scope: Construct, id: string, platform: Platform) {
    super(scope, id)
    this.function = platform.function(this, 'docs')
  }
}
