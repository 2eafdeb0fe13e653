import * as z from 'zod/mini'
import { type OperationId, type RouteDeclaration, routes } from '../infra/routes'
import { Appointment, AppointmentRequest } from './fhir/Appointment'
import { Bundle } from './fhir/Bundle'
import { Pointer, PointerRegistration } from './fhir/DocumentReference'
import { OperationOutcome, spineCodes } from './fhir/OperationOutcome'
import { Patient } from './fhir/Patient'
import { PublishedSlot, Slot, SlotPublication } from './fhir/Scheduling'

/** The body each operation answers with on success; the schemas the handlers validate with. */
const successBodies: Partial<
  Record<OperationId, { status: number; schema: z.ZodMiniType; description: string }>
> = {
  readPatient: { status: 200, schema: Patient, description: 'The patient, PDS-shaped' },
  searchPatients: {
    status: 200,
    schema: z.union([Bundle, OperationOutcome]),
    description: 'Searchset Bundle, or TOO_MANY_MATCHES',
  },
  searchPointers: {
    status: 200,
    schema: Bundle,
    description: 'Searchset Bundle of DocumentReference pointers',
  },
  registerPointer: {
    status: 202,
    schema: Pointer,
    description: 'Accepted: the pointer as the index will hold it',
  },
  withdrawPointers: {
    status: 202,
    schema: OperationOutcome,
    description: 'Accepted: the pointers will be withdrawn',
  },
  searchAuditEvents: {
    status: 200,
    schema: Bundle,
    description: 'Searchset Bundle of AuditEvents, newest first',
  },
  publishSlots: {
    status: 201,
    schema: z.union([Slot, Bundle]),
    description:
      'The Slot (for one Slot) or a collection Bundle of the published Slots as they now are; 200 when nothing changed',
  },
  searchSlots: {
    status: 200,
    schema: Bundle,
    description:
      'Searchset Bundle of free Slots in start order, with the Schedules, Practitioners, Locations and Organizations asked for',
  },
  bookAppointment: {
    status: 201,
    schema: Appointment,
    description: 'The booked Appointment; Location and ETag W/"1" headers',
  },
  readAppointment: { status: 200, schema: Appointment, description: 'The Appointment, with its ETag' },
  updateAppointment: {
    status: 200,
    schema: Appointment,
    description: 'The amended or cancelled Appointment, with its new ETag',
  },
  searchPatientAppointments: {
    status: 200,
    schema: Bundle,
    description:
      "Searchset Bundle of the patient's Appointments (cancelled included) the caller booked or hosts",
  },
}

/** Request bodies of the operations that take one. */
const requestBodies: Partial<Record<OperationId, z.ZodMiniType>> = {
  registerPointer: PointerRegistration,
  publishSlots: z.union([SlotPublication, PublishedSlot]),
  bookAppointment: AppointmentRequest,
  updateAppointment: AppointmentRequest,
}

function jsonSchemaOf(schema: z.ZodMiniType): Record<string, unknown> {
  return z.toJSONSchema(schema, { target: 'openapi-3.0', unrepresentable: 'any' }) as Record<string, unknown>
}

function pathParameters(route: RouteDeclaration) {
  return [...route.path.matchAll(/\{(\w+)\}/g)].map((match) => ({
    name: match[1],
    in: 'path',
    required: true,
    schema: { type: 'string' },
  }))
}

/** The OpenAPI 3.0 document of this API, built from the route declarations and the zod schemas. */
export function openApiDocument(options: { title: string; serverUrl: string; version: string }) {
  const paths: Record<string, Record<string, unknown>> = {}
  const errorCodes = Object.keys(spineCodes).join(', ')
  for (const route of routes as readonly RouteDeclaration[]) {
    const success = successBodies[route.operationId as OperationId]
    const body = requestBodies[route.operationId as OperationId]
    const operation: Record<string, unknown> = {
      operationId: route.operationId,
      summary: route.summary,
      ...(route.scope
        ? { security: [{ bearer: [route.scope] }], description: `Needs scope \`${route.scope}\`.` }
        : {}),
      parameters: [
        ...pathParameters(route),
        ...(route.searchParams ?? []).map((param) => ({
          name: param.name,
          in: 'query',
          required: false,
          schema: { type: 'string' },
          description: `FHIR ${param.type} search parameter`,
        })),
        { name: 'X-Request-ID', in: 'header', required: false, schema: { type: 'string', format: 'uuid' } },
        { name: 'X-Correlation-ID', in: 'header', required: false, schema: { type: 'string' } },
      ],
      ...(body
        ? {
            requestBody: {
              required: true,
              content: { 'application/fhir+json': { schema: jsonSchemaOf(body) } },
            },
          }
        : {}),
      responses: {
        [String(success?.status ?? 200)]: {
          description: success?.description ?? 'OK',
          content: { 'application/fhir+json': { schema: success ? jsonSchemaOf(success.schema) : {} } },
        },
        default: {
          description: `FHIR OperationOutcome; issue[0].details.coding[0].code is one of ${errorCodes}`,
          content: { 'application/fhir+json': { schema: { $ref: '#/components/schemas/OperationOutcome' } } },
        },
      },
    }
    paths[route.path] = { ...paths[route.path], [route.method.toLowerCase()]: operation }
  }
  return {
    openapi: '3.0.3',
    info: { title: options.title, version: options.version },
    servers: [{ url: options.serverUrl }],
    paths,
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } },
      schemas: { OperationOutcome: jsonSchemaOf(OperationOutcome) },
    },
  }
}
