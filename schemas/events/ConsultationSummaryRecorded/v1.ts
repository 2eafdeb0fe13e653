import * as z from 'zod/mini'
import { messageFacts } from '../messageFacts'

/** ConsultationSummaryRecorded v1 data, as producers write it: a consultation outside the practice was summarised for the patient's registered GP (GP Connect Update Record). */
export const ConsultationSummaryRecordedV1 = /* @__PURE__ */ z.strictObject(messageFacts)
/** ConsultationSummaryRecorded v1 data, as consumers read it. */
export const ConsultationSummaryRecordedV1Tolerant = /* @__PURE__ */ z.looseObject(messageFacts)
export type ConsultationSummaryRecordedV1 = z.infer<typeof ConsultationSummaryRecordedV1Tolerant>
