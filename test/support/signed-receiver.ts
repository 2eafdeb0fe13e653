import { createServer } from 'node:http'
import { isValidSignature } from '../../scripts/pharmacy-inbox/inbox'

/** One delivery as a receiver saw it. */
export interface ReceivedDelivery {
  body: string
  headers: Record<string, string | string[] | undefined>
  signatureValid: boolean
  /** When the request arrived (epoch ms). */
  receivedAt: number
}

/**
 * A subscriber's endpoint on a loopback port: answers with a scripted status per attempt,
 * checks each delivery's signature with the secret it is given, and counts distinct
 * `X-Message-ID`s accepted (as a receiver that deduplicates would).
 */
export async function startSignedReceiver(
  statusFor: (attempt: number) => number = () => 200,
  options: { delayMs?: number; onAnswer?: () => void } = {},
) {
  const deliveries: ReceivedDelivery[] = []
  let attempts = 0
  let secret = ''
  let down = false
  const server = createServer((request, response) => {
    const chunks: Buffer[] = []
    request.on('data', (chunk: Buffer) => chunks.push(chunk))
    request.on('end', async () => {
      const receivedAt = Date.now()
      if (down) {
        request.socket.destroy()
        return
      }
      const attempt = ++attempts
      if (options.delayMs) await new Promise((resolve) => setTimeout(resolve, options.delayMs))
      const status = statusFor(attempt)
      const body = Buffer.concat(chunks)
      if (status >= 200 && status < 300) {
        deliveries.push({
          body: body.toString('utf8'),
          headers: request.headers,
          signatureValid: isValidSignature(body, request.headers['x-signature'] as string, secret),
          receivedAt,
        })
      }
      response.writeHead(status).end()
      options.onAnswer?.()
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const address = server.address()
  if (!address || typeof address === 'string') throw new Error('no port')
  return {
    url: `http://127.0.0.1:${address.port}/inbox`,
    deliveries,
    attempts: () => attempts,
    useSecret: (value: string) => {
      secret = value
    },
    /** Drops every connection until `up()` (a receiver that is down). */
    down: () => {
      down = true
    },
    up: () => {
      down = false
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}
