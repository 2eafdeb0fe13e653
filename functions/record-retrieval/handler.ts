import type { HolderProtocol } from '../../schemas/ics-config'
import { GpConnectRecordSource } from '../shared/gpconnect/GpConnectRecordSource'
import { httpApi } from '../shared/http'
import { currentIcs } from '../shared/ics'
import { logger } from '../shared/logger'
import { countMetric } from '../shared/metrics'
import { DynamoDbPatientIndex } from '../shared/patient-index/DynamoDbPatientIndex'
import { patientDirectory } from '../shared/patients/directory'
import { auditTrail, rateLimiter, refusalBudget } from '../shared/platform'
import { DynamoDbClinicalStore } from '../shared/records/DynamoDbClinicalStore'
import type { HolderRecordSource } from '../shared/records/HolderRecordSource'
import { StoreRecordSource } from '../shared/records/StoreRecordSource'
import { systemClock } from '../shared/time'
import { getStructuredRecord, type RetrievalDependencies } from './retrieve'

let dependencies: RetrievalDependencies | undefined

/** Built once per container, on first use (the ICS config is read then). */
function dependenciesOf(): RetrievalDependencies {
  if (!dependencies) {
    const ics = currentIcs()
    const sources: Record<HolderProtocol, HolderRecordSource> = {
      'gpconnect-1.6-stu3': new GpConnectRecordSource({
        directory: ics.directory ?? {},
        ics: ics.ics,
        clock: systemClock,
      }),
      'joinup-store': new StoreRecordSource(new DynamoDbClinicalStore(), systemClock),
    }
    dependencies = {
      patients: patientDirectory(),
      index: new DynamoDbPatientIndex(),
      sources,
      ics,
      clock: systemClock,
    }
  }
  return dependencies
}

/** Record retrieval: POST /Patient/$gpc.getstructuredrecord. */
export const handler = httpApi(
  'recordRetrieval',
  {
    getStructuredRecord: async (request, caller) => {
      const { bundle, audit, holders } = await getStructuredRecord(
        request.body,
        caller,
        request,
        dependenciesOf(),
      )
      // One line for every holder asked, not one per holder: the trace ids the providers' support desks ask for.
      logger.info('holders asked', {
        holders: holders.map((holder) => ({
          holder: holder.ods,
          outcome: holder.outcome,
          status: holder.status,
          sspTraceId: holder.traceId,
        })),
      })
      countMetric('RecordsRetrieved')
      for (const holder of holders)
        countMetric(holder.outcome === 'answered' ? 'HoldersAnswered' : 'HoldersFailed', 1, {
          holder: holder.ods,
        })
      return { status: 200, body: bundle, audit }
    },
  },
  { audit: auditTrail, rateLimiter, refusalBudget },
)
