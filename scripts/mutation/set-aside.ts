/**
 * Surviving mutants that no test should kill, each named and with its reason. `npm run
 * mutation` leaves them out of the "without set-aside" score and fails when an entry
 * matches no survivor (the code or the tests moved on: drop or fix the entry).
 *
 * - `equivalent`: the mutant behaves exactly as the original for every input.
 * - `message-only`: the mutant changes only the text of a diagnostic or error message, not
 *   the status, code or decision; the tests assert the decision and leave wording free.
 *
 * A mutant is named by its file, Stryker mutator, the original code it replaces and its
 * replacement (spaces collapsed), so entries survive reformatting and moved lines; where
 * the same text is mutated in several places, `occurrences` says how many are meant.
 */
export interface SetAsideMutant {
  file: string
  mutator: string
  original: string
  replacement: string
  /** How many mutants with this same text the entry names (default 1); any more are not set aside. */
  occurrences?: number
  kind: 'equivalent' | 'message-only'
  why: string
}

export const setAsideMutants: readonly SetAsideMutant[] = [
  // functions/shared/auth.ts
  {
    file: 'functions/shared/auth.ts',
    mutator: 'StringLiteral',
    original: "'Could not fetch the ICS signing keys; try again'",
    replacement: '""',
    kind: 'message-only',
    why: 'the outage is told by 503, SERVICE_UNAVAILABLE and Retry-After, which the tests assert',
  },
  {
    file: 'functions/shared/auth.ts',
    mutator: 'StringLiteral',
    original: "'.'",
    replacement: '""',
    occurrences: 2,
    kind: 'equivalent',
    why: 'token claims are flat (organisation and patient tokens alike), so an issue path has one element and its separator never shows',
  },
  {
    file: 'functions/shared/auth.ts',
    mutator: 'StringLiteral',
    original: "', '",
    replacement: '""',
    occurrences: 2,
    kind: 'message-only',
    why: 'the separator between claim names in the 401 diagnostics (organisation and patient tokens); the tests assert the names',
  },

  // Patient tokens: the 403s are told by status and code (patient-token.test.ts asserts them);
  // the wording is free.
  {
    file: 'functions/shared/auth.ts',
    mutator: 'StringLiteral',
    original: "'This operation does not accept a patient token'",
    replacement: '""',
    kind: 'message-only',
    why: 'the 403 for a patient token on an organisation route; the tests assert 403 ACCESS_DENIED',
  },
  {
    file: 'functions/shared/auth.ts',
    mutator: 'StringLiteral',
    // biome-ignore lint/suspicious/noTemplateCurlyInString: the source text of a template literal
    original: '`Token is for ICS "${claims.data.ics}", not this ICS`',
    replacement: '``',
    kind: 'message-only',
    why: 'the 403 for a patient token of another ICS; the tests assert 403 ACCESS_DENIED',
  },
  {
    file: 'functions/shared/auth.ts',
    mutator: 'StringLiteral',
    // biome-ignore lint/suspicious/noTemplateCurlyInString: the source text of a template literal
    original: '`A patient token needs identity proofing level ${PATIENT_PROOFING_LEVEL}`',
    replacement: '``',
    kind: 'message-only',
    why: 'the 403 for a patient token below P9; the tests assert 403 ACCESS_DENIED',
  },
  {
    file: 'functions/shared/auth.ts',
    mutator: 'StringLiteral',
    // biome-ignore lint/suspicious/noTemplateCurlyInString: the source text of a template literal
    original: "`A patient token may carry only ${PATIENT_SCOPES.join(' ')}`",
    replacement: '``',
    kind: 'message-only',
    why: 'the 403 for a patient token with a scope beyond audit.read; the tests assert 403 ACCESS_DENIED',
  },
  {
    file: 'functions/shared/auth.ts',
    mutator: 'StringLiteral',
    original: "' '",
    replacement: '""',
    kind: 'message-only',
    why: 'the separator of the permitted scopes in that 403 message (the split of the scope claim is another mutant, killed)',
  },

  // The pre-check (refuseImpossibleToken) and jose's jwtVerify check the same things, so that
  // a token that can never pass is refused without fetching the JWKS; one layer's check alone
  // then decides nothing the other does not.
  {
    file: 'functions/shared/auth.ts',
    mutator: 'StringLiteral',
    original: "''",
    replacement: '"Stryker was here!"',
    occurrences: 2,
    kind: 'equivalent',
    why: 'the fallbacks for a missing token part: the empty string and the garbage both fail JSON.parse, so both are "malformed"',
  },
  {
    file: 'functions/shared/auth.ts',
    mutator: 'StringLiteral',
    original: "'not objects'",
    replacement: '""',
    kind: 'equivalent',
    why: 'the error is caught at once and answered as the 401 "malformed or invalid"; its text is never seen',
  },
  {
    file: 'functions/shared/auth.ts',
    mutator: 'ConditionalExpression',
    original: '!(ACCEPTED_JWT_ALGORITHMS as readonly string[]).includes(String(header.alg))',
    replacement: 'false',
    kind: 'equivalent',
    why: 'jwtVerify refuses the same algorithms, with the same 401 and message, and before it asks for a key (jose checks `algorithms` first)',
  },
  {
    file: 'functions/shared/auth.ts',
    mutator: 'ConditionalExpression',
    original: 'error instanceof joseErrors.JOSEAlgNotAllowed',
    replacement: 'false',
    kind: 'equivalent',
    why: 'the pre-check refuses every algorithm jwtVerify would, so jwtVerify never throws JOSEAlgNotAllowed',
  },
  {
    file: 'functions/shared/auth.ts',
    mutator: 'StringLiteral',
    original: "'Access token algorithm is not accepted (RS256 or ES256)'",
    replacement: '""',
    kind: 'equivalent',
    why: "the copy in describeTokenFailure: never reached, as above (the pre-check's copy is asserted)",
  },
  {
    file: 'functions/shared/auth.ts',
    mutator: 'ConditionalExpression',
    original: "typeof claims.nbf === 'number'",
    replacement: 'true',
    kind: 'equivalent',
    why: 'a non-numeric nbf then compares false (or, as a numeric string, refuses early); jwtVerify refuses any non-numeric nbf with the same 401 naming "nbf"',
  },

  // functions/shared/patients/matching.ts
  {
    file: 'functions/shared/patients/matching.ts',
    mutator: 'StringLiteral',
    original: "''",
    replacement: '"Stryker was here!"',
    occurrences: 6,
    kind: 'equivalent',
    why: "the `?? ''` fallbacks of reads that are always in range (a pattern's first, last and inner segments; the first and last parts of a split, which always has one) and the postcode fallback, read only after the postcode matched",
  },
  {
    file: 'functions/shared/patients/matching.ts',
    mutator: 'ConditionalExpression',
    original: 'criteria.family',
    replacement: 'true',
    kind: 'equivalent',
    why: 'in scoreExact (the one in scoreFuzzy is killed): parseSearchCriteria refuses a non-fuzzy search without a family name',
  },
  {
    file: 'functions/shared/patients/matching.ts',
    mutator: 'ConditionalExpression',
    original: 'weights === 0',
    replacement: 'false',
    kind: 'equivalent',
    why: 'every fuzzy search parseSearchCriteria accepts has a family or a given name, so some weight is always added',
  },
  {
    file: 'functions/shared/patients/matching.ts',
    mutator: 'ConditionalExpression',
    original: '!a.length || !b.length',
    replacement: 'false',
    kind: 'equivalent',
    why: 'against an empty string no letter matches, and the `matches === 0` check returns the same 0',
  },
  {
    file: 'functions/shared/patients/matching.ts',
    mutator: 'LogicalOperator',
    original: '!a.length || !b.length',
    replacement: '!a.length && !b.length',
    kind: 'equivalent',
    why: 'one empty string gives no matches and the `matches === 0` check returns the same 0; two are caught by `a === b`',
  },
  {
    file: 'functions/shared/patients/matching.ts',
    mutator: 'ArrayDeclaration',
    original: 'new Array<boolean>(a.length)',
    replacement: 'new Array()',
    kind: 'equivalent',
    why: 'an empty array reads undefined, as falsy as the false it was filled with, and grows when written',
  },
  {
    file: 'functions/shared/patients/matching.ts',
    mutator: 'ArrayDeclaration',
    original: 'new Array<boolean>(b.length)',
    replacement: 'new Array()',
    kind: 'equivalent',
    why: "the second string's flags: an empty array reads undefined, as falsy as false, and grows when written",
  },
  {
    file: 'functions/shared/patients/matching.ts',
    mutator: 'EqualityOperator',
    original: 'i < a.length',
    replacement: 'i <= a.length',
    occurrences: 2,
    kind: 'equivalent',
    why: 'the extra step reads a[a.length] (undefined, equal to no letter) in the matching loop, or aMatched[a.length] (undefined: skipped) in the transposition loop',
  },

  // functions/patient-index/apply.ts
  {
    file: 'functions/patient-index/apply.ts',
    mutator: 'EqualityOperator',
    original:
      'compareStamps( { at: withdrawal.occurredAt, id: withdrawal.eventId }, { at: occurredAt, id: metadata.id }, ) > 0',
    replacement:
      'compareStamps({ at: withdrawal.occurredAt, id: withdrawal.eventId }, { at: occurredAt, id: metadata.id }) >= 0',
    kind: 'equivalent',
    why: 'a tie needs the registration and the withdrawal to be the same event (same id); event ids are unique',
  },
  {
    file: 'functions/patient-index/apply.ts',
    mutator: 'ConditionalExpression',
    original: "kind === 'registered'",
    replacement: 'true',
    kind: 'equivalent',
    why: 'only a removal gains an endpoint (undefined or a tolerated extra), and applyHolderChange ignores it for removals',
  },
  {
    file: 'functions/patient-index/apply.ts',
    mutator: 'LogicalOperator',
    original: "kind === 'registered' && data.endpoint",
    replacement: "kind === 'registered' || data.endpoint",
    kind: 'equivalent',
    why: 'only a removal gains an endpoint (undefined or a tolerated extra), and applyHolderChange ignores it for removals',
  },
  {
    file: 'functions/patient-index/apply.ts',
    mutator: 'ConditionalExpression',
    original: "kind === 'removed'",
    replacement: 'true',
    kind: 'equivalent',
    why: 'a registration then carries a reason (undefined, or a tolerated extra field), which applyHolderChange ignores for registrations',
  },

  {
    file: 'functions/patient-index/apply.ts',
    mutator: 'StringLiteral',
    // biome-ignore lint/suspicious/noTemplateCurlyInString: the source text of a template literal
    original: '`Not a record-holder event: ${detailType}`',
    replacement: '``',
    kind: 'message-only',
    why: 'the error for an event type the consumer does not read: it still throws and the batch reports it (the tests assert the throw, and the copy for SlotsPublished)',
  },

  // functions/shared/audit/chain.ts: the key comparator of canonicalJson
  {
    file: 'functions/shared/audit/chain.ts',
    mutator: 'EqualityOperator',
    original: 'a < b',
    replacement: 'a <= b',
    kind: 'equivalent',
    why: 'the keys of one object are distinct, so a === b never happens',
  },
  {
    file: 'functions/shared/audit/chain.ts',
    mutator: 'EqualityOperator',
    original: 'a > b',
    replacement: 'a >= b',
    kind: 'equivalent',
    why: 'the keys of one object are distinct, so a === b never happens',
  },
  {
    file: 'functions/shared/audit/chain.ts',
    mutator: 'ConditionalExpression',
    original: 'a > b',
    replacement: 'true',
    kind: 'equivalent',
    why: 'reached only when a < b is false, and distinct keys then have a > b',
  },
  {
    file: 'functions/shared/audit/chain.ts',
    mutator: 'ConditionalExpression',
    original: 'a > b',
    replacement: 'false',
    kind: 'equivalent',
    why: 'the comparator answers 0 instead of 1 for a > b; V8 Array.prototype.sort (TimSort) only asks whether the answer is below 0, so the order is the same (the 26-key test in audit-verify.test.ts checks it)',
  },
  {
    file: 'functions/shared/audit/chain.ts',
    mutator: 'EqualityOperator',
    original: 'a > b',
    replacement: 'a <= b',
    kind: 'equivalent',
    why: 'reached only when a < b is false, so a <= b is false for distinct keys: 0 instead of 1, as above',
  },

  // schemas/fhir/identifiers.ts
  {
    file: 'schemas/fhir/identifiers.ts',
    mutator: 'ConditionalExpression',
    original: 'check === 10',
    replacement: 'false',
    kind: 'equivalent',
    why: 'a check of 10 is then compared with the last digit (0..9) and never equals it: still refused',
  },
  {
    file: 'schemas/fhir/identifiers.ts',
    mutator: 'ObjectLiteral',
    original: "{ message: 'not a valid NHS number' }",
    replacement: '{}',
    kind: 'message-only',
    why: 'the zod issue message of a refused NHS number; the tests assert the refusal',
  },
  {
    file: 'schemas/fhir/identifiers.ts',
    mutator: 'StringLiteral',
    original: "'not a valid NHS number'",
    replacement: '""',
    kind: 'message-only',
    why: 'the zod issue message of a refused NHS number; the tests assert the refusal',
  },
  {
    file: 'schemas/fhir/identifiers.ts',
    mutator: 'StringLiteral',
    original: "'not an ODS code'",
    replacement: '""',
    kind: 'message-only',
    why: 'the zod issue message of a refused ODS code; the tests assert the refusal',
  },

  // functions/shared/patients/confidentiality.ts
  {
    file: 'functions/shared/patients/confidentiality.ts',
    mutator: 'ArrayDeclaration',
    original: '[]',
    replacement: '["Stryker was here"]',
    occurrences: 2,
    kind: 'equivalent',
    why: 'the fallbacks for a missing security list and a missing extension list: a string has neither `system` nor `url`, so it matches nothing, as the empty list does',
  },
]
