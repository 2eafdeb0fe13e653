import autocannon from 'autocannon'
import { median } from './report'

/** One request of a load that is not a plain GET (a POST with its body, say). */
export interface LoadRequest {
  method: 'GET' | 'POST'
  path: string
  body?: string
  headers?: Record<string, string>
}

/** Something to load: a server and the requests to send it (`requests` instead of GET `paths` when set). */
export interface LoadTarget {
  name: string
  url: string
  paths: string[]
  headers?: Record<string, string>
  requests?: LoadRequest[]
}

export interface LoadRound {
  requestsPerSecond: number
  p50Ms: number
  p99Ms: number
  completed: number
  failed: number
}

/**
 * One autocannon run. Each connection gets its own slice of the paths: two clients never
 * read the same patient at once, as in real traffic spread over many patients, so the
 * audit chain's append race (a real cost under contention) is not manufactured by a
 * 100-patient demo data set.
 */
export async function fire(target: LoadTarget, connections: number, seconds: number): Promise<LoadRound> {
  let nextSlot = 0
  const result = await autocannon({
    url: target.url,
    connections,
    duration: seconds,
    timeout: 10,
    headers: target.headers,
    setupClient: (client) => {
      const slot = nextSlot++ % connections
      const all: LoadRequest[] = target.requests ?? target.paths.map((path) => ({ method: 'GET', path }))
      const mine = all.filter((_, index) => index % connections === slot)
      client.setRequests(mine.length > 0 ? mine : [all[slot % all.length]!])
    },
  })
  const completed = result['2xx']
  return {
    requestsPerSecond: completed / result.duration,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    completed,
    failed: result.non2xx + result.errors + result.timeouts,
  }
}

export interface InterleavedRun {
  subject: LoadRound[]
  baseline: LoadRound[]
  /** A second baseline, shown as information (e.g. the bare storage call without the audit record). */
  information?: LoadRound[]
}

/**
 * Subject and baseline in alternating rounds, ABBA, after a warm-up of each: drift on a
 * shared machine (another job starting, thermal limits) lands on both sides alike. An
 * `information` target, when given, takes its turn in every round too (ABC, CBA).
 */
export async function interleaved(
  subject: LoadTarget,
  baseline: LoadTarget,
  plan: { connections: number; seconds: number; rounds: number; warmupSeconds: number },
  progress: (line: string) => void,
  information?: LoadTarget,
): Promise<InterleavedRun> {
  await fire(subject, plan.connections, plan.warmupSeconds)
  await fire(baseline, plan.connections, plan.warmupSeconds)
  if (information) await fire(information, plan.connections, plan.warmupSeconds)
  const run: InterleavedRun = { subject: [], baseline: [], ...(information ? { information: [] } : {}) }
  const sides = information
    ? (['baseline', 'subject', 'information'] as const)
    : (['baseline', 'subject'] as const)
  for (let round = 0; round < plan.rounds; round++) {
    const order = round % 2 === 0 ? sides : [...sides].reverse()
    for (const side of order) {
      const target = side === 'subject' ? subject : side === 'baseline' ? baseline : information!
      const result = await fire(target, plan.connections, plan.seconds)
      run[side]!.push(result)
      progress(
        `round ${round + 1}/${plan.rounds} ${target.name}: ${Math.round(result.requestsPerSecond)} req/s, ` +
          `p50 ${result.p50Ms} ms, p99 ${result.p99Ms} ms`,
      )
    }
  }
  for (const side of ['subject', 'baseline', 'information'] as const) {
    const rounds = run[side]
    if (!rounds) continue
    const completed = rounds.reduce((sum, round) => sum + round.completed, 0)
    const failed = rounds.reduce((sum, round) => sum + round.failed, 0)
    // A server answering errors is fast for the wrong reason: the figures would lie.
    if (failed > 0.005 * (completed + failed)) {
      throw new Error(
        `${(side === 'subject' ? subject : side === 'baseline' ? baseline : information!).name}: ${failed} of ${completed + failed} requests failed`,
      )
    }
  }
  return run
}

/** Median of the rounds, per figure. */
export function summary(rounds: LoadRound[]): { requestsPerSecond: number; p50Ms: number; p99Ms: number } {
  return {
    requestsPerSecond: median(rounds.map((round) => round.requestsPerSecond)),
    p50Ms: median(rounds.map((round) => round.p50Ms)),
    p99Ms: median(rounds.map((round) => round.p99Ms)),
  }
}
