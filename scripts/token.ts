import { parseArgs } from 'node:util'
import { icsNames } from '../infra/ics-configs'
import { isValidNhsNumber } from '../schemas/fhir/identifiers'
import { loadOrCreateDevKeys, mintPatientToken, mintToken } from './local/dev-keys'
import { DEFAULT_KEYS_DIR } from './local/runtime'

// `npm run --silent token -- --org <ODS> --scopes "<scopes>" [--ics] [--sub] [--ttl]`, or
// `npm run --silent token -- --patient <nhs>` for a patient's own (NHS-login style) token:
// prints a JWT that the running local stack accepts (and no deployed stack does).
const { values } = parseArgs({
  options: {
    org: { type: 'string' },
    patient: { type: 'string' },
    scopes: { type: 'string' },
    ics: { type: 'string' },
    sub: { type: 'string' },
    ttl: { type: 'string' },
  },
})
const usage =
  'usage: npm run --silent token -- --org <ODS> --scopes "<scope> <scope>" [--ics demo] [--sub id] [--ttl seconds]\n' +
  '       npm run --silent token -- --patient <NHS number> [--ics demo] [--ttl seconds]'
if (
  values.patient !== undefined
    ? !isValidNhsNumber(values.patient) || values.org !== undefined
    : !values.org || values.scopes === undefined
) {
  console.error(usage)
  process.exit(2)
}
const ttl = values.ttl === undefined ? 3600 : Number(values.ttl)
if (!Number.isInteger(ttl) || ttl <= 0) {
  console.error('--ttl must be a positive number of seconds')
  process.exit(2)
}
const keys = await loadOrCreateDevKeys(process.env.DATA_DIR ?? DEFAULT_KEYS_DIR)
const ics = values.ics ?? process.env.ICS ?? icsNames()[0]!
console.log(
  values.patient !== undefined
    ? await mintPatientToken(keys, { nhsNumber: values.patient, ics, ttlSeconds: ttl })
    : await mintToken(keys, {
        org: values.org!,
        scopes: values.scopes!,
        ics,
        sub: values.sub,
        ttlSeconds: ttl,
      }),
)
