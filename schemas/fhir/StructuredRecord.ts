import * as z from 'zod/mini'
import { Identifier, Period } from './datatypes'

/** One part parameter of `$gpc.getstructuredrecord` (GP Connect 1.6: name and one value[x]). */
export const StructuredRecordPart = /* @__PURE__ */ z.looseObject({
  name: /* @__PURE__ */ z.string(),
  valueBoolean: /* @__PURE__ */ z.optional(/* @__PURE__ */ z.boolean()),
  valueDate: /* @__PURE__ */ z.optional(/* @__PURE__ */ z.string()),
  valuePeriod: /* @__PURE__ */ z.optional(Period),
  valuePositiveInt: /* @__PURE__ */ z.optional(/* @__PURE__ */ z.int().check(/* @__PURE__ */ z.positive())),
  valueCode: /* @__PURE__ */ z.optional(/* @__PURE__ */ z.string()),
})

/**
 * The request body of `POST /Patient/$gpc.getstructuredrecord`: a FHIR Parameters resource
 * with GP Connect 1.6's parameters (`patientNHSNumber`, `includeAllergies`,
 * `includeMedication`, `includeConsultations`, `includeProblems`, `includeImmunisations`,
 * `includeUncategorisedData`, `includeInvestigations`, `includeReferrals`,
 * `includeDiaryEntries`) and their part parameters. The rules beyond shape are in
 * functions/record-retrieval/parameters.ts.
 */
export const StructuredRecordParameters = /* @__PURE__ */ z.looseObject({
  resourceType: /* @__PURE__ */ z.literal('Parameters'),
  parameter: /* @__PURE__ */ z.array(
    /* @__PURE__ */ z.looseObject({
      name: /* @__PURE__ */ z.string(),
      valueIdentifier: /* @__PURE__ */ z.optional(Identifier),
      part: /* @__PURE__ */ z.optional(/* @__PURE__ */ z.array(StructuredRecordPart)),
    }),
  ),
})

/**
 * The answer: a FHIR R4 `collection` Bundle in GP Connect's structured record shape (the
 * Patient, one Organization per holder, practitioners, one List per section, the clinical
 * resources with `meta.source` naming their holder, an OperationOutcome warning per holder
 * that gave nothing).
 */
export const StructuredRecordBundle = /* @__PURE__ */ z.looseObject({
  resourceType: /* @__PURE__ */ z.literal('Bundle'),
  type: /* @__PURE__ */ z.literal('collection'),
  timestamp: /* @__PURE__ */ z.string(),
  entry: /* @__PURE__ */ z.array(
    /* @__PURE__ */ z.looseObject({
      resource: /* @__PURE__ */ z.looseObject({
        resourceType: /* @__PURE__ */ z.string(),
        id: /* @__PURE__ */ z.optional(/* @__PURE__ */ z.string()),
        meta: /* @__PURE__ */ z.optional(
          /* @__PURE__ */ z.looseObject({ source: /* @__PURE__ */ z.optional(/* @__PURE__ */ z.string()) }),
        ),
      }),
    }),
  ),
})
