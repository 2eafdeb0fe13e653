import * as z from 'zod/mini'
import { OdsCode } from './fhir/identifiers'
import { RECORD_TYPES } from './fhir/recordTypes'
import { DEFAULT_HOLDER_TIMEOUT_MS } from './holder-timeouts'

/** What an organisation does in the ICS; capabilities route by it (GP write-back, pharmacy discharge). */
export const OrganisationRole = /* @__PURE__ */ z.enum([
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

export const IcsMember = /* @__PURE__ */ z.strictObject({
  ods: OdsCode,
  name: /* @__PURE__ */ z.string().check(/* @__PURE__ */ z.minLength(1)),
  role: OrganisationRole,
})
export type IcsMember = z.infer<typeof IcsMember>

/** A record type code of the ICS (schemas/fhir/recordTypes.ts). */
const RecordTypeCode = /* @__PURE__ */ z.string().check(
  /* @__PURE__ */ z.refine((code) => RECORD_TYPES.some((type) => type.code === code), {
    message: 'not an ICS record type code',
  }),
)

export { DEFAULT_RECORD_TYPES_BY_ROLE, LOCAL_DEV_ISSUER, recordTypesAllowedFor } from './ics-policy'
/**
 * How the stack talks to a holder (DESIGN.md "Holders are reached through a directory"):
 * - `gpconnect-1.6-stu3`: a GP Connect 1.6 provider (FHIR STU3), called as a GP Connect consumer;
 * - `joinup-store`: the stack's own clinical store, which holds what the organisation wrote to this ICS.
 */
export const HolderProtocol = /* @__PURE__ */ z.enum(['gpconnect-1.6-stu3', 'joinup-store'])
export type HolderProtocol = z.infer<typeof HolderProtocol>

/**
 * What a holder serves, as SDS lists interactions per endpoint. One value per capability
 * that reaches holders; a capability adds its own value here (appointments: GP Connect
 * Appointment Management) and the holders that serve it list it.
 */
export const HolderInteraction = /* @__PURE__ */ z.enum([
  'structured-record',
  /** GP Connect 1.6 Appointment Management: free slots searched at, and appointments booked, read, amended and cancelled at, the practice. */
  'appointment-management',
])
export type HolderInteraction = z.infer<typeof HolderInteraction>

/** A Spine Accredited System ID (ASID): twelve digits. */
const Asid = /* @__PURE__ */ z.string().check(/* @__PURE__ */ z.regex(/^\d{12}$/, 'not an ASID (12 digits)'))

const holderInteractions = () =>
  /* @__PURE__ */ z.array(HolderInteraction).check(/* @__PURE__ */ z.minLength(1))

/** A GP Connect provider: its FHIR service root (SDS `nhsMhsEndPoint`) and its ASID (`Ssp-To`). */
export const GpConnectHolder = /* @__PURE__ */ z.strictObject({
  ods: OdsCode,
  protocol: /* @__PURE__ */ z.literal('gpconnect-1.6-stu3'),
  /** The provider's FHIR service root, e.g. `https://provider.example.nhs.uk/Y90001/STU3/1/gpconnect`. */
  endpoint: /* @__PURE__ */ z.url().check(/* @__PURE__ */ z.maxLength(512)),
  asid: Asid,
  interactions: holderInteractions(),
})

/** An organisation whose records about patients live in this stack's own clinical store. */
export const StoreHolder = /* @__PURE__ */ z.strictObject({
  ods: OdsCode,
  protocol: /* @__PURE__ */ z.literal('joinup-store'),
  interactions: holderInteractions(),
})

/** One holder in the directory: how to reach it and what it serves. */
export const DirectoryEntry = /* @__PURE__ */ z.discriminatedUnion('protocol', [GpConnectHolder, StoreHolder])
export type DirectoryEntry = z.infer<typeof DirectoryEntry>

export { DEFAULT_HOLDER_TIMEOUT_MS }

/**
 * The holder directory: who holds records and how to reach them, as SDS is nationally.
 * Retrieval only ever calls endpoints listed here, never a URL from a pointer.
 */
export const HolderDirectory = /* @__PURE__ */ z.strictObject({
  /** This stack's ASID as a GP Connect consumer (`Ssp-From`); needed when any holder speaks GP Connect. */
  consumerAsid: /* @__PURE__ */ z.optional(Asid),
  /** The Spine Secure Proxy's base URL: when set, GP Connect calls go through it (`<ssp>/<endpoint>/…`). */
  sspUrl: /* @__PURE__ */ z.optional(/* @__PURE__ */ z.url().check(/* @__PURE__ */ z.maxLength(256))),
  /** How long one holder may take to answer; a retrieval answers within this plus 500 ms. */
  holderTimeoutMs: /* @__PURE__ */ z._default(
    /* @__PURE__ */ z.int().check(/* @__PURE__ */ z.minimum(100), /* @__PURE__ */ z.maximum(8_000)),
    DEFAULT_HOLDER_TIMEOUT_MS,
  ),
  holders: /* @__PURE__ */ z._default(/* @__PURE__ */ z.array(DirectoryEntry), []),
})
export type HolderDirectory = z.infer<typeof HolderDirectory>

const positiveInt = () => /* @__PURE__ */ z.int().check(/* @__PURE__ */ z.positive())

/** The NHS API platform's application-restricted signed-JWT access (the national PDS uses it). */
export const NhsApiPlatformAuth = /* @__PURE__ */ z.strictObject({
  /** The platform's OAuth 2.0 token endpoint; the client assertion's `aud`. */
  tokenUrl: /* @__PURE__ */ z._default(/* @__PURE__ */ z.url(), 'https://api.service.nhs.uk/oauth2/token'),
  /**
   * Secrets Manager secret (name or ARN) whose value is JSON `{ "apiKey", "kid", "privateKey" }`:
   * the application's API key, the `kid` of its public key in the JWKS registered with the
   * platform, and the RSA private key (PKCS#8 PEM). Rotating the key is a new secret value.
   */
  secret: /* @__PURE__ */ z
    .string()
    .check(
      /* @__PURE__ */ z.regex(
        /^(arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:)?[\w/+=.@-]{1,512}$/,
      ),
    ),
})
export type NhsApiPlatformAuth = z.infer<typeof NhsApiPlatformAuth>

/** A public ES256 key of the demo issuer, as a JWK; a private part (`d`) is refused. */
export const DemoIssuerKey = /* @__PURE__ */ z.strictObject({
  kty: /* @__PURE__ */ z.literal('EC'),
  crv: /* @__PURE__ */ z.literal('P-256'),
  x: /* @__PURE__ */ z.string().check(/* @__PURE__ */ z.regex(/^[A-Za-z0-9_-]{43}$/)),
  y: /* @__PURE__ */ z.string().check(/* @__PURE__ */ z.regex(/^[A-Za-z0-9_-]{43}$/)),
  kid: /* @__PURE__ */ z.string().check(/* @__PURE__ */ z.minLength(1), /* @__PURE__ */ z.maxLength(64)),
  alg: /* @__PURE__ */ z.literal('ES256'),
  use: /* @__PURE__ */ z.optional(/* @__PURE__ */ z.literal('sig')),
})
export type DemoIssuerKey = z.infer<typeof DemoIssuerKey>

/** Which organisations use, and serve, one capability (GP Connect enables capabilities per practice). */
export const CapabilitySettings = /* @__PURE__ */ z.strictObject({
  /** Off: the capability's functions, routes, rules and alarms are not deployed at all. */
  enabled: /* @__PURE__ */ z.optional(/* @__PURE__ */ z.boolean()),
  /** ODS codes that may call it; every member when absent. */
  consumers: /* @__PURE__ */ z.optional(/* @__PURE__ */ z.array(OdsCode)),
  /** ODS codes that serve it (its provider operations, e.g. registering pointers); every member when absent. */
  providers: /* @__PURE__ */ z.optional(/* @__PURE__ */ z.array(OdsCode)),
})
export type CapabilitySettings = z.infer<typeof CapabilitySettings>

export const IcsConfig = /* @__PURE__ */ z
  .strictObject({
    /** Short id; names the stack, the bus and the tables, and must equal the token's `ics` claim. */
    ics: /* @__PURE__ */ z.string().check(/* @__PURE__ */ z.regex(/^[a-z][a-z0-9-]{1,30}$/)),
    name: /* @__PURE__ */ z.string().check(/* @__PURE__ */ z.minLength(1)),
    /** AWS account the stack deploys to; omit for an environment-agnostic synth. */
    account: /* @__PURE__ */ z.optional(
      /* @__PURE__ */ z.string().check(/* @__PURE__ */ z.regex(/^\d{12}$/)),
    ),
    region: /* @__PURE__ */ z.string().check(/* @__PURE__ */ z.regex(/^[a-z]{2}-[a-z]+-\d$/)),
    members: /* @__PURE__ */ z.array(IcsMember).check(/* @__PURE__ */ z.minLength(1)),
    auth: /* @__PURE__ */ z.strictObject({
      issuer: /* @__PURE__ */ z.string().check(/* @__PURE__ */ z.minLength(1)),
      /** The `aud` every token must carry: this stack's identity at the ICS's identity provider. */
      audience: /* @__PURE__ */ z.string().check(/* @__PURE__ */ z.minLength(1)),
      jwksUrl: /* @__PURE__ */ z.url(),
      /** Longest token lifetime (`exp - iat`) accepted, in seconds; one hour when absent. */
      maxTokenLifetimeSeconds: /* @__PURE__ */ z.optional(positiveInt()),
      /** The identity provider's OAuth2 token endpoint (client credentials), for SMART configuration and docs. */
      tokenUrl: /* @__PURE__ */ z.optional(/* @__PURE__ */ z.url()),
    }),
    rateLimit: /* @__PURE__ */ z.strictObject({
      /** Requests per organisation per minute, across all its apps, before 429. */
      requestsPerMinute: positiveInt(),
    }),
    /** Record types each role may register in the patient index; DEFAULT_RECORD_TYPES_BY_ROLE for a role left out. */
    recordTypesByRole: /* @__PURE__ */ z.optional(
      /* @__PURE__ */ z.partialRecord(OrganisationRole, /* @__PURE__ */ z.array(RecordTypeCode)),
    ),
    /** Browser origins (scheme://host[:port]) allowed to call the API (CORS); none by default. */
    cors: /* @__PURE__ */ z._default(
      /* @__PURE__ */ z.strictObject({
        allowedOrigins: /* @__PURE__ */ z.array(
          /* @__PURE__ */ z.string().check(/* @__PURE__ */ z.regex(/^https?:\/\/[a-z0-9.-]+(:\d{1,5})?$/)),
        ),
      }),
      { allowedOrigins: [] },
    ),
    pds: /* @__PURE__ */ z.discriminatedUnion('source', [
      /** The ICS's DynamoDB copy of PDS (seeded locally; loaded with `npm run pds:load` in the cloud). */
      /* @__PURE__ */ z.strictObject({ source: /* @__PURE__ */ z.literal('ics-cache') }),
      /** The national PDS FHIR R4 API through the NHS API platform. */
      /* @__PURE__ */ z.strictObject({
        source: /* @__PURE__ */ z.literal('national'),
        baseUrl: /* @__PURE__ */ z.url(),
        auth: NhsApiPlatformAuth,
      }),
      /**
       * The national PDS, read through the ICS's patients table: a read answered from the table
       * while its copy is younger than `cacheTtlSeconds`, else from PDS (and stored); searches
       * always go to PDS. `npm run pds:load` warms the table from a PDS trace result.
       */
      /* @__PURE__ */ z.strictObject({
        source: /* @__PURE__ */ z.literal('national-with-cache'),
        baseUrl: /* @__PURE__ */ z.url(),
        auth: NhsApiPlatformAuth,
        cacheTtlSeconds: /* @__PURE__ */ z._default(
          /* @__PURE__ */ z.int().check(/* @__PURE__ */ z.gte(60), /* @__PURE__ */ z.lte(604_800)),
          86_400,
        ),
      }),
    ]),
    directory: /* @__PURE__ */ z._default(HolderDirectory, {
      holderTimeoutMs: DEFAULT_HOLDER_TIMEOUT_MS,
      holders: [],
    }),
    operations: /* @__PURE__ */ z._default(
      /* @__PURE__ */ z.strictObject({
        logRetentionDays: /* @__PURE__ */ z._default(positiveInt(), 365),
        /** Email address subscribed to the alarm topic (DLQ depth, 5xx, errors). */
        alarmEmail: /* @__PURE__ */ z.optional(/* @__PURE__ */ z.email()),
        /** A regional WAFv2 web ACL to associate with the API stage. */
        wafWebAclArn: /* @__PURE__ */ z.optional(
          /* @__PURE__ */ z
            .string()
            .check(/* @__PURE__ */ z.regex(/^arn:aws:wafv2:[a-z0-9-]+:\d{12}:regional\/webacl\/.+$/)),
        ),
        /** API Gateway throttling for the whole stage (requests per second, burst). */
        apiThrottle: /* @__PURE__ */ z._default(
          /* @__PURE__ */ z.strictObject({
            rateLimit: /* @__PURE__ */ z.number().check(/* @__PURE__ */ z.positive()),
            burstLimit: positiveInt(),
          }),
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
        apiGatewayAccountRole: /* @__PURE__ */ z.optional(/* @__PURE__ */ z.enum(['create', 'existing'])),
        /** Alarm thresholds beyond "any at all" (defaults in infra/constructs/Observability.ts). */
        alarms: /* @__PURE__ */ z.optional(
          /* @__PURE__ */ z.strictObject({
            /** Oldest message a consumer queue may hold before it alarms (default 300 s). */
            queueAgeSeconds: /* @__PURE__ */ z.optional(positiveInt()),
            /** Share of API answers that may be 5xx over 5 minutes before it alarms (default 1 %). */
            serverErrorRatePercent: /* @__PURE__ */ z.optional(
              /* @__PURE__ */ z.number().check(/* @__PURE__ */ z.positive(), /* @__PURE__ */ z.lte(100)),
            ),
          }),
        ),
        /**
         * Monthly backups move to cold storage after 90 days (cheaper for the 5-year retention).
         * DynamoDB backups can only do so when AWS Backup's advanced features for DynamoDB are
         * enabled on the account; off by default, so a fresh account's backup jobs do not fail.
         */
        backupColdStorage: /* @__PURE__ */ z.optional(/* @__PURE__ */ z.boolean()),
      }),
      { logRetentionDays: 365, apiThrottle: { rateLimit: 200, burstLimit: 400 } },
    ),
    /**
     * Per-capability switches (infra/capabilities.ts): off for the whole ICS, or limited to the
     * organisations that use it (`consumers`) and serve it (`providers`). A capability not
     * listed is on for every member.
     */
    capabilities: /* @__PURE__ */ z.optional(
      /* @__PURE__ */ z.record(/* @__PURE__ */ z.string(), CapabilitySettings),
    ),
    /**
     * A demo or test ICS with synthetic data only: the functions trust tokens signed by these
     * keys (with `auth.issuer` and `auth.audience`) instead of fetching `auth.jwksUrl`, so the
     * deployed demo works without an identity provider. `npm run demo-issuer` makes a key and
     * `npm run token -- --deployed` signs with it. Refused with a national PDS (real patients).
     */
    demoIssuer: /* @__PURE__ */ z.optional(
      /* @__PURE__ */ z.strictObject({ keys: /* @__PURE__ */ z.array(DemoIssuerKey) }),
    ),
  })
  .check(
    /* @__PURE__ */ z.superRefine((config, ctx) => {
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
export const IcsRuntimeConfig = /* @__PURE__ */ z.looseObject({
  ics: IcsConfig.def.shape.ics,
  name: IcsConfig.def.shape.name,
  members: IcsConfig.def.shape.members,
  auth: IcsConfig.def.shape.auth,
  rateLimit: IcsConfig.def.shape.rateLimit,
  pds: IcsConfig.def.shape.pds,
  recordTypesByRole: IcsConfig.def.shape.recordTypesByRole,
  cors: /* @__PURE__ */ z.optional(IcsConfig.def.shape.cors),
  capabilities: IcsConfig.def.shape.capabilities,
  demoIssuer: IcsConfig.def.shape.demoIssuer,
  directory: /* @__PURE__ */ z.optional(IcsConfig.def.shape.directory),
})
