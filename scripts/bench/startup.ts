import { spawn } from 'node:child_process'
import { createInterface } from 'node:readline'
import { benchEnv, ROOT } from './processes'
import { type BenchOptions, type Measurement, median, ms, type SuiteResult, verdictOf } from './report'

const TARGET_MS = 3_000
const GIVE_UP_MS = 60_000

interface StartRun {
  /** From spawning npm to the "Ready in" line on stdout. */
  readyLineMs: number
  /** From spawning npm to the first 200 from GET /metadata. */
  firstOkMs: number
  /** What the process itself printed: performance.now() at ready, from its own start. */
  reportedMs: number
}

/**
 * One fresh start, timed from outside as a developer feels it: `npm` → `tsx` → `node`,
 * in-memory data (no DATA_DIR), a free port, no NODE_EXTRA_CA_CERTS. Stopped with SIGTERM
 * to its whole process group (only the processes this start made).
 */
function startOnce(npmArgs: string[]): Promise<StartRun> {
  return new Promise((resolve, reject) => {
    const env = benchEnv({ PORT: '0' })
    delete env.DATA_DIR
    const started = performance.now()
    const child = spawn('npm', npmArgs, { cwd: ROOT, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] })
    let output = ''
    let readyLineMs: number | undefined
    let reportedMs: number | undefined
    let settled = false
    const stop = () => {
      try {
        if (child.pid) process.kill(-child.pid, 'SIGTERM')
      } catch {
        // Already gone.
      }
    }
    const fail = (error: Error) => {
      if (settled) return
      settled = true
      stop()
      reject(error)
    }
    const timer = setTimeout(
      () => fail(new Error(`no ready line in ${GIVE_UP_MS} ms:\n${output}`)),
      GIVE_UP_MS,
    )
    child.stderr.on('data', (chunk: Buffer) => {
      output += chunk
    })
    child.once('error', fail)
    child.once('exit', (code) =>
      fail(new Error(`npm ${npmArgs.join(' ')} exited (${code}) before ready:\n${output}`)),
    )
    createInterface({ input: child.stdout }).on('line', (line) => {
      output += `${line}\n`
      const ready = /Ready in (\d+) ms\./.exec(line)
      if (ready) {
        readyLineMs = performance.now() - started
        reportedMs = Number(ready[1])
      }
      const api = /API:\s+(http:\/\/\S+)/.exec(line)
      if (api && readyLineMs !== undefined) {
        fetch(`${api[1]}/metadata`).then(
          (response) => {
            if (response.status !== 200) return fail(new Error(`GET /metadata answered ${response.status}`))
            const firstOkMs = performance.now() - started
            clearTimeout(timer)
            settled = true
            child.removeAllListeners('exit')
            child.once('exit', () =>
              resolve({ readyLineMs: readyLineMs!, firstOkMs, reportedMs: reportedMs! }),
            )
            stop()
          },
          (error: Error) => fail(error),
        )
      }
    })
  })
}

/** Suite 6: `npm start` to ready, beside the same npm → tsx → node chain starting nothing. */
export async function benchStartup(options: BenchOptions): Promise<SuiteResult> {
  const started = performance.now()
  const runs = options.quick ? 2 : 5
  const subject: StartRun[] = []
  const baseline: StartRun[] = []
  for (let run = 0; run < runs; run++) {
    const order = run % 2 === 0 ? (['baseline', 'subject'] as const) : (['subject', 'baseline'] as const)
    for (const side of order) {
      if (side === 'subject') subject.push(await startOnce(['start']))
      else baseline.push(await startOnce(['run', 'bench', '--', '--ready-baseline']))
    }
    options.progress(
      `run ${run + 1}/${runs}: npm start first 200 after ${Math.round(subject.at(-1)!.firstOkMs)} ms ` +
        `(baseline ${Math.round(baseline.at(-1)!.firstOkMs)} ms)`,
    )
  }
  const firstOk = median(subject.map((run) => run.firstOkMs))
  const baselineFirstOk = median(baseline.map((run) => run.firstOkMs))
  const reported = median(subject.map((run) => run.reportedMs))
  const baselineReported = median(baseline.map((run) => run.reportedMs))
  const measurements: Measurement[] = [
    {
      suite: 'startup',
      measure: `npm start to first 200 from /metadata, wall clock, median of ${runs}`,
      subject: ms(firstOk),
      baseline: `${ms(baselineFirstOk)} (npm → tsx → node, nothing to start)`,
      ratio: firstOk / baselineFirstOk,
      target: '≤ 3 s',
      verdict: verdictOf(firstOk <= TARGET_MS),
    },
    {
      suite: 'startup',
      measure: `npm start "Ready in N ms." as printed (the node process's own clock), median of ${runs}`,
      subject: ms(reported),
      baseline: ms(baselineReported),
      ratio: reported / baselineReported,
      target: 'report',
      verdict: 'INFO',
    },
  ]
  return {
    suite: 'startup',
    title: 'Start-up',
    durationMs: performance.now() - started,
    measurements,
    details: [
      'Fresh `npm start` runs (in-memory DynamoDB, seeding included, PORT=0, no DATA_DIR, no ' +
        'NODE_EXTRA_CA_CERTS), alternating with the baseline `npm run bench -- --ready-baseline`: the same ' +
        'npm → tsx → node chain, printing the same ready line from a bare HTTP server.',
    ],
    data: { subject, baseline },
  }
}
