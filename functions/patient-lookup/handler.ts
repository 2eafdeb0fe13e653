import { httpApi } from '../shared/http'
import { currentIcs } from '../shared/ics'
import { CachedPatientDirectory } from '../shared/patients/CachedPatientDirectory'
import { DynamoDbPatientCache } from '../shared/patients/DynamoDbPatientCache'
import { NationalPdsDirectory } from '../shared/patients/NationalPdsDirectory'
import type { PatientDirectory } from '../shared/patients/PatientDirectory'
import { auditTrail, rateLimiter } from '../shared/platform'
import { systemClock } from '../shared/time'
import { readPatient, searchPatients } from './lookup'

let directory: PatientDirectory | undefined

function directoryOf(): PatientDirectory {
  if (!directory) {
    const pds = currentIcs().pds
    directory =
      pds.source === 'national'
        ? new NationalPdsDirectory({ baseUrl: pds.baseUrl, accessToken: nationalAccessToken })
        : new CachedPatientDirectory(new DynamoDbPatientCache())
  }
  return directory
}

/** PDS lookup: GET /Patient/{nhsNumber} and GET /Patient?… */
export const handler = httpApi(
  'patientLookup',
  {
    readPatient: async (request) => {
      const { patient, audit } = await readPatient(request.pathParameters.nhsNumber ?? '', request, {
        directory: directoryOf(),
        clock: systemClock,
      })
      const headers: Record<string, string> = {}
      if (patient.meta?.versionId) headers.ETag = `W/"${patient.meta.versionId}"`
      return { status: 200, body: patient, headers, audit }
    },
    searchPatients: async (request) => {
      const { body, audit } = await searchPatients(request.query, request.baseUrl, request, {
        directory: directoryOf(),
        clock: systemClock,
      })
      return { status: 200, body, audit }
    },
  },
  { audit: auditTrail, rateLimiter },
)

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
