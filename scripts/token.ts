import { parseArgs } from 'node:util'
import { icsNames, loadIcsConfig } from '../infra/ics-configs'
import { demoIssuerKeyFile, mintDemoToken, readPrivateKey } from './demo/demo-issuer'
import { loadOrCreateDevKeys, mintToken } from './local/dev-keys'
import { DEFAULT_KEYS_DIR } from './local/runtime'

// `npm run --silent token -- --org <ODS> --scopes "<scopes>" [--ics] [--sub] [--ttl]`:
// prints a JWT that the running local stack accepts (and no deployed stack does).
// `--deployed`: a token for a deployed demo ICS instead, signed by its demo issuer
// (npm run demo-issuer makes the key; `--key <file>` names another copy of it).
const { values } = parseArgs({
  options: {
    org: { type: 'string' },
    scopes: { type: 'string' },
    ics: { type: 'string' },
    sub: { type: 'string' },
    ttl: { type: 'string' },
    deployed: { type: 'boolean' },
    key: { type: 'string' },
  },
})
if (!values.org || values.scopes === undefined) {
  console.error(
    'usage: npm run --silent token -- --org <ODS> --scopes "<scope> <scope>" [--ics demo] [--sub id] [--ttl seconds] [--deployed [--key <file>]]',
  )
  process.exit(2)
}
const ttl = values.ttl === undefined ? 3600 : Number(values.ttl)
if (!Number.isInteger(ttl) || ttl <= 0) {
  console.error('--ttl must be a positive number of seconds')
  process.exit(2)
}
if (values.deployed) {
  const config = loadIcsConfig(values.ics ?? process.env.ICS ?? icsNames()[0]!)
  const key = await readPrivateKey(values.key ?? demoIssuerKeyFile(DEFAULT_KEYS_DIR, config.ics))
  console.log(
    await mintDemoToken(config, key, {
      org: values.org,
      scopes: values.scopes,
      sub: values.sub,
      ttlSeconds: ttl,
    }),
  )
  process.exit(0)
}
const keys = await loadOrCreateDevKeys(process.env.DATA_DIR ?? DEFAULT_KEYS_DIR)
console.log(
  await mintToken(keys, {
    org: values.org,
    scopes: values.scopes,
    ics: values.ics ?? process.env.ICS ?? icsNames()[0]!,
    sub: values.sub,
    ttlSeconds: ttl,
  }),
)
