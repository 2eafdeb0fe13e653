import * as z from 'zod/mini'
import { OdsCode } from '../../fhir/identifiers'

const shape = {
  /** The organisation whose slots were published (the publisher's own ODS code). */
  hostOds: OdsCode,
  /** Slots created or changed by this publication (re-publishing an unchanged slot does not count). */
  slotCount: z.int().check(z.nonnegative()),
  /** Start of the earliest and end of the latest slot of the publication, UK local time with offset. */
  firstStart: z.iso.datetime({ offset: true }),
  lastEnd: z.iso.datetime({ offset: true }),
  /** The schedules the slots belong to (`Schedule/<id>` ids, as the API shows them). */
  scheduleIds: z.array(z.string().check(z.minLength(1), z.maxLength(64))).check(z.maxLength(500)),
}

/** SlotsPublished v1 data, as producers write it: an organisation opened slots for booking. */
export const SlotsPublishedV1 = z.strictObject(shape)
/** SlotsPublished v1 data, as consumers read it. */
export const SlotsPublishedV1Tolerant = z.looseObject(shape)
export type SlotsPublishedV1 = z.infer<typeof SlotsPublishedV1Tolerant>
