import {
  type CapabilityDeclaration,
  type CapabilityName,
  capabilities,
  capabilityOf,
  isEnabled,
} from '../../infra/capabilities'
import type { IcsRuntimeConfig } from '../../schemas/ics-config'
import { FhirError } from './errors'

/**
 * Refuses a caller whose organisation the ICS has not enabled for the capability the
 * function belongs to (GP Connect enables capabilities per practice). Operations that serve
 * the capability (its `providerOperations`) need the organisation among its `providers`;
 * the others among its `consumers`. A list the config leaves out admits every member.
 */
export function requireCapability(
  fn: string,
  operationId: string,
  organisation: string,
  ics: Pick<IcsRuntimeConfig, 'capabilities'>,
): void {
  const capability: CapabilityName | undefined = capabilityOf(fn)
  if (!capability) return
  // Switched off: its routes are not deployed, so answer as API Gateway would.
  if (!isEnabled(capability, ics.capabilities))
    throw new FhirError('NOT_FOUND', 'No such resource or operation')
  const declaration: CapabilityDeclaration = capabilities[capability]
  const serves = (declaration.providerOperations as readonly string[] | undefined)?.includes(operationId)
  const settings = ics.capabilities?.[capability]
  const admitted = serves ? settings?.providers : settings?.consumers
  if (admitted && !admitted.includes(organisation)) {
    throw new FhirError(
      'ACCESS_DENIED',
      serves
        ? `Organisation ${organisation} does not serve ${capability} in this ICS`
        : `Organisation ${organisation} is not enabled for ${capability} in this ICS`,
    )
  }
}
