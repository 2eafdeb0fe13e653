import { currentIcs } from '../ics'
import { CachedPatientDirectory } from './CachedPatientDirectory'
import { DynamoDbPatientCache } from './DynamoDbPatientCache'
import { NationalPdsDirectory } from './NationalPdsDirectory'
import type { PatientDirectory } from './PatientDirectory'

let directory: PatientDirectory | undefined

/**
 * The ICS's source of demographics, built on first use: the national PDS FHIR API or the
 * ICS's DynamoDB copy of PDS, as the ICS config says.
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
 * The national PDS needs an NHS API platform token; until a deployment configures one,
 * calls fail closed with a 500 rather than falling back to the cache.
 */
async function nationalAccessToken(): Promise<string> {
  const token = process.env.PDS_ACCESS_TOKEN
  if (!token) throw new Error('No NHS API platform access token is configured for the national PDS')
  return token
}
