import { createHmac, timingSafeEqual } from 'node:crypto'
import { createServer, type Server } from 'node:http'

/** Largest delivery the inbox reads. */
const MAX_BODY_BYTES = 6 * 1024 * 1024
/** Message ids already handled (a retry after a lost 2xx is acknowledged, not shown twice). */
const REMEMBERED = 10_000

/**
 * Whether `X-Signature` is `sha256=<hex HMAC-SHA256 of the exact body with the secret>`.
 * Compared in constant time; anything malformed is simply not valid.
 */
export function isValidSignature(body: Buffer, header: string | undefined, secret: string): boolean {
  if (!header?.startsWith('sha256=')) return false
  const expected = createHmac('sha256', secret).update(body).digest()
  const sent = Buffer.from(header.slice('sha256='.length), 'hex')
  return sent.length === expected.length && timingSafeEqual(sent, expected)
}

interface Resource {
  resourceType?: string
  [key: string]: unknown
}

const codingText = (concept: unknown): string | undefined => {
  const value = concept as { text?: string; coding?: { display?: string; code?: string }[] } | undefined
  return value?.text ?? value?.coding?.[0]?.display ?? value?.coding?.[0]?.code
}

/** A delivery as a pharmacist reads it: event, sender, patient, medicines and allergies. */
export function describeDelivery(bundle: unknown): string {
  const entries = ((bundle as { entry?: { resource?: Resource }[] })?.entry ?? []).flatMap((entry) =>
    entry?.resource ? [entry.resource] : [],
  )
  const ofType = (type: string) => entries.filter((resource) => resource.resourceType === type)
  const header = ofType('MessageHeader')[0] as
    | { eventCoding?: { code?: string }; sender?: { reference?: string; identifier?: { value?: string } } }
    | undefined
  const senderRef = header?.sender?.reference
  const sender =
    header?.sender?.identifier?.value ??
    (ofType('Organization').find((org) => `Organization/${org.id}` === senderRef)?.name as
      | string
      | undefined) ??
    senderRef ??
    'unknown sender'
  const patient = ofType('Patient')[0] as
    | {
        name?: { given?: string[]; family?: string }[]
        identifier?: { value?: string }[]
        birthDate?: string
      }
    | undefined
  const name = patient?.name?.[0]
  const lines = [
    `${header?.eventCoding?.code ?? 'message'} from ${sender}`,
    `  patient:   ${[...(name?.given ?? []), name?.family].filter(Boolean).join(' ') || 'unnamed'} (NHS ${patient?.identifier?.[0]?.value ?? '?'}${patient?.birthDate ? `, born ${patient.birthDate}` : ''})`,
  ]
  for (const statement of ofType('MedicationStatement')) {
    const dosage = (statement.dosage as { text?: string }[] | undefined)?.[0]?.text
    lines.push(
      `  medicine:  ${codingText(statement.medicationCodeableConcept) ?? 'unnamed'}${dosage ? ` — ${dosage}` : ''}`,
    )
  }
  for (const allergy of ofType('AllergyIntolerance'))
    lines.push(`  allergy:   ${codingText(allergy.code) ?? 'uncoded'}`)
  for (const document of [...ofType('DocumentReference'), ...ofType('Binary')])
    lines.push(`  document:  ${document.resourceType}/${document.id}`)
  return lines.join('\n')
}

export interface PharmacyInboxOptions {
  port: number
  host?: string
  /** The subscription's signing secret. */
  secret: () => string | undefined
  /** Business acknowledgement of a message (POST /Message/{id}/$acknowledge). */
  acknowledge?: (messageId: string) => Promise<void>
  log?: (line: string) => void
}

/**
 * A webhook receiver for message deliveries: verifies `X-Signature` (401 when it does not
 * match), prints each message once (deduplicated by `X-Message-ID`), answers 200, then
 * acknowledges it.
 */
export async function startPharmacyInbox(
  options: PharmacyInboxOptions,
): Promise<{ server: Server; url: string }> {
  const log = options.log ?? ((line: string) => console.log(line))
  const seen = new Set<string>()
  const server = createServer((request, response) => {
    const chunks: Buffer[] = []
    let size = 0
    request.on('data', (chunk: Buffer) => {
      size += chunk.length
      if (size <= MAX_BODY_BYTES) chunks.push(chunk)
    })
    request.on('end', () => {
      const body = Buffer.concat(chunks)
      const messageId = String(request.headers['x-message-id'] ?? '')
      const secret = options.secret()
      if (request.method !== 'POST' || size > MAX_BODY_BYTES) {
        response.writeHead(request.method !== 'POST' ? 405 : 413).end()
        return
      }
      if (!secret || !isValidSignature(body, request.headers['x-signature'] as string | undefined, secret)) {
        log(`✗ refused a delivery with a bad signature (message ${messageId || 'unknown'})`)
        response.writeHead(401).end()
        return
      }
      response.writeHead(200).end()
      if (seen.has(messageId)) return
      seen.add(messageId)
      if (seen.size > REMEMBERED) seen.delete(seen.values().next().value!)
      let bundle: unknown
      try {
        bundle = JSON.parse(body.toString('utf8'))
      } catch {
        bundle = undefined
      }
      log(
        `✓ message ${messageId} (attempt ${request.headers['x-delivery-attempt'] ?? '?'}, correlation ${request.headers['x-correlation-id'] ?? '?'})\n${describeDelivery(bundle)}`,
      )
      options.acknowledge?.(messageId).then(
        () => log(`  acknowledged ${messageId}`),
        (error: unknown) => log(`  could not acknowledge ${messageId}: ${String(error)}`),
      )
    })
  })
  await new Promise<void>((resolve) => server.listen(options.port, options.host ?? '127.0.0.1', resolve))
  const address = server.address()
  if (!address || typeof address === 'string') throw new Error('the inbox did not bind')
  return { server, url: `http://${options.host ?? '127.0.0.1'}:${address.port}/inbox` }
}
