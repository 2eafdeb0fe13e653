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

/** The NHS API platform's application-restricted signed-JWT access (the national PDS uses it). */
export const NhsApiPlatformAuth = z.strictObject({
  /** The platform's OAuth 2.0 token endpoint; the client assertion's `aud`. */
  tokenUrl: z._default(z.url(), 'https://api.service.nhs.uk/oauth2/token'),
  /**
   * Secrets Manager secret (name or ARN) whose value is JSON `{ "apiKey", "kid", "privateKey" }`:
   * the application's API key, the `kid` of its public key in the JWKS registered with the
   * platform, and the RSA private key (PKCS#8 PEM). Rotating the key is a new secret value.
   */
  secret: z
    .string()
    .check(z.regex(/^(arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:)?[\w/+=.@-]{1,512}$/)),
})
export type NhsApiPlatformAuth = z.infer<typeof NhsApiPlatformAuth>

/** A public ES256 key of the demo issuer, as a JWK; a private part (`d`) is refused. */
export const DemoIssuerKey = z.strictObject({
  kty: z.literal('EC'),
  crv: z.literal('P-256'),
  x: z.string().check(z.regex(/^[A-Za-z0-9_-]{43}$/)),
  y: z.string().check(z.regex(/^[A-Za-z0-9_-]{43}$/)),
  kid: z.string().check(z.minLength(1), z.maxLength(64)),
  alg: z.literal('ES256'),
  use: z.optional(z.literal('sig')),
})
export type DemoIssuerKey = z.infer<typeof DemoIssuerKey>

/** Which organisations use, and serve, one capability (GP Connect enables capabilities per practice). */
export const CapabilitySettings = z.strictObject({
  /** Off: the capability's functions, routes, rules and alarms are not deployed at all. */
  enabled: z.optional(z.boolean()),
  /** ODS codes that may call it; every member when absent. */
  consumers: z.optional(z.array(OdsCode)),
  /** ODS codes that serve it (its provider operations, e.g. registering pointers); every member when absent. */
  providers: z.optional(z.array(OdsCode)),
})
export type CapabilitySettings = z.infer<typeof CapabilitySettings>

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
      /** The ICS's DynamoDB copy of PDS (seeded locally; loaded with `npm run pds:load` in the cloud). */
      z.strictObject({ source: z.literal('ics-cache') }),
      /** The national PDS FHIR R4 API through the NHS API platform. */
      z.strictObject({ source: z.literal('national'), baseUrl: z.url(), auth: NhsApiPlatformAuth }),
      /**
       * The national PDS, read through the ICS's patients table: a read answered from the table
       * while its copy is younger than `cacheTtlSeconds`, else from PDS (and stored); searches
       * always go to PDS. `npm run pds:load` warms the table from a PDS trace result.
       */
      z.strictObject({
        source: z.literal('national-with-cache'),
        baseUrl: z.url(),
        auth: NhsApiPlatformAuth,
        cacheTtlSeconds: z._default(z.int().check(z.gte(60), z.lte(604_800)), 86_400),
      }),
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
        /**
         * API Gateway's account-level CloudWatch role, which a stage that logs needs before it can
         * deploy: `create` makes this stack set it (one stack per account and region may), and
         * `existing` states that the account has it already (`aws apigateway get-account` shows a
         * cloudwatchRoleArn). Deploying needs one of the two (infra/ics-configs.ts).
         */
        apiGatewayAccountRole: z.optional(z.enum(['create', 'existing'])),
        /** Alarm thresholds beyond "any at all" (defaults in infra/constructs/Observability.ts). */
        alarms: z.optional(
          z.strictObject({
            /** Oldest message a consumer queue may hold before it alarms (default 300 s). */
            queueAgeSeconds: z.optional(positiveInt()),
            /** Share of API answers that may be 5xx over 5 minutes before it alarms (default 1 %). */
            serverErrorRatePercent: z.optional(z.number().check(z.positive(), z.lte(100))),
          }),
        ),
        /**
         * Monthly backups move to cold storage after 90 days (cheaper for the 5-year retention).
         * DynamoDB backups can only do so when AWS Backup's advanced features for DynamoDB are
         * enabled on the account; off by default, so a fresh account's backup jobs do not fail.
         */
        backupColdStorage: z.optional(z.boolean()),
      }),
      { logRetentionDays: 365, apiThrottle: { rateLimit: 200, burstLimit: 400 } },
    ),
    /**
     * Per-capability switches (infra/capabilities.ts): off for the whole ICS, or limited to the
     * organisations that use it (`consumers`) and serve it (`providers`). A capability not
     * listed is on for every member.
     */
    capabilities: z.optional(z.record(z.string(), CapabilitySettings)),
    /**
     * A demo or test ICS with synthetic data only: the functions trust tokens signed by these
     * keys (with `auth.issuer` and `auth.audience`) instead of fetching `auth.jwksUrl`, so the
     * deployed demo works without an identity provider. `npm run demo-issuer` makes a key and
     * `npm run token -- --deployed` signs with it. Refused with a national PDS (real patients).
     */
    demoIssuer: z.optional(z.strictObject({ keys: z.array(DemoIssuerKey) })),
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
  Partial<Pick<IcsConfig, 'cors' | 'capabilities' | 'demoIssuer'>>

/** The run-time part of a config; the CDK app compiles it into every function. */
export function runtimeConfigOf(config: IcsConfig): IcsRuntimeConfig {
  const { ics, name, members, auth, rateLimit, pds, cors } = config
  return {
    ics,
    name,
    members,
    auth,
    rateLimit,
    pds,
    cors,
    ...(config.capabilities ? { capabilities: config.capabilities } : {}),
    ...(config.demoIssuer ? { demoIssuer: config.demoIssuer } : {}),
  }
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
  capabilities: IcsConfig.def.shape.capabilities,
  demoIssuer: IcsConfig.def.shape.demoIssuer,
})
