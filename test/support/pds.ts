import { DynamoDBClient } from '@aws-sdk/client-dynamodb'
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb'
import { DynamoDbPatientCache } from '../../functions/shared/patients/DynamoDbPatientCache'
import { pdsPatient } from '../../scripts/seed/demoPatients'

/**
 * Makes the running local stack's PDS lookup know these NHS numbers, as the ICS's PDS sync
 * would deliver new patients: made-up demographics (family name Spare, so no demo search
 * finds them), registered with a GP practice outside the ICS so nobody in it holds their
 * records yet. For tests that need patients with an empty index entry (the patient index
 * only takes pointers for NHS numbers PDS lookup knows).
 */
export async function knownToPds(baseUrl: string, nhsNumbers: readonly string[]): Promise<void> {
  const info = (await (await fetch(new URL('/_local/info', baseUrl))).json()) as {
    dynamoEndpoint: string
    region: string
    tables: { patients: string }
  }
  const client = new DynamoDBClient({
    endpoint: info.dynamoEndpoint,
    region: info.region,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  })
  try {
    const cache = new DynamoDbPatientCache(
      DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } }),
      info.tables.patients,
    )
    await cache.putAll(
      nhsNumbers.map((nhsNumber) => ({
        nhsNumber,
        status: 'active' as const,
        patient: pdsPatient({
          nhsNumber,
          family: 'Spare',
          given: ['Pat'],
          gender: 'female',
          birthDate: '1970-01-01',
          postcode: 'LS1 6AE',
          line: '1 Test Street',
          gp: 'A99999',
        }),
      })),
    )
  } finally {
    client.destroy()
  }
}
