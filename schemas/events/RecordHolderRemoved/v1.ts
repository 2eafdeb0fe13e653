import * as z from 'zod/mini'
import { NhsNumber, OdsCode } from '../../fhir/identifiers'
import { RecordType } from '../../fhir/recordTypes'

export const RemovalReason = z.enum([
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
export const RecordHolderRemovedV1 = z.strictObject(shape)
/** RecordHolderRemoved v1 data, as consumers read it. */
export const RecordHolderRemovedV1Tolerant = z.looseObject({
  ...shape,
  recordType: z.looseObject(RecordType.def.shape),
  reason: z.string(),
})
export type RecordHolderRemovedV1 = z.infer<typeof RecordHolderRemovedV1Tolerant>
