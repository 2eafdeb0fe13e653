import { DynamoDbPatientCache } from '../../functions/shared/patients/DynamoDbPatientCache'
import type { LocalStack } from '../local/runtime'
import { DEMO_PATIENTS, demoPatientRecords } from './demoPatients'

/** Seeds the demo ICS's synthetic data once; a restart with DATA_DIR keeps what is there. */
export async function seedDemoData(stack: LocalStack, progress: (line: string) => void): Promise<void> {
  const cache = new DynamoDbPatientCache()
  if (await cache.get(DEMO_PATIENTS.registered)) {
    progress('Demo data already present (DATA_DIR): not seeding again')
    return
  }
  const patients = demoPatientRecords()
  await cache.putAll(patients)
  progress(`Seeded ${patients.length} synthetic patients into the PDS cache of ${stack.ics}`)
}
