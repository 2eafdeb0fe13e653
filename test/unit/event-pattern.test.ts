import { describe, expect, it } from 'vitest'
import {
  compileEventPattern,
  InvalidEventPatternError,
  matchesEventPattern,
} from '../../scripts/local/event-pattern'

// Each case mirrors behaviour AWS's TestEventPattern API exhibits; see the contract suite for the
// AWS-verified corpus these are distilled from.

function matches(pattern: unknown, event: unknown): boolean {
  return compileEventPattern(pattern).matches(event)
}

function rejectionOf(pattern: unknown): string {
  try {
    compileEventPattern(pattern)
  } catch (error) {
    if (error instanceof InvalidEventPatternError) return error.message
    throw error
  }
  throw new Error('expected the pattern to be rejected')
}

describe('compileEventPattern', () => {
  describe('exact values', () => {
    it('matches a string character for character, case and whitespace included', () => {
      expect(matches({ name: ['Alice 🚀 '] }, { name: 'Alice 🚀 ' })).toBe(true)
      expect(matches({ name: ['Alice'] }, { name: 'alice' })).toBe(false)
      expect(matches({ name: ['Alice'] }, { name: 'Alice ' })).toBe(false)
    })

    it('matches any of the listed values', () => {
      expect(matches({ env: ['dev', 'prod'] }, { env: 'prod' })).toBe(true)
      expect(matches({ env: ['dev', 'prod'] }, { env: 'test' })).toBe(false)
    })

    it('compares numbers numerically, so 5 matches 5.0 and 300 matches 3.0e2', () => {
      expect(matches({ count: [5] }, { count: 5.0 })).toBe(true)
      expect(matches({ count: [3.0e2] }, { count: 300 })).toBe(true)
      expect(matches({ count: [5] }, { count: 5.5 })).toBe(false)
    })

    it('never matches a number against its string form', () => {
      expect(matches({ count: [5] }, { count: '5' })).toBe(false)
      expect(matches({ count: ['5'] }, { count: 5 })).toBe(false)
    })

    it('matches true, false and null only against the same literal', () => {
      expect(matches({ flag: [false] }, { flag: false })).toBe(true)
      expect(matches({ flag: [false] }, { flag: true })).toBe(false)
      expect(matches({ flag: [true] }, { flag: 'true' })).toBe(false)
      expect(matches({ flag: [false] }, { flag: 0 })).toBe(false)
    })

    it('matches any spelling of an IP address given as a plain value', () => {
      expect(matches({ ip: ['2001:db8::1'] }, { ip: '2001:0db8:0000:0000:0000:0000:0000:0001' })).toBe(true)
      expect(matches({ ip: ['10.0.0.1'] }, { ip: '10.0.0.2' })).toBe(false)
    })
  })

  describe('null, missing and empty values', () => {
    it('matches null only where the event holds null, not the string "null"', () => {
      expect(matches({ detail: { reason: [null] } }, { detail: { reason: null } })).toBe(true)
      expect(matches({ detail: { reason: [null] } }, { detail: { reason: 'null' } })).toBe(false)
    })

    it('does not match a missing field against null', () => {
      expect(matches({ detail: { reason: [null] } }, { detail: {} })).toBe(false)
    })

    it('matches an empty string only against an empty string', () => {
      expect(matches({ detail: { version: [''] } }, { detail: { version: '' } })).toBe(true)
      expect(matches({ detail: { version: [''] } }, { detail: { version: null } })).toBe(false)
      expect(matches({ detail: { version: [''] } }, { detail: {} })).toBe(false)
    })

    it('treats an empty event array as a missing field', () => {
      expect(matches({ resources: [null] }, { resources: [] })).toBe(false)
      expect(matches({ resources: [{ exists: false }] }, { resources: [] })).toBe(true)
    })
  })

  describe('arrays', () => {
    it('matches when the event array and the pattern list share an element', () => {
      expect(matches({ resources: ['arn:b', 'arn:x'] }, { resources: ['arn:a', 'arn:b'] })).toBe(true)
    })

    it('does not match when the event array and the pattern list share nothing', () => {
      expect(matches({ resources: ['arn:x', 'arn:y'] }, { resources: ['arn:a', 'arn:b'] })).toBe(false)
    })

    it('matches fields inside the objects of an event array', () => {
      // Prepare
      const pattern = { detail: { automations: { id: [{ exists: true }] } } }
      const event = { detail: { automations: [{ key: 'a' }, { id: 'found' }] } }

      // Act
      const matched = matches(pattern, event)

      // Assess
      expect(matched).toBe(true)
    })

    it('requires fields of one pattern object to come from the same array element', () => {
      // Prepare
      const pattern = { employees: { first: ['Anna'], last: ['Jones'] } }
      const mixed = {
        employees: [
          { first: 'Anna', last: 'Smith' },
          { first: 'Peter', last: 'Jones' },
        ],
      }
      const together = {
        employees: [
          { first: 'Peter', last: 'Jones' },
          { first: 'Anna', last: 'Jones' },
        ],
      }

      // Act
      const mixedMatched = matches(pattern, mixed)
      const togetherMatched = matches(pattern, together)

      // Assess
      expect(mixedMatched).toBe(false)
      expect(togetherMatched).toBe(true)
    })
  })

  describe('field paths', () => {
    it('matches nested fields and treats field names case-sensitively', () => {
      expect(matches({ detail: { state: ['running'] } }, { detail: { state: 'running' } })).toBe(true)
      expect(matches({ detail: { State: ['running'] } }, { detail: { state: 'running' } })).toBe(false)
    })

    it('joins field names with dots, in the pattern and in the event', () => {
      expect(matches({ detail: { 'state.status': ['up'] } }, { detail: { state: { status: 'up' } } })).toBe(
        true,
      )
      expect(matches({ detail: { state: { status: ['up'] } } }, { detail: { 'state.status': 'up' } })).toBe(
        true,
      )
    })

    it('does not read JSON text held in a string field', () => {
      expect(matches({ detail: { key: ['value'] } }, { detail: '{"key": "value"}' })).toBe(false)
    })

    it('does not treat an object as a value', () => {
      expect(matches({ detail: ['x'] }, { detail: { x: 'x' } })).toBe(false)
    })
  })

  describe('prefix', () => {
    it('matches a prefix on the start of a string', () => {
      expect(matches({ time: [{ prefix: '2022-07-13' }] }, { time: '2022-07-13T13:48:01Z' })).toBe(true)
    })

    it('does not match the prefix elsewhere in the string or in another case', () => {
      expect(matches({ time: [{ prefix: '07-13' }] }, { time: '2022-07-13T13:48:01Z' })).toBe(false)
      expect(matches({ region: [{ prefix: 'US-' }] }, { region: 'us-east-1' })).toBe(false)
    })

    it('matches every string, and only strings, with an empty prefix', () => {
      expect(matches({ source: [{ prefix: '' }] }, { source: 'anything' })).toBe(true)
      expect(matches({ source: [{ prefix: '' }] }, { source: 12 })).toBe(false)
      expect(matches({ source: [{ prefix: '' }] }, { source: null })).toBe(false)
    })

    it('matches a prefix regardless of case with equals-ignore-case', () => {
      expect(
        matches({ service: [{ prefix: { 'equals-ignore-case': 'EventB' } }] }, { service: 'eVENTbridge' }),
      ).toBe(true)
      expect(
        matches({ service: [{ prefix: { 'equals-ignore-case': 'EventB' } }] }, { service: 'Event' }),
      ).toBe(false)
    })

    it('rejects a prefix that is not a string, naming the field', () => {
      expect(rejectionOf({ detail: { foo: [{ prefix: 123 }] } })).toBe(
        'prefix match pattern must be a string, found number at detail.foo',
      )
      expect(() => compileEventPattern({ time: [{ prefix: ['2022'] }] })).toThrow(InvalidEventPatternError)
    })

    it('rejects any prefix modifier other than equals-ignore-case', () => {
      expect(rejectionOf({ time: [{ prefix: { suffix: 'x' } }] })).toMatch(
        /unsupported prefix modifier "suffix"/,
      )
    })
  })

  describe('suffix', () => {
    it('matches a suffix on the end of a string', () => {
      expect(matches({ FileName: [{ suffix: '.png' }] }, { FileName: 'image.png' })).toBe(true)
      expect(matches({ FileName: [{ suffix: '.png' }] }, { FileName: 'image.png.bak' })).toBe(false)
    })

    it('matches case-sensitively unless equals-ignore-case is given', () => {
      expect(matches({ FileName: [{ suffix: '.PNG' }] }, { FileName: 'image.png' })).toBe(false)
      expect(
        matches({ FileName: [{ suffix: { 'equals-ignore-case': '.png' } }] }, { FileName: 'image.PNG' }),
      ).toBe(true)
    })

    it('rejects a suffix that is not a string', () => {
      expect(() => compileEventPattern({ FileName: [{ suffix: 123 }] })).toThrow(InvalidEventPatternError)
      expect(() => compileEventPattern({ FileName: [{ suffix: ['.png'] }] })).toThrow(
        InvalidEventPatternError,
      )
    })
  })

  describe('equals-ignore-case', () => {
    it('matches a string regardless of case', () => {
      expect(matches({ type: [{ 'equals-ignore-case': 'ec2 instance' }] }, { type: 'EC2 Instance' })).toBe(
        true,
      )
      expect(matches({ type: [{ 'equals-ignore-case': 'ec2 instance' }] }, { type: 'EC2 Instances' })).toBe(
        false,
      )
    })

    it('matches an empty operand only against an empty string', () => {
      expect(matches({ value: [{ 'equals-ignore-case': '' }] }, { value: '' })).toBe(true)
      expect(matches({ value: [{ 'equals-ignore-case': '' }] }, { value: 'x' })).toBe(false)
    })

    it('folds characters whose upper case is longer, such as ß and SS', () => {
      expect(matches({ street: [{ 'equals-ignore-case': 'straße' }] }, { street: 'STRASSE' })).toBe(true)
    })

    it('rejects an operand that is not a string', () => {
      expect(() => compileEventPattern({ type: [{ 'equals-ignore-case': ['ec2'] }] })).toThrow(
        InvalidEventPatternError,
      )
      expect(() => compileEventPattern({ type: [{ 'equals-ignore-case': { prefix: 'ec2' } }] })).toThrow(
        InvalidEventPatternError,
      )
    })
  })

  describe('wildcard', () => {
    it('matches * against any run of characters, including none', () => {
      // Prepare
      const pattern = { EventBusArn: [{ wildcard: 'arn:aws:events:us-east-1:*:event-bus/*' }] }

      // Act
      const named = matches(pattern, {
        EventBusArn: 'arn:aws:events:us-east-1:123456789012:event-bus/orders',
      })
      const empty = matches(pattern, { EventBusArn: 'arn:aws:events:us-east-1::event-bus/' })
      const otherRegion = matches(pattern, { EventBusArn: 'arn:aws:events:eu-west-2:1:event-bus/orders' })

      // Assess
      expect(named).toBe(true)
      expect(empty).toBe(true)
      expect(otherRegion).toBe(false)
    })

    it('anchors the pattern at both ends of the value', () => {
      expect(
        matches({ FileName: [{ wildcard: '/Users/*/doc.txt' }] }, { FileName: '/Users/a/b/doc.txt' }),
      ).toBe(true)
      expect(
        matches({ FileName: [{ wildcard: '/Users/*/doc.txt' }] }, { FileName: '/Users/a/doc.txt.bak' }),
      ).toBe(false)
    })

    it('matches a literal asterisk escaped as \\* and a literal backslash escaped as \\\\', () => {
      expect(matches({ name: [{ wildcard: 'a\\*b*' }] }, { name: 'a*bcd' })).toBe(true)
      expect(matches({ name: [{ wildcard: 'a\\*b*' }] }, { name: 'axbcd' })).toBe(false)
      expect(matches({ name: [{ wildcard: 'c:\\\\*' }] }, { name: 'c:\\temp' })).toBe(true)
    })

    it('matches only strings, and an empty wildcard only the empty string', () => {
      expect(matches({ name: [{ wildcard: '*' }] }, { name: 42 })).toBe(false)
      expect(matches({ name: [{ wildcard: '' }] }, { name: '' })).toBe(true)
      expect(matches({ name: [{ wildcard: '' }] }, { name: 'x' })).toBe(false)
    })

    it('rejects consecutive wildcard characters', () => {
      expect(rejectionOf({ arn: [{ wildcard: 'arn:aws:events:us-east-1:**:event-bus/*' }] })).toMatch(
        /consecutive wildcard characters/,
      )
    })

    it('rejects a backslash that escapes anything but * or \\', () => {
      expect(() => compileEventPattern({ name: [{ wildcard: 'a\\bc' }] })).toThrow(InvalidEventPatternError)
      expect(() => compileEventPattern({ name: [{ wildcard: 'abc\\' }] })).toThrow(InvalidEventPatternError)
    })

    it('rejects a wildcard that is not a string', () => {
      expect(() => compileEventPattern({ name: [{ wildcard: 123 }] })).toThrow(InvalidEventPatternError)
      expect(() => compileEventPattern({ name: [{ wildcard: ['a*'] }] })).toThrow(InvalidEventPatternError)
    })

    it('rejects a wildcard as complex as the one AWS documents as too complex, but not a simpler one', () => {
      expect(rejectionOf({ EventBusArn: [{ wildcard: '*:*:*:*:*:event-bus/*' }] })).toMatch(/too complex/)
      expect(() =>
        compileEventPattern({ FileName: [{ wildcard: '/Users/*/dir/dir/dir/dir/dir/doc.txt' }] }),
      ).not.toThrow()
    })

    it('counts every wildcard on the same field towards the complexity limit', () => {
      // Prepare
      const stacks = ['Shared', 'Api', 'Data', 'Monitoring']
      const field = (names: string[]) => ({
        stackId: names.map((name) => ({ wildcard: `*:stack/${name}/*` })),
      })

      // Act
      const threeStacks = () => compileEventPattern(field(stacks.slice(0, 3)))
      const fourStacks = () => compileEventPattern(field(stacks))

      // Assess
      expect(threeStacks).not.toThrow()
      expect(fourStacks).toThrow(InvalidEventPatternError)
    })
  })

  describe('anything-but', () => {
    it('matches any value except the excluded string', () => {
      expect(matches({ state: [{ 'anything-but': 'initializing' }] }, { state: 'pending' })).toBe(true)
      expect(matches({ state: [{ 'anything-but': 'initializing' }] }, { state: 'initializing' })).toBe(false)
    })

    it('excludes every value of a list', () => {
      expect(matches({ state: [{ 'anything-but': ['stopped', 'overloaded'] }] }, { state: 'stopped' })).toBe(
        false,
      )
      expect(matches({ state: [{ 'anything-but': ['stopped', 'overloaded'] }] }, { state: 'pending' })).toBe(
        true,
      )
    })

    it('excludes numbers numerically', () => {
      expect(matches({ limit: [{ 'anything-but': [100, 200, 300] }] }, { limit: 300.0 })).toBe(false)
      expect(matches({ limit: [{ 'anything-but': 0 }] }, { limit: 789 })).toBe(true)
    })

    it('matches null and values of another type, but never a missing field', () => {
      expect(matches({ state: [{ 'anything-but': 'initializing' }] }, { state: null })).toBe(true)
      expect(matches({ limit: [{ 'anything-but': 123 }] }, { limit: '123' })).toBe(true)
      expect(matches({ state: [{ 'anything-but': 'initializing' }] }, {})).toBe(false)
    })

    it('matches an event array when any element is not excluded', () => {
      expect(matches({ tags: [{ 'anything-but': 'internal' }] }, { tags: ['internal', 'public'] })).toBe(true)
      expect(matches({ tags: [{ 'anything-but': 'internal' }] }, { tags: ['internal'] })).toBe(false)
    })

    it('excludes strings by prefix, and matches values that are not strings', () => {
      // Prepare
      const pattern = { state: [{ 'anything-but': { prefix: ['init', 'test'] } }] }

      // Act
      const outcomes = ['post-init', 'init-done', 'testing', 12, null].map((state) =>
        matches(pattern, { state }),
      )

      // Assess
      expect(outcomes).toEqual([true, false, false, true, true])
    })

    it('excludes strings by suffix', () => {
      expect(
        matches({ FileName: [{ 'anything-but': { suffix: '.txt' } }] }, { FileName: 'file.txt.bak' }),
      ).toBe(true)
      expect(matches({ FileName: [{ 'anything-but': { suffix: '.txt' } }] }, { FileName: 'file.txt' })).toBe(
        false,
      )
    })

    it('excludes strings regardless of case with equals-ignore-case', () => {
      // Prepare
      const pattern = { state: [{ 'anything-but': { 'equals-ignore-case': ['initializing', 'stopped'] } }] }

      // Act
      const stopped = matches(pattern, { state: 'Stopped' })
      const pending = matches(pattern, { state: 'pending' })

      // Assess
      expect(stopped).toBe(false)
      expect(pending).toBe(true)
    })

    it('excludes strings by wildcard', () => {
      expect(matches({ path: [{ 'anything-but': { wildcard: '*/lib/*' } }] }, { path: 'src/lib/a.ts' })).toBe(
        false,
      )
      expect(matches({ path: [{ 'anything-but': { wildcard: '*/lib/*' } }] }, { path: 'src/bin/a.ts' })).toBe(
        true,
      )
      expect(matches({ path: [{ 'anything-but': { wildcard: '' } }] }, { path: 'src' })).toBe(true)
    })

    it.each([
      ['a null operand', { 'anything-but': null }],
      ['a boolean operand', { 'anything-but': true }],
      ['null in a list', { 'anything-but': ['stopped', null] }],
      ['a list mixing strings and numbers', { 'anything-but': ['stopped', 1] }],
      ['an empty list', { 'anything-but': [] }],
      ['an empty prefix', { 'anything-but': { prefix: '' } }],
      ['an empty suffix', { 'anything-but': { suffix: '' } }],
      ['a numeric prefix', { 'anything-but': { prefix: 123 } }],
      ['a numeric suffix in a list', { 'anything-but': { suffix: [123, '.txt'] } }],
      ['a numeric equals-ignore-case', { 'anything-but': { 'equals-ignore-case': 123 } }],
      ['a numeric wildcard', { 'anything-but': { wildcard: 123 } }],
      [
        'a prefix written with equals-ignore-case',
        { 'anything-but': { prefix: { 'equals-ignore-case': 'x' } } },
      ],
      ['an unsupported operator', { 'anything-but': { numeric: ['>', 1] } }],
    ])('rejects %s', (_description, expression) => {
      expect(() => compileEventPattern({ state: [expression] })).toThrow(InvalidEventPatternError)
    })
  })

  describe('numeric', () => {
    it.each([
      ['=', 5, 5, true],
      ['=', 5, 5.000001, false],
      ['<', 5, 4.9, true],
      ['<', 5, 5, false],
      ['<=', 5, 5, true],
      ['<=', 5, 5.1, false],
      ['>', 5, 5.1, true],
      ['>', 5, 5, false],
      ['>=', 5, 5, true],
      ['>=', 5, 4.9, false],
    ])('compares with %s %s, so %s gives %s', (operator, threshold, value, expected) => {
      expect(matches({ count: [{ numeric: [operator, threshold] }] }, { count: value })).toBe(expected)
    })

    it('matches within a range, honouring open and closed bounds', () => {
      // Prepare
      const pattern = { count: [{ numeric: ['>', 0, '<=', 5] }] }

      // Act
      const outcomes = [0, 0.5, 5, 5.5].map((count) => matches(pattern, { count }))

      // Assess
      expect(outcomes).toEqual([false, true, true, false])
    })

    it('compares integers with floats', () => {
      expect(matches({ count: [{ numeric: ['>', 100] }] }, { count: 101.0 })).toBe(true)
      expect(matches({ count: [{ numeric: ['=', 3.018e2] }] }, { count: 301.8 })).toBe(true)
    })

    it('matches only JSON numbers, never numeric strings or null', () => {
      expect(matches({ count: [{ numeric: ['>', 100] }] }, { count: '300' })).toBe(false)
      expect(matches({ count: [{ numeric: ['>', 100] }] }, { count: null })).toBe(false)
    })

    it.each([
      ['a bare number', 10],
      ['an empty list', []],
      ['an unknown operator', ['!=', 5]],
      ['an operator in the wrong case', ['GT', 5]],
      ['an operator without a value', ['>', 0, '<']],
      ['a string threshold', ['>', '5']],
      ['two lower bounds', ['>', 0, '>', 0]],
      ['an upper bound first', ['<', 10, '>', 0]],
      ['= combined with a bound', ['=', 5, '<', 10]],
      ['a lower bound above the upper bound', ['>', 10, '<', 5]],
      ['equal lower and upper bounds', ['>=', 5, '<=', 5]],
      ['more than two comparisons', ['>', 0, '<', 5, '<', 6]],
    ])('rejects %s', (_description, operand) => {
      expect(() => compileEventPattern({ count: [{ numeric: operand }] })).toThrow(InvalidEventPatternError)
    })
  })

  describe('exists', () => {
    it('matches a present field with exists: true, even when it is null', () => {
      expect(matches({ detail: { state: [{ exists: true }] } }, { detail: { state: 'pending' } })).toBe(true)
      expect(matches({ detail: { state: [{ exists: true }] } }, { detail: { state: null } })).toBe(true)
    })

    it('does not match a missing field, an object or an empty array with exists: true', () => {
      expect(matches({ detail: { state: [{ exists: true }] } }, { detail: {} })).toBe(false)
      expect(matches({ detail: { state: [{ exists: true }] } }, { detail: { state: { code: 1 } } })).toBe(
        false,
      )
      expect(matches({ detail: { state: [{ exists: true }] } }, { detail: { state: [] } })).toBe(false)
    })

    it('matches a non-empty array with exists: true', () => {
      expect(matches({ resources: [{ exists: true }] }, { resources: ['arn:a'] })).toBe(true)
    })

    it('matches a missing field, or one holding only an object, with exists: false', () => {
      expect(matches({ detail: { state: [{ exists: false }] } }, { detail: {} })).toBe(true)
      expect(matches({ detail: { state: [{ exists: false }] } }, {})).toBe(true)
      expect(matches({ detail: { state: [{ exists: false }] } }, { detail: { state: { code: 1 } } })).toBe(
        true,
      )
    })

    it('does not match a present field, even null, with exists: false', () => {
      expect(matches({ detail: { state: [{ exists: false }] } }, { detail: { state: 'pending' } })).toBe(
        false,
      )
      expect(matches({ detail: { state: [{ exists: false }] } }, { detail: { state: null } })).toBe(false)
    })

    it('combines exists: false with other values as alternatives', () => {
      // Prepare
      const pattern = { image: { S: [{ 'anything-but': ['roses'] }, { exists: false }] } }

      // Act
      const outcomes = [{ S: 'tulips' }, { S: 'roses' }, { N: '1' }].map((image) =>
        matches(pattern, { image }),
      )

      // Assess
      expect(outcomes).toEqual([true, false, true])
    })

    it('rejects a value other than true or false', () => {
      expect(rejectionOf({ state: [{ exists: 'yes' }] })).toBe(
        'exists match pattern must be true or false, found string at state',
      )
    })
  })

  describe('cidr', () => {
    it('matches IPv4 addresses inside the block', () => {
      expect(matches({ ip: [{ cidr: '10.0.0.0/24' }] }, { ip: '10.0.0.255' })).toBe(true)
      expect(matches({ ip: [{ cidr: '10.0.0.0/24' }] }, { ip: '10.0.1.0' })).toBe(false)
    })

    it('clears the host bits of the address in the block', () => {
      expect(matches({ ip: [{ cidr: '10.0.0.5/24' }] }, { ip: '10.0.0.1' })).toBe(true)
    })

    it('matches IPv6 addresses inside the block, however they are spelled', () => {
      // Prepare
      const pattern = { ip: [{ cidr: '2001:db8:1234:1a00::/64' }] }

      // Act
      const inside = matches(pattern, { ip: '2001:0db8:1234:1a00:0000:0000:0000:0001' })
      const outside = matches(pattern, { ip: '2001:0db8:123f:1a01::' })

      // Assess
      expect(inside).toBe(true)
      expect(outside).toBe(false)
    })

    it('does not match invalid addresses, the other family or non-strings', () => {
      expect(matches({ ip: [{ cidr: '10.0.0.0/24' }] }, { ip: '10.0.0.256' })).toBe(false)
      expect(matches({ ip: [{ cidr: '10.0.0.0/8' }] }, { ip: '2001:db8::1' })).toBe(false)
      expect(matches({ ip: [{ cidr: '10.0.0.0/24' }] }, { ip: 123 })).toBe(false)
    })

    it.each([
      ['a missing mask', '10.0.0.0'],
      ['two slashes', '10.0.0.0/8/8'],
      ['a mask that is not an integer', 'bad-/64filter'],
      ['a negative mask', '10.0.0.0/-1'],
      ['an invalid IPv4 address', 'xx.11.xx/8'],
      ['an invalid IPv6 address', 'xxxx:db8:1234:1a00::/64'],
      ['an IPv4 mask of 32, which AWS refuses', '10.0.0.1/32'],
      ['an IPv6 mask of 128, which AWS refuses', '2001:db8::1/128'],
    ])('rejects %s', (_description, cidr) => {
      expect(() => compileEventPattern({ ip: [{ cidr }] })).toThrow(InvalidEventPatternError)
    })

    it('rejects a block that is not a string', () => {
      expect(rejectionOf({ ip: [{ cidr: ['10.0.0.0/8'] }] })).toBe(
        'cidr match pattern must be a string, found array at ip',
      )
    })
  })

  describe('$or', () => {
    it('matches when any branch matches, each branch also needing the fields outside $or', () => {
      // Prepare
      const pattern = {
        source: ['shop'],
        $or: [{ 'detail-type': ['Order'] }, { detail: { total: [{ numeric: ['>', 100] }] } }],
      }

      // Act
      const byType = matches(pattern, { source: 'shop', 'detail-type': 'Order' })
      const byTotal = matches(pattern, { source: 'shop', 'detail-type': 'Refund', detail: { total: 150 } })
      const neither = matches(pattern, { source: 'shop', 'detail-type': 'Refund', detail: { total: 50 } })
      const otherSource = matches(pattern, { source: 'bank', 'detail-type': 'Order' })

      // Assess
      expect([byType, byTotal, neither, otherSource]).toEqual([true, true, false, false])
    })

    it('applies $or inside a nested object', () => {
      // Prepare
      const pattern = {
        detail: { $or: [{ c: [{ numeric: ['>', 0, '<=', 5] }] }, { d: [{ numeric: ['<', 10] }] }] },
      }

      // Act
      const matched = matches(pattern, { detail: { c: 0, d: 9 } })
      const unmatched = matches(pattern, { detail: { c: 0, d: 10 } })

      // Assess
      expect(matched).toBe(true)
      expect(unmatched).toBe(false)
    })

    it('nests $or inside a branch', () => {
      // Prepare
      const pattern = { $or: [{ a: ['1'] }, { b: ['2'], $or: [{ c: ['3'] }, { d: ['4'] }] }] }

      // Act
      const outcomes = [{ a: '1' }, { b: '2', d: '4' }, { b: '2' }, { d: '4' }].map((event) =>
        matches(pattern, event),
      )

      // Assess
      expect(outcomes).toEqual([true, true, false, false])
    })

    it.each([
      ['fewer than two objects', { $or: [{ a: ['1'] }] }],
      ['an empty array', { $or: [] }],
      ['a member that is not an object', { $or: [{ a: ['1'] }, ['b']] }],
      ['an operator name as a field inside it', { $or: [{ prefix: ['a'] }, { b: ['1'] }] }],
      ['a scalar', { $or: 'a' }],
    ])('rejects $or with %s', (_description, pattern) => {
      expect(() => compileEventPattern(pattern)).toThrow(InvalidEventPatternError)
    })

    it('reads "$or" as a field name when its value is an object, as AWS does', () => {
      expect(matches({ $or: { a: ['x'] } }, { $or: { a: 'x' } })).toBe(true)
    })
  })

  describe('pattern text', () => {
    it('accepts the pattern as JSON text', () => {
      expect(matches('{"detail": {"state": ["running"]}}', { detail: { state: 'running' } })).toBe(true)
    })

    it('keeps the last value list of a key repeated in the text, as AWS does', () => {
      // Prepare
      const pattern =
        '{"detail": {"location": [{"prefix": "us-"}], "location": [{"anything-but": "us-east"}]}}'

      // Act
      const elsewhere = matches(pattern, { detail: { location: 'eu-central-1' } })
      const excluded = matches(pattern, { detail: { location: 'us-east' } })

      // Assess
      expect(elsewhere).toBe(true)
      expect(excluded).toBe(false)
    })

    it('merges objects repeated in the text field by field, where JSON.parse keeps only the last', () => {
      // Prepare
      const pattern = '{"detail": {"a": ["1"]}, "detail": {"b": ["2"]}}'

      // Act
      const both = matches(pattern, { detail: { a: '1', b: '2' } })
      const lastOnly = matches(pattern, { detail: { a: '0', b: '2' } })

      // Assess
      expect(both).toBe(true)
      expect(lastOnly).toBe(false)
    })

    it('rejects text that is not valid JSON', () => {
      expect(rejectionOf('{"a": ["x"],}')).toMatch(/^event pattern is not valid JSON/)
    })
  })

  describe('pattern structure', () => {
    it.each([
      ['an array', ['x']],
      ['a number', 5],
      ['null', null],
      ['JSON text of an array', '["x"]'],
    ])('rejects %s as the pattern', (_description, pattern) => {
      expect(() => compileEventPattern(pattern)).toThrow(InvalidEventPatternError)
    })

    it('rejects empty objects, at the top and nested', () => {
      expect(() => compileEventPattern({})).toThrow(InvalidEventPatternError)
      expect(rejectionOf({ detail: {} })).toBe('pattern objects must not be empty at detail')
    })

    it('rejects an empty value list', () => {
      expect(rejectionOf({ resources: [] })).toBe('pattern value lists must not be empty at resources')
    })

    it('rejects a value that is not in a list', () => {
      expect(rejectionOf({ detail: { state: 'running' } })).toBe(
        'pattern fields must be an object or an array of values, found string at detail.state',
      )
      expect(() => compileEventPattern({ count: 42 })).toThrow(InvalidEventPatternError)
    })

    it('rejects a list nested in a value list', () => {
      expect(() => compileEventPattern({ state: [['running']] })).toThrow(InvalidEventPatternError)
    })

    it('rejects unknown operators, operators in the wrong case and empty operator objects', () => {
      expect(rejectionOf({ state: [{ contains: 'x' }] })).toBe('unrecognized match type "contains" at state')
      expect(() => compileEventPattern({ state: [{ EXISTS: true }] })).toThrow(InvalidEventPatternError)
      expect(() => compileEventPattern({ state: [{}] })).toThrow(InvalidEventPatternError)
    })

    it('rejects an operator object holding two operators', () => {
      expect(rejectionOf({ state: [{ prefix: 'a', suffix: 'b' }] })).toBe(
        'match expressions must hold exactly one operator, found prefix, suffix at state',
      )
    })

    it('rejects values that JSON cannot carry', () => {
      expect(() => compileEventPattern({ count: [Number.NaN] })).toThrow(InvalidEventPatternError)
      expect(() => compileEventPattern({ count: [undefined] })).toThrow(InvalidEventPatternError)
    })
  })

  describe('matches', () => {
    it('accepts the event as JSON text', () => {
      expect(compileEventPattern({ source: ['shop'] }).matches('{"source": "shop"}')).toBe(true)
    })

    it('matches nothing against an event that is not a JSON object', () => {
      expect(compileEventPattern({ source: [{ exists: false }] }).matches(['shop'])).toBe(false)
      expect(compileEventPattern({ source: [{ exists: false }] }).matches('not json')).toBe(false)
    })

    it('gives the same answer every time a compiled pattern is reused', () => {
      // Prepare
      const pattern = compileEventPattern({ source: ['shop'], detail: { total: [{ numeric: ['>', 10] }] } })

      // Act
      const outcomes = [11, 9, 11].map((total) => pattern.matches({ source: 'shop', detail: { total } }))

      // Assess
      expect(outcomes).toEqual([true, false, true])
    })
  })
})

describe('matchesEventPattern', () => {
  it('compiles and matches in one call', () => {
    expect(matchesEventPattern({ source: ['shop'] }, { source: 'shop' })).toBe(true)
    expect(matchesEventPattern({ source: ['shop'] }, { source: 'bank' })).toBe(false)
  })

  it('throws InvalidEventPatternError for an invalid pattern', () => {
    expect(() => matchesEventPattern({ source: 'shop' }, { source: 'shop' })).toThrow(
      InvalidEventPatternError,
    )
  })
})
