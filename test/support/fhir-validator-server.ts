import { createServer } from 'node:http'
import type { TestProject } from 'vitest/node'
import { describeFhirR4SchemaErrors } from './fhir-schema'

declare module 'vitest' {
  export interface ProvidedContext {
    /** Where the run's HL7 R4 schema validator listens (test/support/fhir-validator-server.ts). */
    fhirValidatorUrl: string
  }
}

/**
 * Vitest global setup of the integration project: one HL7 R4 JSON Schema validator for the
 * whole run, compiled once in this process (compiling HL7's schema takes seconds, too much
 * to pay in every test file's worker). The harness posts every FHIR JSON body it receives
 * here; the answer is the schema errors, empty when the body is valid R4.
 */
export default async function setup(project: TestProject) {
  const server = createServer((request, response) => {
    const chunks: Buffer[] = []
    request.on('data', (chunk: Buffer) => chunks.push(chunk))
    request.on('end', () => {
      let errors: string
      try {
        errors = describeFhirR4SchemaErrors(JSON.parse(Buffer.concat(chunks).toString('utf8')))
      } catch (error) {
        errors = `not JSON: ${String(error)}`
      }
      response.writeHead(200, { 'Content-Type': 'text/plain' })
      response.end(errors)
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const address = server.address() as { port: number }
  project.provide('fhirValidatorUrl', `http://127.0.0.1:${address.port}/`)
  // Compile while the workers boot their stacks.
  setImmediate(() => describeFhirR4SchemaErrors({ resourceType: 'Basic', code: {} }))
  return () => new Promise<void>((resolve) => server.close(() => resolve()))
}
