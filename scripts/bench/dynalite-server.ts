import { startLocalDynamoDb } from '../local/dynamodb'
import { announce, exitWithParent } from './processes'

// The scale suite's DynamoDB: a fresh in-memory dynalite in a process of its own per size,
// so one size's heap (600k items at 200k patients) never slows the other's lookups.
const dynamo = await startLocalDynamoDb()
exitWithParent(() => dynamo.close())
announce({ endpoint: dynamo.endpoint })
