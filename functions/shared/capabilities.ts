import {
  type CapabilityDeclaration,
  type CapabilityName,
  capabilities,
  capabilityOf,
  isEnabled,
} from '../../infra/capabilities'
import type { IcsRuntimeConfig } from '../../schemas/ics-config'
import { FhirError } from './errors'

/** A function's capability as requireCapability and the request metrics need it. */
export interface FunctionCapability {
  function: string
  capability: CapabilityName | null
  providerOperations: readonly string[]
}

/** What infra/capabilities.ts declares about one function. */
export function functionCapabilityOf(fn: string): FunctionCapability {
  const capability = capabilityOf(fn) ?? null
  const declaration: CapabilityDeclaration | undefined = capability ? capabilities[capability] : undefined
  return { function: fn, capability, providerOperations: declaration?.providerOperations ?? [] }
}

/**
 * The capability of the function this code runs in. Cloud bundles have it compiled in
 * (infra/bundling.ts functionDefine), so the capability declarations stay out of them; the
 * local runtime and tests, which serve every function, read infra/capabilities.ts.
 */
export const capabilityOfFunction: (fn: string) => FunctionCapability = process.env.JOINUP_CAPABILITY
  ? compiledCapability(JSON.parse(process.env.JOINUP_CAPABILITY) as FunctionCapability)
  : functionCapabilityOf

function compiledCapability(compiled: FunctionCapability): (fn: string) => FunctionCapability {
  return (fn) => {
    // A bundle serves one function; anything else is a build mistake, not a caller's.
    if (fn !== compiled.function) throw new Error(`bundle of ${compiled.function} asked about ${fn}`)
    return compiled
  }
}

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
  const { capability, providerOperations } = capabilityOfFunction(fn)
  if (!capability) return
  // Switched off: its routes are not deployed, so answer as API Gateway would.
  if (!isEnabled(capability, ics.capabilities))
    throw new FhirError('NOT_FOUND', 'No such resource or operation')
  const serves = providerOperations.includes(operationId)
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
