import type { IcsRuntimeConfig } from '../../../schemas/ics-config'
import { CachedPatientDirectory } from './CachedPatientDirectory'
import { DynamoDbPatientCache } from './DynamoDbPatientCache'
import { NationalPdsDirectory } from './NationalPdsDirectory'
import type { PatientDirectory } from './PatientDirectory'

/**
 * Where an ICS reads demographics from: its DynamoDB copy of PDS, or the national PDS
 * FHIR API (ICS config `pds.source`). Every capability that reads patients uses this one.
 */
export function patientDirectoryFor(pds: IcsRuntimeConfig['pds']): PatientDirectory {
  return pds.source === 'national'
    ? new NationalPdsDirectory({ baseUrl: pds.baseUrl, accessToken: nationalAccessToken })
    : new CachedPatientDirectory(new DynamoDbPatientCache())
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
