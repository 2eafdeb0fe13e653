import { type RouteDeclaration, routes } from '../../infra/routes'
import { SPINE_ERROR_SYSTEM, type SpineCodeName, spineCodes } from '../../schemas/fhir/OperationOutcome'
import type { IcsRuntimeConfig } from '../../schemas/ics-config'

const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`)
const code = (text: string) => `<code>${escapeHtml(text)}</code>`

/** A docs page: every script and style is a file from /docs/assets (the CSP allows nothing inline). */
function layout(
  title: string,
  base: string,
  body: string,
  options: { scripts?: string[]; styles?: string[] } = {},
) {
  const styles = ['docs.css', ...(options.styles ?? [])]
    .map((name) => `<link rel="stylesheet" href="${base}/docs/assets/${name}">`)
    .join('')
  const scripts = (options.scripts ?? [])
    .map((name) => `<script src="${base}/docs/assets/${name}" defer></script>`)
    .join('')
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,">
<title>${escapeHtml(title)}</title>${styles}${scripts}</head>
<body><header><h1>${escapeHtml(title)}</h1>
<nav><a href="${base}/docs">Getting started</a><a href="${base}/docs/reference">API reference</a><a href="${base}/docs/events">Event catalogue</a><a href="${base}/docs/openapi.json">OpenAPI</a><a href="${base}/metadata">CapabilityStatement</a></nav></header>
<main>${body}</main>
<footer><p class="muted">Joined-up care APIs: FHIR R4 JSON, generated from the route declarations.</p></footer>
</body></html>`
}

/** The path in front of the API's own paths (API Gateway's stage, `/v1`; empty locally). */
export function basePathOf(baseUrl: string): string {
  return new URL(baseUrl).pathname.replace(/\/$/, '')
}

function table(head: string[], rows: string[][]): string {
  return `<div class="table"><table><tr>${head.map((cell) => `<th>${cell}</th>`).join('')}</tr>${rows
    .map((row) => `<tr>${row.map((cell) => `<td>${cell}</td>`).join('')}</tr>`)
    .join('\n')}</table></div>`
}

/** A test patient of the local demo stack (DESIGN.md "The local demo ICS"). */
export interface TestPatient {
  nhsNumber: string
  what: string
}

export interface GettingStartedOptions {
  /** The local stack: the page offers a token mint (never in the cloud). */
  local: boolean
  testPatients: readonly TestPatient[]
  /** The OpenAPI document, for the errors each operation answers. */
  openApi: OpenApiErrorsView
}

/** The part of the OpenAPI document the errors table reads. */
export interface OpenApiErrorsView {
  paths: Record<
    string,
    Record<
      string,
      {
        operationId?: string
        responses?: Record<
          string,
          { content?: Record<string, { examples?: Record<string, { summary?: string }> }> }
        >
      }
    >
  >
}

/** Every error code the document says an operation answers, with its statuses and operations. */
export function documentedErrors(openApi: OpenApiErrorsView) {
  const byCode = new Map<string, { statuses: Set<string>; operations: Set<string> }>()
  for (const methods of Object.values(openApi.paths)) {
    for (const operation of Object.values(methods)) {
      for (const [status, response] of Object.entries(operation.responses ?? {})) {
        if (!/^[45]/.test(status)) continue
        for (const name of Object.keys(response.content?.['application/fhir+json']?.examples ?? {})) {
          const entry = byCode.get(name) ?? { statuses: new Set(), operations: new Set() }
          entry.statuses.add(status)
          if (operation.operationId) entry.operations.add(operation.operationId)
          byCode.set(name, entry)
        }
      }
    }
  }
  return [...byCode].sort(([a], [b]) => (a < b ? -1 : 1))
}

/** The getting-started page: tokens, test patients, scopes, rate limit, paging, errors, try-it. */
export function gettingStartedPage(
  ics: IcsRuntimeConfig,
  baseUrl: string,
  options: GettingStartedOptions,
): string {
  const base = basePathOf(baseUrl)
  const scoped = (routes as readonly RouteDeclaration[]).filter((route) => route.scope !== null)
  const scopes = [...new Set(scoped.map((route) => route.scope!))]
  const scopeRows = scopes.map((scope) => [
    code(scope),
    scoped
      .filter((route) => route.scope === scope)
      .map((route) => code(`${route.method} ${route.path}`))
      .join('<br>'),
  ])
  const tokenHelp = options.local
    ? `<p>This is a <strong>local</strong> stack: its dev issuer mints tokens. Use the form below, or
<code>npm run --silent token -- --org NX001 --scopes "patient.read record.read"</code>, or the
OAuth2 client-credentials endpoint ${code(ics.auth.tokenUrl ?? '')} (client_id = your ODS code; the reference's
<em>Authorize</em> button uses it).</p>`
    : `<p>Get a token from ${escapeHtml(ics.name)}'s identity provider${
        ics.auth.tokenUrl ? ` at ${code(ics.auth.tokenUrl)}` : ''
      } (OAuth2 client credentials with a signed JWT assertion; see
<a href="${escapeHtml(baseUrl)}/.well-known/smart-configuration">SMART configuration</a>). Paste it below to try a call.</p>`
  const mint = options.local
    ? `<fieldset><legend>1. Mint a local token</legend>
<label>Organisation <select name="organisation">${ics.members
        .map(
          (member) =>
            `<option value="${escapeHtml(member.ods)}"${member.ods === 'NX001' ? ' selected' : ''}>${escapeHtml(
              `${member.ods} ${member.name}`,
            )}</option>`,
        )
        .join('')}</select></label><br>
${scopes
  .map(
    (scope) =>
      `<label><input type="checkbox" name="scope" value="${scope}"${scope === 'patient.read' ? ' checked' : ''}> ${scope}</label>`,
  )
  .join('\n')}<br>
<button type="button" id="mint">Mint token</button> <span id="token-scopes" class="muted"></span></fieldset>`
    : ''
  const errors = documentedErrors(options.openApi)
  const errorRows = errors.map(([name, entry]) => [
    code(name),
    [...entry.statuses].join(', '),
    escapeHtml(spineCodes[name as SpineCodeName]?.display ?? ''),
    [...entry.operations].map(code).join(' '),
  ])
  const body = `
<p>${escapeHtml(ics.name)}'s joined-up care API speaks FHIR R4 JSON (${code('application/fhir+json')}) at
${code(baseUrl)}. Errors carry the national services' codes (PDS, NRL, GP Connect), so a client written for
them works here unchanged. Machine-readable: <a href="${base}/docs/openapi.json">OpenAPI 3.1</a>,
<a href="${base}/metadata">CapabilityStatement</a>, <a href="${base}/.well-known/smart-configuration">SMART configuration</a>.</p>

<h2>1. Get a token</h2>
${tokenHelp}
<p>Every call but the docs, ${code('/metadata')} and ${code('/.well-known/*')} sends ${code(
    'Authorization: Bearer <JWT>',
  )}. Tokens carry ${code('requesting_organization')} (your ODS code, a member of ${escapeHtml(ics.ics)}),
${code('ics')} and ${code('scope')}; send ${code('X-Request-ID')} (a UUID) and ${code(
    'X-Correlation-ID',
  )} to trace a call: both come back on every answer.</p>

<h2>2. Try it</h2>
<form id="try-it" data-token-url="${escapeHtml(ics.auth.tokenUrl ?? '')}" data-base-url="${escapeHtml(baseUrl)}">
${mint}
<fieldset><legend>${options.local ? '2. ' : ''}Call the API</legend>
<label for="token">Token</label>
<textarea id="token" name="token" rows="3" placeholder="Bearer token"></textarea>
<label for="path">Request</label>
<input type="text" id="path" name="path" value="/Patient/9000000009">
<button type="button" id="call">GET</button></fieldset>
<pre id="try-result" aria-live="polite">The answer appears here.</pre>
</form>

<h2>Test patients</h2>
${
  options.testPatients.length
    ? table(
        ['NHS number', 'What it shows'],
        options.testPatients.map((patient) => [code(patient.nhsNumber), escapeHtml(patient.what)]),
      )
    : '<p>This stack reads the live PDS: use the test patients of your PDS environment.</p>'
}

<h2>Scopes</h2>
${table(['Scope', 'Operations'], scopeRows)}

<h2>Rate limit</h2>
<p>${ics.rateLimit.requestsPerMinute} requests a minute per organisation (all its apps together). Past it the
answer is ${code('429')} ${code('TOO_MANY_REQUESTS')} with ${code('Retry-After')} (seconds): wait that long,
then retry. The gateway also throttles the whole stage.</p>

<h2>Paging</h2>
<p>Searches answer a ${code('searchset')} Bundle, 20 entries a page unless ${code('_count')} (1 to 100) asks
otherwise. Follow ${code('link[relation=next]')} until there is none; its ${code('_cursor')} is opaque. Each
entry has ${code('fullUrl')} and ${code('search.mode')}. ${code('total')} counts every match (pointer
searches give it on their last page). Any search also works as ${code('POST [type]/_search')} with a form body.</p>

<h2>Errors</h2>
<p>Every error is a FHIR OperationOutcome; ${code('issue[0].details.coding[0]')} has system
${code(SPINE_ERROR_SYSTEM)} and one of these codes. This table is read from the OpenAPI document, so it lists
exactly what each operation declares.</p>
${table(['Code', 'Status', 'Meaning', 'Operations'], errorRows)}
`
  return layout(`${ics.name}: joined-up care API`, base, body, { scripts: ['try-it.js'] })
}

/** The interactive reference: Swagger UI over this deployment's OpenAPI document. */
export function referencePage(ics: IcsRuntimeConfig, baseUrl: string): string {
  const base = basePathOf(baseUrl)
  return layout(
    `${ics.name}: API reference`,
    base,
    `<div id="reference" data-openapi="${base}/docs/openapi.json"></div>`,
    {
      scripts: ['swagger-ui-bundle.js', 'reference.js'],
      styles: ['swagger-ui.css'],
    },
  )
}

/** One event of the catalogue (schemas/exported/event-catalogue.json, written by npm run docs). */
export interface CatalogueEvent {
  detailType: string
  description: string
  producers: { source: string; when: string; majors: number[] }[]
  consumers: { rule: string; function: string; majors: number[]; pattern: unknown }[]
  versions: {
    major: number
    version: string
    status: string
    schema: unknown
    example: unknown
    upcastsTo?: number
    changes: string[]
  }[]
}

const json = (value: unknown) => `<pre>${escapeHtml(JSON.stringify(value, null, 2))}</pre>`

/** The event catalogue: each event and version, its producers, consumers (rules), schema and example. */
export function eventCataloguePage(
  ics: IcsRuntimeConfig,
  baseUrl: string,
  events: readonly CatalogueEvent[],
): string {
  const base = basePathOf(baseUrl)
  const sections = events.map((event) => {
    const versions = event.versions
      .map(
        (
          version,
        ) => `<h3 id="${escapeHtml(`${event.detailType}-v${version.major}`)}">v${version.major} (${escapeHtml(
          version.version,
        )}, ${escapeHtml(version.status)})</h3>
${version.upcastsTo ? `<p>Consumers of v${version.upcastsTo} read it through an upcaster.</p>` : ''}
${
  version.changes.length
    ? `<p>Changes from v${version.major - 1}:</p><ul>${version.changes.map((change) => `<li>${code(change)}</li>`).join('')}</ul>`
    : ''
}
<details><summary>JSON Schema (detail)</summary>${json(version.schema)}</details>
<details><summary>Example event</summary>${json(version.example)}</details>`,
      )
      .join('\n')
    return `<section><h2 id="${escapeHtml(event.detailType)}">${escapeHtml(event.detailType)}</h2>
<p>${escapeHtml(event.description)}</p>
${table(
  ['Producer (source)', 'When', 'Majors'],
  event.producers.map((producer) => [
    code(producer.source),
    escapeHtml(producer.when),
    producer.majors.join(', '),
  ]),
)}
${
  event.consumers.length
    ? table(
        ['Consumer (rule)', 'Function', 'Majors', 'Rule pattern'],
        event.consumers.map((consumer) => [
          code(consumer.rule),
          code(consumer.function),
          consumer.majors.join(', '),
          json(consumer.pattern),
        ]),
      )
    : '<p>No consumer in this stack yet.</p>'
}
${versions}</section>`
  })
  const index = events.map(
    (event) => `<a href="#${escapeHtml(event.detailType)}">${escapeHtml(event.detailType)}</a>`,
  )
  const body = `<p>Every event on the ${code(`joinup-${ics.ics}`)} EventBridge bus. Envelope: ${code(
    'detail: { metadata: { id, version, occurredAt, correlationId, ics, producer }, data }',
  )}; rules route on the ${code('detail.metadata.version')} prefix of the major. Within a major only additive,
optional changes are allowed; a new major ships with an upcaster.</p>
<nav>${index.join('')}</nav>
${sections.join('\n')}`
  return layout(`${ics.name}: event catalogue`, base, body)
}
