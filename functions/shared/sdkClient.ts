/**
 * Takes the AWS SDK's logger middleware out of a client's stack. That middleware runs on
 * every call whether or not a logger is configured: it walks the whole input and output to
 * blank sensitive members, then hands them to the logger, which by default does nothing.
 * Here it would only ever log what must not be logged (DynamoDB items carry NHS numbers and
 * names; our own logs are Powertools' and redacted), and the walk cost about a tenth of a
 * small call's client CPU (more for a Query of many items). Without it, no SDK logger can
 * be configured into logging payloads. Mark calls `/* @__PURE__ *\/` so an unused client
 * is still dropped from a bundle.
 */
export function withoutPayloadLogging<Client extends { middlewareStack: { remove(name: string): boolean } }>(
  client: Client,
): Client {
  client.middlewareStack.remove('loggerMiddleware')
  return client
}
