import * as z from 'zod/mini'
import { capabilityStatement, smartConfiguration } from '../../functions/metadata/capabilityStatement'
import { Scope } from '../auth'
import type { IcsRuntimeConfig } from '../ics-config'
import type { OperationDocs } from './types'

/** The ICS the examples show: the local demo stack on its default port. */
export const EXAMPLE_BASE_URL = 'http://127.0.0.1:3000'
const exampleIcs: IcsRuntimeConfig = {
  ics: 'demo',
  name: 'Demo ICS',
  members: [{ ods: 'NX001', name: 'Demo Urgent Care', role: 'urgent-care' }],
  auth: {
    issuer: 'urn:joinup:local-dev-issuer',
    audience: 'urn:joinup:local:demo',
    jwksUrl: `${EXAMPLE_BASE_URL}/.well-known/jwks.json`,
    tokenUrl: `${EXAMPLE_BASE_URL}/_local/token`,
  },
  rateLimit: { requestsPerMinute: 1200 },
  pds: { source: 'ics-cache' },
}

/** FHIR R4 CapabilityStatement, as far as clients read it. */
export const CapabilityStatement = z.looseObject({
  resourceType: z.literal('CapabilityStatement'),
  status: z.string(),
  fhirVersion: z.literal('4.0.1'),
  format: z.array(z.string()),
  rest: z.array(
    z.looseObject({
      mode: z.literal('server'),
      resource: z.array(
        z.looseObject({
          type: z.string(),
          interaction: z.array(z.looseObject({ code: z.string() })),
          searchParam: z.optional(z.array(z.looseObject({ name: z.string(), type: z.string() }))),
        }),
      ),
    }),
  ),
})

/** SMART App Launch 2.0 configuration (backend services subset). */
export const SmartConfiguration = z.looseObject({
  token_endpoint: z.optional(z.string()),
  grant_types_supported: z.array(z.string()),
  token_endpoint_auth_methods_supported: z.array(z.string()),
  scopes_supported: z.array(z.string()),
  capabilities: z.array(z.string()),
})

const html = {
  status: 200,
  description: 'HTML page',
  contentType: 'text/html',
  headers: ['Content-Security-Policy'],
} as const

/** Capability statement, SMART configuration and the docs site. */
export const platformApi: OperationDocs<
  | 'capabilities'
  | 'smartConfiguration'
  | 'docsPage'
  | 'openApiDocument'
  | 'apiReference'
  | 'eventCatalogue'
  | 'docsAsset'
> = {
  capabilities: {
    description:
      'What this server does, generated from the route declarations: every interaction and search parameter listed here works.',
    response: {
      status: 200,
      description: 'The CapabilityStatement',
      schema: CapabilityStatement,
      example: capabilityStatement(exampleIcs, EXAMPLE_BASE_URL, '2026-01-05T09:00:00+00:00'),
    },
    errors: [],
  },
  smartConfiguration: {
    description: 'Where a backend client gets a token (OAuth2 client credentials) and which scopes exist.',
    response: {
      status: 200,
      description: 'SMART configuration',
      contentType: 'application/json',
      schema: SmartConfiguration,
      example: smartConfiguration(exampleIcs, EXAMPLE_BASE_URL, Scope.options),
    },
    errors: [],
  },
  docsPage: { response: html, errors: [] },
  openApiDocument: {
    response: {
      status: 200,
      description: 'This document, with this deployment as its server',
      contentType: 'application/json',
    },
    errors: [],
  },
  apiReference: { response: html, errors: [] },
  eventCatalogue: { response: html, errors: [] },
  docsAsset: {
    parameters: {
      asset: {
        description: 'A script or style of the docs pages',
        schema: { type: 'string', pattern: '^[a-z-]+\\.(js|css)$' },
        example: 'docs.css',
      },
    },
    response: { status: 200, description: 'The file (JavaScript or CSS)', contentType: 'text/css' },
    errors: [{ code: 'NOT_FOUND', when: 'No docs asset has this name' }],
  },
}
