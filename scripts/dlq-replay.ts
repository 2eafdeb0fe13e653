import { parseArgs } from 'node:util'
import { SQSClient } from '@aws-sdk/client-sqs'
import { loadIcsConfig } from '../infra/ics-configs'
import { EventBridgeClient, replayDeadLetters } from './dead-letters'

// `npm run dlq:replay -- --local http://127.0.0.1:3000`   replays the local bus's dead-letter store
// `npm run dlq:replay -- --ics <name> [--dry-run]`         replays a deployed ICS's DLQs (AWS credentials)
const { values } = parseArgs({
  options: { local: { type: 'string' }, ics: { type: 'string' }, 'dry-run': { type: 'boolean' } },
})
if (values.local) {
  const response = await fetch(new URL('/_local/dead-letters/replay', values.local), { method: 'POST' })
  console.log(`replayed ${((await response.json()) as { replayed: number }).replayed} dead letters`)
} else if (values.ics) {
  const { region } = loadIcsConfig(values.ics)
  const reports = await replayDeadLetters({
    sqs: new SQSClient({ region }),
    events: new EventBridgeClient({ region }),
    ics: values.ics,
    dryRun: values['dry-run'],
  })
  for (const report of reports) {
    console.log(
      `${report.queueUrl} (${report.kind} dead letters): ${report.messages} messages, ${report.action}, ${report.replayed} replayed`,
    )
  }
} else {
  console.error('usage: npm run dlq:replay -- (--local <base url> | --ics <name> [--dry-run])')
  process.exit(2)
}
