import { parseArgs } from 'node:util'
import { DynamoDBClient } from '@aws-sdk/client-dynamodb'
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb'
import { DynamoDbAuditTrail } from '../functions/shared/audit/DynamoDbAuditTrail'
import { verifyTrail } from '../functions/shared/audit/verify'
import { isValidNhsNumber, OdsCode } from '../schemas/fhir/identifiers'

// `npm run audit:verify -- --patient <nhs> [--local http://127.0.0.1:3000 | --table <name> [--region eu-west-2]]`
// Re-computes one patient's hash chain and reports the first broken link (exit 1 if broken).
// `--organisation <ODS>` instead of `--patient` verifies an organisation's chain of bulk changes.
const { values } = parseArgs({
  options: {
    patient: { type: 'string' },
    organisation: { type: 'string' },
    local: { type: 'string' },
    table: { type: 'string' },
    region: { type: 'string' },
  },
})
const patient = values.patient
const organisation = values.organisation
const subjectValid =
  patient !== undefined
    ? organisation === undefined && isValidNhsNumber(patient)
    : organisation !== undefined && OdsCode.safeParse(organisation).success
if (!subjectValid || (!values.local && !values.table)) {
  console.error(
    'usage: npm run audit:verify -- (--patient <nhs> | --organisation <ODS>) (--local <base url> | --table <name> [--region <r>])',
  )
  process.exit(2)
}

let client: DynamoDBClient
let tableName: string
if (values.local) {
  const info = (await (await fetch(new URL('/_local/info', values.local))).json()) as {
    dynamoEndpoint: string
    region: string
    tables: { audit: string }
  }
  client = new DynamoDBClient({
    endpoint: info.dynamoEndpoint,
    region: info.region,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  })
  tableName = info.tables.audit
} else {
  client = new DynamoDBClient({ region: values.region ?? process.env.AWS_REGION ?? 'eu-west-2' })
  tableName = values.table!
}

const trail = new DynamoDbAuditTrail(DynamoDBDocumentClient.from(client), tableName)
const verdict = patient
  ? await verifyTrail(trail, patient)
  : await verifyTrail(trail, organisation!, 'organisation')
client.destroy()
if (verdict.intact) {
  console.log(`audit chain intact: ${verdict.records} records`)
} else {
  console.log(
    `audit chain BROKEN at seq ${verdict.brokenAt} of ${verdict.records} records: ${verdict.reason}`,
  )
  process.exit(1)
}
