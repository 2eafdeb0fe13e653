import { createServer } from 'node:http'

/** A receiver for pushed events: records every delivery and answers with a scripted status. */
export async function startWebhook(statusFor: (attempt: number) => number = () => 200) {
  const received: { body: unknown; headers: Record<string, string | string[] | undefined> }[] = []
  let attempts = 0
  const server = createServer((request, response) => {
    const chunks: Buffer[] = []
    request.on('data', (chunk: Buffer) => chunks.push(chunk))
    request.on('end', () => {
      attempts++
      const status = statusFor(attempts)
      if (status >= 200 && status < 300) {
        received.push({ body: JSON.parse(Buffer.concat(chunks).toString('utf8')), headers: request.headers })
      }
      response.writeHead(status)
      response.end()
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const address = server.address()
  if (!address || typeof address === 'string') throw new Error('no port')
  return {
    url: `http://127.0.0.1:${address.port}/events`,
    received,
    attempts: () => attempts,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}
