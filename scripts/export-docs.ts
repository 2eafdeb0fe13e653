import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { docsDocuments } from '../schemas/docs-documents'

// `npm run docs`: writes the OpenAPI document and the event catalogue (committed; the
// docs function serves them). A contract test fails when either is stale.
const root = join(import.meta.dirname, '..')
for (const [path, document] of Object.entries(docsDocuments(root))) {
  await writeFile(join(root, path), `${JSON.stringify(document, null, 2)}\n`)
  console.log(`wrote ${path}`)
}
