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

/**
 * The versions of every event on the ICS bus, by major: what producers and consumers run.
 * schemas/events/registry.ts composes them with what only docs, exports and tests read (each
 * event's description and producers), so function bundles carry none of that prose.
 */
export const eventVersions = {
  RecordHolderRegistered: {
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
  RecordHolderRemoved: {
    1: {
      version: '1.0',
      strict: RecordHolderRemovedV1,
      tolerant: RecordHolderRemovedV1Tolerant,
      status: 'current',
    },
  },
  OrganisationRecordsWithdrawn: {
    1: {
      version: '1.0',
      strict: OrganisationRecordsWithdrawnV1,
      tolerant: OrganisationRecordsWithdrawnV1Tolerant,
      status: 'current',
    },
  },
  SlotsPublished: {
    1: { version: '1.0', strict: SlotsPublishedV1, tolerant: SlotsPublishedV1Tolerant, status: 'current' },
  },
  AppointmentBooked: {
    1: {
      version: '1.0',
      strict: AppointmentBookedV1,
      tolerant: AppointmentBookedV1Tolerant,
      status: 'current',
    },
  },
  AppointmentCancelled: {
    1: {
      version: '1.0',
      strict: AppointmentCancelledV1,
      tolerant: AppointmentCancelledV1Tolerant,
      status: 'current',
    },
  },
  ConsultationSummaryRecorded: {
    1: {
      version: '1.0',
      strict: ConsultationSummaryRecordedV1,
      tolerant: ConsultationSummaryRecordedV1Tolerant,
      status: 'current',
    },
  },
  DischargeSummaryPublished: {
    1: {
      version: '1.0',
      strict: DischargeSummaryPublishedV1,
      tolerant: DischargeSummaryPublishedV1Tolerant,
      status: 'current',
    },
  },
} as const satisfies Record<string, Readonly<Record<number, EventVersion>>>

export type DetailType = keyof typeof eventVersions

/** The version of `detailType` at `major`, if there is one. */
export function eventVersionOf(detailType: DetailType, major: number): EventVersion | undefined {
  return (eventVersions[detailType] as Readonly<Record<number, EventVersion>>)[major]
}

/** Whether `detailType` names an event on the ICS bus. */
export function isDetailType(detailType: string): detailType is DetailType {
  return Object.hasOwn(eventVersions, detailType)
}

/** The major of a `<major>.<minor>` version. */
export function majorOf(version: string): number {
  return Number(version.split('.')[0])
}

/** The highest major of an event. */
export function latestMajor(detailType: DetailType): number {
  return Math.max(...Object.keys(eventVersions[detailType]).map(Number))
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
  let major = majorOf(version)
  const own = eventVersionOf(detailType, major)
  if (!own) throw new Error(`${detailType} has no major ${major}`)
  if (major > targetMajor)
    throw new Error(`${detailType} v${major} is newer than this consumer (v${targetMajor})`)
  let current: unknown = own.tolerant.parse(data)
  while (major < targetMajor) {
    const upcast = eventVersionOf(detailType, major)?.upcast
    if (!upcast) throw new Error(`${detailType} has no upcaster from v${major}`)
    current = (upcast as (data: unknown) => unknown)(current)
    major++
    current = eventVersionOf(detailType, major)!.tolerant.parse(current)
  }
  return current
}
