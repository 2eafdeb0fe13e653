import { publishSlots } from '../../functions/appointments/publishing'
import { DynamoDbAppointmentBook } from '../../functions/shared/appointments/DynamoDbAppointmentBook'
import { EventBridgePublisher } from '../../functions/shared/events'
import { currentIcs } from '../../functions/shared/ics'
import type { LocalStack } from '../local/runtime'
import { DEMO_SLOT_PUBLISHERS, demoSlotPublication } from './demoSlots'

/**
 * Both demo practices publish their next fortnight of free slots, through the same
 * publishing code POST /Slot runs (as the practice, source joinup.appointments). Runs on
 * every start: the slots already published are unchanged, the days that came into range
 * are added.
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
  let published = 0
  for (const ods of DEMO_SLOT_PUBLISHERS) {
    const publication = demoSlotPublication(ods, now)
    const caller = {
      sub: 'demo-seed',
      organisation: ods,
      ics: stack.ics,
      scopes: new Set(['slot.write']),
      purposeOfUse: 'directcare',
    }
    await publishSlots(publication, caller, { correlationId: 'demo-seed' }, deps)
    published += publication.entry.filter((entry) => entry.resource.resourceType === 'Slot').length
  }
  await stack.bus.idle(30_000)
  progress(
    `Published ${published} free slots at ${DEMO_SLOT_PUBLISHERS.join(' and ')} for the next fortnight`,
  )
}
