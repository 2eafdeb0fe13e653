import * as z from 'zod/mini'
import { Appointment, AppointmentRequest } from '../fhir/Appointment'
import { Bundle } from '../fhir/Bundle'
import { PublishedSlot, Slot, SlotPublication } from '../fhir/Scheduling'
import bookAppointmentExample from './examples/bookAppointment.json' with { type: 'json' }
import bookAppointmentRequest from './examples/bookAppointment.request.json' with { type: 'json' }
import publishSlotsExample from './examples/publishSlots.json' with { type: 'json' }
import publishSlotsRequest from './examples/publishSlots.request.json' with { type: 'json' }
import readAppointmentExample from './examples/readAppointment.json' with { type: 'json' }
import readSlotExample from './examples/readSlot.json' with { type: 'json' }
import searchAppointmentsExample from './examples/searchAppointments.json' with { type: 'json' }
import searchPatientAppointmentsExample from './examples/searchPatientAppointments.json' with { type: 'json' }
import searchSlotsExample from './examples/searchSlots.json' with { type: 'json' }
import updateAppointmentExample from './examples/updateAppointment.json' with { type: 'json' }
import updateAppointmentRequest from './examples/updateAppointment.request.json' with { type: 'json' }
import type { ErrorDoc, OperationDocs, ParameterDoc } from './types'

// The examples are real answers of `npm start` (its demo publishes the "example" schedule of
// Demo Surgery North on 5 January 2099 and books its 09:00 slot for 9990000026).

const DAY = '2099-01-05'
const ODS = 'https://fhir.nhs.uk/Id/ods-organization-code'
const DATE_OR_UK_TIME = '^(ge|le)\\d{4}-\\d{2}-\\d{2}(T\\d{2}:\\d{2}:\\d{2}(\\.\\d{1,3})?\\+0[01]:00)?$'

const appointmentId: ParameterDoc = {
  description:
    "Appointment id, `<slot id>.<n>`: the n-th booking of the slot (the `Location` of a booking); at a practice on GP Connect, `<ODS>.<practice's id>`",
  required: true,
  schema: { type: 'string', pattern: '^[A-Z0-9]{3,6}\\.[A-Za-z0-9.-]{1,64}$' },
  example: 'Y90001.example.209901050900.1',
}
const appointmentStart: ParameterDoc = {
  description:
    'Twice: `start=ge<yyyy-mm-dd>` and `start=le<yyyy-mm-dd>`, dates only, neither before today (GP Connect)',
  required: true,
  repeats: 2,
  schema: { type: 'string', pattern: '^(ge|le)\\d{4}-\\d{2}-\\d{2}$' },
  example: `ge${DAY}`,
  exampleQuery: `patient=Patient/9990000026&start=ge${DAY}&start=le${DAY}`,
}
const rangeErrors: ErrorDoc[] = [
  {
    code: 'INVALID_PARAMETER',
    when: 'start is not sent twice as ge and le dates, has a time, or any part of the range is in the past',
  },
  { code: 'INVALID_NHS_NUMBER', when: 'The patient is not a valid NHS number' },
  { code: 'PATIENT_NOT_FOUND', when: 'PDS has no patient with this NHS number' },
]
const changeErrors: ErrorDoc[] = [
  {
    code: 'INVALID_RESOURCE',
    when: 'Anything but description and comment changed (or status and reason, to cancel); a description over 100 or a comment over 500 characters; the appointment is cancelled or in the past',
  },
  { code: 'INVALID_PARAMETER', status: 422, when: 'A cancellation without a reason' },
  { code: 'BAD_REQUEST', when: 'If-Match is not an ETag, or the id in the body is not the one in the URL' },
  { code: 'PRECONDITION_FAILED', when: 'No If-Match' },
  { code: 'FHIR_CONSTRAINT_VIOLATION', when: 'If-Match is not the current version (read it again)' },
  { code: 'ACCESS DENIED', when: 'Your organisation neither booked nor hosts the appointment' },
  { code: 'NO_RECORD_FOUND', when: 'No appointment has this id' },
]

/** Appointments: GP Connect Appointment Management 1.6 in R4, across the organisations of the ICS. */
export const appointmentsApi: OperationDocs<
  | 'publishSlots'
  | 'searchSlots'
  | 'readSlot'
  | 'bookAppointment'
  | 'readAppointment'
  | 'updateAppointment'
  | 'searchAppointments'
  | 'searchPatientAppointments'
> = {
  publishSlots: {
    description:
      "An organisation publishes its own free slots: one Slot (of a Schedule it published before), or a Bundle of Slots with the Schedules, Practitioners and Locations they need, which keep the publisher's ids prefixed with its ODS code (`Schedule/example` becomes `Y90001.example`). Times are UK local with their offset. A slot is known by its schedule and start: publishing the same batch again changes nothing (200); a free slot published with other details is updated; a booked one cannot change. Emits SlotsPublished.",
    request: {
      description: 'A Slot, or a collection Bundle of Slots, Schedules, Practitioners and Locations',
      schema: z.union([SlotPublication, PublishedSlot]),
      example: publishSlotsRequest,
    },
    response: {
      status: 201,
      description:
        'The published Slots as they now are: the Slot for one Slot (with `Location`), a collection Bundle for a Bundle; 200 when nothing changed',
      schema: z.union([Bundle, Slot]),
      example: publishSlotsExample,
      headers: ['Location'],
    },
    errors: [
      {
        code: 'INVALID_RESOURCE',
        when: 'A resource is malformed or of another type, times lack the UK offset of their date, a slot is in the past or overlaps another of its schedule',
      },
      {
        code: 'REFERENCE_NOT_FOUND',
        when: 'A Schedule, Location or Practitioner is neither sent nor published before',
      },
      { code: 'ACCESS DENIED', when: "A slot belongs to another organisation's schedule" },
      { code: 'CONFLICT', when: 'A booked slot was published with other details' },
    ],
  },
  searchSlots: {
    description:
      "GP Connect Search for free slots, across every organisation of the ICS that publishes slots (or the ones named), one Query per organisation, in start order. `status=free` and a window of at most 14 days are required: GP Connect's `start=ge…&end=le…` (slots wholly inside) or FHIR's `start=ge…&start=le…` (slots starting inside), as dates or as UK local times with their offset (`+00:00` in GMT, `+01:00` in BST; never `Z`). With `_include=Slot:schedule` come the Schedules and the Organizations; `_include:recurse` adds their Practitioners and Locations.",
    parameters: {
      status: {
        description: 'Required, and only `free` (GP Connect)',
        required: true,
        schema: { type: 'string', enum: ['free'] },
        example: 'free',
      },
      start: {
        description:
          '`ge` the earliest start, required; `le` the latest start (instead of `end`). A date or a UK local time with its offset',
        required: true,
        repeats: 2,
        schema: { type: 'string', pattern: DATE_OR_UK_TIME },
        example: `ge${DAY}`,
      },
      end: {
        description: '`le` the latest end (GP Connect). A date or a UK local time with its offset',
        schema: { type: 'string', pattern: DATE_OR_UK_TIME },
        example: `le${DAY}`,
      },
      organization: {
        description: `ODS codes of members of the ICS (\`${ODS}|<ODS>\` or the code; comma separated for several)`,
        schema: { type: 'string', maxLength: 400 },
        example: 'Y90001',
      },
      'service-type': {
        description: 'The start of the slot type, as text (case does not matter)',
        schema: { type: 'string', maxLength: 200 },
        example: 'General GP',
      },
      _include: {
        description: '`Slot:schedule`: the Schedules of the slots, and their Organizations',
        schema: { type: 'string', enum: ['Slot:schedule'] },
        example: 'Slot:schedule',
      },
      '_include:recurse': {
        description:
          '`Schedule:actor:Practitioner`, `Schedule:actor:Location` or `Location:managingOrganization` (repeat for several)',
        repeats: 3,
        schema: {
          type: 'string',
          enum: ['Schedule:actor:Practitioner', 'Schedule:actor:Location', 'Location:managingOrganization'],
        },
        example: 'Schedule:actor:Location',
      },
      searchFilter: {
        description:
          "GP Connect's filter by the booking organisation's ODS code or type: accepted, and ignored (no slot here is kept for a kind of booker)",
        schema: { type: 'string', maxLength: 200 },
        example: `${ODS}|NX001`,
      },
      _count: {
        description: 'Slots a page, 1 to 500 (500 when absent)',
        schema: { type: 'integer', minimum: 1, maximum: 500 },
        example: '100',
      },
      _cursor: {
        description: 'Paging cursor: follow the `next` link rather than building it',
        schema: { type: 'string', maxLength: 100 },
        example: '2099-01-05T09:30:00.000Z#Y90001.example.209901050930',
      },
    },
    exampleQuery: `status=free&start=ge${DAY}&end=le${DAY}`,
    response: {
      status: 200,
      description:
        'A searchset Bundle: the free Slots in start order, then the resources asked for (`search.mode: include`)',
      schema: Bundle,
      example: searchSlotsExample,
    },
    errors: [
      { code: 'BAD_REQUEST', when: 'No status, no start, or no upper bound (GP Connect)' },
      {
        code: 'INVALID_PARAMETER',
        status: 422,
        when: 'status other than free; another prefix; a partial date, Z, a missing or wrong-season offset; a window over 14 days; an unknown organization or include; a bad _count or cursor',
      },
    ],
  },
  readSlot: {
    parameters: {
      id: {
        description:
          "Slot id, `<ODS>.<schedule>.<start, UTC yyyymmddhhmm>`; at a practice on GP Connect, `<ODS>.<practice's id>` (found among its free slots)",
        required: true,
        schema: { type: 'string', pattern: '^[A-Z0-9]{3,6}\\.[A-Za-z0-9.-]{1,64}$' },
        example: 'Y90001.example.209901051000',
      },
    },
    response: {
      status: 200,
      description: 'The Slot, free or busy',
      schema: Slot,
      example: readSlotExample,
      headers: ['ETag'],
    },
    errors: [{ code: 'NO_RECORD_FOUND', when: 'No slot has this id' }],
  },
  bookAppointment: {
    description:
      'GP Connect Book an appointment: one free slot for a patient, with a patient and a location participant, the booking organisation (your own) as a contained Organization referenced by the GP Connect extension, a description of at most 100 characters and a comment of at most 500. Exactly one of any number of concurrent bookings of a slot wins. Send an `X-Request-ID`: a retry with it answers the original 201. Emits AppointmentBooked.',
    request: {
      description: 'A GP-Connect-style Appointment (R4)',
      schema: AppointmentRequest,
      example: bookAppointmentRequest,
    },
    response: {
      status: 201,
      description: 'The booked Appointment',
      schema: Appointment,
      example: bookAppointmentExample,
      headers: ['Location', 'ETag'],
    },
    errors: [
      {
        code: 'INVALID_RESOURCE',
        when: "An element GP Connect does not allow (reason, specialty, priority…), a missing participant, start, end or description, text over its limit, times not the slot's, a slot in the past",
      },
      { code: 'REFERENCE_NOT_FOUND', when: 'The slot does not exist' },
      { code: 'INVALID_NHS_NUMBER', when: 'The patient is not a valid NHS number' },
      { code: 'PATIENT_NOT_FOUND', when: 'PDS has no living patient with this NHS number' },
      { code: 'ACCESS DENIED', when: 'The booking organisation is not your own' },
      { code: 'DUPLICATE_REJECTED', when: 'The slot is no longer free' },
      {
        code: 'INVALID_VALUE',
        status: 422,
        when: 'The X-Request-ID was used before for a different request',
      },
      { code: 'CONFLICT', when: 'The first request with this X-Request-ID is still running: retry shortly' },
    ],
  },
  readAppointment: {
    description:
      'GP Connect Read an appointment: a future appointment your organisation booked or hosts. A restricted (S-flag) patient’s appointment shows who booked it to the booking organisation only.',
    parameters: { id: appointmentId },
    response: {
      status: 200,
      description: 'The Appointment',
      schema: Appointment,
      example: readAppointmentExample,
      headers: ['ETag'],
    },
    errors: [
      { code: 'NO_RECORD_FOUND', when: 'No appointment has this id' },
      { code: 'ACCESS DENIED', when: 'Your organisation neither booked nor hosts it' },
      {
        code: 'INVALID_RESOURCE',
        when: 'The appointment is in the past (GP Connect reads future ones only)',
      },
    ],
  },
  updateAppointment: {
    description:
      "GP Connect Amend and Cancel an appointment: send back what you read, with `If-Match` its ETag. Amend changes description and comment only; cancel sets `status: cancelled` with `cancelationReason` (GP Connect's STU3 cancellation extension is read too), frees the slot for rebooking and emits AppointmentCancelled. Future appointments only.",
    parameters: { id: appointmentId },
    request: {
      description: 'The Appointment as read, with the new description or comment, or cancelled with a reason',
      schema: AppointmentRequest,
      example: updateAppointmentRequest,
    },
    response: {
      status: 200,
      description: 'The amended or cancelled Appointment',
      schema: Appointment,
      example: updateAppointmentExample,
      headers: ['ETag'],
    },
    errors: changeErrors,
  },
  searchAppointments: {
    description:
      "A patient's appointments starting on the days asked for, from today on, cancelled ones included, that your organisation booked or hosts: FHIR's form of GP Connect's Retrieve a patient's appointments.",
    parameters: {
      patient: {
        description: 'The patient: `Patient/<NHS number>`',
        required: true,
        schema: { type: 'string', pattern: '^(.*/)?Patient/\\d{10}$' },
        example: 'Patient/9990000026',
      },
      start: appointmentStart,
    },
    exampleQuery: `patient=Patient/9990000026&start=ge${DAY}&start=le${DAY}`,
    response: {
      status: 200,
      description:
        'A searchset Bundle of Appointments in start order, those at practices on GP Connect included; a practice that did not answer adds an OperationOutcome warning entry (search.mode outcome)',
      schema: Bundle,
      example: searchAppointmentsExample,
    },
    errors: rangeErrors,
  },
  searchPatientAppointments: {
    description:
      "GP Connect Retrieve a patient's appointments: every appointment starting on the days asked for, from today on, cancelled ones included, that your organisation booked or hosts.",
    parameters: {
      nhsNumber: {
        description: 'The NHS number',
        required: true,
        schema: { type: 'string', pattern: '^\\d{10}$' },
        example: '9990000026',
      },
      start: { ...appointmentStart, exampleQuery: `start=ge${DAY}&start=le${DAY}` },
    },
    response: {
      status: 200,
      description:
        'A searchset Bundle of Appointments in start order, those at practices on GP Connect included; a practice that did not answer adds an OperationOutcome warning entry (search.mode outcome)',
      schema: Bundle,
      example: searchPatientAppointmentsExample,
    },
    errors: rangeErrors,
  },
}
