import { Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib'
import * as apigateway from 'aws-cdk-lib/aws-apigateway'
import * as backup from 'aws-cdk-lib/aws-backup'
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch'
import * as cwActions from 'aws-cdk-lib/aws-cloudwatch-actions'
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
import { type EventRuleDeclaration, eventRules, patternOf } from '../event-rules'
import { type FunctionDeclaration, type FunctionName, functions } from '../functions'
import { gatewayResponses } from '../gateway-responses'
import { type GatewayMethod, gatewayMethods } from '../http-surface'
import { routes } from '../routes'
import { type TableDeclaration, type TableName, tables } from '../tables'
import { JoinupFunction } from './JoinupFunction'

/**
 * What every capability of one ICS shares: the data key, the tables, the event bus with
 * its archive, the REST API and the alarm topic. Capability constructs ask it for their
 * functions, which arrive with their declared grants, routes and event rules wired.
 */
export class Platform extends Construct {
  readonly config: IcsConfig
  readonly key: kms.Key
  readonly tables: Record<TableName, dynamodb.Table>
  readonly bus: events.EventBus
  readonly api: apigateway.RestApi
  readonly alarms: sns.Topic
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

    this.alarms = new sns.Topic(this, 'Alarms', { masterKey: this.key, enforceSSL: true })
    if (config.operations.alarmEmail) {
      this.alarms.addSubscription(new subscriptions.EmailSubscription(config.operations.alarmEmail))
    }

    this.api = this.createApi()
    this.alarmOn(
      'BusDeadLetters',
      busDeadLetters.metricApproximateNumberOfMessagesVisible({
        period: Duration.minutes(1),
        statistic: 'Maximum',
      }),
      `Events the ${config.ics} bus could not deliver`,
    )
  }

  /** A capability's function, with its declared table grants, bus access, routes and rules. */
  function(scope: Construct, name: FunctionName): JoinupFunction {
    const fn = new JoinupFunction(scope, name, { name, config: this.config, key: this.key })
    const declaration = functions[name]
    for (const [table, access] of Object.entries(declaration.tables)) {
      fn.bindTable(table as TableName, this.tables[table as TableName], access, this.key)
    }
    if (declaration.publishesEvents) fn.bindBus(this.bus, this.key)
    // Declared routes and the methods derived from them (HEAD, POST _search, OPTIONS), so the
    // cloud answers exactly what the local gateway answers.
    for (const method of gatewayMethods(routes).filter((candidate) => candidate.function === name))
      this.addRoute(method, fn)
    for (const rule of eventRules.filter((candidate) => candidate.consumer === name))
      this.subscribe(scope, rule, fn)
    this.alarmOn(
      `${name}Errors`,
      fn.function.metricErrors({ period: Duration.minutes(5) }),
      `${name} failed invocations in ${this.config.ics}`,
    )
    return fn
  }

  private createTables(): Record<TableName, dynamodb.Table> {
    const created = {} as Record<TableName, dynamodb.Table>
    for (const [name, declaration] of Object.entries(tables) as [TableName, (typeof tables)[TableName]][]) {
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
    }
    return created
  }

  /** Daily, weekly and monthly AWS Backup copies of every table that holds records, on top of PITR. */
  private backUpTables() {
    const vault = new backup.BackupVault(this, 'BackupVault', {
      encryptionKey: this.key,
      removalPolicy: RemovalPolicy.RETAIN,
    })
    const plan = backup.BackupPlan.dailyWeeklyMonthly5YearRetention(this, 'BackupPlan', vault)
    const kept = (Object.keys(tables) as TableName[]).filter(
      (name) => !(tables[name] as TableDeclaration).ephemeral,
    )
    const selection = plan.addSelection('Tables', {
      resources: kept.map((name) => backup.BackupResource.fromDynamoDbTable(this.tables[name])),
    })
    Validations.of(selection).acknowledge({
      id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForBackup]',
      reason:
        'AWS Backup service role with the AWS-managed backup policy, as AWS documents for backup selections',
    })
    for (const name of Object.keys(tables) as TableName[]) {
      if (!(tables[name] as TableDeclaration).ephemeral) continue
      Validations.of(this.tables[name]).acknowledge({
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
      cloudWatchRole: false,
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
    this.alarmOn(
      'Api5xx',
      api.metricServerError({ period: Duration.minutes(5), statistic: 'Sum' }),
      `API 5xx answers in ${config.ics}`,
    )
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

  /** rule → queue (with DLQ) → function in batches that report partial failures. */
  private subscribe(scope: Construct, rule: EventRuleDeclaration, fn: JoinupFunction) {
    const deadLetters = new sqs.Queue(scope, `${rule.name}DeadLetters`, {
      encryption: sqs.QueueEncryption.KMS,
      encryptionMasterKey: this.key,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
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
    new events.Rule(scope, `${rule.name}Rule`, {
      ruleName: `joinup-${this.config.ics}-${rule.name}`,
      description: rule.description,
      eventBus: this.bus,
      eventPattern: patternOf(rule) as events.EventPattern,
      targets: [
        new targets.SqsQueue(queue, {
          deadLetterQueue: deadLetters,
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
    this.alarmOn(
      `${rule.name}DeadLetters`,
      deadLetters.metricApproximateNumberOfMessagesVisible({
        period: Duration.minutes(1),
        statistic: 'Maximum',
      }),
      `Events dead-lettered by ${rule.name} in ${this.config.ics}: replay with npm run dlq:replay`,
    )
  }

  private alarmOn(id: string, metric: cloudwatch.IMetric, description: string) {
    const alarm = new cloudwatch.Alarm(this, `${id}Alarm`, {
      metric,
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      alarmDescription: description,
    })
    alarm.addAlarmAction(new cwActions.SnsAction(this.alarms))
  }
}

function attributeType(type: 'S' | 'N'): dynamodb.AttributeType {
  return type === 'S' ? dynamodb.AttributeType.STRING : dynamodb.AttributeType.NUMBER
}
