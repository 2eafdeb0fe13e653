import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { exportJWK, generateKeyPair, importJWK, type JWK, SignJWT } from 'jose'
import { LOCAL_DEV_ISSUER } from '../../schemas/ics-config'

/** The audience local tokens carry: `urn:joinup:local:<ics>`. A deployed stack never accepts it. */
export function localAudience(ics: string): string {
  return `urn:joinup:local:${ics}`
}

export interface DevKeys {
  kid: string
  privateJwk: JWK
  publicJwk: JWK
}

const KEY_FILE = 'dev-signing-key.json'

/**
 * The local stack's token signing key (ES256), made on first start and kept in `dir` so
 * `npm run token` and the running stack agree. Never used by a deployed stack: cloud
 * configs cannot trust the local issuer (infra/ics-configs.ts refuses it).
 */
export async function loadOrCreateDevKeys(dir: string): Promise<DevKeys> {
  const file = join(dir, KEY_FILE)
  try {
    return JSON.parse(await readFile(file, 'utf8')) as DevKeys
  } catch {
    const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true })
    const kid = `local-${Date.now().toString(36)}`
    const keys: DevKeys = {
      kid,
      privateJwk: { ...(await exportJWK(privateKey)), kid, alg: 'ES256', use: 'sig' },
      publicJwk: { ...(await exportJWK(publicKey)), kid, alg: 'ES256', use: 'sig' },
    }
    await mkdir(dir, { recursive: true })
    await writeFile(file, JSON.stringify(keys, null, 2), { mode: 0o600 })
    return keys
  }
}

/** The JWKS the local stack serves at /.well-known/jwks.json. */
export function jwksOf(keys: DevKeys): { keys: JWK[] } {
  return { keys: [keys.publicJwk] }
}

export interface TokenRequest {
  org: string
  scopes: string
  ics: string
  sub?: string
  ttlSeconds?: number
  /** For tests of refusals: a token that is already expired, not yet valid, and so on. */
  issuedAt?: number
  notBefore?: number
  audience?: string
  issuer?: string
}

/** Mints a token the local stack accepts (what `npm run token` prints). */
export async function mintToken(keys: DevKeys, request: TokenRequest): Promise<string> {
  const key = await importJWK(keys.privateJwk, 'ES256')
  const now = request.issuedAt ?? Math.floor(Date.now() / 1000)
  const jwt = new SignJWT({
    requesting_organization: request.org,
    ics: request.ics,
    scope: request.scopes,
  })
    .setProtectedHeader({ alg: 'ES256', kid: keys.kid, typ: 'JWT' })
    .setIssuer(request.issuer ?? LOCAL_DEV_ISSUER)
    .setAudience(request.audience ?? localAudience(request.ics))
    .setSubject(request.sub ?? `local-developer@${request.org}`)
    .setIssuedAt(now)
    .setExpirationTime(now + (request.ttlSeconds ?? 3600))
    .setJti(crypto.randomUUID())
  if (request.notBefore !== undefined) jwt.setNotBefore(request.notBefore)
  return jwt.sign(key)
}

export interface PatientTokenRequest {
  /** The patient's NHS number (the token's `sub`). */
  nhsNumber: string
  ics: string
  /** `audit.read` unless given (tests of refusals give others). */
  scopes?: string
  /** NHS login identity proofing level; P9 unless given. */
  proofingLevel?: string
  ttlSeconds?: number
}

/**
 * Mints a patient's own token, NHS-login style, that the local stack accepts (what
 * `npm run token -- --patient <nhs>` prints): `sub` the NHS number, identity proofing level
 * P9, scope `audit.read`, and no `requesting_organization`.
 */
export async function mintPatientToken(keys: DevKeys, request: PatientTokenRequest): Promise<string> {
  const key = await importJWK(keys.privateJwk, 'ES256')
  const now = Math.floor(Date.now() / 1000)
  return new SignJWT({
    ics: request.ics,
    scope: request.scopes ?? 'audit.read',
    identity_proofing_level: request.proofingLevel ?? 'P9',
  })
    .setProtectedHeader({ alg: 'ES256', kid: keys.kid, typ: 'JWT' })
    .setIssuer(LOCAL_DEV_ISSUER)
    .setAudience(localAudience(request.ics))
    .setSubject(request.nhsNumber)
    .setIssuedAt(now)
    .setExpirationTime(now + (request.ttlSeconds ?? 3600))
    .setJti(crypto.randomUUID())
    .sign(key)
}
