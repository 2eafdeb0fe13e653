import type { IncomingMessage, ServerResponse } from 'node:http'
import { Client } from 'fhir-kit-client'
import smart from 'fhirclient'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { NHS_NUMBER_SYSTEM, ODS_CODE_SYSTEM } from '../../schemas/fhir/identifiers'
import { SNOMED } from '../../schemas/fhir/recordTypes'
import { bootStack, eventually, type RunningStack } from './harness'

// Two off-the-shelf FHIR clients, used unchanged as a partner app would use them: metadata,
// read, search, paging to the end, create, read back, delete.

interface Resource {
  resourceType: string
  id?: string
}
interface Bundle extends Resource {
  total?: number
  entry?: { resource: Resource }[]
  link?: { relation: string; url: string }[]
}

let running: RunningStack
let token: string
const SUBJECT = `${NHS_NUMBER_SYSTEM}|9000000009`

beforeAll(async () => {
  running = await bootStack()
  token = await running.token('FX002', 'patient.read record.read pointer.write')
})
afterAll(() => running.stop())

/** A pointer FX002 (Second Demo Pharmacy) holds about 9000000009. */
const registration = (code: string) => ({
  resourceType: 'DocumentReference',
  status: 'current',
  type: { coding: [{ system: SNOMED, code }] },
  subject: { identifier: { system: NHS_NUMBER_SYSTEM, value: '9000000009' } },
  custodian: { identifier: { system: ODS_CODE_SYSTEM, value: 'FX002' } },
})

describe('fhir-kit-client', () => {
  it('completes the tour: metadata, SMART discovery, read, search paged to the end, create, read back, delete', async () => {
    const client = new Client({ baseUrl: running.baseUrl, bearerToken: token })
    // metadata and discovery
    const statement = (await client.capabilityStatement()) as unknown as { fhirVersion: string }
    expect(statement.fhirVersion).toBe('4.0.1')
    const auth = (await client.smartAuthMetadata()) as { tokenUrl?: URL }
    expect(String(auth.tokenUrl)).toBe(`${running.baseUrl}/_local/token`)
    // read
    const patient = (await client.read({ resourceType: 'Patient', id: '9000000009' })) as Resource
    expect(patient).toMatchObject({ resourceType: 'Patient', id: '9000000009' })
    // search, one entry a page, to the end
    let page: Bundle | undefined = (await client.search({
      resourceType: 'DocumentReference',
      searchParams: { 'subject:identifier': SUBJECT, _count: 1 },
    })) as Bundle
    const seen: string[] = []
    while (page) {
      seen.push(...(page.entry ?? []).map((entry) => entry.resource.id!))
      page = (await client.nextPage({ bundle: page as never })) as Bundle | undefined
    }
    expect(seen.length).toBeGreaterThanOrEqual(2)
    expect(new Set(seen).size).toBe(seen.length)
    // create, read back at its id, delete
    const created = (await client.create({
      resourceType: 'DocumentReference',
      body: registration('887181000000106') as never,
    })) as Resource
    const readBack = await eventually(async () => {
      try {
        return (await client.read({ resourceType: 'DocumentReference', id: created.id! })) as Resource
      } catch {
        return undefined
      }
    })
    expect(readBack.id).toBe(created.id)
    await client.delete({ resourceType: 'DocumentReference', id: created.id! })
    await eventually(async () => {
      try {
        await client.read({ resourceType: 'DocumentReference', id: created.id! })
        return undefined
      } catch (error) {
        return (error as { response?: { status: number } }).response?.status === 404 ? true : undefined
      }
    })
  })
})

describe("SMART's fhirclient", () => {
  it('completes the tour: metadata, read, search paged to the end, create, read back, delete', async () => {
    // A backend app already holding a token (client credentials): no launch, no redirect.
    const request = {
      headers: { host: 'partner.example' },
      url: '/',
      method: 'GET',
    } as unknown as IncomingMessage
    const response = {} as ServerResponse
    const client = smart(request, response).client({
      serverUrl: running.baseUrl,
      tokenResponse: { access_token: token, token_type: 'Bearer' },
    })
    // metadata
    expect(await client.getFhirRelease()).toBe(4)
    // read
    const patient = (await client.request('Patient/9000000009')) as Resource
    expect(patient).toMatchObject({ resourceType: 'Patient', id: '9000000009' })
    // search, one entry a page, every page followed (pageLimit 0)
    const pages = (await client.request(
      `DocumentReference?subject:identifier=${encodeURIComponent(SUBJECT)}&_count=1`,
      { pageLimit: 0 },
    )) as Bundle[]
    expect(pages.length).toBeGreaterThanOrEqual(2)
    expect(pages.at(-1)!.link?.some((link) => link.relation === 'next')).toBe(false)
    expect(pages.at(-1)!.total).toBe(pages.length)
    // create, read back, delete
    const created = (await client.create(registration('1382601000000107') as never)) as Resource
    const readBack = await eventually(async () => {
      try {
        return (await client.request(`DocumentReference/${created.id}`)) as Resource
      } catch {
        return undefined
      }
    })
    expect(readBack.id).toBe(created.id)
    await client.delete(`DocumentReference/${created.id}`)
    await eventually(async () => {
      try {
        await client.request(`DocumentReference/${created.id}`)
        return undefined
      } catch (error) {
        return (error as { status?: number }).status === 404 ? true : undefined
      }
    })
  })
})
