import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager'
import type { PlatformCredentials } from './patients/NhsApiPlatformTokens'
import { withoutPayloadLogging } from './sdkClient'

/**
 * One Secrets Manager client per container. Pure, so that a bundle whose ICS compiles the
 * national PDS out (functions/shared/patients/directory.ts) drops it and the whole package.
 */
export const secretsManagerClient = /* @__PURE__ */ withoutPayloadLogging(
  /* @__PURE__ */ new SecretsManagerClient({ maxAttempts: 3 }),
)

/** How long credentials read from Secrets Manager are reused: a rotated secret is picked up within it. */
export const CREDENTIALS_MAX_AGE_MS = 15 * 60_000

/**
 * The NHS API platform credentials kept in a Secrets Manager secret whose value is JSON
 * `{ "apiKey", "kid", "privateKey" }`, read on first use and again after 15 minutes (so a key
 * rotation needs a new secret value, not a deploy). The values never reach a log or an error.
 */
export function platformCredentialsFrom(
  secretId: string,
  options: { client?: SecretsManagerClient; now?: () => number } = {},
): () => Promise<PlatformCredentials> {
  const client = options.client ?? secretsManagerClient
  const now = options.now ?? (() => Date.now())
  let cached: { credentials: PlatformCredentials; readAt: number } | undefined
  return async () => {
    if (cached && now() - cached.readAt < CREDENTIALS_MAX_AGE_MS) return cached.credentials
    const { SecretString } = await client.send(new GetSecretValueCommand({ SecretId: secretId }))
    let parsed: Partial<Record<keyof PlatformCredentials, unknown>>
    try {
      parsed = JSON.parse(SecretString ?? '') as typeof parsed
    } catch {
      throw new Error(`Secret ${secretId} is not JSON { apiKey, kid, privateKey }`)
    }
    const { apiKey, kid, privateKey } = parsed
    if (typeof apiKey !== 'string' || typeof kid !== 'string' || typeof privateKey !== 'string') {
      throw new Error(`Secret ${secretId} lacks one of apiKey, kid, privateKey (strings)`)
    }
    cached = { credentials: { apiKey, kid, privateKey }, readAt: now() }
    return cached.credentials
  }
}
