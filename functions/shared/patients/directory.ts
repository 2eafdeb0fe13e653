import { currentIcs } from '../ics'
import { platformCredentialsFrom } from '../secrets'
import { systemClock } from '../time'
import { CachedPatientDirectory } from './CachedPatientDirectory'
import { DynamoDbPatientCache } from './DynamoDbPatientCache'
import { NationalPdsDirectory } from './NationalPdsDirectory'
import { NhsApiPlatformTokens } from './NhsApiPlatformTokens'
import type { PatientDirectory } from './PatientDirectory'
import { ReadThroughPatientDirectory } from './ReadThroughPatientDirectory'

let directory: PatientDirectory | undefined

/**
 * This ICS's PDS lookup, built once per container: its own copy (`ics-cache`), the national
 * PDS, or the national PDS read through the copy, as the ICS config says. Every function that
 * must know a patient (PDS lookup, the patient index's restricted-patient and known-number
 * rules, the audit trail's care relationships) uses this one, so a restricted flag or a
 * superseded number reads the same everywhere. Functions that use it declare
 * `looksUpPatients` (infra/functions.ts), which grants them the NHS API platform key.
 */
export function patientDirectory(): PatientDirectory {
  if (!directory) {
    const pds = currentIcs().pds
    // JOINUP_PDS_SOURCE is compiled into cloud bundles (infra/bundling.ts): an ICS on its own
    // copy of PDS then ships no national PDS client, token exchange or key handling at all.
    if (process.env.JOINUP_PDS_SOURCE === 'ics-cache' || pds.source === 'ics-cache') {
      directory = new CachedPatientDirectory(new DynamoDbPatientCache())
    } else {
      const tokens = new NhsApiPlatformTokens({
        tokenUrl: pds.auth.tokenUrl,
        credentials: platformCredentialsFrom(pds.auth.secret),
      })
      const national = new NationalPdsDirectory({
        baseUrl: pds.baseUrl,
        accessToken: (request) => tokens.accessToken(request),
      })
      directory =
        pds.source === 'national'
          ? national
          : new ReadThroughPatientDirectory({
              national,
              cache: new DynamoDbPatientCache(),
              ttlSeconds: pds.cacheTtlSeconds,
              clock: systemClock,
            })
    }
  }
  return directory
}
