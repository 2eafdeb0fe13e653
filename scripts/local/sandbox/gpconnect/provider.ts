import type { IncomingMessage } from 'node:http'
import type { GpConnectHolder } from '../../../../functions/shared/gpconnect/consumer'

/**
 * Sandbox GP Connect 1.6 providers for `npm start` (local only: DESIGN.md "Runtime
 * modes"). One provider per GP Connect holder in the ICS directory, served by the local
 * gateway under `/_local/sandbox/gpconnect/<ODS>/STU3/1/gpconnect`, which the local
 * runtime puts in the directory in place of the configured endpoint. Each checks what a
 * GP Connect provider (and the Spine Secure Proxy in front of it) checks of a consumer,
 * and can be made slow, failing, refusing or garbage-answering through
 * `PUT /_local/sandbox/gpconnect/<ODS>/behaviour`, so partial answers can be seen.
 *
 * Interactions are a list (SANDBOX_INTERACTIONS in interactions.ts): a capability that
 * needs another GP Connect interaction (Appointment Management's slots and appointments)
 * adds its own SandboxInteraction there without touching this file.
 */

/** Where the sandbox providers live on the local gateway. */
export const SANDBOX_PREFIX = '/_local/sandbox/gpconnect'

/** The FHIR service root of a sandbox provider served at `baseUrl`. */
export function sandboxServiceRoot(baseUrl: string, ods: string): string {
  return `${baseUrl}${SANDBOX_PREFIX}/${ods}/STU3/1/gpconnect`
}

/** How a provider behaves; `normal` unless a test or a person says otherwise. */
export type SandboxBehaviour =
  | { mode: 'normal' }
  /**
   * Answers after `delayMs` (longer than the holder timeout: the caller sees a timeout),
   * only the interaction named (its Ssp-InteractionID) if `interaction` is given.
   */
  | { mode: 'slow'; delayMs: number; interaction?: string }
  /** 500 with a GP Connect OperationOutcome. */
  | { mode: 'failing' }
  /** 403 ACCESS DENIED, as a practice that has switched GP Connect off. */
  | { mode: 'refusing' }
  /** 200 with something that is not FHIR at all. */
  | { mode: 'garbage' }

/** What an interaction answers: status and a JSON body, or text with its content type. */
export interface SandboxAnswer {
  status: number
  body: unknown
  contentType?: string
  /** Further answer headers (Appointment Management's ETag and Location). */
  headers?: Record<string, string>
}

/** One GP Connect request as the sandbox saw it (for tests: what the consumer sent). */
export interface SeenRequest {
  method: string
  path: string
  headers: Record<string, string>
  /** The consumer JWT's header and claims, decoded. */
  jwt?: { header: unknown; claims: unknown }
  body: unknown
}

/** One provider: its identity, its state, and the answers it gives. */
export class SandboxProvider {
  behaviour: SandboxBehaviour = { mode: 'normal' }
  readonly seen: SeenRequest[] = []
  /** Per-interaction state (a provider's appointments, say), keyed by the interaction. */
  readonly state = new Map<string, unknown>()

  constructor(
    readonly ods: string,
    readonly name: string,
    readonly asid: string,
    /** The provider's FHIR service root as consumers address it (the JWT's `aud`). */
    readonly serviceRoot: string,
  ) {}

  /** A GP Connect STU3 OperationOutcome. */
  outcome(status: number, code: string, display: string, diagnostics?: string): SandboxAnswer {
    const issueType: Record<number, string> = {
      400: 'invalid',
      403: 'forbidden',
      404: 'not-found',
      422: 'invalid',
      500: 'exception',
    }
    return {
      status,
      body: {
        resourceType: 'OperationOutcome',
        meta: { profile: ['https://fhir.nhs.uk/STU3/StructureDefinition/GPConnect-OperationOutcome-1'] },
        issue: [
          {
            severity: 'error',
            code: issueType[status] ?? 'processing',
            details: {
              coding: [
                { system: 'https://fhir.nhs.uk/STU3/CodeSystem/Spine-ErrorOrWarningCode-1', code, display },
              ],
            },
            ...(diagnostics ? { diagnostics } : {}),
          },
        ],
      },
    }
  }
}

/** What an interaction gets to answer one request. */
export interface InteractionRequest {
  provider: SandboxProvider
  /** The path under the provider's service root, e.g. `/Patient/$gpc.getstructuredrecord`. */
  path: string
  query: URLSearchParams
  headers: Record<string, string>
  body: unknown
  now: Date
}

/** One GP Connect interaction a sandbox provider serves. */
export interface SandboxInteraction {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE'
  /** Matched against the path under the service root. */
  path: RegExp
  /** GP Connect's interaction id: the request's Ssp-InteractionID must be this. */
  interactionId: string
  handle(request: InteractionRequest): Promise<SandboxAnswer>
}

const JSON_TYPE = { 'Content-Type': 'application/fhir+json; charset=utf-8' }
const KEPT_REQUESTS = 100

function decodeJwt(token: string): { header: unknown; claims: unknown } | undefined {
  const parts = token.split('.')
  if (parts.length !== 3) return undefined
  try {
    const decode = (part: string) => JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as unknown
    return { header: decode(parts[0]!), claims: decode(parts[1]!) }
  } catch {
    return undefined
  }
}

const CLAIMS = [
  'iss',
  'sub',
  'aud',
  'exp',
  'iat',
  'reason_for_request',
  'requested_scope',
  'requesting_device',
  'requesting_organization',
  'requesting_practitioner',
]

/** Why a consumer request would be refused by the Spine Secure Proxy or a provider, if it would. */
function refusal(
  provider: SandboxProvider,
  interaction: SandboxInteraction,
  seen: SeenRequest,
  now: Date,
): string | undefined {
  const header = (name: string) => seen.headers[name.toLowerCase()]
  if (!header('ssp-traceid') || !/^[0-9a-f-]{36}$/i.test(header('ssp-traceid')!))
    return 'Ssp-TraceID must be a UUID'
  if (!/^\d{12}$/.test(header('ssp-from') ?? '')) return 'Ssp-From must be the consumer ASID'
  if (header('ssp-to') !== provider.asid) return "Ssp-To must be this provider's ASID"
  if (header('ssp-interactionid') !== interaction.interactionId)
    return 'Ssp-InteractionID does not name this interaction'
  if (!seen.jwt) return 'Authorization must carry the GP Connect consumer JWT'
  const jwtHeader = seen.jwt.header as { alg?: string }
  const claims = seen.jwt.claims as Record<string, unknown>
  if (jwtHeader.alg !== 'none') return 'The consumer JWT is unsigned (alg none)'
  for (const claim of CLAIMS) if (claims[claim] === undefined) return `The consumer JWT has no ${claim} claim`
  if (claims.aud !== provider.serviceRoot) return "The JWT's aud must be this provider's service root"
  const iat = Number(claims.iat)
  const exp = Number(claims.exp)
  if (exp - iat !== 300) return 'The JWT must expire 5 minutes after it was issued'
  if (exp * 1000 < now.getTime()) return 'The JWT has expired'
  const practitioner = claims.requesting_practitioner as { id?: string } | undefined
  if (practitioner?.id !== claims.sub) return 'requesting_practitioner.id must equal sub'
  return undefined
}

/** Every sandbox provider of the ICS, and the local endpoints that serve and steer them. */
export class GpConnectSandbox {
  private readonly providers = new Map<string, SandboxProvider>()

  constructor(
    holders: readonly GpConnectHolder[],
    names: ReadonlyMap<string, string>,
    private readonly baseUrl: string,
    private readonly interactions: readonly SandboxInteraction[],
    private readonly clock: () => Date = () => new Date(),
  ) {
    for (const holder of holders) {
      this.providers.set(
        holder.ods,
        new SandboxProvider(
          holder.ods,
          names.get(holder.ods) ?? holder.ods,
          holder.asid,
          this.serviceRootOf(holder.ods),
        ),
      )
    }
  }

  /** The service root the local directory lists for a holder. */
  serviceRootOf(ods: string): string {
    return sandboxServiceRoot(this.baseUrl, ods)
  }

  provider(ods: string): SandboxProvider | undefined {
    return this.providers.get(ods)
  }

  /** Answers a request under SANDBOX_PREFIX, or undefined for any other path. */
  async handle(
    request: IncomingMessage,
    url: URL,
    body: Buffer,
  ): Promise<{ status: number; body: unknown; headers: Record<string, string> } | undefined> {
    if (url.pathname !== SANDBOX_PREFIX && !url.pathname.startsWith(`${SANDBOX_PREFIX}/`)) return undefined
    const method = request.method ?? 'GET'
    const rest = url.pathname.slice(SANDBOX_PREFIX.length).split('/').filter(Boolean)
    if (rest.length === 0 && method === 'GET') {
      return {
        status: 200,
        body: [...this.providers.values()].map((provider) => ({
          ods: provider.ods,
          name: provider.name,
          serviceRoot: provider.serviceRoot,
          behaviour: provider.behaviour,
        })),
        headers: { 'Content-Type': 'application/json' },
      }
    }
    const provider = this.providers.get(rest[0] ?? '')
    if (!provider)
      return { status: 404, body: { message: 'No sandbox provider with that ODS code' }, headers: JSON_TYPE }
    if (rest.length === 2 && rest[1] === 'behaviour') return this.steer(provider, method, body)
    if (rest.length === 2 && rest[1] === 'requests' && method === 'GET')
      return { status: 200, body: provider.seen, headers: { 'Content-Type': 'application/json' } }
    if (rest[1] !== 'STU3' || rest[2] !== '1' || rest[3] !== 'gpconnect')
      return { status: 404, body: { message: 'Not a sandbox provider path' }, headers: JSON_TYPE }
    return this.serve(provider, request, url, `/${rest.slice(4).join('/')}`, body)
  }

  private steer(provider: SandboxProvider, method: string, body: Buffer) {
    const json = { 'Content-Type': 'application/json' }
    if (method === 'GET') return { status: 200, body: provider.behaviour, headers: json }
    if (method === 'DELETE') {
      provider.behaviour = { mode: 'normal' }
      return { status: 200, body: provider.behaviour, headers: json }
    }
    if (method !== 'PUT') return { status: 405, body: { message: 'GET, PUT or DELETE' }, headers: json }
    let input: { mode?: unknown; delayMs?: unknown; interaction?: unknown }
    try {
      input = JSON.parse(body.toString('utf8')) as typeof input
    } catch {
      return {
        status: 400,
        body: { message: 'Send JSON: { "mode": "normal|slow|failing|refusing|garbage" }' },
        headers: json,
      }
    }
    if (input.mode === 'slow') {
      const delayMs =
        typeof input.delayMs === 'number' && input.delayMs >= 0 && input.delayMs <= 60_000
          ? input.delayMs
          : 10_000
      provider.behaviour = {
        mode: 'slow',
        delayMs,
        ...(typeof input.interaction === 'string' ? { interaction: input.interaction.slice(0, 200) } : {}),
      }
    } else if (
      input.mode === 'normal' ||
      input.mode === 'failing' ||
      input.mode === 'refusing' ||
      input.mode === 'garbage'
    ) {
      provider.behaviour = { mode: input.mode }
    } else {
      return {
        status: 400,
        body: { message: 'mode is one of normal, slow, failing, refusing, garbage' },
        headers: json,
      }
    }
    return { status: 200, body: provider.behaviour, headers: json }
  }

  private async serve(
    provider: SandboxProvider,
    request: IncomingMessage,
    url: URL,
    path: string,
    raw: Buffer,
  ) {
    const method = request.method ?? 'GET'
    const headers: Record<string, string> = {}
    for (const [name, value] of Object.entries(request.headers))
      if (typeof value === 'string') headers[name] = value
    let body: unknown
    try {
      body = raw.length ? JSON.parse(raw.toString('utf8')) : undefined
    } catch {
      body = undefined
    }
    const bearer = /^Bearer (.+)$/.exec(headers.authorization ?? '')?.[1]
    const seen: SeenRequest = { method, path, headers, body, ...(bearer ? { jwt: decodeJwt(bearer) } : {}) }
    provider.seen.push(seen)
    if (provider.seen.length > KEPT_REQUESTS) provider.seen.shift()

    // One method and path may serve two interactions (amend and cancel are both PUT /Appointment/{id}).
    const candidates = this.interactions.filter(
      (candidate) => candidate.method === method && candidate.path.test(path),
    )
    const interaction =
      candidates.find((candidate) => candidate.interactionId === headers['ssp-interactionid']) ??
      candidates[0]
    const now = this.clock()
    let answer: SandboxAnswer
    if (!interaction)
      answer = provider.outcome(404, 'NOT_FOUND', 'Not found', 'No such GP Connect interaction')
    else {
      const refused = refusal(provider, interaction, seen, now)
      if (refused) answer = provider.outcome(400, 'BAD_REQUEST', 'Bad request', refused)
      else
        answer = await this.behave(provider, request, interaction.interactionId, () =>
          interaction.handle({ provider, path, query: url.searchParams, headers, body, now }),
        )
    }
    return {
      status: answer.status,
      body: answer.body,
      headers: { ...answer.headers, 'Content-Type': answer.contentType ?? JSON_TYPE['Content-Type'] },
    }
  }

  /** The answer as the provider's behaviour shapes it. */
  private async behave(
    provider: SandboxProvider,
    request: IncomingMessage,
    interactionId: string,
    answer: () => Promise<SandboxAnswer>,
  ) {
    const behaviour = provider.behaviour
    if (behaviour.mode === 'slow' && behaviour.interaction && behaviour.interaction !== interactionId)
      return answer()
    switch (behaviour.mode) {
      case 'failing':
        return provider.outcome(
          500,
          'INTERNAL_SERVER_ERROR',
          'Internal server error',
          'Sandbox provider set to fail',
        )
      case 'refusing':
        return provider.outcome(
          403,
          'ACCESS DENIED',
          'Access denied',
          'GP Connect is not enabled at this sandbox practice',
        )
      case 'garbage':
        return {
          status: 200,
          body: '<html><body>502 Bad Gateway (sandbox garbage)</body></html>',
          contentType: 'application/fhir+json',
        }
      case 'slow':
        // Wait, unless the consumer gives up first (no timer left behind when it does).
        await new Promise<void>((resolve) => {
          const done = () => {
            clearTimeout(timer)
            request.socket.off('close', done)
            resolve()
          }
          const timer = setTimeout(done, behaviour.delayMs)
          request.socket.once('close', done)
        })
        return answer()
      case 'normal':
        return answer()
    }
  }
}
