import { readdirSync, readFileSync } from 'node:fs'
import { basename, join } from 'node:path'
import { IcsConfig, LOCAL_DEV_ISSUER } from '../schemas/ics-config'

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

/** A deployable config never trusts the local dev issuer or a JWKS on this machine. */
export function assertDeployable(config: IcsConfig): void {
  const jwks = new URL(config.auth.jwksUrl)
  if (config.auth.issuer === LOCAL_DEV_ISSUER || isLoopback(jwks.hostname)) {
    throw new Error(`ICS ${config.ics} trusts the local dev token issuer; cloud stacks must not`)
  }
  if (jwks.protocol !== 'https:') throw new Error(`ICS ${config.ics} must fetch its JWKS over https`)
}
