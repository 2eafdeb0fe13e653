import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { BenchServers } from './bench-server'
import { fire, interleaved, type LoadTarget, summary } from './load'
import { startChild } from './processes'
import { ProfileTotals, profileClockUs, profileMarkdown, readProfiles } from './profile'
import { type BenchOptions, type Measurement, ms, perSecond, type SuiteResult, verdictOf } from './report'

const TARGET = 0.7
const CONNECTIONS = 10

/**
 * The PDS-read targets: the local stack's gateway; the bare server beside it making the
 * minimal audited read (GetItem, then one conditional PutItem of an audit record of the same
 * size); and the same bare server making the GetItem alone (information).
 */
export function patientReadTargets(servers: BenchServers): {
  subject: LoadTarget
  baseline: LoadTarget
  information: LoadTarget
} {
  const paths = servers.patients.map((nhsNumber) => `/Patient/${nhsNumber}`)
  return {
    subject: {
      name: 'local stack',
      url: servers.stackUrl,
      paths,
      headers: { authorization: `Bearer ${servers.token}` },
    },
    baseline: {
      name: 'bare node:http + GetItem + audit PutItem',
      url: servers.bareUrl,
      paths: paths.map((path) => `/audited${path}`),
    },
    information: { name: 'bare node:http + GetItem', url: servers.bareUrl, paths },
  }
}

/** The stack must answer what the baselines answer, or the comparison means nothing. */
async function assertSameJson(servers: BenchServers): Promise<void> {
  const nhsNumber = servers.patients[0]!
  const [fromStack, fromBare, fromAudited] = await Promise.all([
    fetch(`${servers.stackUrl}/Patient/${nhsNumber}`, {
      headers: { authorization: `Bearer ${servers.token}` },
    }),
    fetch(`${servers.bareUrl}/Patient/${nhsNumber}`),
    fetch(`${servers.bareUrl}/audited/Patient/${nhsNumber}`),
  ])
  const [stackBody, bareBody, auditedBody] = [
    await fromStack.text(),
    await fromBare.text(),
    await fromAudited.text(),
  ]
  if (fromStack.status !== 200 || stackBody !== bareBody || stackBody !== auditedBody) {
    throw new Error(
      `the stack (${fromStack.status}) and the bare server answer different JSON for ${nhsNumber}`,
    )
  }
}

/**
 * Suite 3: requests/s of the local stack's GET /Patient/{id} against a bare server making the
 * minimal audited read (the same GetItem and one conditional PutItem), the bare GetItem beside.
 */
export async function benchGateway(options: BenchOptions): Promise<SuiteResult> {
  const started = performance.now()
  const server = startChild<BenchServers>('bench-server.ts')
  let profileNote: string | undefined
  try {
    const servers = await server.ready
    await assertSameJson(servers)
    const { subject, baseline, information } = patientReadTargets(servers)
    const plan = options.quick
      ? { connections: CONNECTIONS, seconds: 2, rounds: 2, warmupSeconds: 1 }
      : { connections: CONNECTIONS, seconds: 5, rounds: 4, warmupSeconds: 3 }
    options.progress(
      `${plan.connections} connections, ${plan.rounds} rounds of ${plan.seconds} s per side, alternating`,
    )
    const run = await interleaved(subject, baseline, plan, options.progress, information)
    const mine = summary(run.subject)
    const theirs = summary(run.baseline)
    const bareRead = summary(run.information!)
    const ratio = mine.requestsPerSecond / theirs.requestsPerSecond
    await server.stop()

    if (ratio < TARGET || options.profile) profileNote = await profileStackUnderLoad(options)

    const measurements: Measurement[] = [
      {
        suite: 'gateway',
        measure: `GET /Patient/{id} throughput, ${CONNECTIONS} connections (median of ${plan.rounds} rounds)`,
        subject: perSecond(mine.requestsPerSecond),
        baseline: `${perSecond(theirs.requestsPerSecond)} (GetItem + audit PutItem)`,
        ratio,
        target: `≥ ${TARGET}×`,
        verdict: verdictOf(ratio >= TARGET),
      },
      {
        suite: 'gateway',
        measure: 'the same throughput against a bare GetItem (no audit record)',
        subject: perSecond(mine.requestsPerSecond),
        baseline: `${perSecond(bareRead.requestsPerSecond)} (bare GetItem)`,
        ratio: mine.requestsPerSecond / bareRead.requestsPerSecond,
        target: 'information',
        verdict: 'INFO',
      },
      {
        suite: 'gateway',
        measure: 'GET /Patient/{id} p50 at that load',
        subject: ms(mine.p50Ms),
        baseline: ms(theirs.p50Ms),
        ratio: mine.p50Ms / theirs.p50Ms,
        target: 'report',
        verdict: 'INFO',
      },
      {
        suite: 'gateway',
        measure: 'GET /Patient/{id} p99 at that load',
        subject: ms(mine.p99Ms),
        baseline: ms(theirs.p99Ms),
        ratio: mine.p99Ms / theirs.p99Ms,
        target: 'report',
        verdict: 'INFO',
      },
    ]
    return {
      suite: 'gateway',
      title: 'Gateway throughput',
      durationMs: performance.now() - started,
      measurements,
      details: [
        "Both servers run in one child process with one dynalite (the stack's); autocannon runs in the bench " +
          'process. The baseline is a bare `node:http` server making the minimal audited read through the same ' +
          'document client: the same GetItem, then one conditional PutItem of an audit record of the size the ' +
          'stack writes, then the same JSON (checked byte for byte before the run); the same server without the ' +
          'PutItem is the information row. The three take turns in every round (ABC, CBA). Each connection ' +
          'reads its own slice of the demo patients.',
        ...(profileNote ? [profileNote] : []),
      ],
      data: { plan, subject: run.subject, baseline: run.baseline, information: run.information, ratio },
    }
  } finally {
    await server.stop()
  }
}

/** What bounds the stack's throughput: the server process under the same load, `node --cpu-prof`. */
async function profileStackUnderLoad(options: BenchOptions): Promise<string> {
  const seconds = options.quick ? 3 : 8
  options.progress(`target missed: profiling the stack process under ${seconds} s of load (node --cpu-prof)`)
  const dir = await mkdtemp(join(tmpdir(), 'joinup-bench-gateway-'))
  const server = startChild<BenchServers>('bench-server.ts', [], {
    nodeArgs: ['--cpu-prof', '--cpu-prof-dir', dir],
  })
  try {
    const { subject } = patientReadTargets(await server.ready)
    await fire(subject, CONNECTIONS, 2)
    // CLOCK_MONOTONIC is machine-wide: the window taken here holds in the child's profile.
    const startUs = profileClockUs()
    const round = await fire(subject, CONNECTIONS, seconds)
    const endUs = profileClockUs()
    await server.stop()
    const totals = new ProfileTotals()
    for (const profile of await readProfiles(dir)) totals.add(profile, { startUs, endUs })
    return profileMarkdown(
      totals.summary(12),
      `Profile of the stack process while it served ${round.completed} GET /Patient/{id} ` +
        `(${Math.round(round.requestsPerSecond)} req/s, \`node --cpu-prof\`, samples inside the load window)`,
      10,
    )
  } finally {
    await server.stop()
    await rm(dir, { recursive: true, force: true })
  }
}
