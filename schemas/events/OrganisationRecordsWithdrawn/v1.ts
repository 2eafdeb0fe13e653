import * as z from 'zod/mini'
import { OdsCode } from '../../fhir/identifiers'

export const WithdrawalReason = /* @__PURE__ */ z.enum([
  'organisation-closed',
  'left-ics',
  'sharing-suspended',
])

const shape = {
  /** The organisation whose every index entry is withdrawn. */
  holderOds: OdsCode,
  reason: WithdrawalReason,
}

/** OrganisationRecordsWithdrawn v1 data, as producers write it: remove everything one organisation holds. */
export const OrganisationRecordsWithdrawnV1 = /* @__PURE__ */ z.strictObject(shape)
/** OrganisationRecordsWithdrawn v1 data, as consumers read it. */
export const OrganisationRecordsWithdrawnV1Tolerant = /* @__PURE__ */ z.looseObject({
  ...shape,
  reason: /* @__PURE__ */ z.string(),
})
export type OrganisationRecordsWithdrawnV1 = z.infer<typeof OrganisationRecordsWithdrawnV1Tolerant>
