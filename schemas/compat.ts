/** A JSON Schema document as zod exports it (draft-04), loosely typed for comparison. */
export interface JsonSchema {
  type?: string | string[]
  properties?: Record<string, JsonSchema>
  required?: string[]
  items?: JsonSchema | JsonSchema[]
  enum?: unknown[]
  const?: unknown
  anyOf?: JsonSchema[]
  oneOf?: JsonSchema[]
  allOf?: JsonSchema[]
  pattern?: string
  format?: string
  minLength?: number
  maxLength?: number
  minimum?: number
  maximum?: number
  minItems?: number
  maxItems?: number
  additionalProperties?: boolean | JsonSchema
  [keyword: string]: unknown
}

const typesOf = (schema: JsonSchema): Set<string> =>
  new Set(schema.type === undefined ? [] : Array.isArray(schema.type) ? schema.type : [schema.type])

/**
 * What a consumer written against `before` could no longer rely on in `after`: the
 * breaking changes within one major (DESIGN.md: only additive, optional changes are
 * allowed). Removing a field, changing a type, adding a required field, narrowing an
 * enum, or tightening a constraint is breaking; a new optional field is not.
 */
export function breakingChanges(before: JsonSchema, after: JsonSchema, path = '$'): string[] {
  const found: string[] = []
  const beforeTypes = typesOf(before)
  const afterTypes = typesOf(after)
  if (beforeTypes.size && (!afterTypes.size || [...beforeTypes].some((type) => !afterTypes.has(type)))) {
    // Widening ["string"] to ["string", "null"] keeps every old value valid; anything else does not.
    found.push(
      `${path}: type changed from ${[...beforeTypes].join('|')} to ${[...afterTypes].join('|') || 'any'}`,
    )
  }
  if (before.const !== undefined && JSON.stringify(before.const) !== JSON.stringify(after.const)) {
    found.push(
      `${path}: constant changed from ${JSON.stringify(before.const)} to ${JSON.stringify(after.const)}`,
    )
  }
  if (after.enum) {
    const allowed = new Set(after.enum.map((value) => JSON.stringify(value)))
    const lost = (before.enum ?? []).filter((value) => !allowed.has(JSON.stringify(value)))
    if (!before.enum) found.push(`${path}: enum introduced (narrowed to ${after.enum.join(', ')})`)
    else if (lost.length) found.push(`${path}: enum narrowed (lost ${lost.join(', ')})`)
  }
  if (after.pattern !== undefined && after.pattern !== before.pattern) found.push(`${path}: pattern changed`)
  if (after.format !== undefined && after.format !== before.format) found.push(`${path}: format changed`)
  const tighter = (keyword: keyof JsonSchema, lower: boolean) => {
    const was = before[keyword] as number | undefined
    const now = after[keyword] as number | undefined
    if (now === undefined) return
    if (was === undefined || (lower ? now > was : now < was))
      found.push(`${path}: ${String(keyword)} tightened`)
  }
  tighter('minLength', true)
  tighter('minimum', true)
  tighter('minItems', true)
  tighter('maxLength', false)
  tighter('maximum', false)
  tighter('maxItems', false)

  const beforeRequired = new Set(before.required ?? [])
  for (const name of after.required ?? []) {
    if (!beforeRequired.has(name)) found.push(`${path}.${name}: became required`)
  }
  for (const [name, property] of Object.entries(before.properties ?? {})) {
    const next = after.properties?.[name]
    if (!next) {
      // A field a strict producer may no longer send: consumers reading it break.
      found.push(`${path}.${name}: removed`)
      continue
    }
    found.push(...breakingChanges(property, next, `${path}.${name}`))
  }
  if (before.items && after.items && !Array.isArray(before.items) && !Array.isArray(after.items)) {
    found.push(...breakingChanges(before.items, after.items, `${path}[]`))
  }
  for (const keyword of ['anyOf', 'oneOf'] as const) {
    const was = before[keyword]
    const now = after[keyword]
    if (!was) continue
    if (!now) {
      found.push(`${path}: ${keyword} removed`)
      continue
    }
    was.forEach((branch, index) => {
      const match = now[index]
      if (!match) found.push(`${path}: ${keyword} branch ${index} removed`)
      else found.push(...breakingChanges(branch, match, `${path}<${keyword} ${index}>`))
    })
  }
  return found
}
