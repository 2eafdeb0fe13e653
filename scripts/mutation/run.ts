import { existsSync } from 'node:fs'
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { parseArgs } from 'node:util'
import { Stryker } from '@stryker-mutator/core'
import { type MutationModule, type MutationModuleName, mutationModules } from './modules'
import { type ModuleScore, type MutantFacts, scoreModule } from './score'

/*
 * `npm run mutation`: StrykerJS mutates one module at a time and runs only the tests that
 * exercise it (scripts/mutation/modules.ts), so each module takes minutes on 2 cores.
 *
 *   npm run mutation                       every module
 *   npm run mutation -- auth matching      the named modules
 *   npm run mutation -- --list             the modules and their tests
 *   npm run mutation -- --concurrency 1    test runner processes (default 2)
 *
 * Reports: reports/mutation/<module>/index.html (Stryker's), mutation.json, and
 * reports/mutation/summary.md. The score "without set-aside" leaves out the equivalent and
 * message-only mutants named, with their reasons, in scripts/mutation/set-aside.ts. Exits 1
 * when a module is below its threshold on that score, or a set-aside entry matches nothing.
 */

const REPORTS = 'reports/mutation'

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    list: { type: 'boolean', default: false },
    concurrency: { type: 'string', default: '2' },
  },
})

const known = Object.keys(mutationModules) as MutationModuleName[]
if (values.list) {
  for (const name of known) {
    const module: MutationModule = mutationModules[name]
    console.log(
      `${name}: ${module.why}\n  mutates ${module.mutate.join(', ')}\n  tests   ${module.tests.join(', ')}`,
    )
  }
  process.exit(0)
}
const unknown = positionals.filter((name) => !known.includes(name as MutationModuleName))
if (unknown.length > 0) {
  console.error(`Unknown module(s): ${unknown.join(', ')}. Known: ${known.join(', ')}`)
  process.exit(2)
}
const selected = positionals.length > 0 ? (positionals as MutationModuleName[]) : known

const scores: ModuleScore[] = []
for (const name of selected) {
  const module: MutationModule = mutationModules[name]
  const missing = [...module.mutate, ...module.tests].filter((file) => !existsSync(file))
  if (missing.length > 0) throw new Error(`${name}: no such file ${missing.join(', ')}`)
  console.log(`\nmutation: ${name} (${module.mutate.join(', ')}) against ${module.tests.length} test files`)
  const started = performance.now()
  const jsonReport = `${REPORTS}/${name}/mutation.json`
  // Read by scripts/mutation/vitest.config.ts in Stryker's test runner processes.
  process.env.MUTATION_TESTS = module.tests.join(',')
  await new Stryker({
    testRunner: 'vitest',
    plugins: ['@stryker-mutator/vitest-runner'],
    vitest: { configFile: 'scripts/mutation/vitest.config.ts', related: false },
    mutate: module.mutate,
    coverageAnalysis: 'perTest',
    concurrency: Number(values.concurrency),
    reporters: ['html', 'json', process.stdout.isTTY ? 'progress' : 'progress-append-only'],
    htmlReporter: { fileName: `${REPORTS}/${name}/index.html` },
    jsonReporter: { fileName: jsonReport },
    ignorePatterns: ['reports', 'cdk.out', '.local', 'test/integration', 'test/fuzz', 'test/infra'],
    // Stryker's own score gates nothing: the threshold applies after the set-asides, below.
    thresholds: { high: 90, low: 80, break: null },
    tempDirName: '.stryker-tmp',
    cleanTempDir: true,
  }).runMutationTest()
  const report = JSON.parse(await readFile(jsonReport, 'utf8')) as {
    files: Record<string, { source: string; mutants: MutantFacts[] }>
  }
  scores.push(scoreModule(name, module, report.files, (performance.now() - started) / 1000))
}

const lines = [
  '| module | mutants | killed | timed out | survived | no coverage | set aside | score | without set-aside | time |',
  '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ...scores.map(
    (s) =>
      `| ${s.name} | ${s.total} | ${s.killed} | ${s.timedOut} | ${s.survived} | ${s.noCoverage} | ${s.setAside} | ${s.score.toFixed(1)}% | ${s.adjusted.toFixed(1)}% | ${Math.round(s.seconds)} s |`,
  ),
]
const details = scores.flatMap((s) => [
  ...s.undetected.map((mutant) => `- ${s.name}: ${mutant} (not set aside)`),
  ...s.unusedSetAsides.map((entry) => `- ${s.name}: set-aside entry matched no surviving mutant: ${entry}`),
])
const summary = [lines.join('\n'), details.length ? `\n${details.join('\n')}` : ''].join('\n')
await mkdir(REPORTS, { recursive: true })
await writeFile(`${REPORTS}/summary.md`, `${summary}\n`)
console.log(`\n${summary}\n\nReports: ${REPORTS}/<module>/index.html`)

const failing = scores.filter((s) => s.adjusted < s.threshold || s.unusedSetAsides.length > 0)
for (const s of failing) {
  console.error(
    s.adjusted < s.threshold
      ? `${s.name}: ${s.adjusted.toFixed(1)}% without set-aside mutants, below ${s.threshold}%`
      : `${s.name}: stale set-aside entries (see above)`,
  )
}
process.exitCode = failing.length > 0 ? 1 : 0
