import type { Scope } from '../schemas/auth'
import type { FunctionName } from './functions'

/**
 * REST routes, declared once as plain data. API Gateway resources and methods (CDK), the
 * local HTTP gateway, the handlers' scope checks, the CapabilityStatement and the OpenAPI
 * document are all built from this list.
 */

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'DELETE'

/** How the route shows in the CapabilityStatement (FHIR R4 restful interactions and operations). */
export type FhirInteraction =
  | { resource: string; interaction: 'read' | 'search-type' | 'create' | 'update' | 'delete' }
  | { resource?: string; operation: string }

export interface RouteDeclaration {
  /** Stable name; the handler's implementation map and the OpenAPI operationId use it. */
  operationId: string
  method: HttpMethod
  /** API Gateway resource path; `{name}` marks a path parameter. */
  path: string
  function: FunctionName
  /** The scope a token needs; `null` for the public routes (metadata and docs). */
  scope: Scope | null
  summary: string
  fhir?: FhirInteraction
  /** Search parameters the route understands, for the CapabilityStatement and OpenAPI. */
  searchParams?: readonly { name: string; type: 'string' | 'token' | 'date' | 'number' | 'reference' }[]
  /** Whether the route takes a JSON body; bodies on other routes are ignored. */
  hasBody?: boolean
}

export const routes = [
  {
    operationId: 'capabilities',
    method: 'GET',
    path: '/metadata',
    function: 'metadata',
    scope: null,
    summary: 'CapabilityStatement listing every operation this stack serves',
    fhir: { operation: 'capabilities' },
  },
  {
    operationId: 'docsPage',
    method: 'GET',
    path: '/docs',
    function: 'metadata',
    scope: null,
    summary: 'Human-readable API reference',
  },
  {
    operationId: 'openApiDocument',
    method: 'GET',
    path: '/docs/openapi.json',
    function: 'metadata',
    scope: null,
    summary: 'OpenAPI 3.1 document generated from the schemas',
  },
  {
    operationId: 'readPatient',
    method: 'GET',
    path: '/Patient/{nhsNumber}',
    function: 'patientLookup',
    scope: 'patient.read',
    summary: 'Read a patient from PDS by NHS number',
    fhir: { resource: 'Patient', interaction: 'read' },
  },
  {
    operationId: 'searchPatients',
    method: 'GET',
    path: '/Patient',
    function: 'patientLookup',
    scope: 'patient.read',
    summary: 'Search PDS by demographics (family, given, gender, birthdate, postcode)',
    fhir: { resource: 'Patient', interaction: 'search-type' },
    searchParams: [
      { name: 'family', type: 'string' },
      { name: 'given', type: 'string' },
      { name: 'gender', type: 'token' },
      { name: 'birthdate', type: 'date' },
      { name: 'address-postalcode', type: 'string' },
      { name: '_fuzzy-match', type: 'token' },
      { name: '_exact-match', type: 'token' },
      { name: '_max-results', type: 'number' },
    ],
  },
  {
    operationId: 'searchPointers',
    method: 'GET',
    path: '/DocumentReference',
    function: 'patientIndexApi',
    scope: 'record.read',
    summary: 'Which organisations hold records about a patient: NRL-style pointers, 20 a page',
    fhir: { resource: 'DocumentReference', interaction: 'search-type' },
    searchParams: [
      { name: 'subject:identifier', type: 'token' },
      { name: 'custodian:identifier', type: 'token' },
      { name: 'type', type: 'token' },
      { name: '_cursor', type: 'string' },
    ],
  },
  {
    operationId: 'registerPointer',
    method: 'POST',
    path: '/DocumentReference',
    function: 'patientIndexApi',
    scope: 'pointer.write',
    summary: 'An organisation announces it holds a record about a patient (own ODS code only)',
    fhir: { resource: 'DocumentReference', interaction: 'create' },
    hasBody: true,
  },
  {
    operationId: 'withdrawPointers',
    method: 'DELETE',
    path: '/DocumentReference',
    function: 'patientIndexApi',
    scope: 'pointer.write',
    summary: 'Conditional delete by the custodian: one patient (optionally one type), or everything it holds',
    fhir: { resource: 'DocumentReference', interaction: 'delete' },
    searchParams: [
      { name: 'subject:identifier', type: 'token' },
      { name: 'custodian:identifier', type: 'token' },
      { name: 'type', type: 'token' },
      { name: 'reason', type: 'token' },
    ],
  },
  {
    operationId: 'searchAuditEvents',
    method: 'GET',
    path: '/AuditEvent',
    function: 'auditApi',
    scope: 'audit.read',
    summary: 'Who read or wrote what about a patient, from which organisation, when and why (newest first)',
    fhir: { resource: 'AuditEvent', interaction: 'search-type' },
    searchParams: [
      { name: 'patient', type: 'reference' },
      { name: '_cursor', type: 'string' },
    ],
  },
  {
    operationId: 'publishSlots',
    method: 'POST',
    path: '/Slot',
    function: 'appointments',
    scope: 'slot.write',
    summary:
      'An organisation publishes its own free slots: one Slot, or a Bundle of Slots with their Schedules, Practitioners and Locations',
    fhir: { resource: 'Slot', interaction: 'create' },
    hasBody: true,
  },
  {
    operationId: 'searchSlots',
    method: 'GET',
    path: '/Slot',
    function: 'appointments',
    scope: 'appointment.read',
    summary: 'Free slots at any organisation of the ICS in a window of at most 14 days (GP Connect rules)',
    fhir: { resource: 'Slot', interaction: 'search-type' },
    searchParams: [
      { name: 'start', type: 'date' },
      { name: 'end', type: 'date' },
      { name: 'status', type: 'token' },
      { name: 'organization', type: 'token' },
      { name: 'service-type', type: 'string' },
      { name: '_include', type: 'string' },
      { name: '_include:recurse', type: 'string' },
      { name: 'searchFilter', type: 'token' },
      { name: '_cursor', type: 'string' },
    ],
  },
  {
    operationId: 'bookAppointment',
    method: 'POST',
    path: '/Appointment',
    function: 'appointments',
    scope: 'appointment.write',
    summary:
      'Book a free slot for a patient (GP Connect Book an appointment); a retried X-Request-ID answers the original 201',
    fhir: { resource: 'Appointment', interaction: 'create' },
    hasBody: true,
  },
  {
    operationId: 'readAppointment',
    method: 'GET',
    path: '/Appointment/{id}',
    function: 'appointments',
    scope: 'appointment.read',
    summary: 'Read an appointment your organisation booked or hosts',
    fhir: { resource: 'Appointment', interaction: 'read' },
  },
  {
    operationId: 'updateAppointment',
    method: 'PUT',
    path: '/Appointment/{id}',
    function: 'appointments',
    scope: 'appointment.write',
    summary: 'Amend description and comment, or cancel with a reason (If-Match the current version)',
    fhir: { resource: 'Appointment', interaction: 'update' },
    hasBody: true,
  },
  {
    operationId: 'searchPatientAppointments',
    method: 'GET',
    path: '/Patient/{nhsNumber}/Appointment',
    function: 'appointments',
    scope: 'appointment.read',
    summary:
      "A patient's appointments from today on, booked or hosted by your organisation (cancelled included)",
    fhir: { resource: 'Appointment', interaction: 'search-type' },
    searchParams: [{ name: 'start', type: 'date' }],
  },
] as const satisfies readonly RouteDeclaration[]

export type OperationId = (typeof routes)[number]['operationId']

/** The routes one function serves. */
export function routesOf(fn: FunctionName): RouteDeclaration[] {
  return routes.filter((route) => route.function === fn)
}
