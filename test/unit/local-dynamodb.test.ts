import { createRequire } from 'node:module'
import { dirname } from 'node:path'
import { crc32 } from 'node:zlib'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type LocalDynamoDb, startLocalDynamoDb } from '../../scripts/local/dynamodb'

// The local DynamoDB (dynalite) signs each answer with x-amz-crc32, as DynamoDB does; the
// local runtime computes it natively. The checksum must stay the CRC32 of the exact bytes.

const require = createRequire(import.meta.url)
/** dynalite's own copy of buffer-crc32. */
const dynaliteCrc32 = () =>
  require(require.resolve('buffer-crc32', { paths: [dirname(require.resolve('dynalite'))] })) as {
    signed: (data: Buffer) => number
    nativeUnsigned?: true
  }
/** Its byte loop (`signed`, untouched) is the reference value. */
const reference = (body: string): number => dynaliteCrc32().signed(Buffer.from(body, 'utf8')) >>> 0

let dynamo: LocalDynamoDb

beforeAll(async () => {
  dynamo = await startLocalDynamoDb()
})

afterAll(async () => {
  await dynamo.close()
})

async function call(target: string, body: unknown) {
  const response = await fetch(dynamo.endpoint, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-amz-json-1.0',
      'x-amz-target': `DynamoDB_20120810.${target}`,
      authorization:
        'AWS4-HMAC-SHA256 Credential=local/20261201/eu-west-2/dynamodb/aws4_request, SignedHeaders=host, Signature=00',
      'x-amz-date': '20261201T000000Z',
    },
    body: JSON.stringify(body),
  })
  return { status: response.status, crc32: response.headers.get('x-amz-crc32'), text: await response.text() }
}

describe('local DynamoDB answers', () => {
  it('carry the CRC32 of their exact UTF-8 bytes, multibyte text included', async () => {
    const table = 'crc-check'
    await call('CreateTable', {
      TableName: table,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
    })
    for (let attempt = 0; attempt < 100; attempt++) {
      const { text } = await call('DescribeTable', { TableName: table })
      if (text.includes('"ACTIVE"')) break
      await new Promise((resolve) => setTimeout(resolve, 5))
    }
    const name = 'Zoë Ó Briain — 患者 😀'.repeat(50)
    await call('PutItem', { TableName: table, Item: { pk: { S: 'p1' }, name: { S: name } } })

    const answer = await call('GetItem', { TableName: table, Key: { pk: { S: 'p1' } } })
    expect(answer.status).toBe(200)
    expect(JSON.parse(answer.text).Item.name.S).toBe(name)
    expect(Number(answer.crc32)).toBe(reference(answer.text))
    expect(Number(answer.crc32)).toBe(crc32(answer.text))
    expect(dynaliteCrc32().nativeUnsigned).toBe(true)

    const refusal = await call('GetItem', { TableName: 'no-such-table', Key: { pk: { S: 'p1' } } })
    expect(refusal.status).toBe(400)
    expect(Number(refusal.crc32)).toBe(reference(refusal.text))
  })
})
