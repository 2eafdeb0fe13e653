import { readdirSync, readFileSync } from 'node:fs'
import { basename, join } from 'node:path'
import { checkUntrustedEndpoint } from '../functions/shared/untrustedEndpoint'
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

/** Paths the local runtime serves itself (the admin API, the sandbox GP Connect providers). */
const LOCAL_ONLY_PATH = /\/_local(\/|$)|\/_sandbox(\/|$)/i

/**
 * Why a holder endpoint may not be called from the cloud, or undefined when it may: https
 * only, no credentials, no host on this machine or a private network, nothing local-only
 * (DESIGN.md: "https only in cloud configs, no private, loopback or link-local hosts").
 */
export function undeployableEndpoint(url: string): string | undefined {
  // The same rule as every URL a caller hands the stack, without the local stack's loopback leniency.
  const verdict = checkUntrustedEndpoint(url)
  if (!verdict.ok) return verdict.reason
  const parsed = new URL(verdict.url)
  if (LOCAL_ONLY_PATH.test(parsed.pathname) || /(^|\.)sandbox(\.|$)/.test(parsed.hostname))
    return 'points at a local sandbox'
  return undefined
}

/**
 * A deployable config never trusts the local dev issuer or a JWKS on this machine, names only
 * capabilities that exist, says how API Gateway gets its account-level logging role, keeps
 * a demo issuer away from real patients, and calls no holder over http, on a private or
 * loopback host, or in a local sandbox.
 */
export function assertDeployable(config: IcsConfig): void {
  const jwks = checkUntrustedEndpoint(config.auth.jwksUrl)
  if (config.auth.issuer === LOCAL_DEV_ISSUER || (!jwks.ok && /loopback/.test(jwks.reason))) {
    throw new Error(`ICS ${config.ics} trusts the local dev token issuer; cloud stacks must not`)
  }
  if (!jwks.ok) throw new Error(`ICS ${config.ics}: its JWKS is refused: ${jwks.reason}`)
  const endpoints: [string, string][] = config.directory.holders.flatMap((holder) =>
    holder.protocol === 'gpconnect-1.6-stu3' ? [[`holder ${holder.ods}`, holder.endpoint]] : [],
  )
  if (config.directory.sspUrl) endpoints.push(['the Spine Secure Proxy', config.directory.sspUrl])
  for (const [what, url] of endpoints) {
    const problem = undeployableEndpoint(url)
    if (problem) throw new Error(`ICS ${config.ics}: the endpoint of ${what} is refused: ${problem}`)
  }
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
