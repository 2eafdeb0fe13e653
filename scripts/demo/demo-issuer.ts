import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { exportJWK, generateKeyPair, importJWK, type JWK, SignJWT } from 'jose'
import type { DemoIssuerKey, IcsConfig } from '../../schemas/ics-config'

/**
 * The demo issuer of a deployed demo ICS: an ES256 key pair made on the operator's machine.
 * Its public half goes into the ICS config (`demoIssuer.keys`), which the functions trust; its
 * private half stays in a file only the operator reads (keep it in a password manager or a
 * secret store). A token it signs acts for any member of the ICS, which is why the config
 * refuses a demo issuer next to the national PDS (infra/ics-configs.ts).
 */

/** Where the private key of an ICS's demo issuer is kept, under the local keys folder. */
export function demoIssuerKeyFile(keysDir: string, ics: string): string {
  return join(keysDir, `demo-issuer-${ics}.private.json`)
}

/** A new key pair: the public JWK for the config, the private one for the key file. */
export async function newDemoIssuerKey(
  now = new Date(),
): Promise<{ publicKey: DemoIssuerKey; privateKey: JWK }> {
  const { publicKey, privateKey } = await generateKeyPair('ES256', { extractable: true })
  const kid = `demo-${now.toISOString().slice(0, 10)}-${crypto.randomUUID().slice(0, 8)}`
  const jwk = await exportJWK(publicKey)
  return {
    publicKey: { kty: 'EC', crv: 'P-256', x: jwk.x!, y: jwk.y!, kid, alg: 'ES256', use: 'sig' },
    privateKey: { ...(await exportJWK(privateKey)), kid, alg: 'ES256', use: 'sig' },
  }
}

/** Writes a private key readable by its owner only. */
export async function writePrivateKey(file: string, key: JWK): Promise<void> {
  await mkdir(join(file, '..'), { recursive: true })
  await writeFile(file, `${JSON.stringify(key, null, 2)}\n`, { mode: 0o600 })
  await chmod(file, 0o600)
}

/** Reads the private key the demo issuer signs with. */
export async function readPrivateKey(file: string): Promise<JWK> {
  try {
    return JSON.parse(await readFile(file, 'utf8')) as JWK
  } catch {
    throw new Error(
      `No demo issuer key at ${file}: run npm run demo-issuer -- --ics <name> first, or pass --key <file>`,
    )
  }
}

/**
 * A token for a deployed demo ICS, signed by its demo issuer: the claims DESIGN.md lists,
 * with the config's issuer and audience, so the stack verifies it against `demoIssuer.keys`.
 */
export async function mintDemoToken(
  config: Pick<IcsConfig, 'ics' | 'auth' | 'demoIssuer'>,
  privateKey: JWK,
  request: { org: string; scopes: string; sub?: string; ttlSeconds?: number },
): Promise<string> {
  if (!config.demoIssuer) throw new Error(`ICS ${config.ics} has no demoIssuer in its config`)
  if (!config.demoIssuer.keys.some((key) => key.kid === privateKey.kid)) {
    throw new Error(
      `The key ${privateKey.kid} is not among ${config.ics}'s demoIssuer.keys: the stack would refuse its tokens`,
    )
  }
  const now = Math.floor(Date.now() / 1000)
  return new SignJWT({ requesting_organization: request.org, ics: config.ics, scope: request.scopes })
    .setProtectedHeader({ alg: 'ES256', kid: privateKey.kid!, typ: 'JWT' })
    .setIssuer(config.auth.issuer)
    .setAudience(config.auth.audience)
    .setSubject(request.sub ?? `demo-user@${request.org}`)
    .setIssuedAt(now)
    .setExpirationTime(now + (request.ttlSeconds ?? 3600))
    .setJti(crypto.randomUUID())
    .sign(await importJWK(privateKey, 'ES256'))
}
