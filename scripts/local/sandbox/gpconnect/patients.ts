import { APPOINTMENT_INTERACTIONS } from '../../../../functions/shared/gpconnect/GpConnectAppointments'
import { isValidNhsNumber, NHS_NUMBER_SYSTEM } from '../../../../schemas/fhir/identifiers'
import type { InteractionRequest, SandboxInteraction, SandboxProvider } from './provider'
import { organization, patient } from './stu3'

/**
 * GP Connect 1.6 Foundations "Find a patient" at a sandbox practice: GET
 * /Patient?identifier=https://fhir.nhs.uk/Id/nhs-number|<nhs> answers a searchset with the
 * practice's Patient (its own logical id, not the NHS number), as its structured record
 * names them. Like the sandbox structured record, it knows every valid NHS number; it
 * remembers whom it found, so Read a patient and bookings can name them by that id.
 */

/** The practice's Patient for an NHS number (the same resource its structured record carries). */
export function sandboxPatient(provider: SandboxProvider, nhsNumber: string) {
  return patient(nhsNumber, organization(provider.ods, provider.name))
}

/** The NHS numbers of the patients a consumer has found, by the practice's logical id. */
function foundPatients(provider: SandboxProvider): Map<string, string> {
  let found = provider.state.get('patients') as Map<string, string> | undefined
  if (!found) {
    found = new Map()
    provider.state.set('patients', found)
  }
  return found
}

/** The NHS number of the practice's patient `id` (one Find a patient has answered), if any. */
export const sandboxNhsNumberOf = (provider: SandboxProvider, id: string) => foundPatients(provider).get(id)

const findPatient: SandboxInteraction = {
  method: 'GET',
  path: /^\/Patient$/,
  interactionId: APPOINTMENT_INTERACTIONS.findPatient,
  async handle({ provider, query }: InteractionRequest) {
    const identifiers = query.getAll('identifier')
    if (identifiers.length !== 1)
      return provider.outcome(
        400,
        'BAD_REQUEST',
        'Bad request',
        `identifier is required, once: ${NHS_NUMBER_SYSTEM}|<NHS number>`,
      )
    const [system, value = ''] = identifiers[0]!.split('|')
    if (system !== NHS_NUMBER_SYSTEM)
      return provider.outcome(
        422,
        'INVALID_IDENTIFIER_SYSTEM',
        'Invalid identifier system',
        `The identifier system must be ${NHS_NUMBER_SYSTEM}`,
      )
    if (!isValidNhsNumber(value))
      return provider.outcome(400, 'INVALID_NHS_NUMBER', 'Invalid NHS number', 'The NHS number is not valid')
    const found = sandboxPatient(provider, value)
    foundPatients(provider).set(String(found.id), value)
    return {
      status: 200,
      body: {
        resourceType: 'Bundle',
        type: 'searchset',
        entry: [{ fullUrl: `${provider.serviceRoot}/Patient/${found.id}`, resource: found }],
      },
    }
  },
}

/** GP Connect Foundations "Read a patient": GET /Patient/[id] of a patient Find a patient answered. */
const readPatient: SandboxInteraction = {
  method: 'GET',
  path: /^\/Patient\/[^/$]+$/,
  interactionId: APPOINTMENT_INTERACTIONS.readPatient,
  async handle({ provider, path }: InteractionRequest) {
    const nhsNumber = sandboxNhsNumberOf(provider, decodeURIComponent(path.split('/')[2]!))
    if (!nhsNumber)
      return provider.outcome(404, 'PATIENT_NOT_FOUND', 'Patient not found', 'No patient with this id')
    const found = sandboxPatient(provider, nhsNumber)
    return { status: 200, body: found, headers: { ETag: 'W/"1"' } }
  },
}

/** Foundations' patient interactions, for SANDBOX_INTERACTIONS. */
export const patientInteractions: readonly SandboxInteraction[] = [findPatient, readPatient]
