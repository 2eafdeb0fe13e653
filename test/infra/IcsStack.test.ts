import { Match, type Template } from 'aws-cdk-lib/assertions'
import { describe, expect, it } from 'vitest'
import { deployedTables } from '../../infra/capabilities'
import { eventRules } from '../../infra/event-rules'
import {
  type FunctionDeclaration,
  type FunctionName,
  functions,
  type TableAccess,
} from '../../infra/functions'
import { gatewayResponses } from '../../infra/gateway-responses'
import { gatewayMethods } from '../../infra/http-surface'
import { icsNames, loadIcsConfig } from '../../infra/ics-configs'
import { routes } from '../../infra/routes'
import { type TableDeclaration, type TableName, tables } from '../../infra/tables'
import { OperationOutcome, SPINE_ERROR_SYSTEM } from '../../schemas/fhir/OperationOutcome'
import { IcsConfig } from '../../schemas/ics-config'
import { synthesise, templateFor } from './synth'

// What a security reviewer signs off (STYLE.md 8): encryption, recovery, retention, least
// privilege, logging without patient data, failure sinks. Each assertion iterates the
// declarations in infra/ (tables, functions, routes, gateway responses) or every resource of
// a type, so a new table, function or queue is covered without touching this file.

/** DynamoDB actions each declared access level grants (infra/functions.ts, TableAccess). */
const READ_ACTIONS = ['dynamodb:BatchGetItem', 'dynamodb:GetItem', 'dynamodb:Query']
const ACTIONS_FOR: Record<TableAccess, string[]> = {
  read: READ_ACTIONS,
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

/** X-Ray has no resource-level permissions: the only actions a role may hold on Resource "*". */
const XRAY_ACTIONS = ['xray:PutTelemetryRecords', 'xray:PutTraceSegments']

const WAF_ACL_ARN = 'arn:aws:wafv2:eu-west-2:123456789012:regional/webacl/joinup-shared/0f1e2d3c'

describe('IcsStack', () => {
  describe.each(icsNames())('built from infra/ics/%s.json', (ics) => {
    const config = loadIcsConfig(ics)
    const template = templateFor(ics)
    const dataKeyArn = arnOf(logicalIdAt(template, 'AWS::KMS::Key', '/Platform/DataKey/Resource'))

    describe('data key', () => {
      it('rotates every KMS key and keeps it when the stack is deleted', () => {
        const keys = resourcesOf(template, 'AWS::KMS::Key')
        expect(keys.length).toBeGreaterThan(0)
        for (const [id, key] of keys) {
          expect(key.Properties?.EnableKeyRotation, id).toBe(true)
          expect(key.DeletionPolicy, id).toBe('Retain')
        }
      })
    })

    describe('tables', () => {
      const created = resourcesOf(template, 'AWS::DynamoDB::Table')

      // Finding 7 of issue 15: a declared table nothing uses (idempotencyKeys) was created anyway.
      it('creates exactly the declared tables its deployed functions use, and no other', () => {
        const declared = deployedTables(config.capabilities).map((name) => tableLogicalId(template, name))
        expect(created.map(([id]) => id).sort()).toEqual(declared.sort())
      })

      it('bills every table on demand', () => {
        for (const [id, table] of created) expect(table.Properties?.BillingMode, id).toBe('PAY_PER_REQUEST')
      })

      it('keeps point-in-time recovery on for every table', () => {
        for (const [id, table] of created) {
          expect(table.Properties?.PointInTimeRecoverySpecification, id).toEqual({
            PointInTimeRecoveryEnabled: true,
          })
        }
      })

      it('encrypts every table with the ICS data key', () => {
        for (const [id, table] of created) {
          const sse = table.Properties?.SSESpecification as Record<string, unknown> | undefined
          expect(sse, id).toMatchObject({ SSEEnabled: true, SSEType: 'KMS' })
          expect(render(sse?.KMSMasterKeyId), id).toBe(dataKeyArn)
        }
      })

      it('protects every table from deletion and retains it on replacement', () => {
        for (const [id, table] of created) {
          expect(table.Properties?.DeletionProtectionEnabled, id).toBe(true)
          expect(table.DeletionPolicy, id).toBe('Retain')
          expect(table.UpdateReplacePolicy, id).toBe('Retain')
        }
      })

      it.each(deployedTables(config.capabilities))(
        'gives %s the key schema and indexes it declares',
        (name) => {
          // Prepare
          const declaration: TableDeclaration = tables[name]
          const table = resource(template, tableLogicalId(template, name)).Properties ?? {}
          const declaredIndexes = declaration.globalIndexes ?? []
          const keyAttributes = [
            declaration.partitionKey,
            ...(declaration.sortKey ? [declaration.sortKey] : []),
            ...declaredIndexes.flatMap((index) => [
              index.partitionKey,
              ...(index.sortKey ? [index.sortKey] : []),
            ]),
          ]

          // Assess
          expect(table.KeySchema).toEqual(keySchemaOf(declaration))
          expect(sortBy(list(table.GlobalSecondaryIndexes as GlobalIndex[]), 'IndexName')).toEqual(
            sortBy(
              declaredIndexes.map((index) => ({
                IndexName: index.indexName,
                KeySchema: keySchemaOf(index),
                Projection: expect.anything(),
              })),
              'IndexName',
            ),
          )
          expect(table.LocalSecondaryIndexes).toBeUndefined()
          expect(sortBy(list(table.AttributeDefinitions as AttributeDefinition[]), 'AttributeName')).toEqual(
            sortBy(
              [...new Map(keyAttributes.map((key) => [key.name, key.type]))].map(([name, type]) => ({
                AttributeName: name,
                AttributeType: type,
              })),
              'AttributeName',
            ),
          )
        },
      )

      it.each(deployedTables(config.capabilities))(
        'expires %s items by TTL only if it declares a TTL',
        (name) => {
          // The audit trail must never expire; counters and request keys must.
          const declaration: TableDeclaration = tables[name]
          const ttl = resource(template, tableLogicalId(template, name)).Properties?.TimeToLiveSpecification
          if (declaration.timeToLiveAttribute) {
            expect(ttl).toEqual({ AttributeName: declaration.timeToLiveAttribute, Enabled: true })
          } else {
            expect(ttl).toBeUndefined()
          }
        },
      )

      it('backs up every table that holds records with AWS Backup, in a vault under the data key', () => {
        // Prepare
        const kept = deployedTables(config.capabilities).filter(
          (name) => !(tables[name] as TableDeclaration).ephemeral,
        )
        const selections = resourcesOf(template, 'AWS::Backup::BackupSelection')
        const backedUp = selections.flatMap(([, selection]) =>
          list(
            (selection.Properties?.BackupSelection as { Resources?: unknown[] } | undefined)?.Resources,
          ).map(render),
        )

        // Assess
        for (const name of kept) expect(backedUp, name).toContain(arnOf(tableLogicalId(template, name)))
        for (const [id, vault] of resourcesOf(template, 'AWS::Backup::BackupVault')) {
          expect(render(vault.Properties?.EncryptionKeyArn), id).toBe(dataKeyArn)
          expect(vault.DeletionPolicy, id).toBe('Retain')
        }
      })
    })

    describe('events', () => {
      it('has one event bus, encrypted with the data key', () => {
        const buses = resourcesOf(template, 'AWS::Events::EventBus')
        expect(buses).toHaveLength(1)
        expect(render(buses[0]?.[1].Properties?.KmsKeyIdentifier)).toBe(dataKeyArn)
      })

      it('dead-letters events the bus cannot encrypt or decrypt to a queue', () => {
        // AWS strongly recommends a DLQ on a bus under a customer managed key: without one, an event
        // that meets a KMS error is dropped (STYLE.md 4, DESIGN.md: nothing is dropped silently).
        const [, bus] = resourcesOf(template, 'AWS::Events::EventBus')[0] ?? []
        const deadLetterConfig = bus?.Properties?.DeadLetterConfig as { Arn?: unknown } | undefined
        const queueId = render(deadLetterConfig?.Arn).replace(/^\$\{(.+)\.Arn\}$/, '$1')
        expect(resource(template, queueId).Type).toBe('AWS::SQS::Queue')
      })

      it('archives the bus for replay, encrypted with the data key', () => {
        // Prepare
        const [busId, bus] = resourcesOf(template, 'AWS::Events::EventBus')[0] ?? []
        // The archive may name the bus by its Arn attribute or by its ARN spelled out.
        const isTheBus = (arn: string) =>
          arn === arnOf(busId) || arn.endsWith(`:event-bus/${bus?.Properties?.Name}`)
        const archives = resourcesOf(template, 'AWS::Events::Archive').filter(([, archive]) =>
          isTheBus(render(archive.Properties?.SourceArn)),
        )

        // Assess: the archive keeps every event (patient data) for a year, so the data key must cover it.
        expect(archives).toHaveLength(1)
        expect(render(archives[0]?.[1].Properties?.KmsKeyIdentifier)).toBe(dataKeyArn)
      })

      it('gives every rule target a dead-letter queue, retries and a maximum event age', () => {
        for (const [id, rule] of resourcesOf(template, 'AWS::Events::Rule')) {
          for (const target of list(rule.Properties?.Targets as Record<string, unknown>[])) {
            expect(target.DeadLetterConfig, id).toMatchObject({ Arn: expect.anything() })
            expect(target.RetryPolicy, id).toMatchObject({
              MaximumRetryAttempts: expect.any(Number),
              MaximumEventAgeInSeconds: expect.any(Number),
            })
          }
        }
      })

      it('feeds the message deliverer from a queue that dead-letters after the declared attempts', () => {
        // Prepare
        const deliverer = functionLogicalId(template, 'messageDeliverer')!
        const rule = eventRules.find((candidate) => candidate.name === 'DeliverMessages')!
        // Act
        const mapping = resourcesOf(template, 'AWS::Lambda::EventSourceMapping').find(([, candidate]) =>
          JSON.stringify(candidate.Properties?.FunctionName).includes(deliverer),
        )
        const queue = resourcesOf(template, 'AWS::SQS::Queue').find(([id]) =>
          id.includes('DeliverMessagesQueue'),
        )
        // Assess
        expect(mapping).toBeDefined()
        expect(queue?.[1].Properties?.RedrivePolicy).toMatchObject({
          maxReceiveCount: rule.delivery.maxReceiveCount,
        })
        // It POSTs to subscribers and records their state: no bus, no secret, no other table.
        expect(grantedActions(template, roleOf(template, deliverer), 'events')).toEqual({})
        expect(grantedActions(template, roleOf(template, deliverer), 'secretsmanager')).toEqual({})
      })

      it('lets every queue-fed function report partial batch failures', () => {
        for (const [id, mapping] of resourcesOf(template, 'AWS::Lambda::EventSourceMapping')) {
          expect(mapping.Properties?.FunctionResponseTypes, id).toEqual(['ReportBatchItemFailures'])
        }
      })
    })

    describe('tables over TLS', () => {
      it('denies every request to every table that is not made over TLS', () => {
        for (const [id, table] of resourcesOf(template, 'AWS::DynamoDB::Table')) {
          const statements = list(
            (table.Properties?.ResourcePolicy as { PolicyDocument?: { Statement?: unknown } })?.PolicyDocument
              ?.Statement,
          ) as {
            Effect?: string
            Principal?: unknown
            Condition?: { Bool?: Record<string, unknown> }
          }[]
          const tlsOnly = statements.some(
            (statement) =>
              statement.Effect === 'Deny' &&
              JSON.stringify(statement.Principal).includes('*') &&
              String(statement.Condition?.Bool?.['aws:SecureTransport']) === 'false',
          )
          expect(tlsOnly, id).toBe(true)
        }
      })
    })

    describe('queues and topics', () => {
      it('encrypts every SQS queue with the data key and accepts TLS only', () => {
        for (const [id, queue] of resourcesOf(template, 'AWS::SQS::Queue')) {
          expect(render(queue.Properties?.KmsMasterKeyId), id).toBe(dataKeyArn)
          expect(deniesInsecureTransport(template, 'AWS::SQS::QueuePolicy', 'Queues', id), id).toBe(true)
        }
      })

      it('gives every SQS queue a dead-letter queue, unless it is one', () => {
        const deadLetterArns = deadLetterTargets(template)
        for (const [id, queue] of resourcesOf(template, 'AWS::SQS::Queue')) {
          const isDeadLetterQueue = deadLetterArns.includes(arnOf(id))
          expect(isDeadLetterQueue || queue.Properties?.RedrivePolicy !== undefined, id).toBe(true)
        }
      })

      it('encrypts every SNS topic with the data key and accepts TLS only', () => {
        const topics = resourcesOf(template, 'AWS::SNS::Topic')
        expect(topics.length).toBeGreaterThan(0)
        for (const [id, topic] of topics) {
          expect(render(topic.Properties?.KmsMasterKeyId), id).toBe(dataKeyArn)
          expect(deniesInsecureTransport(template, 'AWS::SNS::TopicPolicy', 'Topics', id), id).toBe(true)
        }
      })
    })

    describe('functions', () => {
      const deployed = resourcesOf(template, 'AWS::Lambda::Function')

      it('deploys only functions declared in infra/functions.ts', () => {
        const declared = (Object.keys(functions) as FunctionName[])
          .map((name) => functionLogicalId(template, name))
          .filter((id) => id !== undefined)
        expect(deployed.map(([id]) => id).sort()).toEqual(declared.sort())
      })

      it('runs every function on nodejs22.x and arm64 with X-Ray tracing active', () => {
        expect(deployed.length).toBeGreaterThan(0)
        for (const [id, fn] of deployed) {
          expect(fn.Properties, id).toMatchObject({
            Runtime: 'nodejs22.x',
            Architectures: ['arm64'],
            TracingConfig: { Mode: 'Active' },
          })
        }
      })

      it('logs every function to a log group of its own, under the data key, kept as the ICS configures', () => {
        // Prepare
        const logGroupIds = deployed.map(([, fn]) => {
          const loggingConfig = fn.Properties?.LoggingConfig as { LogGroup?: unknown } | undefined
          return render(loggingConfig?.LogGroup).replace(/^\$\{(.+)\}$/, '$1')
        })

        // Assess
        expect(new Set(logGroupIds).size).toBe(deployed.length)
        for (const id of logGroupIds) {
          const logGroup = resource(template, id)
          expect(logGroup.Type, id).toBe('AWS::Logs::LogGroup')
          expect(render(logGroup.Properties?.KmsKeyId), id).toBe(dataKeyArn)
          expect(logGroup.Properties?.RetentionInDays, id).toBeGreaterThanOrEqual(
            config.operations.logRetentionDays,
          )
        }
      })

      it('attaches AWSLambdaBasicExecutionRole to no role (its logs:* spans every log group)', () => {
        for (const [id, role] of resourcesOf(template, 'AWS::IAM::Role')) {
          expect(list(role.Properties?.ManagedPolicyArns).map(render).join(' '), id).not.toMatch(
            /AWSLambdaBasicExecutionRole/,
          )
        }
      })

      it('gives every function a role of its own', () => {
        const roles = deployed.map(([, fn]) => render(fn.Properties?.Role))
        expect(new Set(roles).size).toBe(deployed.length)
      })

      it('lets only API Gateway invoke a function, and only from this API (a scheduled one: its schedule rule too)', () => {
        const apiId = logicalIdAt(template, 'AWS::ApiGateway::RestApi', '/Platform/Api/Resource')
        const scheduled = (Object.entries(functions) as [FunctionName, FunctionDeclaration][])
          .filter(([, declaration]) => declaration.schedule)
          .map(([name]) => name)
        for (const [id, permission] of resourcesOf(template, 'AWS::Lambda::Permission')) {
          if (permission.Properties?.Principal === 'events.amazonaws.com') {
            // Only a declared scheduled function, only from its own schedule rule.
            const name = scheduled.find((candidate) => id.includes(`${candidate}Schedule`))
            expect(name, id).toBeDefined()
            expect(render(permission.Properties?.FunctionName), id).toContain(
              functionLogicalId(template, name!),
            )
            const rule = resourcesOf(template, 'AWS::Events::Rule').find(([ruleId]) =>
              ruleId.includes(`${name}Schedule`),
            )
            expect(render(permission.Properties?.SourceArn), id).toContain(rule![0])
            continue
          }
          expect(permission.Properties?.Principal, id).toBe('apigateway.amazonaws.com')
          expect(render(permission.Properties?.SourceArn), id).toContain(`:\${${apiId}}/`)
        }
      })
    })

    describe('least privilege', () => {
      for (const [name, declaration] of Object.entries(functions) as [FunctionName, FunctionDeclaration][]) {
        const functionId = functionLogicalId(template, name)
        // A declared function whose capability construct is not composed yet shows as skipped.
        it.skipIf(functionId === undefined)(
          `grants ${name} exactly its declared table access and nothing on any other table`,
          () => {
            // Prepare
            const expected: Record<string, string[]> = {}
            for (const [table, access] of Object.entries(declaration.tables) as [TableName, TableAccess][]) {
              expected[table] = [...ACTIONS_FOR[access]].sort()
              if (access === 'count') continue
              for (const index of (tables[table] as TableDeclaration).globalIndexes ?? []) {
                expected[`${table}/index/${index.indexName}`] = [...ACTIONS_FOR[access]].sort()
              }
            }

            // Act
            const granted = grantedActions(template, roleOf(template, functionId!), 'dynamodb')

            // Assess
            expect(granted).toEqual(expected)
          },
        )

        it.skipIf(functionId === undefined)(
          `lets ${name} ${declaration.publishesEvents ? 'put events on the ICS bus only' : 'do nothing on EventBridge'}`,
          () => {
            const busId = logicalIdAt(template, 'AWS::Events::EventBus', '/Platform/Bus/Resource')
            const granted = grantedActions(template, roleOf(template, functionId!), 'events')
            expect(granted).toEqual(
              declaration.publishesEvents ? { [arnOf(busId)]: ['events:PutEvents'] } : {},
            )
          },
        )
      }

      it('lets no role update or delete audit records (the trail is append-only)', () => {
        const auditArn = arnOf(tableLogicalId(template, 'audit'))
        const onAudit = identityStatements(template)
          .filter(({ statement }) => statement.Effect === 'Allow')
          .filter(({ statement }) => list(statement.Resource).some((r) => render(r).startsWith(auditArn)))
          .flatMap(({ statement }) => list(statement.Action))
        expect(onAudit).not.toContainEqual(
          expect.stringMatching(/^dynamodb:(UpdateItem|DeleteItem|BatchWriteItem|PartiQL.*|\*)$/),
        )
      })

      it('lets no role delete a slot or an appointment (they change by conditional updates only)', () => {
        const appointmentsArn = arnOf(tableLogicalId(template, 'appointments'))
        const onAppointments = identityStatements(template)
          .filter(({ statement }) => statement.Effect === 'Allow')
          .filter(({ statement }) =>
            list(statement.Resource).some((r) => render(r).startsWith(appointmentsArn)),
          )
          .flatMap(({ statement }) => list(statement.Action))
        expect(onAppointments).toContain('dynamodb:UpdateItem')
        expect(onAppointments).not.toContainEqual(
          expect.stringMatching(/^dynamodb:(DeleteItem|BatchWriteItem|PartiQL.*|\*)$/),
        )
      })

      it('allows no wildcard action (* or service:*) in any policy', () => {
        // Prepare
        const wildcards = allPolicyStatements(template)
          .filter(({ statement }) => statement.Effect === 'Allow')
          .filter(({ statement }) =>
            list(statement.Action).some((action) => /^([a-z0-9-]+:)?\*$/i.test(action)),
          )
          // The key policy's account statement hands key administration to IAM policies, as every
          // KMS key's default policy does; without it the key cannot be managed.
          .filter(({ type, statement }) => !(type === 'AWS::KMS::Key' && isAccountRoot(statement.Principal)))

        // Assess
        expect(wildcards.map(({ id, statement }) => ({ id, ...statement }))).toEqual([])
      })

      it('names every action a role holds in full, without wildcards', () => {
        const actions = identityStatements(template).flatMap(({ statement }) => list(statement.Action))
        expect(actions.filter((action) => action.includes('*'))).toEqual([])
      })

      it('uses Resource "*" only for the X-Ray actions, which have no resource-level permissions', () => {
        const onAnyResource = identityStatements(template)
          .filter(({ statement }) => statement.Effect === 'Allow')
          .filter(({ statement }) => list(statement.Resource).includes('*'))
        for (const { id, statement } of onAnyResource) {
          expect(list(statement.Action).sort(), id).toEqual(XRAY_ACTIONS)
        }
      })
    })

    describe('REST API', () => {
      const stage = () => resourcesOf(template, 'AWS::ApiGateway::Stage')[0]?.[1].Properties ?? {}

      it('writes access logs that name the resource template, never the path (it carries NHS numbers)', () => {
        // Prepare
        const accessLogs = stage().AccessLogSetting as { DestinationArn?: unknown; Format?: string }
        const destinationId = render(accessLogs.DestinationArn).replace(/^\$\{(.+)\.Arn\}$/, '$1')

        // Assess
        expect(accessLogs.Format).toContain('$context.resourcePath')
        expect(accessLogs.Format).not.toMatch(/\$context\.path/)
        expect(render(resource(template, destinationId).Properties?.KmsKeyId)).toBe(dataKeyArn)
      })

      it('logs executions at ERROR only, without request or response bodies', () => {
        const settings = list(stage().MethodSettings as Record<string, unknown>[])
        expect(settings).toContainEqual(
          expect.objectContaining({
            HttpMethod: '*',
            ResourcePath: '/*',
            LoggingLevel: 'ERROR',
            DataTraceEnabled: false,
          }),
        )
        for (const setting of settings) {
          expect(setting.DataTraceEnabled).not.toBe(true)
          expect(setting.LoggingLevel ?? 'OFF').toMatch(/^(ERROR|OFF)$/)
        }
      })

      it('throttles the stage as the ICS configures', () => {
        template.hasResourceProperties('AWS::ApiGateway::Stage', {
          MethodSettings: Match.arrayWith([
            Match.objectLike({
              HttpMethod: '*',
              ResourcePath: '/*',
              ThrottlingRateLimit: config.operations.apiThrottle.rateLimit,
              ThrottlingBurstLimit: config.operations.apiThrottle.burstLimit,
            }),
          ]),
        })
      })

      it('traces requests with X-Ray', () => {
        template.hasResourceProperties('AWS::ApiGateway::Stage', { TracingEnabled: true })
      })

      it.each(gatewayMethods(routes).map((route) => [`${route.method} ${route.path}`, route] as const))(
        'serves %s with the function infra/routes.ts names (declared, or derived in infra/http-surface.ts)',
        (_, route) => {
          // Prepare
          const functionId = functionLogicalId(template, route.function)

          // Act
          const served = apiMethods(template).filter(
            (method) => method.httpMethod === route.method && method.path === route.path,
          )

          // Assess
          expect(functionId, `${route.function} is deployed`).toBeDefined()
          expect(served).toEqual([
            { httpMethod: route.method, path: route.path, functionId, type: 'AWS_PROXY' },
          ])
        },
      )

      it('serves no method that infra/routes.ts does not declare or derive', () => {
        const declared = gatewayMethods(routes)
          .map((route) => `${route.method} ${route.path}`)
          .sort()
        expect(
          apiMethods(template)
            .map((method) => `${method.httpMethod} ${method.path}`)
            .sort(),
        ).toEqual(declared)
      })

      it.each(gatewayResponses.map((response) => [response.type, response] as const))(
        'answers %s from the gateway with a FHIR OperationOutcome',
        (type, declaration) => {
          // Prepare
          const found = resourcesOf(template, 'AWS::ApiGateway::GatewayResponse').filter(
            ([, response]) => response.Properties?.ResponseType === type,
          )
          const properties = found[0]?.[1].Properties ?? {}
          const body = (properties.ResponseTemplates as Record<string, string>)['application/json'] ?? '{}'

          // Act
          const outcome = OperationOutcome.parse(JSON.parse(body))

          // Assess
          expect(found).toHaveLength(1)
          expect(properties.StatusCode).toBe('status' in declaration ? String(declaration.status) : undefined)
          expect(properties.ResponseParameters).toEqual({
            'gatewayresponse.header.Content-Type': "'application/fhir+json'",
            // The caller's ids come back even when API Gateway answers by itself.
            'gatewayresponse.header.X-Request-ID': 'method.request.header.X-Request-ID',
            'gatewayresponse.header.X-Correlation-ID': 'method.request.header.X-Correlation-ID',
          })
          expect(outcome.issue[0]?.diagnostics).toContain('$context.requestId')
          expect(outcome.issue[0]?.details?.coding[0]).toMatchObject({
            system: SPINE_ERROR_SYSTEM,
            code: declaration.code,
          })
        },
      )
    })

    describe('alarms', () => {
      it('alarms on API 5xx answers to the alarm topic', () => {
        const topicId = logicalIdAt(template, 'AWS::SNS::Topic', '/Platform/Alarms/Resource')
        template.hasResourceProperties('AWS::CloudWatch::Alarm', {
          Namespace: 'AWS/ApiGateway',
          MetricName: '5XXError',
          AlarmActions: [{ Ref: topicId }],
        })
      })
    })
  })

  describe('alarm email', () => {
    it('subscribes the configured address to the alarm topic (example-north)', () => {
      // Prepare
      const config = loadIcsConfig('example-north')
      const template = templateFor('example-north')
      const topicId = logicalIdAt(template, 'AWS::SNS::Topic', '/Platform/Alarms/Resource')

      // Assess
      expect(config.operations.alarmEmail).toBeDefined()
      template.resourceCountIs('AWS::SNS::Subscription', 1)
      template.hasResourceProperties('AWS::SNS::Subscription', {
        Protocol: 'email',
        Endpoint: config.operations.alarmEmail,
        TopicArn: { Ref: topicId },
      })
    })

    it('subscribes nobody when the config sets no address (demo)', () => {
      expect(loadIcsConfig('demo').operations.alarmEmail).toBeUndefined()
      templateFor('demo').resourceCountIs('AWS::SNS::Subscription', 0)
    })
  })

  describe('operations settings', () => {
    // One extra synth: demo with a web ACL and its own throttling.
    const demo = loadIcsConfig('demo')
    const tuned = IcsConfig.parse({
      ...demo,
      operations: {
        ...demo.operations,
        wafWebAclArn: WAF_ACL_ARN,
        apiThrottle: { rateLimit: 25, burstLimit: 50 },
      },
    })
    const template = synthesise(tuned)

    it('associates the configured WAF web ACL with the API stage', () => {
      const stageId = logicalIdAt(
        template,
        'AWS::ApiGateway::Stage',
        '/Platform/Api/DeploymentStage.v1/Resource',
      )
      const apiId = logicalIdAt(template, 'AWS::ApiGateway::RestApi', '/Platform/Api/Resource')
      template.resourceCountIs('AWS::WAFv2::WebACLAssociation', 1)
      const [, association] = resourcesOf(template, 'AWS::WAFv2::WebACLAssociation')[0]!
      expect(association.Properties?.WebACLArn).toBe(WAF_ACL_ARN)
      expect(render(association.Properties?.ResourceArn)).toMatch(
        new RegExp(`/restapis/\\$\\{${apiId}\\}/stages/\\$\\{${stageId}\\}$`),
      )
    })

    it('associates no web ACL when the config names none (demo)', () => {
      templateFor('demo').resourceCountIs('AWS::WAFv2::WebACLAssociation', 0)
    })

    it('takes the stage throttling from the config', () => {
      template.hasResourceProperties('AWS::ApiGateway::Stage', {
        MethodSettings: Match.arrayWith([
          Match.objectLike({
            HttpMethod: '*',
            ResourcePath: '/*',
            ThrottlingRateLimit: 25,
            ThrottlingBurstLimit: 50,
          }),
        ]),
      })
    })
  })
})

// --- Reading the template ----------------------------------------------------------------

interface CfnResource {
  Type: string
  Properties?: Record<string, unknown>
  Metadata?: Record<string, unknown>
  DeletionPolicy?: string
  UpdateReplacePolicy?: string
}

interface PolicyStatement {
  Effect: 'Allow' | 'Deny'
  Action?: string | string[]
  Resource?: unknown
  Principal?: unknown
  Condition?: Record<string, Record<string, unknown>>
}

interface LocatedStatement {
  /** Logical id of the resource that holds the statement. */
  id: string
  type: string
  statement: PolicyStatement
}

interface AttributeDefinition {
  AttributeName: string
  AttributeType: string
}

interface GlobalIndex {
  IndexName: string
}

function resourcesOf(template: Template, type: string): [string, CfnResource][] {
  const { Resources } = template.toJSON() as { Resources: Record<string, CfnResource> }
  return Object.entries(Resources).filter(([, candidate]) => candidate.Type === type)
}

function resource(template: Template, logicalId: string): CfnResource {
  const { Resources } = template.toJSON() as { Resources: Record<string, CfnResource> }
  const found = Resources[logicalId]
  if (!found) throw new Error(`no resource ${logicalId} in the template`)
  return found
}

/** The logical id of the construct whose path ends with `pathSuffix` (path metadata is on, as in `cdk synth`). */
function findLogicalIdAt(template: Template, type: string, pathSuffix: string): string | undefined {
  return resourcesOf(template, type).find(([, candidate]) =>
    String(candidate.Metadata?.['aws:cdk:path']).endsWith(pathSuffix),
  )?.[0]
}

function logicalIdAt(template: Template, type: string, pathSuffix: string): string {
  const id = findLogicalIdAt(template, type, pathSuffix)
  if (!id) throw new Error(`no ${type} at ${pathSuffix}`)
  return id
}

/** The table Platform creates for a declaration in infra/tables.ts. */
function tableLogicalId(template: Template, name: TableName): string {
  return logicalIdAt(template, 'AWS::DynamoDB::Table', `/Platform/${name}Table/Resource`)
}

/** The Lambda function a capability construct made for a declaration in infra/functions.ts, if any. */
function functionLogicalId(template: Template, name: FunctionName): string | undefined {
  return findLogicalIdAt(template, 'AWS::Lambda::Function', `/${name}/Function/Resource`)
}

function roleOf(template: Template, functionId: string): string {
  return render(resource(template, functionId).Properties?.Role).replace(/^\$\{(.+)\.Arn\}$/, '$1')
}

/** A CloudFormation value as one comparable string, e.g. `${PlatformauditTable1234.Arn}/index/byHolder`. */
function render(value: unknown): string {
  if (typeof value === 'string') return value
  if (value && typeof value === 'object') {
    const intrinsic = value as Record<string, unknown>
    if (typeof intrinsic.Ref === 'string') return `\${${intrinsic.Ref}}`
    const getAtt = intrinsic['Fn::GetAtt']
    if (Array.isArray(getAtt)) return `\${${getAtt.join('.')}}`
    const join = intrinsic['Fn::Join']
    if (Array.isArray(join)) {
      const [separator, parts] = join as [string, unknown[]]
      return parts.map(render).join(separator)
    }
  }
  return JSON.stringify(value)
}

function arnOf(logicalId: string | undefined): string {
  return `\${${logicalId}.Arn}`
}

function list<T>(value: T | T[] | undefined): T[] {
  if (value === undefined) return []
  return Array.isArray(value) ? value : [value]
}

function sortBy<T>(items: T[], key: keyof T): T[] {
  return [...items].sort((a, b) => String(a[key]).localeCompare(String(b[key])))
}

function keySchemaOf(declaration: {
  partitionKey: { name: string }
  sortKey?: { name: string }
}): { AttributeName: string; KeyType: string }[] {
  return [
    { AttributeName: declaration.partitionKey.name, KeyType: 'HASH' },
    ...(declaration.sortKey ? [{ AttributeName: declaration.sortKey.name, KeyType: 'RANGE' }] : []),
  ]
}

/** Statements of identity policies: what roles may do. */
function identityStatements(template: Template, roleId?: string): LocatedStatement[] {
  const attached = (properties: Record<string, unknown> | undefined) =>
    roleId === undefined || list(properties?.Roles).some((role) => render(role) === `\${${roleId}}`)
  const fromPolicies = ['AWS::IAM::Policy', 'AWS::IAM::ManagedPolicy'].flatMap((type) =>
    resourcesOf(template, type)
      .filter(([, policy]) => attached(policy.Properties))
      .flatMap(([id, policy]) => statementsOf(id, type, policy.Properties?.PolicyDocument)),
  )
  const inline = resourcesOf(template, 'AWS::IAM::Role')
    .filter(([id]) => roleId === undefined || id === roleId)
    .flatMap(([id, role]) =>
      list(role.Properties?.Policies as { PolicyDocument: unknown }[]).flatMap((policy) =>
        statementsOf(id, 'AWS::IAM::Role', policy.PolicyDocument),
      ),
    )
  return [...fromPolicies, ...inline]
}

/** Every policy statement in the template: identity policies and resource policies (keys, queues, topics, ...). */
function allPolicyStatements(template: Template): LocatedStatement[] {
  const { Resources } = template.toJSON() as { Resources: Record<string, CfnResource> }
  const resourcePolicies = Object.entries(Resources)
    .filter(([, candidate]) => !candidate.Type.startsWith('AWS::IAM::'))
    .flatMap(([id, candidate]) => [
      ...statementsOf(id, candidate.Type, candidate.Properties?.PolicyDocument),
      ...statementsOf(id, candidate.Type, candidate.Properties?.KeyPolicy),
    ])
  return [...identityStatements(template), ...resourcePolicies]
}

function statementsOf(id: string, type: string, document: unknown): LocatedStatement[] {
  const statements = (document as { Statement?: PolicyStatement[] } | undefined)?.Statement
  return list(statements).map((statement) => ({ id, type, statement }))
}

/** The actions of one service a role is allowed, per resource; tables read as their names in infra/tables.ts. */
function grantedActions(template: Template, roleId: string, service: string): Record<string, string[]> {
  const tableNames = new Map(
    (Object.keys(tables) as TableName[]).flatMap((name) => {
      const id = findLogicalIdAt(template, 'AWS::DynamoDB::Table', `/Platform/${name}Table/Resource`)
      return id ? [[arnOf(id), name] as const] : []
    }),
  )
  const granted: Record<string, Set<string>> = {}
  for (const { statement } of identityStatements(template, roleId)) {
    if (statement.Effect !== 'Allow') continue
    const actions = list(statement.Action).filter((action) => action.startsWith(`${service}:`))
    if (actions.length === 0) continue
    for (const target of list(statement.Resource).map(render)) {
      const [, arn = target, suffix = ''] = /^(\$\{[^}]+\.Arn\})(.*)$/.exec(target) ?? []
      const key = `${tableNames.get(arn) ?? arn}${suffix}`
      granted[key] ??= new Set()
      for (const action of actions) granted[key].add(action)
    }
  }
  return Object.fromEntries(Object.entries(granted).map(([key, actions]) => [key, [...actions].sort()]))
}

/** Every ARN the template names as a dead-letter target: queue redrive, bus, rule target and function DLQs. */
function deadLetterTargets(template: Template): string[] {
  const found: string[] = []
  const visit = (value: unknown, key?: string): void => {
    if (Array.isArray(value)) {
      for (const item of value) visit(item)
    } else if (value && typeof value === 'object') {
      const object = value as Record<string, unknown>
      if (key === 'DeadLetterConfig') found.push(render(object.Arn ?? object.TargetArn))
      if (key === 'RedrivePolicy') found.push(render(object.deadLetterTargetArn))
      for (const [childKey, child] of Object.entries(object)) visit(child, childKey)
    }
  }
  visit(template.toJSON())
  return found
}

function isAccountRoot(principal: unknown): boolean {
  const aws = (principal as { AWS?: unknown } | undefined)?.AWS
  return (
    aws !== undefined &&
    /^arn:(aws[a-z-]*|\$\{AWS::Partition\}):iam::(\d{12}|\$\{AWS::AccountId\}):root$/.test(render(aws))
  )
}

/** Whether a resource policy of `type` attached to the resource denies every request not made over TLS. */
function deniesInsecureTransport(
  template: Template,
  type: string,
  listKey: string,
  resourceId: string,
): boolean {
  return resourcesOf(template, type)
    .filter(([, policy]) =>
      list(policy.Properties?.[listKey]).some((target) => render(target) === `\${${resourceId}}`),
    )
    .flatMap(([id, policy]) => statementsOf(id, type, policy.Properties?.PolicyDocument))
    .some(
      ({ statement }) =>
        statement.Effect === 'Deny' &&
        statement.Principal !== undefined &&
        JSON.stringify(statement.Principal).includes('*') &&
        String(statement.Condition?.Bool?.['aws:SecureTransport']) === 'false',
    )
}

interface ApiMethod {
  httpMethod: string
  path: string
  functionId: string | undefined
  type: string | undefined
}

/** Every API Gateway method with its full path and the Lambda function its integration invokes. */
function apiMethods(template: Template): ApiMethod[] {
  const resources = new Map(resourcesOf(template, 'AWS::ApiGateway::Resource'))
  const pathOf = (reference: unknown): string => {
    const rendered = render(reference)
    if (rendered.endsWith('.RootResourceId}')) return ''
    const id = rendered.replace(/^\$\{(.+)\}$/, '$1')
    const apiResource = resources.get(id)
    if (!apiResource) throw new Error(`no API Gateway resource ${id}`)
    return `${pathOf(apiResource.Properties?.ParentId)}/${apiResource.Properties?.PathPart}`
  }
  return resourcesOf(template, 'AWS::ApiGateway::Method').map(([, method]) => {
    const integration = method.Properties?.Integration as { Type?: string; Uri?: unknown } | undefined
    return {
      httpMethod: String(method.Properties?.HttpMethod),
      path: pathOf(method.Properties?.ResourceId) || '/',
      functionId: /\/functions\/\$\{([^.}]+)\.Arn\}\/invocations$/.exec(render(integration?.Uri))?.[1],
      type: integration?.Type,
    }
  })
}
