import { readFileSync } from 'node:fs'
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { availableParallelism, release, totalmem } from 'node:os'
import { join } from 'node:path'
import { ROOT } from './processes'
import {
  type BenchOptions,
  type Measurement,
  markdownTable,
  SCALE_MIN,
  SUITES,
  type SuiteName,
  type SuiteResult,
} from './report'

const RESULTS_FILE = join(ROOT, 'test', 'bench', 'results.json')
const BENCHMARKS_FILE = join(ROOT, 'BENCHMARKS.md')
const BEGIN = '<!-- bench:begin (written by npm run bench; edit outside these markers) -->'
const END = '<!-- bench:end -->'
const DEFAULT_SCALE_MAX = 200_000

export interface BenchArguments {
  check: boolean
  only?: string
  scaleMax?: number
  quick: boolean
  profile: boolean
  argv: string[]
}

const SUITE_TITLES: Record<SuiteName, string> = {
  bundles: 'Bundle size and init cost',
  handler: 'Handler overhead',
  gateway: 'Gateway throughput',
  latency: 'Per-capability latency at 50 concurrent clients',
  scale: 'Patient index scale',
  startup: 'Start-up',
  records: 'Record retrieval: three holders at 50 concurrent clients',
  booking: 'Booking at 50 concurrent clients',
  slotSearch: 'Slot search at 50 concurrent clients',
  messages: 'Messages: discharge to pharmacy webhook at 50 concurrent senders',
}

async function runSuite(suite: SuiteName, options: BenchOptions): Promise<SuiteResult> {
  switch (suite) {
    case 'bundles':
      return (await import('./bundles')).benchBundles(options)
    case 'handler':
      return (await import('./handler')).benchHandler(options)
    case 'gateway':
      return (await import('./gateway')).benchGateway(options)
    case 'latency':
      return (await import('./latency')).benchLatency(options)
    case 'scale':
      return (await import('./scale')).benchScale(options)
    case 'startup':
      return (await import('./startup')).benchStartup(options)
    case 'records':
      return (await import('./records')).benchRecords(options)
    case 'booking':
      return (await import('./booking')).benchBooking(options)
    case 'slotSearch':
      return (await import('./slotSearch')).benchSlotSearch(options)
    case 'messages':
      return (await import('./messages')).benchMessages(options)
  }
}

/** The machine the figures come from. */
export function machine() {
  const cpuModel =
    /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1]?.trim() ?? 'unknown'
  return {
    cpus: availableParallelism(),
    cpuModel,
    memoryGiB: Math.round((totalmem() / 1024 ** 3) * 10) / 10,
    node: process.version,
    kernel: release(),
  }
}

/** Runs the chosen suites and reports; returns the process exit code. */
export async function runBench(args: BenchArguments): Promise<number> {
  if (args.only !== undefined && !(SUITES as readonly string[]).includes(args.only)) {
    console.error(`Unknown suite "${args.only}"; one of: ${SUITES.join(', ')}`)
    return 2
  }
  const scaleMax = args.scaleMax ?? DEFAULT_SCALE_MAX
  if (!Number.isInteger(scaleMax) || scaleMax <= SCALE_MIN) {
    console.error(`--scale-max must be a whole number above ${SCALE_MIN}`)
    return 2
  }
  // The SDK's Node 20 notice concerns dev machines (Lambda runs Node 22); it only clutters progress.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true'
  const chosen: SuiteName[] = args.only ? [args.only as SuiteName] : [...SUITES]
  const command = `npm run bench${args.argv.length ? ` -- ${args.argv.join(' ')}` : ''}`
  const started = performance.now()
  const date = new Date()
  console.log(`${command}: ${chosen.join(', ')}`)

  const results: SuiteResult[] = []
  for (const suite of chosen) {
    const suiteStarted = performance.now()
    console.log(`\n▶ ${suite}: ${SUITE_TITLES[suite]}`)
    const options: BenchOptions = {
      quick: args.quick,
      scaleMax,
      profile: args.profile,
      progress: (line) => console.log(`  [${suite}] ${line}`),
    }
    let result: SuiteResult
    try {
      result = await runSuite(suite, options)
    } catch (error) {
      console.error(error)
      result = {
        suite,
        title: SUITE_TITLES[suite],
        durationMs: performance.now() - suiteStarted,
        measurements: [
          {
            suite,
            measure: 'suite failed to run',
            subject: String(error instanceof Error ? error.message : error).slice(0, 120),
            baseline: '',
            target: '',
            verdict: 'ERROR',
          },
        ],
        details: [],
        data: { error: String(error) },
      }
    }
    results.push(result)
    for (const m of result.measurements) {
      console.log(`  ${m.verdict.padEnd(9)} ${m.measure}: ${m.subject} vs ${m.baseline} ${m.target}`)
    }
    console.log(`  (${(result.durationMs / 1000).toFixed(1)} s)`)
  }

  const durationMs = performance.now() - started
  const measurements: Measurement[] = results.flatMap((result) => result.measurements)
  const tableText = markdownTable(measurements)
  const details = results
    .filter((result) => result.details.length > 0)
    .map((result) => `### ${result.title}\n\n${result.details.join('\n\n')}`)
    .join('\n\n')
  console.log(`\n${tableText}\n\n${details}\n`)

  const host = machine()
  await mkdir(join(ROOT, 'test', 'bench'), { recursive: true })
  await writeFile(
    RESULTS_FILE,
    `${JSON.stringify({ date: date.toISOString(), command, machine: host, durationMs, measurements, suites: results }, null, 2)}\n`,
  )
  if (!args.only) await writeBenchmarks({ date, command, host, durationMs, tableText, details })

  const missed = measurements.filter((m) => m.verdict === 'FAIL')
  const broken = measurements.filter((m) => m.verdict === 'ERROR')
  console.log(
    `Whole bench: ${(durationMs / 1000).toFixed(0)} s. ${missed.length} target(s) missed, ${broken.length} suite error(s). ` +
      `Results: test/bench/results.json${args.only ? '' : ', BENCHMARKS.md'}`,
  )
  if (broken.length > 0) return 1
  return args.check && missed.length > 0 ? 1 : 0
}

/** Replaces the generated part of BENCHMARKS.md; the notes around it are kept. */
async function writeBenchmarks(run: {
  date: Date
  command: string
  host: ReturnType<typeof machine>
  durationMs: number
  tableText: string
  details: string
}) {
  const generated = [
    BEGIN,
    `Run on ${run.date.toISOString().slice(0, 10)} with \`${run.command}\` (whole bench ${(run.durationMs / 1000).toFixed(0)} s).`,
    '',
    `Machine: ${run.host.cpus} CPUs (\`nproc\`), ${run.host.cpuModel}, ${run.host.memoryGiB} GiB RAM, ` +
      `Node ${run.host.node}, Linux ${run.host.kernel}.`,
    '',
    run.tableText,
    '',
    run.details,
    END,
  ].join('\n')
  let current = ''
  try {
    current = await readFile(BENCHMARKS_FILE, 'utf8')
  } catch {
    current = `# Benchmarks\n\n${BEGIN}\n${END}\n`
  }
  const begin = current.indexOf(BEGIN)
  const end = current.indexOf(END)
  const next =
    begin >= 0 && end > begin
      ? `${current.slice(0, begin)}${generated}${current.slice(end + END.length)}`
      : `${current.trimEnd()}\n\n${generated}\n`
  await writeFile(BENCHMARKS_FILE, next)
}
