import { afterEach, describe, expect, it } from 'vitest'
import { gatewayMethods } from '../../infra/http-surface'
import { routes } from '../../infra/routes'
import { LocalGateway, type ProxyHandler } from '../../scripts/local/gateway'

describe('LocalGateway', () => {
  let gateway: LocalGateway | undefined
  afterEach(async () => {
    await gateway?.close()
    gateway = undefined
  })

  it('answers 502 while a function fails to initialise, and serves it once its init succeeds', async () => {
    // Prepare: a function whose first init throws (a cold start that fails), then loads
    let inits = 0
    const answer: ProxyHandler = async () => ({
      statusCode: 200,
      body: '{"resourceType":"CapabilityStatement"}',
    })
    const metadata = gatewayMethods(routes).filter(
      (route) => route.path === '/metadata' && route.method === 'GET',
    )
    gateway = new LocalGateway(
      metadata.map((route) => ({
        route,
        functionName: route.function,
        timeoutSeconds: 5,
        handler: async () => {
          inits++
          if (inits === 1) throw new Error('init failed')
          return answer
        },
      })),
      async () => undefined,
    )
    const port = await gateway.listen(0, '127.0.0.1')

    // Act
    const first = await fetch(`http://127.0.0.1:${port}/metadata`)
    const second = await fetch(`http://127.0.0.1:${port}/metadata`)

    // Assess
    expect(first.status).toBe(502)
    expect(await first.json()).toMatchObject({ resourceType: 'OperationOutcome' })
    expect(second.status).toBe(200)
    expect(inits).toBe(2)
  })
})
