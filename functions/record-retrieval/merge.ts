import { createHash } from 'node:crypto'
import { ODS_CODE_SYSTEM } from '../../schemas/fhir/identifiers'
import type { Patient } from '../../schemas/fhir/Patient'
import { SNOMED } from '../../schemas/fhir/recordTypes'
import { type FhirResource, r4Id } from '../shared/gpconnect/stu3ToR4'
import type { HolderAnswer, HolderFailure } from '../shared/records/HolderRecordSource'
import { areasOf, type StructuredRecordQuery } from '../shared/records/query'
import {
  LIST_EMPTY_REASON_SYSTEM,
  listsFor,
  primaryListOf,
  SECONDARY_LIST_SYSTEM,
  type SectionList,
  sourceOf,
} from '../shared/records/sections'
import { ukDateTime } from '../shared/time'

type Json = Record<string, unknown>
const isObject = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value)
const asArray = (value: unknown): unknown[] =>
  Array.isArray(value) ? value : value === undefined ? [] : [value]

/** One holder's part of a retrieval, as the merge sees it. */
export interface HolderResult {
  ods: string
  /** The organisation's name in the ICS. */
  name: string
  answer: HolderAnswer
}

export interface MergeInput {
  /** The patient as PDS knows them: the record's Patient. */
  patient: Patient
  /** The patient's NHS number (the Patient's id). */
  nhsNumber: string
  query: StructuredRecordQuery
  holders: HolderResult[]
  now: Date
}

/** Our own code system for why a holder's part is missing from a merged record. */
export const HOLDER_OUTCOME_SYSTEM = 'https://fhir.joinup.example/CodeSystem/holder-outcome'

const FAILURE_TEXT: Record<HolderFailure, { issue: string; display: string }> = {
  timeout: { issue: 'timeout', display: 'Holder did not answer in time' },
  unreachable: { issue: 'transient', display: 'Holder could not be reached' },
  error: { issue: 'exception', display: 'Holder answered with an error' },
  refused: { issue: 'forbidden', display: 'Holder refused the request' },
  'not-found': { issue: 'not-found', display: 'Holder holds no record of the patient' },
  invalid: { issue: 'invalid', display: 'Holder answered something that is not a valid structured record' },
  'not-reachable': { issue: 'not-supported', display: 'No way to ask the holder for a structured record' },
}

/** Types that describe who and where, not what happened to the patient: never de-duplicated or dropped. */
const INFRASTRUCTURE = new Set([
  'Organization',
  'Practitioner',
  'PractitionerRole',
  'Location',
  'HealthcareService',
])

/** Order of resource types in the answer (GP Connect's "Bundle population illustrated"). */
const TYPE_ORDER = ['Organization', 'Practitioner', 'PractitionerRole', 'Location', 'HealthcareService']

/** A reference as `Type/id`, or undefined for contained (`#x`), absolute and logical references. */
function referenceOf(value: unknown): string | undefined {
  if (!isObject(value) || typeof value.reference !== 'string') return undefined
  return /^[A-Z][A-Za-z]+\/[A-Za-z0-9\-.]{1,64}$/.test(value.reference) ? value.reference : undefined
}

/**
 * Every `reference` string in a value, rewritten by `rewrite` (which may return it
 * unchanged). Copy on write: what holds no changed reference is shared, not copied.
 */
function rewriteReferences<T>(value: T, rewrite: (reference: string) => string): T {
  if (Array.isArray(value)) {
    let copy: unknown[] | undefined
    for (let index = 0; index < value.length; index++) {
      const next = rewriteReferences(value[index], rewrite)
      if (next !== value[index]) {
        copy ??= value.slice()
        copy[index] = next
      }
    }
    return (copy ?? value) as T
  }
  if (!isObject(value)) return value
  let copy: Json | undefined
  for (const key of Object.keys(value)) {
    const inner = value[key]
    const next =
      key === 'reference' && typeof inner === 'string' ? rewrite(inner) : rewriteReferences(inner, rewrite)
    if (next !== inner) {
      copy ??= { ...value }
      copy[key] = next
    }
  }
  return (copy ?? value) as T
}

/** Every `Type/id` reference a value makes. */
function referencesIn(value: unknown, found: Set<string> = new Set()): Set<string> {
  if (Array.isArray(value)) for (const item of value) referencesIn(item, found)
  else if (isObject(value)) {
    const reference = referenceOf(value)
    if (reference) found.add(reference)
    for (const [key, inner] of Object.entries(value)) if (key !== 'contained') referencesIn(inner, found)
  }
  return found
}

const keyOf = (resource: FhirResource) => `${resource.resourceType}/${resource.id}`

function odsOf(resource: FhirResource): string | undefined {
  const identifier = asArray(resource.identifier).find(
    (candidate) =>
      isObject(candidate) && candidate.system === ODS_CODE_SYSTEM && typeof candidate.value === 'string',
  ) as Json | undefined
  const value = identifier?.value as string | undefined
  return value && /^[A-Z0-9]{3,6}$/.test(value) ? value : undefined
}

/** The section code of a List: `system|code` of its first coding. */
function listCodeOf(list: FhirResource): { system?: string; code?: string } {
  const coding = asArray(isObject(list.code) ? list.code.coding : undefined).find(isObject)
  return {
    system: typeof coding?.system === 'string' ? coding.system : undefined,
    code: typeof coding?.code === 'string' ? coding.code : undefined,
  }
}

/** True for the lists that gather a section's entries (primary or secondary), not a consultation's structure. */
function isSectionList(list: FhirResource): boolean {
  const { system, code } = listCodeOf(list)
  return primaryListOf(system, code) !== undefined || system === SECONDARY_LIST_SYSTEM
}

/** One holder's resources, renamed so that ids are unique across holders and references follow. */
interface HolderPart {
  ods: string
  resources: FhirResource[]
  lists: FhirResource[]
  notes: string[]
}

/**
 * Renames a holder's resources: `<ODS>-<id>` for its own, `Organization/<ODS>` for any
 * organisation with an ODS code (so each organisation appears once in the answer), the
 * record's Patient for every patient reference. Its Patient resources are dropped (the
 * answer's Patient is the PDS one), and everything it holds gets `meta.source`.
 */
function renamed(ods: string, resources: FhirResource[], nhsNumber: string): HolderPart {
  const names = new Map<string, string>()
  const byId = new Map<string, string[]>()
  let unnamed = 0
  const withIds = resources.map((resource) => {
    if (typeof resource.id === 'string') return resource
    unnamed++
    return { ...resource, id: `${resource.resourceType.toLowerCase()}-${unnamed}` }
  })
  for (const resource of withIds) {
    const id = resource.id!
    const organisation = resource.resourceType === 'Organization' ? odsOf(resource) : undefined
    const name =
      resource.resourceType === 'Patient' ? nhsNumber : organisation ? organisation : r4Id(`${ods}-${id}`)
    names.set(keyOf(resource), `${resource.resourceType}/${name}`)
    byId.set(id, [...(byId.get(id) ?? []), `${resource.resourceType}/${name}`])
  }
  const rewrite = (reference: string): string => {
    if (reference.startsWith('#') || reference.includes(':')) return reference
    const slash = reference.indexOf('/')
    if (slash < 0) {
      // GP Connect's examples sometimes reference a bare id: resolve it when it is unambiguous.
      const candidates = byId.get(reference)
      return candidates?.length === 1 ? candidates[0]! : reference
    }
    const renamedTo = names.get(reference)
    if (renamedTo) return renamedTo
    const type = reference.slice(0, slash)
    if (type === 'Patient') return `Patient/${nhsNumber}`
    // Not in the holder's answer: keep it dangling, but in the holder's namespace.
    return `${type}/${r4Id(`${ods}-${reference.slice(slash + 1)}`)}`
  }
  const out: FhirResource[] = []
  const lists: FhirResource[] = []
  for (const resource of withIds) {
    if (resource.resourceType === 'Patient') continue
    const renamedTo = names.get(keyOf(resource))!
    const rewritten = rewriteReferences(resource, rewrite)
    const next: FhirResource = {
      ...rewritten,
      id: renamedTo.slice(renamedTo.indexOf('/') + 1),
      meta: { ...(isObject(rewritten.meta) ? rewritten.meta : {}), source: sourceOf(ods) },
    }
    if (Array.isArray(next.contained)) {
      next.contained = next.contained.map((contained) =>
        isObject(contained)
          ? {
              ...contained,
              meta: { ...(isObject(contained.meta) ? contained.meta : {}), source: sourceOf(ods) },
            }
          : contained,
      )
    }
    if (next.resourceType === 'List' && isSectionList(next)) lists.push(next)
    else out.push(next)
  }
  return { ods, resources: out, lists, notes: [] }
}

/** The codes a statement is about, as a stable text (codings with a system, else the text). */
function conceptKey(concept: unknown): string | undefined {
  if (!isObject(concept)) return undefined
  const codings = asArray(concept.coding)
    .filter(
      (coding): coding is Json =>
        isObject(coding) && typeof coding.system === 'string' && typeof coding.code === 'string',
    )
    .map((coding) => `${coding.system}|${coding.code}`)
    .sort()
  if (codings.length) return codings.join(',')
  return typeof concept.text === 'string' ? `text:${concept.text.trim().toLowerCase()}` : undefined
}

/** What a statement is about, when and by whom, per type: two statements are the same when all three are. */
const STATEMENT_FACTS: Record<
  string,
  { code: (r: Json, pool: Pool) => unknown; dates: string[]; by: string[] }
> = {
  AllergyIntolerance: { code: (r) => r.code, dates: ['onset', 'recordedDate'], by: ['asserter', 'recorder'] },
  Condition: {
    code: (r) => r.code,
    dates: ['onset', 'abatement', 'recordedDate'],
    by: ['asserter', 'recorder'],
  },
  MedicationStatement: {
    code: (r, pool) =>
      r.medicationCodeableConcept ?? pool.get(referenceOf(r.medicationReference) ?? '')?.code,
    dates: ['effective', 'dateAsserted'],
    by: ['informationSource'],
  },
  Immunization: { code: (r) => r.vaccineCode, dates: ['occurrence', 'recorded'], by: ['performer'] },
  Observation: { code: (r) => r.code, dates: ['effective', 'issued', 'value'], by: ['performer'] },
  DiagnosticReport: { code: (r) => r.code, dates: ['effective', 'issued'], by: ['performer'] },
  Encounter: { code: (r) => asArray(r.type)[0], dates: ['period'], by: ['serviceProvider', 'participant'] },
  ServiceRequest: { code: (r) => r.code, dates: ['authoredOn', 'occurrence'], by: ['requester'] },
}

type Pool = Map<string, FhirResource>

/** Statements clinicians reconcile across organisations: alike ones (same code only) get a note. */
const RECONCILED = new Set(['AllergyIntolerance', 'Condition', 'MedicationStatement', 'Immunization'])

/** The elements of a resource whose names start with `prefix` (onset → onsetDateTime, onsetPeriod…). */
function choiceValues(resource: Json, prefix: string): unknown[] {
  return Object.keys(resource)
    .filter((key) => key === prefix || (key.startsWith(prefix) && /^[A-Z]/.test(key.slice(prefix.length))))
    .sort()
    .map((key) => ({ [key]: resource[key] }))
}

/** The ODS code of the organisation a reference stands for: directly, through a role, or the holder's own. */
function organisationOf(reference: string | undefined, pool: Pool, holder: string): string {
  const target = reference ? pool.get(reference) : undefined
  if (!target) return holder
  if (target.resourceType === 'Organization') return odsOf(target) ?? holder
  if (target.resourceType === 'PractitionerRole')
    return organisationOf(referenceOf(target.organization), pool, holder)
  if (target.resourceType === 'Practitioner') {
    const role = [...pool.values()].find(
      (candidate) =>
        candidate.resourceType === 'PractitionerRole' && referenceOf(candidate.practitioner) === reference,
    )
    return role ? organisationOf(referenceOf(role.organization), pool, holder) : holder
  }
  return holder
}

/** The asserting organisation's ODS code: whoever the statement names first, else its holder. */
function assertedBy(resource: FhirResource, elements: string[], pool: Pool, holder: string): string {
  for (const element of elements) {
    for (const value of asArray(resource[element])) {
      const reference =
        referenceOf(value) ??
        (isObject(value) ? (referenceOf(value.actor) ?? referenceOf(value.individual)) : undefined)
      if (reference) return organisationOf(reference, pool, holder)
    }
  }
  return holder
}

interface StatementKeys {
  /** Same code, same dates, same asserting organisation (and status): the same statement. */
  identity: string
  /** Same code only: worth a note when the rest differs. */
  concept: string
  /** A readable name for notes. */
  label: string
}

function statementKeys(resource: FhirResource, pool: Pool, holder: string): StatementKeys | undefined {
  const facts = STATEMENT_FACTS[resource.resourceType]
  if (!facts) return undefined
  const codeValue = facts.code(resource, pool)
  const concept = conceptKey(codeValue)
  if (!concept) return undefined
  const dates = facts.dates.flatMap((prefix) => choiceValues(resource, prefix))
  const by = assertedBy(resource, facts.by, pool, holder)
  const status = JSON.stringify([resource.status, resource.clinicalStatus, resource.verificationStatus])
  const label =
    (isObject(codeValue) &&
      (typeof codeValue.text === 'string'
        ? codeValue.text
        : (
            asArray(codeValue.coding).find(
              (coding) => isObject(coding) && typeof coding.display === 'string',
            ) as Json | undefined
          )?.display)) ||
    resource.resourceType
  return {
    identity: `${resource.resourceType}|${concept}|${JSON.stringify(dates)}|${by}|${status}`,
    concept: `${resource.resourceType}|${concept}`,
    label: String(label),
  }
}

/**
 * What goes with a statement that is dropped as a duplicate: the resources of the same
 * holder only it reaches (a medication's plan, its issues, its Medication), so no orphan
 * stays behind. Anything else of the holder still points at stays.
 */
function dependentsOf(dropped: string, part: HolderPart, listed: Set<string>): Set<string> {
  const own = new Map(part.resources.map((resource) => [keyOf(resource), resource]))
  const group = new Set([dropped])
  for (let grew = true; grew; ) {
    grew = false
    for (const [key, resource] of own) {
      if (group.has(key) || INFRASTRUCTURE.has(resource.resourceType) || listed.has(key)) continue
      const forward = [...group].some((member) => referencesIn(own.get(member)).has(key))
      const backward = [...referencesIn(resource)].some((reference) => group.has(reference))
      if (forward || backward) {
        group.add(key)
        grew = true
      }
    }
  }
  // Keep what a resource outside the group still needs.
  for (const [key, resource] of own) {
    if (group.has(key)) continue
    for (const reference of referencesIn(resource)) if (reference !== dropped) group.delete(reference)
  }
  return group
}

function codingOf(list: SectionList) {
  return { coding: [{ system: SNOMED, code: list.code, display: list.display }] }
}

/** A merged list: one per section, with every holder's entries. */
interface MergedList {
  id: string
  title: string
  code: Json
  entries: Json[]
  contained: Json[]
  notes: string[]
  warnings: Json[]
  holders: Set<string>
  primary?: SectionList
}

function slug(text: string): string {
  const cleaned = text
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '')
  return cleaned.length > 0 && cleaned.length <= 60
    ? cleaned
    : createHash('sha256').update(text).digest('hex').slice(0, 16)
}

/**
 * Merges the holders' answers into one FHIR R4 `collection` Bundle shaped as GP Connect's
 * structured record: the Patient (from PDS), one Organization per holder, the
 * practitioners, one List per section with every holder's entries, the clinical resources
 * (each with `meta.source` naming its holder and an id unique across holders), and an
 * OperationOutcome warning per holder that gave nothing. Statements that are truly the
 * same (same code, dates, asserting organisation and status) from several holders appear
 * once, and the List says so; statements that share only a code are both kept, and the
 * List says that too.
 */
export function mergeStructuredRecord(input: MergeInput): FhirResource {
  const { nhsNumber } = input
  const parts: HolderPart[] = []
  const failures: HolderResult[] = []
  for (const holder of input.holders) {
    if (holder.answer.kind === 'answered') {
      const part = renamed(holder.ods, holder.answer.resources, nhsNumber)
      part.notes.push(...holder.answer.notes)
      parts.push(part)
    } else failures.push(holder)
  }

  // Every resource by its (renamed) reference: the first holder's copy of a shared organisation wins.
  const pool: Pool = new Map()
  for (const part of parts) {
    for (const resource of [...part.resources, ...part.lists])
      if (!pool.has(keyOf(resource))) pool.set(keyOf(resource), resource)
  }

  // De-duplicate statements listed in primary lists, holder by holder in index order.
  const aliases = new Map<string, string>()
  const dropped = new Set<string>()
  const heldBy = new Map<string, string[]>()
  const sameCode = new Map<
    string,
    { label: string; holders: Set<string>; identities: Set<string>; references: Set<string> }
  >()
  const seen = new Map<string, string>()
  for (const part of parts) {
    const listed = new Set<string>()
    for (const list of part.lists) {
      if (!primaryListOf(listCodeOf(list).system, listCodeOf(list).code)) continue
      for (const entry of asArray(list.entry)) {
        const reference = isObject(entry) ? referenceOf(entry.item) : undefined
        if (reference) listed.add(reference)
      }
    }
    for (const reference of listed) {
      const resource = pool.get(reference)
      if (!resource || !part.resources.includes(resource)) continue
      const keys = statementKeys(resource, pool, part.ods)
      if (!keys) continue
      const kept = seen.get(keys.identity)
      if (kept && !kept.startsWith(`${resource.resourceType}/${part.ods}-`)) {
        aliases.set(reference, kept)
        heldBy.set(kept, [...(heldBy.get(kept) ?? []), part.ods])
        for (const key of dependentsOf(reference, part, listed)) dropped.add(key)
        continue
      }
      if (!kept) seen.set(keys.identity, reference)
      if (!RECONCILED.has(resource.resourceType)) continue
      const similar = sameCode.get(keys.concept) ?? {
        label: keys.label,
        holders: new Set<string>(),
        identities: new Set<string>(),
        references: new Set<string>(),
      }
      similar.holders.add(part.ods)
      similar.identities.add(keys.identity)
      similar.references.add(reference)
      sameCode.set(keys.concept, similar)
    }
  }
  const follow = (reference: string) => aliases.get(reference) ?? reference
  // Only when something was merged do references need following (a copy of every resource otherwise).
  const keptOf = (resources: FhirResource[]) => {
    const kept = resources.filter((resource) => !dropped.has(keyOf(resource)))
    return aliases.size ? kept.map((resource) => rewriteReferences(resource, follow)) : kept
  }

  // One merged List per section code, with every holder's entries (duplicates once).
  const merged = new Map<string, MergedList>()
  const mergedFor = (key: string, create: () => MergedList) => {
    if (!merged.has(key)) merged.set(key, create())
    return merged.get(key)!
  }
  for (const area of areasOf(input.query)) {
    for (const list of listsFor(area, input.query.allergies?.includeResolved)) {
      mergedFor(`${SNOMED}|${list.code}`, () => emptyList(list))
    }
  }
  for (const part of parts) {
    for (const list of part.lists) {
      const { system, code } = listCodeOf(list)
      const primary = primaryListOf(system, code)
      const target = mergedFor(`${system}|${code}`, () =>
        primary
          ? emptyList(primary)
          : {
              id: slug(code ?? String(list.title ?? 'list')),
              title: typeof list.title === 'string' ? list.title : String(code),
              code: isObject(list.code) ? list.code : {},
              entries: [],
              contained: [],
              notes: [],
              warnings: [],
              holders: new Set(),
            },
      )
      target.holders.add(part.ods)
      // Contained items (GP Connect's ended allergies) keep local ids: make them unique in the merged List.
      const containedNames = new Map<string, string>()
      for (const contained of asArray(list.contained).filter(isObject)) {
        const id = typeof contained.id === 'string' ? contained.id : `item-${containedNames.size + 1}`
        const renamedId = r4Id(`${part.ods}-${id}`)
        containedNames.set(`#${id}`, `#${renamedId}`)
        target.contained.push({ ...contained, id: renamedId })
      }
      for (const entry of asArray(list.entry).filter(isObject)) {
        const item =
          isObject(entry.item) && typeof entry.item.reference === 'string' ? entry.item.reference : undefined
        const reference = item ? (containedNames.get(item) ?? follow(item)) : undefined
        if (reference && target.entries.some((existing) => (existing.item as Json).reference === reference))
          continue
        const { item: _item, ...rest } = entry
        target.entries.push({
          ...rest,
          item: { ...(entry.item as Json), ...(reference ? { reference } : {}) },
        })
      }
      for (const note of asArray(list.note).filter(isObject)) {
        if (
          typeof note.text === 'string' &&
          note.text.trim() &&
          !/^Information not available\.?$/.test(note.text.trim())
        )
          target.notes.push(`${part.ods}: ${note.text.trim()}`)
      }
      for (const extension of asArray(list.extension).filter(isObject)) {
        if (!target.warnings.some((known) => JSON.stringify(known) === JSON.stringify(extension)))
          target.warnings.push(extension)
      }
    }
  }

  // Say in each List what was merged, what looks alike but was kept, and who is missing.
  const failed = failures.map((failure) => failure.ods)
  for (const list of merged.values()) {
    for (const entry of list.entries) {
      const reference = (entry.item as Json).reference as string
      const holders = heldBy.get(reference)
      if (!holders) continue
      const first = pool.get(reference)
      const owner = /^[A-Za-z]+\/([A-Z0-9]{3,6})-/.exec(reference)?.[1] ?? ''
      const all = [owner, ...holders]
      entry.flag = { text: `Held by ${all.join(' and ')}: the same statement, shown once` }
      const keys = first ? statementKeys(first, pool, owner) : undefined
      list.notes.push(
        `${keys?.label ?? 'A statement'} is held by ${all.join(' and ')} with the same code, dates and asserting organisation: shown once.`,
      )
    }
    if (list.primary) {
      const listed = new Set(list.entries.map((entry) => (entry.item as Json).reference as string))
      for (const similar of sameCode.values()) {
        if (similar.holders.size < 2 || similar.identities.size < 2) continue
        if ([...similar.references].some((reference) => listed.has(reference)))
          list.notes.push(
            `${similar.label} is recorded by ${[...similar.holders].join(' and ')} with different dates or asserting organisations: each is shown.`,
          )
      }
      if (failed.length)
        list.notes.push(
          `This list may be incomplete: no answer from ${failed.join(', ')} (see the OperationOutcome).`,
        )
    }
  }

  const timestamp = ukDateTime(input.now)
  const lists: FhirResource[] = [...merged.values()].map((list) => {
    const resource: FhirResource = {
      resourceType: 'List',
      id: list.id,
      ...(list.contained.length ? { contained: list.contained } : {}),
      ...(list.warnings.length ? { extension: list.warnings } : {}),
      status: 'current',
      mode: 'snapshot',
      title: list.title,
      code: list.code,
      subject: { reference: `Patient/${nhsNumber}` },
      date: timestamp,
    }
    const notes = [...new Set(list.notes)]
    if (list.entries.length) resource.entry = list.entries
    else {
      resource.emptyReason = {
        coding: [
          { system: LIST_EMPTY_REASON_SYSTEM, code: 'no-content-recorded', display: 'No Content Recorded' },
        ],
      }
      notes.unshift('Information not available.')
    }
    if (notes.length) resource.note = notes.map((text) => ({ text }))
    return resource
  })

  // One Organization per holder (the holder's own copy when it sent one), then the others.
  const organisations = new Map<string, FhirResource>()
  for (const holder of input.holders) {
    const own =
      parts
        .find((part) => part.ods === holder.ods)
        ?.resources.find(
          (resource) => resource.resourceType === 'Organization' && resource.id === holder.ods,
        ) ?? pool.get(`Organization/${holder.ods}`)
    organisations.set(holder.ods, {
      ...(own ?? {}),
      resourceType: 'Organization',
      id: holder.ods,
      identifier: [{ system: ODS_CODE_SYSTEM, value: holder.ods }],
      name: typeof own?.name === 'string' ? own.name : holder.name,
      meta: { source: sourceOf(holder.ods) },
    })
  }
  const others: FhirResource[] = []
  const added = new Set<string>()
  for (const part of parts) {
    for (const resource of keptOf(part.resources)) {
      const key = keyOf(resource)
      if (resource.resourceType === 'Organization' && organisations.has(resource.id!)) continue
      if (added.has(key)) continue
      added.add(key)
      others.push(resource)
    }
  }
  const rank = (resource: FhirResource) => {
    const index = TYPE_ORDER.indexOf(resource.resourceType)
    return index < 0 ? TYPE_ORDER.length + (resource.resourceType === 'List' ? 0 : 1) : index
  }
  others.sort((a, b) => rank(a) - rank(b))

  const outcomes: FhirResource[] = failures.map((failure) => holderWarning(failure))
  for (const part of parts) if (part.notes.length) outcomes.push(holderInformation(part.ods, part.notes))
  const infrastructure = others.filter((resource) => INFRASTRUCTURE.has(resource.resourceType))
  const clinical = others.filter(
    (resource) => !INFRASTRUCTURE.has(resource.resourceType) && resource.resourceType !== 'OperationOutcome',
  )
  // A holder's own OperationOutcomes (GP Connect's warnings about parameters) stay, under its name.
  const holderOutcomes = others.filter((resource) => resource.resourceType === 'OperationOutcome')
  const ordered = [
    input.patient as unknown as FhirResource,
    ...organisations.values(),
    ...infrastructure,
    ...lists,
    ...clinical,
    ...holderOutcomes,
    ...outcomes,
  ]
  return {
    resourceType: 'Bundle',
    type: 'collection',
    timestamp,
    entry: ordered.map((resource) => ({ resource })),
  }
}

function emptyList(list: SectionList): MergedList {
  return {
    id: list.id,
    title: list.title,
    code: codingOf(list),
    entries: [],
    contained: [],
    notes: [],
    warnings: [],
    holders: new Set(),
    primary: list,
  }
}

/** The warning for a holder that gave nothing: who (ODS code and name) and what happened. */
function holderWarning(failure: HolderResult): FhirResource {
  if (failure.answer.kind !== 'failed') throw new Error('not a failure')
  const text = FAILURE_TEXT[failure.answer.failure]
  return {
    resourceType: 'OperationOutcome',
    id: `holder-${failure.ods}`,
    issue: [
      {
        severity: 'warning',
        code: text.issue,
        details: {
          coding: [
            { system: HOLDER_OUTCOME_SYSTEM, code: failure.answer.failure, display: text.display },
            { system: ODS_CODE_SYSTEM, code: failure.ods, display: failure.name },
          ],
          text: `${failure.ods} (${failure.name}): ${text.display.toLowerCase()}`,
        },
        diagnostics: `${failure.ods} (${failure.name}): ${failure.answer.detail}`,
      },
    ],
  }
}

/** What was left out of a holder's answer (resources of types the mapping does not know). */
function holderInformation(ods: string, notes: string[]): FhirResource {
  return {
    resourceType: 'OperationOutcome',
    id: `holder-${ods}-notes`,
    issue: notes.map((note) => ({
      severity: 'information',
      code: 'informational',
      details: { coding: [{ system: ODS_CODE_SYSTEM, code: ods }] },
      diagnostics: `${ods}: ${note}`,
    })),
  }
}
