import type { FunctionName } from '../../infra/functions'
import type { OperationId } from '../../infra/routes'
import { appointmentsApi } from './appointments'
import { auditApi } from './audit'
import { messagesApi } from './messages'
import { patientIndexApi } from './patient-index'
import { patientLookupApi } from './patient-lookup'
import { platformApi } from './platform'
import { recordsApi } from './records'
import type { OperationDoc } from './types'

/**
 * The docs of every declared operation, one map per capability. A route in
 * infra/routes.ts without an entry here is a type error; test/contract/openapi.test.ts
 * checks each entry has what the OpenAPI document needs (parameters, examples, errors).
 */
export const operationDocs: Readonly<Record<OperationId, OperationDoc>> = {
  ...platformApi,
  ...patientLookupApi,
  ...patientIndexApi,
  ...auditApi,
  ...recordsApi,
  ...appointmentsApi,
  ...messagesApi,
}

/** One OpenAPI tag per function that serves routes: the capability a reader looks for. */
export const capabilityTags: Readonly<Partial<Record<FunctionName, { name: string; description: string }>>> =
  {
    metadata: { name: 'Capabilities', description: 'What this server does and how to get a token' },
    docs: { name: 'Docs', description: 'This documentation site' },
    patientLookup: {
      name: 'PDS lookup',
      description: 'Patients from PDS (FHIR R4), as the PDS FHIR API answers',
    },
    patientIndexApi: {
      name: 'Patient index',
      description: 'Which organisations hold records about a patient: NRL-style DocumentReference pointers',
    },
    auditApi: { name: 'Audit', description: 'Who read or wrote what about a patient' },
    recordRetrieval: {
      name: 'Record retrieval',
      description:
        "A patient's structured record merged from every organisation that holds one (GP Connect, federated)",
    },
    appointments: {
      name: 'Appointments',
      description:
        'Free slots at any organisation of the ICS, booked, amended and cancelled under GP Connect Appointment Management 1.6 (in R4)',
    },
    messages: {
      name: 'Messages',
      description:
        'Write-back to the GP and discharge summaries to the nominated pharmacy: FHIR messages, their status, and signed rest-hook subscriptions',
    },
  }

/** What each scope lets a client do (the OAuth2 scheme's scope descriptions). */
export const scopeDescriptions: Readonly<Record<string, string>> = {
  'patient.read': 'Read and search patients (PDS lookup)',
  'record.read': 'Read which organisations hold records (pointers) and retrieve records',
  'appointment.read': 'Read slots and appointments',
  'appointment.write': 'Book, amend and cancel appointments',
  'slot.write': 'Publish free slots',
  'pointer.write': "Register and withdraw your organisation's pointers",
  'message.write': 'Send FHIR messages (write-back, discharge)',
  'subscription.write': 'Manage event subscriptions',
  'audit.read': "Read a patient's audit trail",
}
