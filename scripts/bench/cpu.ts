import { readFile } from 'node:fs/promises'
import { availableParallelism } from 'node:os'
import { type Measurement, ms } from './report'

/** Linux's USER_HZ: /proc counts CPU time in these ticks. */
const CLOCK_TICKS = 100

/** CPU time a process has used so far, from /proc (user + system; Linux only, else undefined). */
export async function cpuMsOf(pid: number | undefined): Promise<number | undefined> {
  if (pid === undefined) return undefined
  try {
    // Fields after the command name (which may hold spaces): utime and stime are the 12th and 13th.
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8')
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS
  } catch {
    return undefined
  }
}

/** CPU milliseconds per completed operation: each child named, and `bench` for this process. */
export type CpuPerOperation<P extends string> = Record<P | 'bench', number>

/**
 * Adds up, per side of a suite, the CPU its processes spend while that side's rounds run, so
 * a suite can say what bounds its latency: a closed loop of N clients over one event loop
 * costing c ms per operation cannot average under N × c (Little's law: N = throughput ×
 * latency, and one loop completes at most 1/c operations a millisecond). This process is
 * counted as `bench` (the load generator and anything else it hosts).
 */
export class CpuLedger<P extends string> {
  private readonly sides = new Map<string, { ms: Map<string, number>; operations: number; known: boolean }>()

  constructor(private readonly pids: Record<P, () => number | undefined>) {}

  /** Runs one round of `side` and books its CPU against the operations it completed. */
  async during<T>(side: string, work: () => Promise<T>, operations: (result: T) => number): Promise<T> {
    const read = async () => {
      const entries = await Promise.all(
        Object.entries<() => number | undefined>(this.pids).map(
          async ([name, pid]) => [name, await cpuMsOf(pid())] as const,
        ),
      )
      const usage = process.cpuUsage()
      return new Map<string, number | undefined>([...entries, ['bench', (usage.user + usage.system) / 1000]])
    }
    const before = await read()
    const result = await work()
    const after = await read()
    const entry = this.sides.get(side) ?? { ms: new Map(), operations: 0, known: true }
    for (const [name, start] of before) {
      const end = after.get(name)
      if (start === undefined || end === undefined) entry.known = false
      else entry.ms.set(name, (entry.ms.get(name) ?? 0) + end - start)
    }
    entry.operations += operations(result)
    this.sides.set(side, entry)
    return result
  }

  /** The side's CPU per operation, or undefined where /proc could not be read (not Linux). */
  perOperation(side: string): CpuPerOperation<P> | undefined {
    const entry = this.sides.get(side)
    if (!entry?.known || entry.operations === 0) return undefined
    return Object.fromEntries(
      [...entry.ms].map(([name, total]) => [name, total / entry.operations]),
    ) as CpuPerOperation<P>
  }
}

/** The CPUs this machine gives the bench's processes. */
export const CORES = availableParallelism()

/** A suite's server process (subject and baseline in one) and its DynamoDB. */
export type ServerChildren = 'server' | 'dynamo'

/**
 * The rows that say what bounds a closed loop's latency, subject beside baseline: each
 * process's CPU per operation, the mean floor of `clients` loops over the server's one event
 * loop, and the mean floor over all CPU spread across every core of this machine.
 */
export function cpuFloorRows(
  suite: Measurement['suite'],
  operation: string,
  clients: number,
  subject: CpuPerOperation<ServerChildren> | undefined,
  baseline: CpuPerOperation<ServerChildren> | undefined,
  baselineName: string,
  explains: string,
): Measurement[] {
  if (!subject || !baseline) return []
  const all = (side: CpuPerOperation<ServerChildren>) => side.server + side.dynamo + side.bench
  const split = (side: CpuPerOperation<ServerChildren>) =>
    `${side.server.toFixed(2)} / ${side.dynamo.toFixed(2)} / ${side.bench.toFixed(2)} ms`
  const floor = (cpu: number) => `${ms(cpu)} (${clients} × ${(cpu / clients).toFixed(2)} ms)`
  return [
    {
      suite,
      measure: `CPU per ${operation} (/proc): server process / DynamoDB (dynalite) / bench process`,
      subject: split(subject),
      baseline: `${split(baseline)} (${baselineName})`,
      ratio: subject.server / baseline.server,
      target: 'report (ratio: server processes)',
      verdict: 'INFO',
    },
    {
      suite,
      measure: `mean latency floor at ${clients} clients on the server's one event loop: ${clients} × its CPU per ${operation} (Little's law)`,
      subject: floor(subject.server * clients),
      baseline: floor(baseline.server * clients),
      ratio: subject.server / baseline.server,
      target: explains,
      verdict: 'INFO',
    },
    {
      suite,
      measure: `mean latency floor at ${clients} clients with every process's CPU spread over this machine's ${CORES} cores: ${clients} × all CPU per ${operation} / ${CORES}`,
      subject: floor((all(subject) * clients) / CORES),
      baseline: floor((all(baseline) * clients) / CORES),
      ratio: all(subject) / all(baseline),
      target: explains,
      verdict: 'INFO',
    },
  ]
}
