import { readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { functionCapabilityOf } from '../../functions/shared/capabilities'
import { functionDefine } from '../../infra/bundling'
import { bundleFunction } from '../../scripts/bundle-sizes'

// What a Lambda bundle carries, from esbuild's metafile: the bench measures the size, this
// says which modules must stay out so the size does not creep back.

/** Builds one function as CDK does: the modules with bytes in its output, and the output's text. */
async function bundleOf(fn: Parameters<typeof bundleFunction>[0], dir: string, ics?: string) {
  const report = await bundleFunction(fn, join(tmpdir(), dir), ics)
  const output = Object.values(report.metafile.outputs).find((candidate) => candidate.entryPoint)!
  const carried = Object.entries(output.inputs)
    .filter(([, input]) => input.bytesInOutput > 0)
    .map(([path]) => path)
  return { carried, text: () => readFileSync(report.file, 'utf8') }
}

describe('functionDefine', () => {
  it('compiles in the function’s own capability and every table’s environment variable', () => {
    // Act
    const define = functionDefine('appointments')
    // Assess
    expect(JSON.parse(JSON.parse(define['process.env.JOINUP_CAPABILITY']!))).toEqual(
      functionCapabilityOf('appointments'),
    )
    expect(JSON.parse(JSON.parse(define['process.env.JOINUP_TABLE_ENV_VARS']!))).toMatchObject({
      audit: 'AUDIT_TABLE',
      patients: 'PATIENTS_TABLE',
    })
  })
})

describe('the patientLookup bundle', () => {
  it('carries no zod, no remote JWKS client and no table or capability declarations', async () => {
    // Act
    const { carried, text } = await bundleOf('patientLookup', 'joinup-bundle-contents')
    // Assess
    expect(carried.filter((path) => path.includes('node_modules/zod/'))).toEqual([])
    expect(carried).not.toContain('infra/tables.ts')
    // The demo ICS trusts its demo issuer's keys from its config: no remote JWKS client.
    expect(carried.filter((path) => path.includes('jose/dist/webapi/jwks/remote'))).toEqual([])
    // infra/capabilities.ts lends its one-line isEnabled; its declarations stay out.
    expect(text()).not.toContain('SMART discovery')
    // The demo ICS keeps its own copy of PDS: no national client, so no Secrets Manager SDK.
    expect(carried.filter((path) => path.includes('node_modules/@aws-sdk/client-secrets-manager/'))).toEqual(
      [],
    )
  }, 60_000)

  it('carries the Secrets Manager client where the ICS reads the national PDS', async () => {
    // Act
    const { carried } = await bundleOf('patientLookup', 'joinup-bundle-contents-national', 'example-north')
    // Assess
    expect(
      carried.some((path) =>
        path.endsWith('node_modules/@aws-sdk/client-secrets-manager/dist-es/SecretsManagerClient.js'),
      ),
    ).toBe(true)
  }, 60_000)
})

describe('an event publisher’s bundle', () => {
  it('carries the event versions it validates with, not the registry’s descriptions and producers', async () => {
    // Act
    const { carried, text } = await bundleOf('patientIndexApi', 'joinup-bundle-contents-events')
    // Assess
    expect(carried).toContain('schemas/events/versions.ts')
    expect(carried).not.toContain('schemas/events/registry.ts')
    expect(text()).not.toContain('an organisation registers a pointer')
  }, 60_000)
})
