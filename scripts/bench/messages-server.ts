import { createHmac, randomUUID } from 'node:crypto'
import { createServer } from 'node:http'
import { mintToken } from '../local/dev-keys'
import { demoPatientRecords } from '../seed/demoPatients'
import { listenBare, startBenchStack } from './bench-stack'
import { announce, exitWithParent } from './processes'

/*
 * The messages suite's servers, in one process of their own over a DynamoDB (dynalite) in
 * another, as on AWS (the senders and the receiver run in the bench process):
 *
 * - the local stack as `npm start` runs it, with the rate limit lifted, and the two demo
 *   pharmacies (FX001, FX002) subscribed to the bench's receiver;
 * - the baseline: a bare node:http server in the same process doing the same
 *   store-and-forward and nothing else: it parses the Bundle, stores it with one
 *   conditional PutItem on the same messages table through the same document client
 *   against the same dynalite, answers 202, then POSTs the exact bytes, HMAC-signed, to the
 *   same receiver with the same headers.
 */

/** What the server tells the suite once it is ready. */
export interface MessagesBenchServers {
  stackUrl: string
  bareUrl: string
  /** RX9 (the demo hospital) with `message.write`. */
  token: string
  /** Living unrestricted demo patients with a nominated pharmacy (FX001 or FX002). */
  patients: string[]
}

// Never import values from this module: importing it runs it (it is a child's entry point).
const receiverUrl = process.argv[2]
/** The stack's DynamoDB, in a process of its own (startChildOnOwnDynamo). */
const dynamoEndpoint = process.argv[3]
if (!receiverUrl || !dynamoEndpoint)
  throw new Error('usage: messages-server.ts <receiver URL> <DynamoDB endpoint>')

const { stack, keys, stop: stopStack } = await startBenchStack({ dynamoEndpoint })
const { documentClient, tableNameOf } = await import('../../functions/shared/dynamodb')
const { PutCommand } = await import('@aws-sdk/lib-dynamodb')
const { isRestricted } = await import('../../functions/shared/patients/confidentiality')
const { nominatedPharmacyOf } = await import('../../functions/shared/patients/careRelationship')

const secrets: string[] = []
for (const ods of ['FX001', 'FX002']) {
  const token = await mintToken(keys, { org: ods, scopes: 'subscription.write', ics: stack.ics })
  const response = await fetch(`${stack.baseUrl}/Subscription`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/fhir+json' },
    body: JSON.stringify({
      resourceType: 'Subscription',
      status: 'requested',
      reason: 'messages bench receiver',
      criteria: `DischargeSummaryPublished?recipient=${ods}`,
      channel: { type: 'rest-hook', endpoint: receiverUrl, payload: 'application/fhir+json' },
    }),
  })
  const body = (await response.json()) as { extension?: { valueString?: string }[] }
  if (response.status !== 201) throw new Error(`subscribing ${ods} answered ${response.status}`)
  secrets.push(body.extension?.[0]?.valueString ?? '')
}

const table = tableNameOf('messages')
const bareSecret = secrets[0]!
const bare = createServer((request, response) => {
  const chunks: Buffer[] = []
  request.on('data', (chunk: Buffer) => chunks.push(chunk))
  request.on('end', () => {
    const bytes = Buffer.concat(chunks)
    const text = bytes.toString('utf8')
    let headerId: string
    try {
      const bundle = JSON.parse(text) as { entry: { resource: { id: string } }[] }
      headerId = bundle.entry[0]!.resource.id
    } catch {
      response.writeHead(400).end()
      return
    }
    const id = `BARE-${headerId}`
    documentClient
      .send(
        new PutCommand({
          TableName: table,
          Item: { pk: `MESSAGE#${id}`, sk: 'MESSAGE', bundle: text, acceptedAt: new Date().toISOString() },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      )
      .then(
        () => {
          response.writeHead(202, { Location: `/Message/${id}` }).end()
          // Then forward, as a deliverer would: the exact bytes, signed.
          return fetch(receiverUrl, {
            method: 'POST',
            headers: {
              'Content-Type': 'application/fhir+json',
              'X-Signature': `sha256=${createHmac('sha256', bareSecret).update(bytes).digest('hex')}`,
              'X-Message-ID': id,
              'X-Correlation-ID': randomUUID(),
              'X-Delivery-Attempt': '1',
            },
            body: bytes,
          }).then((answer) => answer.body?.cancel())
        },
        (error: Error) => {
          response.writeHead(error.name === 'ConditionalCheckFailedException' ? 409 : 500).end()
        },
      )
      .catch(() => undefined)
  })
})
const bareUrl = await listenBare(bare)

const servers: MessagesBenchServers = {
  stackUrl: stack.baseUrl,
  bareUrl,
  token: await mintToken(keys, { org: 'RX9', scopes: 'message.write', ics: stack.ics }),
  patients: demoPatientRecords()
    .filter(
      (record) =>
        record.status === 'active' &&
        !isRestricted(record.patient) &&
        !record.patient.deceasedDateTime &&
        ['FX001', 'FX002'].includes(nominatedPharmacyOf(record.patient) ?? ''),
    )
    .map((record) => record.nhsNumber),
}

exitWithParent(async () => {
  bare.closeAllConnections()
  bare.close()
  await stopStack()
})
announce(servers)
