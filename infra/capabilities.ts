import { type FunctionDeclaration, type FunctionName, functions } from './functions'
import type { OperationId } from './routes'
import type { TableName } from './tables'

/**
 * Capabilities, declared once as plain data: which functions make each one, which of its
 * operations only an organisation that serves it may call, and its latency target. The CDK
 * stack composes a capability only when the ICS config enables it (no resources otherwise),
 * its alarms and dashboard widgets are derived from this list, and the middleware refuses
 * an organisation the ICS has not enabled for it (GP Connect enables capabilities per
 * practice; the ICS config mirrors that per organisation).
 *
 * A new capability slots in with one entry here (its functions, provider operations) and,
 * if it has a national target, one in `latencyTargets`; every declared function must belong
 * to exactly one capability (test/infra/capabilities.test.ts).
 */
export interface CapabilityDeclaration {
  description: string
  /** The functions (infra/functions.ts) that make the capability. */
  functions: readonly FunctionName[]
  /**
   * Operations that serve the capability rather than use it (GP Connect: a provider): only
   * organisations listed as its `providers` in the ICS config may call them.
   */
  providerOperations?: readonly OperationId[]
  /** The stack does not work without it: the ICS config cannot switch it off. */
  required?: boolean
}

export const capabilities = {
  metadata: {
    description: 'CapabilityStatement, SMART discovery and the docs site (public, no patient data)',
    functions: ['metadata', 'docs'],
    required: true,
  },
  patientLookup: {
    description: 'PDS lookup: read and search patients',
    functions: ['patientLookup'],
  },
  patientIndex: {
    description: 'The patient index: which organisations hold records about a patient (NRL-style pointers)',
    functions: ['patientIndexApi', 'patientIndexUpdater'],
    providerOperations: ['registerPointer', 'withdrawPointers'],
  },
  audit: {
    description: 'The audit trail reader (every capability appends to the trail)',
    functions: ['auditApi'],
    required: true,
  },
  records: {
    description:
      "Record retrieval: a patient's structured record merged from every holder (GP Connect, federated)",
    functions: ['recordRetrieval'],
  },
  appointments: {
    description:
      'Free slots at any organisation, booked, amended and cancelled under GP Connect Appointment Management',
    functions: ['appointments', 'appointmentsFollowUp'],
    // Publishing slots is what an organisation that offers appointments does (a GP Connect provider's part).
    providerOperations: ['publishSlots'],
  },
  messages: {
    description:
      'Write-back to the GP and discharge summaries to the nominated pharmacy: FHIR messages, their status, and signed rest-hook deliveries',
    functions: ['messages', 'messageDeliverer', 'messageOutbox'],
  },
} as const satisfies Record<string, CapabilityDeclaration>

export type CapabilityName = keyof typeof capabilities

/** A p99 latency target of a capability, measured in its functions (handler time). */
export interface LatencyTarget {
  /** What the capability should answer within at p99 (dashboard annotation). */
  shouldMs?: number
  /** What it shall answer within at p99: the alarm threshold. */
  shallMs: number
  /** Where the figure comes from. */
  source: string
}

/**
 * p99 targets per capability, keyed by capability name: capabilities still to land pick up
 * theirs by using the name given here. GP Connect's figures are from its non-functional
 * requirements; the others are this project's own.
 */
export const latencyTargets: Record<string, LatencyTarget> = {
  metadata: { shallMs: 1000, source: 'this project: a static document' },
  patientLookup: { shouldMs: 500, shallMs: 1000, source: 'this project: one PDS read or search' },
  patientIndex: { shouldMs: 250, shallMs: 500, source: 'this project: one index query (NRL)' },
  audit: { shouldMs: 500, shallMs: 1000, source: 'this project: one chain page' },
  records: { shouldMs: 1000, shallMs: 3000, source: 'GP Connect: structured record < 1 s should, 3 s shall' },
  appointments: { shallMs: 250, source: 'GP Connect Appointment Management: booking < 250 ms' },
  messages: { shallMs: 250, source: 'GP Connect commands: accept < 250 ms (delivery is asynchronous)' },
}

/** The capability a function belongs to, if it is declared in one. */
export function capabilityOf(fn: string): CapabilityName | undefined {
  for (const [name, declaration] of Object.entries(capabilities) as [
    CapabilityName,
    CapabilityDeclaration,
  ][]) {
    if ((declaration.functions as readonly string[]).includes(fn)) return name
  }
  return undefined
}

/** Per-capability switches as the ICS config states them (schemas/ics-config.ts `capabilities`). */
export interface CapabilitySwitch {
  enabled?: boolean
  consumers?: readonly string[]
  providers?: readonly string[]
}

/** Whether the ICS runs the capability at all (on unless its config switches it off). */
export function isEnabled(
  capability: string,
  switches: Readonly<Record<string, CapabilitySwitch>> | undefined,
): boolean {
  return switches?.[capability]?.enabled !== false
}

/** The capabilities an ICS runs, in declaration order. */
export function enabledCapabilities(
  switches: Readonly<Record<string, CapabilitySwitch>> | undefined,
): CapabilityName[] {
  return (Object.keys(capabilities) as CapabilityName[]).filter((name) => isEnabled(name, switches))
}

/** The functions an ICS deploys: those of its enabled capabilities. */
export function deployedFunctions(
  switches: Readonly<Record<string, CapabilitySwitch>> | undefined,
): FunctionName[] {
  return enabledCapabilities(switches).flatMap((name) => [...capabilities[name].functions])
}

/**
 * The tables an ICS creates: those its deployed functions are granted. A table no deployed
 * function uses is not created (an unused table is cost and attack surface); a capability
 * that starts using one declares the grant in infra/functions.ts and the table appears.
 */
export function deployedTables(
  switches: Readonly<Record<string, CapabilitySwitch>> | undefined,
): TableName[] {
  const used = new Set<TableName>()
  for (const fn of deployedFunctions(switches)) {
    for (const table of Object.keys((functions[fn] as FunctionDeclaration).tables) as TableName[])
      used.add(table)
  }
  return [...used]
}

/** Why a config's capability switches cannot be deployed, or an empty list. */
export function capabilitySwitchProblems(
  switches: Readonly<Record<string, CapabilitySwitch>> | undefined,
  members: readonly { ods: string }[],
): string[] {
  const problems: string[] = []
  const memberCodes = new Set(members.map((member) => member.ods))
  for (const [name, settings] of Object.entries(switches ?? {})) {
    if (!Object.hasOwn(capabilities, name)) {
      problems.push(
        `capabilities.${name}: no such capability (declared: ${Object.keys(capabilities).join(', ')})`,
      )
      continue
    }
    const declaration: CapabilityDeclaration = capabilities[name as CapabilityName]
    if (declaration.required && settings.enabled === false)
      problems.push(`capabilities.${name}: cannot be switched off`)
    for (const list of ['consumers', 'providers'] as const) {
      for (const ods of settings[list] ?? []) {
        if (!memberCodes.has(ods)) problems.push(`capabilities.${name}.${list}: ${ods} is not a member`)
      }
    }
  }
  return problems
}
