import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'

const ROOT = join(import.meta.dirname, '..', '..')

/** Schema modules Lambda bundles import: every zod schema built at their top level must be droppable. */
const RUNTIME_SCHEMA_FILES = [
  ...readdirSync(join(ROOT, 'schemas/fhir')).map((file) => `schemas/fhir/${file}`),
  ...readdirSync(join(ROOT, 'schemas/events'), { recursive: true, encoding: 'utf8' })
    .filter((file) => file.endsWith('.ts') && file !== 'registry.ts')
    .map((file) => `schemas/events/${file}`),
  'schemas/auth.ts',
  'schemas/ics-config.ts',
  'schemas/ics-policy.ts',
].filter((file) => file.endsWith('.ts'))

// A zod factory call (`z.string(`, `z\n  .array(`), not a type (`z.infer<`) or a parse.
const ZOD_CALL = /(?<![\w.$])z(?=\s*\.\s*(?!infer\b|input\b|output\b|parse\b|safeParse\b)[a-z_]\w*\s*[(<])/g

describe('zod schemas in runtime schema modules', () => {
  it.each(RUNTIME_SCHEMA_FILES)('%s marks every zod factory call /* @__PURE__ */', (file) => {
    // Prepare
    const source = readFileSync(join(ROOT, file), 'utf8')
    // Act
    const unmarked = [...source.matchAll(ZOD_CALL)]
      .filter((match) => !/\/\* @__PURE__ \*\/\s*$/.test(source.slice(0, match.index)))
      .map((match) => source.slice(0, match.index).split('\n').length)
    // Assess: esbuild drops a schema nobody reads only when the whole expression is marked pure
    // (zod's own @__NO_SIDE_EFFECTS__ does not reach across files), so one unmarked call keeps
    // every schema of the module, and zod, in each bundle that imports anything from it.
    expect(unmarked, `unmarked zod calls at lines ${unmarked.join(', ')}`).toEqual([])
  })
})
