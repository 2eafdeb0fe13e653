import { describe, expect, it } from 'vitest'
import { readSlot, searchSlots } from '../../functions/appointments/slotSearch'
import type {
  AppointmentBook,
  PublishedResource,
  SlotPage,
  SlotRecord,
} from '../../functions/shared/appointments/AppointmentBook'
import { FhirError } from '../../functions/shared/errors'
import type { IcsRuntimeConfig } from '../../schemas/ics-config'

// searchSlots over an appointment book in memory: which organisations it asks, how it merges
// their pages in start order without skipping a slot, finishes cut-short cancellations,
// filters by service type and builds the searchset Bundle with what was asked to include.

const ics = {
  members: [
    { ods: 'Y90001', name: 'Demo Surgery North', role: 'gp-practice' },
    { ods: 'Y90002', name: 'Demo Surgery South', role: 'gp-practice' },
    { ods: 'Y90003', name: 'Demo Urgent Care', role: 'urgent-care' },
  ],
} as IcsRuntimeConfig
const NOW = new Date('2027-01-11T12:00:00Z')
const BASE = 'https://api.example'
const DAY = { status: ['free'], start: ['ge2027-01-12'], end: ['le2027-01-12'] }

function slot(hostOds: string, time: string, fields: Partial<SlotRecord> = {}): SlotRecord {
  const start = `2027-01-12T${time}:00.000Z`
  return {
    id: `${hostOds}.gp.202701${12}${time.replace(':', '')}`,
    hostOds,
    scheduleId: `${hostOds}.gp`,
    start,
    end: new Date(Date.parse(start) + 10 * 60_000).toISOString(),
    serviceType: 'General Practice',
    practitionerId: `${hostOds}.dr-a`,
    locationId: `${hostOds}.main`,
    status: 'free',
    bookings: 0,
    version: 1,
    publishedAt: '2027-01-01T09:00:00.000Z',
    ...fields,
  }
}

const sortKey = (record: SlotRecord) => `${record.start}#${record.id}`

/** The book's contract as its interface states it, in memory. */
function bookOf(
  slots: SlotRecord[],
  options: {
    publishers?: { hostOds: string; lastEnd: string }[]
    resources?: PublishedResource[]
    /** At most this many slots a page, more to follow: DynamoDB applies Limit before its filter. */
    pageSize?: number
  } = {},
) {
  const asked: { hostOds: string; window: unknown; page: unknown }[] = []
  const resourceKeys: unknown[] = []
  const book = {
    async publishers() {
      return (
        options.publishers ??
        [...new Set(slots.map((s) => s.hostOds))].map((hostOds) => ({
          hostOds,
          lastEnd: '2027-12-31T00:00:00.000Z',
        }))
      )
    },
    async openSlots(
      hostOds: string,
      window: { from: string; to: string; endBy?: string },
      page: { limit: number; after?: string },
    ): Promise<SlotPage> {
      asked.push({ hostOds, window, page })
      const matching = slots
        .filter(
          (s) =>
            s.hostOds === hostOds &&
            s.start >= window.from &&
            s.start <= window.to &&
            (!window.endBy || s.end <= window.endBy) &&
            (!page.after || sortKey(s) > page.after),
        )
        .sort((a, b) => sortKey(a).localeCompare(sortKey(b)))
      const size = Math.min(page.limit, options.pageSize ?? page.limit)
      const taken = matching.slice(0, size)
      return matching.length > size ? { slots: taken, next: sortKey(taken.at(-1)!) } : { slots: taken }
    },
    async resources(keys: Pick<PublishedResource, 'hostOds' | 'type' | 'id'>[]) {
      resourceKeys.push(...keys)
      const wanted = new Set(keys.map((key) => `${key.type}/${key.id}`))
      return (options.resources ?? []).filter((resource) => wanted.has(`${resource.type}/${resource.id}`))
    },
    async slot(slotId: string) {
      return slots.find((s) => s.id === slotId)
    },
  }
  return { book: book as unknown as AppointmentBook, asked, resourceKeys }
}

const published = (type: PublishedResource['type'], id: string): PublishedResource => ({
  hostOds: id.split('.')[0]!,
  type,
  id,
  resource: { resourceType: type, id },
})

const ids = (bundle: Awaited<ReturnType<typeof searchSlots>>, mode = 'match') =>
  (bundle.entry ?? []).filter((entry) => entry.search?.mode === mode).map((entry) => entry.resource.id)

describe('searchSlots', () => {
  it('asks every member that publishes slots reaching the window, and no one else', async () => {
    // Prepare: Y90002 published nothing past the window's start; X99999 is not a member
    const { book, asked } = bookOf([], {
      publishers: [
        { hostOds: 'Y90001', lastEnd: '2027-01-12T00:00:00.000Z' },
        { hostOds: 'Y90002', lastEnd: '2027-01-11T23:59:59.000Z' },
        { hostOds: 'X99999', lastEnd: '2027-12-31T00:00:00.000Z' },
      ],
    })

    // Act
    await searchSlots(DAY, BASE, { book, clock: () => NOW, ics })

    // Assess: the window and page a search of one day asks for
    expect(asked).toEqual([
      {
        hostOds: 'Y90001',
        window: {
          from: '2027-01-12T00:00:00.000Z',
          to: '2027-01-12T23:59:59.999Z',
          endBy: '2027-01-12T23:59:59.999Z',
        },
        page: { limit: 500 },
      },
    ])
  })

  it('asks only the organisations named, with the cursor and count given', async () => {
    const { book, asked } = bookOf([])
    const cursor = '2027-01-12T09:00:00.000Z#Y90002.gp.202701120900'

    await searchSlots(
      {
        status: ['free'],
        start: ['ge2027-01-12', 'le2027-01-12'],
        organization: ['Y90002'],
        _count: ['20'],
        _cursor: [cursor],
      },
      BASE,
      { book, clock: () => NOW, ics },
    )

    expect(asked).toEqual([
      {
        hostOds: 'Y90002',
        window: { from: '2027-01-12T00:00:00.000Z', to: '2027-01-12T23:59:59.999Z' },
        page: { limit: 20, after: cursor },
      },
    ])
  })

  it('merges the organisations’ slots in start order, ties by id, as a searchset with its total', async () => {
    // Prepare
    const { book } = bookOf([
      slot('Y90002', '09:00'),
      slot('Y90001', '09:10'),
      slot('Y90001', '09:00'),
      slot('Y90003', '08:50'),
    ])

    // Act
    const bundle = await searchSlots(DAY, BASE, { book, clock: () => NOW, ics })

    // Assess
    expect(ids(bundle)).toEqual([
      'Y90003.gp.202701120850',
      'Y90001.gp.202701120900',
      'Y90002.gp.202701120900',
      'Y90001.gp.202701120910',
    ])
    expect(bundle).toMatchObject({
      resourceType: 'Bundle',
      type: 'searchset',
      total: 4,
      timestamp: '2027-01-11T12:00:00+00:00',
    })
    expect(bundle.entry?.[0]).toEqual({
      fullUrl: `${BASE}/Slot/Y90003.gp.202701120850`,
      search: { mode: 'match' },
      resource: expect.objectContaining({
        resourceType: 'Slot',
        id: 'Y90003.gp.202701120850',
        status: 'free',
      }),
    })
    expect(bundle.link).toEqual([
      { relation: 'self', url: `${BASE}/Slot?status=free&start=ge2027-01-12&end=le2027-01-12` },
    ])
  })

  it('answers an empty searchset, with no entry element, when nothing is free', async () => {
    const { book } = bookOf([])

    const bundle = await searchSlots({ ...DAY, _include: ['Slot:schedule'] }, BASE, {
      book,
      clock: () => NOW,
      ics,
    })

    expect(bundle.total).toBe(0)
    expect(bundle).not.toHaveProperty('entry')
  })

  it('never goes past the end of an organisation’s page, and carries on from there', async () => {
    // Prepare: Y90001 has three slots, Y90002 one late one; a page of two
    const { book } = bookOf([
      slot('Y90001', '09:00'),
      slot('Y90001', '09:10'),
      slot('Y90001', '09:20'),
      slot('Y90002', '09:15'),
    ])

    // Act
    const first = await searchSlots({ ...DAY, _count: ['2'] }, BASE, { book, clock: () => NOW, ics })
    const cursor = new URL(first.link?.find((link) => link.relation === 'next')?.url ?? '').searchParams.get(
      '_cursor',
    )!
    const second = await searchSlots({ ...DAY, _count: ['2'], _cursor: [cursor] }, BASE, {
      book,
      clock: () => NOW,
      ics,
    })

    // Assess: Y90002's 09:15 is neither skipped nor shown twice
    expect(ids(first)).toEqual(['Y90001.gp.202701120900', 'Y90001.gp.202701120910'])
    expect(first).not.toHaveProperty('total')
    expect(cursor).toBe('2027-01-12T09:10:00.000Z#Y90001.gp.202701120910')
    expect(ids(second)).toEqual(['Y90002.gp.202701120915', 'Y90001.gp.202701120920'])
    expect(second.link?.map((link) => link.relation)).toEqual(['self'])
  })

  it('shows every slot exactly once, in start order, however short the pages the book answers', async () => {
    // Prepare: each organisation answers one slot a page, and their slots interleave
    const { book } = bookOf(
      [
        slot('Y90001', '09:20'),
        slot('Y90001', '09:40'),
        slot('Y90002', '09:00'),
        slot('Y90002', '09:10'),
        slot('Y90002', '09:30'),
      ],
      { pageSize: 1 },
    )

    // Act: follow the next links to the end
    const pages: string[][] = []
    let query: Record<string, string[]> = DAY
    for (let turn = 0; turn < 10; turn++) {
      const bundle = await searchSlots(query, BASE, { book, clock: () => NOW, ics })
      pages.push(ids(bundle) as string[])
      const next = bundle.link?.find((link) => link.relation === 'next')
      if (!next) break
      query = { ...DAY, _cursor: [new URL(next.url).searchParams.get('_cursor')!] }
    }

    // Assess
    expect(pages.flat()).toEqual([
      'Y90002.gp.202701120900',
      'Y90002.gp.202701120910',
      'Y90001.gp.202701120920',
      'Y90002.gp.202701120930',
      'Y90001.gp.202701120940',
    ])
    expect(pages[0]).toEqual(['Y90002.gp.202701120900'])
  })

  it('cuts the merged slots at the count, and the next page starts after the last one shown', async () => {
    // Prepare: two organisations with two slots each and a count of three
    const { book } = bookOf([
      slot('Y90001', '09:00'),
      slot('Y90001', '09:20'),
      slot('Y90002', '09:10'),
      slot('Y90002', '09:30'),
    ])

    // Act
    const bundle = await searchSlots({ ...DAY, _count: ['3'] }, BASE, { book, clock: () => NOW, ics })

    // Assess
    expect(ids(bundle)).toEqual([
      'Y90001.gp.202701120900',
      'Y90002.gp.202701120910',
      'Y90001.gp.202701120920',
    ])
    const next = new URL(bundle.link?.find((link) => link.relation === 'next')?.url ?? '')
    expect(next.searchParams.get('_cursor')).toBe('2027-01-12T09:20:00.000Z#Y90001.gp.202701120920')
    expect(next.searchParams.get('_count')).toBe('3')
  })

  it('shows a slot whose cancellation was cut short as free once it has finished it, and leaves it out otherwise', async () => {
    // Prepare
    const cutShort = slot('Y90001', '09:00', { status: 'busy', version: 4 })
    const { book } = bookOf([cutShort, slot('Y90001', '09:10')])
    const finished: string[] = []

    // Act
    const withFinisher = await searchSlots(DAY, BASE, {
      book,
      clock: () => NOW,
      ics,
      finishCancellation: async (record) => {
        finished.push(record.id)
      },
    })
    const without = await searchSlots(DAY, BASE, { book, clock: () => NOW, ics })

    // Assess
    expect(finished).toEqual([cutShort.id])
    expect(withFinisher.entry?.[0]?.resource).toMatchObject({
      id: cutShort.id,
      status: 'free',
      meta: { versionId: '5' },
    })
    expect(ids(without)).toEqual(['Y90001.gp.202701120910'])
    expect(without.total).toBe(1)
  })

  it('filters by service type, case-insensitively, from the start of its text', async () => {
    const { book } = bookOf([
      slot('Y90001', '09:00', { serviceType: 'General Practice' }),
      slot('Y90001', '09:10', { serviceType: 'Nurse clinic' }),
      slot('Y90001', '09:20', { serviceType: 'Practice nurse' }),
    ])

    const bundle = await searchSlots({ ...DAY, 'service-type': ['  GENERAL '] }, BASE, {
      book,
      clock: () => NOW,
      ics,
    })

    expect(ids(bundle)).toEqual(['Y90001.gp.202701120900'])
  })

  it('includes each schedule, practitioner and location once, in that order, then the host organisations', async () => {
    // Prepare
    const { book, resourceKeys } = bookOf(
      [
        slot('Y90002', '09:00', { practitionerId: 'Y90002.dr-b', locationId: 'Y90002.main' }),
        slot('Y90001', '09:10', { practitionerId: 'Y90001.dr-a', locationId: 'Y90001.branch' }),
        slot('Y90001', '09:20', { practitionerId: undefined, locationId: 'Y90001.branch' }),
      ],
      {
        resources: [
          published('Location', 'Y90001.branch'),
          published('Location', 'Y90002.main'),
          published('Practitioner', 'Y90002.dr-b'),
          published('Practitioner', 'Y90001.dr-a'),
          published('Schedule', 'Y90002.gp'),
          published('Schedule', 'Y90001.gp'),
        ],
      },
    )

    // Act
    const bundle = await searchSlots(
      {
        ...DAY,
        _include: ['Slot:schedule'],
        '_include:recurse': ['Schedule:actor:Practitioner', 'Schedule:actor:Location'],
      },
      BASE,
      { book, clock: () => NOW, ics },
    )

    // Assess
    expect(
      (bundle.entry ?? [])
        .filter((entry) => entry.search?.mode === 'include')
        .map((entry) => `${entry.fullUrl} ${entry.resource.resourceType}/${entry.resource.id}`),
    ).toEqual([
      `${BASE}/Schedule/Y90001.gp Schedule/Y90001.gp`,
      `${BASE}/Schedule/Y90002.gp Schedule/Y90002.gp`,
      `${BASE}/Practitioner/Y90001.dr-a Practitioner/Y90001.dr-a`,
      `${BASE}/Practitioner/Y90002.dr-b Practitioner/Y90002.dr-b`,
      `${BASE}/Location/Y90001.branch Location/Y90001.branch`,
      `${BASE}/Location/Y90002.main Location/Y90002.main`,
      `${BASE}/Organization/Y90001 Organization/Y90001`,
      `${BASE}/Organization/Y90002 Organization/Y90002`,
    ])
    expect(resourceKeys).toEqual([
      { hostOds: 'Y90002', type: 'Schedule', id: 'Y90002.gp' },
      { hostOds: 'Y90001', type: 'Schedule', id: 'Y90001.gp' },
      { hostOds: 'Y90001', type: 'Schedule', id: 'Y90001.gp' },
      { hostOds: 'Y90002', type: 'Practitioner', id: 'Y90002.dr-b' },
      { hostOds: 'Y90001', type: 'Practitioner', id: 'Y90001.dr-a' },
      { hostOds: 'Y90002', type: 'Location', id: 'Y90002.main' },
      { hostOds: 'Y90001', type: 'Location', id: 'Y90001.branch' },
    ])
    expect(bundle.total).toBe(3)
  })

  it('includes only schedules and organisations unless their actors are asked for, and nothing without Slot:schedule', async () => {
    const slots = [slot('Y90001', '09:00')]
    const resources = [
      published('Schedule', 'Y90001.gp'),
      published('Practitioner', 'Y90001.dr-a'),
      published('Location', 'Y90001.main'),
    ]
    const included = async (query: Record<string, string[]>) => {
      const { book } = bookOf(slots, { resources })
      return ids(await searchSlots({ ...DAY, ...query }, BASE, { book, clock: () => NOW, ics }), 'include')
    }

    expect(await included({ _include: ['Slot:schedule'] })).toEqual(['Y90001.gp', 'Y90001'])
    expect(
      await included({ _include: ['Slot:schedule'], '_include:recurse': ['Schedule:actor:Location'] }),
    ).toEqual(['Y90001.gp', 'Y90001.main', 'Y90001'])
    expect(await included({ '_include:recurse': ['Schedule:actor:Practitioner'] })).toEqual([])
  })
})

describe('readSlot', () => {
  it('answers a slot as it now is, with its version as a weak ETag', async () => {
    const { book } = bookOf([slot('Y90001', '09:00', { status: 'busy', version: 3 })])

    const { slot: found, etag } = await readSlot('Y90001.gp.202701120900', book)

    expect(found).toMatchObject({ resourceType: 'Slot', id: 'Y90001.gp.202701120900', status: 'busy' })
    expect(etag).toBe('W/"3"')
  })

  it.each(['Y90001.gp.202701120910', 'not-a-slot-id'])('answers NO_RECORD_FOUND for %s', async (id) => {
    const { book } = bookOf([slot('Y90001', '09:00')])

    const error = await readSlot(id, book).then(
      () => undefined,
      (caught: unknown) => caught,
    )

    expect(error).toBeInstanceOf(FhirError)
    expect((error as FhirError).code).toBe('NO_RECORD_FOUND')
  })
})
