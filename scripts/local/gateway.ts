import { randomUUID } from 'node:crypto'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda'
import { GATEWAY_MAX_REQUEST_BYTES, gatewayResponses } from '../../infra/gateway-responses'
import type { GatewayMethod } from '../../infra/http-surface'
import { operationOutcome } from '../../schemas/fhir/OperationOutcome'
import { type LocalGuard, localGuard } from './local-guard'

/** A Lambda handler for API Gateway REST proxy events. */
export type ProxyHandler = (event: APIGatewayProxyEvent, context: Context) => Promise<APIGatewayProxyResult>

/** One method of the API (infra/http-surface.ts) and the function that answers it. */
export interface GatewayRoute {
  route: GatewayMethod
  handler: () => Promise<ProxyHandler>
  functionName: string
  timeoutSeconds: number
}

/** A request the gateway does not route to a function (JWKS, the local admin API). */
export type LocalEndpoint = (
  request: IncomingMessage,
  url: URL,
  body: Buffer,
) => Promise<{ status: number; body: unknown; headers?: Record<string, string> } | undefined>

interface CompiledRoute extends GatewayRoute {
  pattern: RegExp
  params: string[]
  /** Literal segments count: API Gateway prefers `/Patient/$op` over `/Patient/{id}`. */
  specificity: number
}

/**
 * The local API Gateway: turns HTTP requests into REST proxy events for the same handlers
 * the cloud runs, routed by the same declarations, and answers what API Gateway answers
 * itself (unknown route, oversized request, integration timeout) with the same declared
 * gateway responses.
 */
export class LocalGateway {
  private readonly routes: CompiledRoute[]
  private server: Server | undefined
  private guard: LocalGuard | undefined

  constructor(
    routes: GatewayRoute[],
    private readonly localEndpoint: LocalEndpoint,
    /** Local-only paths that take a form body (an OAuth2 token endpoint), besides JSON. */
    private readonly formPaths: readonly string[] = [],
  ) {
    this.routes = routes
      .map((route) => {
        const params: string[] = []
        const source = route.route.path
          .split('/')
          .map((part) => {
            const param = /^\{(\w+)\}$/.exec(part)
            if (!param) return part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
            params.push(param[1]!)
            return '([^/]+)'
          })
          .join('/')
        const specificity = route.route.path.split('/').filter((part) => part && !part.startsWith('{')).length
        return { ...route, pattern: new RegExp(`^${source}/?$`), params, specificity }
      })
      .sort((a, b) => b.specificity - a.specificity)
  }

  async listen(port: number, host: string): Promise<number> {
    let bound = 0
    this.guard = localGuard(host, () => bound)
    this.server = createServer((request, response) => {
      this.handle(request, response).catch(() => {
        send(response, 500, operationOutcome('INTERNAL_SERVER_ERROR'), { 'X-Request-ID': randomUUID() })
      })
    })
    this.server.keepAliveTimeout = 5_000
    // Node answers oversized or malformed request heads itself, with an empty body; answer
    // them as the gateway answers everything else: an OperationOutcome with a request id.
    this.server.on('clientError', (error: NodeJS.ErrnoException, socket) => {
      if (!socket.writable) return socket.destroy()
      const tooLarge = error.code === 'HPE_HEADER_OVERFLOW'
      const body = JSON.stringify(
        tooLarge
          ? operationOutcome('PAYLOAD_TOO_LARGE', 'Request line or headers are too large')
          : operationOutcome('BAD_REQUEST', 'Malformed HTTP request'),
      )
      socket.end(
        `HTTP/1.1 ${tooLarge ? '431 Request Header Fields Too Large' : '400 Bad Request'}\r\n` +
          `Content-Type: application/fhir+json\r\nX-Request-ID: ${randomUUID()}\r\n` +
          `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
      )
    })
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', reject)
      this.server!.listen(port, host, resolve)
    })
    const address = this.server.address()
    if (!address || typeof address === 'string') throw new Error('gateway did not bind')
    bound = address.port
    return address.port
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      if (!this.server) return resolve()
      this.server.closeAllConnections()
      this.server.close(() => resolve())
    })
  }

  private async handle(request: IncomingMessage, response: ServerResponse) {
    const chunks: Buffer[] = []
    let size = 0
    for await (const chunk of request) {
      size += (chunk as Buffer).length
      if (size > GATEWAY_MAX_REQUEST_BYTES) return sendGatewayResponse(response, 'REQUEST_TOO_LARGE')
      chunks.push(chunk as Buffer)
    }
    const body = Buffer.concat(chunks)
    let url: URL
    try {
      // The request target is a path: "//host…" must not be read as an authority.
      url = new URL(`http://localhost${request.url ?? '/'}`)
    } catch {
      return sendGatewayResponse(response, 'DEFAULT_4XX', 400)
    }
    // Everything that is not a declared API route is local-only (the admin API, the dev JWKS,
    // sandbox providers, unknown paths): one guard in front of all of it (local-guard.ts).
    if (!this.routes.some((route) => route.pattern.test(url.pathname))) {
      const refusal = this.guard?.refusalOf(request, { formWrites: this.formPaths.includes(url.pathname) })
      if (refusal) {
        return send(
          response,
          refusal.status,
          operationOutcome(
            refusal.status === 415 ? 'UNSUPPORTED_MEDIA_TYPE' : 'ACCESS_DENIED',
            refusal.reason,
          ),
          { 'X-Request-ID': randomUUID() },
        )
      }
      const local = await this.localEndpoint(request, url, body)
      if (local) return send(response, local.status, local.body, local.headers)
    }

    const method = request.method ?? 'GET'
    let matched: { route: CompiledRoute; values: string[] } | undefined
    for (const route of this.routes) {
      if (route.route.method !== method) continue
      const match = route.pattern.exec(url.pathname)
      if (match) {
        matched = { route, values: match.slice(1) }
        break
      }
    }
    // API Gateway answers an unknown path and a method a path lacks alike (MISSING_AUTHENTICATION_TOKEN).
    if (!matched) return sendGatewayResponse(response, 'MISSING_AUTHENTICATION_TOKEN')

    const pathParameters: Record<string, string> = {}
    try {
      matched.route.params.forEach((name, index) => {
        pathParameters[name] = decodeURIComponent(matched!.values[index]!)
      })
    } catch {
      return sendGatewayResponse(response, 'DEFAULT_4XX', 400)
    }
    const event = proxyEvent(request, url, body, matched.route.route, pathParameters)
    const context = lambdaContext(matched.route.functionName, matched.route.timeoutSeconds)
    let result: APIGatewayProxyResult
    try {
      // A function that fails to initialise answers as one that fails outright: 502.
      const handler = await matched.route.handler()
      result = await withTimeout(handler(event, context), matched.route.timeoutSeconds * 1000)
    } catch (error) {
      // API Gateway: 504 when the integration times out, 502 when the function fails outright.
      return sendGatewayResponse(response, 'DEFAULT_5XX', error instanceof TimeoutError ? 504 : 502)
    }
    const headers: Record<string, string | string[]> = { ...result.headers } as Record<string, string>
    for (const [name, values] of Object.entries(result.multiValueHeaders ?? {}))
      headers[name] = values.map(String)
    response.writeHead(result.statusCode, headers)
    response.end(result.isBase64Encoded ? Buffer.from(result.body, 'base64') : result.body)
  }
}

class TimeoutError extends Error {}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  return Promise.race([
    promise,
    new Promise<T>((_, reject) => {
      timer = setTimeout(() => reject(new TimeoutError('integration timeout')), ms)
    }),
  ]).finally(() => clearTimeout(timer))
}

function proxyEvent(
  request: IncomingMessage,
  url: URL,
  body: Buffer,
  route: GatewayMethod,
  pathParameters: Record<string, string>,
): APIGatewayProxyEvent {
  // Null prototypes: a header or parameter called "constructor" or "__proto__" is just a name.
  const headers: Record<string, string> = Object.create(null)
  const multiValueHeaders: Record<string, string[]> = Object.create(null)
  for (let i = 0; i < request.rawHeaders.length; i += 2) {
    const name = request.rawHeaders[i]!
    const value = request.rawHeaders[i + 1]!
    headers[name] = value
    multiValueHeaders[name] = [...(multiValueHeaders[name] ?? []), value]
  }
  headers['X-Forwarded-Proto'] = 'http'
  const queryStringParameters: Record<string, string> = Object.create(null)
  const multiValueQueryStringParameters: Record<string, string[]> = Object.create(null)
  for (const [key, value] of url.searchParams) {
    queryStringParameters[key] = value
    multiValueQueryStringParameters[key] = [...(multiValueQueryStringParameters[key] ?? []), value]
  }
  const hasQuery = url.searchParams.size > 0
  const requestId = randomUUID()
  return {
    resource: route.path,
    path: url.pathname,
    httpMethod: route.method,
    headers,
    multiValueHeaders,
    queryStringParameters: hasQuery ? queryStringParameters : null,
    multiValueQueryStringParameters: hasQuery ? multiValueQueryStringParameters : null,
    pathParameters: Object.keys(pathParameters).length ? pathParameters : null,
    stageVariables: null,
    body: body.length ? body.toString('utf8') : null,
    isBase64Encoded: false,
    requestContext: {
      accountId: '000000000000',
      apiId: 'local',
      authorizer: undefined,
      domainName: request.headers.host ?? 'localhost',
      httpMethod: route.method,
      identity: { sourceIp: request.socket.remoteAddress ?? '127.0.0.1' },
      path: url.pathname,
      protocol: 'HTTP/1.1',
      requestId,
      requestTimeEpoch: Date.now(),
      resourceId: 'local',
      resourcePath: route.path,
      stage: 'local',
    } as APIGatewayProxyEvent['requestContext'],
  }
}

export function lambdaContext(functionName: string, timeoutSeconds: number): Context {
  const deadline = Date.now() + timeoutSeconds * 1000
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:local:000000000000:function:${functionName}`,
    memoryLimitInMB: '1024',
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: 'local',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => {},
    fail: () => {},
    succeed: () => {},
  }
}

function sendGatewayResponse(
  response: ServerResponse,
  type: (typeof gatewayResponses)[number]['type'],
  status?: number,
) {
  const declared = gatewayResponses.find((candidate) => candidate.type === type)!
  const code = status ?? ('status' in declared ? declared.status : 500)
  send(response, code, operationOutcome(declared.code, declared.diagnostics), {
    'X-Request-ID': randomUUID(),
  })
}

function send(response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
  const text = typeof body === 'string' ? body : JSON.stringify(body)
  response.writeHead(status, { 'Content-Type': 'application/fhir+json', ...headers })
  response.end(text)
}
