import { randomUUID } from 'node:crypto'
import { Agent as HttpAgent, request as httpRequest } from 'node:http'
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https'
import { base64url } from 'jose'
import type { Caller } from '../../../schemas/auth'
import { ODS_CODE_SYSTEM } from '../../../schemas/fhir/identifiers'
import type { DirectoryEntry, HolderDirectory } from '../../../schemas/ics-config'

/** A GP Connect provider from the holder directory. */
export type GpConnectHolder = Extract<DirectoryEntry, { protocol: 'gpconnect-1.6-stu3' }>

/** GP Connect's `requested_scope` claim values ("Cross-organisation audit and provenance"). */
export type RequestedScope = 'patient/*.read' | 'patient/*.write' | 'organization/*.read'

/** The software this stack reports to providers as GP Connect's `requesting_device`. */
export const CONSUMER_DEVICE = { model: 'Joined-up care APIs', version: '0.1.0' } as const

/** Identifier system of this stack's own ids in the JWT (device, local user). */
const JOINUP_ID = 'https://fhir.joinup.example/Id'

/** Who is asking, as the GP Connect consumer JWT tells a provider. */
export interface Consumer {
  caller: Caller
  /** The caller's organisation name, as the ICS lists it. */
  organisationName: string
  /** This API's public base URL: the consumer's `iss`. */
  baseUrl: string
  /** The ICS id, naming this stack as the requesting device. */
  ics: string
}

/**
 * The GP Connect consumer JWT ("Cross-organisation audit and provenance"): unsigned (`alg:
 * none`, empty signature), a new one per request, expiring 5 minutes after `iat`, audience
 * the provider's service root, with the audit claims GP Connect lists. The user's SDS ids
 * are `UNK` (GP Connect's value for a user without a smartcard) and their name is unknown
 * to this stack; the local user id is the caller's `sub`.
 */
export function consumerJwt(
  consumer: Consumer,
  audience: string,
  requestedScope: RequestedScope,
  now: Date,
): string {
  const iat = Math.floor(now.getTime() / 1000)
  const sub = consumer.caller.sub
  const payload = {
    iss: consumer.baseUrl,
    sub,
    aud: audience,
    exp: iat + 300,
    iat,
    reason_for_request: 'directcare',
    requested_scope: requestedScope.startsWith('patient/') ? `${requestedScope} conf/N` : requestedScope,
    requesting_device: {
      resourceType: 'Device',
      identifier: [{ system: `${JOINUP_ID}/device-identifier`, value: `joinup-${consumer.ics}` }],
      model: CONSUMER_DEVICE.model,
      version: CONSUMER_DEVICE.version,
    },
    requesting_organization: {
      resourceType: 'Organization',
      identifier: [{ system: ODS_CODE_SYSTEM, value: consumer.caller.organisation }],
      name: consumer.organisationName,
    },
    requesting_practitioner: {
      resourceType: 'Practitioner',
      id: sub,
      identifier: [
        { system: 'https://fhir.nhs.uk/Id/sds-user-id', value: 'UNK' },
        { system: 'https://fhir.nhs.uk/Id/sds-role-profile-id', value: 'UNK' },
        { system: `${JOINUP_ID}/${consumer.ics}/subject`, value: sub },
      ],
      name: [{ family: 'UNK' }],
    },
  }
  const encode = (value: unknown) => base64url.encode(JSON.stringify(value))
  return `${encode({ alg: 'none', typ: 'JWT' })}.${encode(payload)}.`
}

/** The provider's answer was larger than the consumer reads. */
export class GpConnectAnswerTooLarge extends Error {
  constructor(limit: number) {
    super(`answer larger than ${limit} bytes`)
    this.name = 'GpConnectAnswerTooLarge'
  }
}

/** What a transport is asked to send: always to a directory endpoint. */
/** What a GP Connect interaction's consumer needs: the directory's ASID and proxy, the ICS, a clock and a transport. */
export interface GpConnectConsumerOptions {
  directory: Pick<HolderDirectory, 'consumerAsid' | 'sspUrl'>
  ics: string
  clock?: () => Date
  transport?: GpConnectTransport
}

export interface GpConnectHttpRequest {
  method: string
  headers: Record<string, string>
  body?: string
  signal: AbortSignal
  /** Largest answer read; a larger one rejects with GpConnectAnswerTooLarge. */
  maxBytes: number
}

/** Sends one HTTP request and reads the answer's status and text; rejects when there is no answer. */
export type GpConnectTransport = (
  url: URL,
  request: GpConnectHttpRequest,
) => Promise<{ status: number; body: string; headers?: Record<string, string | string[] | undefined> }>

/**
 * One keep-alive agent per scheme per container: a Lambda calls the same providers again
 * and again. No socket cap: one retrieval calls every holder at once, and a cap would queue
 * them (the local runtime, where every sandbox provider shares one origin, showed it).
 */
const agents = {
  'http:': new HttpAgent({ keepAlive: true }),
  'https:': new HttpsAgent({ keepAlive: true }),
}

/**
 * node:http(s) with keep-alive. Not fetch: undici's fetch costs several times the CPU of a
 * plain request (measured: about 1.3 ms against 0.15 ms a call here), and a retrieval makes
 * one call per holder. Never follows a redirect (the answer is what the endpoint said).
 */
export const nodeHttpTransport: GpConnectTransport = (url, request) =>
  new Promise((resolve, reject) => {
    if (url.protocol !== 'https:' && url.protocol !== 'http:') {
      reject(new Error(`unsupported scheme ${url.protocol}`))
      return
    }
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest
    const outgoing = send(
      url,
      {
        method: request.method,
        agent: agents[url.protocol],
        signal: request.signal,
        headers: {
          ...request.headers,
          ...(request.body === undefined
            ? {}
            : { 'Content-Length': String(Buffer.byteLength(request.body)) }),
        },
      },
      (answer) => {
        const chunks: Buffer[] = []
        let size = 0
        answer.on('data', (chunk: Buffer) => {
          size += chunk.length
          if (size > request.maxBytes) {
            reject(new GpConnectAnswerTooLarge(request.maxBytes))
            answer.destroy()
            return
          }
          chunks.push(chunk)
        })
        answer.on('end', () =>
          resolve({
            status: answer.statusCode ?? 0,
            body: Buffer.concat(chunks).toString('utf8'),
            headers: answer.headers,
          }),
        )
        answer.on('error', reject)
        answer.on('aborted', () => reject(new Error('the answer broke off')))
      },
    )
    outgoing.on('error', reject)
    outgoing.end(request.body)
  })

/** One GP Connect interaction with one provider. */
export interface GpConnectCall {
  holder: GpConnectHolder
  directory: Pick<HolderDirectory, 'consumerAsid' | 'sspUrl'>
  /** GP Connect's interaction id (`Ssp-InteractionID`). */
  interactionId: string
  method: 'GET' | 'POST' | 'PUT' | 'DELETE'
  /** Path under the provider's FHIR service root, e.g. `/Patient/$gpc.getstructuredrecord`. */
  path: string
  body?: unknown
  /** Further request headers the interaction needs (Appointment Management's `If-Match`). */
  headers?: Record<string, string>
  requestedScope: RequestedScope
  consumer: Consumer
  signal: AbortSignal
  now: Date
  /** Largest answer read (default 8 MB); a larger one throws GpConnectAnswerTooLarge. */
  maxBytes?: number
}

/** What a provider answered: its status and body (parsed JSON, or undefined when it is not JSON). */
export interface GpConnectAnswer {
  status: number
  json: unknown
  /** The Ssp-TraceID this call carried (logged with the request id, to find it in the provider's logs). */
  traceId: string
  /** The answer's ETag header, when it carried one (Appointment Management's version). */
  etag?: string
}

/**
 * Calls a GP Connect provider as a GP Connect consumer does: the `Ssp-TraceID`,
 * `Ssp-From`, `Ssp-To` and `Ssp-InteractionID` headers, the consumer JWT, FHIR JSON, and
 * through the Spine Secure Proxy when the directory names one. Only ever the directory's
 * endpoint; redirects are not followed, so an answer cannot send the call elsewhere.
 * Throws when there is no answer (network, abort, too large).
 */
export async function callGpConnect(
  call: GpConnectCall,
  transport: GpConnectTransport = nodeHttpTransport,
): Promise<GpConnectAnswer> {
  const endpoint = call.holder.endpoint.replace(/\/+$/, '')
  const target = `${endpoint}${call.path}`
  const url = call.directory.sspUrl ? `${call.directory.sspUrl.replace(/\/+$/, '')}/${target}` : target
  const traceId = randomUUID()
  const answer = await transport(new URL(url), {
    method: call.method,
    signal: call.signal,
    maxBytes: call.maxBytes ?? 8 * 1024 * 1024,
    headers: {
      Accept: 'application/fhir+json;charset=utf-8',
      ...(call.body === undefined ? {} : { 'Content-Type': 'application/fhir+json;charset=utf-8' }),
      Authorization: `Bearer ${consumerJwt(call.consumer, endpoint, call.requestedScope, call.now)}`,
      'Ssp-TraceID': traceId,
      'Ssp-From': call.directory.consumerAsid ?? '',
      'Ssp-To': call.holder.asid,
      'Ssp-InteractionID': call.interactionId,
      ...call.headers,
    },
    ...(call.body === undefined ? {} : { body: JSON.stringify(call.body) }),
  })
  let json: unknown
  try {
    json = JSON.parse(answer.body)
  } catch {
    json = undefined
  }
  const etag = answer.headers?.etag
  return { status: answer.status, json, traceId, ...(typeof etag === 'string' ? { etag } : {}) }
}
