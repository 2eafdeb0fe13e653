import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { App } from 'aws-cdk-lib'
import { Template } from 'aws-cdk-lib/assertions'
import { IcsStack } from '../../infra/IcsStack'
import { loadIcsConfig } from '../../infra/ics-configs'
import type { IcsConfig } from '../../schemas/ics-config'

/**
 * The context `cdk synth` gives the app: cdk.json's feature flags (they change templates,
 * e.g. minimised IAM policies) and construct paths in each resource's metadata, which tests
 * use to find the resource made for a declaration. Bundling is skipped: no stack is listed
 * in `aws:cdk:bundling-stacks`, so NodejsFunction does not run esbuild.
 */
export function synthContext(): Record<string, unknown> {
  const cdkJson = JSON.parse(readFileSync(join(import.meta.dirname, '..', '..', 'cdk.json'), 'utf8')) as {
    context?: Record<string, unknown>
  }
  return { ...cdkJson.context, 'aws:cdk:enable-path-metadata': true, 'aws:cdk:bundling-stacks': [] }
}

/**
 * Synthesises one IcsStack for `config`, fast: no bundling and no offline template
 * validation (most of a synth's time). test/infra/security-checks.test.ts is the one test that
 * synthesises with validation and cdk-nag on.
 */
export function synthesise(config: IcsConfig): Template {
  // The template is read into memory; the cloud assembly on disk is not needed afterwards.
  const outdir = mkdtempSync(join(tmpdir(), 'joinup-infra-test-'))
  try {
    const app = new App({ outdir, context: synthContext(), builtinCloudFormationValidation: false })
    const stack = new IcsStack(app, `Joinup-${config.ics}`, {
      config,
      env: { account: config.account, region: config.region },
    })
    return Template.fromStack(stack)
  } finally {
    rmSync(outdir, { recursive: true, force: true })
  }
}

// Module state, and vitest isolates modules per test file: each file synthesises a config once.
const templates = new Map<string, Template>()

/** The template of `infra/ics/<ics>.json`, synthesised once per test file. */
export function templateFor(ics: string): Template {
  let template = templates.get(ics)
  if (!template) {
    template = synthesise(loadIcsConfig(ics))
    templates.set(ics, template)
  }
  return template
}
