import * as z from 'zod/mini'
import { OdsCode } from './fhir/identifiers'
import { RECORD_TYPES } from './fhir/recordTypes'
import { DEFAULT_HOLDER_TIMEOUT_MS } from './holder-timeouts'

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
})
export type IcsMember = z.infer<typeof IcsMember>

/** A record type code of the ICS (schemas/fhir/recordTypes.ts). */
const RecordTypeCode = z.string().check(
  z.refine((code) => RECORD_TYPES.some((type) => type.code === code), {
    message: 'not an ICS record type code',
  }),
)

export { DEFAULT_RECORD_TYPES_BY_ROLE, LOCAL_DEV_ISSUER, recordTypesAllowedFor } from './ics-policy'
/**
 * How the stack talks to a holder (DESIGN.md "Holders are reached through a directory"):
 * - `gpconnect-1.6-stu3`: a GP Connect 1.6 provider (FHIR STU3), called as a GP Connect consumer;
 * - `joinup-store`: the stack's own clinical store, which holds what the organisation wrote to this ICS.
 */
export const HolderProtocol = z.enum(['gpconnect-1.6-stu3', 'joinup-store'])
export type HolderProtocol = z.infer<typeof HolderProtocol>

/**
 * What a holder serves, as SDS lists interactions per endpoint. One value per capability
 * that reaches holders; a capability adds its own value here (appointments: GP Connect
 * Appointment Management) and the holders that serve it list it.
 */
export const HolderInteraction = z.enum([
  'structured-record',
  /** GP Connect 1.6 Appointment Management: free slots searched at, and appointments booked, read, amended and cancelled at, the practice. */
  'appointment-management',
])
export type HolderInteraction = z.infer<typeof HolderInteraction>

/** A Spine Accredited System ID (ASID): twelve digits. */
const Asid = z.string().check(z.regex(/^\d{12}$/, 'not an ASID (12 digits)'))

const holderInteractions = () => z.array(HolderInteraction).check(z.minLength(1))

/** A GP Connect provider: its FHIR service root (SDS `nhsMhsEndPoint`) and its ASID (`Ssp-To`). */
export const GpConnectHolder = z.strictObject({
  ods: OdsCode,
  protocol: z.literal('gpconnect-1.6-stu3'),
  /** The provider's FHIR service root, e.g. `https://provider.example.nhs.uk/Y90001/STU3/1/gpconnect`. */
  endpoint: z.url().check(z.maxLength(512)),
  asid: Asid,
  interactions: holderInteractions(),
})

/** An organisation whose records about patients live in this stack's own clinical store. */
export const StoreHolder = z.strictObject({
  ods: OdsCode,
  protocol: z.literal('joinup-store'),
  interactions: holderInteractions(),
})

/** One holder in the directory: how to reach it and what it serves. */
export const DirectoryEntry = z.discriminatedUnion('protocol', [GpConnectHolder, StoreHolder])
export type DirectoryEntry = z.infer<typeof DirectoryEntry>

export { DEFAULT_HOLDER_TIMEOUT_MS }

/**
 * The holder directory: who holds records and how to reach them, as SDS is nationally.
 * Retrieval only ever calls endpoints listed here, never a URL from a pointer.
 */
export const HolderDirectory = z.strictObject({
  /** This stack's ASID as a GP Connect consumer (`Ssp-From`); needed when any holder speaks GP Connect. */
  consumerAsid: z.optional(Asid),
  /** The Spine Secure Proxy's base URL: when set, GP Connect calls go through it (`<ssp>/<endpoint>/…`). */
  sspUrl: z.optional(z.url().check(z.maxLength(256))),
  /** How long one holder may take to answer; a retrieval answers within this plus 500 ms. */
  holderTimeoutMs: z._default(z.int().check(z.minimum(100), z.maximum(8_000)), DEFAULT_HOLDER_TIMEOUT_MS),
  holders: z._default(z.array(DirectoryEntry), []),
})
export type HolderDirectory = z.infer<typeof HolderDirectory>

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
      /** Longest token lifetime (`exp - iat`) accepted, in seconds; one hour when absent. */
      maxTokenLifetimeSeconds: z.optional(positiveInt()),
      /** The identity provider's OAuth2 token endpoint (client credentials), for SMART configuration and docs. */
      tokenUrl: z.optional(z.url()),
    }),
    rateLimit: z.strictObject({
      /** Requests per organisation per minute, across all its apps, before 429. */
      requestsPerMinute: positiveInt(),
    }),
    /** Record types each role may register in the patient index; DEFAULT_RECORD_TYPES_BY_ROLE for a role left out. */
    recordTypesByRole: z.optional(z.partialRecord(OrganisationRole, z.array(RecordTypeCode))),
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
    directory: z._default(HolderDirectory, { holderTimeoutMs: DEFAULT_HOLDER_TIMEOUT_MS, holders: [] }),
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
      const listed = new Set<string>()
      for (const holder of config.directory.holders) {
        if (!seen.has(holder.ods)) {
          ctx.addIssue({
            code: 'custom',
            message: `directory holder ${holder.ods} is not a member of the ICS`,
            path: ['directory', 'holders'],
          })
        }
        if (listed.has(holder.ods)) {
          ctx.addIssue({
            code: 'custom',
            message: `directory holder ${holder.ods} is listed twice`,
            path: ['directory', 'holders'],
          })
        }
        listed.add(holder.ods)
      }
      const speaksGpConnect = config.directory.holders.some(
        (holder) => holder.protocol === 'gpconnect-1.6-stu3',
      )
      if (speaksGpConnect && !config.directory.consumerAsid) {
        ctx.addIssue({
          code: 'custom',
          message: 'directory.consumerAsid is needed to call GP Connect holders (Ssp-From)',
          path: ['directory', 'consumerAsid'],
        })
      }
    }),
  )
export type IcsConfig = z.infer<typeof IcsConfig>

/**
 * The part of the ICS config the Lambda functions need at run time. `directory` is optional
 * here so hand-built configs (tests) need not list holders: absent means no holders.
 */
export type IcsRuntimeConfig = Pick<
  IcsConfig,
  'ics' | 'name' | 'members' | 'auth' | 'rateLimit' | 'pds' | 'recordTypesByRole'
> &
  Partial<Pick<IcsConfig, 'cors' | 'capabilities' | 'demoIssuer' | 'directory'>>

/** The run-time part of a config; the CDK app compiles it into every function. */
export function runtimeConfigOf(config: IcsConfig): IcsRuntimeConfig {
  const { ics, name, members, auth, rateLimit, pds, cors, recordTypesByRole, directory } = config
  return {
    ics,
    name,
    members,
    auth,
    rateLimit,
    pds,
    cors,
    ...(recordTypesByRole ? { recordTypesByRole } : {}),
    directory,
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
  recordTypesByRole: IcsConfig.def.shape.recordTypesByRole,
  cors: z.optional(IcsConfig.def.shape.cors),
  capabilities: IcsConfig.def.shape.capabilities,
  demoIssuer: IcsConfig.def.shape.demoIssuer,
  directory: z.optional(IcsConfig.def.shape.directory),
})
