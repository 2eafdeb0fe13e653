import { addDays, ukDate, ukDateTime, ukWallClock } from '../../functions/shared/time'
import { ODS_CODE_SYSTEM } from '../../schemas/fhir/identifiers'
import {
  DELIVERY_CHANNEL_URL,
  PRACTITIONER_ROLE_URL,
  SDS_JOB_ROLE_SYSTEM,
  SDS_USER_ID_SYSTEM,
} from '../../schemas/fhir/Scheduling'
import { bookingRequest, DEMO_BOOKER } from './bookingRequest'

/** The demo GP practices that publish slots (DESIGN.md: both, for the next 14 days). */
export const DEMO_SLOT_PUBLISHERS = ['Y90001', 'Y90002'] as const
/** Days of slots the demo publishes, from today. */
export const DEMO_SLOT_DAYS = 14

interface Session {
  schedule: 'gp' | 'nurse'
  from: string
  to: string
  minutes: number
  channel: 'In-person' | 'Telephone'
  serviceType: string
}

/**
 * A practice's weekday as the demo offers it to the ICS: GP appointments in the morning, telephone
 * consultations after lunch, a nurse clinic (ten slots a day: enough to book, few enough that the
 * seed costs little at every start).
 */
const SESSIONS: readonly Session[] = [
  {
    schedule: 'gp',
    from: '09:00',
    to: '11:00',
    minutes: 30,
    channel: 'In-person',
    serviceType: 'General GP Appointment',
  },
  {
    schedule: 'gp',
    from: '14:00',
    to: '15:00',
    minutes: 30,
    channel: 'Telephone',
    serviceType: 'GP Telephone Consultation',
  },
  {
    schedule: 'nurse',
    from: '09:00',
    to: '11:00',
    minutes: 30,
    channel: 'In-person',
    serviceType: 'Practice Nurse Appointment',
  },
]

const PRACTICES: Record<
  (typeof DEMO_SLOT_PUBLISHERS)[number],
  { surgery: string; street: string; postcode: string; gp: [string, string]; sds: string }
> = {
  Y90001: {
    surgery: 'Demo Surgery North',
    street: '1 North Road',
    postcode: 'LS1 6AE',
    gp: ['Black', 'Sarah'],
    sds: '111122223333',
  },
  Y90002: {
    surgery: 'Demo Surgery South',
    street: '2 South Street',
    postcode: 'LS2 7EE',
    gp: ['Okafor', 'David'],
    sds: '111122224444',
  },
}

/**
 * The publication a demo practice sends to POST /Slot: its surgery (Location), its GP
 * (Practitioner), a GP and a nurse Schedule, and every weekday slot from `now` for
 * DEMO_SLOT_DAYS days that has not started yet. Deterministic for a given day, so a restart
 * publishes the same slots again (unchanged) plus the days that came into range.
 */
export function demoSlotPublication(ods: (typeof DEMO_SLOT_PUBLISHERS)[number], now: Date) {
  const practice = PRACTICES[ods]
  const entry: { resource: Record<string, unknown> }[] = [
    {
      resource: {
        resourceType: 'Location',
        id: 'surgery',
        name: practice.surgery,
        address: { line: [practice.street, 'Demo Town'], postalCode: practice.postcode },
        telecom: [{ system: 'phone', value: '0300 303 5678', use: 'work' }],
        managingOrganization: { identifier: { system: ODS_CODE_SYSTEM, value: ods } },
      },
    },
    {
      resource: {
        resourceType: 'Practitioner',
        id: 'gp',
        identifier: [{ system: SDS_USER_ID_SYSTEM, value: practice.sds }],
        name: [{ family: practice.gp[0], given: [practice.gp[1]], prefix: ['Dr'] }],
      },
    },
    {
      resource: {
        resourceType: 'Schedule',
        id: 'gp',
        extension: [
          {
            url: PRACTITIONER_ROLE_URL,
            valueCodeableConcept: {
              coding: [
                { system: SDS_JOB_ROLE_SYSTEM, code: 'R0260', display: 'General Medical Practitioner' },
              ],
            },
          },
        ],
        serviceCategory: [{ text: 'General GP Appointments' }],
        actor: [{ reference: 'Location/surgery' }, { reference: 'Practitioner/gp' }],
      },
    },
    {
      resource: {
        resourceType: 'Schedule',
        id: 'nurse',
        serviceCategory: [{ text: 'Practice Nurse Clinic' }],
        actor: [{ reference: 'Location/surgery' }],
      },
    },
  ]
  const today = ukDate(now)
  for (let day = 0; day < DEMO_SLOT_DAYS; day++) {
    const date = addDays(today, day)
    const weekday = new Date(`${date}T12:00:00Z`).getUTCDay()
    if (weekday === 0 || weekday === 6) continue
    for (const session of SESSIONS) {
      const end = ukWallClock(date, session.to)
      for (let start = ukWallClock(date, session.from); start < end; ) {
        const next = new Date(start.getTime() + session.minutes * 60_000)
        if (start > now) {
          entry.push({
            resource: {
              resourceType: 'Slot',
              extension: [{ url: DELIVERY_CHANNEL_URL, valueCode: session.channel }],
              serviceType: [{ text: session.serviceType }],
              schedule: { reference: `Schedule/${session.schedule}` },
              status: 'free',
              start: ukDateTime(start),
              end: ukDateTime(next),
            },
          })
        }
        start = next
      }
    }
  }
  return { resourceType: 'Bundle', type: 'collection', entry }
}

/** The day the API documentation's examples book on (far ahead: the examples work whenever they are tried). */
export const EXAMPLE_DAY = '2099-01-05'
/** The demo patient the documentation's example appointment is for (a generated one: no test counts its holders). */
export const EXAMPLE_PATIENT = '9990000026'
/** The X-Request-ID of the seed's example booking: the same on every start, so it is booked once. */
export const EXAMPLE_BOOKING_REQUEST_ID = '0d1c2b3a-4f5e-4d6c-8b7a-9e8f7a6b5c4d'

/**
 * The documentation's example publication (POST /Slot): Demo Surgery North's "example"
 * GP schedule with three 30-minute slots on EXAMPLE_DAY. The seed publishes it and books
 * the first; the docs' examples search, book and read the others.
 */
export function examplePublication() {
  return {
    resourceType: 'Bundle',
    type: 'collection',
    entry: [
      {
        resource: {
          resourceType: 'Schedule',
          id: 'example',
          extension: [
            {
              url: PRACTITIONER_ROLE_URL,
              valueCodeableConcept: {
                coding: [
                  { system: SDS_JOB_ROLE_SYSTEM, code: 'R0260', display: 'General Medical Practitioner' },
                ],
              },
            },
          ],
          serviceCategory: [{ text: 'General GP Appointments' }],
          actor: [{ reference: 'Location/surgery' }, { reference: 'Practitioner/gp' }],
        },
      },
      ...['09:00', '09:30', '10:00'].map((time, index) => ({
        resource: {
          resourceType: 'Slot',
          extension: [{ url: DELIVERY_CHANNEL_URL, valueCode: 'In-person' }],
          serviceType: [{ text: 'General GP Appointment' }],
          schedule: { reference: 'Schedule/example' },
          status: 'free',
          start: `${EXAMPLE_DAY}T${time}:00+00:00`,
          end: `${EXAMPLE_DAY}T${['09:30', '10:00', '10:30'][index]}:00+00:00`,
        },
      })),
    ],
  }
}

/** A booking of an example slot, as the docs show it: `bookingOds` books it for `patient`. */
export function exampleBooking(
  time: '09:00' | '09:30' | '10:00',
  patient: string,
  bookingOds: string,
  name: string,
) {
  const end = { '09:00': '09:30', '09:30': '10:00', '10:00': '10:30' }[time]
  return bookingRequest({
    slot: {
      id: `Y90001.example.${EXAMPLE_DAY.replaceAll('-', '')}${time.replace(':', '')}`,
      start: `${EXAMPLE_DAY}T${time}:00+00:00`,
      end: `${EXAMPLE_DAY}T${end}:00+00:00`,
    },
    patient,
    places: ['Location/Y90001.surgery', 'Practitioner/Y90001.gp'],
    bookedBy: { ods: bookingOds, name, telephone: DEMO_BOOKER.telephone },
    description: 'Review of blood pressure readings',
    comment: 'Patient prefers a morning appointment',
  })
}
