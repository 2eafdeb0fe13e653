/**
 * The SDK's credential sources a Lambda bundle must not carry: functions/shared/environmentCredentials.ts
 * stands in for the default chain (infra/bundling.ts). Returns the bundled inputs that come from one.
 */
export function otherCredentialSources(carried: readonly string[]): string[] {
  return carried.filter((path) =>
    /\/(credential-provider-(node|ini|sso|web-identity|process)|credential-provider-imds|nested-clients)\//.test(
      path,
    ),
  )
}
