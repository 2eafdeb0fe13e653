import * as z from 'zod/mini'
import { eventRules, patternOf } from '../infra/event-rules'
import { envelopeOf } from './events/envelope'
import { type DetailType, type EventVersion, eventRegistry } from './events/registry'

/** Where `npm run schemas` writes, from the repository root. */
export const EXPORT_DIR = 'schemas/exported'

/** The JSON Schema (draft-04, which the EventBridge schema registry accepts) of one event version's detail. */
export function eventSchemaDocument(detailType: DetailType, major: number): Record<string, unknown> {
  const version = (eventRegistry[detailType].versions as Readonly<Record<number, EventVersion>>)[major]
  if (!version) throw new Error(`${detailType} has no major ${major}`)
  return {
    ...(z.toJSONSchema(envelopeOf(version.strict, 'strict'), { target: 'draft-4' }) as Record<
      string,
      unknown
    >),
    title: `${detailType} v${major}`,
    description: `${eventRegistry[detailType].description} Version ${version.version} (${version.status}).`,
  }
}

/** The rules (consumers) that read a detail-type, with the majors each accepts and its pattern. */
export function consumersOf(detailType: string) {
  return eventRules
    .filter((rule) => rule.consumes.some((consumed) => consumed.detailType === detailType))
    .map((rule) => ({
      rule: rule.name,
      function: rule.consumer,
      majors: rule.consumes.find((consumed) => consumed.detailType === detailType)!.majors,
      pattern: patternOf(rule),
    }))
}

/** Every exported file, by path under EXPORT_DIR: one schema per event version, and the registry. */
export function exportedDocuments(): Record<string, unknown> {
  const documents: Record<string, unknown> = {}
  const registry: Record<string, unknown> = {}
  for (const detailType of Object.keys(eventRegistry) as DetailType[]) {
    const definition = eventRegistry[detailType]
    const versions = definition.versions as Readonly<Record<number, EventVersion>>
    for (const major of Object.keys(versions).map(Number)) {
      documents[`events/${detailType}/v${major}.json`] = eventSchemaDocument(detailType, major)
    }
    registry[detailType] = {
      description: definition.description,
      versions: Object.fromEntries(
        Object.entries(versions).map(([major, version]) => [
          major,
          {
            version: version.version,
            status: version.status,
            schema: `events/${detailType}/v${major}.json`,
            upcastsTo: version.upcast ? Number(major) + 1 : undefined,
          },
        ]),
      ),
      producers: definition.producers,
      consumers: consumersOf(detailType),
    }
  }
  documents['events/registry.json'] = registry
  return documents
}
