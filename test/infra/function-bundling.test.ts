import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { App, Stack } from 'aws-cdk-lib'
import * as kms from 'aws-cdk-lib/aws-kms'
import { describe, expect, it } from 'vitest'
import { JoinupFunction } from '../../infra/constructs/JoinupFunction'
import { loadIcsConfig } from '../../infra/ics-configs'
import { otherCredentialSources } from '../support/credential-sources'
import { synthContext } from './synth'

// The other infra tests synthesise without bundling (fast). This one lets CDK's
// NodejsFunction run esbuild for one function, as `cdk synth` and `cdk deploy` do, so the
// settings that reach esbuild only through CDK (its esbuildArgs) are checked where they act.

describe('a JoinupFunction bundled by CDK', () => {
  it('takes its credentials from the environment only: the SDK’s default chain is aliased away', () => {
    // Arrange
    const outdir = mkdtempSync(join(tmpdir(), 'joinup-bundling-test-'))
    try {
      const app = new App({
        outdir,
        context: { ...synthContext(), 'aws:cdk:bundling-stacks': ['**'] },
        builtinCloudFormationValidation: false,
      })
      const config = loadIcsConfig('demo')
      const stack = new Stack(app, 'Bundling', { env: { account: config.account, region: config.region } })
      new JoinupFunction(stack, 'Lookup', {
        name: 'patientLookup',
        config,
        key: new kms.Key(stack, 'Key'),
      })
      // Act
      app.synth()
      // Assess: the asset's esbuild metafile (CDK writes it beside index.mjs).
      const asset = readdirSync(outdir).find((entry) => entry.startsWith('asset.'))!
      const metafile = JSON.parse(readFileSync(join(outdir, asset, 'index.meta.json'), 'utf8')) as {
        outputs: Record<string, { inputs: Record<string, { bytesInOutput: number }> }>
      }
      const output = Object.entries(metafile.outputs).find(([file]) => file.endsWith('.mjs'))![1]
      const carried = Object.entries(output.inputs)
        .filter(([, input]) => input.bytesInOutput > 0)
        .map(([path]) => path)
      expect(carried.some((path) => path.endsWith('functions/shared/environmentCredentials.ts'))).toBe(true)
      expect(otherCredentialSources(carried)).toEqual([])
    } finally {
      rmSync(outdir, { recursive: true, force: true })
    }
  }, 120_000)
})
