import * as z from 'zod/mini'
import { Identifier, Period } from './datatypes'

/** One part parameter of `$gpc.getstructuredrecord` (GP Connect 1.6: name and one value[x]). */
export const StructuredRecordPart = z.looseObject({
  name: z.string(),
  valueBoolean: z.optional(z.boolean()),
  valueDate: z.optional(z.string()),
  valuePeriod: z.optional(Period),
  valuePositiveInt: z.optional(z.int().check(z.positive())),
  valueCode: z.optional(z.string()),
})

/**
 * The request body of `POST /Patient/$gpc.getstructuredrecord`: a FHIR Parameters resource
 * with GP Connect 1.6's parameters (`patientNHSNumber`, `includeAllergies`,
 * `includeMedication`, `includeConsultations`, `includeProblems`, `includeImmunisations`,
 * `includeUncategorisedData`, `includeInvestigations`, `includeReferrals`,
 * `includeDiaryEntries`) and their part parameters. The rules beyond shape are in
 * functions/record-retrieval/parameters.ts.
 */
export const StructuredRecordParameters = z.looseObject({
  resourceType: z.literal('Parameters'),
  parameter: z.array(
    z.looseObject({
      name: z.string(),
      valueIdentifier: z.optional(Identifier),
      part: z.optional(z.array(StructuredRecordPart)),
    }),
  ),
})

/**
 * The answer: a FHIR R4 `collection` Bundle in GP Connect's structured record shape (the
 * Patient, one Organization per holder, practitioners, one List per section, the clinical
 * resources with `meta.source` naming their holder, an OperationOutcome warning per holder
 * that gave nothing).
 */
export const StructuredRecordBundle = z.looseObject({
  resourceType: z.literal('Bundle'),
  type: z.literal('collection'),
  timestamp: z.string(),
  entry: z.array(
    z.looseObject({
      resource: z.looseObject({
        resourceType: z.string(),
        id: z.optional(z.string()),
        meta: z.optional(z.looseObject({ source: z.optional(z.string()) })),
      }),
    }),
  ),
})
