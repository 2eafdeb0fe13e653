import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DEMO_PATIENTS } from '../../scripts/seed/demoPatients'
import { bootStack, type RunningStack } from './harness'

let running: RunningStack

beforeAll(async () => {
  // An ICS configured for 5 requests a minute per organisation.
  running = await bootStack({ requestsPerMinute: 5 })
})
afterAll(() => running.stop())

describe('the per-organisation rate limit', () => {
  it('answers 429 TOO_MANY_REQUESTS with Retry-After past the limit, per organisation', async () => {
    // Prepare
    const busy = await running.token('NX001', 'patient.read')
    const other = await running.token('RX9', 'patient.read')
    const read = (token: string) => running.request(`/Patient/${DEMO_PATIENTS.registered}`, { token })
    // Act
    const statuses: number[] = []
    for (let i = 0; i < 5; i++) statuses.push((await read(busy)).status)
    const limited = await read(busy)
    // Assess
    expect(statuses).toEqual([200, 200, 200, 200, 200])
    expect(limited.status).toBe(429)
    const retryAfter = Number(limited.headers.get('retry-after'))
    expect(retryAfter).toBeGreaterThan(0)
    expect(retryAfter).toBeLessThanOrEqual(60)
    const body = (await limited.json()) as { issue: { details: { coding: { code: string }[] } }[] }
    expect(body.issue[0]!.details.coding[0]!.code).toBe('TOO_MANY_REQUESTS')
    expect((await read(other)).status).toBe(200)
  })
})
