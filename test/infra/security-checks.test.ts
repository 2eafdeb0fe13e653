import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { App, Stack, Tags, Validations } from 'aws-cdk-lib'
import { afterEach, describe, expect, it } from 'vitest'
import { IcsStack } from '../../infra/IcsStack'
import { icsNames, loadIcsConfig } from '../../infra/ics-configs'
import { applySecurityChecks } from '../../infra/security-checks'
import { synthContext } from './synth'

// The one infra test that synthesises with full validation, as `cdk synth` does: cdk-nag
// (AwsSolutions and HIPAA Security, registered with Validations.of(app).addPlugins) and
// aws-cdk-lib's offline CloudFormation template validation. Only esbuild bundling is skipped.
// It is stricter than `cdk synth`: synth fails on a cdk-nag finding (any level) but reports
// the template validation's findings as warnings and succeeds (unless the feature flag
// @aws-cdk/core:validateAgainstDefaultRules is on); this test fails on those too, because a
// warning there can be an undeployable template (a dependency cycle, say).

/** A finding as aws-cdk-lib writes it to <outdir>/validation-report.json. */
interface ValidationReport {
  pluginReports: {
    pluginName: string
    violations: {
      ruleName: string
      description: string
      severity: string
      violatingConstructs: { constructPath: string }[]
    }[]
  }[]
}

/** Shortest reason that can say why a rule does not apply or why its risk is accepted. */
const MIN_REASON_LENGTH = 40

const outdirs: string[] = []
afterEach(() => {
  for (const dir of outdirs.splice(0)) rmSync(dir, { recursive: true, force: true })
})

/** The app infra/bin/app.ts builds, for one ICS, with the security checks applied. */
function appFor(ics: string): { app: App; outdir: string } {
  const outdir = mkdtempSync(join(tmpdir(), `joinup-nag-${ics}-`))
  outdirs.push(outdir)
  const app = new App({ outdir, context: synthContext() })
  const config = loadIcsConfig(ics)
  const stack = new IcsStack(app, `Joinup-${config.ics}`, {
    config,
    env: { account: config.account, region: config.region },
    description: `Joined-up care APIs for ${config.name}`,
  })
  Tags.of(stack).add('joinup:ics', config.ics)
  applySecurityChecks(app)
  return { app, outdir }
}

/**
 * Synthesises with template validation on, whatever the environment says, and returns every
 * finding of every plugin, one readable line each. A failing synth throws an error that holds
 * the formatted report; the JSON copy in the output folder is read for the structured list, and
 * the error's own message is kept when there is no report to read.
 */
function findingsOf(app: App, outdir: string): string[] {
  const validation = process.env.CDK_VALIDATION
  delete process.env.CDK_VALIDATION
  let thrown: Error | undefined
  try {
    app.synth()
  } catch (error) {
    thrown = error as Error
  } finally {
    if (validation !== undefined) process.env.CDK_VALIDATION = validation
  }
  const reportFile = join(outdir, 'validation-report.json')
  if (!existsSync(reportFile)) {
    if (thrown) throw thrown
    return []
  }
  const report = JSON.parse(readFileSync(reportFile, 'utf8')) as ValidationReport
  const findings = report.pluginReports.flatMap((plugin) =>
    plugin.violations.flatMap((violation) =>
      violation.violatingConstructs.map(
        (construct) =>
          `${violation.ruleName} (${plugin.pluginName}, ${violation.severity}) at ${construct.constructPath}: ${violation.description}`,
      ),
    ),
  )
  if (thrown && findings.length === 0) throw thrown
  return findings
}

interface Acknowledgement {
  path: string
  id: string
  reason: string
  /** Whether it sits on the app or a stack, covering everything beneath. */
  blanket: boolean
}

/** Every acknowledged rule in the construct tree, where Validations.acknowledge records it: construct metadata. */
function acknowledgementsIn(app: App): Acknowledgement[] {
  return app.node.findAll().flatMap((construct) =>
    construct.node.metadata
      .filter((entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
      .flatMap((entry) =>
        Object.entries(entry.data as Record<string, string>).map(([id, reason]) => ({
          path: construct.node.path || '(app)',
          id,
          reason,
          blanket: construct === app || Stack.isStack(construct),
        })),
      ),
  )
}

describe('security checks', () => {
  it.each(icsNames())(
    'synthesises %s under cdk-nag AwsSolutions and HIPAA Security with no unacknowledged finding',
    (ics) => {
      // Prepare
      const { app, outdir } = appFor(ics)

      // Act
      const findings = findingsOf(app, outdir)

      // Assess
      expect(findings, `Findings:\n${findings.join('\n')}`).toEqual([])
    },
    120_000,
  )

  it.each(icsNames())('gives every acknowledgement in %s a reason a reviewer can check', (ics) => {
    // Prepare
    const { app } = appFor(ics)

    // Act
    const acknowledgements = acknowledgementsIn(app)

    // Assess
    expect(acknowledgements.length).toBeGreaterThan(0)
    expect(acknowledgements.filter(({ reason }) => reason.trim().length < MIN_REASON_LENGTH)).toEqual([])
  })

  it.each(icsNames())('acknowledges no rule for a whole app or stack in %s', (ics) => {
    // An acknowledgement covers the construct's whole subtree: on an app or a stack it would
    // silence the rule for resources nobody has looked at.
    const { app } = appFor(ics)
    expect(acknowledgementsIn(app).filter(({ blanket }) => blanket)).toEqual([])
  })
})
