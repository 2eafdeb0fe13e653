import { mkdtemp, rm } from 'node:fs/promises'
import type { Server } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { loadOrCreateDevKeys } from '../local/dev-keys'
import { type LocalStackOptions, startLocalStack } from '../local/runtime'
import { demoSeed } from '../seed/demoSeed'

/**
 * The local stack as `npm start` runs it on the demo ICS, with the rate limit lifted (the
 * suites measure the stack, not its throttle), and the signing keys its tokens are minted
 * with. `stop` also removes the keys.
 */
export async function startBenchStack(
  options: Pick<LocalStackOptions, 'dynamoEndpoint' | 'sandboxBaseUrl'> = {},
) {
  const keysDir = await mkdtemp(join(tmpdir(), 'joinup-bench-keys-'))
  const stack = await startLocalStack({
    port: 0,
    ics: 'demo',
    keysDir,
    requestsPerMinute: 1e9,
    seed: demoSeed,
    ...options,
  })
  const keys = await loadOrCreateDevKeys(keysDir)
  return {
    stack,
    keys,
    stop: async () => {
      await stack.stop()
      await rm(keysDir, { recursive: true, force: true })
    },
  }
}

/** Starts a suite's bare baseline server on loopback; its base URL. */
export async function listenBare(bare: Server): Promise<string> {
  // The local gateway keeps idle sockets for 5 s; so does the baseline.
  bare.keepAliveTimeout = 5_000
  await new Promise<void>((resolve) => bare.listen(0, '127.0.0.1', resolve))
  const address = bare.address()
  if (!address || typeof address === 'string') throw new Error('bare server did not bind')
  return `http://127.0.0.1:${address.port}`
}
