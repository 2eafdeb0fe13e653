import { type AuditRecord, type ChainVerdict, verifyChain } from './chain'

/** Anything that can list a patient's audit records, oldest first. */
export interface AuditChainSource {
  all(nhsNumber: string): AsyncIterable<AuditRecord>
}

/** Reads a patient's whole chain and verifies it (the library behind `npm run audit:verify`). */
export async function verifyTrail(source: AuditChainSource, nhsNumber: string): Promise<ChainVerdict> {
  const records: AuditRecord[] = []
  for await (const record of source.all(nhsNumber)) records.push(record)
  return verifyChain(records)
}
