import { parseArgs } from 'node:util'
import { loadOrCreateDevKeys, mintToken } from './local/dev-keys'
import { DEFAULT_KEYS_DIR } from './local/runtime'
import { startPharmacyInbox } from './pharmacy-inbox/inbox'

// `npm run pharmacy-inbox -- --port 4001`: a pharmacy's webhook inbox for the local stack. It
// subscribes itself to DischargeSummaryPublished for --org (FX001) with a token minted by the
// local dev key, keeps the signing secret it is shown, then verifies, prints and acknowledges
// each delivery. `--secret <hex> --token <jwt>` instead: an existing subscription (any stack).
const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '4001' },
    base: { type: 'string', default: process.env.BASE_URL ?? 'http://127.0.0.1:3000' },
    org: { type: 'string', default: 'FX001' },
    event: { type: 'string', default: 'DischargeSummaryPublished' },
    secret: { type: 'string' },
    token: { type: 'string' },
  },
})
const port = Number(values.port)
if (!Number.isInteger(port) || port < 0 || port > 65_535) {
  console.error('usage: npm run pharmacy-inbox -- --port 4001 [--org FX001] [--base http://127.0.0.1:3000]')
  process.exit(2)
}
const base = values.base!.replace(/\/$/, '')
const token =
  values.token ??
  (await mintToken(await loadOrCreateDevKeys(process.env.DATA_DIR ?? DEFAULT_KEYS_DIR), {
    org: values.org!,
    scopes: 'subscription.write message.write',
    ics: process.env.ICS ?? 'demo',
    ttlSeconds: 3600,
  }))
let secret = values.secret
const inbox = await startPharmacyInbox({
  port,
  secret: () => secret,
  acknowledge: async (messageId) => {
    const response = await fetch(`${base}/Message/${encodeURIComponent(messageId)}/$acknowledge`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${token}` },
    })
    if (!response.ok) throw new Error(`HTTP ${response.status}`)
  },
})
console.log(`Pharmacy inbox for ${values.org} listening on ${inbox.url}`)
if (!secret) {
  const response = await fetch(`${base}/Subscription`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/fhir+json' },
    body: JSON.stringify({
      resourceType: 'Subscription',
      status: 'requested',
      reason: `Pharmacy inbox of ${values.org}`,
      criteria: `${values.event}?recipient=${values.org}`,
      channel: { type: 'rest-hook', endpoint: inbox.url, payload: 'application/fhir+json' },
    }),
  })
  const subscription = (await response.json()) as {
    id?: string
    extension?: { url: string; valueString?: string }[]
    issue?: { diagnostics?: string }[]
  }
  if (response.status !== 201) {
    console.error(
      `Could not subscribe (HTTP ${response.status}): ${subscription.issue?.[0]?.diagnostics ?? ''}`,
    )
    process.exit(1)
  }
  secret = subscription.extension?.find((extension) => extension.url.endsWith('signing-secret'))?.valueString
  console.log(`Subscribed: ${base}/Subscription/${subscription.id} (${values.event}?recipient=${values.org})`)
  console.log(`Signing secret (shown once): ${secret}`)
}
console.log('Waiting for deliveries… (Ctrl-C to stop)')
