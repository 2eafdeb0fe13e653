import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { breakingChanges, type JsonSchema } from './compat'
import { type DetailType, type EventVersion, eventRegistry } from './events/registry'
import { consumersOf, eventSchemaDocument } from './exported-documents'

/** What changed in a detail's data between two majors: removed, changed and added fields. */
export function changesBetween(before: JsonSchema, after: JsonSchema): string[] {
  const dataOf = (schema: JsonSchema) => schema.properties?.data ?? schema
  const was = dataOf(before)
  const now = dataOf(after)
  const added = breakingChanges(now, was, 'data')
    .filter((change) => change.endsWith(': removed'))
    .map((change) => change.replace(/: removed$/, ': added'))
  return [...breakingChanges(was, now, 'data'), ...added]
}

/**
 * The event catalogue the docs site shows (`npm run docs` writes it to
 * schemas/exported/event-catalogue.json): every event of the registry and each of its
 * versions, with producers, consumers (the rules of infra/event-rules.ts and their
 * patterns), the JSON Schema, the example beside the schema and the changes from the
 * previous major.
 */
export function eventCatalogue(root: string) {
  const events = (Object.keys(eventRegistry) as DetailType[]).map((detailType) => {
    const definition = eventRegistry[detailType]
    const versions = definition.versions as Readonly<Record<number, EventVersion>>
    const majors = Object.keys(versions)
      .map(Number)
      .sort((a, b) => a - b)
    return {
      detailType,
      description: definition.description,
      producers: definition.producers,
      consumers: consumersOf(detailType),
      versions: majors.map((major, index) => {
        const version = versions[major]!
        const schema = eventSchemaDocument(detailType, major)
        const previous = index > 0 ? eventSchemaDocument(detailType, majors[index - 1]!) : undefined
        return {
          major,
          version: version.version,
          status: version.status,
          ...(version.upcast ? { upcastsTo: major + 1 } : {}),
          changes: previous ? changesBetween(previous as JsonSchema, schema as JsonSchema) : [],
          schema,
          example: JSON.parse(
            readFileSync(join(root, 'schemas', 'events', detailType, `v${major}.example.json`), 'utf8'),
          ) as unknown,
        }
      }),
    }
  })
  return { events }
}
