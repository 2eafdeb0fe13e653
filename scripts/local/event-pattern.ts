/**
 * Amazon EventBridge event-pattern matching for the local event bus.
 *
 * EventBridge runs patterns through AWS's open-source Event Ruler, so this module follows Event Ruler's
 * `JsonRuleCompiler` and `ByteMachine` wherever the user guide is silent. The behaviour is pinned by the
 * 156 AWS-verified cases in `../shared/conformance/eventbridge-patterns`.
 *
 * Compile once, match many times: validation, `$or` expansion, wildcard globs, case-folding tables and
 * CIDR ranges all happen in `compileEventPattern`; `matches` only walks the event.
 */

// The same linear *-matcher as PDS wildcard search: no backtracking whatever the pattern.
import { wildcardMatches } from '../../functions/shared/patients/matching'

/** Thrown for every pattern AWS rejects with `InvalidEventPatternException`. */
export class InvalidEventPatternError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'InvalidEventPatternError'
  }
}

/** A validated event pattern, ready to be matched against any number of events. */
export interface CompiledEventPattern {
  /** Whether EventBridge would deliver `event` (an object or its JSON text) to a rule with this pattern. */
  matches(event: unknown): boolean
}

/** Validates `pattern` (a value or its JSON text) as AWS does and compiles it for fast matching. */
export function compileEventPattern(pattern: unknown): CompiledEventPattern {
  const root =
    typeof pattern === 'string' ? parsePatternText(pattern) : toPatternNode(pattern, 'the pattern root', 0)
  return new EventPatternMatcher(compileRoot(root))
}

/** Whether `event` matches `pattern`; compiles on every call, so prefer `compileEventPattern` in loops. */
export function matchesEventPattern(pattern: unknown, event: unknown): boolean {
  return compileEventPattern(pattern).matches(event)
}

// ---------------------------------------------------------------------------------------------------------
// Pattern documents
// ---------------------------------------------------------------------------------------------------------

/**
 * A pattern as JSON, with object members kept as an ordered list. AWS reads patterns with a streaming
 * parser, so a repeated key is not collapsed the way `JSON.parse` collapses it: each occurrence is compiled
 * in document order (see `writeField`).
 */
type PatternNode =
  | { readonly kind: 'object'; readonly entries: readonly (readonly [string, PatternNode])[] }
  | { readonly kind: 'array'; readonly items: readonly PatternNode[] }
  | { readonly kind: 'string'; readonly value: string }
  | { readonly kind: 'number'; readonly value: number }
  | { readonly kind: 'boolean'; readonly value: boolean }
  | { readonly kind: 'null' }

type ObjectNode = Extract<PatternNode, { kind: 'object' }>
type ArrayNode = Extract<PatternNode, { kind: 'array' }>

const MAX_NESTING = 256

function invalid(message: string, where: string): InvalidEventPatternError {
  return new InvalidEventPatternError(`${message} at ${where}`)
}

function toPatternNode(value: unknown, where: string, depth: number): PatternNode {
  if (depth > MAX_NESTING) throw invalid('event pattern is nested too deeply', where)
  if (value === null) return { kind: 'null' }
  if (typeof value === 'string') return { kind: 'string', value }
  if (typeof value === 'boolean') return { kind: 'boolean', value }
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) {
      throw invalid(`event pattern values must be JSON values, found ${value}`, where)
    }
    return { kind: 'number', value }
  }
  if (Array.isArray(value)) {
    return { kind: 'array', items: value.map((item: unknown) => toPatternNode(item, where, depth + 1)) }
  }
  if (typeof value === 'object') {
    return {
      kind: 'object',
      entries: Object.entries(value).map(([key, member]): [string, PatternNode] => [
        key,
        toPatternNode(member, joinWhere(where, key), depth + 1),
      ]),
    }
  }
  throw invalid(`event pattern values must be JSON values, found ${typeof value}`, where)
}

/** A strict JSON reader that, unlike `JSON.parse`, keeps every occurrence of a repeated key. */
function parsePatternText(text: string): PatternNode {
  let offset = 0
  const fail = (problem: string): never => {
    throw new InvalidEventPatternError(`event pattern is not valid JSON: ${problem} at offset ${offset}`)
  }
  const skipWhitespace = (): void => {
    while (offset < text.length && ' \t\n\r'.includes(text.charAt(offset))) offset++
  }
  const readString = (): string => {
    const start = offset
    offset++
    while (offset < text.length) {
      const char = text.charCodeAt(offset)
      if (char === 0x22) {
        offset++
        return JSON.parse(text.slice(start, offset)) as string
      }
      if (char < 0x20) fail('unescaped control character in string')
      offset += char === 0x5c ? 2 : 1
    }
    return fail('unterminated string')
  }
  const readValue = (depth: number): PatternNode => {
    if (depth > MAX_NESTING) fail('nesting too deep')
    skipWhitespace()
    const char = text.charAt(offset)
    if (char === '{') {
      offset++
      const entries: [string, PatternNode][] = []
      skipWhitespace()
      if (text.charAt(offset) === '}') {
        offset++
        return { kind: 'object', entries }
      }
      for (;;) {
        skipWhitespace()
        if (text.charAt(offset) !== '"') fail('expected a member name')
        const key = readString()
        skipWhitespace()
        if (text.charAt(offset) !== ':') fail('expected ":"')
        offset++
        entries.push([key, readValue(depth + 1)])
        skipWhitespace()
        const next = text.charAt(offset++)
        if (next === '}') return { kind: 'object', entries }
        if (next !== ',') fail('expected "," or "}"')
      }
    }
    if (char === '[') {
      offset++
      const items: PatternNode[] = []
      skipWhitespace()
      if (text.charAt(offset) === ']') {
        offset++
        return { kind: 'array', items }
      }
      for (;;) {
        items.push(readValue(depth + 1))
        skipWhitespace()
        const next = text.charAt(offset++)
        if (next === ']') return { kind: 'array', items }
        if (next !== ',') fail('expected "," or "]"')
      }
    }
    if (char === '"') return { kind: 'string', value: readString() }
    for (const [literal, node] of LITERALS) {
      if (text.startsWith(literal, offset)) {
        offset += literal.length
        return node
      }
    }
    JSON_NUMBER.lastIndex = offset
    const number = JSON_NUMBER.exec(text)
    if (number) {
      offset += number[0].length
      return { kind: 'number', value: Number(number[0]) }
    }
    return fail(offset < text.length ? `unexpected character ${JSON.stringify(char)}` : 'unexpected end')
  }
  const root = readValue(0)
  skipWhitespace()
  if (offset < text.length) fail('unexpected text after the pattern')
  return root
}

const LITERALS: readonly (readonly [string, PatternNode])[] = [
  ['true', { kind: 'boolean', value: true }],
  ['false', { kind: 'boolean', value: false }],
  ['null', { kind: 'null' }],
]
const JSON_NUMBER = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/y

function joinWhere(where: string, key: string): string {
  return where === 'the pattern root' ? key : `${where}.${key}`
}

// ---------------------------------------------------------------------------------------------------------
// Compilation
// ---------------------------------------------------------------------------------------------------------

/** A JSON leaf of an event: what every comparison operator looks at. */
type LeafValue = string | number | boolean | null
type ValueTest = (value: LeafValue) => boolean

/** What one dotted field path must satisfy: a test on any of its leaves, or absence under `exists: false`. */
interface FieldCondition {
  readonly path: string
  readonly tests: readonly ValueTest[]
  readonly matchesAbsence: boolean
  /** Positive wildcard operands, kept for the rule-complexity check. */
  readonly wildcards: readonly WildcardOperand[]
}

/** One `$or`-free branch of the pattern: every field must match. */
type Alternative = Map<string, FieldCondition>

const OR_KEY = '$or'
// Event Ruler reserves these names inside `$or` so an operator can never be mistaken for a field.
const RESERVED_INSIDE_OR = new Set([
  'exactly',
  'equals-ignore-case',
  'prefix',
  'suffix',
  'anything-but',
  'exists',
  'wildcard',
  'numeric',
  'cidr',
  'html',
  '=',
  '<',
  '<=',
  '>',
  '>=',
  'regex',
  'not-wildcard',
  'not-equals-ignore-case',
  'date-after',
  'date-on-or-after',
  'date-before',
  'date-on-or-before',
  'in-date-range',
  'ip-address-in-range',
  'ip-address-not-in-range',
])
const MAX_ALTERNATIVES = 1000

function compileRoot(root: PatternNode): readonly (readonly FieldCondition[])[] {
  if (root.kind !== 'object') {
    throw new InvalidEventPatternError(`event pattern must be a JSON object, found ${root.kind}`)
  }
  let alternatives: Alternative[]
  try {
    alternatives = compileAlternatives(root, true)
  } catch (error) {
    // EventBridge retries a pattern its $or-aware compiler refuses with Event Ruler's older compiler, which
    // reads "$or" as an ordinary field name; only if both refuse is the pattern invalid.
    if (!(error instanceof InvalidEventPatternError) || !mentionsOr(root)) throw error
    try {
      alternatives = compileAlternatives(root, false)
    } catch {
      throw error
    }
  }
  checkWildcardComplexity(alternatives)
  return alternatives.map((alternative) => [...alternative.values()])
}

function mentionsOr(node: PatternNode): boolean {
  if (node.kind === 'array') return node.items.some(mentionsOr)
  if (node.kind !== 'object') return false
  return node.entries.some(([key, value]) => key === OR_KEY || mentionsOr(value))
}

function compileAlternatives(root: ObjectNode, expandOr: boolean): Alternative[] {
  const alternatives: Alternative[] = []
  compileObject(root, [], 'the pattern root', alternatives, { expandOr, insideOr: false, depth: 0 })
  return alternatives
}

interface CompileMode {
  readonly expandOr: boolean
  readonly insideOr: boolean
  readonly depth: number
}

// Mirrors JsonRuleCompiler.parseObject: fields are written into every alternative built so far, in
// document order, and `$or` forks the alternatives accumulated up to that point.
function compileObject(
  node: ObjectNode,
  fieldPath: readonly string[],
  where: string,
  alternatives: Alternative[],
  mode: CompileMode,
): void {
  if (mode.depth > MAX_NESTING) throw invalid('event pattern is nested too deeply', where)
  if (node.entries.length === 0) throw invalid('pattern objects must not be empty', where)
  for (const [key, value] of node.entries) {
    if (key === OR_KEY && mode.expandOr) {
      compileOr(value, fieldPath, joinWhere(where, key), alternatives, mode)
      continue
    }
    const fieldWhere = joinWhere(where, key)
    if (mode.insideOr && RESERVED_INSIDE_OR.has(key)) {
      throw invalid(`"${key}" is reserved and cannot be used as a field name inside $or`, fieldWhere)
    }
    if (value.kind === 'object') {
      compileObject(value, [...fieldPath, key], fieldWhere, alternatives, { ...mode, depth: mode.depth + 1 })
    } else if (value.kind === 'array') {
      writeField(alternatives, compileField([...fieldPath, key].join('.'), value, fieldWhere))
    } else {
      throw invalid(`pattern fields must be an object or an array of values, found ${value.kind}`, fieldWhere)
    }
  }
}

function compileOr(
  node: PatternNode,
  fieldPath: readonly string[],
  where: string,
  alternatives: Alternative[],
  mode: CompileMode,
): void {
  if (node.kind !== 'array') throw invalid(`$or must be an array of objects, found ${node.kind}`, where)
  const before = alternatives.map((alternative) => new Map(alternative))
  alternatives.length = 0
  node.items.forEach((member, index) => {
    const memberWhere = `${where}[${index}]`
    if (member.kind !== 'object') {
      throw invalid(`$or may only hold objects, found ${member.kind}`, memberWhere)
    }
    const forked = before.length > 0 ? before.map((alternative) => new Map(alternative)) : [new Map()]
    compileObject(member, fieldPath, memberWhere, forked, { ...mode, insideOr: true, depth: mode.depth + 1 })
    alternatives.push(...forked)
    // AWS also refuses $or patterns with too many combinations; the cap keeps a hostile one in bounds.
    if (alternatives.length > MAX_ALTERNATIVES) {
      throw invalid(`$or expands to more than ${MAX_ALTERNATIVES} combinations`, where)
    }
  })
  if (node.items.length < 2) {
    throw invalid(`$or must hold at least two objects, found ${node.items.length}`, where)
  }
}

// A repeated path replaces the earlier one (Event Ruler's `rule.put`), so with duplicate keys the last
// occurrence in document order wins, also across `$or` branches.
function writeField(alternatives: Alternative[], field: FieldCondition): void {
  if (alternatives.length === 0) alternatives.push(new Map())
  for (const alternative of alternatives) alternative.set(field.path, field)
}

function compileField(path: string, values: ArrayNode, where: string): FieldCondition {
  if (values.items.length === 0) throw invalid('pattern value lists must not be empty', where)
  const tests: ValueTest[] = []
  const wildcards: WildcardOperand[] = []
  let matchesAbsence = false
  for (const item of values.items) {
    const compiled = compileValue(item, where)
    if (compiled.test) tests.push(compiled.test)
    if (compiled.wildcard) wildcards.push(compiled.wildcard)
    if (compiled.matchesAbsence) matchesAbsence = true
  }
  return { path, tests, matchesAbsence, wildcards }
}

interface CompiledValue {
  readonly test?: ValueTest
  readonly matchesAbsence?: boolean
  readonly wildcard?: WildcardOperand
}

function compileValue(item: PatternNode, where: string): CompiledValue {
  switch (item.kind) {
    case 'string':
      return { test: exactString(item.value) }
    case 'number': {
      // Numbers compare as numbers, so 300, 300.0 and 3.0e2 are the same value; never equal to strings.
      const expected = item.value
      return { test: (value) => value === expected }
    }
    case 'boolean': {
      const expected = item.value
      return { test: (value) => value === expected }
    }
    case 'null':
      return { test: (value) => value === null }
    case 'object':
      return compileMatchExpression(item, where)
    case 'array':
      throw invalid(
        'match values must be strings, numbers, booleans, null or operator objects, found array',
        where,
      )
  }
}

function exactString(expected: string): ValueTest {
  // Event Ruler turns a value that reads as an IP address into a one-address range, so any spelling of
  // the same address matches.
  const address = parseIpAddress(expected)
  if (!address) return (value) => value === expected
  return (value) =>
    value === expected || (typeof value === 'string' && withinRange(parseIpAddress(value), address, address))
}

function soleOperator(node: ObjectNode, where: string): readonly [string, PatternNode] {
  const [first, second] = node.entries
  if (!first) throw invalid('match expressions must name an operator, found an empty object', where)
  if (second) {
    const names = node.entries.map(([name]) => name).join(', ')
    throw invalid(`match expressions must hold exactly one operator, found ${names}`, where)
  }
  return first
}

function compileMatchExpression(node: ObjectNode, where: string): CompiledValue {
  const [operator, operand] = soleOperator(node, where)
  switch (operator) {
    case 'exactly': {
      const expected = requireString(operand, 'exactly', where)
      return { test: (value) => value === expected }
    }
    case 'prefix':
      return { test: compileAffix(operand, 'prefix', where) }
    case 'suffix':
      return { test: compileAffix(operand, 'suffix', where) }
    case 'equals-ignore-case': {
      const folded = caseAlternatives(requireString(operand, 'equals-ignore-case', where))
      return {
        test: (value) => typeof value === 'string' && reachForward(value, folded).includes(value.length),
      }
    }
    case 'wildcard': {
      const wildcard = parseWildcard(operand, 'wildcard', where)
      return { test: (value) => typeof value === 'string' && wildcardMatches(wildcard, value), wildcard }
    }
    case 'numeric':
      return { test: compileNumeric(operand, where) }
    case 'cidr':
      return { test: compileCidr(operand, where) }
    case 'exists':
      if (operand.kind !== 'boolean') {
        throw invalid(`exists match pattern must be true or false, found ${operand.kind}`, where)
      }
      // Any leaf exists, null included; `exists: false` is decided by the field's absence instead.
      return operand.value ? { test: () => true } : { matchesAbsence: true }
    case 'anything-but':
      return { test: compileAnythingBut(operand, where) }
    default:
      throw invalid(`unrecognized match type "${operator}"`, where)
  }
}

function requireString(operand: PatternNode, operator: string, where: string): string {
  if (operand.kind !== 'string') {
    throw invalid(`${operator} match pattern must be a string, found ${operand.kind}`, where)
  }
  return operand.value
}

function compileAffix(operand: PatternNode, operator: 'prefix' | 'suffix', where: string): ValueTest {
  if (operand.kind === 'object') {
    // The only modifier AWS accepts here is { "equals-ignore-case": "..." }.
    const [modifier, text] = soleOperator(operand, where)
    if (modifier !== 'equals-ignore-case') {
      throw invalid(
        `unsupported ${operator} modifier "${modifier}", only equals-ignore-case is allowed`,
        where,
      )
    }
    const folded = caseAlternatives(requireString(text, `${operator} equals-ignore-case`, where))
    return operator === 'prefix'
      ? (value) => typeof value === 'string' && reachForward(value, folded).length > 0
      : (value) => typeof value === 'string' && reachBackward(value, folded).length > 0
  }
  const affix = requireString(operand, operator, where)
  // Only strings have a prefix or suffix; AWS matches against the quoted value, so "" matches any string.
  return operator === 'prefix'
    ? (value) => typeof value === 'string' && value.startsWith(affix)
    : (value) => typeof value === 'string' && value.endsWith(affix)
}

// ---------------------------------------------------------------------------------------------------------
// anything-but
// ---------------------------------------------------------------------------------------------------------

type AnythingButOperator = 'prefix' | 'suffix' | 'equals-ignore-case' | 'wildcard'
const ANYTHING_BUT_OPERATORS: ReadonlySet<string> = new Set([
  'prefix',
  'suffix',
  'equals-ignore-case',
  'wildcard',
])

// anything-but matches every present leaf that is not excluded: null, booleans and values of the other
// type included. A missing field has no leaf, so it never matches.
function compileAnythingBut(operand: PatternNode, where: string): ValueTest {
  switch (operand.kind) {
    case 'string':
    case 'number':
      return excludeValues([operand], where)
    case 'array':
      return excludeValues(operand.items, where)
    case 'object': {
      const [operator, values] = soleOperator(operand, where)
      if (!ANYTHING_BUT_OPERATORS.has(operator)) {
        throw invalid(`unsupported anything-but operator "${operator}"`, where)
      }
      return excludeMatching(operator as AnythingButOperator, values, where)
    }
    default:
      throw invalid(
        `anything-but match pattern must be a string, a number, a list or an object, found ${operand.kind}`,
        where,
      )
  }
}

function excludeValues(items: readonly PatternNode[], where: string): ValueTest {
  if (items.length === 0) throw invalid('anything-but lists must not be empty', where)
  const strings = new Set<string>()
  const numbers = new Set<number>()
  for (const item of items) {
    if (item.kind === 'string') strings.add(item.value)
    else if (item.kind === 'number') numbers.add(item.value)
    else throw invalid(`anything-but lists may only hold strings or numbers, found ${item.kind}`, where)
  }
  if (strings.size > 0 && numbers.size > 0) {
    throw invalid('anything-but lists must hold only strings or only numbers, not both', where)
  }
  return (value) =>
    !(typeof value === 'string' ? strings.has(value) : typeof value === 'number' && numbers.has(value))
}

function excludeMatching(operator: AnythingButOperator, operand: PatternNode, where: string): ValueTest {
  const label = `anything-but ${operator}`
  if (operand.kind !== 'string' && operand.kind !== 'array') {
    throw invalid(
      `${label} match pattern must be a string or a list of strings, found ${operand.kind}`,
      where,
    )
  }
  const items = operand.kind === 'array' ? operand.items : [operand]
  // AWS accepts an empty list here and then cannot evaluate the rule; refusing it is the safe reading.
  if (items.length === 0) throw invalid(`${label} lists must not be empty`, where)
  const texts = items.map((item) => {
    const text = requireString(item, label, where)
    if (text === '' && (operator === 'prefix' || operator === 'suffix')) {
      throw invalid(`${label} match pattern must not be an empty string`, where)
    }
    return text
  })
  let excluded: (text: string) => boolean
  if (operator === 'prefix') excluded = (value) => texts.some((prefix) => value.startsWith(prefix))
  else if (operator === 'suffix') excluded = (value) => texts.some((suffix) => value.endsWith(suffix))
  else if (operator === 'equals-ignore-case') {
    const folded = texts.map(caseAlternatives)
    excluded = (value) =>
      folded.some((alternatives) => reachForward(value, alternatives).includes(value.length))
  } else {
    const globs = items.map((item) => parseWildcard(item, label, where).segments)
    excluded = (value) => globs.some((segments) => wildcardMatches({ segments }, value))
  }
  // Only a string can start, end or case-fold like the excluded text, so every other leaf matches.
  return (value) => typeof value !== 'string' || !excluded(value)
}

// ---------------------------------------------------------------------------------------------------------
// numeric
// ---------------------------------------------------------------------------------------------------------

const NUMERIC_OPERATORS: ReadonlySet<string> = new Set(['=', '<', '<=', '>', '>='])

interface Bound {
  readonly value: number
  readonly inclusive: boolean
}

// The grammar is Event Ruler's: one comparison, or a lower bound (> or >=) followed by an upper bound
// (< or <=). Values are JSON numbers compared as IEEE doubles; strings never match.
function compileNumeric(operand: PatternNode, where: string): ValueTest {
  if (operand.kind !== 'array') {
    throw invalid(`numeric match pattern must be an array, found ${operand.kind}`, where)
  }
  const terms = operand.items
  const operator = numericOperator(terms[0], where)
  const first = numericThreshold(terms[1], operator, where)
  if (operator === '=') {
    if (terms.length > 2) throw invalid('numeric "=" cannot be combined with another comparison', where)
    return (value) => typeof value === 'number' && value === first
  }
  let lower: Bound | undefined
  let upper: Bound | undefined
  if (operator === '<' || operator === '<=') {
    if (terms.length > 2) {
      throw invalid(`numeric ranges must start with > or >=, found "${operator}" first`, where)
    }
    upper = { value: first, inclusive: operator === '<=' }
  } else {
    lower = { value: first, inclusive: operator === '>=' }
    if (terms.length > 2) {
      const closing = numericOperator(terms[2], where)
      if (closing !== '<' && closing !== '<=') {
        throw invalid(`numeric range upper bounds must use < or <=, found "${closing}"`, where)
      }
      upper = { value: numericThreshold(terms[3], closing, where), inclusive: closing === '<=' }
      if (terms.length > 4) throw invalid('numeric ranges take at most two comparisons', where)
      if (!(lower.value < upper.value)) {
        throw invalid('numeric range lower bound must be below its upper bound', where)
      }
    }
  }
  return (value) => typeof value === 'number' && withinBounds(value, lower, upper)
}

function withinBounds(value: number, lower: Bound | undefined, upper: Bound | undefined): boolean {
  if (lower && (lower.inclusive ? value < lower.value : value <= lower.value)) return false
  if (upper && (upper.inclusive ? value > upper.value : value >= upper.value)) return false
  return true
}

function numericOperator(term: PatternNode | undefined, where: string): string {
  if (!term) throw invalid('numeric match pattern must not be empty', where)
  if (term.kind !== 'string') {
    throw invalid(`numeric match pattern expects an operator (=, <, <=, >, >=), found ${term.kind}`, where)
  }
  if (!NUMERIC_OPERATORS.has(term.value)) {
    throw invalid(`unrecognized numeric operator "${term.value}"`, where)
  }
  return term.value
}

function numericThreshold(term: PatternNode | undefined, operator: string, where: string): number {
  if (term?.kind !== 'number' || !Number.isFinite(term.value)) {
    throw invalid(
      `numeric "${operator}" must be followed by a number, found ${term ? term.kind : 'nothing'}`,
      where,
    )
  }
  return term.value
}

// ---------------------------------------------------------------------------------------------------------
// Case-insensitive text
// ---------------------------------------------------------------------------------------------------------

type CaseAlternatives = readonly (readonly string[])[]

// Event Ruler accepts, for each character of the operand, its lower-case or its upper-case form (which
// may differ in length, as ß and SS do); the event value itself is not folded.
function caseAlternatives(text: string): CaseAlternatives {
  return Array.from(text, (character) => {
    const lower = character.toLowerCase()
    const upper = character.toUpperCase()
    return lower === upper ? [lower] : [lower, upper]
  })
}

/** Offsets of `value` reachable by consuming `alternatives` from its start. */
function reachForward(value: string, alternatives: CaseAlternatives): number[] {
  let offsets = [0]
  for (const options of alternatives) {
    const next: number[] = []
    for (const offset of offsets) {
      for (const option of options) {
        const end = offset + option.length
        if (value.startsWith(option, offset) && !next.includes(end)) next.push(end)
      }
    }
    if (next.length === 0) return next
    offsets = next
  }
  return offsets
}

/** Offsets of `value` reachable by consuming `alternatives` backwards from its end. */
function reachBackward(value: string, alternatives: CaseAlternatives): number[] {
  let offsets = [value.length]
  for (let index = alternatives.length - 1; index >= 0; index--) {
    const next: number[] = []
    for (const offset of offsets) {
      for (const option of alternatives[index] ?? []) {
        const start = offset - option.length
        if (start >= 0 && value.startsWith(option, start) && !next.includes(start)) next.push(start)
      }
    }
    if (next.length === 0) return next
    offsets = next
  }
  return offsets
}

// ---------------------------------------------------------------------------------------------------------
// wildcard
// ---------------------------------------------------------------------------------------------------------

interface WildcardOperand {
  readonly source: string
  /** The literal text between wildcard characters, unescaped; one more than the number of wildcards. */
  readonly segments: readonly string[]
  /** UTF-8 bytes and wildcards, as Event Ruler's byte machine sees the operand. */
  readonly tokens: readonly number[]
}

const WILDCARD_TOKEN = -1

// Only * is special; \* is a literal asterisk and \\ a literal backslash. Any other escape, and two
// wildcards in a row, are refused (Event Ruler's WildcardParser).
function parseWildcard(operand: PatternNode, label: string, where: string): WildcardOperand {
  const source = requireString(operand, label, where)
  const segments: string[] = []
  const tokens: number[] = []
  const encoder = new TextEncoder()
  let literal = ''
  for (let index = 0; index < source.length; index++) {
    const char = source.charAt(index)
    if (char === '*') {
      if (source.charAt(index + 1) === '*') {
        throw invalid(
          `${label} match pattern must not hold consecutive wildcard characters, found "${source}"`,
          where,
        )
      }
      segments.push(literal)
      literal = ''
      tokens.push(WILDCARD_TOKEN)
      continue
    }
    let text = char
    if (char === '\\') {
      const escaped = source.charAt(index + 1)
      if (escaped !== '*' && escaped !== '\\') {
        throw invalid(
          `${label} match pattern may only escape * or \\ with a backslash, found "${source}"`,
          where,
        )
      }
      text = escaped
      index++
    }
    literal += text
    tokens.push(...encoder.encode(text))
  }
  segments.push(literal)
  return { source, segments, tokens }
}

// AWS refuses rules whose wildcards are too complex. Event Ruler's MachineComplexityEvaluator measures,
// per field, the most wildcard-pattern prefixes one input can match at once. AWS does not publish its
// limit: its documented examples bracket it, "/Users/*/dir/dir/dir/dir/dir/doc.txt" (7) being accepted
// and "*:*:*:*:*:event-bus/*" (11) refused.
const MAX_WILDCARD_COMPLEXITY = 10
const MAX_COMPLEXITY_STATES = 20_000

function checkWildcardComplexity(alternatives: readonly Alternative[]): void {
  const byPath = new Map<string, Map<string, WildcardOperand>>()
  for (const alternative of alternatives) {
    for (const field of alternative.values()) {
      for (const wildcard of field.wildcards) {
        const operands = byPath.get(field.path) ?? new Map<string, WildcardOperand>()
        operands.set(wildcard.source, wildcard)
        byPath.set(field.path, operands)
      }
    }
  }
  for (const [path, operands] of byPath) {
    const complexity = wildcardComplexity([...operands.values()].map((operand) => operand.tokens))
    if (complexity > MAX_WILDCARD_COMPLEXITY) {
      throw invalid(
        'wildcard rule is too complex; use fewer wildcards or fewer repeated sequences after a wildcard',
        path,
      )
    }
  }
}

/**
 * The largest number of pattern prefixes (summed over the patterns) that one input fully matches,
 * found by a subset construction over the wildcard automata. Stops early once over the limit.
 */
function wildcardComplexity(patterns: readonly (readonly number[])[]): number {
  const closure = (tokens: readonly number[], states: readonly number[]): number[] => {
    const active = new Set(states)
    for (let state = 0; state < tokens.length; state++) {
      if (active.has(state) && tokens[state] === WILDCARD_TOKEN) active.add(state + 1)
    }
    return [...active].sort((left, right) => left - right)
  }
  const alphabet = [...new Set(patterns.flat().filter((token) => token !== WILDCARD_TOKEN)), 256]
  const start = patterns.map((tokens) => closure(tokens, [0]))
  const seen = new Set([JSON.stringify(start)])
  const queue = [start]
  let worst = 0
  for (let next = queue.shift(); next; next = queue.shift()) {
    const current = next
    const size = current.reduce((sum, states) => sum + states.filter((state) => state > 0).length, 0)
    worst = Math.max(worst, size)
    if (worst > MAX_WILDCARD_COMPLEXITY || seen.size > MAX_COMPLEXITY_STATES) return Number.POSITIVE_INFINITY
    for (const byte of alphabet) {
      const moved = patterns.map((tokens, index) => {
        const targets: number[] = []
        for (const state of current[index] ?? []) {
          if (state > 0 && tokens[state - 1] === WILDCARD_TOKEN) targets.push(state)
          if (tokens[state] === byte) targets.push(state + 1)
        }
        return closure(tokens, targets)
      })
      const key = JSON.stringify(moved)
      if (moved.some((states) => states.length > 0) && !seen.has(key)) {
        seen.add(key)
        queue.push(moved)
      }
    }
  }
  return worst
}

// ---------------------------------------------------------------------------------------------------------
// cidr and IP addresses
// ---------------------------------------------------------------------------------------------------------

const IPV4_SHAPE = /^[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+$/
// Hex digits and colons, at least one colon. Not `^[0-9a-fA-F:]*:[0-9a-fA-F:]*$`: that backtracks
// quadratically on a long run of colons (80,000 of them took 7 s), and event values are input.
const IPV6_CHARACTERS = /^[0-9a-fA-F:]*$/
const JAVA_INT = /^[+-]?[0-9]+$/

function compileCidr(operand: PatternNode, where: string): ValueTest {
  const cidr = requireString(operand, 'cidr', where)
  // Java's String.split, as Event Ruler uses it, drops trailing empty parts.
  const parts = cidr.split('/')
  while (parts.length > 0 && parts[parts.length - 1] === '') parts.pop()
  const [address = '', mask = ''] = parts
  if (parts.length !== 2) {
    throw invalid(
      `cidr match pattern must be an IP address and a mask joined by one "/", found "${cidr}"`,
      where,
    )
  }
  const bits = Number(mask)
  if (!JAVA_INT.test(mask) || bits < -(2 ** 31) || bits > 2 ** 31 - 1) {
    throw invalid(`cidr mask bits must be an integer, found "${mask}"`, where)
  }
  if (bits < 0) throw invalid(`cidr mask bits must not be negative, found ${bits}`, where)
  const base = parseIpAddress(address)
  if (!base) throw invalid(`cidr match pattern has an invalid IP address "${address}"`, where)
  // Event Ruler's limits, which refuse a full-length mask (/32, /128).
  const width = base.length * 8
  if (bits > width - 1) {
    throw invalid(`IPv${base.length === 4 ? 4 : 6} cidr mask bits must be < ${width}`, where)
  }
  // The block runs from the address with every host bit cleared to the address with every host bit set,
  // so 10.0.0.5/24 is 10.0.0.0/24.
  const hostMasks = Array.from(base, (_byte, index) => {
    const hostBits = Math.min(8, Math.max(0, width - bits - (base.length - 1 - index) * 8))
    return (1 << hostBits) - 1
  })
  const bottom = base.map((byte, index) => byte & ~(hostMasks[index] ?? 0))
  const top = base.map((byte, index) => byte | (hostMasks[index] ?? 0))
  return (value) => typeof value === 'string' && withinRange(parseIpAddress(value), bottom, top)
}

/** The bytes of an IPv4 or IPv6 literal, read as Java's InetAddress reads it, or undefined. */
function parseIpAddress(text: string): Uint8Array | undefined {
  if (IPV4_SHAPE.test(text)) {
    const octets = text.split('.').map(Number)
    return octets.every((octet) => octet <= 255) ? Uint8Array.from(octets) : undefined
  }
  if (!text.includes(':') || !IPV6_CHARACTERS.test(text)) return undefined
  const halves = text.split('::')
  if (halves.length > 2) return undefined
  const groups = (half: string | undefined): number[] | undefined => {
    if (!half) return []
    const parsed = half
      .split(':')
      .map((group) => (/^[0-9a-fA-F]{1,4}$/.test(group) ? Number.parseInt(group, 16) : Number.NaN))
    return parsed.some(Number.isNaN) ? undefined : parsed
  }
  const head = groups(halves[0])
  const tail = groups(halves[1])
  if (!head || !tail) return undefined
  const missing = 8 - head.length - tail.length
  if (halves.length === 2 ? missing < 1 : missing !== 0) return undefined
  const words = [...head, ...new Array<number>(missing).fill(0), ...tail]
  const bytes = Uint8Array.from(words.flatMap((word) => [word >> 8, word & 0xff]))
  // Java reads an IPv4-mapped IPv6 address (::ffff:a.b.c.d) as the IPv4 address itself.
  const mapped = bytes.subarray(0, 10).every((byte) => byte === 0) && bytes[10] === 0xff && bytes[11] === 0xff
  return mapped ? bytes.slice(12) : bytes
}

function compareBytes(left: Uint8Array, right: Uint8Array): number {
  for (let index = 0; index < left.length; index++) {
    const difference = (left[index] ?? 0) - (right[index] ?? 0)
    if (difference !== 0) return difference
  }
  return 0
}

function withinRange(candidate: Uint8Array | undefined, bottom: Uint8Array, top: Uint8Array): boolean {
  return (
    candidate?.length === bottom.length &&
    compareBytes(candidate, bottom) >= 0 &&
    compareBytes(candidate, top) <= 0
  )
}

// ---------------------------------------------------------------------------------------------------------
// Matching
// ---------------------------------------------------------------------------------------------------------

/** A position inside an event array, used to keep matches array-consistent. */
interface ArrayMembership {
  readonly array: readonly unknown[]
  readonly index: number
}

interface Leaf {
  readonly value: LeafValue
  readonly memberships: readonly ArrayMembership[]
}

type JsonObject = Record<string, unknown>

const NO_MEMBERSHIP: readonly ArrayMembership[] = []

class EventPatternMatcher implements CompiledEventPattern {
  constructor(private readonly alternatives: readonly (readonly FieldCondition[])[]) {}

  matches(event: unknown): boolean {
    const root = typeof event === 'string' ? parseEventText(event) : event
    if (!isJsonObject(root)) return false
    const [only, ...others] = this.alternatives
    // Most patterns have no $or; only alternatives that share fields are worth a cache of walked paths.
    if (only && others.length === 0) return matchesAlternative(only, (path) => collectLeaves(root, path))
    const cache = new Map<string, readonly Leaf[]>()
    const leavesAt = (path: string): readonly Leaf[] => {
      let leaves = cache.get(path)
      if (!leaves) {
        leaves = collectLeaves(root, path)
        cache.set(path, leaves)
      }
      return leaves
    }
    return this.alternatives.some((fields) => matchesAlternative(fields, leavesAt))
  }
}

function parseEventText(text: string): unknown {
  try {
    return JSON.parse(text)
  } catch {
    return undefined
  }
}

function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function isLeafValue(value: unknown): value is LeafValue {
  return (
    value === null || typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean'
  )
}

/**
 * The leaves at a dotted path. AWS joins field names with "." before matching, so {"a.b": 1} and
 * {"a": {"b": 1}} both have a leaf at "a.b"; arrays are transparent and each element is a leaf of its own.
 * Objects, empty arrays and missing fields yield no leaf.
 */
function collectLeaves(root: JsonObject, path: string): Leaf[] {
  const leaves: Leaf[] = []
  const descend = (
    node: unknown,
    remaining: string | undefined,
    memberships: readonly ArrayMembership[],
  ): void => {
    if (Array.isArray(node)) {
      node.forEach((element: unknown, index) => {
        descend(element, remaining, [...memberships, { array: node, index }])
      })
      return
    }
    if (remaining === undefined) {
      if (isLeafValue(node)) leaves.push({ value: node, memberships })
      return
    }
    if (!isJsonObject(node)) return
    if (Object.hasOwn(node, remaining)) descend(node[remaining], undefined, memberships)
    for (let dot = remaining.indexOf('.'); dot !== -1; dot = remaining.indexOf('.', dot + 1)) {
      const key = remaining.slice(0, dot)
      if (Object.hasOwn(node, key)) descend(node[key], remaining.slice(dot + 1), memberships)
    }
  }
  descend(root, path, NO_MEMBERSHIP)
  return leaves
}

function matchesAlternative(
  fields: readonly FieldCondition[],
  leavesAt: (path: string) => readonly Leaf[],
): boolean {
  const candidates: Leaf[][] = []
  for (const field of fields) {
    const leaves = leavesAt(field.path)
    if (leaves.length === 0) {
      if (field.matchesAbsence) continue
      return false
    }
    const matching = leaves.filter((leaf) => field.tests.some((test) => test(leaf.value)))
    if (matching.length === 0) return false
    candidates.push(matching)
  }
  return consistentChoiceExists(candidates)
}

// AWS matches arrays consistently (Event Ruler's rulesForJSONEvent): two fields may not be satisfied by
// objects in different elements of the same array.
function consistentChoiceExists(candidates: readonly (readonly Leaf[])[]): boolean {
  if (candidates.every((leaves) => leaves.every((leaf) => leaf.memberships.length === 0))) return true
  const ordered = [...candidates].sort((left, right) => left.length - right.length)
  const chosen: Leaf[] = []
  const search = (depth: number): boolean => {
    const leaves = ordered[depth]
    if (!leaves) return true
    for (const leaf of leaves) {
      if (!chosen.every((other) => consistent(other, leaf))) continue
      chosen.push(leaf)
      if (search(depth + 1)) return true
      chosen.pop()
    }
    return false
  }
  return search(0)
}

function consistent(left: Leaf, right: Leaf): boolean {
  return left.memberships.every((mine) =>
    right.memberships.every((theirs) => mine.array !== theirs.array || mine.index === theirs.index),
  )
}
