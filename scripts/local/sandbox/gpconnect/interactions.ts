import { appointmentInteractions } from './appointments'
import { patientInteractions } from './patients'
import type { SandboxInteraction } from './provider'
import { structuredRecordInteraction } from './structuredRecord'

/**
 * The GP Connect interactions the sandbox providers serve. Append one per interaction a
 * capability calls (GP Connect Appointment Management: slot search, book, read, amend,
 * cancel, retrieve a patient's appointments; Foundations: find a patient), each in a file
 * of its own beside this one.
 */
export const SANDBOX_INTERACTIONS: readonly SandboxInteraction[] = [
  structuredRecordInteraction,
  ...appointmentInteractions,
  ...patientInteractions,
]
