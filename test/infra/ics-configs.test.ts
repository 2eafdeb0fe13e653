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

describe('the holder directory', () => {
  const gpConnect = (ods: string, endpoint: string) => ({
    ods,
    protocol: 'gpconnect-1.6-stu3' as const,
    endpoint,
    asid: '918999190001',
    interactions: ['structured-record' as const],
  })
  function withHolders(holders: unknown[], extra: Record<string, unknown> = {}): unknown {
    return { ...demo, directory: { ...demo.directory, ...extra, holders } }
  }

  it('lists in the demo ICS the practices and the hospital as GP Connect providers, on https', () => {
    // Act
    const config = loadIcsConfig('demo')

    // Assess
    const gp = config.directory.holders.filter((holder) => holder.protocol === 'gpconnect-1.6-stu3')
    expect(gp.map((holder) => holder.ods).sort()).toEqual(['RX9', 'Y90001', 'Y90002'])
    expect(config.directory.holderTimeoutMs).toBe(2000)
  })

  it('defaults to no holders and a 2 s holder timeout', () => {
    // Prepare
    const { directory: _directory, ...bare } = demo

    // Act
    const config = IcsConfig.parse(bare)

    // Assess
    expect(config.directory).toEqual({ holderTimeoutMs: 2000, holders: [] })
  })

  it.each([
    [
      'a holder that is not a member',
      [gpConnect('ZZ999', 'https://gp.example.nhs.uk/ZZ999')],
      /not a member/,
    ],
    [
      'a holder listed twice',
      [
        gpConnect('Y90001', 'https://gp.example.nhs.uk/a'),
        { ods: 'Y90001', protocol: 'joinup-store', interactions: ['structured-record'] },
      ],
      /listed twice/,
    ],
    [
      'an unknown protocol',
      [{ ods: 'Y90001', protocol: 'hl7v2', interactions: ['structured-record'] }],
      /.+/,
    ],
    [
      'an unknown interaction',
      [{ ...gpConnect('Y90001', 'https://gp.example.nhs.uk/a'), interactions: ['fax'] }],
      /.+/,
    ],
    [
      'a GP Connect holder without an ASID',
      [{ ...gpConnect('Y90001', 'https://gp.example.nhs.uk/a'), asid: '123' }],
      /ASID/,
    ],
  ])('refuses %s', (_name, holders, message) => {
    // Act
    const result = IcsConfig.safeParse(withHolders(holders))

    // Assess
    expect(result.success).toBe(false)
    expect(result.error?.issues.map((issue) => issue.message).join('\n')).toMatch(message)
  })

  it('refuses GP Connect holders when the stack has no consumer ASID (Ssp-From)', () => {
    // Prepare
    const config = {
      ...demo,
      directory: { holderTimeoutMs: 2000, holders: [gpConnect('Y90001', 'https://gp.example.nhs.uk/a')] },
    }

    // Act
    const result = IcsConfig.safeParse(config)

    // Assess
    expect(result.error?.issues.map((issue) => issue.message).join('\n')).toMatch(/consumerAsid/)
  })

  describe('never deploys a config that calls a holder it must not', () => {
    it.each([
      ['over plain http', 'http://gp.example.nhs.uk/Y90001/STU3/1/gpconnect', /https/],
      ['on this machine', 'https://localhost:3000/_local/sandbox/gpconnect/Y90001', /this machine/],
      ['on a loopback address', 'https://127.0.0.1/Y90001', /this machine/],
      ['on an IPv6 loopback address', 'https://[::1]/Y90001', /this machine/],
      ['on a private network', 'https://10.1.2.3/Y90001', /private or reserved address/],
      ['on a 192.168 address', 'https://192.168.0.10/Y90001', /private or reserved address/],
      ['on a link-local address', 'https://169.254.169.254/latest/meta-data', /private or reserved address/],
      ['on an IPv6 unique local address', 'https://[fd00::1]/Y90001', /private or reserved address/],
      ['with credentials in the URL', 'https://user:secret@gp.example.nhs.uk/Y90001', /credentials/],
      ['in the local sandbox', 'https://gp.example.nhs.uk/_local/sandbox/gpconnect/Y90001', /sandbox/],
      ['on a sandbox host', 'https://sandbox.gp.example.nhs.uk/Y90001', /sandbox/],
      ['on an internal name', 'https://gp-server.internal/Y90001', /public host/],
    ])('refuses a holder endpoint %s', (_name, endpoint, message) => {
      // Prepare
      const config = IcsConfig.parse(withHolders([gpConnect('Y90001', endpoint)]))

      // Assess
      expect(() => assertDeployable(config)).toThrow(message)
      expect(() => loadWritten('demo', config)).toThrow(message)
    })

    it('refuses a Spine Secure Proxy over plain http', () => {
      // Prepare
      const config = IcsConfig.parse(withHolders([], { sspUrl: 'http://proxy.example.nhs.uk' }))

      // Assess
      expect(() => assertDeployable(config)).toThrow(/Spine Secure Proxy is refused: the URL must use https/)
    })
  })
})
