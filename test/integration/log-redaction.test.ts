import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { NHS_NUMBER_SYSTEM, ODS_CODE_SYSTEM } from '../../schemas/fhir/identifiers'
import { bookingRequest } from '../../scripts/seed/bookingRequest'
import { DEMO_PATIENTS, demoPatientRecords } from '../../scripts/seed/demoPatients'
import { bootStack, type RunningStack } from './harness'

// Every line the functions and the local runtime write during a tour of every route, at
// DEBUG, must be free of seeded NHS numbers, family names and postcodes.
const captured: string[] = []
const originalStdout = process.stdout.write.bind(process.stdout)
const originalStderr = process.stderr.write.bind(process.stderr)
let running: RunningStack

function capture(original: typeof process.stdout.write) {
  return ((chunk: string | Uint8Array, ...rest: unknown[]) => {
    captured.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'))
    return (original as (chunk: string | Uint8Array, ...args: unknown[]) => boolean)(chunk, ...rest)
  }) as typeof process.stdout.write
}

beforeAll(async () => {
  process.env.LOG_LEVEL = 'DEBUG'
  process.stdout.write = capture(originalStdout)
  process.stderr.write = capture(originalStderr)
  running = await bootStack()
})

afterAll(async () => {
  await running.stop()
  process.stdout.write = originalStdout
  process.stderr.write = originalStderr
})

const seeded = demoPatientRecords().flatMap((record) => (record.status === 'active' ? [record.patient] : []))

describe('logs', () => {
  it('never carry a seeded NHS number, family name or postcode in clear', async () => {
    // Act: a tour of every route, with successes and failures, sending personal data in paths, queries and bodies
    const all = await running.token('NX001', 'patient.read record.read audit.read')
    const writer = await running.token('RX9', 'pointer.write')
    const requests: [string, RequestInit & { token?: string }][] = [
      ['/metadata', {}],
      ['/docs', {}],
      [`/Patient/${DEMO_PATIENTS.registered}`, { token: all }],
      [`/Patient/${DEMO_PATIENTS.restricted}`, { token: all }],
      [`/Patient/${DEMO_PATIENTS.superseded}`, { token: all }],
      [`/Patient/${DEMO_PATIENTS.neverSeeded}`, { token: all }],
      ['/Patient/9000000008', { token: all }],
      [
        '/Patient?family=Smith&given=Jane&birthdate=eq2010-10-22&address-postalcode=LS1%206AE',
        { token: all },
      ],
      ['/Patient?family=Smythe&birthdate=eq2010-10-22&gender=female', { token: all }],
      ['/Patient?family=Sm*&birthdate=ge1990-01-01&birthdate=le2010-12-31&_max-results=1', { token: all }],
      ['/Patient?family=Taylor&birthdate=nonsense', { token: all }],
      [
        `/DocumentReference?subject:identifier=${NHS_NUMBER_SYSTEM}|${DEMO_PATIENTS.registered}`,
        { token: all },
      ],
      [`/DocumentReference?subject:identifier=${NHS_NUMBER_SYSTEM}|9000000008`, { token: all }],
      [`/AuditEvent?patient=${DEMO_PATIENTS.registered}`, { token: all }],
      [`/Patient/${DEMO_PATIENTS.registered}`, { token: await running.token('ZZ999', 'patient.read') }],
      [`/Patient/${DEMO_PATIENTS.registered}`, {}],
      [
        '/DocumentReference',
        {
          method: 'POST',
          token: writer,
          headers: { 'Content-Type': 'application/fhir+json' },
          body: JSON.stringify({
            resourceType: 'DocumentReference',
            status: 'current',
            type: { coding: [{ system: 'http://snomed.info/sct', code: '736253002' }] },
            subject: { identifier: { system: NHS_NUMBER_SYSTEM, value: DEMO_PATIENTS.deceased } },
            custodian: { identifier: { system: ODS_CODE_SYSTEM, value: 'RX9' } },
          }),
        },
      ],
      [
        '/DocumentReference',
        {
          method: 'POST',
          token: writer,
          headers: { 'Content-Type': 'application/fhir+json' },
          body: JSON.stringify({
            resourceType: 'DocumentReference',
            subject: { display: 'Jane Smith, LS1 6AE' },
          }),
        },
      ],
      [
        '/DocumentReference',
        {
          method: 'POST',
          token: writer,
          headers: { 'Content-Type': 'application/fhir+json' },
          body: '{"family":"Smith",',
        },
      ],
      [
        `/DocumentReference?subject:identifier=${NHS_NUMBER_SYSTEM}|${DEMO_PATIENTS.deceased}&custodian:identifier=${ODS_CODE_SYSTEM}|RX9`,
        { method: 'DELETE', token: writer },
      ],
      [`/Nowhere/${DEMO_PATIENTS.registered}?family=Smith`, {}],
      ...[
        DEMO_PATIENTS.federated,
        DEMO_PATIENTS.restricted,
        DEMO_PATIENTS.dissented,
        DEMO_PATIENTS.superseded,
      ].map((patient): [string, RequestInit & { token?: string }] => [
        '/Patient/$gpc.getstructuredrecord',
        {
          method: 'POST',
          token: all,
          headers: { 'Content-Type': 'application/fhir+json' },
          body: JSON.stringify({
            resourceType: 'Parameters',
            parameter: [
              { name: 'patientNHSNumber', valueIdentifier: { system: NHS_NUMBER_SYSTEM, value: patient } },
              { name: 'includeAllergies', part: [{ name: 'includeResolvedAllergies', valueBoolean: true }] },
              { name: 'includeMedication', part: [{ name: 'medicationSearchFromDate', valueDate: 'Smith' }] },
            ].slice(0, patient === DEMO_PATIENTS.dissented ? 3 : 2),
          }),
        },
      ]),
    ]
    for (const [path, init] of requests) await running.request(path, init)
    // Appointments: a search, a booking for the demo patient, its read, amendment, cancellation and listing
    const booker = await running.token('NX001', 'appointment.read appointment.write')
    const today = new Date().toISOString().slice(0, 10)
    const later = new Date(Date.now() + 10 * 86_400_000).toISOString().slice(0, 10)
    const found = (await (
      await running.request(`/Slot?status=free&start=ge${today}&end=le${later}&organization=Y90001`, {
        token: booker,
      })
    ).json()) as { entry?: { resource: { id: string; start: string; end: string } }[] }
    const slot = found.entry?.at(-1)?.resource
    const appointment = (body: Record<string, unknown>) => ({
      method: body.id ? 'PUT' : 'POST',
      token: booker,
      headers: { 'Content-Type': 'application/fhir+json', ...(body.id ? { 'If-Match': 'W/"1"' } : {}) },
      body: JSON.stringify({
        ...bookingRequest({
          slot: { id: `${slot?.id}`, start: `${slot?.start}`, end: `${slot?.end}` },
          patient: DEMO_PATIENTS.registered,
          places: ['Location/Y90001.surgery'],
          description: 'Follow-up for Jane Smith of LS1 6AE',
        }),
        ...body,
      }),
    })
    const booked = (await (await running.request('/Appointment', appointment({}))).json()) as { id?: string }
    await running.request('/Appointment', appointment({}))
    if (booked.id) {
      await running.request(`/Appointment/${booked.id}`, { token: booker })
      await running.request(
        `/Appointment/${booked.id}`,
        appointment({
          id: booked.id,
          status: 'cancelled',
          cancelationReason: { text: 'Jane Smith moved to LS2 7EE' },
        }),
      )
    }
    await running.request(
      `/Patient/${DEMO_PATIENTS.registered}/Appointment?start=ge${today}&start=le${later}`,
      {
        token: booker,
      },
    )
    await running.stack.bus.idle()
    const logs = captured.join('')

    // Assess: something was logged at all, and none of it is personal
    expect(logs).toContain('request finished')
    const leaks: string[] = []
    for (const patient of seeded) {
      if (logs.includes(patient.id)) leaks.push(`NHS number ${patient.id}`)
      const family = patient.name?.[0]?.family
      if (family && new RegExp(`\\b${family.replace(/[^A-Za-z' -]/g, '')}\\b`, 'i').test(logs))
        leaks.push(`family name ${family}`)
      const postcode = patient.address?.[0]?.postalCode
      if (postcode && (logs.includes(postcode) || logs.includes(postcode.replace(' ', ''))))
        leaks.push(`postcode ${postcode}`)
    }
    expect([...new Set(leaks)]).toEqual([])
  })
})
