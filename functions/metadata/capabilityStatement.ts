import { type RouteDeclaration, routes } from '../../infra/routes'
import type { IcsRuntimeConfig } from '../../schemas/ics-config'

/** The software version the CapabilityStatement reports. */
export const SOFTWARE_VERSION = '0.1.0'

/**
 * FHIR R4 CapabilityStatement of this stack, built from the route declarations so it lists
 * exactly the operations the stack serves.
 */
export function capabilityStatement(ics: IcsRuntimeConfig, baseUrl: string, date: string) {
  const byResource = new Map<
    string,
    { interactions: Set<string>; searchParams: Map<string, string>; operations: Set<string> }
  >()
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
      searchParams: new Map(),
      operations: new Set(),
    }
    if ('interaction' in fhir) entry.interactions.add(fhir.interaction)
    if ('operation' in fhir) entry.operations.add(fhir.operation)
    for (const param of route.searchParams ?? []) entry.searchParams.set(param.name, param.type)
    byResource.set(type, entry)
  }
  const operation = (name: string) => ({ name, definition: `${baseUrl}/OperationDefinition/${name}` })
  return {
    resourceType: 'CapabilityStatement',
    status: 'active',
    date,
    publisher: ics.name,
    kind: 'instance',
    software: { name: 'joinup-care-apis', version: SOFTWARE_VERSION },
    implementation: { description: `Joined-up care APIs for ${ics.name}`, url: baseUrl },
    fhirVersion: '4.0.1',
    format: ['application/fhir+json'],
    rest: [
      {
        mode: 'server',
        security: {
          service: [
            {
              coding: [
                { system: 'http://terminology.hl7.org/CodeSystem/restful-security-service', code: 'OAuth' },
              ],
            },
          ],
          description: `Bearer JWT (RS256 or ES256) from ${ics.auth.issuer}, with the claims sub, requesting_organization, ics and scope`,
        },
        resource: [...byResource].map(([type, entry]) => ({
          type,
          interaction: [...entry.interactions].map((code) => ({ code })),
          ...(entry.searchParams.size
            ? { searchParam: [...entry.searchParams].map(([name, paramType]) => ({ name, type: paramType })) }
            : {}),
          ...(entry.operations.size ? { operation: [...entry.operations].map(operation) } : {}),
        })),
        ...(systemOperations.size ? { operation: [...systemOperations].map(operation) } : {}),
      },
    ],
  }
}
