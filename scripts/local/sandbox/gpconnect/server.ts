import { createServer } from 'node:http'
import type { IcsConfig } from '../../../../schemas/ics-config'
import { SANDBOX_INTERACTIONS } from './interactions'
import { GpConnectSandbox } from './provider'

/**
 * The sandbox GP Connect providers on a port of their own, without the rest of the stack:
 * for a local stack started with `sandboxBaseUrl` (the records bench, where providers must
 * not share the stack's process, as real ones do not).
 */
export async function startGpConnectSandboxServer(
  config: IcsConfig,
  options: { port?: number; host?: string } = {},
): Promise<{ baseUrl: string; sandbox: GpConnectSandbox; close(): Promise<void> }> {
  let sandbox: GpConnectSandbox | undefined
  const server = createServer(async (request, response) => {
    const chunks: Buffer[] = []
    for await (const chunk of request) chunks.push(chunk as Buffer)
    const url = new URL(`http://localhost${request.url ?? '/'}`)
    const answer = await sandbox!.handle(request, url, Buffer.concat(chunks)).catch(() => undefined)
    const status = answer?.status ?? 404
    const body = answer ? (typeof answer.body === 'string' ? answer.body : JSON.stringify(answer.body)) : '{}'
    if (response.destroyed) return
    response.writeHead(status, answer?.headers ?? { 'Content-Type': 'application/json' })
    response.end(body)
  })
  server.keepAliveTimeout = 5_000
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, options.host ?? '127.0.0.1', resolve))
  const address = server.address()
  if (!address || typeof address === 'string') throw new Error('sandbox server did not bind')
  const baseUrl = `http://${options.host ?? '127.0.0.1'}:${address.port}`
  sandbox = new GpConnectSandbox(
    config.directory.holders.flatMap((holder) => (holder.protocol === 'gpconnect-1.6-stu3' ? [holder] : [])),
    new Map(config.members.map((member) => [member.ods, member.name])),
    baseUrl,
    SANDBOX_INTERACTIONS,
  )
  return {
    baseUrl,
    sandbox,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}
