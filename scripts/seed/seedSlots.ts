import { bookAppointment } from '../../functions/appointments/appointments'
import { appointmentPracticeOf } from '../../functions/appointments/practices'
import { publishSlots } from '../../functions/appointments/publishing'
import { DynamoDbAppointmentBook } from '../../functions/shared/appointments/DynamoDbAppointmentBook'
import { FhirError } from '../../functions/shared/errors'
import { EventBridgePublisher } from '../../functions/shared/events'
import { currentIcs } from '../../functions/shared/ics'
import { patientDirectory } from '../../functions/shared/patients/directory'
import type { Caller } from '../../schemas/auth'
import type { LocalStack } from '../local/runtime'
import {
  DEMO_SLOT_PUBLISHERS,
  demoSlotPublication,
  EXAMPLE_BOOKING_REQUEST_ID,
  EXAMPLE_PATIENT,
  exampleBooking,
  examplePublication,
} from './demoSlots'

/**
 * Both demo practices publish their next fortnight of free slots, through the same
 * publishing code POST /Slot runs (as the practice, source joinup.appointments), and the
 * API documentation's example schedule is published and one of its slots booked (through
 * the booking code, as Demo Urgent Care). Runs on every start: what is there already is
 * unchanged, the days that came into range are added.
 */
export async function publishDemoSlots(stack: LocalStack, progress: (line: string) => void): Promise<void> {
  const now = new Date()
  const deps = {
    book: new DynamoDbAppointmentBook(),
    publisher: new EventBridgePublisher({
      source: 'joinup.appointments',
      ics: () => stack.ics,
      clock: () => new Date(),
    }),
    clock: () => now,
    ics: currentIcs(),
  }
  const caller = (organisation: string): Caller => ({
    sub: 'demo-seed',
    organisation,
    ics: stack.ics,
    scopes: new Set(['slot.write', 'appointment.write']),
    purposeOfUse: 'directcare',
  })
  let published = 0
  // A practice on GP Connect Appointment Management serves its own slots (the sandbox provider
  // does locally, the same fortnight): publishing them here too would offer each slot twice.
  const publishers = DEMO_SLOT_PUBLISHERS.filter((ods) => !appointmentPracticeOf(ods, deps.ics))
  for (const ods of publishers) {
    const publication = demoSlotPublication(ods, now)
    await publishSlots(publication, caller(ods), { correlationId: 'demo-seed' }, deps)
    published += publication.entry.filter((entry) => entry.resource.resourceType === 'Slot').length
  }
  await publishSlots(examplePublication(), caller('Y90001'), { correlationId: 'demo-seed' }, deps)
  // The same X-Request-ID on every start: booked once, found again afterwards. Only where the
  // ICS's PDS is its own copy (the demo): an ICS on the national PDS cannot look up a
  // synthetic patient without platform credentials, which a local stack does not have.
  if (deps.ics.pds.source === 'ics-cache') {
    await bookAppointment(
      exampleBooking('09:00', EXAMPLE_PATIENT, 'NX001', 'Demo Urgent Care'),
      caller('NX001'),
      { requestId: EXAMPLE_BOOKING_REQUEST_ID, correlationId: 'demo-seed' },
      { ...deps, patients: patientDirectory() },
    ).catch((error: unknown) => {
      // Cancelled and booked again by someone since: the example has served its purpose.
      if (!(error instanceof FhirError) || error.code !== 'DUPLICATE_REJECTED') throw error
    })
  }
  await stack.bus.idle(30_000)
  progress(
    `Published ${published} free slots at ${publishers.join(' and ')} for the next fortnight, and the docs' example schedule` +
      (publishers.length < DEMO_SLOT_PUBLISHERS.length
        ? ` (${DEMO_SLOT_PUBLISHERS.filter((ods) => !publishers.includes(ods)).join(', ')}: GP Connect, slots from its sandbox provider)`
        : ''),
  )
}
