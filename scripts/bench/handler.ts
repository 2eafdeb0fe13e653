import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { DynamoDbCall, HandlerLoopResult, HandlerProfileResult } from './handler-loop'
import { runChild } from './processes'
import { type ProfileSummary, ProfileTotals, profileMarkdown, readProfiles } from './profile'
import {
  type BenchOptions,
  type Measurement,
  median,
  ms,
  percentile,
  type SuiteResult,
  table,
  verdictOf,
} from './report'

const TARGET = 1.3
/** The handler's own work: its median over the sum of the DynamoDB calls it makes. */
const OVERHEAD_TARGET = 1.15

/** What each kind of call costs and how often one request makes it. */
interface CallCost {
  call: string
  perRequest: number
  medianMs: number
}

function costsOf(calls: DynamoDbCall[], requests: number): CallCost[] {
  const byCall = new Map<string, number[]>()
  for (const { call, ms: elapsed } of calls) byCall.set(call, [...(byCall.get(call) ?? []), elapsed])
  return [...byCall].map(([call, times]) => ({
    call,
    perRequest: times.length / requests,
    medianMs: median(times),
  }))
}

/** What the handler is for, by call: the reader sees why each one is there. */
const PURPOSE: Record<string, string> = {
  'UpdateItem rateLimits': 'rate limit: count the request (atomic ADD)',
  'GetItem patients': 'the patient read itself',
  'Query audit': 'audit: read the chain head (hash of the previous record)',
  'PutItem audit': 'audit: append the next record (conditional put)',
}

/**
 * Suite 2: the GET /Patient/{nhsNumber} handler in-process against the minimal audited read
 * (GetItem, then one conditional PutItem of an audit record of the same size) through the
 * same client; a bare GetItem beside them as information.
 */
export async function benchHandler(options: BenchOptions): Promise<SuiteResult> {
  const started = performance.now()
  const dir = await mkdtemp(join(tmpdir(), 'joinup-bench-handler-'))
  try {
    const iterations = options.quick ? 300 : 1500
    options.progress(
      `local stack in a fresh process; ${iterations} handler calls, minimal audited reads and GetItems, in turn`,
    )
    const resultFile = join(dir, 'measure.json')
    await runChild('handler-loop.ts', [
      '--mode',
      'measure',
      '--result',
      resultFile,
      '--iterations',
      String(iterations),
    ])
    const result = JSON.parse(await readFile(resultFile, 'utf8')) as HandlerLoopResult

    const handlerMedian = median(result.handlerMs)
    const getItemMedian = median(result.getItemMs)
    const auditedMedian = median(result.auditedMs)
    const ratio = handlerMedian / auditedMedian
    const costs = costsOf(result.breakdown.calls, result.breakdown.requests)
    const bareCall = median(result.breakdown.bareGetItem.map((call) => call.ms))
    const dynamoDbMs = costs.reduce((sum, cost) => sum + cost.perRequest * cost.medianMs, 0)
    const callsPerRequest = costs.reduce((sum, cost) => sum + cost.perRequest, 0)
    const tokenMs = median(result.breakdown.tokenVerifyMs)
    const restMs = handlerMedian - dynamoDbMs - tokenMs

    const overhead = handlerMedian / dynamoDbMs
    const measurements: Measurement[] = [
      {
        suite: 'handler',
        measure: `GET /Patient/{id} handler in-process, median of ${result.handlerMs.length}`,
        subject: ms(handlerMedian),
        baseline: `${ms(auditedMedian)} (GetItem + conditional PutItem of the audit record)`,
        ratio,
        target: `≤ ${TARGET}×`,
        verdict: verdictOf(ratio <= TARGET),
      },
      {
        suite: 'handler',
        measure: 'the same handler against a bare GetItem (no audit record)',
        subject: ms(handlerMedian),
        baseline: `${ms(getItemMedian)} (bare GetItem)`,
        ratio: handlerMedian / getItemMedian,
        target: 'information',
        verdict: 'INFO',
      },
      {
        suite: 'handler',
        measure: `floor set by the ${callsPerRequest.toFixed(2)} DynamoDB calls a request makes`,
        subject: ms(dynamoDbMs),
        baseline: `${ms(bareCall)} (one GetItem)`,
        ratio: dynamoDbMs / bareCall,
        target: 'explains the rows above',
        verdict: 'INFO',
      },
      {
        suite: 'handler',
        measure: 'handler median over the sum of its own DynamoDB calls',
        subject: ms(handlerMedian),
        baseline: ms(dynamoDbMs),
        ratio: overhead,
        target: `≤ ${OVERHEAD_TARGET}× (the handler's own overhead)`,
        verdict: verdictOf(overhead <= OVERHEAD_TARGET),
      },
    ]

    const details = [
      `Breakdown of one request (${result.breakdown.requests} requests, every DynamoDB call timed by a ` +
        "middleware on the handler's own document client; token verification timed alone with the same token; " +
        'the rest is the handler median minus both):',
      table(
        ['part', 'per request', 'median each', 'per request total'],
        [
          ...costs.map((cost) => [
            `${cost.call}: ${PURPOSE[cost.call] ?? 'other'}`,
            cost.perRequest.toFixed(2),
            ms(cost.medianMs),
            ms(cost.perRequest * cost.medianMs),
          ]),
          ['token verification (jose, ES256, cached JWKS)', '1', ms(tokenMs), ms(tokenMs)],
          ['the rest: middy, ids, logging, FHIR shaping, JSON', '1', '', ms(restMs)],
          ['handler median', '', '', ms(handlerMedian)],
        ],
      ),
    ]

    let profile: ProfileSummary | undefined
    if (ratio > TARGET || overhead > OVERHEAD_TARGET || options.profile) {
      const seconds = options.quick ? 3 : 8
      options.progress(`target missed: profiling ${seconds} s of the handler loop (node --cpu-prof)`)
      const profileDir = join(dir, 'profile')
      const windowFile = join(dir, 'window.json')
      await runChild(
        'handler-loop.ts',
        ['--mode', 'profile', '--result', windowFile, '--seconds', String(seconds)],
        { nodeArgs: ['--cpu-prof', '--cpu-prof-dir', profileDir] },
      )
      const run = JSON.parse(await readFile(windowFile, 'utf8')) as HandlerProfileResult
      const totals = new ProfileTotals()
      for (const cpuProfile of await readProfiles(profileDir)) totals.add(cpuProfile, run.window)
      profile = totals.summary(12)
      details.push(
        profileMarkdown(
          profile,
          `Profile of the handler loop (\`node --cpu-prof\`, ${run.requests} requests in ${seconds} s, ` +
            'samples inside the loop only; dynalite runs in the same process, as in `npm start`, so its ' +
            'server-side work is in the profile too)',
          10,
        ),
      )
    }

    return {
      suite: 'handler',
      title: 'Handler overhead',
      durationMs: performance.now() - started,
      measurements,
      details,
      data: {
        handlerMedianMs: handlerMedian,
        getItemMedianMs: getItemMedian,
        auditedMedianMs: auditedMedian,
        auditedP99Ms: percentile(result.auditedMs, 99),
        handlerP99Ms: percentile(result.handlerMs, 99),
        getItemP99Ms: percentile(result.getItemMs, 99),
        ratio,
        costs,
        tokenVerifyMedianMs: tokenMs,
        restMs,
        profile,
      },
    }
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}
