import { mkdir, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { EXPORT_DIR, exportedDocuments } from '../schemas/exported-documents'

// `npm run schemas`: writes the JSON Schema of every event version and the event registry
// to schemas/exported (committed). The contract tests compare them with the schemas and
// refuse a breaking change within a major.
const root = join(import.meta.dirname, '..')
for (const [path, document] of Object.entries(exportedDocuments())) {
  const file = join(root, EXPORT_DIR, path)
  await mkdir(dirname(file), { recursive: true })
  await writeFile(file, `${JSON.stringify(document, null, 2)}\n`)
  console.log(`wrote ${EXPORT_DIR}/${path}`)
}
