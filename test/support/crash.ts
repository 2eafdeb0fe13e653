import { type ChildProcessByStdio, spawn } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { type AddressInfo, createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Readable } from 'node:stream'
import { DynamoDBClient } from '@aws-sdk/client-dynamodb'
import { DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb'
import { startLocalDynamoDb } from '../../scripts/local/dynamodb'

// What a SIGKILL test needs: `npm start` as a child process it can kill, free ports, data
// directories that are cleaned up, and a look at a stopped stack's DynamoDB on disk. (The
// same ideas as test/integration/crash-safety.test.ts, which keeps its own copy.)

const REPO_ROOT = join(import.meta.dirname, '..', '..')

/** A child process that the test kills with SIGKILL: `npm start`, or a small writer script. */
export class CrashableProcess {
  private static readonly running = new Set<CrashableProcess>()

  /** SIGKILLs every process started and not yet crashed (a test file's afterAll). */
  static async crashAll(): Promise<void> {
    await Promise.all([...CrashableProcess.running].map((process) => process.crash()))
  }

  private output = ''
  private readonly waiters = new Set<() => void>()
  private readonly exited: Promise<void>

  private constructor(private readonly child: ChildProcessByStdio<null, Readable, Readable>) {
    const take = (chunk: string) => {
      this.output += chunk
      for (const waiter of this.waiters) waiter()
    }
    child.stdout.setEncoding('utf8').on('data', take)
    child.stderr.setEncoding('utf8').on('data', take)
    this.exited = new Promise((resolve) =>
      child.once('exit', () => {
        for (const waiter of this.waiters) waiter()
        resolve()
      }),
    )
  }

  /** `node --import tsx <args>` in the repository, with `env` on top of this process's environment. */
  static run(args: string[], env: Record<string, string>): CrashableProcess {
    const childEnv: NodeJS.ProcessEnv = { ...process.env, ...env }
    // Node reads an extra CA bundle at start-up; the children talk to loopback only.
    delete childEnv.NODE_EXTRA_CA_CERTS
    // `node --import tsx`, not `npx tsx`: one process, so SIGKILL reaches the code under test itself.
    const child = spawn(process.execPath, ['--import', 'tsx', ...args], {
      cwd: REPO_ROOT,
      env: childEnv,
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    const started = new CrashableProcess(child)
    CrashableProcess.running.add(started)
    return started
  }

  /** `npm start` (scripts/start.ts) of ICS `ics` on `port` with DATA_DIR. */
  static stack(dataDir: string, port: number, ics = 'demo'): CrashableProcess {
    return CrashableProcess.run(['scripts/start.ts'], {
      PORT: String(port),
      DATA_DIR: dataDir,
      ICS: ics,
      HOST: '127.0.0.1',
    })
  }

  /** Complete output lines starting with `prefix`, prefix removed. */
  lines(prefix: string): string[] {
    // Complete lines only: the last one may have been cut off by the kill.
    return this.output
      .slice(0, this.output.lastIndexOf('\n') + 1)
      .split('\n')
      .filter((line) => line.startsWith(prefix))
      .map((line) => line.slice(prefix.length))
  }

  /** Resolves once `holds(output)`; rejects if the process exits first or the time runs out. */
  waitUntil(holds: (output: string) => boolean, what: string, timeoutMs = 25_000): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => settle(new Error(`no ${what} within ${timeoutMs} ms`)), timeoutMs)
      const settle = (error?: Error) => {
        clearTimeout(timer)
        this.waiters.delete(check)
        if (error) reject(new Error(`${error.message}; output so far:\n${this.output.slice(-3000)}`))
        else resolve()
      }
      const check = () => {
        if (holds(this.output)) settle()
        else if (this.child.exitCode !== null || this.child.signalCode !== null)
          settle(new Error(`the process exited before ${what}`))
      }
      this.waiters.add(check)
      check()
    })
  }

  /** The first match of `pattern` in the output, once there is one. */
  async waitFor(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray> {
    await this.waitUntil((output) => pattern.test(output), String(pattern), timeoutMs)
    return this.output.match(pattern)!
  }

  /** The base URL once the stack prints "API:   <url>". */
  async ready(timeoutMs = 40_000): Promise<string> {
    return (await this.waitFor(/API: +(http:\/\/\S+)/, timeoutMs))[1]!
  }

  /** SIGKILL: no shutdown hook runs, nothing is flushed; then waits for the process to be gone. */
  async crash(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL')
    await this.exited
    CrashableProcess.running.delete(this)
  }
}

export async function freePort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  await new Promise((resolve) => server.close(resolve))
  return port
}

/** Temporary directories, removed by `removeAll`. */
export class DataDirs {
  private readonly dirs: string[] = []

  async fresh(prefix = 'joinup-crash-'): Promise<string> {
    const dir = await mkdtemp(join(tmpdir(), prefix))
    this.dirs.push(dir)
    return dir
  }

  async removeAll(): Promise<void> {
    await Promise.all(this.dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })))
  }
}

/**
 * Every item of a table of a stopped stack, read through a second dynalite on the same
 * DATA_DIR (LevelDB allows one process per directory: only once the stack is gone).
 */
export async function scanDataDir(dataDir: string, tableName: string): Promise<Record<string, unknown>[]> {
  const dynamo = await startLocalDynamoDb({ path: join(dataDir, 'dynamodb') })
  const client = new DynamoDBClient({
    endpoint: dynamo.endpoint,
    region: 'eu-west-2',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  })
  try {
    const documents = DynamoDBDocumentClient.from(client)
    const items: Record<string, unknown>[] = []
    let ExclusiveStartKey: Record<string, unknown> | undefined
    do {
      const page = await documents.send(new ScanCommand({ TableName: tableName, ExclusiveStartKey }))
      items.push(...(page.Items ?? []))
      ExclusiveStartKey = page.LastEvaluatedKey
    } while (ExclusiveStartKey)
    return items
  } finally {
    client.destroy()
    await dynamo.close()
  }
}
