import type { EventBridgeEvent } from 'aws-lambda'
import type { AppointmentCancelledV1 } from '../../schemas/events/AppointmentCancelled/v1'
import { EventMetadata } from '../../schemas/events/envelope'
import type { SlotsPublishedV1 } from '../../schemas/events/SlotsPublished/v1'
import { readEventData } from '../../schemas/events/versions'
import { type AppointmentBook, parseAppointmentId } from '../shared/appointments/AppointmentBook'
import { DynamoDbAppointmentBook } from '../shared/appointments/DynamoDbAppointmentBook'
import { busEventConsumer } from '../shared/busConsumer'

/**
 * What the appointments capability finishes from its own events, each step idempotent
 * (at-least-once delivery, any order):
 * - SlotsPublished: the organisation joins the directory of slot publishers, which slot
 *   search asks (so a search does not query members that publish nothing);
 * - AppointmentCancelled: the slot is freed if the cancelling request died before it could.
 */
export async function followUpAppointmentEvent(
  event: EventBridgeEvent<string, unknown>,
  deps: { book: AppointmentBook; now: () => Date },
): Promise<string> {
  const detail = event.detail as { metadata?: unknown; data?: unknown }
  const metadata = EventMetadata.parse(detail.metadata)
  switch (event['detail-type']) {
    case 'SlotsPublished': {
      const data = readEventData('SlotsPublished', metadata.version, detail.data, 1) as SlotsPublishedV1
      await deps.book.recordPublisher(data.hostOds, new Date(data.lastEnd).toISOString())
      return 'publisher recorded'
    }
    case 'AppointmentCancelled': {
      const data = readEventData(
        'AppointmentCancelled',
        metadata.version,
        detail.data,
        1,
      ) as AppointmentCancelledV1
      const id = parseAppointmentId(data.appointmentId)
      if (!id) throw new Error('AppointmentCancelled names no appointment of this stack')
      const stored = await deps.book.appointment(id.slotId, id.n)
      if (!stored?.onSlot || !stored.booking.cancellation) return 'already finished'
      await deps.book.saveCancelled(stored)
      await deps.book.release(id.slotId, id.n, deps.now().toISOString())
      return 'cancellation finished'
    }
    default:
      throw new Error(`Not an appointments event: ${event['detail-type']}`)
  }
}

let book: AppointmentBook | undefined

/** The FollowUpAppointments rule's consumer; failed records go back (and in the end to the DLQ). */
export const followUpAppointmentEvents = busEventConsumer(async ({ event, log }) => {
  book ??= new DynamoDbAppointmentBook()
  const outcome = await followUpAppointmentEvent(event, { book, now: () => new Date() })
  log.info('appointment event followed up', {
    detailType: event['detail-type'],
    eventId: event.id,
    outcome,
  })
})
