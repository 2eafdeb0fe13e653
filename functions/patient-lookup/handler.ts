import { httpApi } from '../shared/http'
import { patientDirectory } from '../shared/patients/directory'
import { auditTrail, rateLimiter, refusalBudget } from '../shared/platform'
import { systemClock } from '../shared/time'
import { readPatient, searchPatients } from './lookup'

/** PDS lookup: GET /Patient/{nhsNumber} and GET /Patient?… */
export const handler = httpApi(
  'patientLookup',
  {
    readPatient: async (request) => {
      const { patient, audit } = await readPatient(request.pathParameters.nhsNumber ?? '', request, {
        directory: patientDirectory(),
        clock: systemClock,
      })
      const headers: Record<string, string> = {}
      if (patient.meta?.versionId) headers.ETag = `W/"${patient.meta.versionId}"`
      return { status: 200, body: patient, headers, audit }
    },
    searchPatients: async (request) => {
      const { body, audit } = await searchPatients(request.query, request.baseUrl, request, {
        directory: patientDirectory(),
        clock: systemClock,
      })
      return { status: 200, body, audit }
    },
  },
  { audit: auditTrail, rateLimiter, refusalBudget },
)
