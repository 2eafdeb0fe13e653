import { currentIcs } from '../ics'
import { CachedPatientDirectory } from './CachedPatientDirectory'
import { DynamoDbPatientCache } from './DynamoDbPatientCache'
import { NationalPdsDirectory } from './NationalPdsDirectory'
import type { PatientDirectory } from './PatientDirectory'

let directory: PatientDirectory | undefined

/**
 * This ICS's PDS lookup, built once per container: the national PDS FHIR API when the ICS
 * config says `pds.source: national`, else the ICS's DynamoDB copy of PDS. Every function
 * that must know a patient (lookup, the patient index, the audit trail's access rule) uses
 * this one, so a restricted flag or a superseded number reads the same everywhere.
 */
export function patientDirectory(): PatientDirectory {
  if (!directory) {
    const pds = currentIcs().pds
    directory =
      pds.source === 'national'
        ? new NationalPdsDirectory({ baseUrl: pds.baseUrl, accessToken: nationalAccessToken })
        : new CachedPatientDirectory(new DynamoDbPatientCache())
  }
  return directory
}

/**
 * The national PDS needs an NHS API platform token (signed-JWT client credentials). The
 * ICS supplies the signing key out of band; until a deployment configures one, calls fail
 * closed with a 500 rather than falling back to the cache.
 */
async function nationalAccessToken(): Promise<string> {
  const token = process.env.PDS_ACCESS_TOKEN
  if (!token) throw new Error('No NHS API platform access token is configured for the national PDS')
  return token
}
