import { parseArgs } from 'node:util'
import { SQSClient } from '@aws-sdk/client-sqs'
import { loadIcsConfig } from '../infra/ics-configs'
import {
  EventBridgeClient,
  messageIdOfEvent,
  replayDeadLetters,
  replayMessageDeadLetter,
} from './dead-letters'

// `npm run dlq:replay -- --local http://127.0.0.1:3000`   replays the local bus's dead-letter store
// `npm run dlq:replay -- --ics <name> [--dry-run]`         replays a deployed ICS's DLQs (AWS credentials)
// `npm run dlq:replay -- --message <id> [--local <url> | --ics <name>]`  re-delivers one message (default: the local stack on :3000)
const { values } = parseArgs({
  options: {
    local: { type: 'string' },
    ics: { type: 'string' },
    'dry-run': { type: 'boolean' },
    message: { type: 'string' },
  },
})
if (values.message) {
  const messageId = values.message
  let replayed = 0
  if (values.ics) {
    const { region } = loadIcsConfig(values.ics)
    replayed = await replayMessageDeadLetter({ sqs: new SQSClient({ region }), ics: values.ics, messageId })
  } else {
    const base = values.local ?? 'http://127.0.0.1:3000'
    const letters = (await (await fetch(new URL('/_local/dead-letters', base))).json()) as {
      deliveryId: string
      eventId: string
      detailType: string
    }[]
    for (const letter of letters.filter(
      (item) => item.detailType.endsWith('Recorded') || item.detailType.endsWith('Published'),
    )) {
      const events = (await (
        await fetch(
          new URL(`/_local/events?detail-type=${encodeURIComponent(letter.detailType)}&limit=1000`, base),
        )
      ).json()) as { id: string }[]
      const event = events.find((candidate) => candidate.id === letter.eventId)
      if (messageIdOfEvent(JSON.stringify(event)) !== messageId) continue
      const response = await fetch(
        new URL(`/_local/dead-letters/${encodeURIComponent(letter.deliveryId)}/replay`, base),
        { method: 'POST' },
      )
      replayed += ((await response.json()) as { replayed: number }).replayed
    }
  }
  console.log(replayed ? `message ${messageId}: re-delivering` : `message ${messageId} is not dead-lettered`)
  process.exit(replayed ? 0 : 1)
} else if (values.local) {
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
