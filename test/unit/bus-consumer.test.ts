import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Context, SQSEvent, SQSRecord } from 'aws-lambda'
import { describe, expect, it } from 'vitest'
import { busEventConsumer, type QueuedBusEvent } from '../../functions/shared/busConsumer'
import { eventRules } from '../../infra/event-rules'
import { type FunctionDeclaration, functions } from '../../infra/functions'

const context = { getRemainingTimeInMillis: () => 10_000, awsRequestId: 'test' } as unknown as Context

function queued(id: string, correlationId: string, receives = 1): SQSRecord {
  return {
    messageId: id,
    receiptHandle: id,
    body: JSON.stringify({
      id,
      'detail-type': 'RecordHolderRegistered',
      source: 'joinup.patient-index',
      detail: { metadata: { id, correlationId }, data: {} },
    }),
    attributes: { ApproximateReceiveCount: String(receives) },
  } as unknown as SQSRecord
}

describe('busEventConsumer', () => {
  it('hands each record its event, receive count and a logger carrying its correlation id', async () => {
    // Prepare
    const seen: QueuedBusEvent[] = []
    const consume = busEventConsumer(async (item) => {
      seen.push(item)
    })

    // Act
    const response = await consume(
      { Records: [queued('e1', 'corr-1', 3), queued('e2', 'corr-2')] } as SQSEvent,
      context,
    )

    // Assess
    expect(response.batchItemFailures).toEqual([])
    const byId = new Map(seen.map((item) => [item.event.id, item]))
    expect(byId.get('e1')?.receives).toBe(3)
    expect(byId.get('e2')?.receives).toBe(1)
    expect(byId.get('e1')?.log.getPersistentLogAttributes()).toMatchObject({
      correlation_id: 'corr-1',
      event_id: 'e1',
      detail_type: 'RecordHolderRegistered',
    })
    expect(byId.get('e2')?.log.getPersistentLogAttributes()).toMatchObject({ correlation_id: 'corr-2' })
  })

  it('returns only the records that failed to the queue', async () => {
    // Prepare
    const consume = busEventConsumer(async ({ event }) => {
      if (event.id === 'bad') throw new Error('cannot apply')
    })

    // Act
    const response = await consume(
      { Records: [queued('good', 'c'), queued('bad', 'c'), queued('also-good', 'c')] } as SQSEvent,
      context,
    )

    // Assess
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: 'bad' }])
  })

  it("is every rule consumer's entry point, so every consumer logs with its event's correlation", () => {
    for (const rule of eventRules) {
      const declaration: FunctionDeclaration = functions[rule.consumer]
      const source = readFileSync(join(import.meta.dirname, '..', '..', declaration.entry), 'utf8')
      expect(source, `${rule.consumer} (${declaration.entry})`).toMatch(
        new RegExp(`export const ${declaration.handler} = busEventConsumer\\(`),
      )
    }
  })
})
