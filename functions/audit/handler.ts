import { DynamoDbAuditTrail } from '../shared/audit/DynamoDbAuditTrail'
import { httpApi } from '../shared/http'
import { currentIcs } from '../shared/ics'
import { auditTrail, rateLimiter } from '../shared/platform'
import { systemClock } from '../shared/time'
import { auditEventsOf } from './auditEvents'

let reader: DynamoDbAuditTrail | undefined

/** GET /AuditEvent?patient=<nhs>: the patient-facing audit trail. */
export const handler = httpApi(
  'auditApi',
  {
    searchAuditEvents: async (request) => {
      reader ??= new DynamoDbAuditTrail()
      const { bundle, audit } = await auditEventsOf(request.query, request.baseUrl, {
        reader,
        ics: currentIcs().ics,
        clock: systemClock,
      })
      return { status: 200, body: bundle, audit }
    },
  },
  { audit: auditTrail, rateLimiter },
)
