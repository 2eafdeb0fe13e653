import { openApiDocument } from '../../schemas/openapi'
import { httpApi } from '../shared/http'
import { currentIcs } from '../shared/ics'
import { ukDateTime } from '../shared/time'
import { capabilityStatement, SOFTWARE_VERSION } from './capabilityStatement'
import { docsPage } from './docsPage'

/** Public, unauthenticated: GET /metadata, GET /docs, GET /docs/openapi.json. */
export const handler = httpApi('metadata', {
  capabilities: async (request) => ({
    status: 200,
    body: capabilityStatement(currentIcs(), request.baseUrl, ukDateTime(new Date())),
  }),
  docsPage: async (request) => ({
    status: 200,
    contentType: 'text/html; charset=utf-8',
    // No scripts and no third-party loads, ever: the page is plain HTML with inline styles.
    headers: { 'Content-Security-Policy': "default-src 'none'; style-src 'unsafe-inline'" },
    body: docsPage(currentIcs(), request.baseUrl),
  }),
  openApiDocument: async (request) => ({
    status: 200,
    contentType: 'application/json',
    body: openApiDocument({
      title: `${currentIcs().name} joined-up care API`,
      serverUrl: request.baseUrl,
      version: SOFTWARE_VERSION,
    }),
  }),
})
