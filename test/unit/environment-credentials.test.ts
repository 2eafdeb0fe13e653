import { execFile } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { createServer } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { build } from 'esbuild'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { defaultProvider } from '../../functions/shared/environmentCredentials'
import { bundleSettings } from '../../infra/bundling'
import { otherCredentialSources } from '../support/credential-sources'

// Lambda bundles carry functions/shared/environmentCredentials.ts in place of the SDK's
// default credential chain (infra/bundling.ts). These tests pin both halves: the provider
// answers from Lambda's environment, and a bundle built with the settings CDK uses signs
// its calls with those credentials and carries none of the rest of the chain.

const ROOT = join(import.meta.dirname, '..', '..')
const KEYS = [
  'AWS_ACCESS_KEY_ID',
  'AWS_SECRET_ACCESS_KEY',
  'AWS_SESSION_TOKEN',
  'AWS_CONTAINER_CREDENTIALS_FULL_URI',
  'AWS_CONTAINER_CREDENTIALS_RELATIVE_URI',
  'AWS_CONTAINER_AUTHORIZATION_TOKEN',
] as const

describe('environmentCredentials.defaultProvider', () => {
  const saved: Partial<Record<(typeof KEYS)[number], string>> = {}
  beforeEach(() => {
    for (const key of KEYS) {
      saved[key] = process.env[key]
      delete process.env[key]
    }
  })
  afterEach(() => {
    for (const key of KEYS) {
      if (saved[key] === undefined) delete process.env[key]
      else process.env[key] = saved[key]
    }
  })

  it('answers with the credentials Lambda puts in the environment', async () => {
    // Arrange
    process.env.AWS_ACCESS_KEY_ID = 'AKIDLAMBDAROLE'
    process.env.AWS_SECRET_ACCESS_KEY = 'secret'
    process.env.AWS_SESSION_TOKEN = 'session'
    // Act
    const credentials = await defaultProvider()()
    // Assess
    expect(credentials).toMatchObject({
      accessKeyId: 'AKIDLAMBDAROLE',
      secretAccessKey: 'secret',
      sessionToken: 'session',
    })
  })

  it('answers from the container endpoint where Lambda serves credentials there (SnapStart)', async () => {
    // Arrange: the endpoint Lambda runs, answering the container credentials format.
    const tokens: string[] = []
    const endpoint = createServer((request, response) => {
      tokens.push(String(request.headers.authorization))
      response.writeHead(200, { 'content-type': 'application/json' }).end(
        JSON.stringify({
          AccessKeyId: 'AKIDFROMCONTAINER',
          SecretAccessKey: 'secret',
          Token: 'session',
          Expiration: new Date(Date.now() + 3_600_000).toISOString(),
        }),
      )
    })
    await new Promise<void>((resolve) => endpoint.listen(0, '127.0.0.1', resolve))
    const address = endpoint.address()
    if (!address || typeof address === 'string') throw new Error('no port')
    process.env.AWS_CONTAINER_CREDENTIALS_FULL_URI = `http://127.0.0.1:${address.port}/2021-04-23/credentials`
    process.env.AWS_CONTAINER_AUTHORIZATION_TOKEN = 'lambda-token'
    try {
      // Act
      const credentials = await defaultProvider()()
      // Assess
      expect(credentials).toMatchObject({ accessKeyId: 'AKIDFROMCONTAINER', sessionToken: 'session' })
      expect(tokens).toEqual(['lambda-token'])
    } finally {
      endpoint.close()
    }
  })

  it('prefers the environment’s keys to a container endpoint, as the default chain does', async () => {
    process.env.AWS_ACCESS_KEY_ID = 'AKIDLAMBDAROLE'
    process.env.AWS_SECRET_ACCESS_KEY = 'secret'
    process.env.AWS_CONTAINER_CREDENTIALS_FULL_URI = 'http://127.0.0.1:9/never-asked'
    await expect(defaultProvider()()).resolves.toMatchObject({ accessKeyId: 'AKIDLAMBDAROLE' })
  })

  it('refuses, as the whole chain would in Lambda, when the environment has none', async () => {
    await expect(defaultProvider()()).rejects.toThrow(/credentials/i)
  })
})

describe('a Lambda bundle', () => {
  it('signs its calls with the environment’s credentials and carries no other credential source', async () => {
    // Arrange: a function making one DynamoDB call, bundled as CDK bundles every function.
    const dir = await mkdtemp(join(tmpdir(), 'joinup-credentials-'))
    const authorizations: string[] = []
    const server = createServer((request, response) => {
      authorizations.push(String(request.headers.authorization))
      request.resume().on('end', () => {
        response.writeHead(200, { 'content-type': 'application/x-amz-json-1.0' }).end('{"TableNames":[]}')
      })
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    const address = server.address()
    if (!address || typeof address === 'string') throw new Error('no port')
    try {
      const result = await build({
        ...bundleSettings,
        mainFields: [...bundleSettings.mainFields],
        banner: { js: bundleSettings.banner },
        stdin: {
          contents: `import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb'
            const client = new DynamoDBClient({ endpoint: process.env.ENDPOINT, region: 'eu-west-2' })
            console.log(JSON.stringify(await client.send(new ListTablesCommand({}))))`,
          resolveDir: ROOT,
          loader: 'ts',
        },
        bundle: true,
        outfile: join(dir, 'index.mjs'),
        metafile: true,
        logLevel: 'silent',
      })
      const output = Object.entries(result.metafile.outputs).find(([file]) => file.endsWith('.mjs'))![1]
      const carried = Object.entries(output.inputs)
        .filter(([, input]) => input.bytesInOutput > 0)
        .map(([path]) => path)
      // Act
      const { stdout } = await promisify(execFile)(process.execPath, [join(dir, 'index.mjs')], {
        env: {
          PATH: process.env.PATH,
          ENDPOINT: `http://127.0.0.1:${address.port}`,
          AWS_ACCESS_KEY_ID: 'AKIDBUNDLEDROLE',
          AWS_SECRET_ACCESS_KEY: 'secret',
          AWS_SESSION_TOKEN: 'session',
        },
      })
      // Assess
      expect(JSON.parse(stdout)).toMatchObject({ TableNames: [] })
      expect(authorizations).toHaveLength(1)
      expect(authorizations[0]).toContain('Credential=AKIDBUNDLEDROLE/')
      expect(carried.some((path) => path.endsWith('functions/shared/environmentCredentials.ts'))).toBe(true)
      expect(otherCredentialSources(carried)).toEqual([])
    } finally {
      server.close()
      await rm(dir, { recursive: true, force: true })
    }
  }, 60_000)
})
