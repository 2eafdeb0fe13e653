import { eventRules } from './event-rules'
import { type FunctionDeclaration, type FunctionName, functions } from './functions'
import { routes } from './routes'

const ACCESS_LABEL = {
  read: 'reads',
  append: 'appends',
  readWrite: 'writes',
  count: 'counts',
  write: 'updates',
} as const

/**
 * The architecture diagram (Mermaid) of one ICS stack, drawn from the declarations (routes,
 * functions and their table grants, event rules) so it cannot drift: the README embeds it
 * and test/contract/docs-site.test.ts fails when the README's copy differs.
 */
export function architectureDiagram(): string {
  const lines = [
    'flowchart LR',
    '  app(["Partner app / FHIR client"]) -->|"HTTPS, bearer JWT"| api["API Gateway REST<br>(WAF, throttling)"]',
    '  bus{{"EventBridge bus<br>(archive, DLQ)"}}',
  ]
  const tablesUsed = new Set<string>()
  for (const [name, declaration] of Object.entries(functions) as [FunctionName, FunctionDeclaration][]) {
    const served = routes.filter((route) => route.function === name)
    lines.push(`  ${name}["λ ${name}"]`)
    if (served.length) {
      const label = served.map((route) => `${route.method} ${route.path}`).join('<br>')
      lines.push(`  api -->|"${label}"| ${name}`)
    }
    for (const [table, access] of Object.entries(declaration.tables)) {
      tablesUsed.add(table)
      lines.push(`  ${name} -->|${ACCESS_LABEL[access]}| ${table}Table`)
    }
    if (declaration.publishesEvents) lines.push(`  ${name} -->|PutEvents| bus`)
  }
  for (const rule of eventRules) {
    const events = rule.consumes.map((consumed) => `${consumed.detailType} v${consumed.majors.join('/')}`)
    lines.push(`  bus -->|"${rule.name}: ${events.join('<br>')}"| ${rule.name}Queue[/"SQS + DLQ"/]`)
    lines.push(`  ${rule.name}Queue --> ${rule.consumer}`)
  }
  for (const table of [...tablesUsed].sort()) lines.push(`  ${table}Table[("DynamoDB ${table}")]`)
  return lines.join('\n')
}

/** The README block that holds the diagram. */
export const ARCHITECTURE_MARKERS = {
  begin:
    '<!-- architecture:begin (npm run docs writes this diagram from infra/; edit outside the markers) -->',
  end: '<!-- architecture:end -->',
} as const

/** The README with its architecture block replaced by the current diagram. */
export function withArchitecture(readme: string): string {
  const block = `${ARCHITECTURE_MARKERS.begin}\n\`\`\`mermaid\n${architectureDiagram()}\n\`\`\`\n${ARCHITECTURE_MARKERS.end}`
  const start = readme.indexOf(ARCHITECTURE_MARKERS.begin)
  const end = readme.indexOf(ARCHITECTURE_MARKERS.end)
  if (start < 0 || end < 0) throw new Error('README.md has no architecture markers')
  return readme.slice(0, start) + block + readme.slice(end + ARCHITECTURE_MARKERS.end.length)
}
