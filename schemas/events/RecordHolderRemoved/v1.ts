import * as z from 'zod/mini'
import { NhsNumber, OdsCode } from '../../fhir/identifiers'
import { RecordType } from '../../fhir/recordTypes'

export const RemovalReason = /* @__PURE__ */ z.enum([
  'record-deleted',
  'patient-objection',
  'patient-moved',
  'entered-in-error',
])

const shape = {
  nhsNumber: NhsNumber,
  holderOds: OdsCode,
  /** The record type no longer held (one event per type: each index entry converges on its own). */
  recordType: RecordType,
  reason: RemovalReason,
}

/** RecordHolderRemoved v1 data, as producers write it: an organisation no longer holds (or may not share) a record. */
export const RecordHolderRemovedV1 = /* @__PURE__ */ z.strictObject(shape)
/** RecordHolderRemoved v1 data, as consumers read it. */
export const RecordHolderRemovedV1Tolerant = /* @__PURE__ */ z.looseObject({
  ...shape,
  recordType: /* @__PURE__ */ z.looseObject(RecordType.def.shape),
  reason: /* @__PURE__ */ z.string(),
})
export type RecordHolderRemovedV1 = z.infer<typeof RecordHolderRemovedV1Tolerant>
