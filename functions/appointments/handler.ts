import type { AppointmentBook } from '../shared/appointments/AppointmentBook'
import { DynamoDbAppointmentBook } from '../shared/appointments/DynamoDbAppointmentBook'
import { EventBridgePublisher } from '../shared/events'
import { GpConnectAppointments } from '../shared/gpconnect/GpConnectAppointments'
import { httpApi } from '../shared/http'
import { currentIcs } from '../shared/ics'
import { answerOnce } from '../shared/idempotency/answerOnce'
import { patientDirectory } from '../shared/patients/directory'
import { auditTrail, rateLimiter, refusalBudget } from '../shared/platform'
import { systemClock } from '../shared/time'
import {
  type AppointmentDependencies,
  bookAppointment,
  finishSlotCancellation,
  readAppointment,
  searchAppointments,
  searchPatientAppointments,
  updateAppointment,
} from './appointments'
import { publishSlots } from './publishing'
import { readSlot, searchSlots } from './slotSearch'

let book: AppointmentBook | undefined
let practices: GpConnectAppointments | undefined
const publisher = new EventBridgePublisher({
  source: 'joinup.appointments',
  ics: () => currentIcs().ics,
  clock: systemClock,
})

function dependencies(): AppointmentDependencies {
  book ??= new DynamoDbAppointmentBook()
  const ics = currentIcs()
  practices ??= new GpConnectAppointments({
    directory: ics.directory ?? {},
    ics: ics.ics,
    clock: systemClock,
  })
  return { book, publisher, clock: systemClock, ics, patients: patientDirectory(), practices }
}

/** Appointments: slots published and searched, appointments booked, read, amended and cancelled. */
export const handler = httpApi(
  'appointments',
  {
    publishSlots: async (request, caller) => {
      const { status, body, location } = await publishSlots(request.body, caller, request, dependencies())
      return { status, body, headers: { Location: `${request.baseUrl}/${location}` } }
    },
    readSlot: async (request, caller) => {
      const deps = dependencies()
      const { slot, etag } = await readSlot(
        request.pathParameters.id ?? '',
        deps.book,
        deps.practices ? { ...deps, practices: deps.practices, caller, baseUrl: request.baseUrl } : undefined,
      )
      return { status: 200, body: slot, headers: { ETag: etag } }
    },
    searchSlots: async (request, caller) => {
      const deps = dependencies()
      const bundle = await searchSlots(request.query, request.baseUrl, {
        ...deps,
        caller,
        finishCancellation: (slot) => finishSlotCancellation(slot, request, deps),
      })
      return { status: 200, body: bundle }
    },
    bookAppointment: (request, caller) =>
      answerOnce(
        request,
        caller,
        async () => {
          const { appointment, etag, audit } = await bookAppointment(
            request.body,
            caller,
            request,
            dependencies(),
          )
          return {
            status: 201,
            body: appointment,
            headers: { Location: `${request.baseUrl}/Appointment/${appointment.id}`, ETag: etag },
            audit,
          }
        },
        { replayAudit: 'read' },
      ),
    readAppointment: async (request, caller) => {
      const { appointment, etag, audit } = await readAppointment(
        request.pathParameters.id ?? '',
        caller,
        request,
        dependencies(),
      )
      return { status: 200, body: appointment, headers: { ETag: etag }, audit }
    },
    updateAppointment: (request, caller) =>
      answerOnce(
        request,
        caller,
        async () => {
          const { appointment, etag, audit } = await updateAppointment(
            request.pathParameters.id ?? '',
            request.body,
            request.headers['if-match'],
            caller,
            request,
            dependencies(),
          )
          return { status: 200, body: appointment, headers: { ETag: etag }, audit }
        },
        { replayAudit: 'read' },
      ),
    searchAppointments: async (request, caller) => {
      const { bundle, audit } = await searchAppointments(
        request.query,
        request.baseUrl,
        caller,
        request,
        dependencies(),
      )
      return { status: 200, body: bundle, audit }
    },
    searchPatientAppointments: async (request, caller) => {
      const { bundle, audit } = await searchPatientAppointments(
        request.pathParameters.nhsNumber ?? '',
        request.query,
        request.baseUrl,
        caller,
        request,
        dependencies(),
      )
      return { status: 200, body: bundle, audit }
    },
  },
  { audit: auditTrail, rateLimiter, refusalBudget },
)
