import type { IcsRuntimeConfig } from '../../schemas/ics-config'
import { LOCAL_DEV_ISSUER } from '../../schemas/ics-policy'

let current: IcsRuntimeConfig | undefined

/**
 * The ICS this function serves. The CDK app bundles it into `ICS_CONFIG` at build time
 * (esbuild define: no 4 KB environment limit for large ICSs); the local runtime sets the
 * environment variable before it loads the handlers.
 */
export function currentIcs(): IcsRuntimeConfig {
  if (!current) {
    const raw = process.env.ICS_CONFIG
    if (!raw) throw new Error('ICS_CONFIG is not set')
    // Validated where it was built (the CDK app, the local runtime); parsing it again here
    // would put the config schema into every bundle.
    current = JSON.parse(raw) as IcsRuntimeConfig
  }
  return current
}

/** Forgets the cached config (tests that switch ICS). */
export function resetIcsConfig(): void {
  current = undefined
}

/**
 * True when this is the local stack (`npm start`): only it trusts the local dev issuer, and
 * cloud configs may never do so (infra/ics-configs.ts). Local-only leniencies (plain http
 * to loopback endpoints) key off this, never off an environment variable a deploy could set.
 */
export function isLocalIcs(ics: Pick<IcsRuntimeConfig, 'auth'>): boolean {
  return ics.auth.issuer === LOCAL_DEV_ISSUER
}

/**
 * Where the holder directory says an organisation serves its records (its GP Connect
 * endpoint), if it lists one: what a pointer registered without a URL points at.
 */
export function directoryEndpointOf(ics: IcsRuntimeConfig, ods: string): string | undefined {
  const holder = ics.directory?.holders.find((candidate) => candidate.ods === ods)
  return holder?.protocol === 'gpconnect-1.6-stu3' ? holder.endpoint : undefined
}
