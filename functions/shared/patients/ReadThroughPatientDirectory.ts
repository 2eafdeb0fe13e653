import { logger } from '../logger'
import { countMetric } from '../metrics'
import type { Clock } from '../time'
import { isRestricted } from './confidentiality'
import type { CachedPatient, PatientCache } from './PatientCache'
import type {
  CallContext,
  PatientDirectory,
  PatientReadResult,
  PatientSearchCriteria,
  PatientSearchResult,
} from './PatientDirectory'

/** Most superseded links a cached read follows, as CachedPatientDirectory does. */
const MAX_SUPERSESSION_HOPS = 5

/**
 * `pds.source: national-with-cache`: the national PDS, read through the ICS's patients table.
 * A read is answered from the table while its copy is fresh (younger than the ICS's TTL),
 * else from PDS, and PDS's answer is stored with a new expiry. Searches always go to PDS:
 * its matching, and a search result carries less than a read, so it is never stored.
 * Restricted (S-flag) patients are never stored, whatever PDS sends back.
 */
export class ReadThroughPatientDirectory implements PatientDirectory {
  constructor(
    private readonly deps: {
      national: PatientDirectory
      cache: PatientCache
      ttlSeconds: number
      clock: Clock
    },
  ) {}

  async read(nhsNumber: string, context: CallContext): Promise<PatientReadResult> {
    const now = Math.floor(this.deps.clock().getTime() / 1000)
    const cached = await this.fromCache(nhsNumber, now)
    if (cached) {
      countMetric('PdsCacheHits')
      return cached
    }
    const result = await this.deps.national.read(nhsNumber, context)
    await this.remember(nhsNumber, result, now + this.deps.ttlSeconds)
    return result
  }

  search(criteria: PatientSearchCriteria, context: CallContext): Promise<PatientSearchResult> {
    return this.deps.national.search(criteria, context)
  }

  private async fromCache(nhsNumber: string, now: number): Promise<PatientReadResult | undefined> {
    const fresh = (record: CachedPatient | undefined): record is CachedPatient =>
      record !== undefined && record.expiresAt !== undefined && record.expiresAt > now
    let record = await this.deps.cache.get(nhsNumber)
    for (let hop = 0; fresh(record) && record.status === 'superseded' && hop < MAX_SUPERSESSION_HOPS; hop++) {
      record = await this.deps.cache.get(record.supersededBy)
    }
    if (!fresh(record)) return undefined
    if (record.status === 'invalidated') return { kind: 'invalidated' }
    if (record.status === 'active') return { kind: 'found', patient: record.patient }
    return undefined
  }

  /** Stores what PDS answered; a failure to store is logged, never the caller's problem. */
  private async remember(nhsNumber: string, result: PatientReadResult, expiresAt: number): Promise<void> {
    const records: CachedPatient[] = []
    if (result.kind === 'found' && !isRestricted(result.patient)) {
      records.push({ nhsNumber: result.patient.id, status: 'active', patient: result.patient, expiresAt })
      // PDS answers a superseded number with the record that replaced it (its id differs).
      if (result.patient.id !== nhsNumber)
        records.push({ nhsNumber, status: 'superseded', supersededBy: result.patient.id, expiresAt })
    } else if (result.kind === 'invalidated') {
      records.push({ nhsNumber, status: 'invalidated', expiresAt })
    }
    if (records.length === 0) return
    try {
      await this.deps.cache.putAll(records)
    } catch (error) {
      logger.warn('could not store a PDS answer in the cache', { error })
    }
  }
}
