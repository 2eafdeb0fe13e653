import { beforeEach, describe, expect, it } from 'vitest'
import { type AuditReader, auditEventsOf } from '../../functions/audit/auditEvents'
import { type AuditRecord, chainAfter } from '../../functions/shared/audit/chain'
import { FhirError } from '../../functions/shared/errors'
import { applyHolderChange, type HolderEntry } from '../../functions/shared/patient-index/HolderEntry'
import type { AuditCaller, AuditEntry } from '../../functions/shared/ports'
import type { Caller, PatientCaller } from '../../schemas/auth'
import { recordTypeOf, SNOMED } from '../../schemas/fhir/recordTypes'
import { DEMO_PATIENTS } from '../../scripts/seed/demoPatients'
import { memoryDirectory } from '../support/memory-directory'
import { MemoryPatientIndex } from '../support/memory-index'

// Security review, finding 4: audit.read alone let any member organisation read any
// patient's trail, with other organisations' staff, scopes and care relationships.
// The rule (DESIGN.md "Who may see what"), one row per reader and trail.

const REGISTERED = DEMO_PATIENTS.registered // GP Y90001, nominated pharmacy FX001, records at Y90001 and RX9
const RESTRICTED = DEMO_PATIENTS.restricted // GP Y90002, nominated pharmacy FX002, records at Y90002
const SUMMARY = recordTypeOf(SNOMED, '824321000000109')!
const DISCHARGE = recordTypeOf(SNOMED, '373942005')!

/** A patient's trail in memory, as DynamoDbAuditTrail pages it. */
class MemoryAuditTrail implements AuditReader {
  readonly chains = new Map<string, AuditRecord[]>()

  add(patient: string, caller: AuditCaller, status = 200): void {
    const chain = this.chains.get(patient) ?? []
    const entry: AuditEntry = {
      patient,
      action: 'R',
      entities: [`Patient/${patient}`],
      recordedAt: '2026-11-21T12:00:00.000Z',
      requestId: `req-${chain.length + 1}`,
      correlationId: `corr-${chain.length + 1}`,
      operation: 'readPatient',
      caller,
      status,
    }
    chain.push(chainAfter(chain.at(-1), entry))
    this.chains.set(patient, chain)
  }

  async page(nhsNumber: string, options: { limit: number; beforeSeq?: number }) {
    return this.newestFirst(nhsNumber, options.beforeSeq).slice(0, options.limit)
  }

  async pageByOrganisation(
    nhsNumber: string,
    organisation: string,
    options: { limit: number; beforeSeq?: number },
  ) {
    const records = this.newestFirst(nhsNumber, options.beforeSeq).filter(
      (record) => record.caller.organisation === organisation,
    )
    const shown = records.slice(0, options.limit)
    return records.length > options.limit
      ? { records: shown, nextBeforeSeq: shown.at(-1)!.seq }
      : { records: shown }
  }

  private newestFirst(nhsNumber: string, beforeSeq?: number): AuditRecord[] {
    return [...(this.chains.get(nhsNumber) ?? [])]
      .reverse()
      .filter((record) => beforeSeq === undefined || record.seq < beforeSeq)
  }
}

const staff = (organisation: string): AuditCaller => ({
  sub: `staff@${organisation}`,
  organisation,
  purposeOfUse: 'directcare',
  scopes: ['patient.read'],
})
const patientCallerRecord = (nhs: string): AuditCaller => ({
  kind: 'patient',
  sub: nhs,
  organisation: '',
  purposeOfUse: 'patientrequest',
  scopes: ['audit.read'],
})
const UNAUTHENTICATED: AuditCaller = {
  kind: 'unauthenticated',
  sub: '',
  organisation: '',
  purposeOfUse: '',
  scopes: [],
  sourceIp: '203.0.113.9',
}

function organisation(ods: string): Caller {
  return {
    kind: 'organisation',
    sub: `ig-lead@${ods}`,
    organisation: ods,
    ics: 'demo',
    scopes: new Set(['audit.read']),
    purposeOfUse: 'directcare',
  }
}
function patient(nhs: string): PatientCaller {
  return {
    kind: 'patient',
    sub: nhs,
    nhsNumber: nhs,
    ics: 'demo',
    scopes: new Set(['audit.read']),
    purposeOfUse: 'patientrequest',
  }
}

let trail: MemoryAuditTrail
let index: MemoryPatientIndex

function holds(nhsNumber: string, holderOds: string, recordType = SUMMARY): void {
  const entry = applyHolderChange(undefined, {
    kind: 'registered',
    nhsNumber,
    holderOds,
    recordType,
    occurredAt: '2026-05-01T09:00:00.000Z',
    eventId: `reg-${nhsNumber}-${holderOds}`,
  }) as HolderEntry
  index.store(entry, 0)
}

beforeEach(() => {
  trail = new MemoryAuditTrail()
  index = new MemoryPatientIndex()
  holds(REGISTERED, 'Y90001')
  holds(REGISTERED, 'RX9', DISCHARGE)
  holds(RESTRICTED, 'Y90002')
  for (const nhs of [REGISTERED, RESTRICTED]) {
    // Six accesses: the GP, the hospital, an urgent care centre, the other pharmacy, the patient, and a refused stranger.
    trail.add(nhs, staff('Y90001'))
    trail.add(nhs, staff('RX9'))
    trail.add(nhs, staff('NX001'))
    trail.add(nhs, staff('FX002'))
    trail.add(nhs, patientCallerRecord(nhs))
    trail.add(nhs, UNAUTHENTICATED, 401)
  }
})

interface Seen {
  /** Who each shown event names: `staff@ODS` in full, `ODS` reduced to the organisation, `patient`, `unauthenticated`. */
  agents: string[]
}

async function read(caller: Caller | PatientCaller, nhsNumber: string): Promise<Seen> {
  const { bundle } = await auditEventsOf(
    { patient: [nhsNumber] },
    'https://api.test',
    caller,
    { requestId: 'req', correlationId: 'corr' },
    {
      reader: trail,
      ics: 'demo',
      clock: () => new Date('2026-11-21T12:00:00Z'),
      directory: memoryDirectory(),
      index,
    },
  )
  const events = bundle.entry as {
    resource: { agent: { who: { identifier?: { value: string }; display?: string } }[] }
  }[]
  return {
    // Oldest first, so the rows read in the order the trail was written.
    agents: events
      .map(({ resource }) => {
        const who = resource.agent[0]!.who
        if (who.display === 'unauthenticated caller') return 'unauthenticated'
        if (who.display === 'the patient' || who.identifier?.value === nhsNumber) return 'patient'
        return who.identifier!.value
      })
      .reverse(),
  }
}

const EVERYONE_REDUCED = ['Y90001', 'RX9', 'NX001', 'FX002', 'patient', 'unauthenticated']

describe('who may read which audit trail (finding 4)', () => {
  it.each<[string, Caller | PatientCaller, string, string[]]>([
    // An unrestricted patient: the organisations caring for them read it all, others reduced.
    [
      'the registered GP',
      organisation('Y90001'),
      REGISTERED,
      ['staff@Y90001', 'RX9', 'NX001', 'FX002', 'patient', 'unauthenticated'],
    ],
    [
      'a holder in the index',
      organisation('RX9'),
      REGISTERED,
      ['Y90001', 'staff@RX9', 'NX001', 'FX002', 'patient', 'unauthenticated'],
    ],
    ['the nominated pharmacy', organisation('FX001'), REGISTERED, EVERYONE_REDUCED],
    // No care relationship: only what its own staff did (its IG view).
    ['an organisation that only looked', organisation('NX001'), REGISTERED, ['staff@NX001']],
    ['another pharmacy (the review’s repro)', organisation('FX002'), REGISTERED, ['staff@FX002']],
    ['an organisation that never touched the patient', organisation('Y90002'), REGISTERED, []],
    // The patient: everything, people reduced to their organisation.
    ['the patient', patient(REGISTERED), REGISTERED, EVERYONE_REDUCED],
    // A restricted patient: no organisation learns of another, carers included.
    ['the restricted patient’s GP', organisation('Y90002'), RESTRICTED, []],
    ['the restricted patient’s pharmacy', organisation('FX002'), RESTRICTED, ['staff@FX002']],
    ['a hospital that read the restricted record', organisation('RX9'), RESTRICTED, ['staff@RX9']],
    ['the restricted patient', patient(RESTRICTED), RESTRICTED, EVERYONE_REDUCED],
  ])('%s sees %s’s trail as the rule says', async (_reader, caller, nhsNumber, expected) => {
    expect((await read(caller, nhsNumber)).agents).toEqual(expected)
  })

  it('refuses a patient reading another patient’s trail with 403', async () => {
    const error = await read(patient(REGISTERED), RESTRICTED).catch((caught: unknown) => caught)

    expect(error).toBeInstanceOf(FhirError)
    expect((error as FhirError).status).toBe(403)
  })

  it('never names another patient whose attempt on the trail was refused, to anyone (found by the fuzz suite)', async () => {
    // Prepare: the restricted patient tried to read the registered patient's trail
    trail.add(REGISTERED, patientCallerRecord(RESTRICTED), 403)

    // Act
    const readers: (Caller | PatientCaller)[] = [
      organisation('Y90001'),
      organisation('RX9'),
      patient(REGISTERED),
    ]
    const seen = await Promise.all(
      readers.map((caller) =>
        auditEventsOf(
          { patient: [REGISTERED] },
          'https://api.test',
          caller,
          { requestId: 'req', correlationId: 'corr' },
          { reader: trail, ics: 'demo', clock: () => new Date(), directory: memoryDirectory(), index },
        ),
      ),
    )

    // Assess
    for (const { bundle } of seen) {
      expect(JSON.stringify(bundle)).not.toContain(RESTRICTED)
      expect(JSON.stringify(bundle)).toContain('another patient')
    }
  })

  it('never shows another organisation’s staff identifiers or scopes', async () => {
    // Prepare
    const { bundle } = await auditEventsOf(
      { patient: [REGISTERED] },
      'https://api.test',
      organisation('Y90001'),
      { requestId: 'req', correlationId: 'corr' },
      { reader: trail, ics: 'demo', clock: () => new Date(), directory: memoryDirectory(), index },
    )

    // Act
    const text = JSON.stringify(bundle)

    // Assess: its own staff in full, no one else's
    expect(text).toContain('staff@Y90001')
    for (const other of ['staff@RX9', 'staff@NX001', 'staff@FX002', '203.0.113.9'])
      expect(text).not.toContain(other)
  })
})
