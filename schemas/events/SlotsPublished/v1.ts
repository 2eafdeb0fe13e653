import * as z from 'zod/mini'
import { OdsCode } from '../../fhir/identifiers'

const shape = {
  /** The organisation whose slots were published (the publisher's own ODS code). */
  hostOds: OdsCode,
  /** Slots created or changed by this publication (re-publishing an unchanged slot does not count). */
  slotCount: /* @__PURE__ */ z.int().check(/* @__PURE__ */ z.nonnegative()),
  /** Start of the earliest and end of the latest slot of the publication, UK local time with offset. */
  firstStart: z.iso.datetime({ offset: true }),
  lastEnd: z.iso.datetime({ offset: true }),
  /** The schedules the slots belong to (`Schedule/<id>` ids, as the API shows them). */
  scheduleIds: /* @__PURE__ */ z
    .array(/* @__PURE__ */ z.string().check(/* @__PURE__ */ z.minLength(1), /* @__PURE__ */ z.maxLength(64)))
    .check(/* @__PURE__ */ z.maxLength(500)),
}

/** SlotsPublished v1 data, as producers write it: an organisation opened slots for booking. */
export const SlotsPublishedV1 = /* @__PURE__ */ z.strictObject(shape)
/** SlotsPublished v1 data, as consumers read it. */
export const SlotsPublishedV1Tolerant = /* @__PURE__ */ z.looseObject(shape)
export type SlotsPublishedV1 = z.infer<typeof SlotsPublishedV1Tolerant>
