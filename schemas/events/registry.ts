import { type DetailType, type EventVersion, eventVersions } from './versions'

export type { DetailType, EventVersion } from './versions'
export { eventVersionOf, isDetailType, latestMajor, majorOf, readEventData } from './versions'

export interface EventDefinition {
  description: string
  /** Who publishes it: `source` values and what makes them publish. */
  producers: readonly { source: string; when: string; majors: readonly number[] }[]
  versions: Readonly<Record<number, EventVersion>>
}

/**
 * Every event on the ICS bus: what it means, its producers, and its versions and schemas
 * (schemas/events/versions.ts, the part functions run: they import that module, never
 * this one, so the prose here stays out of their bundles). Consumers are the
 * rules in infra/event-rules.ts that name the event (`consumersOf`). `npm run schemas`
 * exports each version's JSON Schema, and the example beside each schema file
 * (`<DetailType>/v<major>.example.json`) is checked against every consumer.
 */
export const eventRegistry = {
  RecordHolderRegistered: {
    description:
      'An organisation holds a record about a patient (creates or refreshes its patient index entry).',
    producers: [
      {
        source: 'joinup.patient-index',
        when: 'POST /DocumentReference (an organisation registers a pointer)',
        majors: [2],
      },
      { source: 'joinup.partner', when: 'ICS partner systems still on the v1 contract', majors: [1] },
      { source: 'joinup.platform', when: 'seeding and migrations by the platform team', majors: [2] },
      {
        source: 'joinup.messages',
        when: 'POST /$process-message (the sender holds the summary it sent, in the ICS store)',
        majors: [2],
      },
    ],
    versions: eventVersions.RecordHolderRegistered,
  },
  RecordHolderRemoved: {
    description: 'An organisation no longer holds, or may no longer share, a record about a patient.',
    producers: [
      {
        source: 'joinup.patient-index',
        when: 'DELETE /DocumentReference?subject:identifier=…&custodian:identifier=…',
        majors: [1],
      },
    ],
    versions: eventVersions.RecordHolderRemoved,
  },
  OrganisationRecordsWithdrawn: {
    description: 'Every index entry of one organisation goes (it closed, left the ICS or suspended sharing).',
    producers: [
      {
        source: 'joinup.patient-index',
        when: 'DELETE /DocumentReference?custodian:identifier=<own ODS>',
        majors: [1],
      },
      {
        source: 'joinup.platform',
        when: 'the platform team, with aws events put-events (README "Operations")',
        majors: [1],
      },
    ],
    versions: eventVersions.OrganisationRecordsWithdrawn,
  },
  SlotsPublished: {
    description: 'An organisation published free slots that any member of the ICS may book.',
    producers: [
      {
        source: 'joinup.appointments',
        when: 'POST /Slot (an organisation publishes its slots), and the demo seed through the same code',
        majors: [1],
      },
    ],
    versions: eventVersions.SlotsPublished,
  },
  AppointmentBooked: {
    description: 'A slot was booked for a patient: the hosting organisation now holds an appointment record.',
    producers: [
      {
        source: 'joinup.appointments',
        when: 'POST /Appointment (201), or a read that finds a booking whose event never left (crash)',
        majors: [1],
      },
    ],
    versions: eventVersions.AppointmentBooked,
  },
  AppointmentCancelled: {
    description: 'A booked appointment was cancelled and its slot is free for rebooking.',
    producers: [
      {
        source: 'joinup.appointments',
        when: 'PUT /Appointment/{id} with status cancelled, or whoever finishes a cancellation cut short',
        majors: [1],
      },
    ],
    versions: eventVersions.AppointmentCancelled,
  },
  ConsultationSummaryRecorded: {
    description:
      "A consultation outside the patient's practice was summarised for their registered GP (GP Connect Update Record): delivered to the GP's subscriptions.",
    producers: [
      {
        source: 'joinup.messages',
        when: 'POST /$process-message with MessageHeader event update-record (202)',
        majors: [1],
      },
    ],
    versions: eventVersions.ConsultationSummaryRecorded,
  },
  DischargeSummaryPublished: {
    description:
      'A hospital discharged the patient: the summary and medicines go to the nominated pharmacy (Discharge Medicines Service) and the registered GP, through their subscriptions.',
    producers: [
      {
        source: 'joinup.messages',
        when: 'POST /$process-message with MessageHeader event discharge-summary (202)',
        majors: [1],
      },
    ],
    versions: eventVersions.DischargeSummaryPublished,
  },
} as const satisfies Record<DetailType, EventDefinition>
