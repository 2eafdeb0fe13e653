import * as z from 'zod/mini'
import { NhsNumber, OdsCode } from '../../fhir/identifiers'

const shape = {
  nhsNumber: NhsNumber,
  /** ODS code of the organisation that holds the record. */
  holderOds: OdsCode,
  /** v1 names the record type in free text ("GP record"); v2 codes it. */
  recordType: z.string().check(z.minLength(1), z.maxLength(200)),
  /** Where the record can be retrieved (the holder's FHIR or GP Connect endpoint). */
  endpoint: z.optional(z.url()),
}

/** RecordHolderRegistered v1 data, as producers write it. Deprecated: produce v2. */
export const RecordHolderRegisteredV1 = z.strictObject(shape)
/** RecordHolderRegistered v1 data, as consumers read it. */
export const RecordHolderRegisteredV1Tolerant = z.looseObject(shape)
export type RecordHolderRegisteredV1 = z.infer<typeof RecordHolderRegisteredV1Tolerant>
