import { existsSync } from 'node:fs'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { EventBridgePublisher, type OutgoingEvent } from '../../functions/shared/events'
import { currentIcs } from '../../functions/shared/ics'
import { DynamoDbPatientCache } from '../../functions/shared/patients/DynamoDbPatientCache'
import { DynamoDbClinicalStore } from '../../functions/shared/records/DynamoDbClinicalStore'
import { recordTypeFromText } from '../../schemas/fhir/recordTypes'
import type { LocalStack } from '../local/runtime'
import { DEMO_PATIENTS, demoPatientRecords } from './demoPatients'
import { demoStoredRecords } from './demoStore'
import { publishDemoSlots } from './seedSlots'

/** Who holds what in the demo ICS, beyond every patient's own GP practice. */
const EXTRA_HOLDINGS: [nhsNumber: string, holderOds: string, recordType: string][] = [
  [DEMO_PATIENTS.registered, 'RX9', 'Discharge summary'],
  [DEMO_PATIENTS.supersededBy, 'FX002', 'Community pharmacy record'],
  [DEMO_PATIENTS.deceased, 'RX9', 'End of life care coordination summary'],
  [DEMO_PATIENTS.federated, 'Y90001', 'GP record'],
  [DEMO_PATIENTS.federated, 'RX9', 'Discharge summary'],
]

/** Written when a seed has finished; a seed cut short by a crash runs again (every step is idempotent). */
const SEEDED_MARKER = 'demo-seed-complete'

/**
 * Seeds the demo ICS's synthetic data once; a restart with DATA_DIR keeps what is there.
 * Patients go into the PDS cache; the patient index is filled the way it always is, by
 * RecordHolderRegistered events through the bus.
 */
export async function seedDemoData(stack: LocalStack, progress: (line: string) => void): Promise<void> {
  if (stack.dataDir && existsSync(join(stack.dataDir, SEEDED_MARKER))) {
    progress('Demo data already present (DATA_DIR): not seeding again')
    // Slots move with the calendar: the fortnight ahead is published on every start.
    await publishDemoSlots(stack, progress)
    return
  }
  const cache = new DynamoDbPatientCache()
  const records = demoPatientRecords()
  // An ICS that reads the national PDS through its copy (example-north) gets the synthetic
  // patients as npm run pds:load would load them: fresh for one cache TTL, so a local stack
  // without NHS API platform credentials can still look them up (restarting within the TTL).
  const pds = currentIcs().pds
  const expiresAt =
    pds.source === 'national-with-cache' ? Math.floor(Date.now() / 1000) + pds.cacheTtlSeconds : undefined
  await cache.putAll(records.map((record) => (expiresAt ? { ...record, expiresAt } : record)))
  progress(`Seeded ${records.length} synthetic patients into the PDS cache of ${stack.ics}`)

  const holdings: OutgoingEvent[] = []
  for (const record of records) {
    if (record.status !== 'active') continue
    const gp = record.patient.generalPractitioner?.[0]?.identifier?.value
    if (!gp) continue
    holdings.push({
      detailType: 'RecordHolderRegistered',
      major: 2,
      data: { nhsNumber: record.nhsNumber, holderOds: gp, recordType: recordTypeFromText('GP record') },
    })
  }
  for (const [nhsNumber, holderOds, recordType] of EXTRA_HOLDINGS) {
    holdings.push({
      detailType: 'RecordHolderRegistered',
      major: 2,
      data: { nhsNumber, holderOds, recordType: recordTypeFromText(recordType) },
    })
  }
  const publisher = new EventBridgePublisher({
    source: 'joinup.platform',
    ics: () => stack.ics,
    clock: () => new Date(),
  })
  await publisher.publish(holdings, { correlationId: 'demo-seed' })
  await stack.bus.idle(30_000)
  progress(`Registered ${holdings.length} record holders in the patient index (through the bus)`)
  const store = new DynamoDbClinicalStore()
  for (const record of demoStoredRecords()) await store.write(record)
  progress('Wrote the demo pharmacy record into the clinical store')
  await publishDemoSlots(stack, progress)
  if (stack.dataDir) await writeFile(join(stack.dataDir, SEEDED_MARKER), `${new Date().toISOString()}\n`)
}
