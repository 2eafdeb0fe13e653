import { describe, expect, it } from 'vitest'
import { operationOutcome } from '../../schemas/fhir/OperationOutcome'
import { fhirR4SchemaErrors } from '../support/fhir-schema'

describe('fhirR4SchemaErrors', () => {
  // The first call compiles HL7's whole schema (680 definitions): seconds on a loaded machine.
  it('accepts a valid R4 resource', () => {
    expect(fhirR4SchemaErrors(operationOutcome('NOT_FOUND', 'x'))).toEqual([])
  }, 30_000)

  it('refuses a resource HL7 would refuse', () => {
    // Prepare: a field R4 does not define, a code outside its value set, and an unknown resource type
    const extraField = { ...operationOutcome('NOT_FOUND'), reason: 'not an R4 element' }
    const badCode = {
      resourceType: 'OperationOutcome',
      issue: [{ severity: 'catastrophic', code: 'invalid' }],
    }
    // Act, Assess
    expect(fhirR4SchemaErrors(extraField).length).toBeGreaterThan(0)
    expect(fhirR4SchemaErrors(badCode).length).toBeGreaterThan(0)
    expect(fhirR4SchemaErrors({ resourceType: 'NotAResource' }).length).toBeGreaterThan(0)
  })
})
