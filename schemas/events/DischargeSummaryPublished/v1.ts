import * as z from 'zod/mini'
import { messageFacts } from '../messageFacts'

/** DischargeSummaryPublished v1 data, as producers write it: a hospital discharged the patient: the summary and medicines go to the nominated pharmacy and the registered GP (Discharge Medicines Service). */
export const DischargeSummaryPublishedV1 = /* @__PURE__ */ z.strictObject(messageFacts)
/** DischargeSummaryPublished v1 data, as consumers read it. */
export const DischargeSummaryPublishedV1Tolerant = /* @__PURE__ */ z.looseObject(messageFacts)
export type DischargeSummaryPublishedV1 = z.infer<typeof DischargeSummaryPublishedV1Tolerant>
