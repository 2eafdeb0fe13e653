import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { NHS_NUMBER_SYSTEM } from '../../schemas/fhir/identifiers'
import { type DevKeys, loadOrCreateDevKeys, localAudience, mintToken } from '../../scripts/local/dev-keys'
import { DEMO_PATIENTS } from '../../scripts/seed/demoPatients'
import { bootStack, type RunningStack } from './harness'

// Issue 15, item 8: two ICSs side by side. The demo ICS runs in this process; example-north in
// a second one (one local stack per process, as one stack per Lambda), each with its own dev
// issuer key, tables and bus. A token for one is refused by the other.
const REPO_ROOT = join(import.meta.dirname, '..', '..')
let demo: RunningStack
let north: { child: ChildProcess; baseUrl: string; keys: DevKeys; dataDir: string }

async function startNorth(): Promise<typeof north> {
  const dataDir = await mkdtemp(join(tmpdir(), 'joinup-north-'))
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    ICS: 'example-north',
    PORT: '0',
    DATA_DIR: dataDir,
    HOST: '127.0.0.1',
  }
  delete env.NODE_EXTRA_CA_CERTS
  delete env.LOG_LEVEL
  const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/start.ts'], {
    cwd: REPO_ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let output = ''
  const baseUrl = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`example-north did not start:\n${output.slice(-2000)}`)),
      90_000,
    )
    const take = (chunk: Buffer) => {
      output += chunk.toString('utf8')
      const url = /API:\s+(http:\/\/127\.0\.0\.1:\d+)/.exec(output)?.[1]
      if (url) {
        clearTimeout(timer)
        resolve(url)
      }
    }
    child.stdout!.on('data', take)
    child.stderr!.on('data', take)
    child.once('exit', () => reject(new Error(`example-north exited:\n${output.slice(-2000)}`)))
  })
  return { child, baseUrl, keys: await loadOrCreateDevKeys(dataDir), dataDir }
}

beforeAll(async () => {
  ;[demo, north] = await Promise.all([bootStack(), startNorth()])
}, 120_000)

afterAll(async () => {
  await demo?.stop()
  if (north) {
    const exited = new Promise((resolve) => north.child.once('exit', resolve))
    north.child.kill('SIGTERM')
    await exited
    await rm(north.dataDir, { recursive: true, force: true })
  }
})

const pointersOf = `/DocumentReference?subject:identifier=${NHS_NUMBER_SYSTEM}|${DEMO_PATIENTS.registered}`

async function status(baseUrl: string, token: string): Promise<number> {
  const response = await fetch(`${baseUrl}${pointersOf}`, { headers: { Authorization: `Bearer ${token}` } })
  await response.arrayBuffer()
  return response.status
}

describe('two ICSs side by side', () => {
  it('each accepts its own members’ tokens (the control)', async () => {
    const northToken = await mintToken(north.keys, {
      org: 'Y91001',
      scopes: 'record.read',
      ics: 'example-north',
    })
    expect(await status(north.baseUrl, northToken)).toBe(200)
    expect(await status(demo.baseUrl, await demo.token('NX001', 'record.read'))).toBe(200)
  })

  it('refuses, in example-north, a token the demo ICS issued', async () => {
    expect(await status(north.baseUrl, await demo.token('NX001', 'record.read'))).toBe(401)
  })

  it('refuses, in the demo ICS, a token example-north issued', async () => {
    const northToken = await mintToken(north.keys, {
      org: 'Y91001',
      scopes: 'record.read',
      ics: 'example-north',
    })
    expect(await status(demo.baseUrl, northToken)).toBe(401)
  })

  it('refuses a token signed by the right key for the other ICS’s audience or ICS', async () => {
    // Prepare: example-north's own key, but aimed at demo (audience), or claiming demo (ics)
    const forDemoAudience = await mintToken(north.keys, {
      org: 'Y91001',
      scopes: 'record.read',
      ics: 'example-north',
      audience: localAudience('demo'),
    })
    const claimingDemo = await mintToken(north.keys, {
      org: 'Y91001',
      scopes: 'record.read',
      ics: 'demo',
      audience: localAudience('example-north'),
    })

    // Assess
    expect(await status(north.baseUrl, forDemoAudience)).toBe(401)
    expect(await status(north.baseUrl, claimingDemo)).toBe(403)
  })

  it('refuses a member of one ICS in the other, even with the other’s valid token', async () => {
    const demoMemberInNorth = await mintToken(north.keys, {
      org: 'NX001',
      scopes: 'record.read',
      ics: 'example-north',
    })
    expect(await status(north.baseUrl, demoMemberInNorth)).toBe(403)
  })
})
