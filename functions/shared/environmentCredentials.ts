import { fromEnv } from '@aws-sdk/credential-provider-env'

/*
 * What Lambda bundles get instead of the SDK's default credential chain
 * (`@aws-sdk/credential-provider-node`, aliased here by infra/bundling.ts).
 *
 * Lambda gives every function its role's credentials in its environment
 * (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN), and the default chain's
 * first link reads exactly those. Its other links (SSO, profiles and ini files, web
 * identity, container and instance metadata) never answer in Lambda, yet they and the STS
 * and SSO clients they carry were about 127 KB of every bundle, parsed at every cold start.
 * The local stack and the scripts run from source and keep the whole chain.
 */

/** The default chain's signature, answering from the environment only. */
export const defaultProvider = (init?: Parameters<typeof fromEnv>[0]) => fromEnv(init)
