import { httpApi } from '../shared/http'
import { currentIcs } from '../shared/ics'
import { CachedPatientDirectory } from '../shared/patients/CachedPatientDirectory'
import { DynamoDbPatientCache } from '../shared/patients/DynamoDbPatientCache'
import { NationalPdsDirectory } from '../shared/patients/NationalPdsDirectory'
import { NhsApiPlatformTokens } from '../shared/patients/NhsApiPlatformTokens'
import type { PatientDirectory } from '../shared/patients/PatientDirectory'
import { ReadThroughPatientDirectory } from '../shared/patients/ReadThroughPatientDirectory'
import { auditTrail, rateLimiter } from '../shared/platform'
import { platformCredentialsFrom } from '../shared/secrets'
import { systemClock } from '../shared/time'
import { readPatient, searchPatients } from './lookup'

let directory: PatientDirectory | undefined

/** The ICS's PDS: its own copy (ics-cache), the national PDS, or the national PDS read through the copy. */
function directoryOf(): PatientDirectory {
  if (!directory) {
    const pds = currentIcs().pds
    if (pds.source === 'ics-cache') {
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
