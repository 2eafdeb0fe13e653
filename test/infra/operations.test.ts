import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { App, Stack } from 'aws-cdk-lib'
import type { Template } from 'aws-cdk-lib/assertions'
import { Template as TemplateOf } from 'aws-cdk-lib/assertions'
import * as lambda from 'aws-cdk-lib/aws-lambda'
import * as sns from 'aws-cdk-lib/aws-sns'
import { describe, expect, it } from 'vitest'
import { bundleSettings, icsDefine } from '../../infra/bundling'
import {
  type CapabilityDeclaration,
  type CapabilityName,
  capabilities,
  capabilityOf,
  deployedFunctions,
  deployedTables,
  enabledCapabilities,
  latencyTargets,
} from '../../infra/capabilities'
import { alarmNamePrefix, dashboardNameOf, Observability } from '../../infra/constructs/Observability'
import { PatientLookup } from '../../infra/constructs/PatientLookup'
import { DEAD_LETTER_TAG, REPLAY_TO_TAG } from '../../infra/dead-letter-tags'
import { eventRules } from '../../infra/event-rules'
import { type FunctionDeclaration, type FunctionName, functions } from '../../infra/functions'
import { IcsStack } from '../../infra/IcsStack'
import { assertDeployable, assertOneAccountRolePerAccount, loadIcsConfig } from '../../infra/ics-configs'
import { domainAlarms } from '../../infra/metric-alarms'
import { domainMetrics, METRIC_NAMESPACE } from '../../infra/metrics'
import { routesOf } from '../../infra/routes'
import { type TableName, tables } from '../../infra/tables'
import { IcsConfig } from '../../schemas/ics-config'
import { synthContext } from './synth'
import {
  type CfnResource,
  findLogicalIdAt,
  importsValues,
  list,
  logicalIdAt,
  type PolicyStatement,
  referencedIds,
  render,
  resource,
  resourcesOf,
  statementsOf,
  synthesiseTogether,
} from './template'

// Issue 15: the deploy-time findings of the template review (each test here fails on the
// template as it was), the alarms and the dashboard every ICS gets, per-capability switches
// and the isolation of two ICSs in one account. Alarms and widgets are asserted from the
// declarations (capabilities, functions, rules, tables, metrics), so a capability that lands
// later is held to the same rules without editing this file.

const demoConfig = loadIcsConfig('demo')
const northConfig = loadIcsConfig('example-north')
// Both ICSs in one app, as `npm run synth` builds them.
const together = synthesiseTogether([demoConfig, northConfig])
const configs = { demo: demoConfig, 'example-north': northConfig } as const

/** Account-unique physical names, by resource type: two ICSs in one account must not share one. */
const PHYSICAL_NAMES: Record<string, string[]> = {
  'AWS::Events::EventBus': ['Name'],
  'AWS::Events::Archive': ['ArchiveName'],
  'AWS::Events::Rule': ['Name'],
  'AWS::ApiGateway::RestApi': ['Name'],
  'AWS::Backup::BackupVault': ['BackupVaultName'],
  'AWS::Backup::BackupPlan': ['BackupPlan.BackupPlanName'],
  'AWS::CloudWatch::Alarm': ['AlarmName'],
  'AWS::CloudWatch::Dashboard': ['DashboardName'],
  'AWS::EventSchemas::Registry': ['RegistryName'],
  'AWS::DynamoDB::Table': ['TableName'],
  'AWS::SQS::Queue': ['QueueName'],
  'AWS::SNS::Topic': ['TopicName'],
  'AWS::Logs::LogGroup': ['LogGroupName'],
  'AWS::IAM::Role': ['RoleName'],
  'AWS::IAM::Policy': [],
  'AWS::Lambda::Function': ['FunctionName'],
  'AWS::KMS::Alias': ['AliasName'],
}

/** Name properties that are scoped inside their parent, or that refer to another resource by name. */
const SCOPED_NAMES = new Set([
  'AWS::Lambda::Permission FunctionName',
  'AWS::Lambda::EventSourceMapping FunctionName',
  'AWS::Events::Rule EventBusName',
  'AWS::ApiGateway::Stage StageName',
  'AWS::ApiGateway::Method OperationName',
  'AWS::EventSchemas::Schema SchemaName',
  'AWS::EventSchemas::Schema RegistryName',
  'AWS::IAM::Policy PolicyName',
  'AWS::CloudWatch::Alarm MetricName',
])

function valueAt(properties: Record<string, unknown> | undefined, path: string): unknown {
  return path
    .split('.')
    .reduce<unknown>((value, key) => (value as Record<string, unknown> | undefined)?.[key], properties)
}

/** Every account-unique name a template sets, as `<type> <property> = <value>`. */
function physicalNames(template: Template): { id: string; type: string; value: string }[] {
  return resourcesOf(template).flatMap(([id, candidate]) =>
    (PHYSICAL_NAMES[candidate.Type] ?? [])
      .map((path) => valueAt(candidate.Properties, path))
      .filter((value) => value !== undefined)
      .map((value) => ({ id, type: candidate.Type, value: render(value) })),
  )
}

function topicId(template: Template): string {
  return logicalIdAt(template, 'AWS::SNS::Topic', '/Platform/Alarms/Resource')
}

function alarms(template: Template): [string, CfnResource][] {
  return resourcesOf(template, 'AWS::CloudWatch::Alarm')
}

/** The alarm named `joinup-<ics>-<suffix>`. */
function alarmNamed(template: Template, ics: string, suffix: string): CfnResource {
  const found = alarms(template).find(
    ([, alarm]) => alarm.Properties?.AlarmName === `${alarmNamePrefix(ics)}${suffix}`,
  )
  if (!found) throw new Error(`no alarm ${alarmNamePrefix(ics)}${suffix}`)
  return found[1]
}

function dimensionsOf(alarm: CfnResource): Record<string, string> {
  return Object.fromEntries(
    list(alarm.Properties?.Dimensions as { Name: string; Value: unknown }[]).map((dimension) => [
      dimension.Name,
      render(dimension.Value),
    ]),
  )
}

/** The functions a template deploys, by their declared name. */
function deployedFunctionNames(template: Template): FunctionName[] {
  return (Object.keys(functions) as FunctionName[]).filter((name) =>
    findLogicalIdAt(template, 'AWS::Lambda::Function', `/${name}/Function/Resource`),
  )
}

interface DashboardWidget {
  type: string
  properties: {
    title?: string
    markdown?: string
    alarms?: string[]
    metrics?: unknown[][]
    annotations?: { horizontal?: { value: number; label?: string }[] }
  }
}

function dashboardWidgets(template: Template): DashboardWidget[] {
  const [, dashboard] = resourcesOf(template, 'AWS::CloudWatch::Dashboard')[0]!
  return (JSON.parse(render(dashboard.Properties?.DashboardBody)) as { widgets: DashboardWidget[] }).widgets
}

describe.each(['demo', 'example-north'] as const)('operations of %s', (ics) => {
  const config = configs[ics]
  const template = together.get(ics)!

  describe('finding 1: alarm notifications reach someone', () => {
    it('lets CloudWatch publish to the alarm topic, for this ICS’s alarms in this account only', () => {
      // Prepare: the topic's policy, which replaces SNS's default one
      const policies = resourcesOf(template, 'AWS::SNS::TopicPolicy').filter(([, policy]) =>
        list(policy.Properties?.Topics).some((topic) => render(topic) === `\${${topicId(template)}}`),
      )
      const statements = policies.flatMap(([, policy]) => statementsOf(policy.Properties?.PolicyDocument))

      // Act
      const allow = statements.find(
        (statement) =>
          statement.Effect === 'Allow' &&
          JSON.stringify(statement.Principal) === JSON.stringify({ Service: 'cloudwatch.amazonaws.com' }),
      )

      // Assess
      expect(allow, 'an Allow for cloudwatch.amazonaws.com').toBeDefined()
      expect(list(allow!.Action)).toEqual(['sns:Publish'])
      expect(render(allow!.Condition?.ArnLike?.['aws:SourceArn'])).toMatch(
        new RegExp(`:cloudwatch:.+:alarm:${alarmNamePrefix(ics)}\\*$`),
      )
      expect(render(allow!.Condition?.StringEquals?.['aws:SourceAccount'])).toBe(`\${AWS::AccountId}`)
    })

    it('names every alarm so that the topic admits it, and sends every alarm to the topic', () => {
      expect(alarms(template).length).toBeGreaterThan(0)
      for (const [id, alarm] of alarms(template)) {
        expect(String(alarm.Properties?.AlarmName), id).toMatch(new RegExp(`^${alarmNamePrefix(ics)}`))
        expect(list(alarm.Properties?.AlarmActions).map(render), id).toEqual([`\${${topicId(template)}}`])
      }
    })

    it('lets CloudWatch use the data key that encrypts the topic', () => {
      const [, key] = resourcesOf(template, 'AWS::KMS::Key')[0]!
      const forCloudWatch = statementsOf(key.Properties?.KeyPolicy).filter((statement) =>
        JSON.stringify(statement.Principal).includes('cloudwatch.amazonaws.com'),
      )
      expect(forCloudWatch.flatMap((statement) => list(statement.Action))).toEqual(
        expect.arrayContaining(['kms:Decrypt', 'kms:GenerateDataKey']),
      )
    })
  })

  describe('finding 2: names unique per ICS and safe to re-create', () => {
    it('puts the ICS id in every account-unique name the stack sets', () => {
      const names = physicalNames(template)
      expect(names.length).toBeGreaterThan(0)
      for (const { id, value } of names) expect(value, id).toContain(ics)
    })

    it('classifies every name property of every resource as account-unique or scoped', () => {
      // A new named resource must be added to one of the two lists, so the rules above cover it.
      const unclassified = resourcesOf(template).flatMap(([id, candidate]) =>
        Object.keys(candidate.Properties ?? {})
          .filter((key) => key.endsWith('Name'))
          .filter((key) => !(PHYSICAL_NAMES[candidate.Type] ?? []).includes(key))
          .filter((key) => !SCOPED_NAMES.has(`${candidate.Type} ${key}`))
          .map((key) => `${id} ${candidate.Type} ${key}`),
      )
      expect(unclassified).toEqual([])
    })

    it('names a retained resource only with its stack’s own id, so a re-created stack cannot collide with it', () => {
      for (const [id, candidate] of resourcesOf(template).filter(([, c]) => c.DeletionPolicy === 'Retain')) {
        for (const path of PHYSICAL_NAMES[candidate.Type] ?? []) {
          const name = valueAt(candidate.Properties, path)
          if (name !== undefined) expect(render(name), `${id} ${path}`).toContain('AWS::StackId')
        }
      }
    })

    it('names the backup vault and plan after the ICS', () => {
      const [, vault] = resourcesOf(template, 'AWS::Backup::BackupVault')[0]!
      const [, plan] = resourcesOf(template, 'AWS::Backup::BackupPlan')[0]!
      expect(render(vault.Properties?.BackupVaultName)).toMatch(new RegExp(`^joinup-${ics}-\\$\\{Select`))
      expect(valueAt(plan.Properties, 'BackupPlan.BackupPlanName')).toBe(`joinup-${ics}-tables`)
    })
  })

  describe('finding 3: API Gateway’s account-level CloudWatch role', () => {
    const accounts = resourcesOf(template, 'AWS::ApiGateway::Account')

    if (config.operations.apiGatewayAccountRole === 'create') {
      it('sets the account role itself (operations.apiGatewayAccountRole "create"), kept if the stack goes', () => {
        // Prepare
        expect(accounts).toHaveLength(1)
        const roleId = render(accounts[0]![1].Properties?.CloudWatchRoleArn).replace(
          /^\$\{(.+)\.Arn\}$/,
          '$1',
        )
        const role = resource(template, roleId)

        // Assess
        expect(role.Type).toBe('AWS::IAM::Role')
        expect(list(role.Properties?.ManagedPolicyArns).map(render).join(' ')).toContain(
          'AmazonAPIGatewayPushToCloudWatchLogs',
        )
        expect(JSON.stringify(role.Properties?.AssumeRolePolicyDocument)).toContain(
          'apigateway.amazonaws.com',
        )
        expect(role.DeletionPolicy).toBe('Retain')
      })

      it('deploys the stage only after the account role is set', () => {
        const [accountId] = accounts[0]!
        const [, stage] = resourcesOf(template, 'AWS::ApiGateway::Stage')[0]!
        expect(list(stage.DependsOn)).toContain(accountId)
      })
    } else {
      it('leaves the account role alone when the config says the account has one', () => {
        expect(config.operations.apiGatewayAccountRole).toBe('existing')
        expect(accounts).toHaveLength(0)
      })
    }
  })

  describe('finding 5: a dead-letter queue per mechanism of replay', () => {
    it.each(eventRules.filter((rule) => deployedFunctions(config.capabilities).includes(rule.consumer)))(
      'gives rule $name and its queue separate dead-letter queues, tagged with how each replays',
      (rule) => {
        // Prepare
        const ruleId = logicalIdAt(template, 'AWS::Events::Rule', `/${rule.name}Rule/Resource`)
        const target = list(resource(template, ruleId).Properties?.Targets as Record<string, unknown>[])[0]!
        const queueId = render(target.Arn).replace(/^\$\{(.+)\.Arn\}$/, '$1')
        const queue = resource(template, queueId)
        const ruleDlqId = render((target.DeadLetterConfig as { Arn: unknown }).Arn).replace(
          /^\$\{(.+)\.Arn\}$/,
          '$1',
        )
        const queueDlqId = render(
          (queue.Properties?.RedrivePolicy as { deadLetterTargetArn?: unknown } | undefined)
            ?.deadLetterTargetArn,
        ).replace(/^\$\{(.+)\.Arn\}$/, '$1')
        const tagsOf = (id: string) =>
          Object.fromEntries(
            list(resource(template, id).Properties?.Tags as { Key: string; Value: unknown }[]).map((tag) => [
              tag.Key,
              render(tag.Value),
            ]),
          )

        // Assess: SQS redrive cannot move what EventBridge put in a DLQ, so they must differ
        expect(ruleDlqId).not.toBe(queueDlqId)
        expect(tagsOf(queueDlqId)[DEAD_LETTER_TAG]).toBe('queue')
        expect(tagsOf(ruleDlqId)[DEAD_LETTER_TAG]).toBe('rule')
        expect(tagsOf(ruleDlqId)[REPLAY_TO_TAG]).toBe(`\${${queueId}}`)
      },
    )

    it('tags the bus’s dead-letter queue for re-publishing', () => {
      const [, bus] = resourcesOf(template, 'AWS::Events::EventBus')[0]!
      const dlqId = render((bus.Properties?.DeadLetterConfig as { Arn?: unknown } | undefined)?.Arn).replace(
        /^\$\{(.+)\.Arn\}$/,
        '$1',
      )
      const tags = list(resource(template, dlqId).Properties?.Tags as { Key: string; Value: string }[])
      expect(tags).toContainEqual({ Key: DEAD_LETTER_TAG, Value: 'bus' })
    })
  })

  describe('finding 6: 5xx answers alarm per function', () => {
    it.each(deployedFunctions(config.capabilities).filter((name) => routesOf(name).length > 0))(
      'alarms on %s answering 5xx, counted by the middleware (its Lambda Errors never sees them)',
      (name) => {
        const alarm = alarmNamed(template, ics, `function-${name}-5xx`)
        expect(alarm.Properties).toMatchObject({
          Namespace: METRIC_NAMESPACE,
          MetricName: 'ServerErrors',
          Statistic: 'Sum',
          Threshold: 1,
          ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        })
        expect(dimensionsOf(alarm)).toEqual({ ics, function: name })
      },
    )
  })

  describe('finding 7: nothing created for nothing, schemas published, backups that run', () => {
    it('creates no table that no deployed function uses (each table only with a function that reads or writes it)', () => {
      const used = deployedTables(config.capabilities)
      for (const name of Object.keys(tables) as TableName[]) {
        const created = findLogicalIdAt(template, 'AWS::DynamoDB::Table', `/Platform/${name}Table/Resource`)
        expect(created !== undefined, name).toBe(used.includes(name))
      }
    })

    it('publishes every exported event schema version to the ICS’s own EventBridge schema registry', () => {
      // Prepare
      const exportDir = join(import.meta.dirname, '..', '..', 'schemas', 'exported')
      const exported = JSON.parse(readFileSync(join(exportDir, 'events', 'registry.json'), 'utf8')) as Record<
        string,
        { versions: Record<string, { schema: string }> }
      >
      const [registryId, registry] = resourcesOf(template, 'AWS::EventSchemas::Registry')[0]!
      const schemas = resourcesOf(template, 'AWS::EventSchemas::Schema')

      // Assess
      expect(registry.Properties?.RegistryName).toBe(`joinup-${ics}-events`)
      const expected = Object.entries(exported).flatMap(([detailType, { versions }]) =>
        Object.entries(versions).map(([major, { schema }]) => ({
          name: `${detailType}.v${major}`,
          detailType,
          schema,
        })),
      )
      expect(schemas.map(([, schema]) => schema.Properties?.SchemaName).sort()).toEqual(
        expected.map(({ name }) => name).sort(),
      )
      for (const { name, detailType, schema } of expected) {
        const [, published] = schemas.find(([, candidate]) => candidate.Properties?.SchemaName === name)!
        const content = JSON.parse(String(published.Properties?.Content)) as {
          $schema: string
          properties: { 'detail-type': { enum: string[] }; detail: Record<string, unknown> }
        }
        const { $schema, title, description, ...detail } = JSON.parse(
          readFileSync(join(exportDir, schema), 'utf8'),
        )
        expect(published.Properties?.Type, name).toBe('JSONSchemaDraft4')
        expect(render(published.Properties?.RegistryName), name).toBe(`\${${registryId}.RegistryName}`)
        expect(content.$schema, name).toBe('http://json-schema.org/draft-04/schema#')
        expect(content.properties['detail-type'].enum, name).toEqual([detailType])
        expect(content.properties.detail, name).toEqual(detail)
        expect([title, description].every(Boolean), name).toBe(true)
      }
    })

    it('keeps monthly backups in warm storage unless the config opts in to cold storage', () => {
      expect(config.operations.backupColdStorage).toBeUndefined()
      const [, plan] = resourcesOf(template, 'AWS::Backup::BackupPlan')[0]!
      const rules = valueAt(plan.Properties, 'BackupPlan.BackupPlanRule') as {
        Lifecycle?: Record<string, unknown>
      }[]
      expect(rules.map((rule) => rule.Lifecycle?.DeleteAfterDays)).toEqual([35, 90, 1825])
      for (const rule of rules) expect(rule.Lifecycle?.MoveToColdStorageAfterDays).toBeUndefined()
    })
  })

  describe('alarms', () => {
    const deployed = deployedFunctionNames(template)

    it('deploys the functions of the enabled capabilities', () => {
      expect(deployed.sort()).toEqual([...deployedFunctions(config.capabilities)].sort())
    })

    it.each(deployedFunctions(config.capabilities))('alarms on %s failing or being throttled', (name) => {
      const functionId = logicalIdAt(template, 'AWS::Lambda::Function', `/${name}/Function/Resource`)
      for (const [suffix, metricName] of [
        ['errors', 'Errors'],
        ['throttles', 'Throttles'],
      ] as const) {
        const alarm = alarmNamed(template, ics, `function-${name}-${suffix}`)
        expect(alarm.Properties).toMatchObject({
          Namespace: 'AWS/Lambda',
          MetricName: metricName,
          Threshold: 1,
        })
        expect(dimensionsOf(alarm)).toEqual({ FunctionName: `\${${functionId}}` })
      }
    })

    it.each(enabledCapabilities(config.capabilities).filter((name) => latencyTargets[name]))(
      'alarms when the p99 latency of %s stays above its target',
      (capability) => {
        const alarm = alarmNamed(template, ics, `capability-${capability}-p99`)
        expect(alarm.Properties).toMatchObject({
          Namespace: METRIC_NAMESPACE,
          MetricName: 'Latency',
          ExtendedStatistic: 'p99',
          Threshold: latencyTargets[capability]!.shallMs,
          ComparisonOperator: 'GreaterThanThreshold',
        })
        expect(dimensionsOf(alarm)).toEqual({ ics, capability })
      },
    )

    it('alarms on any message in any dead-letter queue', () => {
      // Every queue named as a dead-letter target anywhere in the template.
      const deadLetterQueues = resourcesOf(template, 'AWS::SQS::Queue')
        .filter(([id]) =>
          list(resource(template, id).Properties?.Tags as { Key: string }[]).some(
            (tag) => tag.Key === DEAD_LETTER_TAG,
          ),
        )
        .map(([id]) => id)
      expect(deadLetterQueues.length).toBe(
        1 + 2 * eventRules.filter((rule) => deployed.includes(rule.consumer)).length,
      )
      for (const queueId of deadLetterQueues) {
        const alarm = alarms(template).find(
          ([, candidate]) =>
            candidate.Properties?.MetricName === 'ApproximateNumberOfMessagesVisible' &&
            dimensionsOf(candidate).QueueName === `\${${queueId}.QueueName}`,
        )
        expect(alarm?.[1].Properties, queueId).toMatchObject({ Threshold: 1, Statistic: 'Maximum' })
      }
    })

    it('alarms when a consumer queue’s oldest message is older than the ICS allows', () => {
      for (const rule of eventRules.filter((candidate) => deployed.includes(candidate.consumer))) {
        const queueId = logicalIdAt(template, 'AWS::SQS::Queue', `/${rule.name}Queue/Resource`)
        const alarm = alarmNamed(template, ics, `queue-${rule.name}-age`)
        expect(alarm.Properties).toMatchObject({
          MetricName: 'ApproximateAgeOfOldestMessage',
          Threshold: config.operations.alarms?.queueAgeSeconds ?? 300,
        })
        expect(dimensionsOf(alarm)).toEqual({ QueueName: `\${${queueId}.QueueName}` })
      }
    })

    it.each(deployedTables(config.capabilities))(
      'alarms on DynamoDB system errors and throttles of %s',
      (name) => {
        const tableId = logicalIdAt(template, 'AWS::DynamoDB::Table', `/Platform/${name}Table/Resource`)
        for (const suffix of ['system-errors', 'throttles']) {
          const alarm = alarmNamed(template, ics, `table-${name}-${suffix}`)
          const metricNames = list(
            alarm.Properties?.Metrics as {
              MetricStat?: { Metric: { MetricName: string; Dimensions: { Value: unknown }[] } }
            }[],
          ).flatMap((query) => (query.MetricStat ? [query.MetricStat.Metric] : []))
          expect(metricNames.length, suffix).toBeGreaterThan(0)
          for (const metric of metricNames) {
            expect(
              metric.Dimensions.map((dimension) => render(dimension.Value)),
              suffix,
            ).toContain(`\${${tableId}}`)
          }
          expect(metricNames.map((metric) => metric.MetricName).join(' '), suffix).toMatch(
            suffix === 'throttles' ? /ReadThrottleEvents.*WriteThrottleEvents/ : /SystemErrors/,
          )
        }
      },
    )

    it('alarms when the share of 5xx answers of the API passes the configured rate', () => {
      const alarm = alarmNamed(template, ics, 'api-5xx-rate')
      expect(alarm.Properties).toMatchObject({
        Namespace: 'AWS/ApiGateway',
        MetricName: '5XXError',
        Statistic: 'Average',
        Threshold: (config.operations.alarms?.serverErrorRatePercent ?? 1) / 100,
      })
    })

    it('alarms on each domain metric declared with an alarm, for the capabilities deployed', () => {
      const expected = Object.entries(domainMetrics).filter(
        ([name, declaration]) =>
          name in domainAlarms &&
          enabledCapabilities(config.capabilities).includes(declaration.capability as CapabilityName),
      )
      expect(expected.length).toBeGreaterThan(0)
      for (const [metricName, declaration] of expected) {
        // A per-member alarm (a holder, a subscriber) is one alarm per organisation, named after it.
        const perMember = domainAlarms[metricName as keyof typeof domainAlarms]?.perMember
        const suffixes = perMember
          ? (
              config.capabilities?.[declaration.capability]?.consumers ??
              config.members.map((member) => member.ods)
            ).map((ods) => `capability-${declaration.capability}-${metricName}-${ods}`)
          : [`capability-${declaration.capability}-${metricName}`]
        for (const suffix of suffixes) {
          const alarm = alarmNamed(template, ics, suffix)
          expect(alarm.Properties).toMatchObject({ Namespace: METRIC_NAMESPACE, MetricName: metricName })
        }
      }
    })
  })

  describe('dashboard', () => {
    const widgets = dashboardWidgets(template)
    const titles = widgets.map((widget) => widget.properties.title ?? widget.properties.markdown ?? '')

    it('has one dashboard, named after the ICS', () => {
      const dashboards = resourcesOf(template, 'AWS::CloudWatch::Dashboard')
      expect(dashboards).toHaveLength(1)
      expect(dashboards[0]![1].Properties?.DashboardName).toBe(dashboardNameOf(ics))
    })

    it('shows the state of every alarm', () => {
      const status = widgets.find((widget) => widget.type === 'alarm')
      expect(status?.properties.alarms?.sort()).toEqual(
        alarms(template)
          .map(([id]) => `\${${id}.Arn}`)
          .sort(),
      )
    })

    it.each(enabledCapabilities(config.capabilities))(
      'shows %s: requests by status class and latency against its target',
      (capability) => {
        expect(titles).toContain(`${capability}: requests by status class`)
        const latency = widgets.find(
          (widget) => widget.properties.title === `${capability}: latency p50 and p99 (ms)`,
        )
        expect(latency).toBeDefined()
        const target = latencyTargets[capability]
        if (target)
          expect(latency!.properties.annotations?.horizontal?.map((line) => line.value)).toContain(
            target.shallMs,
          )
      },
    )

    it.each(deployedFunctions(config.capabilities))('shows the errors, throttles and 5xx of %s', (name) => {
      expect(titles).toContain(`${name}: errors, throttles, 5xx`)
    })

    it('shows the depth of every dead-letter queue and the age of every consumer queue', () => {
      const depth = widgets.find((widget) =>
        widget.properties.title?.startsWith('Messages in dead-letter queues'),
      )
      const age = widgets.find((widget) => widget.properties.title?.startsWith('Age of oldest message'))
      const consumers = eventRules.filter((rule) =>
        deployedFunctions(config.capabilities).includes(rule.consumer),
      )
      // The bus's, two per consumer rule (its queue's and its rule's), one per scheduled function's rule.
      const scheduled = deployedFunctions(config.capabilities).filter(
        (name) => (functions[name] as FunctionDeclaration).schedule,
      )
      expect(depth?.properties.metrics).toHaveLength(1 + 2 * consumers.length + scheduled.length)
      expect(age?.properties.metrics).toHaveLength(consumers.length)
    })

    it.each(deployedTables(config.capabilities))(
      'shows the system errors and throttles of table %s',
      (name) => {
        expect(titles).toContain(`${name} table: system errors and throttles`)
      },
    )
  })

  describe('national PDS key', () => {
    it('lets only the functions that look patients up in PDS read the NHS API platform secret, and only that secret', () => {
      // Prepare: the functions infra/functions.ts declares with looksUpPatients (lookup, record
      // retrieval, the patient index's restricted-patient rule, the audit trail's care relationships)
      const grants = resourcesOf(template, 'AWS::IAM::Policy').flatMap(([, policy]) =>
        statementsOf(policy.Properties?.PolicyDocument)
          .filter((statement) =>
            list(statement.Action).some((action) => action.startsWith('secretsmanager:')),
          )
          .map((statement) => ({ roles: list(policy.Properties?.Roles).map(render), statement })),
      )
      const roleOf = (name: string) =>
        render(
          resource(template, logicalIdAt(template, 'AWS::Lambda::Function', `/${name}/Function/Resource`))
            .Properties?.Role,
        ).replace(/^\$\{(.+)\.Arn\}$/, '$${$1}')
      const lookingUp = deployedFunctions(config.capabilities).filter(
        (name) => (functions[name] as { looksUpPatients?: boolean }).looksUpPatients,
      )

      // Assess
      if (config.pds.source === 'ics-cache') {
        expect(grants).toEqual([])
        return
      }
      expect(lookingUp).toEqual(expect.arrayContaining(['patientLookup', 'recordRetrieval']))
      expect(grants.flatMap((grant) => grant.roles).sort()).toEqual(lookingUp.map(roleOf).sort())
      for (const grant of grants) {
        expect(list(grant.statement.Action)).toEqual(['secretsmanager:GetSecretValue'])
        expect(list(grant.statement.Resource).map(render)).toEqual([
          expect.stringMatching(new RegExp(`:secret:${config.pds.auth.secret}-\\?{6}$`)),
        ])
      }
    })
  })
})

describe('capability switches', () => {
  // One extra synth: demo with PDS lookup switched off (and record retrieval, which reads the
  // ICS's PDS copy and shares the Patient path) and the patient index limited.
  const limited = IcsConfig.parse({
    ...demoConfig,
    operations: { ...demoConfig.operations, backupColdStorage: true },
    capabilities: {
      patientLookup: { enabled: false },
      records: { enabled: false },
      patientIndex: { consumers: ['NX001', 'RX9'], providers: ['RX9'] },
      // Off too: its GP Connect compartment search (GET /Patient/{nhs}/Appointment) would keep a Patient path.
      appointments: { enabled: false },
      messages: { enabled: false },
    },
  })
  const app = new App({ context: synthContext(), builtinCloudFormationValidation: false })
  const stack = new IcsStack(app, 'Joinup-demo', { config: limited, env: { region: limited.region } })
  // Composing a switched-off capability anyway is refused, not silently deployed.
  const composeAnyway = () => new PatientLookup(stack, 'PatientLookupAnyway', stack.platform)
  let refusal: unknown
  try {
    composeAnyway()
  } catch (error) {
    refusal = error
  }
  const template = TemplateOf.fromStack(stack)

  it('synthesises nothing of a capability switched off for the whole ICS', () => {
    // Assess: no function, route, table, alarm or widget of PDS lookup
    expect(deployedFunctionNames(template)).not.toContain('patientLookup')
    const paths = resourcesOf(template, 'AWS::ApiGateway::Resource').map(([, r]) => r.Properties?.PathPart)
    expect(paths).not.toContain('Patient')
    // The ICS's PDS copy stays: the patient index and the audit trail look patients up for
    // the restricted-patient and care-relationship rules (looksUpPatients), whether or not
    // partners may call PDS lookup themselves. Which tables exist follows the deployed
    // functions exactly (finding 7).
    expect(
      deployedFunctions(limited.capabilities).filter((name) => 'patients' in functions[name].tables),
    ).toEqual(expect.arrayContaining(['patientIndexApi', 'auditApi']))
    const alarmNames = alarms(template).map(([, alarm]) => String(alarm.Properties?.AlarmName))
    expect(alarmNames.filter((name) => /patientLookup/.test(name))).toEqual([])
    expect(
      dashboardWidgets(template)
        .map((widget) => widget.properties.title ?? '')
        .join('\n'),
    ).not.toMatch(/patientLookup/)
    // Appointments, switched off as well: no function, route or table of theirs
    expect(deployedFunctionNames(template)).not.toContain('appointments')
    expect(paths).not.toContain('Slot')
    expect(
      findLogicalIdAt(template, 'AWS::DynamoDB::Table', '/Platform/appointmentsTable/Resource'),
    ).toBeUndefined()
    // Messages, switched off: no function, route, rule or table of theirs
    expect(deployedFunctionNames(template)).not.toContain('messageDeliverer')
    expect(paths).not.toContain('Subscription')
    expect(
      findLogicalIdAt(template, 'AWS::DynamoDB::Table', '/Platform/messagesTable/Resource'),
    ).toBeUndefined()
  })

  it('keeps the capabilities left on', () => {
    expect(deployedFunctionNames(template).sort()).toEqual([
      'auditApi',
      'docs',
      'metadata',
      'patientIndexApi',
      'patientIndexUpdater',
    ])
  })

  it('refuses to compose a switched-off capability’s construct', () => {
    expect(String(refusal)).toMatch(/switches patientLookup off/)
  })

  it('moves monthly backups to cold storage when the account has advanced backup (opt-in)', () => {
    const [, plan] = resourcesOf(template, 'AWS::Backup::BackupPlan')[0]!
    const rules = valueAt(plan.Properties, 'BackupPlan.BackupPlanRule') as {
      RuleName: string
      Lifecycle?: Record<string, unknown>
    }[]
    expect(
      rules.find((rule) => rule.RuleName === 'Monthly5Year')?.Lifecycle?.MoveToColdStorageAfterDays,
    ).toBe(90)
  })

  it('compiles the per-organisation switches into the functions (the middleware enforces them)', () => {
    const compiled = JSON.parse(JSON.parse(icsDefine(limited)['process.env.ICS_CONFIG']!)) as IcsConfig
    expect(compiled.capabilities).toEqual(limited.capabilities)
    expect(bundleSettings.format).toBe('esm')
  })

  it.each([
    [{ recordz: { enabled: false } }, /no such capability/],
    [{ audit: { enabled: false } }, /cannot be switched off/],
    [{ patientIndex: { consumers: ['ZZ999'] } }, /ZZ999 is not a member/],
  ])('refuses a config with capabilities %j', (switches, message) => {
    expect(() => assertDeployable(IcsConfig.parse({ ...demoConfig, capabilities: switches }))).toThrow(
      message,
    )
  })

  it('puts every declared function in exactly one capability', () => {
    for (const name of Object.keys(functions)) {
      const owners = Object.entries(capabilities).filter(([, declaration]) =>
        (declaration as CapabilityDeclaration).functions.includes(name as FunctionName),
      )
      expect(
        owners.map(([owner]) => owner),
        name,
      ).toHaveLength(1)
      expect(capabilityOf(name), name).toBe(owners[0]![0])
    }
  })

  it('declares a table for every grant, so deployedTables only names real tables', () => {
    for (const name of deployedTables(undefined)) expect(Object.keys(tables)).toContain(name)
  })
})

describe('finding 3: the account role is a decision the config makes', () => {
  it('refuses to synthesise a config that does not say how API Gateway gets its account role', () => {
    // Prepare
    const { apiGatewayAccountRole, ...operations } = demoConfig.operations
    const undecided = IcsConfig.parse({ ...demoConfig, operations })

    // Assess
    expect(apiGatewayAccountRole).toBe('create')
    expect(() => new IcsStack(new App(), 'Joinup-demo', { config: undecided })).toThrow(
      /operations\.apiGatewayAccountRole.*"create".*"existing"/,
    )
  })

  it('refuses two ICSs that would both set the account role in one account and region', () => {
    const second = IcsConfig.parse({
      ...northConfig,
      operations: { ...northConfig.operations, apiGatewayAccountRole: 'create' },
    })
    expect(() => assertOneAccountRolePerAccount([demoConfig, second])).toThrow(
      /both set operations\.apiGatewayAccountRole/,
    )
    expect(() => assertOneAccountRolePerAccount([demoConfig, northConfig])).not.toThrow()
    const elsewhere = IcsConfig.parse({ ...second, region: 'eu-west-1' })
    expect(() => assertOneAccountRolePerAccount([demoConfig, elsewhere])).not.toThrow()
  })
})

describe('finding 4: a demo issuer never meets real patients', () => {
  it('refuses a demo issuer together with the national PDS', () => {
    const risky = IcsConfig.parse({ ...northConfig, demoIssuer: { keys: [] } })
    expect(() => assertDeployable(risky)).toThrow(/demo issuer.*synthetic data only/)
  })

  it('compiles the demo issuer’s public keys, and never a private key, into demo’s functions', () => {
    const compiled = JSON.parse(JSON.parse(icsDefine(demoConfig)['process.env.ICS_CONFIG']!)) as IcsConfig
    expect(compiled.demoIssuer).toEqual(demoConfig.demoIssuer)
    expect(
      IcsConfig.safeParse({
        ...demoConfig,
        demoIssuer: {
          keys: [
            {
              kty: 'EC',
              crv: 'P-256',
              x: 'x'.repeat(43),
              y: 'y'.repeat(43),
              d: 'd'.repeat(43),
              kid: 'k',
              alg: 'ES256',
            },
          ],
        },
      }).success,
    ).toBe(false)
  })
})

describe('alarms for a capability still to land', () => {
  // The messages capability is not built yet: its declared metrics must still produce per-member alarms.
  const stack = new Stack(new App(), 'Probe', { env: { region: 'eu-west-2' } })
  const observability = new Observability(stack, 'Observability', {
    config: demoConfig,
    topic: new sns.Topic(stack, 'Topic'),
  })
  observability.watchFunction('messages', lambda.Function.fromFunctionName(stack, 'Fn', 'messages'), true)
  const template = TemplateOf.fromStack(stack)

  it('alarms on delivery failures per subscriber, one alarm per ICS member', () => {
    for (const member of demoConfig.members) {
      const alarm = alarmNamed(
        template,
        'demo',
        `capability-messages-SubscriberDeliveryFailures-${member.ods}`,
      )
      expect(dimensionsOf(alarm)).toEqual({ ics: 'demo', capability: 'messages', subscriber: member.ods })
    }
  })

  it('alarms on its p99 against the declared GP Connect target', () => {
    expect(alarmNamed(template, 'demo', 'capability-messages-p99').Properties?.Threshold).toBe(250)
  })
})

describe('isolation of two ICSs synthesised together', () => {
  const demo = together.get('demo')!
  const north = together.get('example-north')!

  it('shares no account-unique name', () => {
    const demoNames = new Set(physicalNames(demo).map(({ type, value }) => `${type} ${value}`))
    const shared = physicalNames(north).filter(({ type, value }) => demoNames.has(`${type} ${value}`))
    expect(shared).toEqual([])
  })

  it.each([
    ['demo', demo],
    ['example-north', north],
  ] as const)(
    'gives %s nothing from another stack: no imports, no reference outside its own template',
    (_, template) => {
      const { Resources } = template.toJSON() as { Resources: Record<string, unknown> }
      expect(importsValues(template.toJSON())).toBe(false)
      const ownIds = new Set(Object.keys(Resources))
      expect([...referencedIds(Resources)].filter((id) => !ownIds.has(id))).toEqual([])
    },
  )

  it.each([
    ['demo', demo],
    ['example-north', north],
  ] as const)('encrypts everything of %s with its own data key', (_, template) => {
    const keyId = logicalIdAt(template, 'AWS::KMS::Key', '/Platform/DataKey/Resource')
    const keyReferences =
      JSON.stringify(template.toJSON()).match(
        /"(KmsMasterKeyId|KMSMasterKeyId|KmsKeyId|KmsKeyIdentifier|EncryptionKeyArn)":\{[^}]+\}/g,
      ) ?? []
    expect(keyReferences.length).toBeGreaterThan(5)
    for (const reference of keyReferences) expect(reference).toContain(keyId)
    expect(resourcesOf(template, 'AWS::KMS::Key')).toHaveLength(1)
  })

  it('gives each function a role that only Lambda assumes, with grants on its own stack’s resources only', () => {
    for (const template of [demo, north]) {
      for (const [id, role] of resourcesOf(template, 'AWS::IAM::Role')) {
        expect(role.Properties?.RoleName, id).toBeUndefined()
        const principals = statementsOf(role.Properties?.AssumeRolePolicyDocument).map((s: PolicyStatement) =>
          JSON.stringify(s.Principal),
        )
        expect(principals.length, id).toBeGreaterThan(0)
      }
    }
  })

  it('compiles each ICS’s own identity, issuer and audience into its functions, and nothing of the other', () => {
    const demoDefine = icsDefine(demoConfig)['process.env.ICS_CONFIG']!
    const northDefine = icsDefine(northConfig)['process.env.ICS_CONFIG']!
    expect(demoDefine).toContain(demoConfig.auth.audience)
    expect(demoDefine).not.toContain(northConfig.auth.audience)
    expect(northDefine).not.toContain(demoConfig.auth.issuer)
  })
})
