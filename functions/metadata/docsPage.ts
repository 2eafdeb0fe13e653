import { type RouteDeclaration, routes } from '../../infra/routes'
import { SPINE_ERROR_SYSTEM, spineCodes } from '../../schemas/fhir/OperationOutcome'
import type { IcsRuntimeConfig } from '../../schemas/ics-config'

const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`)

/**
 * A self-contained HTML reference page (no scripts, no CDN: it must work on an NHS
 * network and inside a 500 KB Lambda bundle). Tools read /docs/openapi.json instead.
 */
export function docsPage(ics: IcsRuntimeConfig, baseUrl: string): string {
  const rows = (routes as readonly RouteDeclaration[])
    .map(
      (route) =>
        `<tr><td><code>${route.method}</code></td><td><code>${escapeHtml(route.path)}</code></td><td>${escapeHtml(
          route.summary,
        )}</td><td>${route.scope ? `<code>${route.scope}</code>` : 'public'}</td></tr>`,
    )
    .join('\n')
  const codes = Object.entries(spineCodes)
    .map(
      ([code, spec]) =>
        `<tr><td><code>${escapeHtml(code)}</code></td><td>${spec.status}</td><td>${escapeHtml(spec.display)}</td></tr>`,
    )
    .join('\n')
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(ics.name)} joined-up care API</title>
<style>body{font-family:system-ui,sans-serif;max-width:70rem;margin:2rem auto;padding:0 1rem;color:#212b32}
table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid #d8dde0;padding:.4rem;text-align:left;vertical-align:top}
code{background:#f0f4f5;padding:0 .2rem}</style></head>
<body>
<h1>${escapeHtml(ics.name)}: joined-up care API</h1>
<p>FHIR R4 JSON (<code>application/fhir+json</code>). Base URL <code>${escapeHtml(baseUrl)}</code>.
Machine-readable: <a href="${escapeHtml(baseUrl)}/docs/openapi.json">OpenAPI</a>,
<a href="${escapeHtml(baseUrl)}/metadata">CapabilityStatement</a>.</p>
<h2>Access</h2>
<p>Send <code>Authorization: Bearer &lt;JWT&gt;</code> signed (RS256 or ES256) by <code>${escapeHtml(ics.auth.issuer)}</code>
for audience <code>${escapeHtml(ics.auth.audience)}</code>, with the claims <code>sub</code>, <code>requesting_organization</code>
(your ODS code), <code>ics</code> (<code>${escapeHtml(ics.ics)}</code>) and <code>scope</code>. Send <code>X-Request-ID</code>
(a UUID) and <code>X-Correlation-ID</code>; both come back on every response.</p>
<h2>Operations</h2>
<table><tr><th>Method</th><th>Path</th><th>What it does</th><th>Scope</th></tr>
${rows}
</table>
<h2>Errors</h2>
<p>Every error is a FHIR OperationOutcome; <code>issue[0].details.coding[0]</code> has system
<code>${SPINE_ERROR_SYSTEM}</code> and one of these codes, as the national services use them.</p>
<table><tr><th>Code</th><th>Usual status</th><th>Meaning</th></tr>
${codes}
</table>
</body></html>`
}
