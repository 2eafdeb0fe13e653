import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { assertDeployable, ICS_CONFIG_DIR, icsNames, loadIcsConfig } from '../../infra/ics-configs'
import { IcsConfig, LOCAL_DEV_ISSUER } from '../../schemas/ics-config'

/** demo.json as stored, to mutate into configs that must be refused. */
const demo = JSON.parse(readFileSync(join(ICS_CONFIG_DIR, 'demo.json'), 'utf8')) as IcsConfig

const workDir = mkdtempSync(join(tmpdir(), 'joinup-ics-configs-'))
afterAll(() => rmSync(workDir, { recursive: true, force: true }))

/** Writes `config` as `<dir>/<name>.json` in a fresh temp folder and loads it the way infra/bin/app.ts does. */
function loadWritten(name: string, config: unknown): IcsConfig {
  const dir = mkdtempSync(join(workDir, 'ics-'))
  writeFileSync(join(dir, `${name}.json`), JSON.stringify(config))
  return loadIcsConfig(name, dir)
}

function withAuth(auth: Partial<IcsConfig['auth']>): IcsConfig {
  return { ...demo, auth: { ...demo.auth, ...auth } }
}

describe('ICS configs', () => {
  it('has at least the demo ICS', () => {
    expect(icsNames()).toContain('demo')
  })

  it.each(icsNames())('loads and validates infra/ics/%s.json', (name) => {
    // Act
    const config = loadIcsConfig(name)

    // Assess
    expect(config.ics).toBe(name)
    expect(() => assertDeployable(config)).not.toThrow()
  })

  it("loads an unchanged copy from another folder, so each refusal below is its mutation's doing", () => {
    expect(loadWritten('demo', demo).ics).toBe('demo')
  })

  it('refuses a member listed twice under one ODS code', () => {
    // Prepare
    const twice = { ...demo, members: [...demo.members, { ...demo.members[0]!, name: 'Duplicate' }] }

    // Act
    const result = IcsConfig.safeParse(twice)

    // Assess
    expect(result.success).toBe(false)
    expect(result.error?.issues).toContainEqual(
      expect.objectContaining({ path: ['members'], message: expect.stringContaining(demo.members[0]!.ods) }),
    )
    expect(() => loadWritten('demo', twice)).toThrow(/listed twice/)
  })

  it('refuses a file whose ics differs from its file name', () => {
    expect(() => loadWritten('other-ics', demo)).toThrow(/other-ics\.json declares ics "demo"/)
  })

  describe('never deploys a config that trusts a local token issuer', () => {
    it('refuses the local dev issuer', () => {
      // Prepare
      const config = withAuth({ issuer: LOCAL_DEV_ISSUER })

      // Assess
      expect(() => assertDeployable(config)).toThrow(/local dev token issuer/)
      expect(() => loadWritten('demo', config)).toThrow(/local dev token issuer/)
    })

    it.each([
      'https://localhost/.well-known/jwks.json',
      'https://localhost:3000/.well-known/jwks.json',
      'https://127.0.0.1:3000/.well-known/jwks.json',
      'https://[::1]:3000/.well-known/jwks.json',
    ])('refuses a JWKS on this machine: %s', (jwksUrl) => {
      // Prepare
      const config = withAuth({ jwksUrl })

      // Assess
      expect(() => assertDeployable(config)).toThrow(/local dev token issuer/)
      expect(() => loadWritten('demo', config)).toThrow(/local dev token issuer/)
    })

    it('refuses a JWKS fetched over plain http', () => {
      // Prepare
      const config = withAuth({ jwksUrl: 'http://auth.demo-ics.example.nhs.uk/.well-known/jwks.json' })

      // Assess
      expect(() => assertDeployable(config)).toThrow(/https/)
      expect(() => loadWritten('demo', config)).toThrow(/https/)
    })
  })
})
