import type { AppointmentBenchServers } from './appointments-server'
import { interleaved, summary } from './load'
import { startChildOnOwnDynamo } from './processes'
import {
  type BenchOptions,
  type Measurement,
  ms,
  perSecond,
  type SuiteResult,
  table,
  verdictOf,
} from './report'

const CONNECTIONS = 50
/** The target for slot search, locally. */
const TARGET_MS = 1_000

/**
 * The slot-search suite: GET /Slot for one day across every member of the ICS (each with
 * 100 slots a day, 14 days loaded), Schedules included, at 50 concurrent
 * clients, beside a bare server making the same Query per organisation on the same index.
 */
export async function benchSlotSearch(options: BenchOptions): Promise<SuiteResult> {
  const started = performance.now()
  const server = startChildOnOwnDynamo<AppointmentBenchServers>('appointments-server.ts', ['100'])
  try {
    const servers = await server.ready
    const slotsPerDay = servers.slotsPerDay
    const plan = options.quick
      ? { connections: CONNECTIONS, seconds: 2, rounds: 2, warmupSeconds: 1 }
      : { connections: CONNECTIONS, seconds: 5, rounds: 3, warmupSeconds: 2 }
    const subjectPaths = servers.searchDays.map(
      (day) => `/Slot?status=free&start=ge${day}&end=le${day}&_include=Slot:schedule`,
    )
    const check = await fetch(`${servers.stackUrl}${subjectPaths[0]}`, {
      headers: { authorization: `Bearer ${servers.token}` },
    })
    const first = (await check.json()) as { entry?: { search: { mode: string } }[] }
    const matches = (first.entry ?? []).filter((entry) => entry.search.mode === 'match').length
    if (check.status !== 200 || matches < slotsPerDay) {
      throw new Error(`slot search answered ${check.status} with ${matches} slots`)
    }
    options.progress(
      `${servers.organisations.length} organisations × ${servers.searchDays.length} days × ${slotsPerDay} slots; ` +
        `a one-day search finds ${matches} (a page holds 500)`,
    )
    const run = await interleaved(
      {
        name: 'local stack',
        url: servers.stackUrl,
        paths: subjectPaths,
        headers: { authorization: `Bearer ${servers.token}` },
      },
      {
        name: 'bare node:http + a Query per organisation',
        url: servers.bareUrl,
        paths: servers.searchDays.map((day) => `/Slot?day=${day}`),
      },
      plan,
      options.progress,
    )
    const mine = summary(run.subject)
    const theirs = summary(run.baseline)
    // Nothing answered within a round: the figures would read as 0 ms, which is not a pass.
    if (!(mine.requestsPerSecond > 0 && theirs.requestsPerSecond > 0)) {
      throw new Error('a side completed no search within its rounds (the machine is too loaded to measure)')
    }
    const baseline = (value: string) => `${value} (bare node:http + ${servers.organisations.length} Queries)`
    const measurements: Measurement[] = [
      {
        suite: 'slotSearch',
        measure: `slot search (GET /Slot, one day × ${servers.organisations.length} organisations, Schedules included) p50, ${CONNECTIONS} clients`,
        subject: ms(mine.p50Ms),
        baseline: baseline(ms(theirs.p50Ms)),
        ratio: mine.p50Ms / theirs.p50Ms,
        target: 'report',
        verdict: 'INFO',
      },
      {
        suite: 'slotSearch',
        measure: `slot search p99, ${CONNECTIONS} clients`,
        subject: ms(mine.p99Ms),
        baseline: baseline(ms(theirs.p99Ms)),
        ratio: mine.p99Ms / theirs.p99Ms,
        target: `< ${TARGET_MS / 1000} s`,
        verdict: verdictOf(mine.p99Ms < TARGET_MS),
      },
      {
        suite: 'slotSearch',
        measure: `slot searches per second, ${CONNECTIONS} clients`,
        subject: perSecond(mine.requestsPerSecond),
        baseline: perSecond(theirs.requestsPerSecond),
        ratio: mine.requestsPerSecond / theirs.requestsPerSecond,
        target: 'report',
        verdict: 'INFO',
      },
    ]
    return {
      suite: 'slotSearch',
      title: 'Slot search at 50 concurrent clients',
      durationMs: performance.now() - started,
      measurements,
      details: [
        `Every member of the demo ICS (${servers.organisations.length} organisations) holds ${slotsPerDay} free ` +
          `slots a day for ${servers.searchDays.length} days, bulk-loaded as the appointment book writes them. ` +
          `${CONNECTIONS} autocannon connections search one day each (${matches} matches, the first page of 500 ` +
          'with their Schedules and Organizations), alternating (ABBA) with a bare `node:http` server making the ' +
          'same one Query per organisation on the by-start index against the same dynalite and answering the items ' +
          `as JSON; medians of ${plan.rounds} rounds.`,
        table(
          ['round', 'stack req/s', 'stack p50', 'stack p99', 'bare req/s', 'bare p50', 'bare p99'],
          run.subject.map((subject, index) => {
            const bare = run.baseline[index]!
            return [
              String(index + 1),
              String(Math.round(subject.requestsPerSecond)),
              ms(subject.p50Ms),
              ms(subject.p99Ms),
              String(Math.round(bare.requestsPerSecond)),
              ms(bare.p50Ms),
              ms(bare.p99Ms),
            ]
          }),
        ),
      ],
      data: run,
    }
  } finally {
    await server.stop()
  }
}
