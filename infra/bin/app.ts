import { App, Tags } from 'aws-cdk-lib'
import { IcsStack } from '../IcsStack'
import { icsNames, loadIcsConfig } from '../ics-configs'
import { applySecurityChecks } from '../security-checks'

/**
 * One IcsStack per ICS config in infra/ics. `-c ics=<name>` builds just that one (what a
 * platform team deploys); without it every config is synthesised (what CI checks).
 */
const app = new App()
const only = app.node.tryGetContext('ics') as string | undefined
const names = only ? [only] : icsNames()
for (const name of names) {
  const config = loadIcsConfig(name)
  const stack = new IcsStack(app, `Joinup-${config.ics}`, {
    config,
    env: { account: config.account ?? process.env.CDK_DEFAULT_ACCOUNT, region: config.region },
    description: `Joined-up care APIs for ${config.name}`,
  })
  Tags.of(stack).add('joinup:ics', config.ics)
}
applySecurityChecks(app)
