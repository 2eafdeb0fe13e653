import type * as z from 'zod/mini'
import type { OperationId } from '../../infra/routes'
import type { SpineCodeName } from '../fhir/OperationOutcome'

/**
 * What the OpenAPI document says about one operation beyond its route declaration
 * (infra/routes.ts): parameter rules and examples, bodies, the answers with their
 * examples and headers, and the errors it can give. Kept out of infra/routes.ts so that
 * zod schemas and examples never reach the Lambda bundles (README "Declaring a route").
 */
export interface OperationDoc {
  /** Longer Markdown description (the route's `summary` is the title). */
  description?: string
  /** One entry per path parameter and per query name the route reads (`subject:identifier` too). */
  parameters?: Readonly<Record<string, ParameterDoc>>
  request?: BodyDoc
  /** The success answer. */
  response: ResponseDoc
  /** For searches: a query that works (the CapabilityStatement walk adds each parameter to it); the required parameters' examples when absent. */
  exampleQuery?: string
  /** Other successful answers with the same status (PDS: TOO_MANY_MATCHES is a 200 OperationOutcome). */
  alternatives?: readonly { summary: string; example: unknown }[]
  /**
   * Errors this operation answers besides the common ones (401/403/429 on secured routes,
   * 406, 500, and for bodies 413/415), each with the national code and when it happens.
   */
  errors: readonly ErrorDoc[]
}

/** A path or query parameter. */
export interface ParameterDoc {
  description: string
  required?: boolean
  /** How often the parameter may appear (birthdate: twice, for a ge/le range); once when absent. */
  repeats?: number
  schema: ParameterSchema
  /** A working value (the CapabilityStatement walk and the docs use it). */
  example: string
  /**
   * A whole working query using this parameter, when adding it to the search's
   * `exampleQuery` would not work (a fuzzy search needs more criteria; an alternative form
   * of a required parameter replaces it).
   */
  exampleQuery?: string
}

/** The JSON Schema of one parameter value. */
export interface ParameterSchema {
  type: 'string' | 'integer' | 'boolean'
  format?: string
  pattern?: string
  enum?: readonly string[]
  minimum?: number
  maximum?: number
  maxLength?: number
}

export interface BodyDoc {
  description: string
  schema: z.ZodMiniType
  /** Defaults to application/fhir+json. */
  contentType?: string
  example: unknown
}

/** Response headers the document describes (components/headers). */
export type ResponseHeader = 'ETag' | 'Location' | 'Content-Location' | 'Content-Security-Policy'

export interface ResponseDoc {
  status: number
  description: string
  /** Absent for bodies that are not JSON (HTML pages, assets). */
  schema?: z.ZodMiniType
  /** Defaults to application/fhir+json. */
  contentType?: string
  /** Required for JSON bodies (a test fails without one). */
  example?: unknown
  headers?: readonly ResponseHeader[]
}

export interface ErrorDoc {
  code: SpineCodeName
  /** The status, when the operation answers the code with another status than the catalogue's. */
  status?: number
  when: string
}

/** The docs of some operations; each capability exports one map, combined in schemas/api/index.ts. */
export type OperationDocs<K extends OperationId> = { readonly [Id in K]: OperationDoc }
