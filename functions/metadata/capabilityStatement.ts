import { type RouteDeclaration, routes } from '../../infra/routes'
import type { IcsRuntimeConfig } from '../../schemas/ics-config'

/** The software version the CapabilityStatement reports. */
export const SOFTWARE_VERSION = '0.1.0'

interface ResourceEntry {
  interactions: Set<string>
  conditionalDelete: boolean
  searchParams: Map<string, { type: string; modifiers: readonly string[] }>
  operations: Set<string>
}

/**
 * FHIR R4 CapabilityStatement of this stack, built from the route declarations so it lists
 * exactly what the stack serves: each resource's interactions, the search parameters of
 * its type search (by FHIR name, modifiers in the documentation), conditional delete, and
 * operations. Every entry is exercised by test/integration/capability-walk.test.ts.
 */
export function capabilityStatement(ics: IcsRuntimeConfig, baseUrl: string, date: string) {
  const byResource = new Map<string, ResourceEntry>()
  const systemOperations = new Set<string>()
  for (const route of routes as readonly RouteDeclaration[]) {
    const fhir = route.fhir
    if (!fhir || route.scope === null) continue
    const type = fhir.resource
    if (!type) {
      if ('operation' in fhir) systemOperations.add(fhir.operation)
      continue
    }
    const entry = byResource.get(type) ?? {
      interactions: new Set(),
      conditionalDelete: false,
      searchParams: new Map(),
      operations: new Set(),
    }
    if ('interaction' in fhir) {
      if (fhir.conditional && fhir.interaction === 'delete') entry.conditionalDelete = true
      else entry.interactions.add(fhir.interaction)
      if (fhir.interaction === 'search-type') {
        for (const param of route.searchParams ?? [])
          entry.searchParams.set(param.name, { type: param.type, modifiers: param.modifiers ?? [] })
      }
    }
    if ('operation' in fhir) entry.operations.add(fhir.operation)
    byResource.set(type, entry)
  }
  const operation = (name: string) => ({ name, definition: `${baseUrl}/OperationDefinition/${name}` })
  const tokenUrl = ics.auth.tokenUrl
  return {
    resourceType: 'CapabilityStatement',
    status: 'active',
    date,
    publisher: ics.name,
    kind: 'instance',
    software: { name: 'joinup-care-apis', version: SOFTWARE_VERSION },
    implementation: { description: `Joined-up care APIs for ${ics.name}`, url: baseUrl },
    fhirVersion: '4.0.1',
    format: ['application/fhir+json', 'json'],
    rest: [
      {
        mode: 'server',
        security: {
          ...(tokenUrl
            ? {
                extension: [
                  {
                    url: 'http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris',
                    extension: [{ url: 'token', valueUri: tokenUrl }],
                  },
                ],
              }
            : {}),
          service: [
            {
              coding: [
                {
                  system: 'http://terminology.hl7.org/CodeSystem/restful-security-service',
                  code: 'SMART-on-FHIR',
                },
                { system: 'http://terminology.hl7.org/CodeSystem/restful-security-service', code: 'OAuth' },
              ],
            },
          ],
          description: `Bearer JWT (RS256 or ES256) from ${ics.auth.issuer}, with the claims sub, requesting_organization, ics and scope; discover the token endpoint at ${baseUrl}/.well-known/smart-configuration`,
        },
        resource: [...byResource].map(([type, entry]) => ({
          type,
          interaction: [...entry.interactions].map((code) => ({ code })),
          ...(entry.conditionalDelete ? { conditionalDelete: 'multiple' } : {}),
          ...(entry.searchParams.size
            ? {
                searchParam: [...entry.searchParams].map(([name, param]) => ({
                  name,
                  type: param.type,
                  ...(param.modifiers.length
                    ? {
                        documentation: `Also as ${param.modifiers.map((modifier) => `${name}:${modifier}`).join(', ')}`,
                      }
                    : {}),
                })),
              }
            : {}),
          ...(entry.operations.size ? { operation: [...entry.operations].map(operation) } : {}),
        })),
        ...(systemOperations.size ? { operation: [...systemOperations].map(operation) } : {}),
      },
    ],
  }
}

/**
 * SMART App Launch 2.0 `.well-known/smart-configuration` for backend services: the token
 * endpoint (client credentials with a signed JWT assertion) and the scopes this API knows.
 */
export function smartConfiguration(ics: IcsRuntimeConfig, baseUrl: string, scopes: readonly string[]) {
  return {
    issuer: ics.auth.issuer,
    jwks_uri: ics.auth.jwksUrl,
    ...(ics.auth.tokenUrl ? { token_endpoint: ics.auth.tokenUrl } : {}),
    grant_types_supported: ['client_credentials'],
    token_endpoint_auth_methods_supported: ['private_key_jwt'],
    token_endpoint_auth_signing_alg_values_supported: ['RS256', 'ES256', 'RS384', 'ES384'],
    scopes_supported: [...scopes],
    capabilities: ['client-confidential-asymmetric'],
    code_challenge_methods_supported: ['S256'],
    fhir_base_url: baseUrl,
  }
}
