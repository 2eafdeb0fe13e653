import { Duration } from 'aws-cdk-lib'
import type * as apigateway from 'aws-cdk-lib/aws-apigateway'
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch'
import * as cwActions from 'aws-cdk-lib/aws-cloudwatch-actions'
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb'
import type * as lambda from 'aws-cdk-lib/aws-lambda'
import type * as sns from 'aws-cdk-lib/aws-sns'
import type * as sqs from 'aws-cdk-lib/aws-sqs'
import { Construct } from 'constructs'
import type { IcsConfig } from '../../schemas/ics-config'
import { capabilityOf, latencyTargets } from '../capabilities'
import { domainAlarms } from '../metric-alarms'
import {
  type DomainMetricDeclaration,
  type DomainMetricName,
  domainMetricsOf,
  METRIC_NAMESPACE,
  requestMetrics,
} from '../metrics'

/** Defaults of `operations.alarms` in the ICS config. */
export const ALARM_DEFAULTS = { queueAgeSeconds: 300, serverErrorRatePercent: 1 } as const

/** Every alarm of an ICS is named `joinup-<ics>-…`; the alarm topic lets exactly those publish. */
export function alarmNamePrefix(ics: string): string {
  return `joinup-${ics}-`
}

/** The name of an ICS's dashboard (one per ICS). */
export function dashboardNameOf(ics: string): string {
  return `joinup-${ics}`
}

/** Operations whose DynamoDB system errors are watched: those the functions call. */
const TABLE_OPERATIONS = [
  dynamodb.Operation.GET_ITEM,
  dynamodb.Operation.BATCH_GET_ITEM,
  dynamodb.Operation.QUERY,
  dynamodb.Operation.PUT_ITEM,
  dynamodb.Operation.UPDATE_ITEM,
  dynamodb.Operation.DELETE_ITEM,
  dynamodb.Operation.BATCH_WRITE_ITEM,
]

interface AlarmOptions {
  metric: cloudwatch.IMetric
  threshold: number
  description: string
  evaluationPeriods?: number
  comparisonOperator?: cloudwatch.ComparisonOperator
}

/**
 * Alarms and the dashboard of one ICS, built from what the platform deploys: every function,
 * queue, dead-letter queue and table it is told about, and for each capability its request
 * metrics, p99 target (infra/capabilities.ts) and domain metrics (infra/metrics.ts). Nothing
 * here lists a capability by name, so one that lands later gets its alarms and widgets from
 * its declarations. Every alarm notifies the ICS alarm topic.
 */
export class Observability extends Construct {
  readonly dashboard: cloudwatch.Dashboard
  /** Every alarm made so far (the dashboard's alarm status widget reads this list at synth). */
  readonly alarms: cloudwatch.Alarm[] = []
  private readonly config: IcsConfig
  private readonly topic: sns.ITopic
  private readonly watchedCapabilities = new Set<string>()
  private readonly deadLetterDepths: cloudwatch.IMetric[] = []
  private readonly queueAges: cloudwatch.IMetric[] = []

  constructor(scope: Construct, id: string, props: { config: IcsConfig; topic: sns.ITopic }) {
    super(scope, id)
    this.config = props.config
    this.topic = props.topic
    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      dashboardName: dashboardNameOf(props.config.ics),
      defaultInterval: Duration.hours(3),
    })
    this.dashboard.addWidgets(
      new cloudwatch.TextWidget({
        markdown: `# ${props.config.name} (\`${props.config.ics}\`)\nRequests, errors and p99 latency per capability against its target, dead letters, queue age, throttles and DynamoDB errors. What to do about each alarm: docs/RUNBOOK.md.`,
        width: 24,
        height: 2,
      }),
    )
    this.dashboard.addWidgets(
      new cloudwatch.AlarmStatusWidget({ title: 'Alarms', alarms: this.alarms, width: 24, height: 6 }),
    )
    // Added now, filled as queues arrive: the lists are read when the dashboard is synthesised.
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Messages in dead-letter queues (replay: npm run dlq:replay)',
        left: this.deadLetterDepths,
        width: 12,
      }),
      new cloudwatch.GraphWidget({
        title: 'Age of oldest message per consumer queue (s)',
        left: this.queueAges,
        width: 12,
      }),
    )
  }

  private get ics(): string {
    return this.config.ics
  }

  /** One alarm, named `joinup-<ics>-<id>`, notifying the ICS alarm topic; missing data is not a breach. */
  alarm(id: string, options: AlarmOptions): cloudwatch.Alarm {
    const alarm = new cloudwatch.Alarm(this, id, {
      alarmName: `${alarmNamePrefix(this.ics)}${id}`,
      metric: options.metric,
      threshold: options.threshold,
      evaluationPeriods: options.evaluationPeriods ?? 1,
      comparisonOperator:
        options.comparisonOperator ?? cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      alarmDescription: `${options.description} (${this.ics})`,
    })
    alarm.addAlarmAction(new cwActions.SnsAction(this.topic))
    this.alarms.push(alarm)
    return alarm
  }

  /** The REST API: 5xx rate, and its traffic on the dashboard. */
  watchApi(api: apigateway.RestApi): void {
    const rate =
      (this.config.operations.alarms?.serverErrorRatePercent ?? ALARM_DEFAULTS.serverErrorRatePercent) / 100
    this.alarm('api-5xx-rate', {
      // 5XXError is 0 or 1 per request, so its average is the share of 5xx answers.
      metric: api.metricServerError({ period: Duration.minutes(5), statistic: 'Average' }),
      threshold: rate,
      description: `More than ${rate * 100} % of API answers were 5xx over 5 minutes`,
    })
    const period = Duration.minutes(5)
    this.dashboard.addWidgets(
      new cloudwatch.TextWidget({ markdown: '## API', width: 24, height: 1 }),
      new cloudwatch.GraphWidget({
        title: 'API requests, 4xx and 5xx',
        left: [
          api.metricCount({ period }),
          api.metricClientError({ period }),
          api.metricServerError({ period }),
        ],
        width: 12,
      }),
      new cloudwatch.GraphWidget({
        title: 'API latency (ms, gateway included)',
        left: [
          api.metricLatency({ period, statistic: 'p50' }),
          api.metricLatency({ period, statistic: 'p99' }),
        ],
        width: 12,
      }),
    )
  }

  /** A function: failed invocations, throttles and (for HTTP functions) 5xx answers; its capability once. */
  watchFunction(name: string, fn: lambda.IFunction, servesHttp: boolean): void {
    const capability = capabilityOf(name) ?? name
    if (!this.watchedCapabilities.has(capability)) {
      this.watchedCapabilities.add(capability)
      this.watchCapability(capability)
    }
    const period = Duration.minutes(5)
    this.alarm(`function-${name}-errors`, {
      metric: fn.metricErrors({ period }),
      threshold: 1,
      description: `${name} invocations failed`,
    })
    this.alarm(`function-${name}-throttles`, {
      metric: fn.metricThrottles({ period }),
      threshold: 1,
      description: `${name} invocations were throttled: raise the account's Lambda concurrency (RUNBOOK)`,
    })
    const widgets: cloudwatch.IMetric[] = [fn.metricErrors({ period }), fn.metricThrottles({ period })]
    if (servesHttp) {
      // Handlers answer 500 rather than throw, so Lambda's Errors never sees them: the middleware counts them.
      const serverErrors = this.customMetric(requestMetrics.serverErrors, { function: name }, 'Sum')
      this.alarm(`function-${name}-5xx`, {
        metric: serverErrors,
        threshold: 1,
        description: `${name} answered 5xx`,
      })
      widgets.push(serverErrors)
    }
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({ title: `${name}: errors, throttles, 5xx`, left: widgets, width: 12 }),
    )
  }

  /** A capability: requests by status class, p99 against its target, and its declared domain metrics. */
  private watchCapability(capability: string): void {
    const target = latencyTargets[capability]
    const latency = (statistic: string) =>
      this.customMetric(requestMetrics.latency, { capability }, statistic)
    if (target) {
      this.alarm(`capability-${capability}-p99`, {
        metric: latency('p99'),
        threshold: target.shallMs,
        evaluationPeriods: 3,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        description: `${capability} p99 latency above its ${target.shallMs} ms target for 15 minutes (${target.source})`,
      })
    }
    const annotations: cloudwatch.HorizontalAnnotation[] = []
    if (target?.shouldMs)
      annotations.push({ value: target.shouldMs, label: 'should', color: cloudwatch.Color.ORANGE })
    if (target) annotations.push({ value: target.shallMs, label: 'shall', color: cloudwatch.Color.RED })
    const statusClasses = ['2xx', '4xx', '5xx'].map((statusClass) =>
      this.customMetric(requestMetrics.requests, { capability, statusClass }, 'Sum'),
    )
    const widgets: cloudwatch.IWidget[] = [
      new cloudwatch.TextWidget({ markdown: `## ${capability}`, width: 24, height: 1 }),
      new cloudwatch.GraphWidget({
        title: `${capability}: requests by status class`,
        left: statusClasses,
        width: 8,
        stacked: true,
      }),
      new cloudwatch.GraphWidget({
        title: `${capability}: latency p50 and p99 (ms)`,
        left: [latency('p50'), latency('p99')],
        leftAnnotations: annotations,
        width: 8,
      }),
    ]
    const declared = domainMetricsOf(capability)
    if (declared.length > 0) {
      widgets.push(
        new cloudwatch.GraphWidget({
          title: `${capability}: what it did`,
          left: declared.map(([metricName, declaration]) =>
            declaration.extraDimension
              ? // One line per member would crowd the graph: a search expression finds them.
                new cloudwatch.MathExpression({
                  expression: `SEARCH('{${METRIC_NAMESPACE},capability,ics,${declaration.extraDimension}} MetricName="${metricName}" ics="${this.ics}"', 'Sum', 300)`,
                  label: metricName,
                })
              : this.customMetric(metricName, { capability }, 'Sum'),
          ),
          width: 8,
        }),
      )
    }
    this.dashboard.addWidgets(...widgets)
    for (const [metricName, declaration] of declared)
      this.alarmOnDomainMetric(capability, metricName, declaration)
  }

  private alarmOnDomainMetric(
    capability: string,
    metricName: DomainMetricName,
    declaration: DomainMetricDeclaration,
  ): void {
    const alarm = domainAlarms[metricName]
    if (!alarm) return
    if (alarm.perMember && declaration.extraDimension) {
      // One alarm per member: a subscriber or holder failing is that organisation's problem to hear about.
      const switches = this.config.capabilities?.[capability]
      const members = switches?.consumers ?? this.config.members.map((member) => member.ods)
      for (const ods of members) {
        this.alarm(`capability-${capability}-${metricName}-${ods}`, {
          metric: this.customMetric(metricName, { capability, [declaration.extraDimension]: ods }, 'Sum'),
          threshold: alarm.threshold,
          description: `${alarm.description}: ${ods}`,
        })
      }
      return
    }
    this.alarm(`capability-${capability}-${metricName}`, {
      metric: this.customMetric(metricName, { capability }, 'Sum'),
      threshold: alarm.threshold,
      description: alarm.description,
    })
  }

  /** A consumer queue: alarms when its oldest message is older than the ICS allows. */
  watchConsumerQueue(id: string, queue: sqs.IQueue): void {
    const maxAge = this.config.operations.alarms?.queueAgeSeconds ?? ALARM_DEFAULTS.queueAgeSeconds
    const age = (label?: string) =>
      queue.metricApproximateAgeOfOldestMessage({ period: Duration.minutes(5), statistic: 'Maximum', label })
    // A label would turn the alarm into a metric-math one; only the dashboard's copy carries it.
    this.alarm(`queue-${id}-age`, {
      metric: age(),
      threshold: maxAge,
      description: `Events wait more than ${maxAge} s in the ${id} queue: its consumer is failing or throttled`,
    })
    this.queueAges.push(age(id))
  }

  /** A dead-letter queue: any message in it alarms. */
  watchDeadLetters(id: string, queue: sqs.IQueue, description: string): void {
    const depth = (label?: string) =>
      queue.metricApproximateNumberOfMessagesVisible({
        period: Duration.minutes(1),
        statistic: 'Maximum',
        label,
      })
    this.alarm(`dead-letters-${id}`, { metric: depth(), threshold: 1, description })
    this.deadLetterDepths.push(depth(id))
  }

  /** A table: DynamoDB system errors and throttled requests. */
  watchTable(name: string, table: dynamodb.Table): void {
    const period = Duration.minutes(5)
    const systemErrors = table.metricSystemErrorsForOperations({ period, operations: TABLE_OPERATIONS })
    const throttles = new cloudwatch.MathExpression({
      expression: 'reads + writes',
      usingMetrics: {
        reads: table.metric('ReadThrottleEvents', { period, statistic: 'Sum' }),
        writes: table.metric('WriteThrottleEvents', { period, statistic: 'Sum' }),
      },
      label: `${name} throttle events`,
      period,
    })
    this.alarm(`table-${name}-system-errors`, {
      metric: systemErrors,
      threshold: 1,
      description: `DynamoDB answered ${name} with system errors (HTTP 500)`,
    })
    this.alarm(`table-${name}-throttles`, {
      metric: throttles,
      threshold: 1,
      description: `DynamoDB throttled requests to ${name}: a hot partition or an account table quota`,
    })
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: `${name} table: system errors and throttles`,
        left: [systemErrors, throttles],
        width: 6,
      }),
    )
  }

  private customMetric(
    metricName: string,
    dimensions: Record<string, string>,
    statistic: string,
  ): cloudwatch.Metric {
    return new cloudwatch.Metric({
      namespace: METRIC_NAMESPACE,
      metricName,
      dimensionsMap: { ics: this.ics, ...dimensions },
      statistic,
      period: Duration.minutes(5),
    })
  }
}
