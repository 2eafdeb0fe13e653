import * as z from 'zod/mini'

/** `<major>.<minor>`: rules route on the major prefix (`detail.metadata.version` prefix `2.`). */
export const SchemaVersion = /* @__PURE__ */ z.string().check(/* @__PURE__ */ z.regex(/^\d+\.\d+$/))

const metadataShape = {
  /** Unique per event: the idempotency key consumers use. A forwarded event gets a new id. */
  id: /* @__PURE__ */ z.string().check(/* @__PURE__ */ z.minLength(1), /* @__PURE__ */ z.maxLength(128)),
  version: SchemaVersion,
  /** When it happened (ISO 8601): last-writer-wins decides on it. */
  occurredAt: z.iso.datetime({ offset: true }),
  correlationId: /* @__PURE__ */ z
    .string()
    .check(/* @__PURE__ */ z.minLength(1), /* @__PURE__ */ z.maxLength(200)),
  ics: /* @__PURE__ */ z.string().check(/* @__PURE__ */ z.minLength(1), /* @__PURE__ */ z.maxLength(64)),
  /** Who produced it: a capability (`joinup.patient-index`) or an organisation's system. */
  producer: /* @__PURE__ */ z
    .string()
    .check(/* @__PURE__ */ z.minLength(1), /* @__PURE__ */ z.maxLength(128)),
}

/** Envelope metadata as producers must write it (strict). */
export const StrictEventMetadata = /* @__PURE__ */ z.strictObject(metadataShape)
/** Envelope metadata as consumers read it (unknown fields ignored). */
export const EventMetadata = /* @__PURE__ */ z.looseObject(metadataShape)
export type EventMetadata = z.infer<typeof EventMetadata>

/** The `detail` of every event: `{ metadata, data }` (DESIGN.md "Events"). */
export function envelopeOf<Data extends z.ZodMiniType>(data: Data, mode: 'strict' | 'tolerant') {
  return mode === 'strict'
    ? /* @__PURE__ */ z.strictObject({ metadata: StrictEventMetadata, data })
    : /* @__PURE__ */ z.looseObject({ metadata: EventMetadata, data })
}
