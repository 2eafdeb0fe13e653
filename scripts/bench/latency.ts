import type { BenchServers } from './bench-server'
import { patientReadTargets } from './gateway'
import { interleaved, type LoadTarget, summary } from './load'
import { startChild } from './processes'
import { type BenchOptions, type Measurement, ms, type SuiteResult, verdictOf } from './report'

const CONNECTIONS = 50

/** PDS read p99 at 50 clients over the minimal audited read's. */
const P99_TARGET = 2

function pointerSearchTargets(servers: BenchServers): {
  subject: LoadTarget
  baseline: LoadTarget
  information: LoadTarget
} {
  const paths = servers.patients.map(
    (nhsNumber) =>
      `/DocumentReference?subject:identifier=${encodeURIComponent(`https://fhir.nhs.uk/Id/nhs-number|${nhsNumber}`)}`,
  )
  return {
    subject: {
      name: 'local stack',
      url: servers.stackUrl,
      paths,
      headers: { authorization: `Bearer ${servers.token}` },
    },
    baseline: {
      name: 'bare node:http + Query + audit PutItem',
      url: servers.bareUrl,
      paths: paths.map((path) => `/audited${path}`),
    },
    information: { name: 'bare node:http + Query', url: servers.bareUrl, paths },
  }
}

/** Suite 4: p50 and p99 per capability with 50 clients at once, beside the bare storage call. */
export async function benchLatency(options: BenchOptions): Promise<SuiteResult> {
  const started = performance.now()
  const server = startChild<BenchServers>('bench-server.ts')
  try {
    const servers = await server.ready
    const plan = options.quick
      ? { connections: CONNECTIONS, seconds: 2, rounds: 2, warmupSeconds: 1 }
      : { connections: CONNECTIONS, seconds: 5, rounds: 3, warmupSeconds: 2 }
    const capabilities = [
      { name: 'PDS read (GET /Patient/{id})', p99Target: P99_TARGET, ...patientReadTargets(servers) },
      {
        name: 'patient index search (GET /DocumentReference?subject:identifier=…)',
        p99Target: undefined,
        ...pointerSearchTargets(servers),
      },
    ]
    const measurements: Measurement[] = []
    const data: Record<string, unknown> = {}
    for (const capability of capabilities) {
      options.progress(`${capability.name}: ${plan.connections} connections, ${plan.rounds} rounds per side`)
      const check = await fetch(`${capability.subject.url}${capability.subject.paths[0]}`, {
        headers: capability.subject.headers,
      })
      if (check.status !== 200) throw new Error(`${capability.name} answered ${check.status}`)
      const run = await interleaved(
        capability.subject,
        capability.baseline,
        plan,
        options.progress,
        capability.information,
      )
      const mine = summary(run.subject)
      const theirs = summary(run.baseline)
      const bare = summary(run.information!)
      data[capability.name] = run
      const p99Ratio = mine.p99Ms / theirs.p99Ms
      measurements.push(
        {
          suite: 'latency',
          measure: `${capability.name} p50, ${CONNECTIONS} clients`,
          subject: ms(mine.p50Ms),
          baseline: `${ms(theirs.p50Ms)} (${capability.baseline.name})`,
          ratio: mine.p50Ms / theirs.p50Ms,
          target: 'report',
          verdict: 'INFO',
        },
        {
          suite: 'latency',
          measure: `${capability.name} p99, ${CONNECTIONS} clients`,
          subject: ms(mine.p99Ms),
          baseline: `${ms(theirs.p99Ms)} (${capability.baseline.name})`,
          ratio: p99Ratio,
          target: capability.p99Target ? `≤ ${capability.p99Target}×` : 'report',
          verdict: capability.p99Target ? verdictOf(p99Ratio <= capability.p99Target) : 'INFO',
        },
        {
          suite: 'latency',
          measure: `${capability.name} p50 / p99 against the storage call alone`,
          subject: `${ms(mine.p50Ms)} / ${ms(mine.p99Ms)}`,
          baseline: `${ms(bare.p50Ms)} / ${ms(bare.p99Ms)} (${capability.information.name})`,
          ratio: mine.p99Ms / bare.p99Ms,
          target: 'information (ratio of p99s)',
          verdict: 'INFO',
        },
      )
    }
    return {
      suite: 'latency',
      title: 'Per-capability latency at 50 concurrent clients',
      durationMs: performance.now() - started,
      measurements,
      details: [
        `${CONNECTIONS} autocannon connections (each a keep-alive client reading its own slice of the demo ` +
          `patients) against the local stack, taking turns with a bare \`node:http\` server making the minimal ` +
          'audited call against the same dynalite (the same storage call, then one conditional PutItem of an ' +
          'audit record of the size the stack writes) and the same server without the PutItem (information); ' +
          `p50 and p99 are the median of ${plan.rounds} rounds. One ` +
          'Node process serves everything locally, so these figures show the cost per request under ' +
          'queueing, not what Lambda (one request per instance) would show.',
      ],
      data,
    }
  } finally {
    await server.stop()
  }
}
