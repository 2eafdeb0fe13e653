import { isRestricted } from '../../functions/shared/patients/confidentiality'
import type { CachedPatient, PatientCache } from '../../functions/shared/patients/PatientCache'
import { nhsNumberOf } from '../../functions/shared/patients/PatientCache'
import { isValidNhsNumber } from '../../schemas/fhir/identifiers'
import { Patient } from '../../schemas/fhir/Patient'
import type { IcsConfig } from '../../schemas/ics-config'

/** Why a line of a trace result was not loaded. */
export type RejectionReason =
  | 'not JSON'
  | 'not a FHIR Patient'
  | 'invalid NHS number'
  | 'id and NHS number identifier differ'
  | 'restricted (S-flag) patient in a read-through cache'
  | 'not a synthetic NHS number (demo ICS)'

export interface LoadSummary {
  lines: number
  loaded: number
  /** Line numbers (1-based) per reason; never the line's content, which is patient data. */
  rejected: Partial<Record<RejectionReason, number[]>>
}

const BATCH = 25

/**
 * NHS numbers beginning with 9 are never issued to patients (999 is the test range, 900 the
 * PDS sandbox's): a demo ICS, whose tokens anyone holding its demo key can mint, takes only these.
 */
export function isSyntheticNhsNumber(nhsNumber: string): boolean {
  return nhsNumber.startsWith('9')
}

/**
 * Loads a PDS trace result (FHIR Patient resources, one JSON object a line) into an ICS's
 * patients table, in batches of 25. Lines that are not a valid Patient with a valid NHS number
 * are skipped and counted by reason and line number. In a `national-with-cache` ICS the copies
 * expire after the ICS's TTL and restricted patients are never stored, as the read-through
 * cache does; a demo ICS takes synthetic NHS numbers only.
 */
export async function loadPdsTrace(options: {
  lines: AsyncIterable<string>
  cache: PatientCache
  config: Pick<IcsConfig, 'ics' | 'pds' | 'demoIssuer'>
  now?: () => Date
  dryRun?: boolean
  progress?: (summary: LoadSummary) => void
  progressEvery?: number
}): Promise<LoadSummary> {
  const { config } = options
  if (config.pds.source === 'national') {
    throw new Error(
      `ICS ${config.ics} reads the national PDS directly (pds.source "national"): it has no cache to load`,
    )
  }
  const pds = config.pds
  const readThrough = pds.source === 'national-with-cache'
  const expiresAt =
    pds.source === 'national-with-cache'
      ? Math.floor((options.now ?? (() => new Date()))().getTime() / 1000) + pds.cacheTtlSeconds
      : undefined
  const summary: LoadSummary = { lines: 0, loaded: 0, rejected: {} }
  const reject = (reason: RejectionReason) => {
    const lines = summary.rejected[reason] ?? []
    lines.push(summary.lines)
    summary.rejected[reason] = lines
  }
  let batch: CachedPatient[] = []
  const flush = async () => {
    if (batch.length && !options.dryRun) await options.cache.putAll(batch)
    summary.loaded += batch.length
    batch = []
  }
  for await (const line of options.lines) {
    summary.lines++
    if (options.progress && summary.lines % (options.progressEvery ?? 1000) === 0) options.progress(summary)
    if (line.trim() === '') {
      summary.lines--
      continue
    }
    let json: unknown
    try {
      json = JSON.parse(line)
    } catch {
      reject('not JSON')
      continue
    }
    const parsed = Patient.safeParse(json)
    if (!parsed.success) {
      reject('not a FHIR Patient')
      continue
    }
    const patient = parsed.data
    const nhsNumber = nhsNumberOf(patient)
    if (!isValidNhsNumber(nhsNumber)) {
      reject('invalid NHS number')
      continue
    }
    if (patient.id !== nhsNumber) {
      reject('id and NHS number identifier differ')
      continue
    }
    if (config.demoIssuer && !isSyntheticNhsNumber(nhsNumber)) {
      reject('not a synthetic NHS number (demo ICS)')
      continue
    }
    if (readThrough && isRestricted(patient)) {
      reject('restricted (S-flag) patient in a read-through cache')
      continue
    }
    batch.push({ nhsNumber, status: 'active', patient, ...(expiresAt ? { expiresAt } : {}) })
    if (batch.length === BATCH) await flush()
  }
  await flush()
  options.progress?.(summary)
  return summary
}

/** The summary as the operator reads it: counts, then each reason with its first line numbers. */
export function describeSummary(summary: LoadSummary, dryRun = false): string {
  const rejectedCount = Object.values(summary.rejected).reduce(
    (total, lines) => total + (lines?.length ?? 0),
    0,
  )
  const head = `${summary.lines} lines: ${summary.loaded} patients ${dryRun ? 'would be ' : ''}loaded, ${rejectedCount} rejected`
  const reasons = Object.entries(summary.rejected).map(([reason, lines]) => {
    const shown = lines!.slice(0, 20).join(', ')
    return `  ${reason}: ${lines!.length} (lines ${shown}${lines!.length > 20 ? ', …' : ''})`
  })
  return [head, ...reasons].join('\n')
}
