import { createReadStream } from 'node:fs'
import { createInterface } from 'node:readline'
import { parseArgs } from 'node:util'
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation'
import { DynamoDBClient } from '@aws-sdk/client-dynamodb'
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb'
import { DynamoDbPatientCache } from '../functions/shared/patients/DynamoDbPatientCache'
import { loadIcsConfig } from '../infra/ics-configs'
import { describeSummary, loadPdsTrace } from './pds/load'
import { demoPatientRecords } from './seed/demoPatients'

// `npm run pds:load -- --ics <name> --file <trace.ndjson> [--dry-run]`   a deployed ICS (AWS credentials);
//    the patients table is found from the stack's output, or named with --table
// `npm run pds:load -- --ics <name> --demo`                              the synthetic demo patients (demo ICS)
// `npm run pds:load -- --local <base url> --file <trace.ndjson>`         the running local stack
// Operators' machines may run Node 20; the SDK's notice about it is not theirs to act on here.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true'
const { values } = parseArgs({
  options: {
    ics: { type: 'string' },
    file: { type: 'string' },
    demo: { type: 'boolean' },
    table: { type: 'string' },
    region: { type: 'string' },
    local: { type: 'string' },
    'dry-run': { type: 'boolean' },
  },
})
if ((!values.ics && !values.local) || (!values.file && !values.demo)) {
  console.error(
    'usage: npm run pds:load -- (--ics <name> | --local <base url>) (--file <trace.ndjson> | --demo) [--table <name>] [--region <region>] [--dry-run]',
  )
  process.exit(2)
}

let ics = values.ics
let client: DynamoDBClient
let tableName = values.table
if (values.local) {
  const info = (await (await fetch(new URL('/_local/info', values.local))).json()) as {
    ics: string
    dynamoEndpoint: string
    region: string
    tables: { patients: string }
  }
  ics = info.ics
  tableName ??= info.tables.patients
  client = new DynamoDBClient({
    endpoint: info.dynamoEndpoint,
    region: info.region,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  })
} else {
  const region = values.region ?? loadIcsConfig(ics!).region
  client = new DynamoDBClient({ region, maxAttempts: 10 })
  tableName ??= await patientsTableOf(`Joinup-${ics}`, region)
}
const config = loadIcsConfig(ics!)

async function patientsTableOf(stackName: string, region: string): Promise<string> {
  const { Stacks = [] } = await new CloudFormationClient({ region }).send(
    new DescribeStacksCommand({ StackName: stackName }),
  )
  const output = Stacks[0]?.Outputs?.find((candidate) => candidate.OutputKey === 'patientsTableName')
  if (!output?.OutputValue) throw new Error(`${stackName} has no patientsTableName output: pass --table`)
  return output.OutputValue
}

async function* demoLines(): AsyncIterable<string> {
  for (const record of demoPatientRecords())
    if (record.status === 'active') yield JSON.stringify(record.patient)
}

const lines = values.demo
  ? demoLines()
  : createInterface({ input: createReadStream(values.file!), crlfDelay: Number.POSITIVE_INFINITY })
const started = performance.now()
const summary = await loadPdsTrace({
  lines,
  cache: new DynamoDbPatientCache(
    DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } }),
    tableName,
  ),
  config,
  dryRun: values['dry-run'],
  progress: (progress) => {
    const rate = Math.round(progress.loaded / ((performance.now() - started) / 1000))
    process.stderr.write(`\r${progress.lines} lines read, ${progress.loaded} loaded (${rate}/s)`)
  },
})
process.stderr.write('\n')
console.log(`${config.ics} (${tableName}): ${describeSummary(summary, values['dry-run'])}`)
client.destroy()
