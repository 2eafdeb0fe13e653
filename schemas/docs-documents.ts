import { loadIcsConfig } from '../infra/ics-configs'
import { EXAMPLE_BASE_URL } from './api/platform'
import { eventCatalogue } from './event-catalogue'
import { openApiDocument } from './openapi'

/** The software version the documents carry. */
export const API_VERSION = '0.1.0'

/**
 * What `npm run docs` writes, by path from the repository root. The OpenAPI document is
 * written for the local demo stack (its server and token endpoint); the docs function
 * puts the deployment's own in when it serves the document.
 */
export function docsDocuments(root: string): Record<string, unknown> {
  const demo = loadIcsConfig('demo')
  return {
    'schemas/exported/openapi.json': openApiDocument({
      title: `${demo.name} joined-up care API`,
      version: API_VERSION,
      serverUrl: EXAMPLE_BASE_URL,
      tokenUrl: `${EXAMPLE_BASE_URL}/_local/token`,
    }),
    'schemas/exported/event-catalogue.json': eventCatalogue(root),
  }
}
