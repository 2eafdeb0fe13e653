import { DEMO_PATIENTS, seededRandom } from '../../../seed/demoPatients'
import {
  allergy,
  clinician,
  consultation,
  guid,
  immunisation,
  investigation,
  medication,
  organization,
  patient,
  problem,
  type Stu3,
} from './stu3'

/**
 * The synthetic records the sandbox GP Connect providers hold. Every name and fact is
 * made up. Per provider and patient: items, each one statement with what it needs, and
 * the facts a GP Connect query filters on (area, dates, status).
 */

export type SandboxArea =
  | 'allergies'
  | 'medication'
  | 'problems'
  | 'immunisations'
  | 'consultations'
  | 'investigations'

export interface SandboxItem {
  area: SandboxArea
  /** The statement first (it goes in the area's List), then what it needs (plans, issues, results). */
  resources: Stu3[]
  /** yyyy-mm-dd: when it started (or was issued); `end` when it ended. */
  start: string
  end?: string
  /** Allergies that ended and problems no longer active. */
  inactive?: boolean
}

/** One patient's record at one provider: who is who, and the items. */
export interface SandboxRecord {
  patient: Stu3
  /** Organizations, Practitioners and PractitionerRoles the items reference. */
  people: Stu3[]
  items: SandboxItem[]
}

interface Provider {
  ods: string
  name: string
  organisation: Stu3
  practitioner: Stu3
  role: Stu3
}

function provider(ods: string, name: string, family: string, given: string): Provider {
  const organisation = organization(ods, name)
  const [practitioner, role] = clinician(ods, family, given, organisation)
  return { ods, name, organisation, practitioner, role }
}

const NORTH = provider('Y90001', 'Demo Surgery North', 'Northgate', 'Amira')
const SOUTH = provider('Y90002', 'Demo Surgery South', 'Southwell', 'Tomasz')
const HOSPITAL = provider('RX9', 'Demo General Hospital', 'Hale', 'Priya')
const KNOWN = new Map([NORTH, SOUTH, HOSPITAL].map((known) => [known.ods, known]))

const PENICILLIN: [string, string] = ['91936005', 'Allergy to penicillin']
const LATEX: [string, string] = ['300916003', 'Latex allergy']
const PEANUT: [string, string] = ['91935009', 'Allergy to peanuts']
const METFORMIN: [string, string] = ['325278007', 'Metformin 500mg tablets']
const AMLODIPINE: [string, string] = ['319283006', 'Amlodipine 5mg tablets']
const SALBUTAMOL: [string, string] = ['320176004', 'Salbutamol 100micrograms/dose inhaler CFC free']
const BECLOMETASONE: [string, string] = ['320133003', 'Beclometasone 100micrograms/dose inhaler CFC free']
const COCODAMOL: [string, string] = ['322280009', 'Co-codamol 30mg/500mg tablets']
const PARACETAMOL: [string, string] = ['322236009', 'Paracetamol 500mg tablets']
const DIABETES: [string, string] = ['44054006', 'Type 2 diabetes mellitus']
const HYPERTENSION: [string, string] = ['59621000', 'Essential hypertension']
const ASTHMA: [string, string] = ['195967001', 'Asthma']
const ECZEMA: [string, string] = ['43116000', 'Eczema']
const WRIST_FRACTURE: [string, string] = ['263199001', 'Fracture of distal end of radius']
const CHEST_PAIN: [string, string] = ['29857009', 'Chest pain']
const OSTEOARTHRITIS: [string, string] = ['239873007', 'Osteoarthritis of knee']
const MMR: [string, string] = ['61153008', 'Measles, mumps and rubella vaccine']
const FLU: [string, string] = ['46233009', 'Influenza vaccine']
const HBA1C: [string, string] = ['999791000000106', 'Haemoglobin A1c level - IFCC standardised']
const REVIEW: [string, string] = ['185349003', 'Encounter for check up']
const EMERGENCY: [string, string] = ['50849002', 'Emergency room admission']
const OUTPATIENT: [string, string] = ['185345009', 'Encounter for symptom']

/** Builds one patient's items at one provider; `at` makes ids unique per provider and patient. */
function recordOf(
  at: Provider,
  nhsNumber: string,
  build: (context: ItemContext) => SandboxItem[],
): SandboxRecord {
  const subject = patient(nhsNumber, at.organisation)
  const id = (name: string) => guid(at.ods, nhsNumber, name)
  const items = build({ at, subject, id })
  const people = [at.organisation, at.practitioner, at.role]
  return { patient: subject, people, items }
}

interface ItemContext {
  at: Provider
  subject: Stu3
  id: (name: string) => string
}

const allergyItem = (
  c: ItemContext,
  name: string,
  concept: [string, string],
  asserted: string,
  by = c.at.role,
  ended?: string,
): SandboxItem => ({
  area: 'allergies',
  resources: [
    allergy(c.id(name), concept, {
      asserted,
      by,
      patient: c.subject,
      ...(ended ? { ended: { date: ended, reason: 'No reaction on re-exposure' } } : {}),
    }),
  ],
  start: asserted.slice(0, 10),
  ...(ended ? { end: ended, inactive: true } : {}),
})

const problemItem = (
  c: ItemContext,
  name: string,
  concept: [string, string],
  facts: { onset: string; asserted: string; abated?: string; significance: 'major' | 'minor' },
  by: Provider = c.at,
): SandboxItem => ({
  area: 'problems',
  resources: [
    problem(c.id(name), concept, {
      ...facts,
      by: by.role,
      patient: c.subject,
      practitioner: by.practitioner,
    }),
  ],
  start: facts.onset.slice(0, 10),
  ...(facts.abated ? { end: facts.abated, inactive: true } : {}),
})

const medicationItem = (
  c: ItemContext,
  name: string,
  concept: [string, string],
  facts: { start: string; end?: string; kind: 'acute' | 'repeat'; dosage: string; issues: string[] },
): SandboxItem => ({
  area: 'medication',
  resources: medication(c.id(name), concept, {
    ...facts,
    quantity: [56, 'tablet'],
    by: c.at.role,
    patient: c.subject,
  }),
  start: facts.start,
  ...(facts.end ? { end: facts.end } : {}),
})

const immunisationItem = (
  c: ItemContext,
  name: string,
  concept: [string, string],
  date: string,
  dose: number,
): SandboxItem => ({
  area: 'immunisations',
  resources: [
    immunisation(c.id(name), concept, { date, dose, patient: c.subject, practitioner: c.at.practitioner }),
  ],
  start: date,
})

const consultationItem = (
  c: ItemContext,
  name: string,
  type: [string, string],
  start: string,
  end: string,
): SandboxItem => ({
  area: 'consultations',
  resources: [
    consultation(c.id(name), type, {
      start,
      end,
      patient: c.subject,
      practitioner: c.at.practitioner,
      organisation: c.at.organisation,
    }),
  ],
  start: start.slice(0, 10),
})

const investigationItem = (c: ItemContext, name: string, issued: string, value: number): SandboxItem => ({
  area: 'investigations',
  resources: investigation(c.id(name), HBA1C, {
    issued,
    value,
    unit: 'mmol/mol',
    patient: c.subject,
    organisation: c.at.organisation,
  }),
  start: issued.slice(0, 10),
})

/** The named demo patients' records, by provider ODS code then NHS number. */
const NAMED: Record<string, Record<string, (c: ItemContext) => SandboxItem[]>> = {
  Y90001: {
    [DEMO_PATIENTS.registered]: (c) => [
      allergyItem(c, 'penicillin', PENICILLIN, '2016-04-12'),
      allergyItem(c, 'peanut', PEANUT, '2012-02-01', c.at.role, '2019-05-20'),
      medicationItem(c, 'salbutamol', SALBUTAMOL, {
        start: '2019-01-10',
        kind: 'repeat',
        dosage: 'Two puffs when required',
        issues: ['2025-01-06', '2025-03-03'],
      }),
      medicationItem(c, 'beclometasone', BECLOMETASONE, {
        start: '2021-03-01',
        kind: 'repeat',
        dosage: 'Two puffs twice a day',
        issues: ['2025-02-10'],
      }),
      problemItem(c, 'asthma', ASTHMA, {
        onset: '2018-11-02',
        asserted: '2018-11-02',
        significance: 'major',
      }),
      problemItem(c, 'eczema', ECZEMA, {
        onset: '2011-06-01',
        asserted: '2011-06-14',
        abated: '2014-09-30',
        significance: 'minor',
      }),
      immunisationItem(c, 'mmr-1', MMR, '2011-11-20', 1),
      immunisationItem(c, 'mmr-2', MMR, '2014-12-01', 2),
      consultationItem(c, 'asthma-review', REVIEW, '2025-02-14T10:20:00+00:00', '2025-02-14T10:35:00+00:00'),
    ],
    // Registered here until June 2021, when the patient moved to Demo Surgery South.
    [DEMO_PATIENTS.federated]: (c) => [
      allergyItem(c, 'penicillin', PENICILLIN, '2015-03-02'),
      medicationItem(c, 'metformin', METFORMIN, {
        start: '2016-05-01',
        end: '2021-06-30',
        kind: 'repeat',
        dosage: 'One tablet twice a day with meals',
        issues: ['2021-05-04'],
      }),
      problemItem(c, 'diabetes', DIABETES, {
        onset: '2016-04-20',
        asserted: '2016-04-20',
        significance: 'major',
      }),
    ],
  },
  Y90002: {
    [DEMO_PATIENTS.federated]: (c) => [
      // Transferred GP to GP: recorded by Demo Surgery North, the same statement North still holds.
      allergyItem(c, 'penicillin', PENICILLIN, '2015-03-02', NORTH.role),
      allergyItem(c, 'latex', LATEX, '2023-08-14'),
      medicationItem(c, 'metformin', METFORMIN, {
        start: '2021-07-01',
        kind: 'repeat',
        dosage: 'One tablet twice a day with meals',
        issues: ['2025-01-10', '2025-03-07'],
      }),
      medicationItem(c, 'amlodipine', AMLODIPINE, {
        start: '2022-09-14',
        kind: 'repeat',
        dosage: 'One tablet once a day',
        issues: ['2025-02-28'],
      }),
      // Re-coded at registration: the same code as North's, asserted here on another date.
      problemItem(c, 'diabetes', DIABETES, {
        onset: '2016-04-20',
        asserted: '2021-07-01',
        significance: 'major',
      }),
      problemItem(c, 'hypertension', HYPERTENSION, {
        onset: '2022-09-14',
        asserted: '2022-09-14',
        significance: 'major',
      }),
      immunisationItem(c, 'flu-2024', FLU, '2024-10-05', 1),
      consultationItem(
        c,
        'diabetes-review',
        REVIEW,
        '2025-01-22T09:00:00+00:00',
        '2025-01-22T09:15:00+00:00',
      ),
      investigationItem(c, 'hba1c', '2025-01-20T08:30:00+00:00', 52),
    ],
    [DEMO_PATIENTS.supersededBy]: (c) => [
      medicationItem(c, 'paracetamol', PARACETAMOL, {
        start: '2020-02-03',
        kind: 'repeat',
        dosage: 'Two tablets up to four times a day',
        issues: ['2025-02-17'],
      }),
      problemItem(c, 'osteoarthritis', OSTEOARTHRITIS, {
        onset: '2019-11-12',
        asserted: '2019-11-12',
        significance: 'major',
      }),
    ],
  },
  RX9: {
    [DEMO_PATIENTS.registered]: (c) => [
      allergyItem(c, 'latex', LATEX, '2024-06-03'),
      medicationItem(c, 'co-codamol', COCODAMOL, {
        start: '2024-06-03',
        end: '2024-06-10',
        kind: 'acute',
        dosage: 'One or two tablets every six hours when required',
        issues: ['2024-06-03'],
      }),
      problemItem(c, 'wrist-fracture', WRIST_FRACTURE, {
        onset: '2024-06-03',
        asserted: '2024-06-03',
        abated: '2024-08-15',
        significance: 'major',
      }),
      consultationItem(c, 'emergency', EMERGENCY, '2024-06-03T14:05:00+01:00', '2024-06-03T19:40:00+01:00'),
    ],
    [DEMO_PATIENTS.federated]: (c) => [
      problemItem(c, 'chest-pain', CHEST_PAIN, {
        onset: '2023-03-08',
        asserted: '2023-03-10',
        abated: '2023-03-10',
        significance: 'minor',
      }),
      consultationItem(c, 'cardiology', OUTPATIENT, '2023-03-10T11:00:00+00:00', '2023-03-10T11:40:00+00:00'),
      investigationItem(c, 'hba1c', '2023-03-10T11:30:00+00:00', 58),
    ],
  },
}

/** A small made-up record for any other patient, the same on every run. */
function generated(c: ItemContext, nhsNumber: string): SandboxItem[] {
  const random = seededRandom(Number(nhsNumber.slice(-6)) + c.at.ods.length)
  const pick = <T>(items: readonly T[]) => items[Math.floor(random() * items.length)]!
  const year = 2015 + Math.floor(random() * 9)
  const items: SandboxItem[] = [
    problemItem(c, 'problem', pick([ASTHMA, HYPERTENSION, DIABETES, OSTEOARTHRITIS]), {
      onset: `${year}-03-15`,
      asserted: `${year}-03-15`,
      significance: 'major',
    }),
    medicationItem(c, 'medication', pick([AMLODIPINE, METFORMIN, PARACETAMOL, SALBUTAMOL]), {
      start: `${year}-03-15`,
      kind: 'repeat',
      dosage: 'As directed',
      issues: ['2025-01-15'],
    }),
  ]
  if (random() < 0.5)
    items.push(allergyItem(c, 'allergy', pick([PENICILLIN, LATEX, PEANUT]), `${year - 2}-07-01`))
  return items
}

/**
 * One patient's record at a sandbox provider: the named demo patients' own, a generated one
 * for anyone else (the patient index decides who is asked; the bench registers generated
 * patients at several holders).
 */
export function sandboxRecordOf(ods: string, name: string, nhsNumber: string): SandboxRecord {
  const at = KNOWN.get(ods) ?? provider(ods, name, 'Sandbox', 'Sam')
  const named = NAMED[ods]?.[nhsNumber]
  if (named) {
    const record = recordOf(at, nhsNumber, named)
    // Statements recorded elsewhere bring their organisation and clinician (GP Connect includes them).
    for (const item of record.items) {
      for (const resource of item.resources) {
        const recorder = (resource.recorder as { reference?: string } | undefined)?.reference
        const other = [...KNOWN.values()].find(
          (known) => known !== at && recorder === `PractitionerRole/${known.role.id}`,
        )
        if (other && !record.people.includes(other.role))
          record.people.push(other.organisation, other.practitioner, other.role)
      }
    }
    return record
  }
  return recordOf(at, nhsNumber, (c) => generated(c, nhsNumber))
}
