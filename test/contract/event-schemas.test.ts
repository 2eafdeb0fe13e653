import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { eventRules, patternOf } from '../../infra/event-rules'
import { breakingChanges, type JsonSchema } from '../../schemas/compat'
import { envelopeOf } from '../../schemas/events/envelope'
import {
  type DetailType,
  type EventVersion,
  eventRegistry,
  readEventData,
} from '../../schemas/events/registry'
import { EXPORT_DIR, eventSchemaDocument, exportedDocuments } from '../../schemas/exported-documents'
import { compileEventPattern } from '../../scripts/local/event-pattern'

const ROOT = join(import.meta.dirname, '..', '..')
const detailTypes = Object.keys(eventRegistry) as DetailType[]
const versionsOf = (detailType: DetailType) =>
  Object.entries(eventRegistry[detailType].versions as Readonly<Record<number, EventVersion>>).map(
    ([major, version]) => ({ major: Number(major), version }),
  )
const exampleOf = (detailType: DetailType, major: number) =>
  JSON.parse(readFileSync(join(ROOT, 'schemas', 'events', detailType, `v${major}.example.json`), 'utf8')) as {
    'detail-type': string
    detail: { metadata: { version: string }; data: unknown }
  }
const snapshotOf = (path: string): JsonSchema | undefined => {
  const file = join(ROOT, EXPORT_DIR, path)
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as JsonSchema) : undefined
}

describe('the breaking-change gate', () => {
  for (const detailType of detailTypes) {
    for (const { major } of versionsOf(detailType)) {
      it(`keeps ${detailType} v${major} compatible with its released snapshot`, () => {
        // Prepare
        const snapshot = snapshotOf(`events/${detailType}/v${major}.json`)
        expect(
          snapshot,
          `no snapshot of ${detailType} v${major}: run npm run schemas and commit it`,
        ).toBeDefined()
        // Act
        const current = eventSchemaDocument(detailType, major) as JsonSchema
        // Assess
        expect(
          breakingChanges(snapshot!, current),
          'breaking change within a major: ship a new major instead',
        ).toEqual([])
        expect(current, 'the schema changed compatibly: run npm run schemas to refresh the snapshot').toEqual(
          snapshot,
        )
      })
    }
  }

  it('has every exported document up to date (npm run schemas)', () => {
    for (const [path, document] of Object.entries(exportedDocuments())) {
      expect(snapshotOf(path), `${EXPORT_DIR}/${path} is stale: run npm run schemas`).toEqual(
        JSON.parse(JSON.stringify(document)),
      )
    }
  })
})

describe('breakingChanges on a mutated copy of a released schema', () => {
  const released = () => structuredClone(snapshotOf('events/RecordHolderRegistered/v2.json')!) as JsonSchema
  const data = (schema: JsonSchema) => schema.properties!.data!

  it('fails on a removed field', () => {
    const next = released()
    delete data(next).properties!.endpoint
    expect(breakingChanges(released(), next)).toContain('$.data.endpoint: removed')
  })

  it('fails on a changed type', () => {
    const next = released()
    data(next).properties!.nhsNumber = { type: 'number' }
    expect(breakingChanges(released(), next)).toEqual([
      expect.stringContaining('$.data.nhsNumber: type changed'),
    ])
  })

  it('fails on a new required field', () => {
    const next = released()
    data(next).properties!.consent = { type: 'boolean' }
    data(next).required = [...(data(next).required ?? []), 'consent']
    expect(breakingChanges(released(), next)).toContain('$.data.consent: became required')
  })

  it('fails on an optional field made required', () => {
    const next = released()
    data(next).required = [...(data(next).required ?? []), 'endpoint']
    expect(breakingChanges(released(), next)).toContain('$.data.endpoint: became required')
  })

  it('fails on a narrowed enum', () => {
    const before = structuredClone(snapshotOf('events/RecordHolderRemoved/v1.json')!) as JsonSchema
    const next = structuredClone(before)
    const reason = data(next).properties!.reason!
    reason.enum = reason.enum!.filter((value) => value !== 'patient-moved')
    expect(breakingChanges(before, next)).toContain('$.data.reason: enum narrowed (lost patient-moved)')
  })

  it('allows a new optional field', () => {
    const next = released()
    data(next).properties!.note = { type: 'string' }
    expect(breakingChanges(released(), next)).toEqual([])
  })

  it('allows a widened enum', () => {
    const before = structuredClone(snapshotOf('events/RecordHolderRemoved/v1.json')!) as JsonSchema
    const next = structuredClone(before)
    data(next).properties!.reason!.enum = [...data(next).properties!.reason!.enum!, 'merged']
    expect(breakingChanges(before, next)).toEqual([])
  })
})

describe('producer and consumer contracts', () => {
  for (const detailType of detailTypes) {
    for (const { major, version } of versionsOf(detailType)) {
      it(`has a ${detailType} v${major} example that its producers' strict schema accepts`, () => {
        const example = exampleOf(detailType, major)
        expect(example['detail-type']).toBe(detailType)
        expect(example.detail.metadata.version).toBe(version.version)
        expect(() => envelopeOf(version.strict, 'strict').parse(example.detail)).not.toThrow()
      })

      const consumers = eventRules.filter((rule) =>
        rule.consumes.some(
          (consumed) => consumed.detailType === detailType && consumed.majors.includes(major),
        ),
      )
      it(`has a consumer for ${detailType} v${major}`, () => {
        expect(consumers.length).toBeGreaterThan(0)
      })
      for (const rule of consumers) {
        it(`delivers the ${detailType} v${major} example to ${rule.name}, which can read it`, () => {
          // Prepare
          const example = exampleOf(detailType, major)
          const targetMajor = Math.max(
            ...rule.consumes.find((consumed) => consumed.detailType === detailType)!.majors,
          )
          // Act and Assess: the rule's pattern matches, and the data reads at the consumer's major
          expect(compileEventPattern(patternOf(rule)).matches(example)).toBe(true)
          const read = readEventData(
            detailType,
            example.detail.metadata.version,
            example.detail.data,
            targetMajor,
          )
          const target = (eventRegistry[detailType].versions as Readonly<Record<number, EventVersion>>)[
            targetMajor
          ]!
          expect(() => target.tolerant.parse(read)).not.toThrow()
        })
      }
    }
  }

  it('routes on the version prefix: a major no rule accepts reaches no consumer', () => {
    const example = exampleOf('RecordHolderRegistered', 2)
    const v3 = {
      ...example,
      detail: { ...example.detail, metadata: { ...example.detail.metadata, version: '3.0' } },
    }
    for (const rule of eventRules) expect(compileEventPattern(patternOf(rule)).matches(v3)).toBe(false)
  })

  it('upcasts the v1 RecordHolderRegistered example into a valid v2, coding its free-text type', () => {
    const v1 = exampleOf('RecordHolderRegistered', 1)
    const v2 = readEventData('RecordHolderRegistered', '1.0', v1.detail.data, 2)
    expect(eventRegistry.RecordHolderRegistered.versions[2].strict.parse(v2)).toMatchObject({
      recordType: { system: 'http://snomed.info/sct', code: '824321000000109' },
    })
  })

  it('declares rules only for registered events and majors', () => {
    for (const rule of eventRules) {
      for (const consumed of rule.consumes) {
        const definition = eventRegistry[consumed.detailType as DetailType]
        expect(definition, `${rule.name} consumes unknown ${consumed.detailType}`).toBeDefined()
        for (const major of consumed.majors) expect(Object.keys(definition.versions)).toContain(String(major))
      }
    }
  })
})
