import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { inject } from 'vitest'
import { loadOrCreateDevKeys, mintToken } from '../../scripts/local/dev-keys'
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
  /** fetch against the stack, with a bearer token when one is given. */
  request(path: string, init?: RequestInit & { token?: string }): Promise<Response>
  stop(): Promise<void>
}

/**
 * Boots the whole local stack in this process on a free port, seeded with the demo data.
 * Tests drive it only over HTTP (the API, the bus's PutEvents endpoint, the local admin API).
 */
export async function bootStack(
  options: { dataDir?: string; requestsPerMinute?: number; corsOrigins?: string[] } = {},
): Promise<RunningStack> {
  const keysDir = await mkdtemp(join(tmpdir(), 'joinup-keys-'))
  const stack = await startLocalStack({
    port: 0,
    ics: 'demo',
    keysDir,
    dataDir: options.dataDir,
    requestsPerMinute: options.requestsPerMinute,
    corsOrigins: options.corsOrigins,
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
    request: async (path, init = {}) => {
      const { token, headers, ...rest } = init
      const response = await fetch(`${stack.baseUrl}${path}`, {
        ...rest,
        headers: {
          ...(token ? { Authorization: `Bearer ${token}` } : {}),
          ...(headers as Record<string, string>),
        },
      })
      await expectValidR4(response, `${rest.method ?? 'GET'} ${path}`)
      return response
    },
    stop: async () => {
      await stack.stop()
      await rm(keysDir, { recursive: true, force: true })
    },
  }
}

/**
 * Every FHIR JSON body the suite receives is checked against HL7's R4 JSON Schema by the
 * run's one validator (test/support/fhir-validator-server.ts); an invalid body fails the
 * test that received it. Outside the integration project (no validator) nothing is checked.
 */
async function expectValidR4(response: Response, what: string): Promise<void> {
  let validator: string | undefined
  try {
    validator = inject('fhirValidatorUrl')
  } catch {
    return
  }
  if (!validator || !response.headers.get('content-type')?.startsWith('application/fhir+json')) return
  const text = await response.clone().text()
  if (!text) return
  validatedBodies++
  const errors = await (await fetch(validator, { method: 'POST', body: text })).text()
  if (errors) throw new Error(`${what} answered a body that is not valid FHIR R4: ${errors}`)
}

let validatedBodies = 0
/** How many bodies this test file's requests had validated against R4. */
export const validatedR4Bodies = () => validatedBodies

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
