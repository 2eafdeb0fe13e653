import { type AuditRecord, type ChainVerdict, verifyChain } from './chain'

/** Anything that can list a chain's audit records, oldest first: a patient's, or an organisation's. */
export interface AuditChainSource {
  all(subject: string, chain?: 'patient' | 'organisation'): AsyncIterable<AuditRecord>
}

/**
 * Reads a patient's whole chain (or, with `chain: 'organisation'`, an organisation's chain of
 * bulk changes, by ODS code) and verifies it (the library behind `npm run audit:verify`).
 */
export async function verifyTrail(
  source: AuditChainSource,
  subject: string,
  chain: 'patient' | 'organisation' = 'patient',
): Promise<ChainVerdict> {
  const records: AuditRecord[] = []
  for await (const record of source.all(subject, chain)) records.push(record)
  return verifyChain(records)
}
