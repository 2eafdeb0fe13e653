import { icsNames } from '../infra/ics-configs'
import { loadOrCreateDevKeys, mintToken } from './local/dev-keys'
import { startLocalStack } from './local/runtime'
import { DEMO_PATIENTS } from './seed/demoPatients'
import { demoSeed } from './seed/demoSeed'

// `npm start`: the whole ICS stack on this machine, no AWS account, no Docker.
const port = Number(process.env.PORT ?? 3000)
const ics = process.env.ICS ?? icsNames()[0]!
const dataDir = process.env.DATA_DIR
const step = (line: string) => console.log(`  ✓ ${line}`)

console.log(`Starting the ${ics} ICS stack locally…`)
const stack = await startLocalStack({
  port,
  host: process.env.HOST ?? '127.0.0.1',
  ics,
  dataDir,
  seed: demoSeed,
  progress: step,
})
const token = await mintToken(await loadOrCreateDevKeys(stack.keysDir), {
  org: 'NX001',
  scopes:
    'patient.read record.read appointment.read appointment.write pointer.write message.write subscription.write audit.read',
  ics,
})
const readyMs = Math.round(performance.now())
console.log(`
Ready in ${readyMs} ms.
  API:   ${stack.baseUrl}
  Docs:  ${stack.baseUrl}/docs
  JWKS:  ${stack.baseUrl}/.well-known/jwks.json  (local dev issuer; no deployed stack trusts it)
  Local: ${stack.baseUrl}/_local/events (bus archive), ${stack.baseUrl}/_local/dead-letters

Try it (token for NX001, Demo Urgent Care, valid 1 hour):
curl -s -H "Authorization: Bearer ${token}" ${stack.baseUrl}/Patient/${DEMO_PATIENTS.registered}

The structured record merged from three holders (sandbox GP Connect providers, synthetic data):
curl -s -X POST -H "Authorization: Bearer ${token}" -H 'Content-Type: application/fhir+json' \\
  ${stack.baseUrl}/Patient/\\$gpc.getstructuredrecord -d '{"resourceType":"Parameters","parameter":[{"name":"patientNHSNumber","valueIdentifier":{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"${DEMO_PATIENTS.federated}"}},{"name":"includeAllergies","part":[{"name":"includeResolvedAllergies","valueBoolean":true}]},{"name":"includeMedication"},{"name":"includeProblems"}]}'

More tokens: npm run --silent token -- --org <ODS> --scopes "<scopes>"
Ctrl-C stops the stack.`)

let stopping = false
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (stopping) return
    stopping = true
    console.log('\nStopping…')
    stack.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    )
  })
}
