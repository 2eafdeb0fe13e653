import { createServer } from 'node:http'
import { exportJWK, generateKeyPair, type JWK, SignJWT } from 'jose'
import type { IcsRuntimeConfig } from '../../schemas/ics-config'
import { testIcs } from './tokens'

/** An identity provider for handler-level tests: a JWKS over HTTP and a token factory. */
export async function startTestIssuer() {
  const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true })
  const jwk: JWK = { ...(await exportJWK(publicKey)), kid: 'handler-test', alg: 'ES256' }
  const server = createServer((_request, response) => {
    response.writeHead(200, { 'Content-Type': 'application/json' })
    response.end(JSON.stringify({ keys: [jwk] }))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const address = server.address()
  if (!address || typeof address === 'string') throw new Error('no port')
  const ics: IcsRuntimeConfig = testIcs({
    auth: {
      issuer: 'https://issuer.test',
      audience: 'https://api.test',
      jwksUrl: `http://127.0.0.1:${address.port}/jwks`,
    },
  })
  return {
    ics,
    token: (claims: Record<string, unknown> = {}) =>
      new SignJWT({
        sub: 'clinician-1',
        requesting_organization: 'NX001',
        ics: 'demo',
        scope: 'patient.read',
        ...claims,
      })
        .setProtectedHeader({ alg: 'ES256', kid: 'handler-test' })
        .setIssuer(ics.auth.issuer)
        .setAudience(ics.auth.audience)
        .setIssuedAt()
        .setExpirationTime('5m')
        .sign(privateKey),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }
}
