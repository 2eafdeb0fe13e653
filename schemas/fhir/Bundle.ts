import * as z from 'zod/mini'

export const BundleEntry = z.looseObject({
  fullUrl: z.optional(z.string()),
  search: z.optional(
    z.looseObject({
      mode: z.optional(z.enum(['match', 'include', 'outcome'])),
      score: z.optional(z.number()),
    }),
  ),
  resource: z.looseObject({ resourceType: z.string() }),
})

/** FHIR R4 Bundle (searchset, collection, message). */
export const Bundle = z.looseObject({
  resourceType: z.literal('Bundle'),
  id: z.optional(z.string()),
  type: z.enum(['searchset', 'collection', 'message', 'transaction', 'batch', 'history', 'document']),
  timestamp: z.optional(z.string()),
  total: z.optional(z.int()),
  link: z.optional(z.array(z.looseObject({ relation: z.string(), url: z.string() }))),
  entry: z.optional(z.array(BundleEntry)),
})
export type Bundle = z.infer<typeof Bundle>
