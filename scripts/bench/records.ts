import { randomUUID } from 'node:crypto'
import { consumerJwt } from '../../functions/shared/gpconnect/consumer'
import { GET_STRUCTURED_RECORD_INTERACTION } from '../../functions/shared/gpconnect/GpConnectRecordSource'
import { parametersOf, type StructuredRecordQuery } from '../../functions/shared/records/query'
import { fire, interleaved, type LoadTarget, summary } from './load'
import { startChild } from './processes'
import type { RecordsBenchServer } from './records-server'
import { type BenchOptions, type Measurement, ms, type SuiteResult, table, verdictOf } from './report'

const CONNECTIONS = 50
/** GP Connect: structured queries SHALL answer within 3 s and SHOULD within 1 s; the local target is the SHOULD. */
const P99_TARGET_MS = 1_000
/** Issue 10: federation overhead, p50 retrieval over p50 of the slowest holder, at most 1.3×. */
const OVERHEAD_TARGET = 1.3

/** What a clinician typically asks for: allergies, medication and problems. */
const query = (nhsNumber: string): StructuredRecordQuery => ({
  nhsNumber,
  allergies: { includeResolved: false },
  medication: {},
  problems: {},
})

/** The retrieval through the stack: one request per patient, NX001's token. */
function retrievalTarget(server: RecordsBenchServer): LoadTarget {
  return {
    name: 'POST /Patient/$gpc.getstructuredrecord (3 holders)',
    url: server.stackUrl,
    paths: [],
    requests: server.patients.map((nhsNumber) => ({
      method: 'POST',
      path: '/Patient/$gpc.getstructuredrecord',
      body: JSON.stringify(parametersOf(query(nhsNumber))),
      headers: { authorization: `Bearer ${server.token}`, 'content-type': 'application/fhir+json' },
    })),
  }
}

/** One holder asked directly, as the stack asks it (same body, Ssp-* headers, consumer JWT). */
function holderTarget(server: RecordsBenchServer, holder: RecordsBenchServer['holders'][number]): LoadTarget {
  const jwt = consumerJwt(
    {
      caller: {
        sub: 'bench',
        organisation: 'NX001',
        ics: 'demo',
        scopes: new Set(['record.read']),
        purposeOfUse: 'directcare',
      },
      organisationName: 'Demo Urgent Care',
      baseUrl: server.stackUrl,
      ics: 'demo',
    },
    holder.serviceRoot,
    'patient/*.read',
    new Date(),
  )
  const root = new URL(holder.serviceRoot)
  return {
    name: `${holder.ods} alone`,
    url: root.origin,
    paths: [],
    requests: server.patients.map((nhsNumber) => ({
      method: 'POST',
      path: `${root.pathname}/Patient/$gpc.getstructuredrecord`,
      body: JSON.stringify(parametersOf(query(nhsNumber))),
      headers: {
        authorization: `Bearer ${jwt}`,
        'content-type': 'application/fhir+json;charset=utf-8',
        'ssp-traceid': randomUUID(),
        'ssp-from': server.consumerAsid,
        'ssp-to': holder.asid,
        'ssp-interactionid': GET_STRUCTURED_RECORD_INTERACTION,
      },
    })),
  }
}

/**
 * The records suite: p50 and p99 of a three-holder retrieval at 50 concurrent clients,
 * against the slowest holder's own answer time at 50 clients in the same run.
 */
export async function benchRecords(options: BenchOptions): Promise<SuiteResult> {
  const started = performance.now()
  const providers = startChild<{ baseUrl: string }>('records-sandbox.ts')
  let child: ReturnType<typeof startChild<RecordsBenchServer>> | undefined
  try {
    child = startChild<RecordsBenchServer>('records-server.ts', [(await providers.ready).baseUrl])
    const server = await child.ready
    const plan = options.quick
      ? { connections: CONNECTIONS, seconds: 3, rounds: 2, warmupSeconds: 1 }
      : { connections: CONNECTIONS, seconds: 6, rounds: 3, warmupSeconds: 2 }
    const subject = retrievalTarget(server)
    const check = await fetch(`${server.stackUrl}${subject.requests![0]!.path}`, {
      method: 'POST',
      headers: subject.requests![0]!.headers,
      body: subject.requests![0]!.body,
    })
    const checked = (await check.json()) as { entry?: { resource: { resourceType: string } }[] }
    if (check.status !== 200) throw new Error(`the retrieval answered ${check.status}`)
    if (checked.entry?.some((entry) => entry.resource.resourceType === 'OperationOutcome'))
      throw new Error('a holder did not answer the check retrieval')

    // Each holder alone, once, to find the slowest: the one a federated answer waits for.
    const holders: { ods: string; thinkMs: number; p50Ms: number; p99Ms: number }[] = []
    for (const holder of server.holders) {
      const target = holderTarget(server, holder)
      await fire(target, plan.connections, plan.warmupSeconds)
      const round = await fire(target, plan.connections, plan.seconds)
      if (round.failed > 0) throw new Error(`${holder.ods} alone: ${round.failed} requests failed`)
      holders.push({ ods: holder.ods, thinkMs: holder.thinkMs, p50Ms: round.p50Ms, p99Ms: round.p99Ms })
      options.progress(`${holder.ods} alone: p50 ${round.p50Ms} ms, p99 ${round.p99Ms} ms`)
    }
    const slowest = holders.reduce((a, b) => (b.p50Ms > a.p50Ms ? b : a))
    const baseline = holderTarget(server, server.holders.find((holder) => holder.ods === slowest.ods)!)
    options.progress(
      `retrieval vs ${slowest.ods} alone: ${plan.connections} connections, ${plan.rounds} rounds each`,
    )
    const run = await interleaved(subject, baseline, plan, options.progress)
    const mine = summary(run.subject)
    const theirs = summary(run.baseline)
    const overhead = mine.p50Ms / theirs.p50Ms
    const measurements: Measurement[] = [
      {
        suite: 'records',
        measure: `3-holder structured record p50, ${CONNECTIONS} clients`,
        subject: ms(mine.p50Ms),
        baseline: `${ms(theirs.p50Ms)} (${slowest.ods} alone, the slowest holder)`,
        ratio: overhead,
        target: `≤ ${OVERHEAD_TARGET}×`,
        verdict: verdictOf(overhead <= OVERHEAD_TARGET),
      },
      {
        suite: 'records',
        measure: `3-holder structured record p99, ${CONNECTIONS} clients`,
        subject: ms(mine.p99Ms),
        baseline: `${ms(theirs.p99Ms)} (${slowest.ods} alone)`,
        ratio: mine.p99Ms / theirs.p99Ms,
        target: `< ${ms(P99_TARGET_MS)} (GP Connect SHOULD; SHALL < 3 s)`,
        verdict: verdictOf(mine.p99Ms < P99_TARGET_MS),
      },
    ]
    return {
      suite: 'records',
      title: 'Record retrieval: three holders at 50 concurrent clients',
      durationMs: performance.now() - started,
      measurements,
      details: [
        `${CONNECTIONS} autocannon connections, each retrieving allergies, medication and problems of its own ` +
          `slice of the ${server.patients.length} generated demo patients, every one held by three ` +
          'organisations (their GP practice, the other practice and the hospital), all three served by the ' +
          'sandbox GP Connect providers in a process of their own (as real providers are elsewhere). Each provider waits a think time before it ' +
          'answers, as a GP system does, so a retrieval waits for the slowest holder as it would nationally. ' +
          `The baseline is that slowest holder asked directly, with the same Parameters, Ssp-* headers and ` +
          `consumer JWT, at ${CONNECTIONS} clients; subject and baseline alternate over ${plan.rounds} rounds ` +
          'and the figures are their medians. The overhead is everything federation adds: the PDS read, the ' +
          'index Query, two more holders, the STU3 to R4 mapping, the merge and the audit append.',
        table(
          ['holder', 'think time', 'alone p50', 'alone p99'],
          holders.map((holder) => [holder.ods, ms(holder.thinkMs), ms(holder.p50Ms), ms(holder.p99Ms)]),
        ),
      ],
      data: { holders, run },
    }
  } finally {
    await child?.stop()
    await providers.stop()
  }
}
