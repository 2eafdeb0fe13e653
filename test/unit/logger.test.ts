import { describe, expect, it } from 'vitest'
import { redact, redactText } from '../../functions/shared/logger'

describe('redactText', () => {
  it('replaces a ten-digit NHS number', () => {
    expect(redactText('read Patient/9000000009 ok')).toBe('read Patient/[NHS_NUMBER] ok')
  })

  it('replaces an NHS number spaced or hyphenated as printed on a card', () => {
    expect(redactText('NHS no. 900 000 0009')).toBe('NHS no. [NHS_NUMBER]')
    expect(redactText('NHS no. 900-000-0009')).toBe('NHS no. [NHS_NUMBER]')
  })

  it('replaces every NHS number in the text', () => {
    expect(redactText('9000000017 merged into 9000000041')).toBe('[NHS_NUMBER] merged into [NHS_NUMBER]')
  })

  it('replaces an NHS number run on from other letters or punctuation', () => {
    expect(redactText('NHS9000000009')).toBe('NHS[NHS_NUMBER]')
    expect(redactText('nhs_9000000009;')).toBe('nhs_[NHS_NUMBER];')
    expect(redactText('system|9000000009&x')).toBe('system|[NHS_NUMBER]&x')
  })

  it('leaves hex identifiers whole, whatever digit runs they hold', () => {
    // A correlation id that an end-to-end test once saw cut in two, an X-Ray trace id and a SHA-256.
    for (const id of [
      'corr-ff7a2426-5558-4177-94f2-e5177360278b',
      '5177360278ab-94f2',
      '1-5759e988-bd862e3f1234567890be4a9f',
      'PART#ab1234567890cdef1234567890abcdef0123456789abcdef0123456789abcd#1',
    ])
      expect(redactText(`correlation ${id} done`)).toBe(`correlation ${id} done`)
  })

  it('leaves longer digit runs and ordinary text alone', () => {
    expect(redactText('took 1700000000000 ms')).toBe('took 1700000000000 ms')
    expect(redactText('phone 01632960587')).toBe('phone 01632960587')
    expect(redactText('status 404 for Y90001')).toBe('status 404 for Y90001')
  })
})

describe('redact', () => {
  it.each([
    'family',
    'given',
    'birthDate',
    'postalCode',
    'address',
    'telecom',
    'nhsNumber',
    'name',
    'email',
    'phone',
  ])('redacts the value under %s', (key) => {
    expect(redact({ [key]: { anything: 'Jane', nested: ['Smith'] } })).toEqual({ [key]: '[REDACTED]' })
  })

  it('redacts personal keys at any depth, inside objects and arrays', () => {
    // Prepare
    const entry = {
      request: {
        query: { family: ['Smith'], birthdate: ['2010-10-22'], 'address-postalcode': ['LS1 6AE'] },
        results: [{ patient: { id: 'x' } }, { resource: { given: ['Jane'], telecom: [] } }],
      },
    }

    // Act
    const redacted = redact(entry)

    // Assess
    expect(redacted).toEqual({
      request: {
        query: { family: '[REDACTED]', birthdate: '[REDACTED]', 'address-postalcode': '[REDACTED]' },
        results: [{ patient: '[REDACTED]' }, { resource: { given: '[REDACTED]', telecom: '[REDACTED]' } }],
      },
    })
  })

  it('matches personal keys whatever their case', () => {
    expect(redact({ NHSNumber: 'x', BirthDate: 'y', POSTCODE: 'z' })).toEqual({
      NHSNumber: '[REDACTED]',
      BirthDate: '[REDACTED]',
      POSTCODE: '[REDACTED]',
    })
  })

  it('replaces NHS numbers in strings under any key', () => {
    expect(redact({ path: '/Patient/9000000009', list: ['900 000 0009'] })).toEqual({
      path: '/Patient/[NHS_NUMBER]',
      list: ['[NHS_NUMBER]'],
    })
  })

  it('redacts the message and stack of an Error', () => {
    // Prepare
    const error = new Error('no record for 9000000009')

    // Act
    const redacted = redact({ error }) as { error: { name: string; message: string; stack: string } }

    // Assess
    expect(redacted.error.name).toBe('Error')
    expect(redacted.error.message).toBe('no record for [NHS_NUMBER]')
    expect(redacted.error.stack).toContain('no record for [NHS_NUMBER]')
    expect(redacted.error.stack).not.toContain('9000000009')
  })

  it('keeps non-personal keys and values as they were', () => {
    // Prepare
    const entry = {
      requestId: 'req-123',
      correlationId: 'corr-456',
      operation: 'readPatient',
      status: 200,
      durationMs: 12.5,
      cached: true,
      organisation: 'NX001',
      missing: null,
    }

    // Act, Assess
    expect(redact(entry)).toEqual(entry)
  })

  it('does not change the value it was given', () => {
    // Prepare
    const entry = { family: 'Smith', path: '/Patient/9000000009' }

    // Act
    redact(entry)

    // Assess
    expect(entry).toEqual({ family: 'Smith', path: '/Patient/9000000009' })
  })

  it('stops at a deep nesting rather than walking forever', () => {
    // Prepare
    let deep: Record<string, unknown> = { leaf: 'x' }
    for (let level = 0; level < 20; level++) deep = { inner: deep }

    // Act
    const text = JSON.stringify(redact(deep))

    // Assess
    expect(text).toContain('[TRUNCATED]')
  })
})
