import type { IcsRuntimeConfig } from '../../../schemas/ics-config'
import { platformCredentialsFrom } from '../secrets'
import { systemClock } from '../time'
import { CachedPatientDirectory } from './CachedPatientDirectory'
import { DynamoDbPatientCache } from './DynamoDbPatientCache'
import { NationalPdsDirectory } from './NationalPdsDirectory'
import { NhsApiPlatformTokens } from './NhsApiPlatformTokens'
import type { PatientDirectory } from './PatientDirectory'
import { ReadThroughPatientDirectory } from './ReadThroughPatientDirectory'

/**
 * The ICS's PDS, per its config `pds.source`: its own copy (ics-cache), the national PDS,
 * or the national PDS read through the copy. Every capability that reads patients (PDS
 * lookup, record retrieval) builds it here, once per container.
 */
export function patientDirectoryFor(pds: IcsRuntimeConfig['pds']): PatientDirectory {
  if (pds.source === 'ics-cache') return new CachedPatientDirectory(new DynamoDbPatientCache())
  const tokens = new NhsApiPlatformTokens({
    tokenUrl: pds.auth.tokenUrl,
    credentials: platformCredentialsFrom(pds.auth.secret),
  })
  const national = new NationalPdsDirectory({
    baseUrl: pds.baseUrl,
    accessToken: (request) => tokens.accessToken(request),
  })
  return pds.source === 'national'
    ? national
    : new ReadThroughPatientDirectory({
        national,
        cache: new DynamoDbPatientCache(),
        ttlSeconds: pds.cacheTtlSeconds,
        clock: systemClock,
      })
}
