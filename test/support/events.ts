import type { APIGatewayProxyEvent, Context } from 'aws-lambda'

/** An API Gateway REST proxy event, as the cloud and the local gateway send it. */
export function proxyEvent(input: {
  method: string
  resource: string
  path: string
  headers?: Record<string, string>
  query?: Record<string, string[]>
  pathParameters?: Record<string, string>
  body?: string
}): APIGatewayProxyEvent {
  const query = input.query ?? {}
  const hasQuery = Object.keys(query).length > 0
  return {
    resource: input.resource,
    path: input.path,
    httpMethod: input.method,
    headers: input.headers ?? {},
    multiValueHeaders: Object.fromEntries(Object.entries(input.headers ?? {}).map(([k, v]) => [k, [v]])),
    queryStringParameters: hasQuery
      ? Object.fromEntries(Object.entries(query).map(([k, v]) => [k, v.at(-1)!]))
      : null,
    multiValueQueryStringParameters: hasQuery ? query : null,
    pathParameters: input.pathParameters ?? null,
    stageVariables: null,
    body: input.body ?? null,
    isBase64Encoded: false,
    requestContext: {
      domainName: 'api.test',
      path: `/v1${input.path}`,
      stage: 'v1',
      requestId: 'gateway-request-id',
    } as APIGatewayProxyEvent['requestContext'],
  }
}

/** A Lambda context good enough for the handlers. */
export function lambdaContext(): Context {
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName: 'test',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:eu-west-2:000000000000:function:test',
    memoryLimitInMB: '1024',
    awsRequestId: crypto.randomUUID(),
    logGroupName: '/aws/lambda/test',
    logStreamName: 'test',
    getRemainingTimeInMillis: () => 10_000,
    done: () => {},
    fail: () => {},
    succeed: () => {},
  }
}
