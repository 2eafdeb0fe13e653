import { type ChildProcess, spawn } from 'node:child_process'
import { join } from 'node:path'
import { createInterface } from 'node:readline'

/** The repository root: children run from here so `--import tsx` and node_modules resolve. */
export const ROOT = join(import.meta.dirname, '..', '..')

/**
 * The environment for every child the bench starts. NODE_EXTRA_CA_CERTS makes each node
 * start-up read a CA bundle (about 60 ms on these machines) and Lambda has no such cost;
 * NODE_OPTIONS could load anything. The SDK's Node 20 notice is about dev machines.
 */
export function benchEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, ...extra }
  delete env.NODE_EXTRA_CA_CERTS
  delete env.NODE_OPTIONS
  env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true'
  return env
}

const READY = 'bench-child-ready '

/** A TypeScript child that announces itself with one JSON line on stdout. */
export interface BenchChild<T> {
  process: ChildProcess
  /** What the child announced (see `announce`). */
  ready: Promise<T>
  stop(): Promise<void>
}

/**
 * Starts `scripts/bench/<file>` in a fresh node (through tsx's loader, no tsx CLI process
 * in between). The child's stdin stays open: when this process dies, the child sees EOF
 * and exits (see `exitWithParent`), so no dynalite is left behind.
 */
export function startChild<T>(
  file: string,
  args: string[] = [],
  options: { nodeArgs?: string[]; env?: Record<string, string> } = {},
): BenchChild<T> {
  const child = spawn(
    process.execPath,
    [...(options.nodeArgs ?? []), '--import', 'tsx', join(ROOT, 'scripts', 'bench', file), ...args],
    { cwd: ROOT, env: benchEnv(options.env), stdio: ['pipe', 'pipe', 'inherit'] },
  )
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
  const ready = new Promise<T>((resolve, reject) => {
    // Anything else the child prints (a handler's warning, say) is passed through.
    createInterface({ input: child.stdout! }).on('line', (line) => {
      if (!line.startsWith(READY)) {
        console.log(line)
        return
      }
      try {
        resolve(JSON.parse(line.slice(READY.length)) as T)
      } catch {
        reject(new Error(`${file} said ${line}`))
      }
    })
    exited.then((code) => reject(new Error(`${file} exited with ${code} before it was ready`)))
  })
  return {
    process: child,
    ready,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM')
      await exited
    },
  }
}

/**
 * Starts a stack child beside its own DynamoDB (scripts/bench/dynalite-server.ts, a process of
 * its own, as DynamoDB is not the function's CPU on AWS). The child gets the endpoint as its
 * last argument and passes it to startLocalStack's `dynamoEndpoint`. `dynamoPid` lets a suite
 * read that process's CPU.
 */
export function startChildOnOwnDynamo<T>(
  file: string,
  args: string[] = [],
  options: { nodeArgs?: string[]; env?: Record<string, string> } = {},
): BenchChild<T> & { dynamoPid: () => number | undefined } {
  const dynamo = startChild<{ endpoint: string }>('dynalite-server.ts')
  let stack: BenchChild<T> | undefined
  const stop = async () => {
    await stack?.stop()
    await dynamo.stop()
  }
  const started = dynamo.ready.then(({ endpoint }) => {
    stack = startChild<T>(file, [...args, endpoint], options)
    return stack
  })
  const ready = started.then((child) => child.ready)
  ready.catch(() => stop())
  return {
    // The stack's process once started; until then the dynalite's (only its pid is read early).
    get process() {
      return stack?.process ?? dynamo.process
    },
    ready,
    stop,
    dynamoPid: () => dynamo.process.pid,
  }
}

/** Runs a child to completion and returns its exit code. */
export function runToEnd(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve, reject) => {
    child.once('error', reject)
    child.once('exit', (code) => resolve(code))
  })
}

/** In a child: exit when the parent closes our stdin (it exited or stopped us). */
export function exitWithParent(cleanUp: () => Promise<void> = async () => {}): void {
  let leaving = false
  const leave = () => {
    if (leaving) return
    leaving = true
    cleanUp().finally(() => process.exit(0))
  }
  process.stdin.on('end', leave)
  process.stdin.on('close', leave)
  process.stdin.resume()
  process.once('SIGTERM', leave)
}

/** In a child: the one line its parent waits for. */
export function announce(value: unknown): void {
  process.stdout.write(`${READY}${JSON.stringify(value)}\n`)
}

/** Runs `scripts/bench/<file>` in a fresh node to completion; rejects on a failing exit. */
export async function runChild(
  file: string,
  args: string[],
  options: { nodeArgs?: string[] } = {},
): Promise<void> {
  const child = spawn(
    process.execPath,
    [...(options.nodeArgs ?? []), '--import', 'tsx', join(ROOT, 'scripts', 'bench', file), ...args],
    { cwd: ROOT, env: benchEnv(), stdio: ['ignore', 'inherit', 'inherit'] },
  )
  const code = await runToEnd(child)
  if (code !== 0) throw new Error(`${file} exited with ${code}`)
}
