import * as z from 'zod/mini'
import { NhsNumber, OdsCode } from '../../fhir/identifiers'

const shape = {
  nhsNumber: NhsNumber,
  /** ODS code of the organisation that holds the record. */
  holderOds: OdsCode,
  /** v1 names the record type in free text ("GP record"); v2 codes it. */
  recordType: /* @__PURE__ */ z
    .string()
    .check(/* @__PURE__ */ z.minLength(1), /* @__PURE__ */ z.maxLength(200)),
  /** Where the record can be retrieved (the holder's FHIR or GP Connect endpoint). */
  endpoint: /* @__PURE__ */ z.optional(/* @__PURE__ */ z.url()),
}

/** RecordHolderRegistered v1 data, as producers write it. Deprecated: produce v2. */
export const RecordHolderRegisteredV1 = /* @__PURE__ */ z.strictObject(shape)
/** RecordHolderRegistered v1 data, as consumers read it. */
export const RecordHolderRegisteredV1Tolerant = /* @__PURE__ */ z.looseObject(shape)
export type RecordHolderRegisteredV1 = z.infer<typeof RecordHolderRegisteredV1Tolerant>
