import { httpApi } from '../shared/http'
import { currentIcs } from '../shared/ics'
import { patientDirectoryFor } from '../shared/patients/directoryFor'
import type { PatientDirectory } from '../shared/patients/PatientDirectory'
import { auditTrail, rateLimiter } from '../shared/platform'
import { systemClock } from '../shared/time'
import { readPatient, searchPatients } from './lookup'

let directory: PatientDirectory | undefined

/** The ICS's PDS: its own copy (ics-cache), the national PDS, or the national PDS read through the copy. */
function directoryOf(): PatientDirectory {
  directory ??= patientDirectoryFor(currentIcs().pds)
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
