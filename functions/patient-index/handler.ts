import { EventBridgePublisher } from '../shared/events'
import { httpApi } from '../shared/http'
import { currentIcs } from '../shared/ics'
import { DynamoDbPatientIndex } from '../shared/patient-index/DynamoDbPatientIndex'
import type { PatientIndex } from '../shared/patient-index/PatientIndex'
import { patientDirectory } from '../shared/patients/directory'
import { auditTrail, rateLimiter, refusalBudget } from '../shared/platform'
import { systemClock } from '../shared/time'
import { registerPointer, withdrawPointers } from './register'
import { searchPointers } from './search'

let index: PatientIndex | undefined
const indexOf = () => (index ??= new DynamoDbPatientIndex())
const publisher = new EventBridgePublisher({
  source: 'joinup.patient-index',
  ics: () => currentIcs().ics,
  clock: systemClock,
})

/** NRL-style pointers: GET, POST and (conditional) DELETE /DocumentReference. */
export const api = httpApi(
  'patientIndexApi',
  {
    searchPointers: async (request, caller) => {
      const { bundle, audit } = await searchPointers(request.query, request.baseUrl, caller, request, {
        index: indexOf(),
        ics: currentIcs(),
        clock: systemClock,
        directory: patientDirectory(),
      })
      return { status: 200, body: bundle, audit }
    },
    registerPointer: async (request, caller) => {
      const { pointer, audit } = await registerPointer(request.body, caller, request, {
        index: indexOf(),
        publisher,
        clock: systemClock,
        directory: patientDirectory(),
        ics: currentIcs(),
      })
      const query = new URLSearchParams({
        'subject:identifier': `${pointer.subject.identifier.system}|${pointer.subject.identifier.value}`,
        'custodian:identifier': `${pointer.custodian.identifier.system}|${pointer.custodian.identifier.value}`,
      })
      // Accepted, not yet applied: the index consumer applies the event within moments.
      return {
        status: 202,
        body: pointer,
        headers: { Location: `${request.baseUrl}/DocumentReference?${query}` },
        audit,
      }
    },
    withdrawPointers: async (request, caller) => {
      const { diagnostics, audit, organisationAudit } = await withdrawPointers(
        request.query,
        caller,
        request,
        {
          index: indexOf(),
          publisher,
          clock: systemClock,
          directory: patientDirectory(),
          ics: currentIcs(),
        },
      )
      return {
        status: 202,
        body: {
          resourceType: 'OperationOutcome',
          issue: [{ severity: 'information', code: 'informational', diagnostics }],
        },
        audit,
        ...(organisationAudit ? { organisationAudit } : {}),
      }
    },
  },
  { audit: auditTrail, rateLimiter, refusalBudget },
)
