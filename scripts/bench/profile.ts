import { readFileSync } from 'node:fs'
import { readdir, readFile } from 'node:fs/promises'
import { SourceMap, type SourceMapPayload } from 'node:module'
import { join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import { ROOT } from './processes'
import { table } from './report'

/** The parts of a V8 `.cpuprofile` (what `node --cpu-prof` writes) this summary reads. */
interface CpuProfile {
  nodes: { id: number; callFrame: CallFrame; positionTicks?: { line: number; ticks: number }[] }[]
  startTime: number
  endTime: number
  samples: number[]
  timeDeltas: number[]
}

interface CallFrame {
  functionName: string
  url: string
  lineNumber: number
  columnNumber: number
}

/** A stretch of the profile to count, in the profile's clock (µs, `process.hrtime` based). */
export interface ProfileWindow {
  startUs: number
  endUs: number
}

/** The clock `--cpu-prof` stamps samples with, so a child can mark the window it cares about. */
export const profileClockUs = () => Number(process.hrtime.bigint() / 1000n)

export interface ProfileSummary {
  totalMs: number
  areas: { area: string; ms: number; share: number }[]
  frames: { frame: string; area: string; ms: number; share: number }[]
}

/** Everything dynalite pulls in (its node_modules closure): the local DynamoDB server's own cost. */
function dynaliteClosure(): Set<string> {
  const seen = new Set<string>()
  const queue = ['dynalite']
  while (queue.length > 0) {
    const name = queue.pop()!
    if (seen.has(name)) continue
    seen.add(name)
    try {
      const manifest = JSON.parse(readFileSync(join(ROOT, 'node_modules', name, 'package.json'), 'utf8')) as {
        dependencies?: Record<string, string>
      }
      queue.push(...Object.keys(manifest.dependencies ?? {}))
    } catch {
      // A dependency nested under another package: its parent already names the area.
    }
  }
  return seen
}

const DYNALITE = dynaliteClosure()

/** Which part of the stack a source file belongs to. */
export function areaOf(source: string, functionName = ''): string {
  if (source === '') {
    if (functionName === '(garbage collector)') return 'garbage collection'
    if (functionName === '(idle)') return 'idle (waiting on I/O)'
    if (functionName === '(program)') return 'V8 (parse, compile, native code)'
    return 'native'
  }
  if (source.startsWith('node:')) return 'Node.js core (http, net, streams, …)'
  if (source.startsWith('[eval')) return 'the timing script itself'
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(source)?.[1]
  if (pkg) {
    if (DYNALITE.has(pkg)) return 'dynalite (the local DynamoDB server)'
    if (pkg.startsWith('@aws-sdk/') || pkg.startsWith('@smithy/') || pkg.startsWith('@aws/'))
      return 'AWS SDK (@aws-sdk, @smithy)'
    if (pkg === 'jose') return 'jose (JWT verification)'
    if (pkg.startsWith('@middy/')) return 'middy'
    if (pkg.startsWith('@aws-lambda-powertools/')) return 'Powertools logger'
    if (pkg === 'tsx' || pkg === 'esbuild' || pkg === 'get-tsconfig') return 'tsx loader (local only)'
    return pkg
  }
  const path = source.startsWith('file:') ? relative(ROOT, fileURLToPath(source)) : source
  const folders = path.split('/')
  return folders.length > 2 ? folders.slice(0, 2).join('/') : (folders[0] ?? path)
}

function shortPath(source: string): string {
  const path = source.startsWith('file:') ? relative(ROOT, fileURLToPath(source)) : source
  const inModules = path.lastIndexOf('node_modules/')
  return inModules >= 0 ? path.slice(inModules + 'node_modules/'.length) : path
}

/**
 * Adds up self time (the time a sample spent in a frame itself, not in its callees) over
 * one or more profiles, by frame and by area. Frames inside a bundle are mapped through
 * its source map back to the package they came from.
 */
export class ProfileTotals {
  private readonly byFrame = new Map<string, { area: string; us: number }>()
  private readonly byArea = new Map<string, number>()
  private totalUs = 0
  private readonly sourceMaps = new Map<string, SourceMap>()

  /** `area` names where a source file's time goes (a suite may split the project's own code finer). */
  constructor(private readonly area: (source: string, functionName?: string) => string = areaOf) {}

  /** Frames in `bundleFile` (a generated file with a `.map` beside it) are reported by original source. */
  async useSourceMap(bundleFile: string): Promise<void> {
    const payload = JSON.parse(await readFile(`${bundleFile}.map`, 'utf8')) as SourceMapPayload
    this.sourceMaps.set(bundleFile, new SourceMap(payload))
  }

  add(profile: CpuProfile, window?: ProfileWindow): void {
    const parts = new Map(profile.nodes.map((node) => [node.id, this.partsOf(node)]))
    let at = profile.startTime
    for (let i = 0; i < profile.samples.length; i++) {
      at += profile.timeDeltas[i] ?? 0
      if (window && (at < window.startUs || at > window.endUs)) continue
      // A sample stands for the time until the next one.
      const us = profile.timeDeltas[i + 1] ?? 0
      for (const { label, area, weight } of parts.get(profile.samples[i]!) ?? []) {
        const entry = this.byFrame.get(label) ?? { area, us: 0 }
        entry.us += us * weight
        this.byFrame.set(label, entry)
        this.byArea.set(area, (this.byArea.get(area) ?? 0) + us * weight)
      }
      this.totalUs += us
    }
  }

  /**
   * Where a node's self time belongs. In a bundle, one function can hold many packages'
   * code (the module body runs every bundled module's top level), so its time is split by
   * the lines V8 saw ticks on, each line mapped back to its source.
   */
  private partsOf(node: CpuProfile['nodes'][number]): { label: string; area: string; weight: number }[] {
    const frame = node.callFrame
    const name = frame.functionName || '(anonymous)'
    if (!frame.url) return [{ label: name, area: areaOf('', frame.functionName), weight: 1 }]
    // The ESM loader compiling a module: V8 parsing the whole bundle.
    if (frame.functionName === 'compileSourceTextModule')
      return [{ label: name, area: 'V8 parse + compile of the module', weight: 1 }]
    const file = frame.url.startsWith('file:') ? fileURLToPath(frame.url) : frame.url
    const map = this.sourceMaps.get(file)
    if (!map)
      return [
        {
          label: `${name} ${shortPath(frame.url)}:${frame.lineNumber + 1}`,
          area: this.area(frame.url),
          weight: 1,
        },
      ]
    const ticks = node.positionTicks?.length
      ? node.positionTicks.map((tick) => ({ line: tick.line - 1, column: 0, ticks: tick.ticks }))
      : [{ line: frame.lineNumber, column: frame.columnNumber, ticks: 1 }]
    const total = ticks.reduce((sum, tick) => sum + tick.ticks, 0)
    return ticks.map((tick) => {
      const original = map.findEntry(tick.line, tick.column)
      if (!('originalSource' in original) || !original.originalSource) {
        // Lines with no source: esbuild's own module wrappers (__esm, __commonJS) and the banner.
        return {
          label: `${name} ${shortPath(frame.url)}:${tick.line + 1}`,
          area: 'esbuild module wrappers',
          weight: tick.ticks / total,
        }
      }
      const source = original.originalSource.replace(/^(\.\.\/)+/, '')
      const where = `${shortPath(source)}:${original.originalLine + 1}`
      return {
        label:
          frame.lineNumber === 0 && frame.columnNumber === 0
            ? `(module top level) ${where}`
            : `${name} ${where}`,
        area: this.area(source),
        weight: tick.ticks / total,
      }
    })
  }

  summary(topFrames = 12): ProfileSummary {
    const total = this.totalUs || 1
    return {
      totalMs: this.totalUs / 1000,
      areas: [...this.byArea]
        .map(([area, us]) => ({ area, ms: us / 1000, share: us / total }))
        .sort((a, b) => b.ms - a.ms),
      frames: [...this.byFrame]
        .map(([frame, { area, us }]) => ({ frame, area, ms: us / 1000, share: us / total }))
        .sort((a, b) => b.ms - a.ms)
        .slice(0, topFrames),
    }
  }
}

/**
 * Reads the main thread's `.cpuprofile` from a `--cpu-prof-dir`. Files are named
 * `CPU.<date>.<time>.<pid>.<thread>.<seq>.cpuprofile`; thread 0 is the main thread (tsx's
 * loader runs on a thread of its own and is idle while the bench runs).
 */
export async function readProfiles(dir: string): Promise<CpuProfile[]> {
  const files = (await readdir(dir)).filter((file) => /^CPU\.\d+\.\d+\.\d+\.0\.\d+\.cpuprofile$/.test(file))
  return Promise.all(
    files.map(async (file) => JSON.parse(await readFile(join(dir, file), 'utf8')) as CpuProfile),
  )
}

const percent = (share: number) => `${(share * 100).toFixed(1)}%`

/** The summary as Markdown: self time by area, then the top frames. */
export function profileMarkdown(summary: ProfileSummary, what: string, areas = 8): string {
  return [
    `${what}: ${summary.totalMs.toFixed(0)} ms of samples.`,
    table(
      ['area', 'self time', 'share'],
      summary.areas
        .slice(0, areas)
        .map((area) => [area.area, `${area.ms.toFixed(0)} ms`, percent(area.share)]),
    ),
    table(
      ['top self-time frames', 'area', 'share'],
      summary.frames.map((frame) => [`\`${frame.frame}\``, frame.area, percent(frame.share)]),
    ),
  ].join('\n\n')
}
