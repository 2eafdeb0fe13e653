import { describe, expect, it } from 'vitest'
import { parseSlotSearch } from '../../functions/appointments/slotSearch'
import { FhirError } from '../../functions/shared/errors'
import type { IcsRuntimeConfig } from '../../schemas/ics-config'

const ics = {
  members: [
    { ods: 'Y90001', name: 'Demo Surgery North', role: 'gp-practice' },
    { ods: 'Y90002', name: 'Demo Surgery South', role: 'gp-practice' },
  ],
} as IcsRuntimeConfig

const search = (query: Record<string, string | string[]>) =>
  parseSlotSearch(
    Object.fromEntries(
      Object.entries(query).map(([name, value]) => [name, Array.isArray(value) ? value : [value]]),
    ),
    ics,
  )

/** The Spine code and status a search is refused with. */
function refusal(query: Record<string, string | string[]>) {
  try {
    search(query)
  } catch (error) {
    if (error instanceof FhirError) return { status: error.status, code: error.code }
    throw error
  }
  return undefined
}

describe('parseSlotSearch', () => {
  it('takes GP Connect form: start=ge, end=le, status=free', () => {
    // Act
    const parsed = search({ status: 'free', start: 'ge2027-01-11', end: 'le2027-01-15' })
    // Assess: from the first moment of the first day to the last of the last, ends bounded too
    expect(parsed).toMatchObject({
      from: '2027-01-11T00:00:00.000Z',
      to: '2027-01-15T23:59:59.999Z',
      endBy: '2027-01-15T23:59:59.999Z',
    })
  })

  it('takes the FHIR form with two start parameters, bounding the start only', () => {
    const parsed = search({ status: 'free', start: ['ge2027-07-05', 'le2027-07-09'] })
    expect(parsed).toMatchObject({ from: '2027-07-04T23:00:00.000Z', to: '2027-07-09T22:59:59.999Z' })
    expect(parsed.endBy).toBeUndefined()
  })

  it('answers 400 BAD_REQUEST without status or start, as GP Connect does', () => {
    expect(refusal({ start: 'ge2027-01-11', end: 'le2027-01-15' })).toEqual({
      status: 400,
      code: 'BAD_REQUEST',
    })
    expect(refusal({ status: 'free', end: 'le2027-01-15' })).toEqual({ status: 400, code: 'BAD_REQUEST' })
    expect(refusal({ status: 'free', start: 'ge2027-01-11' })).toEqual({ status: 400, code: 'BAD_REQUEST' })
  })

  it('answers 422 INVALID_PARAMETER for any status but free', () => {
    expect(refusal({ status: 'busy', start: 'ge2027-01-11', end: 'le2027-01-15' })).toEqual({
      status: 422,
      code: 'INVALID_PARAMETER',
    })
  })

  it('allows a window of exactly 14 days and refuses 15 (GP Connect)', () => {
    expect(refusal({ status: 'free', start: 'ge2027-01-01', end: 'le2027-01-15' })).toBeUndefined()
    expect(refusal({ status: 'free', start: 'ge2027-01-01', end: 'le2027-01-16' })).toEqual({
      status: 422,
      code: 'INVALID_PARAMETER',
    })
    expect(
      refusal({ status: 'free', start: 'ge2027-01-01T09:00:00+00:00', end: 'le2027-01-15T09:00:01+00:00' }),
    ).toEqual({ status: 422, code: 'INVALID_PARAMETER' })
  })

  it('counts a fortnight on the wall clock across both clock changes', () => {
    // Spring: 14 days of local time are 14 days less an hour of real time
    expect(
      refusal({ status: 'free', start: 'ge2027-03-21T09:00:00+00:00', end: 'le2027-04-04T09:00:00+01:00' }),
    ).toBeUndefined()
    // Autumn: 14 days of local time are 14 days and an hour of real time, still a fortnight
    expect(
      refusal({ status: 'free', start: 'ge2027-10-24T09:00:00+01:00', end: 'le2027-11-07T09:00:00+00:00' }),
    ).toBeUndefined()
    expect(
      refusal({ status: 'free', start: 'ge2027-10-24T09:00:00+01:00', end: 'le2027-11-07T09:00:01+00:00' }),
    ).toEqual({ status: 422, code: 'INVALID_PARAMETER' })
  })

  it('refuses Z, missing offsets, the wrong season offset and partial dates with 422 INVALID_PARAMETER', () => {
    for (const start of [
      'ge2027-01-11T09:00:00Z',
      'ge2027-01-11T09:00:00',
      'ge2027-01-11T09:00:00+01:00',
      'ge2027-07-11T09:00:00+00:00',
      'ge2027',
      'ge2027-01',
      'ge',
      'geinvalidStartDate',
      '',
    ]) {
      expect(refusal({ status: 'free', start, end: 'le2027-01-15' }), start).toEqual({
        status: 422,
        code: 'INVALID_PARAMETER',
      })
    }
  })

  it('refuses prefixes other than start=ge and end=le or start=le (the GP Connect assurance cases)', () => {
    for (const [start, end] of [
      ['lt', 'gt'],
      ['gt', 'gt'],
      ['lt', 'lt'],
      ['le', 'ge'],
      ['eq', 'eq'],
      ['gt', 'lt'],
      ['ne', 'ne'],
      ['ge', 'ne'],
      ['ne', 'le'],
    ]) {
      expect(refusal({ status: 'free', start: `${start}2027-01-11`, end: `${end}2027-01-13` })).toEqual({
        status: 422,
        code: 'INVALID_PARAMETER',
      })
    }
  })

  it('refuses a window that ends before it starts, and repeated bounds', () => {
    expect(refusal({ status: 'free', start: 'ge2027-01-11', end: 'le2027-01-10' })?.status).toBe(422)
    expect(
      refusal({ status: 'free', start: ['ge2027-01-11', 'ge2027-01-12'], end: 'le2027-01-13' })?.status,
    ).toBe(422)
    expect(
      refusal({ status: 'free', start: 'ge2027-01-11', end: ['le2027-01-12', 'le2027-01-13'] })?.status,
    ).toBe(422)
  })

  it('takes organization as ODS codes of members, plain, with the system, or comma separated', () => {
    expect(
      search({ status: 'free', start: 'ge2027-01-11', end: 'le2027-01-12', organization: 'Y90001' })
        .organisations,
    ).toEqual(['Y90001'])
    expect(
      search({
        status: 'free',
        start: 'ge2027-01-11',
        end: 'le2027-01-12',
        organization: 'https://fhir.nhs.uk/Id/ods-organization-code|Y90002,Y90001',
      }).organisations,
    ).toEqual(['Y90002', 'Y90001'])
    expect(
      refusal({ status: 'free', start: 'ge2027-01-11', end: 'le2027-01-12', organization: 'ZZ999' })?.status,
    ).toBe(422)
  })

  it('includes schedules, their actors and organisations only as asked, and refuses unknown includes', () => {
    const base = { status: 'free', start: 'ge2027-01-11', end: 'le2027-01-12' }
    expect(search(base).include).toEqual({
      schedule: false,
      practitioner: false,
      location: false,
      organization: false,
    })
    expect(
      search({
        ...base,
        _include: 'Slot:schedule',
        '_include:recurse': ['Schedule:actor:Practitioner', 'Location:managingOrganization'],
      }).include,
    ).toEqual({ schedule: true, practitioner: true, location: false, organization: true })
    expect(refusal({ ...base, _include: 'Slot:everything' })?.status).toBe(422)
    expect(refusal({ ...base, '_include:recurse': 'Schedule:actor:Device' })?.status).toBe(422)
  })

  it("ignores GP Connect's searchFilter and parameters it does not know (FHIR)", () => {
    expect(
      refusal({
        status: 'free',
        start: 'ge2027-01-11',
        end: 'le2027-01-12',
        searchFilter: ['https://fhir.nhs.uk/Id/ods-organization-code|NX001', 'urn:x|y'],
        _format: 'json',
      }),
    ).toBeUndefined()
  })

  it('accepts only cursors of the form this server issues', () => {
    const base = { status: 'free', start: 'ge2027-01-11', end: 'le2027-01-12' }
    expect(search({ ...base, _cursor: '2027-01-11T09:00:00.000Z#Y90001.gp.202701110900' }).after).toBe(
      '2027-01-11T09:00:00.000Z#Y90001.gp.202701110900',
    )
    expect(refusal({ ...base, _cursor: 'anything' })?.status).toBe(422)
    expect(refusal({ ...base, _cursor: 'x2027-01-11T09:00:00.000Z#Y90001.gp.202701110900' })?.status).toBe(
      422,
    )
    expect(refusal({ ...base, _cursor: '2027-01-11T09:00:00.000Z#Y90001.gp.202701110900/' })?.status).toBe(
      422,
    )
    expect(
      refusal({
        ...base,
        _cursor: [
          '2027-01-11T09:00:00.000Z#Y90001.gp.202701110900',
          '2027-01-11T10:00:00.000Z#Y90001.gp.202701111000',
        ],
      })?.status,
    ).toBe(422)
  })

  it('refuses status=free given twice', () => {
    expect(refusal({ status: ['free', 'free'], start: 'ge2027-01-11', end: 'le2027-01-12' })).toEqual({
      status: 422,
      code: 'INVALID_PARAMETER',
    })
  })

  it('bounds a date-time upper bound at that instant, not at the end of its day', () => {
    const parsed = search({
      status: 'free',
      start: 'ge2027-01-11T09:00:00+00:00',
      end: 'le2027-01-11T10:00:00+00:00',
    })

    expect(parsed).toMatchObject({
      from: '2027-01-11T09:00:00.000Z',
      to: '2027-01-11T10:00:00.000Z',
      endBy: '2027-01-11T10:00:00.000Z',
    })
  })

  it('refuses a bound with anything around its prefix and value', () => {
    const base = { status: 'free', end: 'le2027-01-12' }
    expect(refusal({ ...base, start: 'XXge2027-01-11' })).toEqual({ status: 422, code: 'INVALID_PARAMETER' })
    expect(refusal({ ...base, start: 'ge2027-01-11\n' })).toEqual({ status: 422, code: 'INVALID_PARAMETER' })
  })

  it('refuses a second start=le and a start with another prefix', () => {
    expect(refusal({ status: 'free', start: ['ge2027-01-11', 'le2027-01-12', 'le2027-01-13'] })).toEqual({
      status: 422,
      code: 'INVALID_PARAMETER',
    })
    expect(refusal({ status: 'free', start: ['ge2027-01-11', 'eq2027-01-12'], end: 'le2027-01-12' })).toEqual(
      { status: 422, code: 'INVALID_PARAMETER' },
    )
  })

  it('takes service-type once, trimmed and in lower case, and refuses it repeated, blank or over 200 characters', () => {
    const base = { status: 'free', start: 'ge2027-01-11', end: 'le2027-01-12' }
    expect(search({ ...base, 'service-type': '  General Practice ' }).serviceType).toBe('general practice')
    expect(search({ ...base, 'service-type': 'x'.repeat(200) }).serviceType).toBe('x'.repeat(200))
    for (const serviceType of [['a', 'b'], ['   '], ['x'.repeat(201)]]) {
      expect(refusal({ ...base, 'service-type': serviceType }), String(serviceType)).toEqual({
        status: 422,
        code: 'INVALID_PARAMETER',
      })
    }
  })

  it('takes _count from 1 to 500, once', () => {
    const base = { status: 'free', start: 'ge2027-01-11', end: 'le2027-01-12' }
    expect(search(base).count).toBe(500)
    expect(search({ ...base, _count: '1' }).count).toBe(1)
    expect(search({ ...base, _count: '500' }).count).toBe(500)
    for (const count of [['0'], ['501'], ['10.5'], ['-1'], ['1e2'], ['5', '6']]) {
      expect(refusal({ ...base, _count: count }), String(count)).toEqual({
        status: 422,
        code: 'INVALID_PARAMETER',
      })
    }
  })

  it('includes actors only with their schedules, and locations when asked', () => {
    const base = { status: 'free', start: 'ge2027-01-11', end: 'le2027-01-12' }
    expect(
      search({ ...base, '_include:recurse': ['Schedule:actor:Practitioner', 'Schedule:actor:Location'] })
        .include,
    ).toEqual({ schedule: false, practitioner: false, location: false, organization: false })
    expect(
      search({ ...base, _include: 'Slot:schedule', '_include:recurse': 'Schedule:actor:Location' }).include,
    ).toEqual({ schedule: true, practitioner: false, location: true, organization: true })
  })
})
