import * as z from 'zod/mini'
import { gatewayMethods, SEARCH_BY_POST } from '../infra/http-surface'
import { type OperationId, queryNamesOf, type RouteDeclaration, routes } from '../infra/routes'
import { capabilityTags, operationDocs, scopeDescriptions } from './api'
import type { ErrorDoc, OperationDoc, ParameterDoc, ResponseHeader } from './api/types'
import { Scope } from './auth'
import { Bundle } from './fhir/Bundle'
import { Pointer, PointerRegistration } from './fhir/DocumentReference'
import { Extension } from './fhir/datatypes'
import { OperationOutcome, operationOutcome, type SpineCodeName, spineCodes } from './fhir/OperationOutcome'
import { Patient } from './fhir/Patient'

const FHIR_JSON = 'application/fhir+json'

/** Schemas with a name in components/schemas; any other body schema is named after its operation. */
const namedSchemas: Readonly<Record<string, z.ZodMiniType>> = {
  // Recursive (extensions nest): named, so references to it resolve inside components.
  Extension,
  OperationOutcome,
  Bundle,
  Patient,
  DocumentReference: Pointer,
  DocumentReferenceRegistration: PointerRegistration,
}

/** Response headers, described once (components/headers). */
const headerDocs: Record<ResponseHeader | 'X-Request-ID' | 'X-Correlation-ID' | 'Retry-After', object> = {
  'X-Request-ID': {
    description:
      'The request id: the one sent (a UUID), or one generated. Quote it when reporting a problem.',
    schema: { type: 'string', format: 'uuid' },
  },
  'X-Correlation-ID': {
    description: 'The correlation id sent, or the request id; it follows the call into logs and events.',
    schema: { type: 'string' },
  },
  ETag: { description: 'Weak version tag of the resource (`W/"<versionId>"`)', schema: { type: 'string' } },
  Location: { description: 'Where the created resource is read', schema: { type: 'string', format: 'uri' } },
  'Content-Location': {
    description: 'Where the answer is read again',
    schema: { type: 'string', format: 'uri' },
  },
  'Retry-After': { description: 'Seconds to wait before retrying', schema: { type: 'integer', minimum: 1 } },
  'Content-Security-Policy': {
    description:
      "Scripts and styles from this deployment only; the page may not be framed (frame-ancestors 'none')",
    schema: { type: 'string' },
  },
}

/** Errors every operation of a kind can answer, besides what its docs declare. */
function commonErrors(route: RouteDeclaration): ErrorDoc[] {
  const errors: ErrorDoc[] = [
    { code: 'INVALID_VALUE', when: 'X-Request-ID is not a UUID, or X-Correlation-ID is malformed' },
  ]
  if (route.contentType === undefined) {
    errors.push({
      code: 'NOT_ACCEPTABLE',
      when: 'Accept or _format asks for anything but FHIR JSON (XML, for one)',
    })
  }
  if (route.scope !== null) {
    errors.push(
      { code: 'ACCESS_DENIED', status: 401, when: 'No token, or a bad or expired one' },
      {
        code: 'ACCESS_DENIED',
        when: `The token lacks ${route.scope}, or its organisation is not an ICS member`,
      },
      {
        code: 'TOO_MANY_REQUESTS',
        when: "Your organisation's requests this minute are over the ICS rate limit",
      },
    )
  }
  if (route.hasBody) {
    errors.push(
      { code: 'MESSAGE_NOT_WELL_FORMED', when: 'The body is not JSON, or nests deeper than 64 levels' },
      { code: 'PAYLOAD_TOO_LARGE', when: 'The body is larger than 1 MB' },
      { code: 'UNSUPPORTED_MEDIA_TYPE', when: 'The body is not application/fhir+json or application/json' },
    )
  }
  errors.push({ code: 'INTERNAL_SERVER_ERROR', when: 'Our fault: quote the X-Request-ID' })
  return errors
}

const headerRefs = (names: readonly string[]) =>
  Object.fromEntries(names.map((name) => [name, { $ref: `#/components/headers/${name}` }]))

function parameterOf(name: string, where: 'path' | 'query', doc: ParameterDoc) {
  const repeats = (doc.repeats ?? 1) > 1
  const value = { ...doc.schema }
  return {
    name,
    in: where,
    required: where === 'path' ? true : (doc.required ?? false),
    description: repeats ? `${doc.description} (up to ${doc.repeats} times)` : doc.description,
    ...(repeats
      ? { schema: { type: 'array', items: value, maxItems: doc.repeats }, explode: true, style: 'form' }
      : { schema: value }),
    example: repeats ? [doc.example] : doc.schema.type === 'integer' ? Number(doc.example) : doc.example,
  }
}

/** The error responses of an operation: one per status, an OperationOutcome example per code. */
function errorResponses(errors: readonly ErrorDoc[]) {
  const byStatus = new Map<number, ErrorDoc[]>()
  for (const error of errors) {
    const status = error.status ?? spineCodes[error.code].status
    byStatus.set(status, [...(byStatus.get(status) ?? []), error])
  }
  const responses: Record<string, unknown> = {}
  for (const [status, list] of [...byStatus].sort(([a], [b]) => a - b)) {
    // One example per code: an operation's own reasons and the common ones read as one.
    const reasons = new Map<SpineCodeName, string[]>()
    for (const error of list) reasons.set(error.code, [...(reasons.get(error.code) ?? []), error.when])
    const examples = Object.fromEntries(
      [...reasons].map(([code, whens]) => [
        code,
        { summary: whens.join('; '), value: operationOutcome(code, whens.join('; ')) },
      ]),
    )
    responses[String(status)] = {
      description: [...reasons].map(([code, whens]) => `\`${code}\`: ${whens.join('; ')}`).join('. '),
      headers: headerRefs(['X-Request-ID', 'X-Correlation-ID', ...(status === 429 ? ['Retry-After'] : [])]),
      content: { [FHIR_JSON]: { schema: { $ref: '#/components/schemas/OperationOutcome' }, examples } },
    }
  }
  return responses
}

/** Where a body schema lives: its component name. */
function schemaName(schema: z.ZodMiniType, fallback: string, extra: Map<string, z.ZodMiniType>): string {
  const named = Object.entries(namedSchemas).find(([, candidate]) => candidate === schema)?.[0]
  if (named) return named
  extra.set(fallback, schema)
  return fallback
}

function operationOf(
  route: RouteDeclaration,
  kind: 'declared' | 'search-post',
  doc: OperationDoc,
  extraSchemas: Map<string, z.ZodMiniType>,
) {
  const params = doc.parameters ?? {}
  const pathNames = [...route.path.matchAll(/\{(\w+)\}/g)].map((match) => match[1]!)
  const queryNames = (route.searchParams ?? []).flatMap(queryNamesOf)
  const parameters = [
    ...pathNames.map((name) => parameterOf(name, 'path', params[name]!)),
    ...(kind === 'declared' ? queryNames.map((name) => parameterOf(name, 'query', params[name]!)) : []),
  ]
  const tag = capabilityTags[route.function]?.name
  const response = doc.response
  const responseType = response.contentType ?? FHIR_JSON
  const successContent = response.schema
    ? {
        [responseType]: {
          schema: {
            $ref: `#/components/schemas/${schemaName(response.schema, `${route.operationId}Response`, extraSchemas)}`,
          },
          ...(doc.alternatives
            ? {
                examples: {
                  success: { summary: response.description, value: response.example },
                  ...Object.fromEntries(
                    doc.alternatives.map((alternative, index) => [
                      `alternative${index + 1}`,
                      { summary: alternative.summary, value: alternative.example },
                    ]),
                  ),
                },
              }
            : response.example !== undefined
              ? { example: response.example }
              : {}),
        },
      }
    : { [responseType]: { schema: { type: 'string' } } }
  const formSchema = {
    type: 'object',
    description: 'The same parameters as the GET search, form-encoded',
    properties: Object.fromEntries(queryNames.map((name) => [name, params[name]!.schema])),
  }
  const searchByPost = kind === 'search-post'
  return {
    operationId: searchByPost ? `${route.operationId}ByPost` : route.operationId,
    summary: searchByPost ? `${route.summary} (by form post)` : route.summary,
    description: [
      searchByPost
        ? `FHIR \`POST [type]/_search\`: the parameters of \`GET ${route.path}\` in an \`application/x-www-form-urlencoded\` body.`
        : doc.description,
      route.scope ? `Needs scope \`${route.scope}\`.` : 'Public: no token needed.',
    ]
      .filter(Boolean)
      .join('\n\n'),
    ...(tag ? { tags: [tag] } : {}),
    security: route.scope ? [{ smart: [route.scope] }] : [],
    parameters: [
      ...parameters,
      { $ref: '#/components/parameters/X-Request-ID' },
      { $ref: '#/components/parameters/X-Correlation-ID' },
    ],
    ...(doc.request && !searchByPost
      ? {
          requestBody: {
            required: true,
            description: doc.request.description,
            content: {
              [doc.request.contentType ?? FHIR_JSON]: {
                schema: {
                  $ref: `#/components/schemas/${schemaName(doc.request.schema, `${route.operationId}Request`, extraSchemas)}`,
                },
                example: doc.request.example,
              },
            },
          },
        }
      : {}),
    ...(searchByPost
      ? {
          requestBody: {
            required: true,
            content: {
              'application/x-www-form-urlencoded': {
                schema: formSchema,
                example: Object.fromEntries(
                  queryNames
                    .filter((name) => params[name]!.required)
                    .map((name) => [name, params[name]!.example]),
                ),
              },
            },
          },
        }
      : {}),
    responses: {
      [String(response.status)]: {
        description: response.description,
        headers: headerRefs(['X-Request-ID', 'X-Correlation-ID', ...(response.headers ?? [])]),
        content: successContent,
      },
      ...errorResponses([...doc.errors, ...commonErrors(route), ...(searchByPost ? formErrors : [])]),
    },
  }
}

const formErrors: ErrorDoc[] = [
  { code: 'UNSUPPORTED_MEDIA_TYPE', when: 'The body is not application/x-www-form-urlencoded' },
  { code: 'PAYLOAD_TOO_LARGE', when: 'The body is larger than 1 MB' },
]

/** JSON Schemas of the body schemas, with references between them as components. */
function componentSchemas(extra: Map<string, z.ZodMiniType>): Record<string, unknown> {
  const registry = z.registry<{ id: string }>()
  for (const [id, schema] of [...Object.entries(namedSchemas), ...extra]) registry.add(schema, { id })
  const { schemas } = z.toJSONSchema(registry, {
    target: 'draft-2020-12',
    unrepresentable: 'any',
    uri: (id) => `#/components/schemas/${id}`,
  }) as { schemas: Record<string, Record<string, unknown>> }
  return Object.fromEntries(
    Object.entries(schemas)
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([id, schema]) => {
        const { $schema: _schema, $id: _id, ...rest } = schema
        return [id, rest]
      }),
  )
}

export interface OpenApiOptions {
  title: string
  version: string
  serverUrl: string
  tokenUrl: string
}

/**
 * The OpenAPI 3.1 document of this API, generated from the route declarations
 * (infra/routes.ts, with HEAD, `_search` and OPTIONS derived in infra/http-surface.ts) and
 * their docs (schemas/api): parameters, bodies with examples, every error with an
 * OperationOutcome example naming its code, response headers, and scopes as OAuth2
 * client-credentials scopes. `npm run docs` writes it to schemas/exported/openapi.json.
 */
export function openApiDocument(options: OpenApiOptions) {
  const paths: Record<string, Record<string, unknown>> = {}
  const extraSchemas = new Map<string, z.ZodMiniType>()
  for (const method of gatewayMethods(routes)) {
    if (method.kind === 'head' || method.kind === 'options') continue
    const doc = operationDocs[method.route.operationId as OperationId]
    const operation = operationOf(method.route, method.kind, doc, extraSchemas)
    paths[method.path] = { ...paths[method.path], [method.method.toLowerCase()]: operation }
  }
  const usedTags = new Set(routes.map((route) => capabilityTags[route.function]?.name).filter(Boolean))
  return {
    openapi: '3.1.0',
    info: {
      title: options.title,
      version: options.version,
      summary: 'FHIR R4 APIs that join up one NHS integrated care system',
      description:
        "PDS lookup, the patient index (NRL-style pointers), the audit trail and the capabilities that join them, as FHIR R4 JSON. Errors are OperationOutcomes carrying the national services' Spine codes. Every search also answers `POST [path]" +
        SEARCH_BY_POST +
        "`, every GET also HEAD, every path OPTIONS (CORS preflight for the ICS's allowed origins).",
      license: { name: 'MIT', identifier: 'MIT' },
    },
    servers: [{ url: options.serverUrl, description: 'Local demo stack (npm start)' }],
    tags: Object.values(capabilityTags).filter((tag) => usedTags.has(tag!.name)),
    paths,
    components: {
      securitySchemes: {
        smart: {
          type: 'oauth2',
          description:
            'OAuth2 client credentials (SMART backend services): the token is a JWT carrying sub, requesting_organization (your ODS code), ics and scope. See /.well-known/smart-configuration.',
          flows: {
            clientCredentials: {
              tokenUrl: options.tokenUrl,
              scopes: Object.fromEntries(
                Scope.options.map((scope) => [scope, scopeDescriptions[scope] ?? scope]),
              ),
            },
          },
        },
      },
      parameters: {
        'X-Request-ID': {
          name: 'X-Request-ID',
          in: 'header',
          required: false,
          description: 'Your id for this request, a UUID; it comes back on the answer',
          schema: { type: 'string', format: 'uuid' },
        },
        'X-Correlation-ID': {
          name: 'X-Correlation-ID',
          in: 'header',
          required: false,
          description:
            'An id that ties this request to others in your system (1 to 200 visible ASCII characters)',
          schema: { type: 'string', pattern: '^[\\x21-\\x7e]{1,200}$' },
        },
      },
      headers: headerDocs,
      schemas: componentSchemas(extraSchemas),
    },
  }
}
