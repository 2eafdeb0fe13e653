import fc from 'fast-check'
import { ukDateTime } from '../../functions/shared/time'
import {
  hostileValue,
  hugeText,
  type Json,
  nastyText,
  nestedValue,
  PROTOTYPE_NAMES,
  wrongTypeValue,
} from './hostile'
import {
  DEMO_SLOTS,
  NHS_NUMBER_SYSTEM,
  nhsNumberLike,
  ODS_CODE_SYSTEM,
  odsCodeLike,
  recordTypeCoding,
  SEEDED_NHS_NUMBERS,
} from './identifiers'

/** The body of a fuzzed request, as sent: text and the Content-Type header (absent when undefined). */
export interface FuzzBody {
  text: string
  contentType: string | undefined
}

/**
 * A valid NRL-style pointer registration, as test/integration/patient-index.test.ts sends
 * it. `custodian` is the caller's own ODS code most of the time, so mutations start from
 * a body that gets past validation and the custodian check into the domain code.
 */
export function pointerRegistration(callerOds: string | undefined): fc.Arbitrary<Json> {
  return fc
    .record({
      nhsNumber: nhsNumberLike,
      custodian: callerOds
        ? fc.oneof(
            { weight: 3, arbitrary: fc.constant(callerOds) },
            { weight: 1, arbitrary: fc.string({ maxLength: 8 }) },
          )
        : fc.string({ maxLength: 8 }),
      type: recordTypeCoding,
      url: fc.oneof(
        {
          weight: 3,
          arbitrary: fc.constantFrom(
            'https://fhir.demo-general.example.nhs.uk/R4',
            'http://example.org/fhir',
            'ftp://example.org',
            'javascript:alert(1)',
            'not a url',
          ),
        },
        // Untrusted endpoints (security review, finding 7): metadata, private and loopback
        // hosts in every notation, credentials, and URLs up to past EventBridge's 256 KB.
        {
          weight: 2,
          arbitrary: fc.constantFrom(
            'http://169.254.169.254/latest/meta-data/',
            'https://169.254.169.254/',
            'https://2852039166/',
            'https://0xa9.0xfe.0xa9.0xfe/',
            'https://[::ffff:169.254.169.254]/',
            'https://[fd00:ec2::254]/',
            'https://user:pass@fhir.example.nhs.uk/R4',
            'https://10.0.0.1/',
            'https://127.1/',
            'http://127.0.0.1:3000/_local/rules',
            'https://localhost/',
            'https://metadata.google.internal/',
            'https://[::1]/',
          ),
        },
        {
          weight: 1,
          arbitrary: fc
            .constantFrom(2_000, 2_049, 40_000, 240 * 1024, 300 * 1024)
            .map((length) => `https://fhir.example.nhs.uk/${'a'.repeat(length)}`),
        },
      ),
      withContent: fc.boolean(),
    })
    .map(({ nhsNumber, custodian, type, url, withContent }) => {
      const body: { [key: string]: Json } = {
        resourceType: 'DocumentReference',
        status: 'current',
        type: { coding: [type] },
        subject: { identifier: { system: NHS_NUMBER_SYSTEM, value: nhsNumber } },
        custodian: { identifier: { system: ODS_CODE_SYSTEM, value: custodian } },
      }
      if (withContent) body.content = [{ attachment: { url } }]
      return body
    })
}

/** A whole date (yyyy-mm-dd), a partial one, one with a time, a future one, or nonsense. */
const searchDate: fc.Arbitrary<string> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc
      .date({ min: new Date('2000-01-01'), max: new Date('2025-12-31'), noInvalidDate: true })
      .map((date) => date.toISOString().slice(0, 10)),
  },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      '2024',
      '2024-06',
      '2024-06-01T10:00:00+01:00',
      '2099-01-01',
      '2024-02-30',
      '',
      'today',
    ),
  },
)

/** A part parameter of `$gpc.getstructuredrecord`, mostly well typed. */
function part(name: string, value: fc.Arbitrary<[string, Json]>): fc.Arbitrary<Json> {
  return value.map(([element, inner]) => ({ name, [element]: inner }))
}

/**
 * A GP Connect `$gpc.getstructuredrecord` Parameters body: the patient (seeded or not,
 * valid or not) and a random set of clinical areas with their part parameters, so that
 * requests reach the parameter rules, the patient checks and the federation behind them.
 */
export function structuredRecordParameters(): fc.Arbitrary<Json> {
  const period = fc
    .record({
      start: fc.option(searchDate, { nil: undefined }),
      end: fc.option(searchDate, { nil: undefined }),
    })
    .map(({ start, end }) => ({ ...(start ? { start } : {}), ...(end ? { end } : {}) }) as Json)
  const areas: Record<string, fc.Arbitrary<Json>[]> = {
    includeAllergies: [
      part(
        'includeResolvedAllergies',
        fc.boolean().map((value) => ['valueBoolean', value]),
      ),
    ],
    includeMedication: [
      part(
        'medicationSearchFromDate',
        searchDate.map((value) => ['valueDate', value]),
      ),
      part(
        'includePrescriptionIssues',
        fc.boolean().map((value) => ['valueBoolean', value]),
      ),
    ],
    includeConsultations: [
      part(
        'consultationSearchPeriod',
        period.map((value) => ['valuePeriod', value]),
      ),
      part(
        'includeNumberOfMostRecent',
        fc.integer({ min: -1, max: 5 }).map((value) => ['valuePositiveInt', value]),
      ),
    ],
    includeProblems: [
      part(
        'filterStatus',
        fc.constantFrom('active', 'inactive', 'resolved').map((value) => ['valueCode', value]),
      ),
    ],
    includeImmunisations: [
      part(
        'includeNotGiven',
        fc.boolean().map((value) => ['valueBoolean', value]),
      ),
      part(
        'includeStatus',
        fc.boolean().map((value) => ['valueBoolean', value]),
      ),
    ],
    includeUncategorisedData: [
      part(
        'uncategorisedDataSearchPeriod',
        period.map((value) => ['valuePeriod', value]),
      ),
    ],
    includeInvestigations: [
      part(
        'investigationSearchPeriod',
        period.map((value) => ['valuePeriod', value]),
      ),
    ],
    includeReferrals: [
      part(
        'referralSearchPeriod',
        period.map((value) => ['valuePeriod', value]),
      ),
    ],
    includeDiaryEntries: [
      part(
        'diaryEntriesSearchDate',
        searchDate.map((value) => ['valueDate', value]),
      ),
    ],
  }
  const area = fc
    .constantFrom(...Object.keys(areas))
    .chain((name) =>
      fc
        .subarray(areas[name]!)
        .chain((parts) =>
          parts.length
            ? fc.tuple(...parts).map((values) => ({ name, part: values }) as Json)
            : fc.constant({ name } as Json),
        ),
    )
  return fc
    .record({
      nhsNumber: nhsNumberLike,
      areas: fc.uniqueArray(area, { maxLength: 4, selector: (value) => (value as { name: string }).name }),
    })
    .map(({ nhsNumber, areas: chosen }) => ({
      resourceType: 'Parameters',
      parameter: [
        { name: 'patientNHSNumber', valueIdentifier: { system: NHS_NUMBER_SYSTEM, value: nhsNumber } },
        ...chosen,
      ],
    }))
}

/**
 * A slot publication of the caller's own organisation: a Location, a Schedule and a few
 * future slots (sometimes another organisation's schedule, sometimes an overlap).
 */
export function slotPublication(callerOds: string | undefined): fc.Arbitrary<Json> {
  return fc
    .record({
      schedule: fc.constantFrom('fuzz', 'gp', 'nurse', 'Y90002.gp', 'Y90001.gp'),
      daysAhead: fc.integer({ min: 1, max: 13 }),
      count: fc.integer({ min: 1, max: 4 }),
      minutes: fc.constantFrom(10, 15, 30, 0, -5),
      offset: fc.constantFrom('local', 'Z', 'none'),
      channel: fc.constantFrom('In-person', 'Telephone', 'Video', 'Carrier pigeon'),
    })
    .map(({ schedule, daysAhead, count, minutes, offset, channel }): Json => {
      const first = Math.ceil(Date.now() / 3_600_000) * 3_600_000 + daysAhead * 86_400_000
      const time = (at: number) => {
        const local = ukDateTime(new Date(at))
        return offset === 'local' ? local : offset === 'Z' ? new Date(at).toISOString() : local.slice(0, 19)
      }
      return {
        resourceType: 'Bundle',
        type: 'collection',
        entry: [
          {
            resource: {
              resourceType: 'Location',
              id: 'fuzz-site',
              name: 'Fuzz Site',
              managingOrganization: { identifier: { system: ODS_CODE_SYSTEM, value: callerOds ?? 'Y90001' } },
            },
          },
          {
            resource: { resourceType: 'Schedule', id: 'fuzz', actor: [{ reference: 'Location/fuzz-site' }] },
          },
          ...Array.from({ length: count }, (_, index) => ({
            resource: {
              resourceType: 'Slot',
              extension: [
                {
                  url: 'https://fhir.nhs.uk/STU3/StructureDefinition/Extension-GPConnect-DeliveryChannel-2',
                  valueCode: channel,
                },
              ],
              serviceType: [{ text: 'Fuzz clinic' }],
              schedule: { reference: `Schedule/${schedule}` },
              status: 'free',
              start: time(first + index * 600_000),
              end: time(first + index * 600_000 + minutes * 60_000),
            },
          })),
        ],
      }
    })
}

/** A GP-Connect-style Appointment for a demo slot, booked as the caller (usually). */
export function appointmentBooking(callerOds: string | undefined): fc.Arbitrary<Json> {
  return fc
    .record({
      slot: fc.constantFrom(...DEMO_SLOTS),
      patient: fc.oneof(
        { weight: 5, arbitrary: fc.constantFrom(...SEEDED_NHS_NUMBERS) },
        { weight: 1, arbitrary: nhsNumberLike },
      ),
      booker: callerOds
        ? fc.oneof({ weight: 4, arbitrary: fc.constant(callerOds) }, { weight: 1, arbitrary: odsCodeLike })
        : odsCodeLike,
      description: fc.oneof(
        { weight: 4, arbitrary: fc.constantFrom('Follow-up', 'Dressing change') },
        { weight: 1, arbitrary: fc.constantFrom('d'.repeat(100), 'd'.repeat(101), '') },
      ),
      comment: fc.oneof(
        { weight: 6, arbitrary: fc.constantFrom(undefined, 'Bring letter') },
        { weight: 1, arbitrary: fc.constantFrom('c'.repeat(500), 'c'.repeat(501)) },
      ),
      status: fc.oneof(
        { weight: 6, arbitrary: fc.constant('booked') },
        { weight: 1, arbitrary: fc.constantFrom('cancelled', 'proposed') },
      ),
      reason: fc.oneof(
        { weight: 6, arbitrary: fc.constant(undefined) },
        { weight: 1, arbitrary: fc.constantFrom('Patient asked', '') },
      ),
    })
    .map(
      ({ slot, patient, booker, description, comment, status, reason }): Json => ({
        resourceType: 'Appointment',
        status,
        description,
        ...(comment !== undefined ? { comment } : {}),
        ...(reason !== undefined ? { cancelationReason: { text: reason } } : {}),
        start: slot.start,
        end: slot.end,
        slot: [{ reference: `Slot/${slot.id}` }],
        contained: [
          {
            resourceType: 'Organization',
            id: '1',
            identifier: [{ system: ODS_CODE_SYSTEM, value: booker }],
            name: 'Fuzzing Organisation',
            telecom: [{ system: 'phone', value: '0300 000 0000' }],
          },
        ],
        extension: [
          {
            url: 'https://fhir.nhs.uk/STU3/StructureDefinition/Extension-GPConnect-BookingOrganisation-1',
            valueReference: { reference: '#1' },
          },
        ],
        participant: [
          {
            actor: {
              reference: `Patient/${patient}`,
              identifier: { system: NHS_NUMBER_SYSTEM, value: patient },
            },
            status: 'accepted',
          },
          { actor: { reference: `Location/${slot.location}` }, status: 'accepted' },
        ],
      }),
    )
}

/** A message Bundle (write-back or discharge) from the caller (usually), about a seeded patient (usually). */
export function processMessageBundle(callerOds: string | undefined): fc.Arbitrary<Json> {
  return fc
    .record({
      patient: fc.oneof(
        { weight: 5, arbitrary: fc.constantFrom(...SEEDED_NHS_NUMBERS) },
        { weight: 1, arbitrary: nhsNumberLike },
      ),
      sender: callerOds
        ? fc.oneof({ weight: 4, arbitrary: fc.constant(callerOds) }, { weight: 1, arbitrary: odsCodeLike })
        : odsCodeLike,
      event: fc.constantFrom('discharge-summary', 'update-record', 'unknown'),
      bundleId: fc.oneof(fc.uuid(), fc.constantFrom('fuzz-bundle', '')),
      headerId: fc.oneof(fc.uuid(), fc.constantFrom('fuzz-header')),
      reference: fc.constantFrom(
        'Patient/p',
        'Patient/elsewhere',
        'urn:uuid:x',
        '#c',
        'http://example.org/Patient/p',
      ),
    })
    .map(
      ({ patient, sender, event, bundleId, headerId, reference }): Json => ({
        resourceType: 'Bundle',
        id: bundleId,
        type: 'message',
        entry: [
          {
            resource: {
              resourceType: 'MessageHeader',
              id: headerId,
              eventCoding: { code: event },
              sender: { identifier: { system: ODS_CODE_SYSTEM, value: sender } },
              source: { endpoint: 'https://fuzz.example.org' },
            },
          },
          {
            resource: {
              resourceType: 'Patient',
              id: 'p',
              identifier: [{ system: NHS_NUMBER_SYSTEM, value: patient }],
            },
          },
          { resource: { resourceType: 'Composition', id: 'c', status: 'final', subject: { reference } } },
          {
            resource: {
              resourceType: 'MedicationStatement',
              id: 'm',
              status: 'active',
              subject: { reference: 'Patient/p' },
              medicationCodeableConcept: { text: 'Amoxicillin' },
            },
          },
        ],
      }),
    )
}

/** A rest-hook Subscription of the caller (usually), to an endpoint that may be hostile. */
export function subscriptionRequest(callerOds: string | undefined): fc.Arbitrary<Json> {
  return fc
    .record({
      recipient: callerOds
        ? fc.oneof({ weight: 4, arbitrary: fc.constant(callerOds) }, { weight: 1, arbitrary: odsCodeLike })
        : odsCodeLike,
      event: fc.constantFrom('DischargeSummaryPublished', 'ConsultationSummaryRecorded', 'AppointmentBooked'),
      endpoint: fc.constantFrom(
        'https://inbox.example.org/joinup',
        'http://127.0.0.1:9/inbox',
        'http://169.254.169.254/latest/meta-data/',
        'https://user:pass@example.org/',
        'https://10.0.0.1/',
        'not a url',
      ),
    })
    .map(
      ({ recipient, event, endpoint }): Json => ({
        resourceType: 'Subscription',
        status: 'requested',
        reason: 'fuzz',
        criteria: `${event}?recipient=${recipient}`,
        channel: { type: 'rest-hook', endpoint, payload: 'application/fhir+json' },
      }),
    )
}

/**
 * Valid starting bodies per operationId. A route that gains a body should get an entry
 * here, so mutations start from a body that passes validation; until then its bodies are
 * random FHIR-looking resources.
 */
export const VALID_BODIES: Readonly<Record<string, (callerOds: string | undefined) => fc.Arbitrary<Json>>> = {
  registerPointer: pointerRegistration,
  getStructuredRecord: () => structuredRecordParameters(),
  publishSlots: slotPublication,
  bookAppointment: appointmentBooking,
  updateAppointment: appointmentBooking,
  processMessage: processMessageBundle,
  createSubscription: subscriptionRequest,
}

/** A random resource that looks like FHIR: a known or odd resourceType and random fields. */
const fhirLooking: fc.Arbitrary<Json> = fc
  .record({
    resourceType: fc.constantFrom(
      'DocumentReference',
      'Patient',
      'Appointment',
      'Slot',
      'Parameters',
      'Bundle',
      'OperationOutcome',
      '',
      'x',
    ),
    fields: fc.dictionary(fc.string({ maxLength: 12 }), fc.jsonValue({ maxDepth: 3 }) as fc.Arbitrary<Json>, {
      maxKeys: 6,
    }),
  })
  .map(({ resourceType, fields }) => ({ resourceType, ...fields }))

/**
 * One structural mutation. `pick` chooses the node to mutate among all nodes at apply time,
 * so a mutation stays meaningful whatever shape earlier mutations left behind.
 */
type Mutation =
  | { kind: 'drop'; pick: number }
  | { kind: 'rename'; pick: number; name: string }
  | { kind: 'replace'; pick: number; value: Json }
  | { kind: 'wrap-in-array'; pick: number }
  | { kind: 'unwrap'; pick: number }
  | { kind: 'add'; pick: number; name: string; value: Json }
  | { kind: 'nest'; pick: number; depth: number; asObject: boolean }

const fieldName: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(
    ...PROTOTYPE_NAMES,
    'resourceType',
    'id',
    'extension',
    'contained',
    'meta',
    'subject',
    'Status',
  ),
  fc.string({ maxLength: 12 }),
  nastyText,
)

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('drop' as const), pick: fc.nat() }),
  fc.record({ kind: fc.constant('rename' as const), pick: fc.nat(), name: fieldName }),
  fc.record({ kind: fc.constant('replace' as const), pick: fc.nat(), value: hostileValue }),
  fc.record({ kind: fc.constant('wrap-in-array' as const), pick: fc.nat() }),
  fc.record({ kind: fc.constant('unwrap' as const), pick: fc.nat() }),
  fc.record({ kind: fc.constant('add' as const), pick: fc.nat(), name: fieldName, value: wrongTypeValue }),
  fc.record({
    kind: fc.constant('nest' as const),
    pick: fc.nat(),
    depth: fc.integer({ min: 1, max: 300 }),
    asObject: fc.boolean(),
  }),
)

type Container = Json[] | { [key: string]: Json }
interface Slot {
  parent: Container
  key: string | number
}

function isContainer(value: Json): value is Container {
  return typeof value === 'object' && value !== null
}

/** Every (parent, key) slot in the tree, depth first. */
function slotsOf(root: Json): Slot[] {
  const slots: Slot[] = []
  const visit = (node: Json) => {
    if (!isContainer(node)) return
    const keys: (string | number)[] = Array.isArray(node) ? node.map((_, index) => index) : Object.keys(node)
    for (const key of keys) {
      slots.push({ parent: node, key })
      visit(read(node, key))
    }
  }
  visit(root)
  return slots
}

function read(parent: Container, key: string | number): Json {
  return Array.isArray(parent) ? parent[key as number]! : parent[key as string]!
}

/** Sets an own, enumerable property, even `__proto__`, so JSON.stringify sends it as a field. */
function write(parent: Container, key: string | number, value: Json): void {
  Object.defineProperty(parent, key, { value, enumerable: true, writable: true, configurable: true })
}

function applyMutation(root: Json, change: Mutation): Json {
  const slots = slotsOf(root)
  if (slots.length === 0) return change.kind === 'replace' ? structuredClone(change.value) : root
  const { parent, key } = slots[change.pick % slots.length]!
  const current = read(parent, key)
  switch (change.kind) {
    case 'drop':
      if (Array.isArray(parent)) parent.splice(key as number, 1)
      else delete parent[key as string]
      break
    case 'rename':
      if (!Array.isArray(parent)) {
        delete parent[key as string]
        write(parent, change.name, current)
      }
      break
    case 'replace':
      // Cloned: later mutations must not edit a value fast-check may reuse while shrinking.
      write(parent, key, structuredClone(change.value))
      break
    case 'wrap-in-array':
      write(parent, key, [current])
      break
    case 'unwrap':
      if (isContainer(current)) write(parent, key, Object.values(current)[0] ?? null)
      break
    case 'add':
      if (isContainer(current) && !Array.isArray(current))
        write(current, change.name, structuredClone(change.value))
      else if (!Array.isArray(parent)) write(parent, change.name, structuredClone(change.value))
      break
    case 'nest':
      write(parent, key, nestedValue(current, change.depth, change.asObject))
      break
  }
  return root
}

/** Mutations of the serialised text: what a broken client or an attacker sends. */
type TextMutation =
  | { kind: 'none' }
  | { kind: 'duplicate-key'; name: string; value: Json }
  | { kind: 'truncate'; at: number }
  | { kind: 'append'; text: string }
  | { kind: 'bom' }
  | { kind: 'single-quotes' }
  | { kind: 'replace-all'; text: string }

const textMutation: fc.Arbitrary<TextMutation> = fc.oneof(
  { weight: 20, arbitrary: fc.constant({ kind: 'none' as const }) },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('duplicate-key' as const),
      name: fc.constantFrom(
        'resourceType',
        'status',
        'subject',
        'custodian',
        'type',
        '__proto__',
        'constructor',
      ),
      value: wrongTypeValue,
    }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }) },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('append' as const),
      text: fc.oneof(nastyText, fc.constantFrom(',', '}', ']', '{}', ' // comment', '\u0000')),
    }),
  },
  { weight: 1, arbitrary: fc.constant({ kind: 'bom' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'single-quotes' as const }) },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('replace-all' as const),
      text: fc.oneof(
        fc.constantFrom(
          '',
          ' ',
          '\n',
          'null',
          'true',
          '0',
          '""',
          '[]',
          '{}',
          '{',
          '[',
          'NaN',
          'undefined',
          '{"a":1,}',
          "{'a':1}",
        ),
        nastyText,
        fc.string({ maxLength: 50 }),
      ),
    }),
  },
)

function applyTextMutation(text: string, change: TextMutation): string {
  switch (change.kind) {
    case 'none':
      return text
    case 'duplicate-key': {
      // JSON.parse keeps the last duplicate: put one first and one last where the text allows.
      const member = `${JSON.stringify(change.name)}:${JSON.stringify(change.value)}`
      if (!text.startsWith('{')) return `{${member},${member}}`
      const inner = text.slice(1, -1)
      return `{${member}${inner ? `,${inner}` : ''},${member}}`
    }
    case 'truncate':
      return text.slice(0, text.length === 0 ? 0 : change.at % text.length)
    case 'append':
      return text + change.text
    case 'bom':
      return `\ufeff${text}`
    case 'single-quotes':
      return text.replaceAll('"', "'")
    case 'replace-all':
      return change.text
  }
}

/** Content types: the two accepted, spelled oddly, and ones every JSON route must refuse. */
const contentType: fc.Arbitrary<string | undefined> = fc.oneof(
  {
    weight: 8,
    arbitrary: fc.constantFrom(
      'application/fhir+json',
      'application/fhir+json; charset=utf-8',
      'application/json',
    ),
  },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      'APPLICATION/FHIR+JSON',
      'application/json; charset=latin1',
      'application/json;;;',
      ' application/json ',
      'text/plain',
      'application/xml',
      'application/fhir+xml',
      'multipart/form-data; boundary=x',
      'application/x-www-form-urlencoded',
      '',
      '*/*',
      'garbage',
      undefined,
    ),
  },
)

/**
 * A request body for `operationId` (or for an unknown route when undefined): a valid body
 * with structural and textual mutations, a random FHIR-looking resource, any JSON value,
 * hostile text, or a body too large for the API (413).
 */
export function fuzzBody(
  operationId: string | undefined,
  callerOds: string | undefined,
): fc.Arbitrary<FuzzBody> {
  const valid = (operationId && VALID_BODIES[operationId]?.(callerOds)) || fhirLooking
  const structured = fc
    .record({
      start: valid,
      // Two in five stay valid, so the domain code behind validation is fuzzed as well.
      mutations: fc.oneof(
        { weight: 2, arbitrary: fc.constant<Mutation[]>([]) },
        { weight: 3, arbitrary: fc.array(mutation, { minLength: 1, maxLength: 4 }) },
      ),
    })
    .map(({ start, mutations }) => mutations.reduce(applyMutation, structuredClone(start)))
  const text: fc.Arbitrary<string> = fc.oneof(
    {
      weight: 60,
      arbitrary: fc
        .tuple(structured, textMutation)
        .map(([value, change]) => applyTextMutation(JSON.stringify(value), change)),
    },
    {
      weight: 10,
      arbitrary: fc
        .tuple(fhirLooking, textMutation)
        .map(([value, change]) => applyTextMutation(JSON.stringify(value), change)),
    },
    { weight: 5, arbitrary: fc.jsonValue({ maxDepth: 4 }).map((value) => JSON.stringify(value)) },
    { weight: 5, arbitrary: nastyText },
    { weight: 5, arbitrary: hugeText(1_000, 200_000) },
    // Just over the API's 1 MB body limit: the 413 path.
    {
      weight: 1,
      // ASCII filler: the size is the point, and escaped text would only multiply the memory.
      arbitrary: fc
        .integer({ min: 1_048_600, max: 1_100_000 })
        .map((length) => JSON.stringify({ resourceType: 'DocumentReference', filler: 'a'.repeat(length) })),
    },
  )
  return fc.record({ text, contentType })
}
