import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startWebhook } from '../support/webhook'
import { bootStack, eventually, type RunningStack } from './harness'

let running: RunningStack
let events: EventBridgeClient

beforeAll(async () => {
  running = await bootStack()
  // The same SDK client the handlers use, pointed at the local bus (as AWS_ENDPOINT_URL_EVENTBRIDGE does).
  events = new EventBridgeClient({
    endpoint: running.stack.busEndpoint,
    region: 'eu-west-2',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  })
})
afterAll(async () => {
  events.destroy()
  await running.stop()
})

function envelope(data: Record<string, unknown>) {
  return JSON.stringify({
    metadata: {
      id: crypto.randomUUID(),
      version: '1.0',
      occurredAt: new Date().toISOString(),
      correlationId: 'bus-test',
      ics: 'demo',
      producer: 'test',
    },
    data,
  })
}

async function addRule(name: string, pattern: unknown, url: string, maxAttempts = 3) {
  return running.request('/_local/rules', {
    method: 'POST',
    body: JSON.stringify({ name, pattern, url, maxAttempts }),
    headers: { 'Content-Type': 'application/json' },
  })
}

describe('the local EventBridge bus', () => {
  it('delivers an event put through the EventBridge SDK to the target of a matching rule only', async () => {
    // Prepare
    const hook = await startWebhook()
    await addRule(
      'tap-probe',
      { source: ['joinup.test'], detail: { data: { kind: [{ prefix: 'probe' }] } } },
      hook.url,
    )
    // Act
    const result = await events.send(
      new PutEventsCommand({
        Entries: [
          {
            Source: 'joinup.test',
            DetailType: 'ProbeSent',
            Detail: envelope({ kind: 'probe-1' }),
            EventBusName: 'joinup-demo',
          },
          {
            Source: 'joinup.test',
            DetailType: 'ProbeSent',
            Detail: envelope({ kind: 'other' }),
            EventBusName: 'joinup-demo',
          },
        ],
      }),
    )
    // Assess
    expect(result.FailedEntryCount).toBe(0)
    const delivered = await eventually(async () => (hook.received.length ? hook.received : undefined))
    await running.stack.bus.idle()
    expect(delivered).toHaveLength(1)
    expect(delivered[0]!.body).toMatchObject({
      source: 'joinup.test',
      'detail-type': 'ProbeSent',
      detail: { data: { kind: 'probe-1' } },
    })
    await hook.close()
  })

  it('answers partial failures per entry, as PutEvents does', async () => {
    const result = await events.send(
      new PutEventsCommand({
        Entries: [
          {
            Source: 'joinup.test',
            DetailType: 'ProbeSent',
            Detail: envelope({}),
            EventBusName: 'joinup-demo',
          },
          { Source: 'joinup.test', DetailType: 'ProbeSent', Detail: 'not json', EventBusName: 'joinup-demo' },
        ],
      }),
    )
    expect(result.FailedEntryCount).toBe(1)
    expect(result.Entries?.[1]?.ErrorCode).toBe('MalformedDetail')
  })

  it('refuses an invalid pattern when the rule is declared, with a clear message', async () => {
    const response = await addRule('broken', { source: [{ prefix: 5 }] }, 'http://127.0.0.1:1/never')
    expect(response.status).toBe(400)
    expect(((await response.json()) as { message: string }).message).toMatch(/prefix/)
  })

  it('dead-letters a target that keeps failing, then delivers it exactly once on replay', async () => {
    // Prepare: a webhook that fails until it is "fixed"
    let fixed = false
    const hook = await startWebhook(() => (fixed ? 200 : 503))
    await addRule('tap-flaky', { 'detail-type': ['FlakyProbe'] }, hook.url, 3)
    // Act: publish, and wait for the three attempts to end in the dead-letter store
    await events.send(
      new PutEventsCommand({
        Entries: [
          {
            Source: 'joinup.test',
            DetailType: 'FlakyProbe',
            Detail: envelope({ n: 1 }),
            EventBusName: 'joinup-demo',
          },
        ],
      }),
    )
    const letters = await eventually(async () => {
      const list = (await (await running.request('/_local/dead-letters')).json()) as {
        rule: string
        attempts: number
      }[]
      const mine = list.filter((letter) => letter.rule === 'tap-flaky')
      return mine.length ? mine : undefined
    })
    // Assess
    expect(letters).toEqual([expect.objectContaining({ rule: 'tap-flaky', attempts: 3 })])
    expect(hook.attempts()).toBe(3)
    expect(hook.received).toHaveLength(0)
    // Act: fix the receiver and replay
    fixed = true
    const replay = (await (
      await running.request('/_local/dead-letters/replay', { method: 'POST' })
    ).json()) as {
      replayed: number
    }
    expect(replay.replayed).toBe(1)
    await eventually(async () => (hook.received.length ? true : undefined))
    await running.stack.bus.idle()
    // Assess: delivered once, and the dead-letter store is empty again
    expect(hook.received).toHaveLength(1)
    const after = (await (await running.request('/_local/dead-letters')).json()) as { rule: string }[]
    expect(after.filter((letter) => letter.rule === 'tap-flaky')).toEqual([])
    await hook.close()
  })

  it('keeps every event in an archive that can be queried by detail-type', async () => {
    const archived = (await (await running.request('/_local/events?detail-type=FlakyProbe')).json()) as {
      'detail-type': string
    }[]
    expect(archived.length).toBeGreaterThanOrEqual(1)
    expect(archived.every((event) => event['detail-type'] === 'FlakyProbe')).toBe(true)
  })
})
