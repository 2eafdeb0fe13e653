import { createServer } from 'node:http'
import { mintToken } from '../local/dev-keys'
import { bookingRequest } from '../seed/bookingRequest'
import { demoPatientRecords } from '../seed/demoPatients'
import { listenBare, startBenchStack } from './bench-stack'
import { announce, exitWithParent } from './processes'

/*
 * The servers the booking and slot-search suites load, in one process of their own, over a
 * DynamoDB (dynalite) in another, as on AWS (the load generator runs in the bench process):
 *
 * - the local stack as `npm start` runs it, with the rate limit lifted;
 * - the baseline: a bare node:http server in the same process making the same storage
 *   calls through the same document client against the same dynalite, and nothing else:
 *   the booking's conditional UpdateItem on a free slot, and slot search's one Query per
 *   organisation on the by-start index.
 *
 * Slots are bulk-loaded as the appointment book writes them (DynamoDbAppointmentBook's own
 * item builder): a pool of free slots for each side of the booking suite, and every member
 * of the ICS with SEARCH_SLOTS_PER_DAY slots a day for SEARCH_DAYS days for slot search.
 */

/** What the server tells the suites once it is ready. */
export interface AppointmentBenchServers {
  stackUrl: string
  bareUrl: string
  /** NX001 with `appointment.read appointment.write`. */
  token: string
  /** Unrestricted living demo patients, for booking bodies. */
  patients: string[]
  /** Free slots for bookings through the stack, and for the bare server. */
  stackSlots: BenchSlot[]
  bareSlots: string[]
  /** The days (yyyy-mm-dd, UK) that carry SEARCH_SLOTS_PER_DAY slots at every member. */
  searchDays: string[]
  /** Slots a day at every member on those days. */
  slotsPerDay: number
  organisations: string[]
}

export interface BenchSlot {
  id: string
  start: string
  end: string
  location: string
}

// Never import values from this module: importing it runs it (it is a child's entry point).
const SEARCH_DAYS = 14
const SEARCH_SLOTS_PER_DAY = 100
/** Free slots bulk-loaded per side of the booking suite. */
const BOOKING_POOL = Number(process.argv[2] ?? 7_000)
/** The stack's DynamoDB, in a process of its own (startChildOnOwnDynamo). */
const dynamoEndpoint = process.argv[3]
if (!dynamoEndpoint) throw new Error('usage: appointments-server.ts <pool> <DynamoDB endpoint>')

const { stack, keys, stop: stopStack } = await startBenchStack({ dynamoEndpoint })
const { documentClient, tableNameOf } = await import('../../functions/shared/dynamodb')
const { BatchWriteCommand, QueryCommand, UpdateCommand } = await import('@aws-sdk/lib-dynamodb')
const { slotItemOf, publisherItemOf } = await import(
  '../../functions/shared/appointments/DynamoDbAppointmentBook'
)
const { slotIdOf } = await import('../../functions/shared/appointments/AppointmentBook')
const { publishSlots } = await import('../../functions/appointments/publishing')
const { DynamoDbAppointmentBook } = await import(
  '../../functions/shared/appointments/DynamoDbAppointmentBook'
)
const { currentIcs } = await import('../../functions/shared/ics')
const { isRestricted } = await import('../../functions/shared/patients/confidentiality')
const { addDays, ukDate, ukDateTime, ukWallClock } = await import('../../functions/shared/time')
const { DynamoDbAuditTrail } = await import('../../functions/shared/audit/DynamoDbAuditTrail')
const { MinimalAuditTrail } = await import('./minimal-audit')
const { randomUUID } = await import('node:crypto')

const table = tableNameOf('appointments')
const ics = currentIcs()
const organisations = ics.members.map((member) => member.ods)
const book = new DynamoDbAppointmentBook()
const quietPublisher = { publish: async () => [] as string[] }

/** Each organisation's bench Location and Schedule, published through the publishing code. */
async function publishBenchSchedule(ods: string, schedule: string, firstDay: string) {
  const start = ukWallClock(addDays(firstDay, 400), '07:00')
  await publishSlots(
    {
      resourceType: 'Bundle',
      type: 'collection',
      entry: [
        { resource: { resourceType: 'Location', id: 'bench-site', name: `Bench site of ${ods}` } },
        {
          resource: {
            resourceType: 'Schedule',
            id: schedule,
            serviceCategory: [{ text: 'Bench clinic' }],
            actor: [{ reference: 'Location/bench-site' }],
          },
        },
        {
          resource: {
            resourceType: 'Slot',
            serviceType: [{ text: 'Bench appointment' }],
            schedule: { reference: `Schedule/${schedule}` },
            status: 'free',
            start: ukDateTime(start),
            end: ukDateTime(new Date(start.getTime() + 300_000)),
          },
        },
      ],
    },
    {
      sub: 'bench',
      organisation: ods,
      ics: ics.ics,
      scopes: new Set(['slot.write']),
      purposeOfUse: 'directcare',
    },
    { correlationId: 'bench' },
    { book, publisher: quietPublisher, clock: () => new Date(), ics },
  )
}

function freeSlot(ods: string, schedule: string, start: Date, minutes: number) {
  const scheduleId = `${ods}.${schedule}`
  return {
    id: slotIdOf(scheduleId, start.toISOString()),
    hostOds: ods,
    scheduleId,
    start: start.toISOString(),
    end: new Date(start.getTime() + minutes * 60_000).toISOString(),
    serviceType: 'Bench appointment',
    serviceCategory: 'Bench clinic',
    locationId: `${ods}.bench-site`,
    status: 'free' as const,
    bookings: 0,
    version: 1,
    publishedAt: new Date().toISOString(),
  }
}

async function bulkLoad(items: Record<string, unknown>[]) {
  const batches: Record<string, unknown>[][] = []
  for (let start = 0; start < items.length; start += 25) batches.push(items.slice(start, start + 25))
  let next = 0
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      while (next < batches.length) {
        let pending = batches[next++]!.map((Item) => ({ PutRequest: { Item } }))
        for (let round = 0; pending.length; round++) {
          const result = await documentClient.send(
            new BatchWriteCommand({ RequestItems: { [table]: pending } }),
          )
          pending = (result.UnprocessedItems?.[table] ?? []) as typeof pending
          if (pending.length) await new Promise((resolve) => setTimeout(resolve, 10 * 2 ** round))
        }
      }
    }),
  )
}

const firstDay = addDays(ukDate(new Date()), 1)
const searchDays = Array.from({ length: SEARCH_DAYS }, (_, day) => addDays(firstDay, day))
for (const ods of organisations) await publishBenchSchedule(ods, 'bench', firstDay)
await publishBenchSchedule('Y90001', 'pool', firstDay)
await publishBenchSchedule('Y90002', 'bare', firstDay)

// Slot search's data set: every member, SEARCH_SLOTS_PER_DAY five-minute slots a day from 08:00.
const searchItems = organisations.flatMap((ods) =>
  searchDays.flatMap((day) =>
    Array.from({ length: SEARCH_SLOTS_PER_DAY }, (_, index) =>
      slotItemOf(freeSlot(ods, 'bench', new Date(ukWallClock(day, '08:00').getTime() + index * 300_000), 5)),
    ),
  ),
)
// The booking pools: one-minute slots from 400 days ahead, where nothing else lives.
const poolStart = ukWallClock(addDays(firstDay, 401), '00:00').getTime()
const stackPool = Array.from({ length: BOOKING_POOL }, (_, index) =>
  freeSlot('Y90001', 'pool', new Date(poolStart + index * 60_000), 1),
)
const barePool = Array.from({ length: BOOKING_POOL }, (_, index) =>
  freeSlot('Y90002', 'bare', new Date(poolStart + index * 60_000), 1),
)
await bulkLoad([
  ...searchItems,
  ...[...stackPool, ...barePool].map(slotItemOf),
  ...organisations.map((ods) =>
    publisherItemOf(ods, new Date(Date.parse(`${addDays(firstDay, 500)}T00:00:00Z`)).toISOString()),
  ),
])

const token = await mintToken(keys, {
  org: 'NX001',
  scopes: 'appointment.read appointment.write',
  ics: stack.ics,
})
const patients = demoPatientRecords()
  .filter(
    (record) =>
      record.status === 'active' && !isRestricted(record.patient) && !record.patient.deceasedDateTime,
  )
  .map((record) => record.nhsNumber)

// The fair baseline of a booking writes an audit record of the size the stack writes for one:
// a real booking through the stack (of the last pool slot) gives the template.
const auditTable = tableNameOf('audit')
const templateSlot = stackPool.pop()!
const templateBooking = await fetch(`${stack.baseUrl}/Appointment`, {
  method: 'POST',
  headers: { authorization: `Bearer ${token}`, 'content-type': 'application/fhir+json' },
  body: JSON.stringify(
    bookingRequest({
      slot: {
        id: templateSlot.id,
        start: ukDateTime(new Date(templateSlot.start)),
        end: ukDateTime(new Date(templateSlot.end)),
      },
      patient: patients[0]!,
      places: [`Location/${templateSlot.locationId}`],
      description: 'Bench booking',
    }),
  ),
})
if (templateBooking.status !== 201) throw new Error(`the template booking answered ${templateBooking.status}`)
const auditHead = await new DynamoDbAuditTrail(documentClient, auditTable).head(patients[0]!)
if (!auditHead) throw new Error('the template booking wrote no audit record')
const bookingTrail = new MinimalAuditTrail(documentClient, auditTable, { ...auditHead }, 'booking')

const FHIR_JSON = 'application/fhir+json; charset=utf-8'
const bare = createServer((request, response) => {
  const url = new URL(request.url ?? '/', 'http://localhost')
  const send = (status: number, body: string) => {
    response.writeHead(status, { 'Content-Type': FHIR_JSON })
    response.end(body)
  }
  const booking = /^(\/audited)?\/Appointment\/([A-Za-z0-9.-]+)$/.exec(url.pathname)
  if (request.method === 'POST' && booking) {
    request.resume()
    // The booking's one conditional write (the slot item is the appointment), then, on
    // `/audited/...`, the audit record's one conditional put: the least a correct booking does.
    const audited = booking[1] !== undefined
    const slotId = booking[2]!
    const patient = patients[Number(slotId.slice(-2)) % patients.length]!
    const [ods, local, time] = slotId.split('.') as [string, string, string]
    documentClient
      .send(
        new UpdateCommand({
          TableName: table,
          Key: { pk: `SCHEDULE#${ods}.${local}`, sk: `SLOT#${time}` },
          UpdateExpression:
            'SET #status = :busy, booking = :booking, bookings = :n, version = version + :one, patientKey = :patient',
          ConditionExpression: '#status = :free AND bookings = :previous',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: {
            ':busy': 'busy',
            ':free': 'free',
            ':booking': {
              n: 1,
              requestId: 'bench',
              nhsNumber: '9000000009',
              description: 'Bench',
              version: 1,
            },
            ':n': 1,
            ':previous': 0,
            ':one': 1,
            ':patient': 'PATIENT#9000000009',
          },
        }),
      )
      // A chain per booking: concurrent bookings never race for one head.
      .then(() => (audited ? bookingTrail.append(`${patient}#${slotId}`, randomUUID()) : undefined))
      .then(
        () => send(201, JSON.stringify({ resourceType: 'Appointment', id: `${slotId}.1`, status: 'booked' })),
        (error: Error) => send(error.name === 'ConditionalCheckFailedException' ? 409 : 500, '{}'),
      )
    return
  }
  const day = url.searchParams.get('day')
  if (request.method === 'GET' && url.pathname === '/Slot' && day) {
    // Slot search's storage calls: one Query per organisation on the by-start index, nothing else.
    const from = ukWallClock(day).toISOString()
    const to = `${new Date(ukWallClock(addDays(day, 1)).getTime() - 1).toISOString()}#~`
    Promise.all(
      organisations.map((ods) =>
        documentClient.send(
          new QueryCommand({
            TableName: table,
            IndexName: 'bySlotStart',
            KeyConditionExpression: 'slotOrg = :ods AND slotStart BETWEEN :from AND :to',
            FilterExpression: '#status = :free OR attribute_exists(booking.cancellation)',
            ExpressionAttributeNames: { '#status': 'status' },
            ExpressionAttributeValues: { ':ods': ods, ':from': from, ':to': to, ':free': 'free' },
            Limit: 501,
          }),
        ),
      ),
    ).then(
      (pages) => send(200, JSON.stringify(pages.flatMap((page) => page.Items ?? []))),
      () => send(500, '{}'),
    )
    return
  }
  request.resume()
  send(404, '{}')
})
const bareUrl = await listenBare(bare)

const servers: AppointmentBenchServers = {
  stackUrl: stack.baseUrl,
  bareUrl,
  token,
  patients,
  stackSlots: stackPool.map((slot) => ({
    id: slot.id,
    start: ukDateTime(new Date(slot.start)),
    end: ukDateTime(new Date(slot.end)),
    location: slot.locationId,
  })),
  bareSlots: barePool.map((slot) => slot.id),
  searchDays,
  slotsPerDay: SEARCH_SLOTS_PER_DAY,
  organisations,
}

exitWithParent(async () => {
  bare.closeAllConnections()
  bare.close()
  await stopStack()
})
announce(servers)
