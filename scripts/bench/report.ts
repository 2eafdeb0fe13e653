/** The suites of `npm run bench`, in the order they run. */
export const SUITES = [
  'bundles',
  'handler',
  'gateway',
  'latency',
  'scale',
  'startup',
  'records',
  'booking',
  'slotSearch',
  'messages',
] as const
export type SuiteName = (typeof SUITES)[number]

/**
 * PASS / FAIL against a target; INFO where the issue sets no target (or a ratio is
 * meaningless); NOT BUILT for capabilities that do not exist yet, so the table keeps its
 * final shape; ERROR when the suite itself broke.
 */
export type Verdict = 'PASS' | 'FAIL' | 'INFO' | 'NOT BUILT' | 'ERROR'

/** One row of the table: a subject beside the baseline measured in the same run. */
export interface Measurement {
  suite: SuiteName
  measure: string
  subject: string
  baseline: string
  /** subject ÷ baseline (or as the target states it); absent where no ratio applies. */
  ratio?: number
  target: string
  verdict: Verdict
}

export interface SuiteResult {
  suite: SuiteName
  title: string
  durationMs: number
  measurements: Measurement[]
  /** Markdown paragraphs and tables that explain the rows (contributors, breakdowns, profiles). */
  details: string[]
  /** Raw figures for results.json. */
  data: unknown
}

/** The scale suite's small size; the large one is `--scale-max`. */
export const SCALE_MIN = 10_000

/** What every suite gets from the command line. */
export interface BenchOptions {
  /** Shorter runs, for trying the harness: figures are noisier. */
  quick: boolean
  /** Largest patient count of the scale suite. */
  scaleMax: number
  /** Profile the handler loop even when the target is met. */
  profile: boolean
  progress: (line: string) => void
}

export function median(values: readonly number[]): number {
  return percentile(values, 50)
}

/** Nearest-rank percentile: the smallest value with at least p% of the values at or below it. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN
  const sorted = [...values].sort((a, b) => a - b)
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length))
  return sorted[Math.min(rank, sorted.length) - 1]!
}

export function ms(value: number): string {
  if (!Number.isFinite(value)) return 'n/a'
  if (value >= 1000) return `${(value / 1000).toFixed(2)} s`
  return `${value < 10 ? value.toFixed(2) : value.toFixed(1)} ms`
}
export const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KB`
export const times = (ratio: number | undefined) =>
  ratio === undefined || !Number.isFinite(ratio) ? '' : `${ratio.toFixed(2)}×`
export const perSecond = (value: number) => `${Math.round(value).toLocaleString('en-GB')} req/s`

/** PASS when `ok`, otherwise FAIL. */
export const verdictOf = (ok: boolean): Verdict => (ok ? 'PASS' : 'FAIL')

/** The run's Markdown table: one row per measurement, every suite. */
export function markdownTable(measurements: readonly Measurement[]): string {
  const lines = [
    '| suite | measure | subject | baseline | ratio | target | result |',
    '| --- | --- | ---: | ---: | ---: | --- | --- |',
  ]
  for (const m of measurements) {
    lines.push(
      `| ${m.suite} | ${m.measure} | ${m.subject} | ${m.baseline} | ${times(m.ratio)} | ${m.target} | ${m.verdict} |`,
    )
  }
  return lines.join('\n')
}

/** A small Markdown table from a header row and body rows. */
export function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  return [
    `| ${header.join(' | ')} |`,
    `| ${header.map(() => '---').join(' | ')} |`,
    ...rows.map((row) => `| ${row.join(' | ')} |`),
  ].join('\n')
}
