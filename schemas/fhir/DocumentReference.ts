import * as z from 'zod/mini'
import { Coding } from './datatypes'

const IdentifierReference = z.looseObject({
  identifier: z.looseObject({ system: z.string(), value: z.string() }),
})

/**
 * A pointer as a producer registers it (NRL-style POST /DocumentReference): status, type,
 * subject (NHS number), custodian (ODS code), and optionally where the record is served.
 * Other DocumentReference fields are accepted and ignored.
 */
export const PointerRegistration = z.looseObject({
  resourceType: z.literal('DocumentReference'),
  status: z.literal('current'),
  type: z.looseObject({ coding: z.array(Coding).check(z.minLength(1)) }),
  subject: IdentifierReference,
  custodian: IdentifierReference,
  content: z.optional(
    z.array(
      // Checked by the untrusted-endpoint rules (functions/shared/untrustedEndpoint.ts), which say why.
      z.looseObject({ attachment: z.looseObject({ url: z.optional(z.url()) }) }),
    ),
  ),
})
export type PointerRegistration = z.infer<typeof PointerRegistration>

/** A DocumentReference pointer as the patient index answers it (NRL shape). */
export const Pointer = z.looseObject({
  resourceType: z.literal('DocumentReference'),
  id: z.string(),
  status: z.literal('current'),
  type: z.looseObject({ coding: z.array(Coding) }),
  subject: IdentifierReference,
  custodian: IdentifierReference,
  date: z.string(),
  content: z.array(z.looseObject({ attachment: z.looseObject({ url: z.optional(z.string()) }) })),
})
