import { fromEnv } from '@aws-sdk/credential-provider-env'
import { fromHttp } from '@aws-sdk/credential-provider-http'

/*
 * What Lambda bundles get instead of the SDK's default credential chain
 * (`@aws-sdk/credential-provider-node`, aliased here by infra/bundling.ts).
 *
 * Lambda gives a function its role's credentials in its environment (AWS_ACCESS_KEY_ID,
 * AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN), which is the default chain's first link; where
 * it serves them from a local endpoint instead (SnapStart does, through
 * AWS_CONTAINER_CREDENTIALS_FULL_URI and its token), the chain's container link reads them.
 * Its other links (SSO, profiles and ini files, credential processes, web identity, instance
 * metadata) never answer in Lambda, yet they and the STS and SSO clients they carry were
 * about 127 KB of every bundle, parsed at every cold start. The local stack and the scripts
 * run from source and keep the whole chain.
 */

const CONTAINER_ENDPOINTS = ['AWS_CONTAINER_CREDENTIALS_FULL_URI', 'AWS_CONTAINER_CREDENTIALS_RELATIVE_URI']

type ChainInit = Parameters<typeof fromEnv>[0] & Parameters<typeof fromHttp>[0]

/**
 * The default chain's signature and order for what Lambda offers: the environment's keys,
 * else the container endpoint when one is set (the SDK memoizes and refreshes the answer).
 */
export const defaultProvider = (init: ChainInit = {}) => {
  const environment = fromEnv(init)
  // Made when first needed: fromHttp refuses to be made without an endpoint.
  let container: ReturnType<typeof fromHttp> | undefined
  return () => {
    const fromContainer =
      process.env.AWS_ACCESS_KEY_ID === undefined && CONTAINER_ENDPOINTS.some((name) => process.env[name])
    if (!fromContainer) return environment()
    container ??= fromHttp(init)
    return container()
  }
}
