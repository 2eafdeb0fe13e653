import type { TableName } from './tables'

/**
 * Lambda functions, declared once as plain data: where the code is and what each function
 * may touch. The CDK construct turns `tables` and `publishesEvents` into least-privilege
 * grants; the local runtime loads the same entry points.
 */

/**
 * - `read`: GetItem, Query, BatchGetItem.
 * - `append`: read + PutItem with a condition (audit trail: no UpdateItem, no DeleteItem).
 * - `readWrite`: read + PutItem, UpdateItem, DeleteItem, BatchWriteItem.
 * - `write`: read + PutItem and UpdateItem, never DeleteItem (records that change but are never removed).
 * - `count`: UpdateItem only (atomic counters: the rate limit).
 */
export type TableAccess = 'read' | 'append' | 'readWrite' | 'count' | 'write'

export interface FunctionDeclaration {
  description: string
  /** Source file, from the repository root. */
  entry: string
  /** Exported handler name in `entry`. */
  handler: string
  tables: Partial<Record<TableName, TableAccess>>
  publishesEvents: boolean
  memoryMb?: number
  timeoutSeconds?: number
  /**
   * Files copied beside the bundle, by their path from the repository root (kept there, so
   * the function finds them at the same relative path locally and on Lambda): static docs
   * assets that must not be bundled as code.
   */
  assets?: readonly string[]
  /**
   * Looks patients up in PDS (functions/shared/patients/directory.ts): with a national PDS
   * source, the function may read the NHS API platform key (and that secret only). Declare
   * it where a route must know a patient: lookup itself, the restricted-patient rule, known
   * and superseded NHS numbers, care relationships.
   */
  looksUpPatients?: boolean
  /**
   * Runs on a schedule (an EventBridge rule in the cloud, a timer in the local runtime, which
   * also runs it once at start-up with `detail.graceSeconds` 0), besides anything else.
   */
  schedule?: { everySeconds: number }
}

export const functions = {
  metadata: {
    description: 'CapabilityStatement and SMART configuration',
    entry: 'functions/metadata/handler.ts',
    handler: 'handler',
    tables: {},
    publishesEvents: false,
  },
  patientLookup: {
    description: 'PDS lookup: read and search patients',
    entry: 'functions/patient-lookup/handler.ts',
    handler: 'handler',
    tables: { patients: 'read', audit: 'append', rateLimits: 'count' },
    publishesEvents: false,
    looksUpPatients: true,
  },
  patientIndexApi: {
    description: 'Patient index: NRL-style pointer search, registration and withdrawal',
    entry: 'functions/patient-index/handler.ts',
    handler: 'api',
    tables: { patientIndex: 'read', audit: 'append', rateLimits: 'count', patients: 'read' },
    publishesEvents: true,
    looksUpPatients: true,
  },
  patientIndexUpdater: {
    description: 'Patient index: applies record-holder events to the index',
    entry: 'functions/patient-index/consumer.ts',
    handler: 'applyHolderEvents',
    tables: { patientIndex: 'readWrite' },
    publishesEvents: false,
    timeoutSeconds: 60,
  },
  auditApi: {
    description: 'Audit: who read or wrote what about a patient',
    entry: 'functions/audit/handler.ts',
    handler: 'handler',
    tables: { audit: 'append', rateLimits: 'count', patients: 'read', patientIndex: 'read' },
    publishesEvents: false,
    looksUpPatients: true,
  },
  docs: {
    description: 'Docs site: getting started, API reference, event catalogue, OpenAPI document',
    entry: 'functions/docs/handler.ts',
    handler: 'handler',
    tables: {},
    publishesEvents: false,
    assets: [
      'schemas/exported/openapi.json',
      'schemas/exported/event-catalogue.json',
      'node_modules/swagger-ui-dist/swagger-ui-bundle.js',
      'node_modules/swagger-ui-dist/swagger-ui.css',
      'functions/docs/assets/docs.css',
      'functions/docs/assets/try-it.js',
      'functions/docs/assets/reference.js',
    ],
  },
  recordRetrieval: {
    description:
      'Record retrieval: the structured record merged from every holder (GP Connect and the ICS store)',
    entry: 'functions/record-retrieval/handler.ts',
    handler: 'handler',
    tables: {
      patients: 'read',
      patientIndex: 'read',
      clinicalRecords: 'read',
      audit: 'append',
      rateLimits: 'count',
    },
    looksUpPatients: true,
    publishesEvents: false,
  },
  appointments: {
    description: 'Appointments: publish and search slots, book, read, amend and cancel appointments',
    entry: 'functions/appointments/handler.ts',
    handler: 'handler',
    tables: {
      appointments: 'write',
      patients: 'read',
      idempotencyKeys: 'readWrite',
      audit: 'append',
      rateLimits: 'count',
    },
    looksUpPatients: true,
    publishesEvents: true,
  },
  appointmentsFollowUp: {
    description: 'Appointments: finishes what booking, cancelling and publishing started, from their events',
    entry: 'functions/appointments/followUp.ts',
    handler: 'followUpAppointmentEvents',
    tables: { appointments: 'write' },
    publishesEvents: false,
    timeoutSeconds: 60,
  },
  messages: {
    description:
      'Messages: $process-message (write-back and discharge), message status and acknowledgement, rest-hook subscriptions',
    entry: 'functions/messages/handler.ts',
    handler: 'handler',
    tables: {
      messages: 'readWrite',
      clinicalRecords: 'write',
      patients: 'read',
      idempotencyKeys: 'readWrite',
      audit: 'append',
      rateLimits: 'count',
    },
    looksUpPatients: true,
    publishesEvents: true,
  },
  messageDeliverer: {
    description:
      "Messages: POSTs each message, signed per subscription, to its recipients' rest-hook endpoints, with retries",
    entry: 'functions/messages/deliverer.ts',
    handler: 'deliverMessages',
    tables: { messages: 'write' },
    publishesEvents: false,
    timeoutSeconds: 30,
  },
  messageOutbox: {
    description:
      'Messages: the outbox sweep announces every message stored whose events never left (its POST died between storing and publishing)',
    entry: 'functions/messages/outbox.ts',
    handler: 'sweepOutbox',
    tables: { messages: 'write', clinicalRecords: 'write' },
    publishesEvents: true,
    timeoutSeconds: 60,
    schedule: { everySeconds: 60 },
  },
} as const satisfies Record<string, FunctionDeclaration>

export type FunctionName = keyof typeof functions
