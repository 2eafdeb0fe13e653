/**
 * FHIR STU3 (GP Connect 1.6 CareConnect-GPC profiles) to FHIR R4, one resource at a time.
 * Written from the HL7 R3→R4 differences for the resources GP Connect Access Record
 * Structured returns: coded statuses become CodeableConcepts, renamed elements move
 * (assertedDate → recordedDate, context → encounter, ReferralRequest → ServiceRequest),
 * Dosage's dose and rate move into doseAndRate, and anything R4 does not define is left
 * out, so the result is structurally valid R4 whatever the provider added. GP Connect's
 * extensions are kept as they are: their URLs are data, and R4 allows any extension.
 */

import { createHash } from 'node:crypto'
import { CANCELLATION_REASON_URL } from '../../../schemas/fhir/Appointment'
import { ukOffsetMinutes } from '../time'

/** A FHIR resource as JSON. */
export interface FhirResource {
  resourceType: string
  id?: string
  [element: string]: unknown
}

type Json = Record<string, unknown>
const isObject = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value)
const asArray = (value: unknown): unknown[] =>
  value === undefined ? [] : Array.isArray(value) ? value : [value]

/**
 * The elements each R4 resource type defines (HL7 R4 JSON Schema; test/unit checks this
 * list against it), and which of them are primitives (only those may carry `_element`).
 */
const R4_ELEMENTS: Record<string, string> = {
  Patient:
    'identifier active name telecom gender birthDate deceasedBoolean deceasedDateTime address maritalStatus multipleBirthBoolean multipleBirthInteger photo contact communication generalPractitioner managingOrganization link',
  Organization: 'identifier active type name alias telecom address partOf contact endpoint',
  Practitioner: 'identifier active name telecom address gender birthDate photo qualification communication',
  PractitionerRole:
    'identifier active period practitioner organization code specialty location healthcareService telecom availableTime notAvailable availabilityExceptions endpoint',
  Location:
    'identifier status operationalStatus name alias description mode type telecom address physicalType position managingOrganization partOf hoursOfOperation availabilityExceptions endpoint',
  List: 'identifier status mode title code subject encounter date source orderedBy note entry emptyReason',
  AllergyIntolerance:
    'identifier clinicalStatus verificationStatus type category criticality code patient encounter onsetDateTime onsetAge onsetPeriod onsetRange onsetString recordedDate recorder asserter lastOccurrence note reaction',
  Condition:
    'identifier clinicalStatus verificationStatus category severity code bodySite subject encounter onsetDateTime onsetAge onsetPeriod onsetRange onsetString abatementDateTime abatementAge abatementPeriod abatementRange abatementString recordedDate recorder asserter stage evidence note',
  MedicationStatement:
    'identifier basedOn partOf status statusReason category medicationCodeableConcept medicationReference subject context effectiveDateTime effectivePeriod dateAsserted informationSource derivedFrom reasonCode reasonReference note dosage',
  MedicationRequest:
    'identifier status statusReason intent category priority doNotPerform reportedBoolean reportedReference medicationCodeableConcept medicationReference subject encounter supportingInformation authoredOn requester performer performerType recorder reasonCode reasonReference instantiatesCanonical instantiatesUri basedOn groupIdentifier courseOfTherapyType insurance note dosageInstruction dispenseRequest substitution priorPrescription detectedIssue eventHistory',
  Medication: 'identifier code status manufacturer form amount ingredient batch',
  Immunization:
    'identifier status statusReason vaccineCode patient encounter occurrenceDateTime occurrenceString recorded primarySource reportOrigin location manufacturer lotNumber expirationDate site route doseQuantity performer note reasonCode reasonReference isSubpotent subpotentReason education programEligibility fundingSource reaction protocolApplied',
  Observation:
    'identifier basedOn partOf status category code subject focus encounter effectiveDateTime effectivePeriod effectiveTiming effectiveInstant issued performer valueQuantity valueCodeableConcept valueString valueBoolean valueInteger valueRange valueRatio valueSampledData valueTime valueDateTime valuePeriod dataAbsentReason interpretation note bodySite method specimen device referenceRange hasMember derivedFrom component',
  DiagnosticReport:
    'identifier basedOn status category code subject encounter effectiveDateTime effectivePeriod issued performer resultsInterpreter specimen result imagingStudy media conclusion conclusionCode presentedForm',
  Encounter:
    'identifier status statusHistory class classHistory type serviceType priority subject episodeOfCare basedOn participant appointment period length reasonCode reasonReference diagnosis account hospitalization location serviceProvider partOf',
  ServiceRequest:
    'identifier instantiatesCanonical instantiatesUri basedOn replaces requisition status intent category priority doNotPerform code orderDetail quantityQuantity quantityRatio quantityRange subject encounter occurrenceDateTime occurrencePeriod occurrenceTiming asNeededBoolean asNeededCodeableConcept authoredOn requester performerType performer locationCode locationReference reasonCode reasonReference insurance supportingInfo specimen bodySite note patientInstruction relevantHistory',
  Specimen:
    'identifier accessionIdentifier status type subject receivedTime parent request collection processing container condition note',
  DocumentReference:
    'masterIdentifier identifier status docStatus type category subject date author authenticator custodian relatesTo description securityLabel content context',
  OperationOutcome: 'issue',
  HealthcareService:
    'identifier active providedBy category type specialty location name comment extraDetails photo telecom coverageArea serviceProvisionCode eligibility program characteristic communication referralMethod appointmentRequired availableTime notAvailable availabilityExceptions endpoint',
  Slot: 'identifier serviceCategory serviceType specialty appointmentType schedule status start end overbooked comment',
  Schedule: 'identifier active serviceCategory serviceType specialty actor planningHorizon comment',
  Appointment:
    'identifier status cancelationReason serviceCategory serviceType specialty appointmentType reasonCode reasonReference priority description supportingInformation start end minutesDuration slot created comment patientInstruction basedOn participant requestedPeriod',
}
const R4_PRIMITIVES: Record<string, string> = {
  Patient:
    'active gender birthDate deceasedBoolean deceasedDateTime multipleBirthBoolean multipleBirthInteger',
  Organization: 'active name alias',
  Practitioner: 'active gender birthDate',
  PractitionerRole: 'active availabilityExceptions',
  Location: 'status name alias description mode availabilityExceptions',
  List: 'status mode title date',
  AllergyIntolerance: 'type category criticality onsetDateTime onsetString recordedDate lastOccurrence',
  Condition: 'onsetDateTime onsetString abatementDateTime abatementString recordedDate',
  MedicationStatement: 'status effectiveDateTime dateAsserted',
  MedicationRequest:
    'status intent priority doNotPerform reportedBoolean authoredOn instantiatesCanonical instantiatesUri',
  Medication: 'status',
  Immunization:
    'status occurrenceDateTime occurrenceString recorded primarySource lotNumber expirationDate isSubpotent',
  Observation:
    'status effectiveDateTime effectiveInstant issued valueString valueBoolean valueInteger valueTime valueDateTime',
  DiagnosticReport: 'status effectiveDateTime issued conclusion',
  Encounter: 'status',
  ServiceRequest:
    'instantiatesUri status intent priority doNotPerform occurrenceDateTime asNeededBoolean authoredOn patientInstruction',
  Specimen: 'status receivedTime',
  DocumentReference: 'status docStatus date description',
  OperationOutcome: '',
  HealthcareService: 'active name comment extraDetails appointmentRequired availabilityExceptions',
  Slot: 'status start end overbooked comment',
  Schedule: 'active comment',
  Appointment: 'status priority description start end minutesDuration created comment patientInstruction',
}
/** Elements R4 repeats (0..*): a provider that sends one as a single value gets it wrapped. */
const R4_ARRAYS: Record<string, string> = {
  Patient: 'identifier name telecom address photo contact communication generalPractitioner link',
  Organization: 'identifier type alias telecom address contact endpoint',
  Practitioner: 'identifier name telecom address photo qualification communication',
  PractitionerRole:
    'identifier code specialty location healthcareService telecom availableTime notAvailable endpoint',
  Location: 'identifier alias type telecom hoursOfOperation endpoint',
  List: 'identifier note entry',
  AllergyIntolerance: 'identifier category note reaction',
  Condition: 'identifier category bodySite stage evidence note',
  MedicationStatement:
    'identifier basedOn partOf statusReason derivedFrom reasonCode reasonReference note dosage',
  MedicationRequest:
    'identifier category supportingInformation reasonCode reasonReference instantiatesCanonical instantiatesUri basedOn insurance note dosageInstruction detectedIssue eventHistory',
  Medication: 'identifier ingredient',
  Immunization:
    'identifier performer note reasonCode reasonReference subpotentReason education programEligibility reaction protocolApplied',
  Observation:
    'identifier basedOn partOf category focus performer interpretation note referenceRange hasMember derivedFrom component',
  DiagnosticReport:
    'identifier basedOn category performer resultsInterpreter specimen result imagingStudy media conclusionCode presentedForm',
  Encounter:
    'identifier statusHistory classHistory type episodeOfCare basedOn participant appointment reasonCode reasonReference diagnosis account location',
  ServiceRequest:
    'identifier instantiatesCanonical instantiatesUri basedOn replaces category orderDetail performer locationCode locationReference reasonCode reasonReference insurance supportingInfo specimen bodySite note relevantHistory',
  Specimen: 'identifier parent request processing container condition note',
  DocumentReference: 'identifier category author relatesTo securityLabel content',
  OperationOutcome: 'issue',
  HealthcareService:
    'identifier category type specialty location telecom coverageArea serviceProvisionCode eligibility program characteristic communication referralMethod availableTime notAvailable endpoint',
  Slot: 'identifier serviceCategory serviceType specialty',
  Schedule: 'identifier serviceCategory serviceType specialty actor',
  Appointment:
    'identifier serviceCategory serviceType specialty reasonCode reasonReference supportingInformation slot basedOn participant requestedPeriod',
}
const COMMON_ELEMENTS = [
  'resourceType',
  'id',
  'meta',
  'implicitRules',
  'language',
  'text',
  'contained',
  'extension',
  'modifierExtension',
]
const COMMON_PRIMITIVES = ['implicitRules', 'language']

const elementsOf = new Map(
  Object.entries(R4_ELEMENTS).map(([type, list]) => [
    type,
    new Set([...COMMON_ELEMENTS, ...list.split(' ')]),
  ]),
)
const primitivesOf = new Map(
  Object.entries(R4_PRIMITIVES).map(([type, list]) => [
    type,
    new Set([...COMMON_PRIMITIVES, ...list.split(' ').filter(Boolean)]),
  ]),
)

const arraysOf = new Map(
  Object.entries(R4_ARRAYS).map(([type, list]) => [
    type,
    new Set([...list.split(' '), 'contained', 'extension', 'modifierExtension']),
  ]),
)

/** The R4 resource types this mapping produces, with the elements R4 defines for each (for tests). */
export const MAPPED_R4_ELEMENTS: Readonly<Record<string, readonly string[]>> = Object.fromEntries(
  [...elementsOf].map(([type, elements]) => [type, [...elements]]),
)

/** STU3 resource types GP Connect returns that R4 names differently. */
const RENAMED: Record<string, string> = {
  ReferralRequest: 'ServiceRequest',
  ProcedureRequest: 'ServiceRequest',
}

/**
 * Only the elements R4 defines for the type (and `_element` only for its primitives), with
 * repeating elements sent as a single value wrapped in an array.
 */
function r4Only(resource: Json, type: string): FhirResource {
  const elements = elementsOf.get(type)!
  const primitives = primitivesOf.get(type)!
  const arrays = arraysOf.get(type)!
  const kept: Json = {}
  for (const [key, value] of Object.entries(resource)) {
    if (value === undefined || value === null) continue
    if (key.startsWith('_')) {
      if (primitives.has(key.slice(1)) && resource[key.slice(1)] !== undefined) kept[key] = value
    } else if (elements.has(key)) {
      kept[key] = arrays.has(key) && !Array.isArray(value) ? [value] : value
    }
  }
  kept.resourceType = type
  return kept as FhirResource
}

const R4_ID = /^[A-Za-z0-9\-.]{1,64}$/

/**
 * An id R4 accepts (letters, digits, `-` and `.`, at most 64): a `Type/` prefix is dropped,
 * other characters become `-`, and a longer id keeps its start and a hash of the whole.
 * Deterministic, so references to the id are rewritten to the same value.
 */
export function r4Id(id: string, type?: string): string {
  const bare = type && id.startsWith(`${type}/`) ? id.slice(type.length + 1) : id
  if (R4_ID.test(bare)) return bare
  const cleaned = bare.replace(/[^A-Za-z0-9\-.]/g, '-')
  if (cleaned.length >= 1 && cleaned.length <= 64) return cleaned
  return `${cleaned.slice(0, 47)}-${createHash('sha256').update(bare).digest('hex').slice(0, 16)}`
}

/** HL7 moved the v2 and v3 code systems between STU3 and R4. */
function r4System(system: string): string {
  const v3 = /^http:\/\/hl7\.org\/fhir\/v3\/(.+)$/.exec(system)
  if (v3) return `http://terminology.hl7.org/CodeSystem/v3-${v3[1]}`
  const v2 = /^http:\/\/hl7\.org\/fhir\/v2\/(\d{4})$/.exec(system)
  if (v2) return `http://terminology.hl7.org/CodeSystem/v2-${v2[1]}`
  return system
}

const LOCAL_DATE_TIME = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2})(:\d{2}(\.\d+)?)?$/
const NUMERIC = /^-?\d+(\.\d+)?$/
/** Elements of type Quantity (or its profiles) in the resources mapped here. */
const QUANTITY_ELEMENTS = new Set([
  'quantity',
  'expectedSupplyDuration',
  'doseQuantity',
  'valueQuantity',
  'rateQuantity',
  'low',
  'high',
  'numerator',
  'denominator',
  'maxDosePerAdministration',
  'maxDosePerLifetime',
  'length',
  'specimenQuantity',
  'capacity',
  'duration',
  'onsetAge',
  'abatementAge',
  'valueAge',
  'valueDuration',
])

/** A date-time without an offset read as UK local time (GP Connect's times are), with its offset added. */
function withUkOffset(value: string): string {
  const match = LOCAL_DATE_TIME.exec(value)
  if (!match) return value
  const local = `${match[1]}T${match[2]}${match[3] ?? ':00'}`
  const offset = ukOffsetMinutes(new Date(`${local}Z`)) ? '+01:00' : '+00:00'
  return `${local}${offset}`
}

/**
 * Repairs the slips providers (GP Connect's own examples among them) make in datatypes:
 * whitespace around codes and systems, STU3 code system URIs, a single Coding where R4
 * wants a list, a Quantity value sent as text, a date-time without its offset, an
 * extension's code sent as a Coding, references to ids R4 would refuse.
 */
function repaired(value: unknown, key = ''): unknown {
  if (typeof value === 'string') {
    if (key === 'system') return r4System(value.trim())
    if (key === 'code' || key === 'unit' || key === 'url') return value.trim().replace(/\s+/g, ' ')
    if (key === 'reference') {
      const reference = value.trim()
      const local = /^([A-Z][A-Za-z]+)\/([^/]+)$/.exec(reference)
      return local ? `${RENAMED[local[1]!] ?? local[1]}/${r4Id(local[2]!, local[1])}` : reference
    }
    return withUkOffset(value)
  }
  // Copy on write: most of an answer needs no repair, and copying it all is most of the cost.
  if (Array.isArray(value)) {
    let copy: unknown[] | undefined
    for (let index = 0; index < value.length; index++) {
      const next = repaired(value[index], key)
      if (next !== value[index]) {
        copy ??= value.slice()
        copy[index] = next
      }
    }
    return copy ?? value
  }
  if (!isObject(value)) return value
  // `out` is the copy once anything changed (no closures: this runs for every object of an answer).
  let out: Json | undefined
  for (const name of Object.keys(value)) {
    const inner = value[name]
    // Nothing in FHIR is null, and `__proto__` is never an element: both go.
    if (inner === null || inner === undefined || name === '__proto__') {
      out ??= { ...value }
      delete out[name]
      continue
    }
    const next = repaired(inner, name)
    if (next !== inner) {
      out ??= { ...value }
      out[name] = next
    }
  }
  if (isObject((out ?? value).coding)) {
    out ??= { ...value }
    out.coding = [out.coding]
  }
  if (QUANTITY_ELEMENTS.has(key)) {
    const quantity = out ?? value
    if (typeof quantity.value === 'string') {
      out ??= { ...value }
      if (NUMERIC.test(quantity.value.trim())) out.value = Number(quantity.value.trim())
      else delete out.value
    }
    if (quantity.code !== undefined && typeof quantity.code !== 'string') {
      out ??= { ...value }
      delete out.code
    }
    if (quantity.unit !== undefined && typeof quantity.unit !== 'string') {
      out ??= { ...value }
      delete out.unit
    }
  }
  const extension = out ?? value
  if (
    typeof extension.url === 'string' &&
    extension.valueCode !== undefined &&
    typeof extension.valueCode !== 'string'
  ) {
    const coding = asArray(extension.valueCode).find(isObject)
    out ??= { ...value }
    if (coding && typeof coding.code === 'string') out.valueCode = coding.code
    else delete out.valueCode
  }
  return out ?? value
}

/** R4 requires these; a provider that leaves one out gets the data-absent-reason "unknown". */
const UNKNOWN_CONCEPT = {
  coding: [
    {
      system: 'http://terminology.hl7.org/CodeSystem/data-absent-reason',
      code: 'unknown',
      display: 'Unknown',
    },
  ],
}
const REQUIRED_CONCEPTS: Record<string, string[]> = {
  Observation: ['code'],
  DiagnosticReport: ['code'],
  Immunization: ['vaccineCode'],
}
const SUBJECT_ELEMENT: Record<string, string> = {
  AllergyIntolerance: 'patient',
  Immunization: 'patient',
  Condition: 'subject',
  MedicationStatement: 'subject',
  MedicationRequest: 'subject',
  ServiceRequest: 'subject',
}

/** Meta without the STU3 profiles (R4 output conforms to none of them). */
function metaOf(meta: unknown): Json | undefined {
  if (!isObject(meta)) return undefined
  const { profile: _profile, ...rest } = meta
  return Object.keys(rest).length ? rest : undefined
}

function codeableConcept(system: string, code: unknown): Json | undefined {
  if (typeof code !== 'string' || code === '') return undefined
  return { coding: [{ system, code }] }
}

function annotations(note: unknown): Json[] | undefined {
  const list = asArray(note).filter(isObject)
  return list.length ? list : undefined
}

/** STU3 Dosage (dose[x] and rate[x] on the dosage) to R4 (inside doseAndRate). */
function dosageOf(dosage: unknown): Json | undefined {
  if (!isObject(dosage)) return undefined
  const doseAndRate: Json = {}
  const rest: Json = {}
  for (const [key, value] of Object.entries(dosage)) {
    if (/^(dose|rate)(Range|Quantity|Ratio|SimpleQuantity)$/.test(key)) {
      doseAndRate[key.replace('SimpleQuantity', 'Quantity')] = value
    } else if (
      [
        'id',
        'extension',
        'modifierExtension',
        'sequence',
        'text',
        'additionalInstruction',
        'patientInstruction',
        'timing',
        'asNeededBoolean',
        'asNeededCodeableConcept',
        'site',
        'route',
        'method',
        'maxDosePerPeriod',
        'maxDosePerAdministration',
        'maxDosePerLifetime',
      ].includes(key)
    ) {
      rest[key] = value
    }
  }
  if (Object.keys(doseAndRate).length) rest.doseAndRate = [doseAndRate]
  return rest
}

const dosages = (value: unknown) => {
  const list = asArray(value).map(dosageOf).filter(isObject)
  return list.length ? list : undefined
}

/** A STU3 `{ agent, onBehalfOf }` requester as the R4 Reference (the agent). */
const requesterOf = (requester: unknown) =>
  isObject(requester) && isObject(requester.agent) ? requester.agent : undefined

/** Per type: what changes from STU3 to R4 beyond dropping what R4 does not define. */
const MAPPERS: Record<string, (resource: Json) => Json> = {
  Patient: (r) => r,
  Organization: (r) => r,
  Practitioner: (r) => r,
  PractitionerRole: (r) => r,
  Location: (r) => ({ ...r, type: r.type === undefined ? undefined : asArray(r.type) }),
  // An entry without an item (R4 requires one) says nothing and is left out.
  List: (r) => ({
    ...r,
    note: annotations(r.note),
    entry:
      r.entry === undefined
        ? undefined
        : asArray(r.entry).filter((entry) => isObject(entry) && isObject(entry.item)),
  }),
  OperationOutcome: (r) => ({
    ...r,
    issue: asArray(r.issue)
      .filter(isObject)
      .map((issue) => {
        const details = isObject(issue.details) ? issue.details : undefined
        return {
          ...issue,
          ...(details
            ? {
                details: {
                  ...details,
                  coding: asArray(details.coding)
                    .filter(isObject)
                    .map((coding) =>
                      typeof coding.system === 'string' && coding.system.includes('/STU3/')
                        ? { ...coding, system: 'https://fhir.nhs.uk/R4/CodeSystem/Spine-ErrorOrWarningCode' }
                        : coding,
                    ),
                },
              }
            : {}),
        }
      }),
  }),
  AllergyIntolerance: (r) => ({
    ...r,
    clinicalStatus: codeableConcept(
      'http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical',
      r.clinicalStatus,
    ),
    verificationStatus: codeableConcept(
      'http://terminology.hl7.org/CodeSystem/allergyintolerance-verification',
      r.verificationStatus,
    ),
    recordedDate: r.assertedDate,
    _recordedDate: r._assertedDate,
    encounter: r.encounter,
  }),
  Condition: (r) => {
    const abatementBoolean = r.abatementBoolean === true
    const clinical =
      typeof r.clinicalStatus === 'string' ? r.clinicalStatus : abatementBoolean ? 'resolved' : undefined
    const verification = r.verificationStatus === 'unknown' ? 'unconfirmed' : r.verificationStatus
    return {
      ...r,
      clinicalStatus: codeableConcept('http://terminology.hl7.org/CodeSystem/condition-clinical', clinical),
      verificationStatus: codeableConcept(
        'http://terminology.hl7.org/CodeSystem/condition-ver-status',
        verification,
      ),
      encounter: r.context,
      recordedDate: r.assertedDate,
      _recordedDate: r._assertedDate,
      stage: r.stage === undefined ? undefined : asArray(r.stage).filter(isObject),
      // GP Connect sometimes sends the category as its bare code.
      category:
        r.category === undefined
          ? undefined
          : asArray(r.category).map((category) =>
              typeof category === 'string'
                ? codeableConcept('http://terminology.hl7.org/CodeSystem/condition-category', category)
                : category,
            ),
    }
  },
  MedicationStatement: (r) => ({
    ...r,
    // STU3 `taken: n` (not taken) is R4's status `not-taken`.
    status: r.taken === 'n' ? 'not-taken' : r.status,
    statusReason: r.reasonNotTaken,
    dosage: dosages(r.dosage),
  }),
  MedicationRequest: (r) => ({
    ...r,
    category: r.category === undefined ? undefined : asArray(r.category),
    encounter: r.context,
    requester: requesterOf(r.requester),
    dosageInstruction: dosages(r.dosageInstruction),
    substitution:
      isObject(r.substitution) && typeof r.substitution.allowed === 'boolean'
        ? { ...withoutKeys(r.substitution, ['allowed']), allowedBoolean: r.substitution.allowed }
        : undefined,
  }),
  Medication: (r) => {
    const batch = asArray(isObject(r.package) ? r.package.batch : undefined).find(isObject)
    return {
      ...r,
      ingredient: asArray(r.ingredient)
        .filter(isObject)
        .map((ingredient) => ({ ...withoutKeys(ingredient, ['amount']), strength: ingredient.amount })),
      batch,
    }
  },
  Immunization: (r) => {
    const explanation = isObject(r.explanation) ? r.explanation : {}
    const protocols = asArray(r.vaccinationProtocol)
      .filter(isObject)
      .map((protocol) => ({
        series: protocol.series,
        authority: protocol.authority,
        targetDisease: protocol.targetDisease,
        ...(typeof protocol.doseSequence === 'number'
          ? { doseNumberPositiveInt: protocol.doseSequence }
          : {
              doseNumberString: typeof protocol.description === 'string' ? protocol.description : 'unknown',
            }),
        ...(typeof protocol.seriesDoses === 'number' ? { seriesDosesPositiveInt: protocol.seriesDoses } : {}),
      }))
    return {
      ...r,
      status: r.notGiven === true ? 'not-done' : r.status,
      occurrenceDateTime: r.date,
      _occurrenceDateTime: r._date,
      ...(r.date === undefined ? { occurrenceString: 'unknown' } : {}),
      performer: asArray(r.practitioner)
        .filter(isObject)
        .map((practitioner) => ({ function: practitioner.role, actor: practitioner.actor })),
      reasonCode: explanation.reason,
      statusReason: asArray(explanation.reasonNotGiven)[0],
      protocolApplied: protocols.length ? protocols : undefined,
    }
  },
  Observation: (r) => {
    const related = asArray(r.related).filter(isObject)
    const ofType = (type: string) => {
      const targets = related
        .filter((link) => link.type === type && isObject(link.target))
        .map((link) => link.target)
      return targets.length ? targets : undefined
    }
    return {
      ...r,
      encounter: r.context,
      interpretation: r.interpretation === undefined ? undefined : asArray(r.interpretation),
      note: typeof r.comment === 'string' ? [...(annotations(r.note) ?? []), { text: r.comment }] : r.note,
      hasMember: ofType('has-member'),
      derivedFrom: ofType('derived-from') ?? ofType('sequel-to'),
      component: asArray(r.component)
        .filter(isObject)
        .map((component) => ({
          ...component,
          interpretation:
            component.interpretation === undefined ? undefined : asArray(component.interpretation),
        })),
      // R4 has no attachment value: say so rather than drop the value silently.
      ...(isObject(r.valueAttachment)
        ? { valueString: `Attachment: ${String(r.valueAttachment.title ?? 'untitled')}` }
        : {}),
    }
  },
  DiagnosticReport: (r) => ({
    ...r,
    category: r.category === undefined ? undefined : asArray(r.category),
    encounter: r.context,
    performer: asArray(r.performer)
      .filter(isObject)
      .map((performer) => performer.actor)
      .filter(isObject),
    media: asArray(r.image)
      .filter(isObject)
      .map((image) => ({ comment: image.comment, link: image.link })),
    conclusionCode: r.codedDiagnosis,
  }),
  Encounter: (r) => ({
    ...r,
    // R4 requires a class; GP Connect leaves it out.
    class: isObject(r.class)
      ? r.class
      : { system: 'http://terminology.hl7.org/CodeSystem/v3-NullFlavor', code: 'UNK', display: 'unknown' },
    basedOn: r.incomingReferral,
    appointment: r.appointment === undefined ? undefined : asArray(r.appointment),
    reasonCode: r.reason,
  }),
  ReferralRequest: (r) => {
    const requested = asArray(r.serviceRequested).filter(isObject)
    return {
      ...serviceRequestBase(r),
      code: requested[0],
      orderDetail: requested.length > 1 ? requested.slice(1) : undefined,
      category: isObject(r.type) ? [r.type] : undefined,
      performerType: asArray(r.specialty)[0],
      performer: r.recipient,
      supportingInfo: r.supportingInfo,
      note:
        typeof r.description === 'string'
          ? [...(annotations(r.note) ?? []), { text: r.description }]
          : r.note,
    }
  },
  ProcedureRequest: (r) => ({
    ...serviceRequestBase(r),
    performer: r.performer === undefined ? undefined : asArray(r.performer),
  }),
  Specimen: (r) => r,
  DocumentReference: (r) => {
    const context = isObject(r.context) ? r.context : undefined
    return {
      ...r,
      category: isObject(r.class) ? [r.class] : undefined,
      date: r.indexed,
      context: context
        ? {
            ...withoutKeys(context, ['related', 'encounter']),
            ...(context.encounter ? { encounter: asArray(context.encounter) } : {}),
            ...(context.related
              ? {
                  related: asArray(context.related)
                    .filter(isObject)
                    .map((related) => related.ref)
                    .filter(isObject),
                }
              : {}),
          }
        : undefined,
    }
  },
  // Appointment Management (GP Connect 1.6): Slot and Schedule differ only in serviceCategory
  // (0..1 in STU3, 0..* in R4, wrapped by r4Only).
  Slot: (r) => r,
  Schedule: (r) => r,
  Appointment: (r) => {
    // STU3 has no cancellation reason: GP Connect carries it as an extension, R4 as cancelationReason.
    const extensions = asArray(r.extension).filter(isObject)
    const reason = extensions.find((extension) => extension.url === CANCELLATION_REASON_URL)
    const others = extensions.filter((extension) => extension !== reason)
    return {
      ...r,
      extension: others.length ? others : undefined,
      cancelationReason: typeof reason?.valueString === 'string' ? { text: reason.valueString } : undefined,
      reasonCode: r.reason,
      reasonReference: r.indication,
      basedOn: r.incomingReferral,
    }
  },
  HealthcareService: (r) => ({
    ...r,
    category: r.category === undefined ? undefined : asArray(r.category),
    eligibility: isObject(r.eligibility)
      ? [
          {
            code: r.eligibility,
            ...(typeof r.eligibilityNote === 'string' ? { comment: r.eligibilityNote } : {}),
          },
        ]
      : undefined,
    program: asArray(r.programName)
      .filter((name) => typeof name === 'string')
      .map((name) => ({ text: name })),
  }),
}

/** ReferralRequest and ProcedureRequest share R4's ServiceRequest: status names and the requester. */
function serviceRequestBase(r: Json): Json {
  const status: Record<string, string> = { suspended: 'on-hold', cancelled: 'revoked' }
  return {
    ...r,
    status: typeof r.status === 'string' ? (status[r.status] ?? r.status) : r.status,
    encounter: r.context,
    requester: requesterOf(r.requester),
  }
}

function withoutKeys(object: Json, keys: string[]): Json {
  return Object.fromEntries(Object.entries(object).filter(([key]) => !keys.includes(key)))
}

/** True for a STU3 resource type this mapping knows. */
export function isMappedType(resourceType: unknown): boolean {
  return typeof resourceType === 'string' && Object.hasOwn(MAPPERS, resourceType)
}

/** What the mapping knows about the record a resource came from. */
export interface MappingContext {
  /** A reference to the record's patient: every resource of a structured record is about them. */
  patient?: Json
}

/**
 * The R4 form of one STU3 resource, or undefined for a type this mapping does not know
 * (the caller decides what to say about it). Contained resources are mapped too; ones of
 * unknown types are left out.
 */
export function r4ResourceOf(stu3: unknown, context: MappingContext = {}): FhirResource | undefined {
  if (!isObject(stu3) || !isMappedType(stu3.resourceType)) return undefined
  const type = stu3.resourceType as string
  const target = RENAMED[type] ?? type
  const source = repaired(stu3) as Json
  const mapped = MAPPERS[type]!(source)
  const contained = asArray(stu3.contained)
    .map((resource) => r4ResourceOf(resource, context))
    .filter((resource): resource is FhirResource => resource !== undefined)
  const resource = r4Only(
    {
      ...mapped,
      ...(typeof source.id === 'string' ? { id: r4Id(source.id, type) } : {}),
      meta: metaOf(source.meta),
      contained: contained.length ? contained : undefined,
    },
    target,
  )
  for (const element of REQUIRED_CONCEPTS[target] ?? []) {
    if (!isObject(resource[element])) resource[element] = structuredClone(UNKNOWN_CONCEPT)
  }
  const subject = SUBJECT_ELEMENT[target]
  if (subject && !isObject(resource[subject]) && context.patient)
    resource[subject] = structuredClone(context.patient)
  if (target === 'ServiceRequest') {
    resource.status = typeof resource.status === 'string' ? resource.status : 'unknown'
    resource.intent = typeof resource.intent === 'string' ? resource.intent : 'order'
  }
  return resource
}

/**
 * The resources of a STU3 Bundle's entries. Tolerant of one slip GP Connect's own published
 * examples make: an entry that is itself the resource, without the `resource` wrapper.
 */
export function entriesOf(bundle: unknown): unknown[] {
  if (!isObject(bundle) || !Array.isArray(bundle.entry)) return []
  return bundle.entry.map((entry) =>
    isObject(entry)
      ? isObject(entry.resource)
        ? entry.resource
        : 'resourceType' in entry
          ? entry
          : entry
      : entry,
  )
}

/** A whole STU3 Bundle mapped to an R4 collection Bundle, with the types it could not map. */
export function r4BundleOf(stu3: unknown): { bundle: FhirResource; unmapped: string[] } {
  const unmapped: string[] = []
  const entry: { resource: FhirResource }[] = []
  const resources = entriesOf(stu3)
  const patient = resources.find((resource) => isObject(resource) && resource.resourceType === 'Patient') as
    | Json
    | undefined
  const nhsNumber = asArray(patient?.identifier).find(
    (identifier) => isObject(identifier) && identifier.system === 'https://fhir.nhs.uk/Id/nhs-number',
  )
  const context: MappingContext =
    typeof patient?.id === 'string'
      ? { patient: { reference: `Patient/${r4Id(patient.id, 'Patient')}` } }
      : isObject(nhsNumber)
        ? { patient: { identifier: { system: nhsNumber.system, value: String(nhsNumber.value) } } }
        : patient
          ? { patient: { display: 'The patient of this record' } }
          : {}
  for (const resource of resources) {
    const mapped = r4ResourceOf(resource, context)
    if (mapped) entry.push({ resource: mapped })
    else unmapped.push(isObject(resource) ? String(resource.resourceType) : typeof resource)
  }
  return { bundle: { resourceType: 'Bundle', type: 'collection', entry }, unmapped }
}
