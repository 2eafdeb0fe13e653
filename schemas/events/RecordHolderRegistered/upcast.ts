import { recordTypeFromText } from '../../fhir/recordTypes'
import type { RecordHolderRegisteredV1 } from './v1'
import type { RecordHolderRegisteredV2 } from './v2'

/** v1 → v2: codes the free-text record type. Pure and total: every v1 event has a v2 form. */
export function upcastRecordHolderRegisteredV1(data: RecordHolderRegisteredV1): RecordHolderRegisteredV2 {
  const { recordType, ...rest } = data
  return { ...rest, recordType: recordTypeFromText(recordType) }
}
