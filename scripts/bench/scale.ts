import { DynamoDBClient } from '@aws-sdk/client-dynamodb'
import { BatchWriteCommand, DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb'
import {
  DynamoDbPatientIndex,
  holderKey,
  indexItemOf,
  patientKey,
} from '../../functions/shared/patient-index/DynamoDbPatientIndex'
import type { HolderEntry } from '../../functions/shared/patient-index/HolderEntry'
import { recordTypeFromText } from '../../schemas/fhir/recordTypes'
import { createDeclaredTables } from '../local/dynamodb'
import { seededRandom, testRangeNhsNumbers } from '../seed/demoPatients'
import { type BenchChild, startChild } from './processes'
import {
  type BenchOptions,
  type Measurement,
  median,
  ms,
  percentile,
  SCALE_MIN,
  type SuiteResult,
  table,
  verdictOf,
} from './report'

const TARGET = 1.2
const HOLDERS_PER_PATIENT = 3
const BATCH = 25
/** BatchWrites in flight: enough to keep dynalite busy while this process marshals the next ones. */
const IN_FLIGHT = 16
/** Over this, loading is too slow to be worth it on this machine; the report says so. */
const SLOW_LOAD_MS = 5 * 60_000

/** Every patient's three holders: their GP, the acute trust, a community pharmacy. */
const HOLDINGS = [
  { ods: (i: number) => (i % 2 === 0 ? 'Y90001' : 'Y90002'), recordType: recordTypeFromText('GP record') },
  { ods: () => 'RX9', recordType: recordTypeFromText('Discharge summary') },
  {
    ods: (i: number) => (i % 2 === 0 ? 'FX001' : 'FX002'),
    recordType: recordTypeFromText('Community pharmacy record'),
  },
]

function entryOf(nhsNumber: string, patient: number, holding: number): HolderEntry {
  const { ods, recordType } = HOLDINGS[holding]!
  const eventId = `bench-${patient}-${holding}`
  const at = '2026-01-05T09:30:00.000Z'
  return {
    nhsNumber,
    holderOds: ods(patient),
    recordType,
    endpoint: `https://fhir.example.nhs.uk/${ods(patient)}/STU3/1/gpconnect`,
    status: 'current',
    firstSeenAt: at,
    lastSeenAt: at,
    decidedAt: at,
    decidedBy: eventId,
    sources: [{ eventId, occurredAt: at, kind: 'registered' }],
    version: 0,
  }
}

/** The item DynamoDbPatientIndex.save(entry, 0) writes: the adapter's own layout. */
function itemOf(entry: HolderEntry): Record<string, unknown> {
  return { ...indexItemOf(entry, 1) }
}

interface SizedIndex {
  patients: number
  nhsNumbers: string[]
  dynamo: BenchChild<{ endpoint: string }>
  index: DynamoDbPatientIndex
  loadMs: number
  lookupsMs: number[]
}

function documentClientFor(endpoint: string) {
  const client = new DynamoDBClient({
    endpoint,
    region: 'eu-west-2',
    credentials: { accessKeyId: 'bench', secretAccessKey: 'bench' },
    maxAttempts: 3,
  })
  // The same marshalling the functions' document client uses (functions/shared/dynamodb.ts).
  return {
    client,
    documents: DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } }),
  }
}

/**
 * The bulk items must be what the adapter writes, or the bench measures another layout:
 * one entry goes in through `save`, and its stored item must equal the built one.
 */
async function assertSameLayout(documents: DynamoDBDocumentClient, tableName: string): Promise<void> {
  const index = new DynamoDbPatientIndex(documents, tableName)
  const entry = entryOf('9000000009', 0, 0)
  await index.save(entry, 0)
  const { Item } = await documents.send(
    new GetCommand({
      TableName: tableName,
      Key: { pk: patientKey(entry.nhsNumber), sk: holderKey('Y90001', entry.recordType.code) },
    }),
  )
  const sorted = (value: Record<string, unknown> | undefined) =>
    JSON.stringify(Object.fromEntries(Object.entries(value ?? {}).sort(([a], [b]) => (a < b ? -1 : 1))))
  if (sorted(Item) !== sorted(itemOf(entry))) {
    throw new Error(`bulk items differ from what DynamoDbPatientIndex.save writes: ${sorted(Item)}`)
  }
}

async function loadIndex(patients: number, options: BenchOptions): Promise<SizedIndex> {
  const dynamo = startChild<{ endpoint: string }>('dynalite-server.ts', [], {
    nodeArgs: ['--max-old-space-size=8192'],
  })
  try {
    return await fill(dynamo, patients, options)
  } catch (error) {
    await dynamo.stop()
    throw error
  }
}

async function fill(
  dynamo: BenchChild<{ endpoint: string }>,
  patients: number,
  options: BenchOptions,
): Promise<SizedIndex> {
  const { endpoint } = await dynamo.ready
  const { client, documents } = documentClientFor(endpoint)
  const tableName = (await createDeclaredTables(client, 'bench')).patientIndex
  await assertSameLayout(documents, tableName)
  const numbers = testRangeNhsNumbers(patients)
  const total = patients * HOLDERS_PER_PATIENT

  const started = performance.now()
  let next = 0
  let written = 0
  let reported = 0
  const writer = async () => {
    while (next < total) {
      const from = next
      next = Math.min(next + BATCH, total)
      let requests = []
      for (let item = from; item < next; item++) {
        const patient = Math.floor(item / HOLDERS_PER_PATIENT)
        const entry = entryOf(numbers[patient]!, patient, item % HOLDERS_PER_PATIENT)
        requests.push({ PutRequest: { Item: itemOf(entry) } })
      }
      // BatchWriteItem may leave items unprocessed: send those again.
      for (let attempt = 0; requests.length > 0; attempt++) {
        if (attempt > 8) throw new Error('BatchWriteItem kept returning unprocessed items')
        const { UnprocessedItems } = await documents.send(
          new BatchWriteCommand({ RequestItems: { [tableName]: requests } }),
        )
        written += requests.length - (UnprocessedItems?.[tableName]?.length ?? 0)
        requests = (UnprocessedItems?.[tableName] ?? []) as typeof requests
      }
      if (written - reported >= total / 10) {
        reported = written
        const rate = written / ((performance.now() - started) / 1000)
        options.progress(
          `${patients.toLocaleString('en-GB')} patients: ${written.toLocaleString('en-GB')}/${total.toLocaleString('en-GB')} items (${Math.round(rate)} items/s)`,
        )
      }
    }
  }
  await Promise.all(Array.from({ length: IN_FLIGHT }, writer))
  const loadMs = performance.now() - started

  const index = new DynamoDbPatientIndex(documents, tableName)
  const sample = await index.holdersOf(numbers.at(-1)!, {}, { limit: 20 })
  if (sample.entries.length !== HOLDERS_PER_PATIENT) {
    throw new Error(
      `holdersOf found ${sample.entries.length} holders after loading, not ${HOLDERS_PER_PATIENT}`,
    )
  }
  return { patients, nhsNumbers: numbers, dynamo, index, loadMs, lookupsMs: [] }
}

async function timeLookup(size: SizedIndex, random: () => number): Promise<number> {
  const nhsNumber = size.nhsNumbers[Math.floor(random() * size.nhsNumbers.length)]!
  const started = performance.now()
  const page = await size.index.holdersOf(nhsNumber, {}, { limit: 20 })
  const elapsed = performance.now() - started
  if (page.entries.length !== HOLDERS_PER_PATIENT)
    throw new Error(`holdersOf(${nhsNumber}) found ${page.entries.length}`)
  return elapsed
}

/** Suite 5: holdersOf at SCALE_MIN and at --scale-max patients × 3 holders, each in a fresh dynalite. */
export async function benchScale(options: BenchOptions): Promise<SuiteResult> {
  const started = performance.now()
  const sizes: SizedIndex[] = []
  try {
    for (const patients of [SCALE_MIN, options.scaleMax]) {
      options.progress(
        `loading ${patients.toLocaleString('en-GB')} patients × ${HOLDERS_PER_PATIENT} holders into a fresh dynalite ` +
          `(BatchWrite of ${BATCH}, ${IN_FLIGHT} in flight)`,
      )
      const size = await loadIndex(patients, options)
      sizes.push(size)
      options.progress(
        `loaded ${(patients * HOLDERS_PER_PATIENT).toLocaleString('en-GB')} items in ${(size.loadMs / 1000).toFixed(1)} s`,
      )
    }
    const [small, large] = sizes as [SizedIndex, SizedIndex]

    // Both dynalites stay up; lookups alternate between them (ABBA), so drift hits both sizes.
    const lookups = options.quick ? 500 : 3000
    const random = seededRandom(20260105)
    for (let i = 0; i < 300; i++) {
      await timeLookup(small, random)
      await timeLookup(large, random)
    }
    for (let i = 0; i < lookups; i++) {
      const order = i % 2 === 0 ? [small, large] : [large, small]
      for (const size of order) size.lookupsMs.push(await timeLookup(size, random))
    }
    options.progress(`${lookups} holdersOf lookups per size, alternating`)

    const medianOf = (size: SizedIndex) => median(size.lookupsMs)
    const p99Of = (size: SizedIndex) => percentile(size.lookupsMs, 99)
    const ratio = medianOf(large) / medianOf(small)
    const label = (size: SizedIndex) => `${size.patients.toLocaleString('en-GB')} patients`
    const measurements: Measurement[] = [
      {
        suite: 'scale',
        measure: `holdersOf median, ${label(large)} vs ${label(small)} (× ${HOLDERS_PER_PATIENT} holders)`,
        subject: ms(medianOf(large)),
        baseline: ms(medianOf(small)),
        ratio,
        target: `≤ ${TARGET}× (flat)`,
        verdict: verdictOf(ratio <= TARGET),
      },
      {
        suite: 'scale',
        measure: `holdersOf p99, ${label(large)} vs ${label(small)}`,
        subject: ms(p99Of(large)),
        baseline: ms(p99Of(small)),
        ratio: p99Of(large) / p99Of(small),
        target: 'report',
        verdict: 'INFO',
      },
      {
        suite: 'scale',
        measure: `bulk load, ${(large.patients * HOLDERS_PER_PATIENT).toLocaleString('en-GB')} items vs ${(small.patients * HOLDERS_PER_PATIENT).toLocaleString('en-GB')} (ratio: time per item)`,
        subject: `${(large.loadMs / 1000).toFixed(1)} s`,
        baseline: `${(small.loadMs / 1000).toFixed(1)} s`,
        ratio: large.loadMs / large.patients / (small.loadMs / small.patients),
        target: large.loadMs > SLOW_LOAD_MS ? 'too slow here: use --scale-max' : 'report (ratio per item)',
        verdict: 'INFO',
      },
    ]
    return {
      suite: 'scale',
      title: 'Patient index scale',
      durationMs: performance.now() - started,
      measurements,
      details: [
        `Each size in a fresh in-memory dynalite in its own process, loaded with BatchWriteItem (${BATCH} items, ` +
          `${IN_FLIGHT} in flight) of items built exactly as \`DynamoDbPatientIndex.save\` writes them (checked ` +
          `against an item written through \`save\`). \`holdersOf(nhs, {}, { limit: 20 })\` through the adapter ` +
          `for random patients, ${lookups} per size, alternating between the sizes.`,
        table(
          ['patients', 'items', 'load', 'items/s', 'holdersOf median', 'holdersOf p99'],
          sizes.map((size) => [
            size.patients.toLocaleString('en-GB'),
            (size.patients * HOLDERS_PER_PATIENT).toLocaleString('en-GB'),
            `${(size.loadMs / 1000).toFixed(1)} s`,
            Math.round((size.patients * HOLDERS_PER_PATIENT) / (size.loadMs / 1000)).toLocaleString('en-GB'),
            ms(medianOf(size)),
            ms(p99Of(size)),
          ]),
        ),
      ],
      data: sizes.map((size) => ({
        patients: size.patients,
        items: size.patients * HOLDERS_PER_PATIENT,
        loadMs: size.loadMs,
        medianMs: medianOf(size),
        p99Ms: p99Of(size),
      })),
    }
  } finally {
    await Promise.all(sizes.map((size) => size.dynamo.stop()))
  }
}
