import * as z from 'zod/mini'

export const BundleEntry = /* @__PURE__ */ z.looseObject({
  fullUrl: /* @__PURE__ */ z.optional(/* @__PURE__ */ z.string()),
  search: /* @__PURE__ */ z.optional(
    /* @__PURE__ */ z.looseObject({
      mode: /* @__PURE__ */ z.optional(/* @__PURE__ */ z.enum(['match', 'include', 'outcome'])),
      score: /* @__PURE__ */ z.optional(/* @__PURE__ */ z.number()),
    }),
  ),
  resource: /* @__PURE__ */ z.looseObject({ resourceType: /* @__PURE__ */ z.string() }),
})

/** FHIR R4 Bundle (searchset, collection, message). */
export const Bundle = /* @__PURE__ */ z.looseObject({
  resourceType: /* @__PURE__ */ z.literal('Bundle'),
  id: /* @__PURE__ */ z.optional(/* @__PURE__ */ z.string()),
  type: /* @__PURE__ */ z.enum([
    'searchset',
    'collection',
    'message',
    'transaction',
    'batch',
    'history',
    'document',
  ]),
  timestamp: /* @__PURE__ */ z.optional(/* @__PURE__ */ z.string()),
  total: /* @__PURE__ */ z.optional(/* @__PURE__ */ z.int()),
  link: /* @__PURE__ */ z.optional(
    /* @__PURE__ */ z.array(
      /* @__PURE__ */ z.looseObject({
        relation: /* @__PURE__ */ z.string(),
        url: /* @__PURE__ */ z.string(),
      }),
    ),
  ),
  entry: /* @__PURE__ */ z.optional(/* @__PURE__ */ z.array(BundleEntry)),
})
export type Bundle = z.infer<typeof Bundle>
