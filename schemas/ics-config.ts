import * as z from 'zod/mini'
import { OdsCode } from './fhir/identifiers'
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
export const HolderInteraction = z.enum(['structured-record'])
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
export type IcsRuntimeConfig = Pick<IcsConfig, 'ics' | 'name' | 'members' | 'auth' | 'rateLimit' | 'pds'> &
  Partial<Pick<IcsConfig, 'cors' | 'directory'>>

/** The run-time part of a config; the CDK app compiles it into every function. */
export function runtimeConfigOf(config: IcsConfig): IcsRuntimeConfig {
  const { ics, name, members, auth, rateLimit, pds, cors, directory } = config
  return { ics, name, members, auth, rateLimit, pds, cors, directory }
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
  directory: z.optional(IcsConfig.def.shape.directory),
})
