import { existsSync, readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import JSON5 from 'json5'
import { describe, expect, it } from 'vitest'
import { compileEventPattern, InvalidEventPatternError } from '../../scripts/local/event-pattern'

// The AWS-verified cases live beside the repository, not in it; a clone without them skips this suite.
const repoRoot = path.resolve(import.meta.dirname, '../..')
const casesDir = path.resolve(repoRoot, '../shared/conformance/eventbridge-patterns')
const casesFound = existsSync(casesDir)

// The one case whose pattern repeats a key on purpose, so its pattern is handed over as JSON text.
const MULTI_KEY_EVENT = 'complex_multi_key_event.json'
const MULTI_KEY_PATTERN = 'complex_multi_key_event_pattern.json'

type Outcome = 'matches' | 'does not match' | 'is rejected'

interface ConformanceCase {
  readonly name: string
  readonly event: unknown
  readonly pattern: unknown
  readonly outcome: Outcome
}

function outcomeOf(fileName: string): Outcome {
  const stem = fileName.replace(/\.json5?$/, '')
  if (stem.endsWith('_EXC')) return 'is rejected'
  if (stem.endsWith('_NEG')) return 'does not match'
  return 'matches'
}

function readCase(fileName: string): ConformanceCase {
  const document: unknown = JSON5.parse(readFileSync(path.join(casesDir, fileName), 'utf8'))
  if (
    typeof document !== 'object' ||
    document === null ||
    !('Event' in document) ||
    !('EventPattern' in document)
  ) {
    throw new Error(`${fileName} must hold an Event and an EventPattern`)
  }
  return {
    name: fileName,
    event: document.Event,
    pattern: document.EventPattern,
    outcome: outcomeOf(fileName),
  }
}

function loadCases(): ConformanceCase[] {
  const fileNames = readdirSync(casesDir).sort()
  const cases = fileNames.filter((fileName) => fileName.endsWith('.json5')).map(readCase)
  if (fileNames.includes(MULTI_KEY_PATTERN)) {
    cases.push({
      name: MULTI_KEY_PATTERN,
      event: JSON.parse(readFileSync(path.join(casesDir, MULTI_KEY_EVENT), 'utf8')),
      pattern: readFileSync(path.join(casesDir, MULTI_KEY_PATTERN), 'utf8'),
      outcome: outcomeOf(MULTI_KEY_PATTERN),
    })
  }
  return cases
}

describe.skipIf(!casesFound)('EventBridge pattern conformance', () => {
  const cases = casesFound ? loadCases() : []

  it('finds all 156 AWS-verified cases', () => {
    expect(cases).toHaveLength(156)
  })

  for (const conformanceCase of cases) {
    it(conformanceCase.name, () => {
      const { event, pattern, outcome } = conformanceCase
      if (outcome === 'is rejected') {
        expect(() => compileEventPattern(pattern)).toThrow(InvalidEventPatternError)
      } else {
        expect(compileEventPattern(pattern).matches(event)).toBe(outcome === 'matches')
      }
    })
  }
})

if (!casesFound) {
  describe('EventBridge pattern conformance data', () => {
    it.skip(`is missing: expected the AWS-verified cases at ${casesDir}`, () => {})
  })
}
