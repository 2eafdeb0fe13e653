import fc from 'fast-check'
import { addDays, ukDate } from '../../functions/shared/time'
import { type RouteDeclaration, routes } from '../../infra/routes'
import {
  deepText,
  EDGE_NUMBERS,
  encodeComponent,
  hugeText,
  nastyText,
  PROTOTYPE_NAMES,
  RAW_PERCENT_ENCODINGS,
  wrongTypeValue,
} from './hostile'
import {
  NHS_NUMBER_SYSTEM,
  nhsNumberLike,
  ODS_CODE_SYSTEM,
  odsCodeLike,
  RECORD_TYPE_TOKENS,
  recordTypeCoding,
  SEEDED_NHS_NUMBERS,
  SNOMED,
} from './identifiers'

/**
 * Longest encoded path segment, query name or value, or header value: long enough to hurt
 * a parser, short enough that a request stays within what gateways accept. Requests past
 * those limits are generated on purpose (requests.ts, `oversize`).
 */
export const MAX_COMPONENT = 4_000

type QueryPair = [name: string, value: string]
type SearchParam = NonNullable<RouteDeclaration['searchParams']>[number]

const seeded = fc.constantFrom(...SEEDED_NHS_NUMBERS)
const caller = (callerOds: string | undefined) =>
  callerOds
    ? fc.oneof({ weight: 3, arbitrary: fc.constant(callerOds) }, { weight: 1, arbitrary: odsCodeLike })
    : odsCodeLike

/** Optional pairs: each present or not, in order. */
function someOf(...pairs: fc.Arbitrary<QueryPair>[]): fc.Arbitrary<QueryPair[]> {
  return fc
    .tuple(...pairs.map((pair) => fc.option(pair, { nil: undefined })))
    .map((chosen) => chosen.filter((pair): pair is QueryPair => pair !== undefined))
}

/**
 * Valid starting queries per operationId, so that the changes below start from a search
 * that reaches the domain code (a 2xx most of the time). A route without an entry starts
 * from a random subset of its declared parameters with plausible values.
 */
const VALID_QUERIES: Readonly<Record<string, (callerOds: string | undefined) => fc.Arbitrary<QueryPair[]>>> =
  {
    // PDS: family name and date of birth at least; the rest narrows the search.
    searchPatients: () =>
      fc
        .tuple(
          fc.oneof(
            {
              weight: 4,
              arbitrary: fc.constantFrom(
                'Smith',
                'smith',
                'Sm*',
                'Smythe',
                'Taylor',
                'Cuff',
                "O'Neill",
                'Lewis-Clarke',
              ),
            },
            { weight: 1, arbitrary: wildcardTerm },
          ),
          fc.constantFrom(
            ['eq2010-10-22'],
            ['1931-05-14'],
            ['ge1900-01-01', 'le2030-12-31'],
            ['ge2000-01-01'],
          ),
          someOf(
            fc.constantFrom('Jane', 'Janet', 'Ja*').map((given): QueryPair => ['given', given]),
            fc.constantFrom('female', 'male').map((gender): QueryPair => ['gender', gender]),
            fc
              .constantFrom('LS1 6AE', 'ls16ae', 'LS2*')
              .map((postcode): QueryPair => ['address-postalcode', postcode]),
            fc.constantFrom('1', '5', '50').map((max): QueryPair => ['_max-results', max]),
          ),
        )
        .map(([family, birthdates, rest]) => [
          ['family', family],
          ...birthdates.map((date): QueryPair => ['birthdate', date]),
          ...rest,
        ]),
    // NRL-style: one patient, optionally one custodian and one record type.
    searchPointers: (callerOds) =>
      fc
        .tuple(
          seeded,
          someOf(
            caller(callerOds).map((ods): QueryPair => ['custodian:identifier', `${ODS_CODE_SYSTEM}|${ods}`]),
            fc.constantFrom(...RECORD_TYPE_TOKENS).map((type): QueryPair => ['type', type]),
          ),
        )
        .map(([nhs, rest]) => [['subject:identifier', `${NHS_NUMBER_SYSTEM}|${nhs}`], ...rest]),
    // Conditional delete by the custodian: its own ODS code, one patient or everything it holds.
    withdrawPointers: (callerOds) =>
      fc
        .tuple(
          caller(callerOds),
          fc.oneof(
            fc
              .tuple(
                seeded,
                fc.option(fc.constantFrom('record-deleted', 'patient-objection', 'entered-in-error'), {
                  nil: undefined,
                }),
              )
              .map(([nhs, reason]): QueryPair[] => [
                ['subject:identifier', `${NHS_NUMBER_SYSTEM}|${nhs}`],
                ...(reason ? [['reason', reason] as QueryPair] : []),
              ]),
            fc
              .constantFrom('organisation-closed', 'left-ics', 'sharing-suspended')
              .map((reason): QueryPair[] => [['reason', reason]]),
          ),
        )
        .map(([ods, rest]) => [['custodian:identifier', `${ODS_CODE_SYSTEM}|${ods}`], ...rest]),
    // GP Connect Search for free slots: a short window from today, sometimes one organisation and includes.
    searchSlots: (callerOds) =>
      fc
        .tuple(
          fc.integer({ min: 0, max: 3 }),
          fc.constantFrom('end', 'start'),
          someOf(
            fc
              .constantFrom('Y90001', 'Y90002', callerOds ?? 'RX9')
              .map((ods): QueryPair => ['organization', ods]),
            fc.constant<QueryPair>(['_include', 'Slot:schedule']),
            fc
              .constantFrom(
                'Schedule:actor:Practitioner',
                'Schedule:actor:Location',
                'Location:managingOrganization',
              )
              .map((include): QueryPair => ['_include:recurse', include]),
            fc.constantFrom('General GP', 'Practice Nurse').map((text): QueryPair => ['service-type', text]),
            fc
              .constantFrom(
                `${ODS_CODE_SYSTEM}|NX001`,
                'https://fhir.nhs.uk/STU3/CodeSystem/GPConnect-OrganisationType-1|urgent-care',
              )
              .map((filter): QueryPair => ['searchFilter', filter]),
          ),
        )
        .map(([days, upper, rest]) => {
          const today = ukDate(new Date())
          return [
            ['status', 'free'] as QueryPair,
            ['start', `ge${today}`] as QueryPair,
            [upper, `le${addDays(today, days)}`] as QueryPair,
            ...rest,
          ]
        }),
    // GP Connect Retrieve a patient's appointments: two dates from today on.
    searchPatientAppointments: () =>
      fc.integer({ min: 0, max: 14 }).map((days): QueryPair[] => {
        const today = ukDate(new Date())
        return [
          ['start', `ge${today}`],
          ['start', `le${addDays(today, days)}`],
        ]
      }),
    searchAuditEvents: () =>
      fc
        .tuple(
          fc.oneof(
            seeded,
            seeded.map((nhs) => `${NHS_NUMBER_SYSTEM}|${nhs}`),
          ),
          fc.option(fc.constantFrom('1', '2', '20', '999999'), { nil: undefined }),
        )
        .map(([patient, cursor]): QueryPair[] => [
          ['patient', patient],
          ...(cursor ? [['_cursor', cursor] as QueryPair] : []),
        ]),
  }

/**
 * Wildcard search terms that would make a backtracking matcher hang (security review,
 * finding 1): runs of up to 64 stars between letters, long tails that almost match a seeded
 * name, stars in the first two characters, and terms past PDS's 100-character limit.
 */
const wildcardTerm: fc.Arbitrary<string> = fc.oneof(
  fc.integer({ min: 1, max: 64 }).map((stars) => `Le${'*'.repeat(stars)}X`),
  fc
    .tuple(
      fc.constantFrom('Sm', 'Le', 'Ta', 'S', '*', 'Lewis'),
      fc.array(fc.constantFrom('*', '**', 'e', 'E', 'i', '-', "'"), { maxLength: 60 }),
    )
    .map(([start, rest]) => `${start}${rest.join('')}`),
  fc.integer({ min: 90, max: 130 }).map((length) => `Sm${'i*'.repeat(length).slice(0, length)}`),
)

/** Plausible, not necessarily valid, values for a declared search parameter: by name, then by type. */
function plausibleValue(param: SearchParam, callerOds: string | undefined): fc.Arbitrary<string> {
  switch (param.name) {
    case 'subject:identifier':
    case 'patient':
      return fc.oneof(
        { weight: 6, arbitrary: nhsNumberLike.map((nhs) => `${NHS_NUMBER_SYSTEM}|${nhs}`) },
        { weight: 2, arbitrary: nhsNumberLike },
        { weight: 1, arbitrary: nhsNumberLike.map((nhs) => `|${nhs}`) },
        { weight: 1, arbitrary: nhsNumberLike.map((nhs) => `Patient/${nhs}`) },
        {
          weight: 1,
          arbitrary: fc.constantFrom(`${NHS_NUMBER_SYSTEM}|`, `${ODS_CODE_SYSTEM}|9000000009`, '|'),
        },
      )
    case 'custodian:identifier':
      return fc.oneof(
        { weight: 6, arbitrary: caller(callerOds).map((code) => `${ODS_CODE_SYSTEM}|${code}`) },
        { weight: 1, arbitrary: caller(callerOds) },
        { weight: 1, arbitrary: fc.constantFrom(`${ODS_CODE_SYSTEM}|`, `${NHS_NUMBER_SYSTEM}|RX9`) },
      )
    case 'type':
      return fc.oneof(
        { weight: 4, arbitrary: recordTypeCoding.map(({ system, code }) => `${system}|${code}`) },
        { weight: 1, arbitrary: recordTypeCoding.map(({ code }) => code) },
        { weight: 1, arbitrary: fc.constantFrom(`${SNOMED}|`, '|', 'toString', `${SNOMED}|constructor`) },
      )
    case 'reason':
      return fc.constantFrom(
        'record-deleted',
        'patient-objection',
        'left-ics',
        'sharing-suspended',
        'because',
      )
    case '_cursor':
      return fc.oneof(
        fc.base64String({ maxLength: 80 }),
        fc.constantFrom('abc', 'e30', 'eyJ9', '', '1', ...EDGE_NUMBERS),
      )
    case 'family':
      return fc.oneof(fc.constantFrom('Smith', 'SMITH', 'Sm*', 'S*', '*', 'Taylor'), wildcardTerm)
    case 'given':
      return fc.oneof(fc.constantFrom('Jane', 'Ja*', 'J', ''), wildcardTerm)
    case 'gender':
      return fc.constantFrom('male', 'female', 'other', 'unknown', 'MALE', 'f')
    case 'address-postalcode':
      return fc.oneof(fc.constantFrom('LS1 6AE', 'ls16ae', 'LS1*', 'ZZ99 9ZZ'), wildcardTerm)
    case '_fuzzy-match':
    case '_exact-match':
      return fc.constantFrom('true', 'false', 'TRUE', '1', '')
    case '_max-results':
      return fc.constantFrom('1', '50', '51', '1e1', '007', ...EDGE_NUMBERS)
    case 'start':
    case 'end':
      return fc.constantFrom(
        `ge${ukDate(new Date())}`,
        `le${addDays(ukDate(new Date()), 20)}`,
        'ge2027-03-28T01:30:00+00:00',
        'ge2027-10-31T01:30:00+01:00',
        'le2027-01-15T09:00:00Z',
        'gt2027-01-15',
        'ge2027-02-30',
        'ge2027',
        'le',
      )
    case 'status':
      return fc.constantFrom('free', 'busy', 'FREE', '')
    case 'organization':
      return fc.oneof(
        odsCodeLike,
        odsCodeLike.map((code) => `${ODS_CODE_SYSTEM}|${code}`),
        fc.constant('Y90001,Y90002'),
      )
    case 'service-type':
      return fc.constantFrom('General GP Appointment', 'general', '', '*')
    case '_include':
    case '_include:recurse':
      return fc.constantFrom('Slot:schedule', 'Schedule:actor:Location', 'Slot:*', '*', '')
    case 'searchFilter':
      return fc.constantFrom(`${ODS_CODE_SYSTEM}|NX001`, '|', 'x')
  }
  switch (param.type) {
    case 'date':
      return fc.constantFrom(
        'eq2010-10-22',
        'ge1900-01-01',
        'le2030-12-31',
        '2010-02-30',
        '22/10/2010',
        'gt2010',
      )
    case 'number':
      return fc.constantFrom('1', '50', ...EDGE_NUMBERS)
    case 'token':
      return fc.oneof(
        nhsNumberLike.map((nhs) => `${NHS_NUMBER_SYSTEM}|${nhs}`),
        caller(callerOds).map((code) => `${ODS_CODE_SYSTEM}|${code}`),
        recordTypeCoding.map(({ system, code }) => `${system}|${code}`),
      )
    case 'reference':
      return fc.oneof(
        caller(callerOds).map((code) => `Organization/${code}`),
        nhsNumberLike.map((nhs) => `Patient/${nhs}`),
      )
    default:
      return fc.constantFrom('Smith', 'Jane', 'RX9', '9000000009')
  }
}

/** Hostile query values: wrong types as text, hostile text, deep nesting, huge strings. */
const hostileQueryValue: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: nastyText },
  { weight: 3, arbitrary: wrongTypeValue.map((value) => JSON.stringify(value)) },
  { weight: 1, arbitrary: fc.constantFrom(...EDGE_NUMBERS) },
  { weight: 2, arbitrary: deepText },
  { weight: 2, arbitrary: hugeText(1_000, MAX_COMPONENT) },
)

/** Every parameter name any route declares. */
const DECLARED_NAMES = [
  ...new Set(
    routes.flatMap((route) => ('searchParams' in route ? route.searchParams.map((param) => param.name) : [])),
  ),
]

/** Parameter names: declared anywhere, FHIR's common ones, near misses, names that shadow Object.prototype. */
const queryName: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...DECLARED_NAMES) },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      '_count',
      '_format',
      '_id',
      '_sort',
      '_include',
      '_elements',
      'subject',
      'Subject:identifier',
      'subject:identifier ',
      'patient:identifier',
      'nhsNumber',
    ),
  },
  { weight: 2, arbitrary: fc.constantFrom(...PROTOTYPE_NAMES) },
  { weight: 2, arbitrary: nastyText },
  { weight: 1, arbitrary: fc.constant('') },
)

/** A change to a valid query: what a broken client or an attacker does to one. */
type QueryChange =
  | { kind: 'add'; name: string; value: string }
  | { kind: 'duplicate'; pick: number }
  | { kind: 'drop'; pick: number }
  | { kind: 'hostile-value'; pick: number; value: string }
  | { kind: 'plausible-value'; pick: number; value: string }
  | { kind: 'hostile-name'; pick: number; name: string }

function queryChange(
  route: RouteDeclaration | undefined,
  callerOds: string | undefined,
): fc.Arbitrary<QueryChange> {
  const declared = route?.searchParams ?? []
  return fc.oneof(
    fc.record({
      kind: fc.constant('add' as const),
      name: queryName,
      value: fc.oneof(hostileQueryValue, fc.string({ maxLength: 10 })),
    }),
    fc.record({ kind: fc.constant('duplicate' as const), pick: fc.nat() }),
    fc.record({ kind: fc.constant('drop' as const), pick: fc.nat() }),
    fc.record({ kind: fc.constant('hostile-value' as const), pick: fc.nat(), value: hostileQueryValue }),
    fc.record({ kind: fc.constant('hostile-name' as const), pick: fc.nat(), name: queryName }),
    ...(declared.length
      ? [
          fc.constantFrom(...declared).chain((param) =>
            fc.record({
              kind: fc.constant('plausible-value' as const),
              pick: fc.constant(declared.indexOf(param)),
              value: plausibleValue(param, callerOds),
            }),
          ),
        ]
      : []),
  )
}

function applyQueryChange(
  declared: readonly SearchParam[],
): (pairs: QueryPair[], change: QueryChange) => QueryPair[] {
  return (pairs, change) => {
    if (change.kind === 'add') return [...pairs, [change.name, change.value]]
    if (change.kind === 'plausible-value') {
      // Set one declared parameter to a plausible value: a near miss of a valid search.
      const name = declared[change.pick]!.name
      return [...pairs.filter(([other]) => other !== name), [name, change.value]]
    }
    if (pairs.length === 0) return pairs
    const index = change.pick % pairs.length
    const [name, value] = pairs[index]!
    if (change.kind === 'duplicate') return [...pairs, [name, value]]
    if (change.kind === 'drop') return pairs.filter((_, other) => other !== index)
    const next = [...pairs]
    next[index] = change.kind === 'hostile-value' ? [name, change.value] : [change.name, value]
    return next
  }
}

/** How the pairs are written on the wire: encoded, or with raw invalid percent-encodings and odd separators. */
const querySpelling = fc.oneof(
  { weight: 10, arbitrary: fc.constant({ raw: undefined, separator: '&' }) },
  {
    weight: 2,
    arbitrary: fc.record({ raw: fc.constantFrom(...RAW_PERCENT_ENCODINGS), separator: fc.constant('&') }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      raw: fc.constant(undefined),
      separator: fc.constantFrom('&&', ';', '&=&', '&&&'),
    }),
  },
)

/**
 * A query for `route` (or an unknown path): a valid starting query, then none to three
 * changes (unknown, hostile and prototype-shadowing names, duplicates, drops, hostile and
 * near-miss values), then a spelling on the wire. Encoded, without the leading `?`.
 */
export function queryFor(
  route: RouteDeclaration | undefined,
  callerOds: string | undefined,
): fc.Arbitrary<string> {
  const declared = route?.searchParams ?? []
  const start: fc.Arbitrary<QueryPair[]> =
    (route && VALID_QUERIES[route.operationId]?.(callerOds)) ||
    (declared.length
      ? fc
          .tuple(...declared.map((param) => fc.option(plausibleValue(param, callerOds), { nil: undefined })))
          .map((values) =>
            values.flatMap((value, index): QueryPair[] =>
              value === undefined ? [] : [[declared[index]!.name, value]],
            ),
          )
      : fc.constant([]))
  const changes: fc.Arbitrary<QueryChange[]> = fc.oneof(
    { weight: 1, arbitrary: fc.constant<QueryChange[]>([]) },
    { weight: 1, arbitrary: fc.array(queryChange(route, callerOds), { minLength: 1, maxLength: 3 }) },
  )
  return fc.record({ start, changes, spelling: querySpelling }).map(({ start, changes, spelling }) => {
    const pairs = changes.reduce(applyQueryChange(declared), start)
    const encoded = pairs.map(
      ([name, value]) =>
        `${encodeComponent(name).slice(0, MAX_COMPONENT)}=${encodeComponent(value).slice(0, MAX_COMPONENT)}`,
    )
    if (spelling.raw !== undefined) encoded.push(`${spelling.raw}=${spelling.raw}`, `x=${spelling.raw}`)
    return encoded.join(spelling.separator)
  })
}
