import { readFileSync } from 'node:fs'
import { mkdir } from 'node:fs/promises'
import type { IncomingMessage } from 'node:http'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { DynamoDBClient } from '@aws-sdk/client-dynamodb'
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb'
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda'
import { deployedFunctions } from '../../infra/capabilities'
import { eventRules, patternOf } from '../../infra/event-rules'
import { type FunctionDeclaration, type FunctionName, functions } from '../../infra/functions'
import { gatewayMethods } from '../../infra/http-surface'
import { ICS_CONFIG_DIR, icsNames } from '../../infra/ics-configs'
import { routes } from '../../infra/routes'
import { type TableName, tables } from '../../infra/tables'
import { Scope } from '../../schemas/auth'
import { IcsConfig, LOCAL_DEV_ISSUER, runtimeConfigOf } from '../../schemas/ics-config'
import { jwksOf, loadOrCreateDevKeys, localAudience, mintToken } from './dev-keys'
import { createDeclaredTables, startLocalDynamoDb } from './dynamodb'
import { LocalEventBus, RuleConflict } from './event-bus'
import { type GatewayRoute, LocalGateway, lambdaContext, type ProxyHandler } from './gateway'
import { checkBindHost } from './local-guard'
import { GpConnectSandbox, sandboxServiceRoot } from './sandbox/gpconnect/provider'

/** The repository root (handlers are loaded from their declared entries under it). */
export const REPO_ROOT = join(import.meta.dirname, '..', '..')
const REGION = 'eu-west-2'
const ACCOUNT = '000000000000'

export interface LocalStackOptions {
  /** 0 picks a free port. */
  port?: number
  /** Loopback only, unless `allowRemote` (ALLOW_REMOTE=1): the admin endpoints take no credentials. */
  host?: string
  /** Allows a HOST beyond loopback, with a loud warning; ALLOW_REMOTE=1 when absent. */
  allowRemote?: boolean
  /** Which infra/ics config to run; the first by name when absent. */
  ics?: string
  /** Keeps DynamoDB data, the bus's deliveries and the dev key here across restarts. */
  dataDir?: string
  /** Seeds the demo data when the stack is empty. */
  seed?: (stack: LocalStack, progress: (line: string) => void) => Promise<void>
  /** Where the dev signing key lives; DATA_DIR, else `.local/` in the repository. */
  keysDir?: string
  /** Overrides the ICS's per-organisation limit (requests a minute), e.g. for load and fuzz runs. */
  requestsPerMinute?: number
  /** First retry delay of the local bus (tests shorten it). */
  retryBaseMs?: number
  /** Browser origins allowed to call the local API (CORS); the ICS config's when absent. */
  corsOrigins?: string[]
  /** Overrides the ICS's holder timeout for record retrieval (milliseconds). */
  holderTimeoutMs?: number
  /**
   * Where the sandbox GP Connect providers are served when not by this stack (the records
   * bench serves them from a process of their own, as real providers are elsewhere).
   */
  sandboxBaseUrl?: string
  /**
   * A DynamoDB already running elsewhere, instead of dynalite in this process (the records
   * bench: DynamoDB's own work is not the functions' CPU on AWS). Its tables are created here.
   */
  dynamoEndpoint?: string
  progress?: (line: string) => void
}

export interface LocalStack {
  ics: string
  baseUrl: string
  port: number
  /** Where the dev signing key lives (`npm run token` reads it from here). */
  keysDir: string
  dynamoEndpoint: string
  busEndpoint: string
  bus: LocalEventBus
  tableNames: Record<TableName, string>
  /** Where the stack keeps its data, when it is on disk. */
  dataDir?: string
  stop(): Promise<void>
}

/** The local dev issuer's OAuth2 token endpoint (client credentials); never deployed. */
export const LOCAL_TOKEN_PATH = '/_local/token'

/** Whether the local stack prints EMF metric lines: METRICS=on, or a log level of INFO or DEBUG. */
function showsMetrics(): boolean {
  if (process.env.METRICS) return process.env.METRICS === 'on'
  const level = (process.env.LOG_LEVEL ?? process.env.POWERTOOLS_LOG_LEVEL ?? 'WARN').toUpperCase()
  return level === 'INFO' || level === 'DEBUG' || level === 'TRACE'
}

/** The directory the dev key lives in when DATA_DIR is not set. */
export const DEFAULT_KEYS_DIR = join(REPO_ROOT, '.local')

/**
 * Starts the whole ICS stack in this process: dynalite with the declared tables, the local
 * EventBridge with the declared rules, the gateway with the declared routes and the
 * handlers' own code, and the dev token issuer. One stack per process: the handlers read
 * their configuration from the environment, as they do on Lambda.
 */
export async function startLocalStack(options: LocalStackOptions = {}): Promise<LocalStack> {
  const progress = options.progress ?? (() => {})
  const ics = options.ics ?? icsNames()[0]!
  const config = IcsConfig.parse(JSON.parse(readFileSync(join(ICS_CONFIG_DIR, `${ics}.json`), 'utf8')))
  const host = options.host ?? '127.0.0.1'
  // Before anything starts: a stack that must not listen there never does.
  const warning = checkBindHost(host, options.allowRemote ?? process.env.ALLOW_REMOTE === '1')
  if (warning) console.warn(warning)
  // Lambda runs Node 22; the SDK's "Node 20 support ends" notice is about dev machines (README).
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true'

  const dynamo = options.dynamoEndpoint
    ? { endpoint: options.dynamoEndpoint, close: async () => {} }
    : await startLocalDynamoDb(options.dataDir ? { path: join(options.dataDir, 'dynamodb') } : {})
  if (options.dataDir) await mkdir(options.dataDir, { recursive: true })
  const client = new DynamoDBClient({
    endpoint: dynamo.endpoint,
    region: REGION,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  })
  const documents = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } })
  const tableNames = await createDeclaredTables(client, ics)
  progress(
    `DynamoDB (dynalite${options.dataDir ? `, data in ${options.dataDir}` : ', in memory'}): ${Object.keys(tableNames).length} tables`,
  )

  const keysDir = options.keysDir ?? options.dataDir ?? DEFAULT_KEYS_DIR
  const keys = await loadOrCreateDevKeys(keysDir)

  const bus = new LocalEventBus({
    busName: `joinup-${ics}`,
    region: REGION,
    account: ACCOUNT,
    client,
    documents,
    retryBaseMs: options.retryBaseMs,
    log: (line) => progress(line),
  })
  const busEndpoint = await bus.start()

  // The handlers' environment, as the CDK stack sets it on Lambda.
  Object.assign(process.env, {
    AWS_REGION: REGION,
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
    AWS_ENDPOINT_URL_EVENTBRIDGE: busEndpoint,
    EVENT_BUS_NAME: `joinup-${ics}`,
    POWERTOOLS_SERVICE_NAME: `joinup-${ics}-local`,
    // Quiet by default so the start-up output stays readable; LOG_LEVEL=INFO shows every request.
    POWERTOOLS_LOG_LEVEL: process.env.LOG_LEVEL ?? process.env.POWERTOOLS_LOG_LEVEL ?? 'WARN',
    // The EMF metric lines too: only when the log level shows requests (or METRICS=on).
    POWERTOOLS_METRICS_DISABLED: String(!showsMetrics()),
  })
  delete process.env.AWS_PROFILE
  delete process.env.AWS_SESSION_TOKEN
  for (const [table, name] of Object.entries(tableNames))
    process.env[tables[table as TableName].envVar] = name

  const handlers = new Map<string, Promise<unknown>>()
  const load = <T>(fn: FunctionName): Promise<T> => {
    const declaration: FunctionDeclaration = functions[fn]
    const key = `${declaration.entry}#${declaration.handler}`
    if (!handlers.has(key)) {
      handlers.set(
        key,
        import(pathToFileURL(join(REPO_ROOT, declaration.entry)).href).then(
          (module: Record<string, unknown>) => {
            const handler = module[declaration.handler]
            if (typeof handler !== 'function')
              throw new Error(`${declaration.entry} has no export ${declaration.handler}`)
            return handler
          },
          (error: unknown) => {
            // A failed init is tried again on the next invocation, as Lambda does.
            handlers.delete(key)
            throw error
          },
        ),
      )
    }
    return handlers.get(key) as Promise<T>
  }

  // As in the cloud, a capability the ICS switches off serves no route and consumes no event.
  const deployed = new Set<string>(deployedFunctions(config.capabilities))
  const rules = eventRules.filter((rule) => deployed.has(rule.consumer))
  for (const rule of rules) {
    bus.addRule(
      {
        name: rule.name,
        pattern: patternOf(rule),
        maxAttempts: rule.delivery.maxReceiveCount,
        target: {
          kind: 'consumer',
          name: rule.consumer,
          invoke: async (event: SQSEvent) => {
            const handler = await load<(event: SQSEvent, context: unknown) => Promise<SQSBatchResponse>>(
              rule.consumer,
            )
            const declaration: FunctionDeclaration = functions[rule.consumer]
            return handler(event, lambdaContext(rule.consumer, declaration.timeoutSeconds ?? 10))
          },
        },
      },
      { declared: true },
    )
  }

  const gatewayRoutes: GatewayRoute[] = gatewayMethods(routes)
    .filter((route) => deployed.has(route.function))
    .map((route) => ({
      route,
      functionName: route.function,
      timeoutSeconds: (functions[route.function] as FunctionDeclaration).timeoutSeconds ?? 10,
      handler: () => load<ProxyHandler>(route.function),
    }))
  let baseUrl = ''
  let sandbox: GpConnectSandbox | undefined
  const gateway = new LocalGateway(gatewayRoutes, (request, url, body) => localEndpoint(request, url, body), [
    LOCAL_TOKEN_PATH,
  ])
  const port = await gateway.listen(options.port ?? 0, host)
  baseUrl = `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${port}`

  // Sandbox GP Connect providers stand in for the directory's GP Connect holders, on this port.
  const gpConnectHolders = config.directory.holders.flatMap((holder) =>
    holder.protocol === 'gpconnect-1.6-stu3' ? [holder] : [],
  )
  if (!options.sandboxBaseUrl) {
    // Loaded only now: its interactions share modules with the functions (the logger among
    // them), which must read the environment set above, as they would on Lambda.
    const { SANDBOX_INTERACTIONS } = await import('./sandbox/gpconnect/interactions')
    sandbox = new GpConnectSandbox(
      gpConnectHolders,
      new Map(config.members.map((member) => [member.ods, member.name])),
      baseUrl,
      SANDBOX_INTERACTIONS,
    )
  }
  const sandboxBaseUrl = options.sandboxBaseUrl ?? baseUrl
  const localDirectory = {
    ...config.directory,
    sspUrl: undefined,
    ...(options.holderTimeoutMs ? { holderTimeoutMs: options.holderTimeoutMs } : {}),
    holders: config.directory.holders.map((holder) =>
      holder.protocol === 'gpconnect-1.6-stu3'
        ? { ...holder, endpoint: sandboxServiceRoot(sandboxBaseUrl, holder.ods) }
        : holder,
    ),
  }

  // The local issuer replaces the ICS's identity provider; the deployed stack never trusts it.
  const localConfig = {
    ...runtimeConfigOf(config),
    ...(options.requestsPerMinute ? { rateLimit: { requestsPerMinute: options.requestsPerMinute } } : {}),
    ...(options.corsOrigins ? { cors: { allowedOrigins: options.corsOrigins } } : {}),
    auth: {
      issuer: LOCAL_DEV_ISSUER,
      audience: localAudience(ics),
      jwksUrl: `${baseUrl}/.well-known/jwks.json`,
      tokenUrl: `${baseUrl}${LOCAL_TOKEN_PATH}`,
    },
    demoIssuer: undefined,
    // Never deployable (http, this machine): the local directory points at the sandbox providers.
    directory: localDirectory,
  }
  // Functions are loaded on their first invocation, as Lambda initialises them on a cold
  // start, not all before the stack answers: start-up pays only for what the seed runs.
  process.env.ICS_CONFIG = JSON.stringify(localConfig)
  progress(`Event bus joinup-${ics}: ${rules.length} rules; gateway: ${gatewayRoutes.length} routes`)

  // Scheduled functions (infra/functions.ts `schedule`): once now, with no grace (nothing of this
  // process is in flight yet: what is left is from before a crash), then on their timer. The
  // first run goes on beside start-up (it only finishes what a crash left), and stop waits for it.
  const scheduled: NodeJS.Timeout[] = []
  const firstRuns: Promise<void>[] = []
  for (const fn of Object.keys(functions) as FunctionName[]) {
    const schedule = (functions[fn] as FunctionDeclaration).schedule
    if (!schedule || !deployed.has(fn)) continue
    const run = async (detail: Record<string, unknown>) => {
      try {
        const handler = await load<(event: unknown, context: unknown) => Promise<unknown>>(fn)
        await handler(
          { 'detail-type': 'Scheduled Event', source: 'aws.events', detail },
          lambdaContext(fn, (functions[fn] as FunctionDeclaration).timeoutSeconds ?? 10),
        )
      } catch (error: unknown) {
        // A failed load or run is retried by the next tick, as EventBridge Scheduler would.
        progress(`${fn} failed, next run retries: ${String(error)}`)
      }
    }
    firstRuns.push(run({ graceSeconds: 0 }))
    const timer = setInterval(() => void run({}), schedule.everySeconds * 1000)
    timer.unref()
    scheduled.push(timer)
  }

  async function localEndpoint(request: IncomingMessage, url: URL, body: Buffer) {
    const method = request.method ?? 'GET'
    if (url.pathname === '/.well-known/jwks.json' && method === 'GET') {
      return { status: 200, body: jwksOf(keys), headers: { 'Content-Type': 'application/json' } }
    }
    if (url.pathname === LOCAL_TOKEN_PATH && method === 'POST') return localToken(request, body)
    if (!url.pathname.startsWith('/_local/')) return undefined
    const sandboxAnswer = await sandbox?.handle(request, url, body)
    if (sandboxAnswer) return sandboxAnswer
    const json = { 'Content-Type': 'application/json' }
    const parts = url.pathname.split('/').filter(Boolean)
    if (url.pathname === '/_local/events' && method === 'GET') {
      const events = await bus.archive({
        detailType: url.searchParams.get('detail-type') ?? undefined,
        source: url.searchParams.get('source') ?? undefined,
        limit: Number(url.searchParams.get('limit') ?? 100),
      })
      return { status: 200, body: events, headers: json }
    }
    if (url.pathname === '/_local/info' && method === 'GET') {
      // For local tools (npm run audit:verify -- --local <url>): where the AWS-protocol endpoints are.
      return {
        status: 200,
        body: { ics, dynamoEndpoint: dynamo.endpoint, busEndpoint, region: REGION, tables: tableNames },
        headers: json,
      }
    }
    if (url.pathname === '/_local/dead-letters' && method === 'GET') {
      return { status: 200, body: await bus.deadLetters(), headers: json }
    }
    if (parts[1] === 'dead-letters' && parts.at(-1) === 'replay' && method === 'POST') {
      const deliveryId = parts.length === 4 ? decodeURIComponent(parts[2]!) : undefined
      return { status: 200, body: { replayed: await bus.replay(deliveryId) }, headers: json }
    }
    if (url.pathname === '/_local/rules' && method === 'GET')
      return { status: 200, body: bus.listRules(), headers: json }
    if (url.pathname === '/_local/rules' && method === 'POST') {
      try {
        const input = JSON.parse(body.toString('utf8')) as {
          name: string
          pattern: unknown
          url: string
          maxAttempts?: number
        }
        bus.addRule({
          name: input.name,
          pattern: input.pattern,
          target: { kind: 'http', url: input.url },
          maxAttempts: input.maxAttempts ?? 3,
        })
        return { status: 201, body: { name: input.name }, headers: json }
      } catch (error) {
        // A tap never replaces a rule: declared consumers are immutable, names are unique.
        return {
          status: error instanceof RuleConflict ? 409 : 400,
          body: { message: String(error) },
          headers: json,
        }
      }
    }
    if (parts[1] === 'rules' && parts.length === 3 && method === 'DELETE') {
      try {
        return { status: bus.removeRule(decodeURIComponent(parts[2]!)) ? 204 : 404, body: '', headers: json }
      } catch (error) {
        return {
          status: error instanceof RuleConflict ? 409 : 400,
          body: { message: String(error) },
          headers: json,
        }
      }
    }
    return { status: 404, body: { message: 'No such local endpoint' }, headers: json }
  }

  /**
   * The local dev issuer as an OAuth2 token endpoint (client credentials): `client_id` is
   * the ODS code (in the form or as the Basic user), `scope` the scopes wanted. No secret
   * is checked: it mints what `npm run token` mints, for the docs page's try-it and for
   * Swagger UI's Authorize button. Never deployed (the cloud has the ICS's identity provider).
   */
  async function localToken(request: IncomingMessage, body: Buffer) {
    const json = { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' }
    const form = new URLSearchParams(body.toString('utf8'))
    const basic = /^Basic (.+)$/i.exec(request.headers.authorization ?? '')?.[1]
    const basicUser = basic
      ? decodeURIComponent(Buffer.from(basic, 'base64').toString('utf8').split(':')[0]!)
      : ''
    const org = form.get('client_id') ?? basicUser
    const scopes = (form.get('scope') ?? '').split(/\s+/).filter(Boolean)
    if (form.get('grant_type') !== 'client_credentials')
      return { status: 400, body: { error: 'unsupported_grant_type' }, headers: json }
    if (!config.members.some((member) => member.ods === org))
      return {
        status: 400,
        body: {
          error: 'invalid_client',
          error_description: `${org || 'client_id'} is not a member of ${ics}`,
        },
        headers: json,
      }
    if (scopes.length === 0 || scopes.some((scope) => !Scope.safeParse(scope).success))
      return { status: 400, body: { error: 'invalid_scope' }, headers: json }
    const ttlSeconds = 3600
    const accessToken = await mintToken(keys, { org, scopes: scopes.join(' '), ics, ttlSeconds })
    return {
      status: 200,
      body: {
        access_token: accessToken,
        token_type: 'Bearer',
        expires_in: ttlSeconds,
        scope: scopes.join(' '),
      },
      headers: json,
    }
  }

  const stack: LocalStack = {
    ics,
    baseUrl,
    port,
    keysDir,
    dynamoEndpoint: dynamo.endpoint,
    busEndpoint,
    bus,
    tableNames,
    ...(options.dataDir ? { dataDir: options.dataDir } : {}),
    stop: async () => {
      for (const timer of scheduled) clearInterval(timer)
      await Promise.all(firstRuns)
      await gateway.close()
      await bus.stop()
      await dynamo.close()
      client.destroy()
    },
  }
  if (options.seed) await options.seed(stack, progress)
  return stack
}
