import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import * as eventschemas from 'aws-cdk-lib/aws-eventschemas'
import { Construct } from 'constructs'
import { EXPORT_DIR } from '../../schemas/exported-documents'
import { REPO_ROOT } from './JoinupFunction'

interface ExportedRegistry {
  [detailType: string]: {
    description: string
    versions: Record<string, { version: string; status: string; schema: string }>
    producers: { source: string; majors: number[] }[]
  }
}

/** The registry name of an ICS's event schemas. */
export function schemaRegistryNameOf(ics: string): string {
  return `joinup-${ics}-events`
}

/** The schema name of one event version in the registry, e.g. `RecordHolderRegistered.v2`. */
export function schemaNameOf(detailType: string, major: number | string): string {
  return `${detailType}.v${major}`
}

/**
 * The ICS's EventBridge schema registry, holding every event version `npm run schemas`
 * exported (schemas/exported, committed and kept fresh by the contract tests): producers,
 * consumers and code bindings read the contract from the account itself. Each schema is an
 * EventBridge event whose `detail` is the exported JSON Schema (draft-04, which the registry
 * accepts as JSONSchemaDraft4).
 */
export class EventSchemas extends Construct {
  readonly registry: eventschemas.CfnRegistry

  constructor(scope: Construct, id: string, props: { ics: string; exportDir?: string }) {
    super(scope, id)
    const dir = props.exportDir ?? join(REPO_ROOT, EXPORT_DIR)
    const exported = JSON.parse(
      readFileSync(join(dir, 'events', 'registry.json'), 'utf8'),
    ) as ExportedRegistry
    this.registry = new eventschemas.CfnRegistry(this, 'Registry', {
      registryName: schemaRegistryNameOf(props.ics),
      description: `Events on the joinup-${props.ics} bus, one schema per major version`,
    })
    for (const [detailType, definition] of Object.entries(exported)) {
      for (const [major, version] of Object.entries(definition.versions)) {
        const detail = JSON.parse(readFileSync(join(dir, version.schema), 'utf8')) as Record<string, unknown>
        const { $schema, title, description, ...detailSchema } = detail
        new eventschemas.CfnSchema(this, `${detailType}V${major}`, {
          registryName: this.registry.attrRegistryName,
          schemaName: schemaNameOf(detailType, major),
          type: 'JSONSchemaDraft4',
          description: `${detailType} ${version.version} (${version.status})`,
          content: JSON.stringify({
            $schema,
            title,
            description,
            type: 'object',
            required: ['detail-type', 'source', 'detail'],
            properties: {
              'detail-type': { type: 'string', enum: [detailType] },
              source: {
                type: 'string',
                enum: [
                  ...new Set(
                    definition.producers
                      .filter((producer) => producer.majors.includes(Number(major)))
                      .map((producer) => producer.source),
                  ),
                ],
              },
              detail: detailSchema,
            },
          }),
        })
      }
    }
  }
}
