import type { SpineCodeName } from '../schemas/fhir/OperationOutcome'

/**
 * What the gateway itself answers before any function runs, declared once: API Gateway's
 * gateway responses (CDK) and the local gateway both send these OperationOutcomes.
 */
export interface GatewayResponseDeclaration {
  /** API Gateway response type. */
  type: 'MISSING_AUTHENTICATION_TOKEN' | 'REQUEST_TOO_LARGE' | 'THROTTLED' | 'DEFAULT_4XX' | 'DEFAULT_5XX'
  /** Status to send; undefined keeps the gateway's own (the DEFAULT_* families). */
  status?: number
  code: SpineCodeName
  diagnostics: string
}

export const gatewayResponses = [
  // API Gateway answers an unknown path, or a method a path does not have, with this type.
  {
    type: 'MISSING_AUTHENTICATION_TOKEN',
    status: 404,
    code: 'NOT_FOUND',
    diagnostics: 'No such resource or operation',
  },
  { type: 'REQUEST_TOO_LARGE', status: 413, code: 'PAYLOAD_TOO_LARGE', diagnostics: 'Request is too large' },
  { type: 'THROTTLED', status: 429, code: 'TOO_MANY_REQUESTS', diagnostics: 'Too many requests' },
  { type: 'DEFAULT_4XX', code: 'BAD_REQUEST', diagnostics: 'The gateway refused the request' },
  {
    type: 'DEFAULT_5XX',
    code: 'INTERNAL_SERVER_ERROR',
    diagnostics: 'The gateway could not reach the service',
  },
] as const satisfies readonly GatewayResponseDeclaration[]

/** The largest request the gateway passes on (API Gateway REST: 10 MB). */
export const GATEWAY_MAX_REQUEST_BYTES = 10 * 1024 * 1024
