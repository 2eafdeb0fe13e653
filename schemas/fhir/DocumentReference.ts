import * as z from 'zod/mini'
import { Coding } from './datatypes'

const IdentifierReference = /* @__PURE__ */ z.looseObject({
  identifier: /* @__PURE__ */ z.looseObject({
    system: /* @__PURE__ */ z.string(),
    value: /* @__PURE__ */ z.string(),
  }),
})

/**
 * A pointer as a producer registers it (NRL-style POST /DocumentReference): status, type,
 * subject (NHS number), custodian (ODS code), and optionally where the record is served.
 * Other DocumentReference fields are accepted and ignored.
 */
export const PointerRegistration = /* @__PURE__ */ z.looseObject({
  resourceType: /* @__PURE__ */ z.literal('DocumentReference'),
  status: /* @__PURE__ */ z.literal('current'),
  type: /* @__PURE__ */ z.looseObject({
    coding: /* @__PURE__ */ z.array(Coding).check(/* @__PURE__ */ z.minLength(1)),
  }),
  subject: IdentifierReference,
  custodian: IdentifierReference,
  content: /* @__PURE__ */ z.optional(
    /* @__PURE__ */ z.array(
      // Checked by the untrusted-endpoint rules (functions/shared/untrustedEndpoint.ts), which say why.
      /* @__PURE__ */ z.looseObject({
        attachment: /* @__PURE__ */ z.looseObject({
          url: /* @__PURE__ */ z.optional(/* @__PURE__ */ z.url()),
        }),
      }),
    ),
  ),
})
export type PointerRegistration = z.infer<typeof PointerRegistration>

/** A DocumentReference pointer as the patient index answers it (NRL shape). */
export const Pointer = /* @__PURE__ */ z.looseObject({
  resourceType: /* @__PURE__ */ z.literal('DocumentReference'),
  id: /* @__PURE__ */ z.string(),
  status: /* @__PURE__ */ z.literal('current'),
  type: /* @__PURE__ */ z.looseObject({ coding: /* @__PURE__ */ z.array(Coding) }),
  subject: IdentifierReference,
  custodian: IdentifierReference,
  date: /* @__PURE__ */ z.string(),
  content: /* @__PURE__ */ z.array(
    /* @__PURE__ */ z.looseObject({
      attachment: /* @__PURE__ */ z.looseObject({
        url: /* @__PURE__ */ z.optional(/* @__PURE__ */ z.string()),
      }),
    }),
  ),
})
