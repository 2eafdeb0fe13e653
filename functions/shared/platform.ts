import { DynamoDbAuditTrail } from './audit/DynamoDbAuditTrail'
import { currentIcs } from './ics'
import { countMetric } from './metrics'
import type { AuditTrail, RateLimiter, RefusalAuditBudget } from './ports'
import { DynamoDbRateLimiter, DynamoDbRefusalAuditBudget } from './rate-limit'

// Built on first use, not at import: the table names come from the environment, which
// tests and the local runtime set after loading the modules.
let trail: DynamoDbAuditTrail | undefined
let limiter: DynamoDbRateLimiter | undefined
let refusals: DynamoDbRefusalAuditBudget | undefined

/** The stack's audit trail, shared by every HTTP function that touches patient data. */
export const auditTrail: AuditTrail = {
  append: async (entries) => {
    trail ??= new DynamoDbAuditTrail()
    await trail.append(entries)
    countMetric('AuditRecordsAppended', entries.length)
  },
  appendForOrganisation: (entries) => {
    trail ??= new DynamoDbAuditTrail()
    return trail.appendForOrganisation(entries)
  },
  prepare: (patient) => {
    trail ??= new DynamoDbAuditTrail()
    trail.prepare(patient)
  },
}

/** The per-organisation rate limit of this ICS. */
export const rateLimiter: RateLimiter = {
  consume: (organisation, now) => {
    limiter ??= new DynamoDbRateLimiter(() => currentIcs().rateLimit.requestsPerMinute)
    return limiter.consume(organisation, now)
  },
}

/** How many refused attempts on one patient are audited one by one (rate-limit.ts). */
export const refusalBudget: RefusalAuditBudget = {
  admit: (patient, now) => {
    refusals ??= new DynamoDbRefusalAuditBudget()
    return refusals.admit(patient, now)
  },
}
