import { EventBridgePublisher } from '../shared/events'
import { httpApi } from '../shared/http'
import { currentIcs } from '../shared/ics'
import { countMetric } from '../shared/metrics'
import { DynamoDbPatientIndex } from '../shared/patient-index/DynamoDbPatientIndex'
import type { PatientIndex } from '../shared/patient-index/PatientIndex'
import { auditTrail, rateLimiter } from '../shared/platform'
import { systemClock } from '../shared/time'
import { deletePointer, readPointer } from './pointerById'
import { registerPointer, withdrawPointers } from './register'
import { searchPointers, withIdentifierForms } from './search'

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
    searchPointers: async (request) => {
      const { bundle, audit } = await searchPointers(request.query, request.baseUrl, {
        index: indexOf(),
        ics: currentIcs(),
        clock: systemClock,
      })
      return { status: 200, body: bundle, audit }
    },
    registerPointer: async (request, caller) => {
      const { pointer, audit } = await registerPointer(request.body, caller, request, {
        index: indexOf(),
        publisher,
        clock: systemClock,
      })
      countMetric('PointersRegistered')
      // Accepted, not yet applied: the index consumer applies the event within moments, and
      // the pointer is then read at its Location.
      const location = `${request.baseUrl}/DocumentReference/${pointer.id}`
      return {
        status: 202,
        body: pointer,
        headers: { Location: location, 'Content-Location': location },
        audit,
      }
    },
    readPointer: async (request) => {
      const { pointer, audit } = await readPointer(request.pathParameters.id ?? '', {
        index: indexOf(),
        ics: currentIcs(),
      })
      return { status: 200, body: pointer, audit }
    },
    deletePointer: async (request, caller) => {
      const { audit } = await deletePointer(request.pathParameters.id ?? '', request.query, caller, request, {
        index: indexOf(),
        publisher,
      })
      return {
        status: 202,
        body: {
          resourceType: 'OperationOutcome',
          issue: [
            { severity: 'information', code: 'informational', diagnostics: 'The pointer will be withdrawn' },
          ],
        },
        audit,
      }
    },
    withdrawPointers: async (request, caller) => {
      const { diagnostics, audit } = await withdrawPointers(
        withIdentifierForms(request.query),
        caller,
        request,
        {
          index: indexOf(),
          publisher,
          clock: systemClock,
        },
      )
      countMetric('PointersWithdrawn')
      return {
        status: 202,
        body: {
          resourceType: 'OperationOutcome',
          issue: [{ severity: 'information', code: 'informational', diagnostics }],
        },
        audit,
      }
    },
  },
  { audit: auditTrail, rateLimiter },
)
