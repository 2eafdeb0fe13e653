import { spawn } from 'node:child_process'
import { mkdir, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { build, type Metafile } from 'esbuild'
import { bundleSettings } from '../../infra/bundling'
import { type FunctionName, functions } from '../../infra/functions'
import { type TableName, tables } from '../../infra/tables'
import { bundleFunction } from '../bundle-sizes'
import { benchEnv, ROOT } from './processes'
import { type ProfileSummary, ProfileTotals, readProfiles } from './profile'
import {
  type BenchOptions,
  kb,
  type Measurement,
  median,
  ms,
  type SuiteResult,
  table,
  verdictOf,
} from './report'

const SIZE_TARGET = 1.25
const INIT_TARGET = 1.3
const MAX_BUNDLE_BYTES = 500 * 1024

/** The AWS SDK a function bundle uses, read from its metafile. */
export interface SdkUsage {
  /** `@aws-sdk/client-*` package → client class, e.g. `@aws-sdk/client-dynamodb` → `DynamoDBClient`. */
  clients: Record<string, string>
  /** Package → command classes esbuild kept from it. */
  commands: Record<string, string[]>
  /** Whether the DynamoDB document client (`@aws-sdk/lib-dynamodb`) is used. */
  documentClient: boolean
}

const CLIENT_FILE = /node_modules\/(@aws-sdk\/client-[a-z0-9-]+)\/dist-es\/(\w+Client)\.js$/
const COMMAND_FILE =
  /node_modules\/(@aws-sdk\/(?:client-[a-z0-9-]+|lib-dynamodb))\/dist-es\/commands\/(\w+Command)\.js$/
const DOCUMENT_CLIENT_FILE = /node_modules\/@aws-sdk\/lib-dynamodb\/dist-es\/DynamoDBDocumentClient\.js$/

/**
 * Which SDK clients and commands esbuild kept in a bundle. Derived from the metafile rather
 * than declared, so the baseline follows the code: a function that starts calling
 * EventBridge gets EventBridge in its baseline without anyone editing the bench.
 */
export function sdkUsageOf(inputs: Record<string, { bytesInOutput: number }>): SdkUsage {
  const usage: SdkUsage = { clients: {}, commands: {}, documentClient: false }
  for (const [path, { bytesInOutput }] of Object.entries(inputs)) {
    if (bytesInOutput === 0) continue
    const client = CLIENT_FILE.exec(path)
    if (client) usage.clients[client[1]!] = client[2]!
    const command = COMMAND_FILE.exec(path)
    if (command) usage.commands[command[1]!] = [...(usage.commands[command[1]!] ?? []), command[2]!]
    if (DOCUMENT_CLIENT_FILE.test(path)) usage.documentClient = true
  }
  for (const list of Object.values(usage.commands)) list.sort()
  return usage
}

/**
 * The baseline: a handler module that builds the same SDK clients at module scope (as
 * functions/shared does) and keeps the same command classes, and nothing else.
 */
export function baselineSource(usage: SdkUsage): string {
  const lines: string[] = []
  const clients: string[] = []
  const commands: string[] = []
  for (const [pkg, clientClass] of Object.entries(usage.clients)) {
    const used = usage.commands[pkg] ?? []
    lines.push(`import { ${[clientClass, ...used].join(', ')} } from '${pkg}'`)
    commands.push(...used)
    if (pkg === '@aws-sdk/client-dynamodb' && usage.documentClient) {
      const documentCommands = usage.commands['@aws-sdk/lib-dynamodb'] ?? []
      // Aliased: lib-dynamodb's QueryCommand and client-dynamodb's share a name.
      const aliased = documentCommands.map((name) => `${name} as Document${name}`)
      lines.push(
        `import { ${['DynamoDBDocumentClient', ...aliased].join(', ')} } from '@aws-sdk/lib-dynamodb'`,
      )
      commands.push(...documentCommands.map((name) => `Document${name}`))
      clients.push(`DynamoDBDocumentClient.from(new ${clientClass}({ maxAttempts: 3 }))`)
    } else {
      clients.push(`new ${clientClass}({ maxAttempts: 3 })`)
    }
  }
  lines.push(`export const clients = [${clients.join(', ')}]`)
  lines.push(`export const commands = [${commands.join(', ')}]`)
  lines.push(
    `export const handler = async () => ({ statusCode: 200, body: String(clients.length + commands.length) })`,
  )
  return lines.join('\n')
}

async function buildBaseline(
  name: FunctionName,
  usage: SdkUsage,
  outdir: string,
  minify = true,
): Promise<{ file: string; bytes: number; metafile: Metafile }> {
  const outfile = join(outdir, `baseline-${name}.mjs`)
  const result = await build({
    ...bundleSettings,
    minify,
    mainFields: [...bundleSettings.mainFields],
    banner: { js: bundleSettings.banner },
    stdin: {
      contents: baselineSource(usage),
      resolveDir: ROOT,
      sourcefile: `baseline-${name}.js`,
      loader: 'js',
    },
    bundle: true,
    outfile,
    metafile: true,
    logLevel: 'silent',
  })
  const metafile = result.metafile
  const output = Object.entries(metafile.outputs).find(([file]) => file.endsWith('.mjs'))!
  return { file: resolve(output[0]), bytes: output[1].bytes, metafile }
}

/**
 * The function built as bundleFunction builds it but not minified, for profiling only: a
 * minified bundle is a handful of lines, so V8's per-line ticks could not be mapped back to
 * the packages they come from.
 */
async function buildReadable(name: FunctionName, outdir: string): Promise<string> {
  return resolve((await bundleFunction(name, outdir, undefined, { minify: false })).file)
}

/**
 * The function bundled with the SDK's own default credential chain, as bundles were before
 * infra/bundling.ts aliased it to environment-only credentials: the information row beside
 * it says what that alias saves, measured in the same run.
 */
async function buildWithDefaultChain(
  name: FunctionName,
  outdir: string,
): Promise<{ file: string; bytes: number }> {
  const report = await bundleFunction(name, join(outdir, 'default-chain'), undefined, { alias: {} })
  return { file: resolve(report.file), bytes: report.bytes }
}

/** The function the credential-chain information row is measured on: the largest bundle. */
const CHAIN_FUNCTION: FunctionName = 'appointments'

const IMPORT_TIMER =
  'const started = performance.now(); await import(process.argv[1]); ' +
  'process.stdout.write(String(performance.now() - started)); process.exit(0)'

// The same import, stamped in the clock `--cpu-prof` uses so only the import is counted.
const PROFILED_IMPORT =
  'const startUs = Number(process.hrtime.bigint() / 1000n); await import(process.argv[1]); ' +
  'const endUs = Number(process.hrtime.bigint() / 1000n); ' +
  'process.stdout.write(JSON.stringify({ startUs, endUs })); process.exit(0)'

function runNode(args: string[], env: NodeJS.ProcessEnv): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    let err = ''
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk
    })
    child.stderr.on('data', (chunk: Buffer) => {
      err += chunk
    })
    child.once('error', reject)
    child.once('exit', (code) => {
      if (code === 0) resolvePromise(out)
      else reject(new Error(`node ${args.at(-1)} failed (${code}): ${err.trim().slice(0, 500)}`))
    })
  })
}

/**
 * Init cost of one bundle: a fresh `node` times a dynamic import() of it from inside the
 * process, so node's own start-up (and any CA bundle) is not counted, as on Lambda where
 * the runtime is already up when it imports the handler.
 */
async function timeImport(file: string, env: NodeJS.ProcessEnv): Promise<number> {
  const out = await runNode(['--input-type=module', '-e', IMPORT_TIMER, pathToFileURL(file).href], env)
  const value = Number(out)
  if (!Number.isFinite(value)) throw new Error(`importing ${file} printed ${out}`)
  return value
}

/** Where import time goes: `node --cpu-prof` around `runs` fresh imports, frames mapped through the bundle's source map. */
async function profileImport(file: string, env: NodeJS.ProcessEnv, runs: number): Promise<ProfileSummary> {
  const dir = await mkdtemp(join(tmpdir(), 'joinup-bench-init-'))
  const totals = new ProfileTotals()
  await totals.useSourceMap(file)
  try {
    for (let run = 0; run < runs; run++) {
      const runDir = join(dir, String(run))
      const out = await runNode(
        [
          '--cpu-prof',
          '--cpu-prof-dir',
          runDir,
          '--cpu-prof-interval',
          '100',
          '--input-type=module',
          '-e',
          PROFILED_IMPORT,
          pathToFileURL(file).href,
        ],
        env,
      )
      const window = JSON.parse(out) as { startUs: number; endUs: number }
      for (const profile of await readProfiles(runDir)) totals.add(profile, window)
    }
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
  return totals.summary(8)
}

/** The environment a deployed function has at import: region and table names (values unused at import). */
function functionEnv(): NodeJS.ProcessEnv {
  const env: Record<string, string> = { AWS_REGION: 'eu-west-2', POWERTOOLS_SERVICE_NAME: 'joinup-bench' }
  for (const table of Object.keys(tables) as TableName[]) env[tables[table].envVar] = `joinup-bench-${table}`
  return benchEnv(env)
}

interface BundleFigures {
  name: FunctionName
  bytes: number
  top: { source: string; bytes: number }[]
  usage: SdkUsage
  baselineBytes?: number
  /** Bytes from inputs the baseline does not contain: what the function adds to the SDK. */
  addedBySource?: { source: string; bytes: number }[]
  initMs: number[]
  baselineInitMs: number[]
}

function sourceOf(path: string): string {
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path)?.[1]
  return pkg ?? path.split('/').slice(0, 2).join('/')
}

function addedInputs(subject: Metafile, baseline: Metafile): { source: string; bytes: number }[] {
  const inBaseline = new Set<string>()
  for (const output of Object.values(baseline.outputs))
    for (const path of Object.keys(output.inputs)) inBaseline.add(path)
  const bySource = new Map<string, number>()
  for (const output of Object.values(subject.outputs)) {
    if (!output.entryPoint) continue
    for (const [path, { bytesInOutput }] of Object.entries(output.inputs)) {
      if (inBaseline.has(path) || bytesInOutput === 0) continue
      bySource.set(sourceOf(path), (bySource.get(sourceOf(path)) ?? 0) + bytesInOutput)
    }
  }
  return [...bySource].map(([source, bytes]) => ({ source, bytes })).sort((a, b) => b.bytes - a.bytes)
}

/** Suite 1: bundle size and init cost of every declared function against its SDK-only baseline. */
export async function benchBundles(options: BenchOptions): Promise<SuiteResult> {
  const started = performance.now()
  const outdir = join(ROOT, 'cdk.out', 'bench', 'bundles')
  await mkdir(outdir, { recursive: true })
  const runs = options.quick ? 7 : 20
  const env = functionEnv()

  const figures: (BundleFigures & { file: string; baselineFile?: string })[] = []
  for (const name of Object.keys(functions) as FunctionName[]) {
    const report = await bundleFunction(name, outdir)
    const output = Object.values(report.metafile.outputs).find((candidate) => candidate.entryPoint)!
    const usage = sdkUsageOf(output.inputs)
    const entry: BundleFigures & { file: string; baselineFile?: string } = {
      name,
      file: resolve(report.file),
      bytes: report.bytes,
      top: report.top,
      usage,
      initMs: [],
      baselineInitMs: [],
    }
    if (Object.keys(usage.clients).length > 0) {
      const baseline = await buildBaseline(name, usage, outdir)
      entry.baselineFile = baseline.file
      entry.baselineBytes = baseline.bytes
      entry.addedBySource = addedInputs(report.metafile, baseline.metafile)
    }
    figures.push(entry)
    options.progress(
      `built ${name}: ${kb(entry.bytes)}${entry.baselineBytes ? ` (SDK baseline ${kb(entry.baselineBytes)})` : ''}`,
    )
  }

  const defaultChain = { ...(await buildWithDefaultChain(CHAIN_FUNCTION, outdir)), initMs: [] as number[] }

  // One fresh node per import, subject and baseline alternating (ABBA) so drift on a busy
  // machine falls on both alike.
  for (let run = 0; run < runs; run++) {
    for (const entry of figures) {
      const order = run % 2 === 0 ? ['subject', 'baseline'] : ['baseline', 'subject']
      for (const which of order) {
        if (which === 'subject') entry.initMs.push(await timeImport(entry.file, env))
        else if (entry.baselineFile) entry.baselineInitMs.push(await timeImport(entry.baselineFile, env))
      }
      if (entry.name === CHAIN_FUNCTION) defaultChain.initMs.push(await timeImport(defaultChain.file, env))
    }
    options.progress(`init: ${run + 1}/${runs} fresh node processes per bundle`)
  }

  const measurements: Measurement[] = []
  const details: string[] = []
  for (const entry of figures) {
    const init = median(entry.initMs)
    const withinCap = entry.bytes <= MAX_BUNDLE_BYTES
    if (entry.baselineBytes === undefined) {
      measurements.push(
        {
          suite: 'bundles',
          measure: `${entry.name} size (no SDK client: absolute)`,
          subject: kb(entry.bytes),
          baseline: 'n/a',
          target: '≤ 500 KB',
          verdict: verdictOf(withinCap),
        },
        {
          suite: 'bundles',
          measure: `${entry.name} init, median of ${entry.initMs.length} (absolute)`,
          subject: ms(init),
          baseline: 'n/a',
          target: 'no target: no SDK baseline',
          verdict: 'INFO',
        },
      )
    } else {
      const sizeRatio = entry.bytes / entry.baselineBytes
      const baselineInit = median(entry.baselineInitMs)
      const initRatio = init / baselineInit
      measurements.push(
        {
          suite: 'bundles',
          measure: `${entry.name} size`,
          subject: kb(entry.bytes),
          baseline: kb(entry.baselineBytes),
          ratio: sizeRatio,
          target: `≤ ${SIZE_TARGET}× and ≤ 500 KB`,
          verdict: verdictOf(sizeRatio <= SIZE_TARGET && withinCap),
        },
        {
          suite: 'bundles',
          measure: `${entry.name} init, median of ${entry.initMs.length}`,
          subject: ms(init),
          baseline: ms(baselineInit),
          ratio: initRatio,
          target: `≤ ${INIT_TARGET}×`,
          verdict: verdictOf(initRatio <= INIT_TARGET),
        },
      )
    }
  }

  const chained = figures.find((entry) => entry.name === CHAIN_FUNCTION)!
  measurements.push({
    suite: 'bundles',
    measure: `${CHAIN_FUNCTION} size / init with environment-only credentials, against the same function with the SDK's default credential chain (information)`,
    subject: `${kb(chained.bytes)} / ${ms(median(chained.initMs))}`,
    baseline: `${kb(defaultChain.bytes)} / ${ms(median(defaultChain.initMs))} (default chain)`,
    ratio: median(chained.initMs) / median(defaultChain.initMs),
    target: 'report (ratio: init)',
    verdict: 'INFO',
  })

  // What bounds a missed init target: where the import's time goes, beside the baseline's.
  const profiled = new Map<string, FunctionName>()
  const profileRuns = options.quick ? 3 : 8
  for (const entry of figures) {
    if (!entry.baselineFile) continue
    const missed = median(entry.initMs) / median(entry.baselineInitMs) > INIT_TARGET
    if (!missed && !options.profile) continue
    const sameBundle = profiled.get(functions[entry.name].entry)
    if (sameBundle) {
      details.push(`Init profile of ${entry.name}: the same bundle as ${sameBundle}, see above.`)
      continue
    }
    profiled.set(functions[entry.name].entry, entry.name)
    options.progress(
      `profiling ${profileRuns} imports of ${entry.name} and of its baseline (node --cpu-prof)`,
    )
    const readable = join(outdir, 'readable')
    const subject = await profileImport(await buildReadable(entry.name, readable), env, profileRuns)
    const baselineFile = (await buildBaseline(entry.name, entry.usage, readable, false)).file
    const baseline = await profileImport(baselineFile, env, profileRuns)
    details.push(initProfileMarkdown(entry.name, subject, baseline, profileRuns))
  }

  details.push(
    "Baselines are derived from each bundle's metafile: every `@aws-sdk/client-*` client class and every " +
      'command class esbuild kept (`@aws-sdk/client-*` and `@aws-sdk/lib-dynamodb`), built into a module that ' +
      'constructs the same clients at module scope, with the same esbuild settings (infra/bundling.ts, whose ' +
      'credential alias shrinks function and baseline alike: the ratios are of what the function adds). ' +
      'Init is `performance.now()` around a dynamic `import()` inside a fresh `node` (without NODE_EXTRA_CA_CERTS).',
  )
  details.push(
    table(
      ['function', 'SDK in baseline', 'top 5 contributors', 'added over the baseline (top 5)'],
      figures.map((entry) => [
        entry.name,
        Object.keys(entry.usage.clients).length === 0
          ? 'none (no AWS SDK client)'
          : Object.entries(entry.usage.commands)
              .map(([pkg, commands]) => `${pkg.replace('@aws-sdk/', '')}: ${commands.join(', ')}`)
              .join('; '),
        entry.top.map((top) => `${top.source} ${kb(top.bytes)}`).join(', '),
        entry.addedBySource
          ? entry.addedBySource
              .slice(0, 5)
              .map((added) => `${added.source} ${kb(added.bytes)}`)
              .join(', ')
          : 'n/a',
      ]),
    ),
  )

  return {
    suite: 'bundles',
    title: 'Bundle size and init cost',
    durationMs: performance.now() - started,
    measurements,
    details,
    data: figures.map(({ file: _file, baselineFile: _baselineFile, ...entry }) => ({
      ...entry,
      initMedianMs: median(entry.initMs),
      baselineInitMedianMs: entry.baselineInitMs.length ? median(entry.baselineInitMs) : undefined,
    })),
  }
}

/** Self time per import by area, the function's bundle beside its baseline, largest additions first. */
function initProfileMarkdown(
  name: FunctionName,
  subject: ProfileSummary,
  baseline: ProfileSummary,
  runs: number,
): string {
  const perImport = (value: number) => `${(value / runs).toFixed(1)} ms`
  const areas = new Set([...subject.areas, ...baseline.areas].map((area) => area.area))
  const rows = [...areas]
    .map((area) => {
      const mine = subject.areas.find((candidate) => candidate.area === area)?.ms ?? 0
      const theirs = baseline.areas.find((candidate) => candidate.area === area)?.ms ?? 0
      return { area, mine, theirs, added: mine - theirs }
    })
    .sort((a, b) => b.added - a.added)
    .slice(0, 8)
  return [
    `Init profile of ${name}: \`node --cpu-prof\` (100 µs sampling) over ${runs} fresh imports of an unminified ` +
      `build of the same bundle and of its baseline, samples inside the import only, each line's ticks mapped ` +
      `through the source map to its package: ${perImport(subject.totalMs)} per import vs ` +
      `${perImport(baseline.totalMs)} for the baseline (profiled imports run slower than timed ones).`,
    table(
      ['area', `${name} per import`, 'baseline per import', 'added'],
      rows.map((row) => [row.area, perImport(row.mine), perImport(row.theirs), perImport(row.added)]),
    ),
    table(
      [`top self-time frames of ${name}'s import`, 'area', 'share'],
      subject.frames.map((frame) => [`\`${frame.frame}\``, frame.area, `${(frame.share * 100).toFixed(1)}%`]),
    ),
  ].join('\n\n')
}
