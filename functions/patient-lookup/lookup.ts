import type { Bundle } from '../../schemas/fhir/Bundle'
import { isValidNhsNumber } from '../../schemas/fhir/identifiers'
import { operationOutcome } from '../../schemas/fhir/OperationOutcome'
import { DEATH_NOTIFICATION_URL, type Patient } from '../../schemas/fhir/Patient'
import { FhirError } from '../shared/errors'
import { withholdRestrictedDetails } from '../shared/patients/confidentiality'
import { nhsNumberOf } from '../shared/patients/PatientCache'
import type { CallContext, PatientDirectory } from '../shared/patients/PatientDirectory'
import type { AuditFacts } from '../shared/ports'
import { type Clock, ukDateTime } from '../shared/time'
import { parseSearchCriteria } from './searchCriteria'

export interface LookupDependencies {
  directory: PatientDirectory
  clock: Clock
}

export interface PatientRead {
  patient: Patient
  audit: AuditFacts[]
}

/**
 * PDS read: validates the NHS number (modulus 11), follows a superseded number to its
 * replacement (the answer's id then differs from the one asked for, as in PDS) and
 * withholds a restricted patient's contact details.
 */
export async function readPatient(
  nhsNumber: string,
  context: CallContext,
  deps: LookupDependencies,
): Promise<PatientRead> {
  if (!isValidNhsNumber(nhsNumber))
    throw new FhirError('INVALID_RESOURCE_ID', `Invalid NHS number '${safeText(nhsNumber)}'`)
  const result = await deps.directory.read(nhsNumber, context)
  if (result.kind === 'not-found') throw new FhirError('RESOURCE_NOT_FOUND')
  if (result.kind === 'invalidated') throw new FhirError('INVALIDATED_RESOURCE')
  const returned = nhsNumberOf(result.patient)
  const entities =
    returned === nhsNumber ? [`Patient/${returned}`] : [`Patient/${nhsNumber}`, `Patient/${returned}`]
  return {
    patient: withholdRestrictedDetails(result.patient),
    audit: [{ patient: returned, action: 'R', entities }],
  }
}

export interface PatientSearch {
  /** A searchset Bundle, or PDS's bare OperationOutcome when too many patients match. */
  body: Bundle | ReturnType<typeof operationOutcome>
  audit: AuditFacts[]
}

/** PDS search: a searchset Bundle with a score per entry, best first, or TOO_MANY_MATCHES. */
export async function searchPatients(
  query: Record<string, string[]>,
  baseUrl: string,
  context: CallContext,
  deps: LookupDependencies,
): Promise<PatientSearch> {
  const criteria = parseSearchCriteria(query)
  const result = await deps.directory.search(criteria, context)
  if (result.kind === 'too-many') return { body: operationOutcome('TOO_MANY_MATCHES'), audit: [] }
  const bundle: Bundle = {
    resourceType: 'Bundle',
    type: 'searchset',
    timestamp: ukDateTime(deps.clock()),
    total: result.matches.length,
  }
  if (result.matches.length) {
    bundle.entry = result.matches.map(({ patient, score }) => ({
      fullUrl: `${baseUrl}/Patient/${patient.id}`,
      search: { mode: 'match', score },
      resource: withholdRestrictedDetails(searchView(patient)),
    }))
  }
  return {
    body: bundle,
    audit: result.matches.map(({ patient }) => ({
      patient: nhsNumberOf(patient),
      action: 'E',
      entities: [`Patient/${patient.id}`],
    })),
  }
}

/**
 * PDS returns less in a search than in a read: no birthplace, pharmacies, communication
 * or contact preferences (extensions), no managing organisation, only usual, nickname and
 * temporary names and home addresses (PDS FHIR R4 search response examples).
 */
export function searchView(patient: Patient): Patient {
  const { extension, name, address, managingOrganization: _managing, ...rest } = patient
  const view: Patient = { ...rest }
  const names = name?.filter((n) => !n.use || ['usual', 'nickname', 'temp'].includes(n.use))
  if (names?.length) view.name = names
  const homes = address?.filter((a) => !a.use || a.use === 'home')
  if (homes?.length) view.address = homes
  const kept = extension?.filter((item) => item.url === DEATH_NOTIFICATION_URL)
  if (kept?.length) view.extension = kept
  return view
}

/** Echoes caller input in diagnostics without letting it carry markup or control characters. */
function safeText(text: string): string {
  return text.replace(/[^\w.-]/g, '?').slice(0, 40)
}
