import { loadIcsConfig } from '../../infra/ics-configs'
import { mintToken } from '../local/dev-keys'
import { sandboxServiceRoot } from '../local/sandbox/gpconnect/provider'
import { demoPatientRecords } from '../seed/demoPatients'
import { startBenchStack } from './bench-stack'
import { announce, exitWithParent } from './processes'

/*
 * The records suite's server, in a process of its own: the demo stack as `npm start` runs
 * it, with every generated demo patient held by three organisations (their GP, the other
 * practice and the hospital), and its directory pointing at the sandbox GP Connect
 * providers in another process, each answering after a provider's think time: a retrieval
 * does what it does nationally, wait for the slowest of three holders.
 */

/** How long each sandbox provider takes to answer, as a GP system does (the slowest sets the baseline). */
const HOLDER_THINK_MS: Record<string, number> = { Y90001: 150, Y90002: 200, RX9: 250 }

/** What the records bench server tells the bench once it is ready. */
export interface RecordsBenchServer {
  stackUrl: string
  /** `record.read` for NX001. */
  token: string
  /** Patients with exactly three holders. */
  patients: string[]
  consumerAsid: string
  holders: { ods: string; asid: string; serviceRoot: string; thinkMs: number }[]
}

/** Where the sandbox providers are served (scripts/bench/records-sandbox.ts, another process). */
const sandboxBaseUrl = process.argv[2]
/** The stack's DynamoDB (scripts/bench/dynalite-server.ts, another process, as DynamoDB is on AWS). */
const dynamoEndpoint = process.argv[3]
if (!sandboxBaseUrl || !dynamoEndpoint)
  throw new Error('usage: records-server.ts <sandbox base URL> <DynamoDB endpoint>')
const { stack, keys, stop: stopStack } = await startBenchStack({ sandboxBaseUrl, dynamoEndpoint })
const { EventBridgePublisher } = await import('../../functions/shared/events')
const { recordTypeFromText } = await import('../../schemas/fhir/recordTypes')

const config = loadIcsConfig('demo')
const generated = demoPatientRecords().filter(
  (record) =>
    record.status === 'active' && record.nhsNumber.startsWith('999') && record.patient.generalPractitioner,
)
const events = generated.flatMap((record) => {
  const gp =
    record.status === 'active' ? record.patient.generalPractitioner?.[0]?.identifier?.value : undefined
  return ['Y90001', 'Y90002', 'RX9']
    .filter((ods) => ods !== gp)
    .map((holderOds) => ({
      detailType: 'RecordHolderRegistered' as const,
      major: 2,
      data: { nhsNumber: record.nhsNumber, holderOds, recordType: recordTypeFromText('GP record') },
    }))
})
const publisher = new EventBridgePublisher({
  source: 'joinup.platform',
  ics: () => stack.ics,
  clock: () => new Date(),
})
await publisher.publish(events, { correlationId: 'records-bench' })
await stack.bus.idle(60_000)

for (const [ods, delayMs] of Object.entries(HOLDER_THINK_MS)) {
  const response = await fetch(`${sandboxBaseUrl}/_local/sandbox/gpconnect/${ods}/behaviour`, {
    method: 'PUT',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ mode: 'slow', delayMs }),
  })
  if (response.status !== 200) throw new Error(`could not slow ${ods} down`)
}

const server: RecordsBenchServer = {
  stackUrl: stack.baseUrl,
  token: await mintToken(keys, {
    org: 'NX001',
    scopes: 'record.read',
    ics: stack.ics,
  }),
  patients: generated.map((record) => record.nhsNumber),
  consumerAsid: config.directory.consumerAsid!,
  holders: config.directory.holders.flatMap((holder) =>
    holder.protocol === 'gpconnect-1.6-stu3'
      ? [
          {
            ods: holder.ods,
            asid: holder.asid,
            serviceRoot: sandboxServiceRoot(sandboxBaseUrl, holder.ods),
            thinkMs: HOLDER_THINK_MS[holder.ods] ?? 0,
          },
        ]
      : [],
  ),
}

exitWithParent(async () => {
  await stopStack()
})
announce(server)
