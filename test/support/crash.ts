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

/** A child process a test kills with SIGKILL: `npm start` (scripts/start.ts) on a DATA_DIR. */
export class CrashableProcess {
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

  /** `node --import tsx scripts/start.ts` (one process: SIGKILL reaches the stack itself). */
  static stack(dataDir: string, port: number, ics = 'demo'): CrashableProcess {
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      PORT: String(port),
      DATA_DIR: dataDir,
      ICS: ics,
      HOST: '127.0.0.1',
    }
    delete env.NODE_EXTRA_CA_CERTS
    const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/start.ts'], {
      cwd: REPO_ROOT,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    return new CrashableProcess(child)
  }

  /** The base URL once the stack prints "API:   <url>". */
  ready(timeoutMs = 40_000): Promise<string> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => settle(new Error(`not ready within ${timeoutMs} ms`)), timeoutMs)
      const settle = (error?: Error, url?: string) => {
        clearTimeout(timer)
        this.waiters.delete(check)
        if (error) reject(new Error(`${error.message}; output so far:\n${this.output.slice(-3000)}`))
        else resolve(url!)
      }
      const check = () => {
        const match = /API: +(http:\/\/\S+)/.exec(this.output)
        if (match) settle(undefined, match[1])
        else if (this.child.exitCode !== null || this.child.signalCode !== null)
          settle(new Error('the stack exited before it was ready'))
      }
      this.waiters.add(check)
      check()
    })
  }

  /** SIGKILL: no shutdown hook runs, nothing is flushed; resolves once the process is gone. */
  async crash(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL')
    await this.exited
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
