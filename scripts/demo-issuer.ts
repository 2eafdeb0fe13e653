import { spawnSync } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { assertDeployable, ICS_CONFIG_DIR, loadIcsConfig } from '../infra/ics-configs'
import type { IcsConfig } from '../schemas/ics-config'
import { demoIssuerKeyFile, newDemoIssuerKey, writePrivateKey } from './demo/demo-issuer'
import { DEFAULT_KEYS_DIR } from './local/runtime'

// `npm run demo-issuer -- --ics <name>`                makes a demo issuer key: public half into
//                                                      infra/ics/<name>.json, private half into .local/
// `npm run demo-issuer -- --ics <name> --retire <kid>` removes an old public key (after a rotation)
// Then redeploy (npx cdk deploy -c ics=<name>) and mint tokens: npm run token -- --deployed --ics <name> ...
const { values } = parseArgs({
  options: { ics: { type: 'string' }, retire: { type: 'string' }, 'keys-dir': { type: 'string' } },
})
if (!values.ics) {
  console.error('usage: npm run demo-issuer -- --ics <name> [--retire <kid>] [--keys-dir <dir>]')
  process.exit(2)
}
const file = join(ICS_CONFIG_DIR, `${values.ics}.json`)
const raw = JSON.parse(readFileSync(file, 'utf8')) as IcsConfig
const keys = raw.demoIssuer?.keys ?? []
if (values.retire) {
  if (!keys.some((key) => key.kid === values.retire))
    throw new Error(`${values.ics} has no demo issuer key ${values.retire}`)
  raw.demoIssuer = { keys: keys.filter((key) => key.kid !== values.retire) }
  console.log(`Removed ${values.retire} from ${file}; tokens it signed are refused after the next deploy.`)
} else {
  const { publicKey, privateKey } = await newDemoIssuerKey()
  raw.demoIssuer = { keys: [...keys, publicKey] }
  // Checked before anything is written: a demo issuer is refused next to the national PDS.
  assertDeployable({ ...loadIcsConfig(values.ics), demoIssuer: raw.demoIssuer })
  const keyFile = demoIssuerKeyFile(values['keys-dir'] ?? DEFAULT_KEYS_DIR, values.ics)
  await writePrivateKey(keyFile, privateKey)
  console.log(
    `Demo issuer key ${publicKey.kid}: public key added to ${file}, private key in ${keyFile} (owner-only).`,
  )
}
writeFileSync(file, `${JSON.stringify(raw, null, 2)}\n`)
spawnSync('npx', ['biome', 'format', '--write', file], { stdio: 'ignore' })
console.log(`Deploy it: npx cdk deploy -c ics=${values.ics}`)
