import { App, Tags } from 'aws-cdk-lib'
import { ICS_TAG } from '../dead-letter-tags'
import { IcsStack } from '../IcsStack'
import { assertOneAccountRolePerAccount, icsNames, loadIcsConfig } from '../ics-configs'
import { applySecurityChecks } from '../security-checks'

/**
 * One IcsStack per ICS config in infra/ics. `-c ics=<name>` builds just that one (what a
 * platform team deploys); without it every config is synthesised (what CI checks).
 */
const app = new App()
const only = app.node.tryGetContext('ics') as string | undefined
const names = only ? [only] : icsNames()
const configs = names.map((name) => loadIcsConfig(name))
assertOneAccountRolePerAccount(configs)
for (const config of configs) {
  const stack = new IcsStack(app, `Joinup-${config.ics}`, {
    config,
    env: { account: config.account ?? process.env.CDK_DEFAULT_ACCOUNT, region: config.region },
    description: `Joined-up care APIs for ${config.name}`,
  })
  Tags.of(stack).add(ICS_TAG, config.ics)
}
applySecurityChecks(app)
