import { readdirSync, readFileSync } from 'node:fs'
import { basename, join } from 'node:path'
import { IcsConfig, LOCAL_DEV_ISSUER } from '../schemas/ics-config'
import { capabilitySwitchProblems } from './capabilities'

/** Folder of the ICS config files, one `<ics>.json` per ICS. */
export const ICS_CONFIG_DIR = join(import.meta.dirname, 'ics')

/** The ICS names that have a config file, in file-name order. */
export function icsNames(dir = ICS_CONFIG_DIR): string[] {
  return readdirSync(dir)
    .filter((file) => file.endsWith('.json'))
    .map((file) => basename(file, '.json'))
    .sort()
}

/**
 * Reads and validates one ICS config. Refuses what must never reach the cloud: a config
 * whose file name and id differ, or one that trusts the local dev token issuer.
 */
export function loadIcsConfig(name: string, dir = ICS_CONFIG_DIR): IcsConfig {
  const raw: unknown = JSON.parse(readFileSync(join(dir, `${name}.json`), 'utf8'))
  const config = IcsConfig.parse(raw)
  if (config.ics !== name) throw new Error(`infra/ics/${name}.json declares ics "${config.ics}"`)
  assertDeployable(config)
  return config
}

/** True for a host name that means "this machine". */
function isLoopback(hostname: string): boolean {
  const host = hostname
    .replace(/^\[|\]$/g, '')
    .replace(/\.$/, '')
    .toLowerCase()
  return (
    host === 'localhost' ||
    host.endsWith('.localhost') ||
    host === '::1' ||
    host === '0.0.0.0' ||
    /^127\.\d+\.\d+\.\d+$/.test(host)
  )
}

/**
 * A deployable config never trusts the local dev issuer or a JWKS on this machine, names only
 * capabilities that exist, says how API Gateway gets its account-level logging role, and keeps
 * a demo issuer away from real patients.
 */
export function assertDeployable(config: IcsConfig): void {
  const jwks = new URL(config.auth.jwksUrl)
  if (config.auth.issuer === LOCAL_DEV_ISSUER || isLoopback(jwks.hostname)) {
    throw new Error(`ICS ${config.ics} trusts the local dev token issuer; cloud stacks must not`)
  }
  if (jwks.protocol !== 'https:') throw new Error(`ICS ${config.ics} must fetch its JWKS over https`)
  const problems = capabilitySwitchProblems(config.capabilities, config.members)
  if (problems.length > 0) throw new Error(`ICS ${config.ics}: ${problems.join('; ')}`)
  if (!config.operations.apiGatewayAccountRole) {
    throw new Error(
      `ICS ${config.ics}: set operations.apiGatewayAccountRole. API Gateway needs an account-level CloudWatch role before a stage that logs can deploy; a fresh account has none. "create": this stack sets it (one stack per account and region); "existing": the account has one already (aws apigateway get-account shows cloudwatchRoleArn).`,
    )
  }
  if (config.demoIssuer && config.pds.source !== 'ics-cache') {
    throw new Error(
      `ICS ${config.ics}: a demo issuer (anyone holding its key can act for any member) is for synthetic data only, never with the national PDS`,
    )
  }
}

/**
 * Refuses an app in which two ICSs would both set API Gateway's account-level role in one
 * account and region: the second would silently replace the first's role.
 */
export function assertOneAccountRolePerAccount(configs: readonly IcsConfig[]): void {
  const owners = new Map<string, string>()
  for (const config of configs) {
    if (config.operations.apiGatewayAccountRole !== 'create') continue
    const where = `${config.account ?? 'the default account'} ${config.region}`
    const owner = owners.get(where)
    if (owner) {
      throw new Error(
        `ICS ${config.ics} and ${owner} both set operations.apiGatewayAccountRole "create" in ${where}: one of them must say "existing"`,
      )
    }
    owners.set(where, config.ics)
  }
}
