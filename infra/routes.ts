import type { Scope } from '../schemas/auth'
import type { FunctionName } from './functions'

/**
 * REST routes, declared once as plain data. API Gateway resources and methods (CDK), the
 * local HTTP gateway, the handlers' scope checks, the CapabilityStatement and the OpenAPI
 * document are all built from this list.
 */

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'DELETE'

/**
 * How the route shows in the CapabilityStatement (FHIR R4 restful interactions and
 * operations). `conditional` marks a conditional interaction (a DELETE by search criteria),
 * which R4 lists as `conditionalDelete` rather than as an interaction.
 */
export type FhirInteraction =
  | {
      resource: string
      interaction: 'read' | 'search-type' | 'create' | 'update' | 'delete'
      conditional?: boolean
    }
  | { resource?: string; operation: string }

/** Where a request names the patient whose data it touches (RouteDeclaration.patientAt). */
export type PatientLocation =
  /** A path parameter holding the NHS number, e.g. `{ in: 'path', name: 'nhsNumber' }`. */
  | { in: 'path'; name: string }
  /**
   * A query parameter holding it: bare, a FHIR token `<system>|<nhs>` or a reference
   * `Patient/<nhs>`; several names when the route takes several spellings (`subject`, `subject:identifier`).
   */
  | { in: 'query'; name: string | readonly string[] }
  /** The JSON body: its shallowest identifier in the NHS number system. */
  | { in: 'body' }
/**
 * A query parameter the route reads. `name` is the FHIR search parameter name, without
 * modifiers; `modifiers` lists the ones the route understands (`subject:identifier`).
 * Documentation (required, repeats, formats, examples) lives in schemas/api (README).
 */
export interface SearchParamDeclaration {
  name: string
  type: 'string' | 'token' | 'date' | 'number' | 'reference' | 'uri'
  modifiers?: readonly string[]
}

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
  /** Query parameters the route understands, for the CapabilityStatement and OpenAPI. */
  searchParams?: readonly SearchParamDeclaration[]
  /** Whether the route takes a JSON body; bodies on other routes are ignored. */
  hasBody?: boolean
  /**
   * Where the request names the patient whose data it touches. Fill it in on every route
   * that names a patient: a refused attempt (401, 403, 404, 400…) never reaches the route,
   * and this is how the middleware still audits it in that patient's trail, with its outcome
   * (DESIGN.md "Who may see what": refused attempts on patient data are audited). For a
   * body route the implementation may name the patient exactly when it refuses:
   * `new FhirError(code, diagnostics, { patient })`.
   */
  patientAt?: PatientLocation
  /**
   * Whether a patient's own token (NHS-login style, schemas/auth.ts PatientTokenClaims) may
   * call the route. Absent: organisations' tokens only, and a patient token is a 403.
   */
  patientAccess?: boolean
  /** What the route answers with, when not `application/fhir+json` (docs pages, JSON documents). */
  contentType?: string
  /** Request headers the route reads beyond the common ones (CORS preflight allows them), e.g. `If-Match`. */
  requestHeaders?: readonly string[]
  /**
   * The largest body this route takes, when not the shared 1 MB (functions/shared/http.ts
   * MAX_BODY_BYTES); above it, 413. The stack checks at synth that it fits Lambda's 6 MB
   * synchronous payload with room for the event around it.
   */
  maxBodyBytes?: number
}

/** The largest message `POST /$process-message` takes (issue 12: at most 5 MB, 413 above). */
export const MAX_MESSAGE_BYTES = 5 * 1024 * 1024

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
    operationId: 'smartConfiguration',
    method: 'GET',
    path: '/.well-known/smart-configuration',
    function: 'metadata',
    scope: null,
    summary: 'SMART configuration: where to get a token (client credentials) and which scopes exist',
    contentType: 'application/json',
  },
  {
    operationId: 'docsPage',
    method: 'GET',
    path: '/docs',
    function: 'docs',
    scope: null,
    summary: 'Getting started: test patients, tokens, paging, errors, and a try-it call',
    contentType: 'text/html',
  },
  {
    operationId: 'openApiDocument',
    method: 'GET',
    path: '/docs/openapi.json',
    function: 'docs',
    scope: null,
    summary: 'OpenAPI 3.1 document generated from the route declarations and schemas',
    contentType: 'application/json',
  },
  {
    operationId: 'apiReference',
    method: 'GET',
    path: '/docs/reference',
    function: 'docs',
    scope: null,
    summary: 'Interactive API reference rendered from the OpenAPI document',
    contentType: 'text/html',
  },
  {
    operationId: 'eventCatalogue',
    method: 'GET',
    path: '/docs/events',
    function: 'docs',
    scope: null,
    summary: 'Event catalogue: every event and version, its producer, consumers, schema and example',
    contentType: 'text/html',
  },
  {
    operationId: 'docsAsset',
    method: 'GET',
    path: '/docs/assets/{asset}',
    function: 'docs',
    scope: null,
    summary: 'Scripts and styles of the docs pages, served from this deployment (no CDN)',
    contentType: 'application/octet-stream',
  },
  {
    operationId: 'readPatient',
    method: 'GET',
    path: '/Patient/{nhsNumber}',
    function: 'patientLookup',
    scope: 'patient.read',
    summary: 'Read a patient from PDS by NHS number',
    fhir: { resource: 'Patient', interaction: 'read' },
    patientAt: { in: 'path', name: 'nhsNumber' },
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
      { name: 'death-date', type: 'date' },
      { name: 'address-postalcode', type: 'string' },
      { name: 'address-postcode', type: 'string' },
      { name: 'general-practitioner', type: 'string' },
      { name: 'email', type: 'string' },
      { name: 'phone', type: 'string' },
      { name: '_fuzzy-match', type: 'token' },
      { name: '_exact-match', type: 'token' },
      { name: '_history', type: 'token' },
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
    patientAt: { in: 'query', name: ['subject:identifier', 'subject'] },
    searchParams: [
      { name: 'subject', type: 'reference', modifiers: ['identifier'] },
      { name: 'custodian', type: 'reference', modifiers: ['identifier'] },
      { name: 'type', type: 'token' },
      { name: '_count', type: 'number' },
      { name: '_cursor', type: 'string' },
    ],
  },
  {
    operationId: 'readPointer',
    method: 'GET',
    path: '/DocumentReference/{id}',
    function: 'patientIndexApi',
    scope: 'record.read',
    summary: 'Read one pointer by its id (the Location a registration answers with)',
    fhir: { resource: 'DocumentReference', interaction: 'read' },
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
    patientAt: { in: 'body' },
  },
  {
    operationId: 'withdrawPointers',
    method: 'DELETE',
    path: '/DocumentReference',
    function: 'patientIndexApi',
    scope: 'pointer.write',
    summary: 'Conditional delete by the custodian: one patient (optionally one type), or everything it holds',
    fhir: { resource: 'DocumentReference', interaction: 'delete', conditional: true },
    patientAt: { in: 'query', name: ['subject:identifier', 'subject'] },
    searchParams: [
      { name: 'subject', type: 'reference', modifiers: ['identifier'] },
      { name: 'custodian', type: 'reference', modifiers: ['identifier'] },
      { name: 'type', type: 'token' },
      { name: 'reason', type: 'token' },
    ],
  },
  {
    operationId: 'deletePointer',
    method: 'DELETE',
    path: '/DocumentReference/{id}',
    function: 'patientIndexApi',
    scope: 'pointer.write',
    summary: 'The custodian withdraws one pointer by its id',
    fhir: { resource: 'DocumentReference', interaction: 'delete' },
    searchParams: [{ name: 'reason', type: 'token' }],
  },
  {
    operationId: 'searchAuditEvents',
    method: 'GET',
    path: '/AuditEvent',
    function: 'auditApi',
    scope: 'audit.read',
    summary: 'Who read or wrote what about a patient, from which organisation, when and why (newest first)',
    fhir: { resource: 'AuditEvent', interaction: 'search-type' },
    patientAt: { in: 'query', name: 'patient' },
    patientAccess: true,
    searchParams: [
      { name: 'patient', type: 'reference' },
      { name: '_count', type: 'number' },
      { name: '_cursor', type: 'string' },
    ],
  },
  {
    operationId: 'getStructuredRecord',
    method: 'POST',
    path: '/Patient/$gpc.getstructuredrecord',
    function: 'recordRetrieval',
    scope: 'record.read',
    summary:
      'GP Connect Access Record Structured, federated: the structured record merged from every organisation that holds one, in R4',
    fhir: { resource: 'Patient', operation: 'gpc.getstructuredrecord' },
    hasBody: true,
    patientAt: { in: 'body' },
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
      { name: '_include', type: 'string', modifiers: ['recurse'] },
      { name: 'searchFilter', type: 'token' },
      { name: '_count', type: 'number' },
      { name: '_cursor', type: 'string' },
    ],
  },
  {
    operationId: 'readSlot',
    method: 'GET',
    path: '/Slot/{id}',
    function: 'appointments',
    scope: 'appointment.read',
    summary: 'Read one slot, free or busy (the Location of a publication)',
    fhir: { resource: 'Slot', interaction: 'read' },
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
    requestHeaders: ['If-Match'],
  },
  {
    operationId: 'searchAppointments',
    method: 'GET',
    path: '/Appointment',
    function: 'appointments',
    scope: 'appointment.read',
    summary:
      "A patient's appointments from today on, booked or hosted by your organisation (cancelled included): FHIR's form of the search below",
    fhir: { resource: 'Appointment', interaction: 'search-type' },
    searchParams: [
      { name: 'patient', type: 'reference' },
      { name: 'start', type: 'date' },
    ],
  },
  {
    operationId: 'searchPatientAppointments',
    method: 'GET',
    path: '/Patient/{nhsNumber}/Appointment',
    function: 'appointments',
    scope: 'appointment.read',
    summary:
      "A patient's appointments from today on, booked or hosted by your organisation (cancelled included), as GP Connect asks for them",
    searchParams: [{ name: 'start', type: 'date' }],
  },
  {
    operationId: 'processMessage',
    method: 'POST',
    path: '/$process-message',
    function: 'messages',
    scope: 'message.write',
    summary:
      "A FHIR message for the next carer: a consultation summary for the patient's GP (update-record) or a discharge summary for the nominated pharmacy and GP (discharge-summary); 202, delivered asynchronously",
    fhir: { operation: 'process-message' },
    hasBody: true,
    patientAt: { in: 'body' },
    maxBodyBytes: MAX_MESSAGE_BYTES,
  },
  {
    operationId: 'readMessageStatus',
    method: 'GET',
    path: '/Message/{id}',
    function: 'messages',
    scope: 'message.write',
    summary:
      'Where a message stands for each recipient: accepted, delivered, acknowledged or failed (sender and recipients only)',
  },
  {
    operationId: 'acknowledgeMessage',
    method: 'POST',
    path: '/Message/{id}/$acknowledge',
    function: 'messages',
    scope: 'message.write',
    summary: "A recipient's business acknowledgement of a message it received (as ITK3's)",
  },
  {
    operationId: 'createSubscription',
    method: 'POST',
    path: '/Subscription',
    function: 'messages',
    scope: 'subscription.write',
    summary:
      'Subscribe your own rest-hook endpoint to messages addressed to your organisation; the signing secret is shown once',
    fhir: { resource: 'Subscription', interaction: 'create' },
    hasBody: true,
  },
  {
    operationId: 'searchSubscriptions',
    method: 'GET',
    path: '/Subscription',
    function: 'messages',
    scope: 'subscription.write',
    summary: "Your organisation's subscriptions (without their secrets)",
    fhir: { resource: 'Subscription', interaction: 'search-type' },
  },
  {
    operationId: 'readSubscription',
    method: 'GET',
    path: '/Subscription/{id}',
    function: 'messages',
    scope: 'subscription.write',
    summary: 'Read one of your subscriptions (without its secret)',
    fhir: { resource: 'Subscription', interaction: 'read' },
  },
  {
    operationId: 'deleteSubscription',
    method: 'DELETE',
    path: '/Subscription/{id}',
    function: 'messages',
    scope: 'subscription.write',
    summary: 'Remove one of your subscriptions: nothing more is delivered to it',
    fhir: { resource: 'Subscription', interaction: 'delete' },
  },
] as const satisfies readonly RouteDeclaration[]

export type OperationId = (typeof routes)[number]['operationId']

/** The routes one function serves. */
export function routesOf(fn: FunctionName): RouteDeclaration[] {
  return routes.filter((route) => route.function === fn)
}

/** The query parameter names a declared parameter is sent as: itself and each modified form. */
export function queryNamesOf(param: SearchParamDeclaration): string[] {
  return [param.name, ...(param.modifiers ?? []).map((modifier) => `${param.name}:${modifier}`)]
}
