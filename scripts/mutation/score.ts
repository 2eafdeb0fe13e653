import type { MutationModule } from './modules'
import { type SetAsideMutant, setAsideMutants } from './set-aside'

/** A mutant as Stryker's JSON report (mutation-testing-report-schema) describes it: 1-based lines and columns. */
export interface MutantFacts {
  mutatorName: string
  replacement?: string
  status: string
  location: { start: { line: number; column: number }; end: { line: number; column: number } }
}

/** One module's result. Scores are Stryker's: detected / (detected + undetected), in percent. */
export interface ModuleScore {
  name: string
  threshold: number
  total: number
  killed: number
  timedOut: number
  survived: number
  noCoverage: number
  setAside: number
  score: number
  /** The score with the set-aside (equivalent and message-only) survivors left out. */
  adjusted: number
  /** Survivors that are not set aside, as `file:line mutator: original → replacement`. */
  undetected: string[]
  /** Set-aside entries of this module that matched fewer survivors than they name (stale: the code or the tests changed). */
  unusedSetAsides: string[]
  seconds: number
}

/** Spaces collapsed, so an entry survives reformatting. */
export function collapse(code: string): string {
  return code.replace(/\s+/g, ' ').trim()
}

/** The source text a mutant replaces. */
export function originalOf(source: string, location: MutantFacts['location']): string {
  const lines = source.split('\n')
  const { start, end } = location
  if (start.line === end.line) return lines[start.line - 1]!.slice(start.column - 1, end.column - 1)
  return [
    lines[start.line - 1]!.slice(start.column - 1),
    ...lines.slice(start.line, end.line - 1),
    lines[end.line - 1]!.slice(0, end.column - 1),
  ].join('\n')
}

/** Whether a set-aside entry names this mutant: same file and mutator, same code before and after. */
export function matches(entry: SetAsideMutant, file: string, mutant: MutantFacts, original: string): boolean {
  return (
    entry.file === file &&
    entry.mutator === mutant.mutatorName &&
    collapse(entry.original) === collapse(original) &&
    collapse(entry.replacement) === collapse(mutant.replacement ?? '')
  )
}

/** Scores one module from its report's files, leaving out the survivors named in set-aside.ts. */
export function scoreModule(
  name: string,
  module: MutationModule,
  files: Record<string, { source: string; mutants: MutantFacts[] }>,
  seconds: number,
  entries: readonly SetAsideMutant[] = setAsideMutants,
): ModuleScore {
  const own = entries.filter((entry) => module.mutate.includes(entry.file))
  const used = new Map<SetAsideMutant, number>()
  const room = (entry: SetAsideMutant) => (used.get(entry) ?? 0) < (entry.occurrences ?? 1)
  const count = { killed: 0, timedOut: 0, survived: 0, noCoverage: 0, setAside: 0, total: 0 }
  const undetected: string[] = []
  for (const [file, { source, mutants }] of Object.entries(files)) {
    for (const mutant of mutants) {
      count.total++
      if (mutant.status === 'Killed') count.killed++
      else if (mutant.status === 'Timeout') {
        count.timedOut++
        // On a loaded machine a named mutant can time out instead of surviving: the entry is
        // not stale then (the code did not move on), and the mutant counts as detected.
        const entry = own.find(
          (candidate) =>
            room(candidate) && matches(candidate, file, mutant, originalOf(source, mutant.location)),
        )
        if (entry) used.set(entry, (used.get(entry) ?? 0) + 1)
      } else if (mutant.status === 'Survived' || mutant.status === 'NoCoverage') {
        if (mutant.status === 'Survived') count.survived++
        else count.noCoverage++
        const original = originalOf(source, mutant.location)
        const entry = own.find((candidate) => room(candidate) && matches(candidate, file, mutant, original))
        if (entry) {
          used.set(entry, (used.get(entry) ?? 0) + 1)
          count.setAside++
        } else {
          undetected.push(
            `${file}:${mutant.location.start.line} ${mutant.mutatorName} [${mutant.status}]: ${collapse(original).slice(0, 100)} → ${collapse(mutant.replacement ?? '').slice(0, 100)}`,
          )
        }
      }
    }
  }
  const detected = count.killed + count.timedOut
  const missed = count.survived + count.noCoverage
  const percent = (part: number, whole: number) => (whole === 0 ? 100 : (100 * part) / whole)
  return {
    name,
    threshold: module.threshold ?? 90,
    ...count,
    score: percent(detected, detected + missed),
    adjusted: percent(detected, detected + missed - count.setAside),
    undetected,
    unusedSetAsides: own
      .filter(room)
      .map(
        (entry) =>
          `${entry.file} ${entry.mutator}: ${collapse(entry.original)} → ${entry.replacement} (matched ${used.get(entry) ?? 0} of ${entry.occurrences ?? 1})`,
      ),
    seconds,
  }
}
