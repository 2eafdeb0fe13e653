import { parseArgs } from 'node:util'
import { icsNames } from '../infra/ics-configs'
import { loadOrCreateDevKeys, mintToken } from './local/dev-keys'
import { DEFAULT_KEYS_DIR } from './local/runtime'

// `npm run --silent token -- --org <ODS> --scopes "<scopes>" [--ics] [--sub] [--ttl]`:
// prints a JWT that the running local stack accepts (and no deployed stack does).
const { values } = parseArgs({
  options: {
    org: { type: 'string' },
    scopes: { type: 'string' },
    ics: { type: 'string' },
    sub: { type: 'string' },
    ttl: { type: 'string' },
  },
})
if (!values.org || values.scopes === undefined) {
  console.error(
    'usage: npm run --silent token -- --org <ODS> --scopes "<scope> <scope>" [--ics demo] [--sub id] [--ttl seconds]',
  )
  process.exit(2)
}
const ttl = values.ttl === undefined ? 3600 : Number(values.ttl)
if (!Number.isInteger(ttl) || ttl <= 0) {
  console.error('--ttl must be a positive number of seconds')
  process.exit(2)
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
