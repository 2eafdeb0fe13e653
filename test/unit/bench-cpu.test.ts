import { describe, expect, it } from 'vitest'
import { CORES, CpuLedger, cpuFloorRows, cpuMsOf } from '../../scripts/bench/cpu'

const onLinux = process.platform === 'linux'

/** Keeps this process busy until it has used `ms` milliseconds of CPU (however loaded the machine). */
function spin(ms: number): void {
  const start = process.cpuUsage()
  const used = () => {
    const { user, system } = process.cpuUsage(start)
    return (user + system) / 1000
  }
  while (used() < ms) {
    // busy on purpose: the ledger must see this process's CPU
  }
}

describe('bench CPU accounting', () => {
  it.skipIf(!onLinux)(
    'reads a living process’s CPU from /proc, and nothing for one that is gone',
    async () => {
      const before = await cpuMsOf(process.pid)
      spin(60)
      const after = await cpuMsOf(process.pid)
      expect(before).toBeTypeOf('number')
      // /proc counts in 10 ms ticks.
      expect(after! - before!).toBeGreaterThanOrEqual(50)
      expect(await cpuMsOf(2 ** 22 + 1)).toBeUndefined()
      expect(await cpuMsOf(undefined)).toBeUndefined()
    },
  )

  it.skipIf(!onLinux)('books each side’s CPU against the operations its rounds completed', async () => {
    const ledger = new CpuLedger({ server: () => process.pid, dynamo: () => process.pid })
    await ledger.during(
      'subject',
      async () => spin(100),
      () => 10,
    )
    await ledger.during(
      'subject',
      async () => spin(100),
      () => 10,
    )
    await ledger.during(
      'baseline',
      async () => spin(20),
      () => 20,
    )
    const subject = ledger.perOperation('subject')!
    const baseline = ledger.perOperation('baseline')!
    // 200 ms of CPU over 20 operations: 10 ms each, give or take /proc's 10 ms ticks and the runner's own work.
    expect(subject.server).toBeGreaterThanOrEqual(9)
    expect(subject.server).toBeLessThan(20)
    expect(baseline.server).toBeLessThan(subject.server)
    // The bench process is this process too, read through process.cpuUsage.
    expect(subject.bench).toBeGreaterThanOrEqual(10)
    expect(ledger.perOperation('unmeasured')).toBeUndefined()
  })

  it('gives no per-operation figure where a process could not be read', async () => {
    const ledger = new CpuLedger({ server: () => undefined, dynamo: () => process.pid })
    await ledger.during(
      'subject',
      async () => undefined,
      () => 5,
    )
    expect(ledger.perOperation('subject')).toBeUndefined()
  })

  it('states the floors of Little’s law: clients × server CPU, and clients × all CPU over the cores', () => {
    const rows = cpuFloorRows(
      'booking',
      'booking',
      50,
      { server: 8, dynamo: 4, bench: 0.5 },
      { server: 2, dynamo: 1, bench: 0.5 },
      'bare',
      'explains',
    )
    expect(rows).toHaveLength(3)
    expect(rows[0]!.subject).toBe('8.00 / 4.00 / 0.50 ms')
    expect(rows[1]!.subject).toBe('400.0 ms (50 × 8.00 ms)')
    expect(rows[1]!.ratio).toBe(4)
    expect(rows[2]!.subject).toBe(
      `${((50 * 12.5) / CORES).toFixed(1)} ms (50 × ${(12.5 / CORES).toFixed(2)} ms)`,
    )
    expect(rows[2]!.ratio).toBeCloseTo(12.5 / 3.5)
    expect(cpuFloorRows('booking', 'booking', 50, undefined, undefined, 'bare', 'explains')).toEqual([])
  })
})
