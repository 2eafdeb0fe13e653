import { mkdtemp, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { authenticate } from '../../functions/shared/auth'
import { loadIcsConfig } from '../../infra/ics-configs'
import { runtimeConfigOf } from '../../schemas/ics-config'
import {
  demoIssuerKeyFile,
  mintDemoToken,
  newDemoIssuerKey,
  readPrivateKey,
  writePrivateKey,
} from '../../scripts/demo/demo-issuer'

const dirs: string[] = []
afterAll(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true })
})

describe('the demo issuer of a deployed demo ICS', () => {
  it('mints tokens that the demo ICS’s functions accept, from its config alone', async () => {
    // Prepare: demo.json with a fresh demo issuer key, as npm run demo-issuer writes it
    const { publicKey, privateKey } = await newDemoIssuerKey()
    const config = { ...loadIcsConfig('demo'), demoIssuer: { keys: [publicKey] } }

    // Act
    const token = await mintDemoToken(config, privateKey, { org: 'NX001', scopes: 'patient.read' })
    const caller = await authenticate(token, runtimeConfigOf(config))

    // Assess
    expect(caller).toMatchObject({ organisation: 'NX001', ics: 'demo', sub: 'demo-user@NX001' })
    expect(caller.scopes.has('patient.read')).toBe(true)
  })

  it('refuses to sign with a key the config does not list (the stack would refuse the token)', async () => {
    const listed = await newDemoIssuerKey()
    const other = await newDemoIssuerKey()
    const config = { ...loadIcsConfig('demo'), demoIssuer: { keys: [listed.publicKey] } }
    await expect(
      mintDemoToken(config, other.privateKey, { org: 'NX001', scopes: 'patient.read' }),
    ).rejects.toThrow(/not among demo's demoIssuer\.keys/)
  })

  it('keeps the private key in a file only its owner can read', async () => {
    // Prepare
    const dir = await mkdtemp(join(tmpdir(), 'joinup-demo-issuer-'))
    dirs.push(dir)
    const { privateKey } = await newDemoIssuerKey()
    const file = demoIssuerKeyFile(dir, 'demo')

    // Act
    await writePrivateKey(file, privateKey)

    // Assess
    expect((await stat(file)).mode & 0o777).toBe(0o600)
    expect(await readPrivateKey(file)).toEqual(privateKey)
  })

  it('never puts a private key in the public half', async () => {
    const { publicKey } = await newDemoIssuerKey()
    expect(Object.keys(publicKey).sort()).toEqual(['alg', 'crv', 'kid', 'kty', 'use', 'x', 'y'])
  })
})
