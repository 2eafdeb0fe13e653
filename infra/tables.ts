/**
 * DynamoDB tables, declared once as plain data. The CDK constructs and the local runtime
 * (dynalite) both build their tables from this module, so their key schemas cannot drift.
 * Imports nothing from aws-cdk-lib: the local runtime and the Lambda bundles load it too.
 */

export type AttributeType = 'S' | 'N'

export interface KeyAttribute {
  name: string
  type: AttributeType
}

export interface GlobalIndexDeclaration {
  indexName: string
  partitionKey: KeyAttribute
  sortKey?: KeyAttribute
}

export interface TableDeclaration {
  /** What the table holds, for the docs and the CDK description. */
  description: string
  /** Environment variable that carries the table's name into the functions. */
  envVar: string
  partitionKey: KeyAttribute
  sortKey?: KeyAttribute
  globalIndexes?: readonly GlobalIndexDeclaration[]
  /** Attribute holding an epoch-seconds expiry; DynamoDB TTL in the cloud (dynalite has none). */
  timeToLiveAttribute?: string
  /** Short-lived working data (counters, request keys) that AWS Backup need not copy. */
  ephemeral?: boolean
}

export const tables = {
  patients: {
    description: "The ICS's copy of PDS demographics, one item per NHS number",
    envVar: 'PATIENTS_TABLE',
    partitionKey: { name: 'pk', type: 'S' },
    // Read-through copies of the national PDS expire (pds.source national-with-cache).
    timeToLiveAttribute: 'expiresAt',
    globalIndexes: [
      // PDS search needs a family name (wildcards only after two letters) and a date of birth
      // or range: the first two letters pick the partition, the birth date range the sort keys.
      {
        indexName: 'byFamilyPrefix',
        partitionKey: { name: 'familyPrefix', type: 'S' },
        sortKey: { name: 'birthKey', type: 'S' },
      },
      // PDS fuzzy search always has a date of birth but may misspell the family name.
      {
        indexName: 'byBirthDate',
        partitionKey: { name: 'birthDate', type: 'S' },
        sortKey: { name: 'familyKey', type: 'S' },
      },
    ],
  },
  patientIndex: {
    description: 'Which organisations hold records about each patient (NHS number to ODS codes)',
    envVar: 'PATIENT_INDEX_TABLE',
    partitionKey: { name: 'pk', type: 'S' },
    sortKey: { name: 'sk', type: 'S' },
    globalIndexes: [
      // Everything one organisation holds: removal when it closes or leaves the ICS.
      {
        indexName: 'byHolder',
        partitionKey: { name: 'holderOds', type: 'S' },
        sortKey: { name: 'pk', type: 'S' },
      },
      // One pointer by its id: GET and DELETE /DocumentReference/{id}.
      { indexName: 'byPointerId', partitionKey: { name: 'pointerId', type: 'S' } },
    ],
    timeToLiveAttribute: 'expiresAt',
  },
  audit: {
    description: 'Append-only, hash-chained audit trail of every read and write of patient data',
    envVar: 'AUDIT_TABLE',
    partitionKey: { name: 'pk', type: 'S' },
    sortKey: { name: 'seq', type: 'N' },
  },
  rateLimits: {
    description: 'Per-organisation request counters, one item per organisation per minute',
    envVar: 'RATE_LIMITS_TABLE',
    partitionKey: { name: 'pk', type: 'S' },
    timeToLiveAttribute: 'expiresAt',
    ephemeral: true,
  },
  idempotencyKeys: {
    description: 'Client request keys already answered, so retried writes are answered once',
    envVar: 'IDEMPOTENCY_KEYS_TABLE',
    partitionKey: { name: 'pk', type: 'S' },
    timeToLiveAttribute: 'expiresAt',
    ephemeral: true,
  },
  clinicalRecords: {
    description:
      "What organisations wrote to this ICS about patients (consultation and discharge summaries): the stack's own clinical store",
    envVar: 'CLINICAL_RECORDS_TABLE',
    // PK PATIENT#<nhs>, SK HOLDER#<ods>#RECORD#<record id>: one Query reads one holder's records of a patient.
    partitionKey: { name: 'pk', type: 'S' },
    sortKey: { name: 'sk', type: 'S' },
  },
  appointments: {
    description:
      'Schedules, slots and appointments: each slot item carries its current booking, so booking is one conditional write',
    envVar: 'APPOINTMENTS_TABLE',
    partitionKey: { name: 'pk', type: 'S' },
    sortKey: { name: 'sk', type: 'S' },
    globalIndexes: [
      // Slot search: one Query per organisation over the whole window, ordered by start.
      {
        indexName: 'bySlotStart',
        partitionKey: { name: 'slotOrg', type: 'S' },
        sortKey: { name: 'slotStart', type: 'S' },
      },
      // A patient's appointments, booked (on their slot item) and cancelled (their own item), by start.
      {
        indexName: 'byPatient',
        partitionKey: { name: 'patientKey', type: 'S' },
        sortKey: { name: 'appointmentStart', type: 'S' },
      },
    ],
  },
  messages: {
    description:
      "Messages sent with $process-message (the bundle and each recipient's delivery state) and the rest-hook subscriptions that receive them",
    envVar: 'MESSAGES_TABLE',
    // MESSAGE#<id> / MESSAGE, SENT#<sender>#BUNDLE#<bundle id> / CLAIM, SUBSCRIBER#<ods> / SUBSCRIPTION#<id>.
    partitionKey: { name: 'pk', type: 'S' },
    sortKey: { name: 'sk', type: 'S' },
    globalIndexes: [
      // The outbox: messages stored and not yet announced (sparse: `outbox` is removed once their events left).
      {
        indexName: 'byOutbox',
        partitionKey: { name: 'outbox', type: 'S' },
        sortKey: { name: 'acceptedAt', type: 'S' },
      },
    ],
  },
} as const satisfies Record<string, TableDeclaration>

export type TableName = keyof typeof tables

/** The table's physical name in a given ICS when the platform names it (local runtime). */
export function localTableName(ics: string, table: TableName): string {
  return `joinup-${ics}-${table}`
}
