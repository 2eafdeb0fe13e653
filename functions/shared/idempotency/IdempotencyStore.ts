import { createHash } from 'node:crypto'
import { FhirError } from '../errors'
import type { AuditFacts } from '../ports'
import type { Clock } from '../time'

/** What a request answered, kept so a retry with its key gets the same answer. */
export interface StoredResponse {
  status: number
  body?: unknown
  headers?: Record<string, string>
  audit?: AuditFacts[]
}

/** The state of one idempotency key. */
export type KeyState =
  | { kind: 'completed'; fingerprint: string; response: StoredResponse }
  | { kind: 'in-progress'; fingerprint: string; leaseUntil: number }

/** Storage for client request keys (`X-Request-ID`) already answered or being answered. */
export interface IdempotencyStore {
  /**
   * Claims `key` for this request for `leaseMs` (single conditional write). Answers
   * `claimed`, or the state of the request that holds or held the key: a claim whose
   * lease ran out (its request died) is taken over.
   */
  claim(key: string, fingerprint: string, now: Date, leaseMs: number): Promise<{ kind: 'claimed' } | KeyState>
  /** Keeps the answer of the request that holds the claim. */
  complete(key: string, fingerprint: string, response: StoredResponse, now: Date): Promise<void>
  /** Gives the key up (the request failed): a retry runs again. */
  release(key: string, fingerprint: string): Promise<void>
}

export interface IdempotencyOptions {
  store: IdempotencyStore
  clock: Clock
  /** How long a claim holds before a retry may take it over: the request's own time limit. */
  leaseMs?: number
  /** How long a retry waits for a request in progress before answering 409. */
  waitMs?: number
  sleep?: (ms: number) => Promise<void>
}

/** The key of one client request: the operation, the caller's organisation and its X-Request-ID. */
export function idempotencyKey(operation: string, organisation: string, requestId: string): string {
  return `${operation}#${organisation}#${requestId.toLowerCase()}`
}

/** A digest of what the request asks for, so a key reused for a different request is caught. */
export function requestFingerprint(...parts: unknown[]): string {
  return createHash('sha256').update(JSON.stringify(parts)).digest('base64url')
}

/**
 * Runs a write once per client request key. The first request with a key claims it and
 * runs; a retry gets the stored 2xx answer (`replayed`), and a retry that arrives while
 * the first is still running waits for it, so concurrent retries all get one answer.
 * Only successes are kept: after a 4xx or a failure the key is released and a retry runs
 * again. The write itself must be safe to run again (a claim whose request died mid-way
 * is taken over when its lease ends), which every domain write here is.
 */
export async function withIdempotency(
  key: string,
  fingerprint: string,
  options: IdempotencyOptions,
  run: () => Promise<StoredResponse>,
): Promise<StoredResponse & { replayed: boolean }> {
  const { store, clock } = options
  const leaseMs = options.leaseMs ?? 10_000
  const waitMs = options.waitMs ?? 5_000
  const sleep = options.sleep ?? ((ms: number) => new Promise((resolve) => setTimeout(resolve, ms)))
  const startedAt = clock().getTime()
  for (let attempt = 0; ; attempt++) {
    const state = await store.claim(key, fingerprint, clock(), leaseMs)
    if (state.kind === 'claimed') {
      let response: StoredResponse
      try {
        response = await run()
      } catch (error) {
        await store.release(key, fingerprint).catch(() => undefined)
        throw error
      }
      if (response.status < 300) await store.complete(key, fingerprint, response, clock())
      else await store.release(key, fingerprint)
      return { ...response, replayed: false }
    }
    if (state.fingerprint !== fingerprint) {
      // IETF draft "The Idempotency-Key HTTP Header Field": a key reused for another request is 422.
      throw new FhirError(
        'INVALID_VALUE',
        'X-Request-ID was already used for a different request; send a new X-Request-ID for a new request',
        { status: 422 },
      )
    }
    if (state.kind === 'completed') return { ...state.response, replayed: true }
    if (clock().getTime() - startedAt >= waitMs) {
      throw new FhirError(
        'CONFLICT',
        'A request with this X-Request-ID is still being processed; retry shortly',
        {
          headers: { 'Retry-After': '1' },
        },
      )
    }
    await sleep(Math.min(200, 10 * 2 ** Math.min(attempt, 5)))
  }
}
