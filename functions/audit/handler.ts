import { DynamoDbAuditTrail } from '../shared/audit/DynamoDbAuditTrail'
import { httpApi } from '../shared/http'
import { currentIcs } from '../shared/ics'
import { DynamoDbPatientIndex } from '../shared/patient-index/DynamoDbPatientIndex'
import { patientDirectory } from '../shared/patients/directory'
import { auditTrail, rateLimiter, refusalBudget } from '../shared/platform'
import { systemClock } from '../shared/time'
import { auditEventsOf } from './auditEvents'

let reader: DynamoDbAuditTrail | undefined
let index: DynamoDbPatientIndex | undefined

/** GET /AuditEvent?patient=<nhs>: the audit trail, for the patient and the organisations caring for them. */
export const handler = httpApi(
  'auditApi',
  {
    searchAuditEvents: async (request, caller) => {
      reader ??= new DynamoDbAuditTrail()
      index ??= new DynamoDbPatientIndex()
      const { bundle, audit } = await auditEventsOf(request.query, request.baseUrl, caller, request, {
        reader,
        ics: currentIcs().ics,
        clock: systemClock,
        directory: patientDirectory(),
        index,
      })
      return { status: 200, body: bundle, audit }
    },
  },
  { audit: auditTrail, rateLimiter, refusalBudget },
)
