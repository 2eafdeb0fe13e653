import { describe, expect, it } from 'vitest'
import { mutationModules } from '../../scripts/mutation/modules'
import { type MutantFacts, originalOf, scoreModule } from '../../scripts/mutation/score'
import { type SetAsideMutant, setAsideMutants } from '../../scripts/mutation/set-aside'

// `npm run mutation` scores each module from Stryker's JSON report, leaving out the
// survivors set aside in scripts/mutation/set-aside.ts.

const SOURCE = ['const a = 1', "if (x === 10) return 'message'", 'while (i < n) i++'].join('\n')

function mutant(
  status: string,
  line: number,
  from: number,
  to: number,
  mutatorName: string,
  replacement: string,
): MutantFacts {
  return {
    status,
    mutatorName,
    replacement,
    location: { start: { line, column: from }, end: { line, column: to } },
  }
}

const MODULE = { why: 'test', mutate: ['src/x.ts'], tests: [] }

const entry = (overrides: Partial<SetAsideMutant>): SetAsideMutant => ({
  file: 'src/x.ts',
  mutator: 'StringLiteral',
  original: "'message'",
  replacement: '""',
  kind: 'message-only',
  why: 'test',
  ...overrides,
})

describe('originalOf', () => {
  it('cuts the mutated code out of the source by 1-based line and column', () => {
    expect(originalOf(SOURCE, { start: { line: 2, column: 5 }, end: { line: 2, column: 13 } })).toBe(
      'x === 10',
    )
  })

  it('spans lines', () => {
    expect(originalOf(SOURCE, { start: { line: 1, column: 11 }, end: { line: 2, column: 3 } })).toBe('1\nif')
  })
})

describe('scoreModule', () => {
  const report = {
    'src/x.ts': {
      source: SOURCE,
      mutants: [
        mutant('Killed', 1, 11, 12, 'NumberLiteral', '0'),
        mutant('Timeout', 3, 8, 13, 'ConditionalExpression', 'true'),
        mutant('Survived', 2, 22, 31, 'StringLiteral', '""'),
        mutant('NoCoverage', 2, 5, 13, 'ConditionalExpression', 'false'),
      ],
    },
  }

  it('scores detected (killed or timed out) over detected and undetected', () => {
    // Act
    const score = scoreModule('x', MODULE, report, 1, [])

    // Assess
    expect(score).toMatchObject({ total: 4, killed: 1, timedOut: 1, survived: 1, noCoverage: 1, score: 50 })
    expect(score.undetected).toHaveLength(2)
  })

  it('leaves a set-aside survivor out of the adjusted score', () => {
    // Act
    const score = scoreModule('x', MODULE, report, 1, [entry({})])

    // Assess
    expect(score.setAside).toBe(1)
    expect(score.adjusted).toBeCloseTo(66.67, 2)
    expect(score.undetected).toEqual(['src/x.ts:2 ConditionalExpression [NoCoverage]: x === 10 → false'])
    expect(score.unusedSetAsides).toEqual([])
  })

  it('reports an entry that matches no survivor as stale', () => {
    // Act
    const score = scoreModule('x', MODULE, report, 1, [entry({ original: "'other'" })])

    // Assess
    expect(score.setAside).toBe(0)
    expect(score.unusedSetAsides).toHaveLength(1)
  })

  it('does not call an entry stale when its mutant timed out (a loaded machine), and counts it detected', () => {
    // Prepare: the entry names the mutant on line 3, which timed out this run
    const timedOut = entry({
      mutator: 'ConditionalExpression',
      original: 'i < n',
      replacement: 'true',
      kind: 'equivalent',
    })

    // Act
    const score = scoreModule('x', MODULE, report, 1, [timedOut])

    // Assess
    expect(score.unusedSetAsides).toEqual([])
    expect(score.setAside).toBe(0)
    expect(score.timedOut).toBe(1)
  })

  it('sets aside no more mutants with the same text than the entry names', () => {
    // Prepare: the same survivor text twice, an entry naming one
    const twice = {
      'src/x.ts': {
        source: SOURCE,
        mutants: [report['src/x.ts'].mutants[2]!, report['src/x.ts'].mutants[2]!],
      },
    }

    // Act
    const score = scoreModule('x', MODULE, twice, 1, [entry({})])

    // Assess
    expect(score.setAside).toBe(1)
    expect(score.undetected).toHaveLength(1)
  })
})

describe('the mutation configuration', () => {
  it('sets aside only mutants of files that some module mutates, each with a reason', () => {
    const mutated = new Set(Object.values(mutationModules).flatMap((module) => module.mutate))

    for (const aside of setAsideMutants) {
      expect(mutated.has(aside.file), aside.file).toBe(true)
      expect(aside.why.length).toBeGreaterThan(10)
    }
  })
})
