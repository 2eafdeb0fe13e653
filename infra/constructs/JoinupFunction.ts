import { dirname, join } from 'node:path'
import { ArnFormat, Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib'
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb'
import type * as events from 'aws-cdk-lib/aws-events'
import * as iam from 'aws-cdk-lib/aws-iam'
import type * as kms from 'aws-cdk-lib/aws-kms'
import * as lambda from 'aws-cdk-lib/aws-lambda'
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs'
import * as logs from 'aws-cdk-lib/aws-logs'
import { Construct } from 'constructs'
import type { IcsConfig } from '../../schemas/ics-config'
import { bundleSettings, functionDefine, icsDefine, routesDefine } from '../bundling'
import { type FunctionDeclaration, type FunctionName, functions, type TableAccess } from '../functions'
import { type TableName, tables } from '../tables'

/** The repository root: entries and the lock file are found from here. */
export const REPO_ROOT = join(import.meta.dirname, '..', '..')

const READ_ACTIONS = ['dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:BatchGetItem']
const TABLE_ACTIONS: Record<TableAccess, string[]> = {
  read: READ_ACTIONS,
  // Append-only: a new item under a condition, never an update or a delete.
  append: [...READ_ACTIONS, 'dynamodb:PutItem'],
  readWrite: [
    ...READ_ACTIONS,
    'dynamodb:PutItem',
    'dynamodb:UpdateItem',
    'dynamodb:DeleteItem',
    'dynamodb:BatchWriteItem',
  ],
  count: ['dynamodb:UpdateItem'],
  write: [...READ_ACTIONS, 'dynamodb:PutItem', 'dynamodb:UpdateItem'],
}

export interface JoinupFunctionProps {
  name: FunctionName
  config: IcsConfig
  key: kms.IKey
}

/**
 * The one way this project makes a Lambda function, with the defaults fixed: nodejs22.x
 * on arm64, X-Ray tracing, an encrypted log group with the ICS's retention, and an ESM
 * bundle (minified, source maps, AWS SDK bundled) built by the local esbuild, no Docker.
 * The ICS config is compiled into the bundle (no 4 KB environment limit).
 */
export class JoinupFunction extends Construct {
  readonly function: NodejsFunction
  readonly name: FunctionName

  constructor(scope: Construct, id: string, props: JoinupFunctionProps) {
    super(scope, id)
    const declaration: FunctionDeclaration = functions[props.name]
    this.name = props.name
    const logGroup = new logs.LogGroup(this, 'Logs', {
      retention: retentionOf(props.config.operations.logRetentionDays),
      encryptionKey: props.key,
      removalPolicy: RemovalPolicy.RETAIN,
    })
    // Our own role: logs to this function's log group only, not AWSLambdaBasicExecutionRole's logs:*.
    const role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `Runs ${props.name} for ${props.config.ics}`,
    })
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        // A log group's Arn attribute already ends in ":*", which covers its streams.
        resources: [logGroup.logGroupArn],
      }),
    )
    this.function = new NodejsFunction(this, 'Function', {
      role,
      description: `${declaration.description} (${props.config.ics})`,
      entry: join(REPO_ROOT, declaration.entry),
      handler: declaration.handler,
      projectRoot: REPO_ROOT,
      depsLockFilePath: join(REPO_ROOT, 'package-lock.json'),
      runtime: lambda.Runtime.NODEJS_22_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: declaration.memoryMb ?? 1024,
      timeout: Duration.seconds(declaration.timeoutSeconds ?? 10),
      tracing: lambda.Tracing.ACTIVE,
      logGroup,
      loggingFormat: lambda.LoggingFormat.JSON,
      environment: {
        NODE_OPTIONS: '--enable-source-maps',
        POWERTOOLS_SERVICE_NAME: `joinup-${props.config.ics}-${props.name}`,
        POWERTOOLS_LOG_LEVEL: 'INFO',
      },
      bundling: {
        format: OutputFormat.ESM,
        target: bundleSettings.target,
        minify: bundleSettings.minify,
        sourceMap: bundleSettings.sourcemap,
        mainFields: [...bundleSettings.mainFields],
        externalModules: [], // the AWS SDK is bundled: loading it from the runtime is slower
        banner: bundleSettings.banner,
        esbuildArgs: {
          '--alias': Object.entries(bundleSettings.alias).map(([module, path]) => `${module}=${path}`),
        },
        define: { ...icsDefine(props.config), ...routesDefine(props.name), ...functionDefine(props.name) },
        metafile: true,
        ...(declaration.assets?.length
          ? {
              commandHooks: {
                beforeBundling: () => [],
                beforeInstall: () => [],
                afterBundling: (inputDir: string, outputDir: string) =>
                  assetCopyCommands(declaration.assets ?? [], inputDir, outputDir),
              },
            }
          : {}),
      },
    })
    acknowledgeFunctionFindings(this)
  }

  /** Grants exactly the declared access to one table (and its indexes), nothing wider. */
  bindTable(name: TableName, table: dynamodb.ITable, access: TableAccess, key: kms.IKey) {
    const declaration = tables[name]
    const indexArns =
      access === 'count'
        ? []
        : ('globalIndexes' in declaration ? declaration.globalIndexes : []).map(
            (index) => `${table.tableArn}/index/${index.indexName}`,
          )
    this.function.addToRolePolicy(
      new iam.PolicyStatement({ actions: TABLE_ACTIONS[access], resources: [table.tableArn, ...indexArns] }),
    )
    this.useKey(key, access !== 'read')
    this.function.addEnvironment(declaration.envVar, table.tableName)
  }

  /** Lets the function use the ICS's data key through the services it calls. */
  useKey(key: kms.IKey, write: boolean) {
    const actions = write ? KEY_ACTIONS.write : KEY_ACTIONS.read
    const statement = new iam.PolicyStatement({ actions, resources: [key.keyArn] })
    this.function.addToRolePolicy(statement)
  }

  /**
   * Grants GetSecretValue on one Secrets Manager secret, named or by ARN, and nothing else.
   * Secrets Manager ends a secret's ARN with a random 6-character suffix, so a name is
   * granted as `<name>-??????`.
   */
  readSecret(secret: string) {
    const stack = Stack.of(this)
    const arn = secret.startsWith('arn:')
      ? secret
      : stack.formatArn({
          service: 'secretsmanager',
          resource: 'secret',
          resourceName: `${secret}-??????`,
          arnFormat: ArnFormat.COLON_RESOURCE_NAME,
        })
    this.function.addToRolePolicy(
      new iam.PolicyStatement({ actions: ['secretsmanager:GetSecretValue'], resources: [arn] }),
    )
  }

  /** Grants PutEvents on the ICS's bus, and nothing else on EventBridge. */
  bindBus(bus: events.IEventBus, key: kms.IKey) {
    this.function.addToRolePolicy(
      new iam.PolicyStatement({ actions: ['events:PutEvents'], resources: [bus.eventBusArn] }),
    )
    this.useKey(key, true)
    this.function.addEnvironment('EVENT_BUS_NAME', bus.eventBusName)
  }
}

/**
 * Shell commands that copy a function's declared assets beside its bundle, each under its
 * path from the repository root (functions/docs/assets.ts reads them from there). Static
 * files, not code: they add nothing to the bundle esbuild builds or to its import time.
 */
export function assetCopyCommands(assets: readonly string[], inputDir: string, outputDir: string): string[] {
  return assets.map(
    (path) =>
      `mkdir -p "${join(outputDir, dirname(path))}" && cp "${join(inputDir, path)}" "${join(outputDir, path)}"`,
  )
}

/** Findings on every function, each with the reason it does not apply or is accepted. */
function acknowledgeFunctionFindings(fn: JoinupFunction) {
  const reasons: Record<string, string> = {
    'AwsSolutions-L1':
      'nodejs22.x is the runtime the bundles are built (target node22) and tested for; DESIGN.md pins it and the toolchain moves to a newer runtime as one change',
    'AwsSolutions-IAM5[Resource::*]':
      'Only xray:PutTraceSegments and xray:PutTelemetryRecords use Resource *: X-Ray supports no resource-level permissions',
    'HIPAA.Security-IAMNoInlinePolicy':
      'Each function has its own role whose inline policy lists exactly its grants and is deleted with it; a managed policy would be a reusable artifact nobody else should attach',
    'HIPAA.Security-LambdaDLQ':
      'Invoked synchronously by API Gateway or by an SQS event source whose queue has a redrive DLQ; a function DLQ only catches asynchronous invocations, which no function here receives',
    'HIPAA.Security-LambdaConcurrency':
      'Concurrency is bounded by API Gateway stage throttling and the per-organisation rate limit; reserved concurrency per function per ICS would carve up the account pool and fail to deploy on accounts with default quotas',
    'HIPAA.Security-LambdaInsideVPC':
      'The functions reach only AWS APIs (DynamoDB, EventBridge) and HTTPS national services, over TLS with IAM; there are no VPC resources to reach and a VPC would add NAT cost and cold-start latency without reducing exposure',
  }
  for (const [id, reason] of Object.entries(reasons)) Validations.of(fn).acknowledge({ id, reason })
}

/** Named KMS actions only (no `kms:ReEncrypt*` or `kms:GenerateDataKey*` wildcards). */
const KEY_ACTIONS = {
  read: ['kms:Decrypt', 'kms:DescribeKey'],
  write: ['kms:Decrypt', 'kms:DescribeKey', 'kms:Encrypt', 'kms:GenerateDataKey'],
}

function retentionOf(days: number): logs.RetentionDays {
  const allowed = Object.values(logs.RetentionDays).filter(
    (value): value is number => typeof value === 'number',
  )
  const fit = allowed.filter((value) => value >= days).sort((a, b) => a - b)[0]
  return (fit ?? logs.RetentionDays.INFINITE) as logs.RetentionDays
}
