import {
  Annotations,
  Aws,
  CfnOutput,
  Duration,
  Fn,
  RemovalPolicy,
  Stack,
  Tags,
  Validations,
} from 'aws-cdk-lib'
import * as apigateway from 'aws-cdk-lib/aws-apigateway'
import * as backup from 'aws-cdk-lib/aws-backup'
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb'
import * as events from 'aws-cdk-lib/aws-events'
import * as targets from 'aws-cdk-lib/aws-events-targets'
import * as iam from 'aws-cdk-lib/aws-iam'
import * as kms from 'aws-cdk-lib/aws-kms'
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources'
import * as logs from 'aws-cdk-lib/aws-logs'
import * as sns from 'aws-cdk-lib/aws-sns'
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions'
import * as sqs from 'aws-cdk-lib/aws-sqs'
import * as wafv2 from 'aws-cdk-lib/aws-wafv2'
import { Construct } from 'constructs'
import { operationOutcome } from '../../schemas/fhir/OperationOutcome'
import type { IcsConfig } from '../../schemas/ics-config'
import { type CapabilityName, capabilityOf, deployedTables, isEnabled } from '../capabilities'
import { DEAD_LETTER_TAG, type DeadLetterKind, REPLAY_TO_TAG } from '../dead-letter-tags'
import { type EventRuleDeclaration, eventRules, patternOf } from '../event-rules'
import { type FunctionDeclaration, type FunctionName, functions } from '../functions'
import { gatewayResponses } from '../gateway-responses'
import { type GatewayMethod, gatewayMethods } from '../http-surface'
import { routes } from '../routes'
import { type TableDeclaration, type TableName, tables } from '../tables'
import { EventSchemas } from './EventSchemas'
import { JoinupFunction } from './JoinupFunction'
import { alarmNamePrefix, Observability } from './Observability'

/**
 * What every capability of one ICS shares: the data key, the tables, the event bus with
 * its archive, the REST API and the alarm topic. Capability constructs ask it for their
 * functions, which arrive with their declared grants, routes and event rules wired.
 */
export class Platform extends Construct {
  readonly config: IcsConfig
  readonly key: kms.Key
  /** The tables the deployed functions use (infra/capabilities.ts `deployedTables`). */
  readonly tables: Partial<Record<TableName, dynamodb.Table>>
  readonly bus: events.EventBus
  readonly api: apigateway.RestApi
  readonly alarms: sns.Topic
  readonly observability: Observability
  private readonly resources = new Map<string, apigateway.IResource>()

  constructor(scope: Construct, id: string, config: IcsConfig) {
    super(scope, id)
    this.config = config
    const stack = Stack.of(this)

    this.key = new kms.Key(this, 'DataKey', {
      description: `Encrypts ${config.ics} patient data: tables, queues, logs, bus and alarms`,
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.RETAIN,
    })
    // CloudWatch Logs, EventBridge (to encrypted queues) and SNS use the key as services.
    this.key.addToResourcePolicy(
      new iam.PolicyStatement({
        principals: [new iam.ServicePrincipal(`logs.${stack.region}.amazonaws.com`)],
        actions: ['kms:Encrypt', 'kms:Decrypt', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:Describe*'],
        resources: ['*'],
        conditions: {
          ArnLike: {
            'kms:EncryptionContext:aws:logs:arn': `arn:${stack.partition}:logs:${stack.region}:${stack.account}:*`,
          },
        },
      }),
    )
    this.key.addToResourcePolicy(
      new iam.PolicyStatement({
        principals: [
          new iam.ServicePrincipal('events.amazonaws.com'),
          new iam.ServicePrincipal('cloudwatch.amazonaws.com'),
        ],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
        resources: ['*'],
        conditions: { StringEquals: { 'aws:SourceAccount': stack.account } },
      }),
    )

    this.alarms = new sns.Topic(this, 'Alarms', { masterKey: this.key, enforceSSL: true })
    // enforceSSL gives the topic a policy, which replaces SNS's default one: without this
    // statement CloudWatch may not publish and no alarm would ever reach anyone.
    this.alarms.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowThisIcsAlarmsToPublish',
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['sns:Publish'],
        resources: [this.alarms.topicArn],
        conditions: {
          StringEquals: { 'aws:SourceAccount': stack.account },
          ArnLike: {
            'aws:SourceArn': `arn:${stack.partition}:cloudwatch:${stack.region}:${stack.account}:alarm:${alarmNamePrefix(config.ics)}*`,
          },
        },
      }),
    )
    if (config.operations.alarmEmail) {
      this.alarms.addSubscription(new subscriptions.EmailSubscription(config.operations.alarmEmail))
    }
    this.observability = new Observability(this, 'Observability', { config, topic: this.alarms })

    this.tables = this.createTables()
    this.backUpTables()

    // Events the bus itself cannot deliver (a KMS or target failure) land here, not nowhere.
    const busName = `joinup-${config.ics}`
    const busArn = stack.formatArn({ service: 'events', resource: 'event-bus', resourceName: busName })
    const busDeadLetters = new sqs.Queue(this, 'BusDeadLetters', {
      encryption: sqs.QueueEncryption.KMS,
      encryptionMasterKey: this.key,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    })
    busDeadLetters.addToResourcePolicy(
      new iam.PolicyStatement({
        principals: [new iam.ServicePrincipal('events.amazonaws.com')],
        actions: ['sqs:SendMessage'],
        resources: [busDeadLetters.queueArn],
        conditions: { ArnEquals: { 'aws:SourceArn': busArn } },
      }),
    )
    Tags.of(busDeadLetters).add(DEAD_LETTER_TAG, 'bus' satisfies DeadLetterKind)
    Validations.of(busDeadLetters).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason:
        'This queue is itself the dead-letter queue of the event bus; cdk-nag does not recognise a bus DLQ',
    })
    this.bus = new events.EventBus(this, 'Bus', {
      eventBusName: busName,
      kmsKey: this.key,
      deadLetterQueue: busDeadLetters,
      description: `Capabilities of ${config.name} talk through this bus`,
    })
    // EventBus.archive() drops the KMS key, and an Archive on the bus object makes a key <-> bus
    // cycle; naming the bus by ARN avoids both, so the archive is under the ICS data key too.
    const archive = new events.Archive(this.bus, 'Archive', {
      sourceEventBus: events.EventBus.fromEventBusArn(this, 'BusByArn', busArn),
      kmsKey: this.key,
      archiveName: `${busName}-all`,
      description: 'Every event on the bus, for replay after an incident',
      eventPattern: { account: [stack.account] },
      retention: Duration.days(365),
    })
    archive.node.addDependency(this.bus)

    this.api = this.createApi()
    this.observability.watchDeadLetters(
      'bus',
      busDeadLetters,
      'Events the bus could not deliver to any rule: replay with npm run dlq:replay',
    )
    new EventSchemas(this, 'EventSchemas', { ics: config.ics })
    if (config.demoIssuer && config.demoIssuer.keys.length === 0) {
      Annotations.of(this).addWarningV2(
        'joinup:demo-issuer-without-keys',
        `${config.ics} has a demo issuer without keys: every token will be refused (401). Make one with npm run demo-issuer -- --ics ${config.ics}`,
      )
    }
  }

  /** Whether the ICS config leaves a capability on (a capability off is not composed at all). */
  isEnabled(capability: CapabilityName): boolean {
    return isEnabled(capability, this.config.capabilities)
  }

  /** A capability's function, with its declared table grants, bus access, routes and rules. */
  function(scope: Construct, name: FunctionName): JoinupFunction {
    // A function no capability lists yet is composed as it always was (and the capabilities
    // test fails until it is declared); a listed one only while its capability is on.
    const capability = capabilityOf(name)
    if (capability && !this.isEnabled(capability)) {
      throw new Error(
        `${this.config.ics} switches ${capability} off: compose its construct only when platform.isEnabled('${capability}')`,
      )
    }
    const fn = new JoinupFunction(scope, name, { name, config: this.config, key: this.key })
    const declaration = functions[name]
    for (const [table, access] of Object.entries(declaration.tables)) {
      const created = this.tables[table as TableName]
      if (!created) throw new Error(`${table} is not created for ${name}: see deployedTables`)
      fn.bindTable(table as TableName, created, access, this.key)
    }
    if (declaration.publishesEvents) fn.bindBus(this.bus, this.key)
    // The NHS API platform signing key: only the functions that look patients up in PDS may read it.
    const pds = this.config.pds
    if ('looksUpPatients' in declaration && declaration.looksUpPatients && pds.source !== 'ics-cache')
      fn.readSecret(pds.auth.secret)
    // Declared routes and the methods derived from them (HEAD, POST _search, OPTIONS), so the
    // cloud answers exactly what the local gateway answers.
    const served = gatewayMethods(routes).filter((candidate) => candidate.function === name)
    for (const method of served) this.addRoute(method, fn)
    for (const rule of eventRules.filter((candidate) => candidate.consumer === name))
      this.subscribe(scope, rule, fn)
    // A scheduled function (the outbox sweep): a rate rule on the default bus, as schedules must be.
    const schedule = (declaration as FunctionDeclaration).schedule
    if (schedule) {
      // A tick that cannot be handed over is kept (and alarmed on), not dropped; the next tick repeats its work.
      const missed = new sqs.Queue(scope, `${name}ScheduleDeadLetters`, {
        encryption: sqs.QueueEncryption.KMS,
        encryptionMasterKey: this.key,
        enforceSSL: true,
        retentionPeriod: Duration.days(14),
      })
      Validations.of(missed).acknowledge({
        id: 'AwsSolutions-SQS3',
        reason:
          "This queue is itself the dead-letter queue of an EventBridge rule target; cdk-nag only recognises an SQS queue's redrive DLQ",
      })
      new events.Rule(scope, `${name}Schedule`, {
        description: `Runs ${name} every ${schedule.everySeconds} s`,
        schedule: events.Schedule.rate(Duration.seconds(schedule.everySeconds)),
        targets: [
          new targets.LambdaFunction(fn.function, {
            deadLetterQueue: missed,
            retryAttempts: 2,
            maxEventAge: Duration.seconds(schedule.everySeconds),
          }),
        ],
      })
      this.observability.watchDeadLetters(
        `${name}-schedule`,
        missed,
        `Scheduled runs of ${name} could not be started: the next run repeats the work; check the function`,
      )
    }
    this.observability.watchFunction(name, fn.function, served.length > 0)
    return fn
  }

  private createTables(): Partial<Record<TableName, dynamodb.Table>> {
    const created: Partial<Record<TableName, dynamodb.Table>> = {}
    for (const name of deployedTables(this.config.capabilities)) {
      const declaration = tables[name]
      const table = new dynamodb.Table(this, `${name}Table`, {
        partitionKey: {
          name: declaration.partitionKey.name,
          type: attributeType(declaration.partitionKey.type),
        },
        ...('sortKey' in declaration
          ? { sortKey: { name: declaration.sortKey.name, type: attributeType(declaration.sortKey.type) } }
          : {}),
        billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
        pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
        encryption: dynamodb.TableEncryption.CUSTOMER_MANAGED,
        encryptionKey: this.key,
        deletionProtection: true,
        removalPolicy: RemovalPolicy.RETAIN,
        // TLS only: DynamoDB also answers plain HTTP, and patient data never travels that way.
        resourcePolicy: new iam.PolicyDocument({
          statements: [
            new iam.PolicyStatement({
              effect: iam.Effect.DENY,
              principals: [new iam.AnyPrincipal()],
              actions: ['dynamodb:*'],
              resources: ['*'],
              conditions: { Bool: { 'aws:SecureTransport': 'false' } },
            }),
          ],
        }),
        ...('timeToLiveAttribute' in declaration
          ? { timeToLiveAttribute: declaration.timeToLiveAttribute }
          : {}),
      })
      for (const index of 'globalIndexes' in declaration ? declaration.globalIndexes : []) {
        table.addGlobalSecondaryIndex({
          indexName: index.indexName,
          partitionKey: { name: index.partitionKey.name, type: attributeType(index.partitionKey.type) },
          ...('sortKey' in index && index.sortKey
            ? { sortKey: { name: index.sortKey.name, type: attributeType(index.sortKey.type) } }
            : {}),
          projectionType: dynamodb.ProjectionType.ALL,
        })
      }
      created[name] = table
      this.observability.watchTable(name, table)
      // For the operator's tools (npm run pds:load, audit:verify): CloudFormation names the tables.
      new CfnOutput(Stack.of(this), `${name}TableName`, {
        value: table.tableName,
        description: declaration.description,
      })
    }
    return created
  }

  /**
   * Daily, weekly and monthly AWS Backup copies of every table that holds records, on top of
   * PITR. The vault is retained with the stack, so its name carries the stack's own id: a
   * re-created stack, or a second ICS in the account, never collides with a vault left behind.
   */
  private backUpTables() {
    const { ics } = this.config
    // The first group of the stack's UUID (arn:...:stack/<name>/<uuid>): unique per stack creation.
    const stackUnique = Fn.select(0, Fn.split('-', Fn.select(2, Fn.split('/', Aws.STACK_ID))))
    const vault = new backup.BackupVault(this, 'BackupVault', {
      backupVaultName: `joinup-${ics}-${stackUnique}`,
      encryptionKey: this.key,
      removalPolicy: RemovalPolicy.RETAIN,
    })
    // Cold storage for DynamoDB needs AWS Backup's advanced features on the account: opt-in.
    const coldStorage = this.config.operations.backupColdStorage === true
    const plan = new backup.BackupPlan(this, 'BackupPlan', {
      backupPlanName: `joinup-${ics}-tables`,
      backupVault: vault,
      backupPlanRules: [
        new backup.BackupPlanRule({
          ruleName: 'Daily',
          scheduleExpression: events.Schedule.cron({ hour: '5', minute: '0' }),
          deleteAfter: Duration.days(35),
        }),
        new backup.BackupPlanRule({
          ruleName: 'Weekly',
          scheduleExpression: events.Schedule.cron({ weekDay: 'SAT', hour: '5', minute: '0' }),
          deleteAfter: Duration.days(90),
        }),
        new backup.BackupPlanRule({
          ruleName: 'Monthly5Year',
          scheduleExpression: events.Schedule.cron({ day: '1', hour: '5', minute: '0' }),
          deleteAfter: Duration.days(365 * 5),
          ...(coldStorage ? { moveToColdStorageAfter: Duration.days(90) } : {}),
        }),
      ],
    })
    const created = Object.entries(this.tables) as [TableName, dynamodb.Table][]
    const kept = created.filter(([name]) => !(tables[name] as TableDeclaration).ephemeral)
    const selection = plan.addSelection('Tables', {
      resources: kept.map(([, table]) => backup.BackupResource.fromDynamoDbTable(table)),
    })
    Validations.of(selection).acknowledge({
      id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForBackup]',
      reason:
        'AWS Backup service role with the AWS-managed backup policy, as AWS documents for backup selections',
    })
    for (const [name, table] of created) {
      if (!(tables[name] as TableDeclaration).ephemeral) continue
      Validations.of(table).acknowledge({
        id: 'HIPAA.Security-DynamoDBInBackupPlan',
        reason: 'Short-lived working data that expires by TTL within minutes or hours; PITR still covers it',
      })
    }
  }

  private createApi(): apigateway.RestApi {
    const { config } = this
    const accessLogs = new logs.LogGroup(this, 'ApiAccessLogs', {
      retention: logs.RetentionDays.TWO_YEARS,
      encryptionKey: this.key,
      removalPolicy: RemovalPolicy.RETAIN,
    })
    const api = new apigateway.RestApi(this, 'Api', {
      restApiName: `joinup-${config.ics}`,
      description: `Joined-up care APIs for ${config.name}`,
      endpointTypes: [apigateway.EndpointType.REGIONAL],
      // The account-level role a logging stage needs: made here only when the config says so
      // (one stack per account and region may own it; infra/ics-configs.ts checks).
      ...(config.operations.apiGatewayAccountRole === 'create'
        ? { cloudWatchRole: true, cloudWatchRoleRemovalPolicy: RemovalPolicy.RETAIN }
        : { cloudWatchRole: false }),
      deployOptions: {
        stageName: 'v1',
        tracingEnabled: true,
        metricsEnabled: true,
        // Execution logs at ERROR only, never request bodies: they would hold patient data.
        loggingLevel: apigateway.MethodLoggingLevel.ERROR,
        dataTraceEnabled: false,
        throttlingRateLimit: config.operations.apiThrottle.rateLimit,
        throttlingBurstLimit: config.operations.apiThrottle.burstLimit,
        accessLogDestination: new apigateway.LogGroupLogDestination(accessLogs),
        // The resource template, not the path: a path would put NHS numbers in the logs.
        accessLogFormat: apigateway.AccessLogFormat.custom(
          JSON.stringify({
            requestId: '$context.requestId',
            clientRequestId: '$context.requestOverride.header.X-Request-ID',
            time: '$context.requestTime',
            httpMethod: '$context.httpMethod',
            resourcePath: '$context.resourcePath',
            status: '$context.status',
            responseLength: '$context.responseLength',
            latencyMs: '$context.responseLatency',
            integrationLatencyMs: '$context.integrationLatency',
            sourceIp: '$context.identity.sourceIp',
            errorType: '$context.error.responseType',
          }),
        ),
      },
      disableExecuteApiEndpoint: false,
    })
    const accountRole = api.node.tryFindChild('CloudWatchRole')
    if (accountRole) {
      Validations.of(accountRole).acknowledge({
        id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]',
        reason:
          "API Gateway's account-level logging role with the AWS-managed policy AWS documents for it; API Gateway alone assumes it",
      })
    }
    Validations.of(api).acknowledge({
      id: 'AwsSolutions-APIG2',
      reason:
        "Requests are validated in the functions with the zod schemas, which answer the national APIs' OperationOutcome codes; the API Gateway validator would answer a generic, non-FHIR body",
    })
    for (const response of gatewayResponses) {
      api.addGatewayResponse(response.type, {
        type: apigateway.ResponseType.of(response.type),
        ...('status' in response ? { statusCode: String(response.status) } : {}),
        // Echo the caller's ids; API Gateway cannot mint one here, so diagnostics carry its own request id.
        responseHeaders: {
          'Content-Type': "'application/fhir+json'",
          'X-Request-ID': 'method.request.header.X-Request-ID',
          'X-Correlation-ID': 'method.request.header.X-Correlation-ID',
        },
        templates: {
          'application/json': JSON.stringify(
            operationOutcome(
              response.code,
              `${response.diagnostics} (gateway request id $context.requestId)`,
            ),
          ),
        },
      })
    }
    if (config.operations.wafWebAclArn) {
      new wafv2.CfnWebACLAssociation(this, 'WafAssociation', {
        resourceArn: api.deploymentStage.stageArn,
        webAclArn: config.operations.wafWebAclArn,
      })
    } else {
      Validations.of(api.deploymentStage).acknowledge({
        id: 'AwsSolutions-APIG3',
        reason: `${config.ics} sets no operations.wafWebAclArn: the stage is regional and WAF-ready, and the ICS attaches its shared web ACL through that setting`,
      })
    }
    Validations.of(api.deploymentStage).acknowledge({
      id: 'HIPAA.Security-APIGWCacheEnabledAndEncrypted',
      reason:
        'No response cache on purpose: answers are per caller, restricted-patient filtering and the audit trail must run on every read',
    })
    Validations.of(api.deploymentStage).acknowledge({
      id: 'HIPAA.Security-APIGWSSLEnabled',
      reason:
        'Backends are Lambda proxy integrations invoked over AWS APIs, not HTTP backends that a client certificate would authenticate',
    })
    this.observability.watchApi(api)
    return api
  }

  private resourceFor(path: string): apigateway.IResource {
    let resource: apigateway.IResource = this.api.root
    let sofar = ''
    for (const part of path.split('/').filter(Boolean)) {
      sofar += `/${part}`
      const existing = this.resources.get(sofar)
      resource = existing ?? resource.addResource(part)
      this.resources.set(sofar, resource)
    }
    return resource
  }

  private addRoute(declared: GatewayMethod, fn: JoinupFunction) {
    const { route } = declared
    // A route's own body limit must fit Lambda's synchronous payload (6 MB) with the proxy event around it.
    if (
      route.maxBodyBytes !== undefined &&
      route.maxBodyBytes + PROXY_EVENT_HEADROOM_BYTES > LAMBDA_SYNC_PAYLOAD_BYTES
    )
      throw new Error(
        `${route.operationId} takes bodies up to ${route.maxBodyBytes} bytes: more than Lambda's synchronous payload leaves room for`,
      )
    const method = this.resourceFor(declared.path).addMethod(
      declared.method,
      new apigateway.LambdaIntegration(fn.function),
      {
        operationName:
          declared.kind === 'declared' ? route.operationId : `${route.operationId}-${declared.kind}`,
      },
    )
    const checkedIn =
      declared.kind === 'options'
        ? 'OPTIONS answers Allow and the CORS preflight (browsers send no token on a preflight); the function checks the Origin against the ICS allow-list and serves no data'
        : route.scope
          ? 'The bearer JWT is verified in the function middleware (jose, the ICS JWKS, RS256/ES256, aud, exp, nbf) and the scope per route, so every refusal is a FHIR OperationOutcome and reaches the audit trail'
          : 'Public by contract (DESIGN.md): capability statement and docs, no patient data'
    for (const id of ['AwsSolutions-APIG4', 'AwsSolutions-COG4'])
      Validations.of(method).acknowledge({ id, reason: checkedIn })
  }

  /**
   * rule → queue → function in batches that report partial failures. The rule and the queue
   * each have their own dead-letter queue, because each replays differently: SQS redrive
   * (StartMessageMoveTask) only moves messages that came from an SQS queue.
   */
  private subscribe(scope: Construct, rule: EventRuleDeclaration, fn: JoinupFunction) {
    const deadLetterQueue = (id: string, kind: DeadLetterKind) => {
      const queue = new sqs.Queue(scope, id, {
        encryption: sqs.QueueEncryption.KMS,
        encryptionMasterKey: this.key,
        enforceSSL: true,
        retentionPeriod: Duration.days(14),
      })
      Tags.of(queue).add(DEAD_LETTER_TAG, kind)
      return queue
    }
    const deadLetters = deadLetterQueue(`${rule.name}DeadLetters`, 'queue')
    const undeliverable = deadLetterQueue(`${rule.name}RuleDeadLetters`, 'rule')
    Validations.of(undeliverable).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason:
        "This queue is itself the dead-letter queue of an EventBridge rule target; cdk-nag only recognises an SQS queue's redrive DLQ",
    })
    const queue = new sqs.Queue(scope, `${rule.name}Queue`, {
      encryption: sqs.QueueEncryption.KMS,
      encryptionMasterKey: this.key,
      enforceSSL: true,
      // AWS: a queue's visibility timeout should be six times its consumer's timeout.
      visibilityTimeout: Duration.seconds(
        6 * ((functions[rule.consumer] as FunctionDeclaration).timeoutSeconds ?? 10),
      ),
      deadLetterQueue: { queue: deadLetters, maxReceiveCount: rule.delivery.maxReceiveCount },
    })
    Tags.of(undeliverable).add(REPLAY_TO_TAG, queue.queueUrl)
    new events.Rule(scope, `${rule.name}Rule`, {
      ruleName: `joinup-${this.config.ics}-${rule.name}`,
      description: rule.description,
      eventBus: this.bus,
      eventPattern: patternOf(rule) as events.EventPattern,
      targets: [
        new targets.SqsQueue(queue, {
          deadLetterQueue: undeliverable,
          retryAttempts: rule.delivery.retryAttempts,
          maxEventAge: Duration.seconds(rule.delivery.maxEventAgeSeconds),
        }),
      ],
    })
    fn.function.addEventSource(
      new SqsEventSource(queue, {
        batchSize: 10,
        reportBatchItemFailures: true,
        maxBatchingWindow: Duration.seconds(1),
      }),
    )
    this.observability.watchConsumerQueue(rule.name, queue)
    this.observability.watchDeadLetters(
      `${rule.name}-consumer`,
      deadLetters,
      `Events ${rule.consumer} failed ${rule.delivery.maxReceiveCount} times (${rule.name}): fix the cause, then npm run dlq:replay`,
    )
    this.observability.watchDeadLetters(
      `${rule.name}-rule`,
      undeliverable,
      `Events the ${rule.name} rule could not hand to its queue: npm run dlq:replay`,
    )
  }
}

/** Lambda's synchronous invocation payload limit: the whole API Gateway proxy event. */
const LAMBDA_SYNC_PAYLOAD_BYTES = 6 * 1024 * 1024
/** Room the proxy event needs around a body (headers, context, the body's JSON escaping). */
const PROXY_EVENT_HEADROOM_BYTES = 1024 * 1024

function attributeType(type: 'S' | 'N'): dynamodb.AttributeType {
  return type === 'S' ? dynamodb.AttributeType.STRING : dynamodb.AttributeType.NUMBER
}
