import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { withArchitecture } from '../infra/architecture'
import { docsDocuments } from '../schemas/docs-documents'

// `npm run docs`: writes the OpenAPI document and the event catalogue (committed; the
// docs function serves them) and the README's architecture diagram. A contract test fails
// when any of them is stale.
const root = join(import.meta.dirname, '..')
for (const [path, document] of Object.entries(docsDocuments(root))) {
  await writeFile(join(root, path), `${JSON.stringify(document, null, 2)}\n`)
  console.log(`wrote ${path}`)
}
const readme = join(root, 'README.md')
await writeFile(readme, withArchitecture(await readFile(readme, 'utf8')))
console.log('wrote the architecture diagram in README.md')
