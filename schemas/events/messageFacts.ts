import * as z from 'zod/mini'
import { NhsNumber, OdsCode } from '../fhir/identifiers'

/** What both message events say: which message, about whom, from whom, for whom. */
export const messageFacts = {
  /** The message status resource's id (`GET /Message/{id}`); the bundle is read from the message store. */
  messageId: /* @__PURE__ */ z.string().check(/* @__PURE__ */ z.regex(/^[A-Za-z0-9\-.]{1,64}$/)),
  /** The sender's MessageHeader id (ITK3's tracking id): `X-Message-ID` on every delivery. */
  messageHeaderId: /* @__PURE__ */ z
    .string()
    .check(/* @__PURE__ */ z.minLength(1), /* @__PURE__ */ z.maxLength(64)),
  nhsNumber: NhsNumber,
  /** The organisation that sent the message (it now holds a record about the patient). */
  senderOds: OdsCode,
  /** Who the message is for, each of whom a subscription may receive it for. */
  recipients: /* @__PURE__ */ z
    .array(OdsCode)
    .check(/* @__PURE__ */ z.minLength(1), /* @__PURE__ */ z.maxLength(10)),
  /**
   * The patient is PDS S-flagged: a consumer must not show one recipient (their practice)
   * to another organisation PDS lookup would hide it from.
   */
  restricted: /* @__PURE__ */ z.boolean(),
}
