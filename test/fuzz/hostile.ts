import fc from 'fast-check'

/** A JSON value, as a request body carries it. */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json }

/**
 * Characters that break naive parsers, loggers and encoders: NUL and other C0/C1 controls,
 * line and paragraph separators, bidi overrides (RTL), zero-width characters, a BOM, a lone
 * surrogate, emoji (astral and ZWJ sequences), combining marks, and the delimiters of
 * JSON, URLs, FHIR tokens (`|`), PDS wildcards (`*`) and templates.
 */
export const NASTY_FRAGMENTS = [
  '\u0000',
  '\u0001',
  '\u0007',
  '\b',
  '\t',
  '\n',
  '\r\n',
  '\u001b[31m',
  '\u007f',
  '\u0085',
  '\u00a0',
  '\u200b',
  '\u200d',
  '\u200f',
  '\u202e',
  '\u2066',
  '\u2028',
  '\u2029',
  '\ufeff',
  '\ufffd',
  '\uffff',
  '\ud800',
  '😀',
  '👩🏽‍⚕️',
  '🏴󠁧󠁢󠁥󠁮󠁧󠁿',
  'ﷺ',
  'עברית',
  'العربية',
  'Z̴̡̪͝a̷l̶g̸o̵',
  'İı',
  'ß',
  '"',
  "'",
  '\\',
  '/',
  '%',
  '%00',
  '..',
  '|',
  '*',
  '&',
  '=',
  '?',
  '#',
  '$' + '{x}',
  '{{x}}',
  '<script>',
  '__proto__',
] as const

/** Replaces lone surrogates, which `encodeURIComponent` refuses, with U+FFFD. */
export function wellFormed(text: string): string {
  return text.replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\ufffd')
}

/** Percent-encodes one URL component (path segment, query name or value). */
export function encodeComponent(text: string): string {
  return encodeURIComponent(wellFormed(text))
}

/**
 * Percent-encodings a strict decoder refuses or a lax one misreads: truncated and
 * overlong UTF-8, an encoded surrogate, NUL, stray `%`, encoded separators and dots.
 */
export const RAW_PERCENT_ENCODINGS = [
  '%E0%A4%A',
  '%00',
  '%',
  '%%',
  '%G0',
  '%C0%AF',
  '%C0%80',
  '%ED%A0%80',
  '%FF%FE',
  '%2F',
  '%2f..%2f',
  '%2e%2e',
  '%5C',
  '%0D%0A',
  '%E2%80%AE',
  '%F0%9F%98',
] as const

/** Short hostile text: random code points, nasty fragments, or both mixed. */
export const nastyText: fc.Arbitrary<string> = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 30 }),
  fc.string({ unit: fc.constantFrom(...NASTY_FRAGMENTS), minLength: 1, maxLength: 8 }),
  fc
    .tuple(fc.string({ maxLength: 12 }), fc.constantFrom(...NASTY_FRAGMENTS), fc.string({ maxLength: 12 }))
    .map(([before, nasty, after]) => `${before}${nasty}${after}`),
)

/**
 * A huge string: a short unit repeated to `min..max` characters. Built by repetition so
 * that generating (and shrinking) 200 KB does not cost 200 K random draws.
 */
export function hugeText(min: number, max: number): fc.Arbitrary<string> {
  return fc
    .record({
      unit: fc.oneof(
        fc.constantFrom('a', '9', ' ', '\u0000', '😀', '%', '"', '\\', 'ü'),
        fc.string({ minLength: 1, maxLength: 6 }),
      ),
      length: fc.integer({ min, max }),
    })
    .map(({ unit, length }) => unit.repeat(Math.ceil(length / unit.length)).slice(0, length))
}

/** JSON text nested `depth` levels deep, balanced or not: `[[[…]]]`, `{"a":{"a":…}}`. */
export const deepText: fc.Arbitrary<string> = fc
  .record({
    depth: fc.integer({ min: 1, max: 400 }),
    shape: fc.constantFrom('array', 'object', 'unbalanced'),
  })
  .map(({ depth, shape }) => {
    if (shape === 'array') return `${'['.repeat(depth)}1${']'.repeat(depth)}`
    if (shape === 'object') return `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`
    return '['.repeat(depth)
  })

/** A JSON value nested `depth` levels deep around `inner`. */
export function nestedValue(inner: Json, depth: number, asObject: boolean): Json {
  let value = inner
  for (let level = 0; level < depth; level++) value = asObject ? { a: value } : [value]
  return value
}

/** Values of the wrong JSON type for any field, including edge numbers. */
export const wrongTypeValue: fc.Arbitrary<Json> = fc.oneof(
  fc.constant(null),
  fc.boolean(),
  fc.integer(),
  fc.constantFrom(0, -0, -1, 1e308, -1e308, 5e-324, Number.MAX_SAFE_INTEGER + 2, 9000000009),
  fc.constant<Json>([]),
  fc.constant<Json>({}),
  fc.constantFrom('', ' ', 'null', 'true', '[]', '{}', 'NaN', 'undefined'),
  fc.jsonValue({ maxDepth: 3 }) as fc.Arbitrary<Json>,
)

/** Numbers as text at the edges of what parsers and stores accept (2^53, 2^64, exponents, signs). */
export const EDGE_NUMBERS = [
  '0',
  '-0',
  '-1',
  '1.5',
  '1e3',
  '0x10',
  '9007199254740991',
  '9007199254740992',
  '9999999999999999',
  '18446744073709551616',
  '1e309',
  'Infinity',
  'NaN',
] as const

/** Any hostile JSON value: wrong types, hostile text, huge text, deep nesting. */
export const hostileValue: fc.Arbitrary<Json> = fc.oneof(
  { weight: 4, arbitrary: wrongTypeValue },
  { weight: 3, arbitrary: nastyText },
  { weight: 1, arbitrary: hugeText(1_000, 200_000) },
  {
    weight: 1,
    arbitrary: fc
      .record({ depth: fc.integer({ min: 2, max: 400 }), asObject: fc.boolean() })
      .map(({ depth, asObject }) => nestedValue('x', depth, asObject)),
  },
)

/** Field or parameter names that trip up plain-object maps, plus FHIR-looking names. */
export const PROTOTYPE_NAMES = [
  '__proto__',
  'constructor',
  'prototype',
  'toString',
  'valueOf',
  'hasOwnProperty',
] as const
