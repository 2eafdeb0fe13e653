import { join } from 'node:path'
import { type BuildOptions, build, type Metafile } from 'esbuild'
import { bundleSettings, functionDefine, icsDefine, routesDefine } from '../infra/bundling'
import { type FunctionDeclaration, type FunctionName, functions } from '../infra/functions'
import { icsNames, loadIcsConfig } from '../infra/ics-configs'

/** The repository root. */
const ROOT = join(import.meta.dirname, '..')

export interface BundleReport {
  name: FunctionName
  bytes: number
  /** Largest contributors (packages, or source folders) by bytes in the output. */
  top: { source: string; bytes: number }[]
}

/**
 * Bundles one function exactly as the CDK stack does and measures it from esbuild's metafile.
 * `variant` changes one setting, for the bench's comparisons only (an unminified build to
 * profile, or one without the credential alias).
 */
export async function bundleFunction(
  name: FunctionName,
  outdir: string,
  ics = icsNames()[0]!,
  variant: Pick<BuildOptions, 'minify' | 'alias'> = {},
): Promise<BundleReport & { file: string; metafile: Metafile }> {
  const declaration: FunctionDeclaration = functions[name]
  const result = await build({
    ...bundleSettings,
    mainFields: [...bundleSettings.mainFields],
    banner: { js: bundleSettings.banner },
    entryPoints: { [name]: join(ROOT, declaration.entry) },
    bundle: true,
    outdir,
    outExtension: { '.js': '.mjs' },
    define: { ...icsDefine(loadIcsConfig(ics)), ...routesDefine(name), ...functionDefine(name) },
    metafile: true,
    logLevel: 'silent',
    ...variant,
  })
  const metafile = result.metafile!
  const output = Object.entries(metafile.outputs).find(([file]) => file.endsWith('.mjs'))!
  return { name, file: output[0], bytes: output[1].bytes, top: contributors(output[1].inputs), metafile }
}

function contributors(
  inputs: Record<string, { bytesInOutput: number }>,
): { source: string; bytes: number }[] {
  const bySource = new Map<string, number>()
  for (const [path, { bytesInOutput }] of Object.entries(inputs)) {
    const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path)?.[1]
    const source = pkg ?? path.split('/').slice(0, 2).join('/')
    bySource.set(source, (bySource.get(source) ?? 0) + bytesInOutput)
  }
  return [...bySource]
    .map(([source, bytes]) => ({ source, bytes }))
    .sort((a, b) => b.bytes - a.bytes)
    .slice(0, 5)
}

const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KB`

if (import.meta.url === `file://${process.argv[1]}`) {
  const outdir = join(ROOT, 'cdk.out', 'bundle-sizes')
  console.log('| function | minified | top contributors |')
  console.log('| --- | ---: | --- |')
  for (const name of Object.keys(functions) as FunctionName[]) {
    const report = await bundleFunction(name, outdir)
    console.log(
      `| ${name} | ${kb(report.bytes)} | ${report.top.map((t) => `${t.source} ${kb(t.bytes)}`).join(', ')} |`,
    )
  }
}
