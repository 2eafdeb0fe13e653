import type * as z from 'zod/mini'
import { AppointmentBookedV1, AppointmentBookedV1Tolerant } from './AppointmentBooked/v1'
import { AppointmentCancelledV1, AppointmentCancelledV1Tolerant } from './AppointmentCancelled/v1'
import {
  ConsultationSummaryRecordedV1,
  ConsultationSummaryRecordedV1Tolerant,
} from './ConsultationSummaryRecorded/v1'
import {
  DischargeSummaryPublishedV1,
  DischargeSummaryPublishedV1Tolerant,
} from './DischargeSummaryPublished/v1'
import {
  OrganisationRecordsWithdrawnV1,
  OrganisationRecordsWithdrawnV1Tolerant,
} from './OrganisationRecordsWithdrawn/v1'
import { upcastRecordHolderRegisteredV1 } from './RecordHolderRegistered/upcast'
import { RecordHolderRegisteredV1, RecordHolderRegisteredV1Tolerant } from './RecordHolderRegistered/v1'
import { RecordHolderRegisteredV2, RecordHolderRegisteredV2Tolerant } from './RecordHolderRegistered/v2'
import { RecordHolderRemovedV1, RecordHolderRemovedV1Tolerant } from './RecordHolderRemoved/v1'
import { SlotsPublishedV1, SlotsPublishedV1Tolerant } from './SlotsPublished/v1'

export interface EventVersion {
  /** The version producers write now, `<major>.<minor>`; a minor bump is an additive change. */
  version: string
  /** Producers validate with this before PutEvents (unknown fields refused). */
  strict: z.ZodMiniType
  /** Consumers parse with this (unknown fields ignored). */
  tolerant: z.ZodMiniType
  status: 'current' | 'deprecated'
  /** Turns this major's data into the next major's (pure, total). */
  upcast?: (data: never) => unknown
}

export interface EventDefinition {
  description: string
  /** Who publishes it: `source` values and what makes them publish. */
  producers: readonly { source: string; when: string; majors: readonly number[] }[]
  versions: Readonly<Record<number, EventVersion>>
}

/**
 * Every event on the ICS bus: its versions, schemas and producers. Consumers are the
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
    versions: {
      1: {
        version: '1.0',
        strict: RecordHolderRegisteredV1,
        tolerant: RecordHolderRegisteredV1Tolerant,
        status: 'deprecated',
        upcast: upcastRecordHolderRegisteredV1 as (data: never) => unknown,
      },
      2: {
        version: '2.0',
        strict: RecordHolderRegisteredV2,
        tolerant: RecordHolderRegisteredV2Tolerant,
        status: 'current',
      },
    },
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
    versions: {
      1: {
        version: '1.0',
        strict: RecordHolderRemovedV1,
        tolerant: RecordHolderRemovedV1Tolerant,
        status: 'current',
      },
    },
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
    versions: {
      1: {
        version: '1.0',
        strict: OrganisationRecordsWithdrawnV1,
        tolerant: OrganisationRecordsWithdrawnV1Tolerant,
        status: 'current',
      },
    },
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
    versions: {
      1: { version: '1.0', strict: SlotsPublishedV1, tolerant: SlotsPublishedV1Tolerant, status: 'current' },
    },
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
    versions: {
      1: {
        version: '1.0',
        strict: AppointmentBookedV1,
        tolerant: AppointmentBookedV1Tolerant,
        status: 'current',
      },
    },
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
    versions: {
      1: {
        version: '1.0',
        strict: AppointmentCancelledV1,
        tolerant: AppointmentCancelledV1Tolerant,
        status: 'current',
      },
    },
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
    versions: {
      1: {
        version: '1.0',
        strict: ConsultationSummaryRecordedV1,
        tolerant: ConsultationSummaryRecordedV1Tolerant,
        status: 'current',
      },
    },
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
    versions: {
      1: {
        version: '1.0',
        strict: DischargeSummaryPublishedV1,
        tolerant: DischargeSummaryPublishedV1Tolerant,
        status: 'current',
      },
    },
  },
} as const satisfies Record<string, EventDefinition>

export type DetailType = keyof typeof eventRegistry

/** The major of a `<major>.<minor>` version. */
export function majorOf(version: string): number {
  return Number(version.split('.')[0])
}

/** The highest major of an event. */
export function latestMajor(detailType: DetailType): number {
  return Math.max(...Object.keys(eventRegistry[detailType].versions).map(Number))
}

/**
 * Reads an event's data with the tolerant schema of its own major, then upcasts it step
 * by step to `targetMajor`. Throws when the data does not fit (the event is poison: it
 * goes to the DLQ) or when no upcaster path exists.
 */
export function readEventData(
  detailType: DetailType,
  version: string,
  data: unknown,
  targetMajor: number,
): unknown {
  const versions: Readonly<Record<number, EventVersion>> = eventRegistry[detailType].versions
  let major = majorOf(version)
  const own = versions[major]
  if (!own) throw new Error(`${detailType} has no major ${major}`)
  if (major > targetMajor)
    throw new Error(`${detailType} v${major} is newer than this consumer (v${targetMajor})`)
  let current: unknown = own.tolerant.parse(data)
  while (major < targetMajor) {
    const upcast = versions[major]?.upcast
    if (!upcast) throw new Error(`${detailType} has no upcaster from v${major}`)
    current = (upcast as (data: unknown) => unknown)(current)
    major++
    current = versions[major]!.tolerant.parse(current)
  }
  return current
}
