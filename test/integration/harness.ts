import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { loadOrCreateDevKeys, mintPatientToken, mintToken } from '../../scripts/local/dev-keys'
import { type LocalStack, startLocalStack } from '../../scripts/local/runtime'
import { demoSeed } from '../../scripts/seed/demoSeed'

export interface RunningStack {
  stack: LocalStack
  baseUrl: string
  /** A token minted the way `npm run token` mints one. */
  token(
    org: string,
    scopes: string,
    options?: { ics?: string; sub?: string; ttlSeconds?: number },
  ): Promise<string>
  /** A patient's own token (NHS-login style), as `npm run token -- --patient <nhs>` mints one. */
  patientToken(nhsNumber: string, options?: { scopes?: string; proofingLevel?: string }): Promise<string>
  /** fetch against the stack, with a bearer token when one is given. */
  request(path: string, init?: RequestInit & { token?: string }): Promise<Response>
  stop(): Promise<void>
}

/**
 * Boots the whole local stack in this process on a free port, seeded with the demo data.
 * Tests drive it only over HTTP (the API, the bus's PutEvents endpoint, the local admin API).
 */
export async function bootStack(
  options: { dataDir?: string; requestsPerMinute?: number } = {},
): Promise<RunningStack> {
  const keysDir = await mkdtemp(join(tmpdir(), 'joinup-keys-'))
  const stack = await startLocalStack({
    port: 0,
    ics: 'demo',
    keysDir,
    dataDir: options.dataDir,
    requestsPerMinute: options.requestsPerMinute,
    seed: demoSeed,
    retryBaseMs: 20,
  })
  const keys = await loadOrCreateDevKeys(keysDir)
  return {
    stack,
    baseUrl: stack.baseUrl,
    token: (org, scopes, extra = {}) =>
      mintToken(keys, {
        org,
        scopes,
        ics: extra.ics ?? 'demo',
        sub: extra.sub,
        ttlSeconds: extra.ttlSeconds,
      }),
    patientToken: (nhsNumber, extra = {}) => mintPatientToken(keys, { nhsNumber, ics: 'demo', ...extra }),
    request: (path, init = {}) => {
      const { token, headers, ...rest } = init
      return fetch(`${stack.baseUrl}${path}`, {
        ...rest,
        headers: {
          ...(token ? { Authorization: `Bearer ${token}` } : {}),
          ...(headers as Record<string, string>),
        },
      })
    },
    stop: async () => {
      await stack.stop()
      await rm(keysDir, { recursive: true, force: true })
    },
  }
}

/** Polls until `check` returns a value (not undefined) or the time runs out. */
export async function eventually<T>(check: () => Promise<T | undefined>, timeoutMs = 5_000): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await check()
    if (value !== undefined) return value
    if (Date.now() > deadline) throw new Error('condition not met in time')
    await new Promise((resolve) => setTimeout(resolve, 25))
  }
}
