import { join } from 'node:path'
import { functionCapabilityOf } from '../functions/shared/capabilities'
import { type IcsConfig, runtimeConfigOf } from '../schemas/ics-config'
import type { FunctionName } from './functions'
import { type RouteDeclaration, routes } from './routes'
import { tables } from './tables'

/**
 * How every function is bundled, declared once: the CDK construct passes these to
 * NodejsFunction (local esbuild, no Docker) and `npm run bundle-sizes` / the bench build
 * with exactly the same settings.
 */
export const bundleSettings = {
  format: 'esm',
  platform: 'node',
  target: 'node22',
  minify: true,
  sourcemap: true,
  mainFields: ['module', 'main'],
  // Lambda's credentials are in its environment: the rest of the SDK's default chain stays out.
  alias: {
    '@aws-sdk/credential-provider-node': join(
      import.meta.dirname,
      '..',
      'functions/shared/environmentCredentials.ts',
    ),
  },
  // Some bundled CommonJS dependencies call require(); an ESM bundle has to make it.
  banner: "import{createRequire as __cr}from'module';const require=__cr(import.meta.url);",
} as const

/** The ICS config compiled into a bundle (see functions/shared/ics.ts). */
export function icsDefine(config: IcsConfig): Record<string, string> {
  return {
    'process.env.ICS_CONFIG': JSON.stringify(JSON.stringify(runtimeConfigOf(config))),
    // A literal the minifier can fold, so the PDS clients this ICS does not use drop out.
    'process.env.JOINUP_PDS_SOURCE': JSON.stringify(config.pds.source),
    // Where token signing keys come from: the config's demo issuer, or the ICS's JWKS URL.
    'process.env.JOINUP_JWKS': JSON.stringify(config.demoIssuer ? 'demo' : 'remote'),
  }
}

/**
 * The routes compiled into one function's bundle (see functions/shared/http.ts): its own,
 * and the others on the same paths (for `Allow` and the CORS preflight), without what only
 * docs read (summaries, search parameters). A bundle then carries a few routes, not every
 * route of the stack, however many capabilities land.
 */
export function routesDefine(
  fn: FunctionName,
  declared: readonly RouteDeclaration[] = routes,
): Record<string, string> {
  const paths = new Set(declared.filter((route) => route.function === fn).map((route) => route.path))
  const runtime = declared
    .filter((route) => paths.has(route.path))
    .map(({ summary: _summary, searchParams: _searchParams, ...route }) => route)
  return { 'process.env.JOINUP_ROUTES': JSON.stringify(JSON.stringify(runtime)) }
}

/**
 * What the shared code would otherwise read from infra/ declarations, compiled into one
 * function's bundle: each table's environment variable (functions/shared/dynamodb.ts) and
 * the function's capability (functions/shared/capabilities.ts). The declarations of every
 * table and capability then stay out of every bundle.
 */
export function functionDefine(fn: FunctionName): Record<string, string> {
  const envVars = Object.fromEntries(
    Object.entries(tables).map(([table, declaration]) => [table, declaration.envVar]),
  )
  return {
    'process.env.JOINUP_TABLE_ENV_VARS': JSON.stringify(JSON.stringify(envVars)),
    'process.env.JOINUP_CAPABILITY': JSON.stringify(JSON.stringify(functionCapabilityOf(fn))),
  }
}
