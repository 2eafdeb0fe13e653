import * as z from 'zod/mini'
import { OdsCode } from './fhir/identifiers'

/** What an organisation does in the ICS; capabilities route by it (GP write-back, pharmacy discharge). */
export const OrganisationRole = z.enum([
  'gp-practice',
  'acute-trust',
  'community-pharmacy',
  'urgent-care',
  'community-trust',
  'mental-health-trust',
  'social-care',
  'ambulance-trust',
])
export type OrganisationRole = z.infer<typeof OrganisationRole>

export const IcsMember = z.strictObject({
  ods: OdsCode,
  name: z.string().check(z.minLength(1)),
  role: OrganisationRole,
  /** Base URL of the organisation's own FHIR / GP Connect provider endpoint, if it has one. */
  endpoint: z.optional(z.url()),
})
export type IcsMember = z.infer<typeof IcsMember>

/** The issuer of the local dev tokens; a cloud config may never trust it. */
export const LOCAL_DEV_ISSUER = 'urn:joinup:local-dev-issuer'

const positiveInt = () => z.int().check(z.positive())

export const IcsConfig = z
  .strictObject({
    /** Short id; names the stack, the bus and the tables, and must equal the token's `ics` claim. */
    ics: z.string().check(z.regex(/^[a-z][a-z0-9-]{1,30}$/)),
    name: z.string().check(z.minLength(1)),
    /** AWS account the stack deploys to; omit for an environment-agnostic synth. */
    account: z.optional(z.string().check(z.regex(/^\d{12}$/))),
    region: z.string().check(z.regex(/^[a-z]{2}-[a-z]+-\d$/)),
    members: z.array(IcsMember).check(z.minLength(1)),
    auth: z.strictObject({
      issuer: z.string().check(z.minLength(1)),
      /** The `aud` every token must carry: this stack's identity at the ICS's identity provider. */
      audience: z.string().check(z.minLength(1)),
      jwksUrl: z.url(),
      /** The identity provider's OAuth2 token endpoint (client credentials), for SMART configuration and docs. */
      tokenUrl: z.optional(z.url()),
    }),
    rateLimit: z.strictObject({
      /** Requests per organisation per minute, across all its apps, before 429. */
      requestsPerMinute: positiveInt(),
    }),
    /** Browser origins (scheme://host[:port]) allowed to call the API (CORS); none by default. */
    cors: z._default(
      z.strictObject({
        allowedOrigins: z.array(z.string().check(z.regex(/^https?:\/\/[a-z0-9.-]+(:\d{1,5})?$/))),
      }),
      { allowedOrigins: [] },
    ),
    pds: z.discriminatedUnion('source', [
      /** The ICS's DynamoDB copy of PDS (seeded locally; fed by the ICS's PDS sync in the cloud). */
      z.strictObject({ source: z.literal('ics-cache') }),
      /** The national PDS FHIR R4 API through the NHS API platform. */
      z.strictObject({ source: z.literal('national'), baseUrl: z.url() }),
    ]),
    operations: z._default(
      z.strictObject({
        logRetentionDays: z._default(positiveInt(), 365),
        /** Email address subscribed to the alarm topic (DLQ depth, 5xx, errors). */
        alarmEmail: z.optional(z.email()),
        /** A regional WAFv2 web ACL to associate with the API stage. */
        wafWebAclArn: z.optional(
          z.string().check(z.regex(/^arn:aws:wafv2:[a-z0-9-]+:\d{12}:regional\/webacl\/.+$/)),
        ),
        /** API Gateway throttling for the whole stage (requests per second, burst). */
        apiThrottle: z._default(
          z.strictObject({ rateLimit: z.number().check(z.positive()), burstLimit: positiveInt() }),
          {
            rateLimit: 200,
            burstLimit: 400,
          },
        ),
      }),
      { logRetentionDays: 365, apiThrottle: { rateLimit: 200, burstLimit: 400 } },
    ),
  })
  .check(
    z.superRefine((config, ctx) => {
      const seen = new Set<string>()
      for (const member of config.members) {
        if (seen.has(member.ods)) {
          ctx.addIssue({ code: 'custom', message: `member ${member.ods} is listed twice`, path: ['members'] })
        }
        seen.add(member.ods)
      }
    }),
  )
export type IcsConfig = z.infer<typeof IcsConfig>

/** The part of the ICS config the Lambda functions need at run time. */
export type IcsRuntimeConfig = Pick<IcsConfig, 'ics' | 'name' | 'members' | 'auth' | 'rateLimit' | 'pds'> &
  Partial<Pick<IcsConfig, 'cors'>>

/** The run-time part of a config; the CDK app compiles it into every function. */
export function runtimeConfigOf(config: IcsConfig): IcsRuntimeConfig {
  const { ics, name, members, auth, rateLimit, pds, cors } = config
  return { ics, name, members, auth, rateLimit, pds, cors }
}

/** Validates the run-time part of a config (what a function reads at cold start). */
export const IcsRuntimeConfig = z.looseObject({
  ics: IcsConfig.def.shape.ics,
  name: IcsConfig.def.shape.name,
  members: IcsConfig.def.shape.members,
  auth: IcsConfig.def.shape.auth,
  rateLimit: IcsConfig.def.shape.rateLimit,
  pds: IcsConfig.def.shape.pds,
  cors: z.optional(IcsConfig.def.shape.cors),
})
