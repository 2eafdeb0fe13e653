import { DEMO_TEST_PATIENTS } from '../../schemas/api/test-patients'
import { LOCAL_DEV_ISSUER } from '../../schemas/ics-config'
import { FhirError } from '../shared/errors'
import { type HttpResult, httpApi } from '../shared/http'
import { currentIcs } from '../shared/ics'
import { assetText, servedAssets } from './assets'
import {
  type CatalogueEvent,
  eventCataloguePage,
  gettingStartedPage,
  type OpenApiErrorsView,
  referencePage,
} from './pages'

const OPENAPI_FILE = 'schemas/exported/openapi.json'
const CATALOGUE_FILE = 'schemas/exported/event-catalogue.json'

/**
 * Pages load scripts and styles from this deployment only and may not be framed
 * (clickjacking); the try-it calls the API on the same origin.
 */
const PAGE_SECURITY = {
  'Content-Security-Policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; " +
    "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'no-referrer',
}

function page(body: string): HttpResult {
  return { status: 200, contentType: 'text/html; charset=utf-8', headers: PAGE_SECURITY, body }
}

let openApi: Record<string, unknown> | undefined
const openApiDocument = () => (openApi ??= JSON.parse(assetText(OPENAPI_FILE)) as Record<string, unknown>)

/**
 * The committed OpenAPI document (npm run docs) as this deployment serves it: its own
 * base URL as the server, and its ICS's token endpoint for the client-credentials flow.
 */
function deployedOpenApi(baseUrl: string): Record<string, unknown> {
  const document = structuredClone(openApiDocument()) as {
    servers: unknown
    components: { securitySchemes: { smart: { flows: { clientCredentials: { tokenUrl: string } } } } }
  }
  document.servers = [{ url: baseUrl, description: currentIcs().name }]
  const tokenUrl = currentIcs().auth.tokenUrl
  if (tokenUrl) document.components.securitySchemes.smart.flows.clientCredentials.tokenUrl = tokenUrl
  return document
}

/** The docs site: GET /docs, /docs/reference, /docs/events, /docs/openapi.json, /docs/assets/{asset}. */
export const handler = httpApi('docs', {
  docsPage: async (request) => {
    const ics = currentIcs()
    // Only the local stack's dev issuer mints tokens; a deployed stack's page never offers it.
    const local = ics.auth.issuer === LOCAL_DEV_ISSUER
    return page(
      gettingStartedPage(ics, request.baseUrl, {
        local,
        testPatients: local ? DEMO_TEST_PATIENTS : [],
        openApi: openApiDocument() as unknown as OpenApiErrorsView,
      }),
    )
  },
  apiReference: async (request) => page(referencePage(currentIcs(), request.baseUrl)),
  eventCatalogue: async (request) =>
    page(
      eventCataloguePage(
        currentIcs(),
        request.baseUrl,
        (JSON.parse(assetText(CATALOGUE_FILE)) as { events: CatalogueEvent[] }).events,
      ),
    ),
  openApiDocument: async (request) => ({
    status: 200,
    contentType: 'application/json',
    body: deployedOpenApi(request.baseUrl),
  }),
  docsAsset: async (request) => {
    const asset = servedAssets.get(request.pathParameters.asset ?? '')
    if (!asset) throw new FhirError('NOT_FOUND', 'No such docs asset')
    return {
      status: 200,
      contentType: asset.contentType,
      headers: { 'Cache-Control': 'public, max-age=3600' },
      body: assetText(asset.path),
    }
  },
})
