import * as z from 'zod/mini'
import { NhsNumber, OdsCode } from '../../fhir/identifiers'
import { RecordType } from '../../fhir/recordTypes'

const shape = {
  nhsNumber: NhsNumber,
  /** ODS code of the organisation that holds the record. */
  holderOds: OdsCode,
  /** The record type as a coded value (SNOMED CT where NRL has a pointer type). */
  recordType: RecordType,
  /** Where the record can be retrieved (the holder's FHIR or GP Connect endpoint). */
  endpoint: /* @__PURE__ */ z.optional(/* @__PURE__ */ z.url()),
}

/** RecordHolderRegistered v2 data, as producers write it: an organisation holds a record about a patient. */
export const RecordHolderRegisteredV2 = /* @__PURE__ */ z.strictObject(shape)
/** RecordHolderRegistered v2 data, as consumers read it. */
export const RecordHolderRegisteredV2Tolerant = /* @__PURE__ */ z.looseObject({
  ...shape,
  recordType: /* @__PURE__ */ z.looseObject(RecordType.def.shape),
})
export type RecordHolderRegisteredV2 = z.infer<typeof RecordHolderRegisteredV2Tolerant>
