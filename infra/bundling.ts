import { type IcsConfig, runtimeConfigOf } from '../schemas/ics-config'

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
  // Some bundled CommonJS dependencies call require(); an ESM bundle has to make it.
  banner: "import{createRequire as __cr}from'module';const require=__cr(import.meta.url);",
} as const

/** The ICS config compiled into a bundle (see functions/shared/ics.ts). */
export function icsDefine(config: IcsConfig): Record<string, string> {
  return { 'process.env.ICS_CONFIG': JSON.stringify(JSON.stringify(runtimeConfigOf(config))) }
}
