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

  {
    file: 'functions/shared/auth.ts',
    mutator: 'ArrayDeclaration',
    original: "['exp']",
    replacement: '[]',
    kind: 'equivalent',
    why: 'the pre-check refuses a token without a numeric exp before jwtVerify runs (it may time out instead of surviving on a loaded machine)',
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
    mutator: 'EqualityOperator',
    original:
      'compareStamps( { at: withdrawal.occurredAt, id: withdrawal.eventId }, { at: stamp.occurredAt, id: stamp.eventId }, ) > 0',
    replacement:
      'compareStamps({ at: withdrawal.occurredAt, id: withdrawal.eventId }, { at: stamp.occurredAt, id: stamp.eventId }) >= 0',
    kind: 'equivalent',
    why: 'in withdrawnAfter (appointment events): a tie needs the event and the withdrawal to be the same event (same id); event ids are unique',
  },
  {
    file: 'functions/patient-index/apply.ts',
    mutator: 'ConditionalExpression',
    original: "kind === 'registered' && data.endpoint",
    replacement: 'true',
    kind: 'equivalent',
    why: 'a removal then carries an endpoint (undefined, or a tolerated extra field), which applyHolderChange ignores for removals (it may time out instead of surviving on a loaded machine)',
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

  // functions/record-retrieval/parameters.ts
  {
    file: 'functions/record-retrieval/parameters.ts',
    mutator: 'ConditionalExpression',
    original: "typeof name === 'string'",
    replacement: 'true',
    kind: 'equivalent',
    why: 'shown() is only ever given names already checked to be strings (object keys, part and parameter names)',
  },
  {
    file: 'functions/record-retrieval/parameters.ts',
    mutator: 'Regex',
    original: '/^\\d{4}-\\d{2}-\\d{2}$/',
    replacement: '/\\d{4}-\\d{2}-\\d{2}$/',
    kind: 'equivalent',
    why: 'isWholeDate also requires the date to round-trip through toISOString, which only a bare yyyy-mm-dd does',
  },
  {
    file: 'functions/record-retrieval/parameters.ts',
    mutator: 'Regex',
    original: '/^\\d{4}-\\d{2}-\\d{2}$/',
    replacement: '/^\\d{4}-\\d{2}-\\d{2}/',
    kind: 'equivalent',
    why: 'isWholeDate also requires the date to round-trip through toISOString, which only a bare yyyy-mm-dd does',
  },
  {
    file: 'functions/record-retrieval/parameters.ts',
    mutator: 'ConditionalExpression',
    original: "typeof value !== 'number'",
    replacement: 'false',
    kind: 'equivalent',
    why: 'Number.isInteger, checked next, is false for every value that is not a number',
  },
  {
    file: 'functions/record-retrieval/parameters.ts',
    mutator: 'ConditionalExpression',
    original: 'range.start !== undefined && range.end !== undefined',
    replacement: 'true',
    kind: 'equivalent',
    why: 'the guard of `start > end`: a comparison with an undefined bound is false, so an open period is never refused either way',
  },
  {
    file: 'functions/record-retrieval/parameters.ts',
    mutator: 'LogicalOperator',
    original: 'range.start !== undefined && range.end !== undefined',
    replacement: 'range.start !== undefined || range.end !== undefined',
    kind: 'equivalent',
    why: 'the guard of `start > end`: a comparison with an undefined bound is false, so an open period is never refused either way',
  },
  {
    file: 'functions/record-retrieval/parameters.ts',
    mutator: 'ConditionalExpression',
    original: 'range.start !== undefined',
    replacement: 'true',
    kind: 'equivalent',
    why: 'the guard of `start > end`: a comparison with an undefined bound is false',
  },
  {
    file: 'functions/record-retrieval/parameters.ts',
    mutator: 'ConditionalExpression',
    original: 'range.end !== undefined',
    replacement: 'true',
    kind: 'equivalent',
    why: 'the guard of `start > end`: a comparison with an undefined bound is false',
  },

  {
    file: 'functions/record-retrieval/parameters.ts',
    mutator: 'ConditionalExpression',
    original: "typeof value !== 'string' || !WHOLE_DATE.test(value)",
    replacement: 'false',
    kind: 'equivalent',
    why: 'isWholeDate ends with `toISOString().slice(0, 10) === value`, true only for a string that is exactly yyyy-mm-dd, so the type and pattern checks before it decide nothing alone',
  },
  {
    file: 'functions/record-retrieval/parameters.ts',
    mutator: 'ConditionalExpression',
    original: "typeof value !== 'string'",
    replacement: 'false',
    kind: 'equivalent',
    why: 'a value that is not a string never equals the round-tripped date string (`=== value`), so it is still refused',
  },
  {
    file: 'functions/record-retrieval/parameters.ts',
    mutator: 'LogicalOperator',
    original: "typeof value !== 'string' || !WHOLE_DATE.test(value)",
    replacement: "typeof value !== 'string' && !WHOLE_DATE.test(value)",
    kind: 'equivalent',
    why: 'as above: the round-trip comparison refuses whatever these checks let through',
  },
  {
    file: 'functions/record-retrieval/parameters.ts',
    mutator: 'ConditionalExpression',
    original: "typeof identifier.value !== 'string'",
    replacement: 'false',
    kind: 'equivalent',
    why: 'isValidNhsNumber reads the digits by index, which a number does not have (NaN sum), so a numeric NHS number is still refused with the same 400',
  },
  // functions/shared/time.ts: isCalendarDate. A date that does not exist rolls over in
  // Date.UTC, and a roll-over always changes the month and the day (years before 100 are
  // caught by the year), so either of those two checks alone suffices.
  {
    file: 'functions/shared/time.ts',
    mutator: 'ConditionalExpression',
    original: 'date.getUTCMonth() === month - 1',
    replacement: 'true',
    kind: 'equivalent',
    why: 'every roll-over (30 February, month 13 or 00, day 00) also changes the day of the month or the year, which are still checked',
  },
  {
    file: 'functions/shared/time.ts',
    mutator: 'ConditionalExpression',
    original: 'date.getUTCDate() === day',
    replacement: 'true',
    kind: 'equivalent',
    why: 'every roll-over of a day past the end of its month also changes the month, which is still checked',
  },

  // functions/appointments/slotSearch.ts: refusals are told by status and code, which the tests assert
  {
    file: 'functions/appointments/slotSearch.ts',
    mutator: 'StringLiteral',
    // biome-ignore lint/suspicious/noTemplateCurlyInString: the source text of a template literal
    original: '`${name} must carry a search prefix (ge or le) and a date or date-time`',
    replacement: '``',
    kind: 'message-only',
    why: 'the 422 for a bound without a prefix; the tests assert 422 INVALID_PARAMETER',
  },
  {
    file: 'functions/appointments/slotSearch.ts',
    mutator: 'StringLiteral',
    original:
      // biome-ignore lint/suspicious/noTemplateCurlyInString: the source text of a template literal
      '`${name} must be a date (yyyy-mm-dd) or a UK local date-time with its offset (yyyy-mm-ddThh:mm:ss+00:00 in GMT, +01:00 in BST)`',
    replacement: '``',
    kind: 'message-only',
    why: 'the 422 for a malformed date; the tests assert 422 INVALID_PARAMETER',
  },
  {
    file: 'functions/appointments/slotSearch.ts',
    mutator: 'StringLiteral',
    original: "'start'",
    replacement: '""',
    kind: 'message-only',
    why: 'the parameter name boundOf puts in its messages (start); the tests assert the refusal',
  },
  {
    file: 'functions/appointments/slotSearch.ts',
    mutator: 'StringLiteral',
    original: "'status=free is required'",
    replacement: '""',
    kind: 'message-only',
    why: 'the 400 without status; the tests assert 400 BAD_REQUEST',
  },
  {
    file: 'functions/appointments/slotSearch.ts',
    mutator: 'StringLiteral',
    original: "'status must be free, once: only free slots can be searched for'",
    replacement: '""',
    kind: 'message-only',
    why: 'the 422 for another status; the tests assert 422 INVALID_PARAMETER',
  },
  {
    file: 'functions/appointments/slotSearch.ts',
    mutator: 'StringLiteral',
    original: "'start=ge<date> is required'",
    replacement: '""',
    kind: 'message-only',
    why: 'the 400 without start; the tests assert 400 BAD_REQUEST',
  },
  {
    file: 'functions/appointments/slotSearch.ts',
    mutator: 'StringLiteral',
    original:
      "'Use start=ge<date> once, and end=le<date> or start=le<date> once (no other prefixes, no repeats)'",
    replacement: '""',
    kind: 'message-only',
    why: 'the 422 for wrong prefixes or repeats; the tests assert 422 INVALID_PARAMETER',
  },
  {
    file: 'functions/appointments/slotSearch.ts',
    mutator: 'StringLiteral',
    original: "'An upper bound is required: end=le<date> or start=le<date>'",
    replacement: '""',
    kind: 'message-only',
    why: 'the 400 without an upper bound; the tests assert 400 BAD_REQUEST',
  },
  {
    file: 'functions/appointments/slotSearch.ts',
    mutator: 'StringLiteral',
    original: "'The search window ends before it starts'",
    replacement: '""',
    kind: 'message-only',
    why: 'the 422 for a reversed window; the tests assert 422 INVALID_PARAMETER',
  },
  {
    file: 'functions/appointments/slotSearch.ts',
    mutator: 'StringLiteral',
    // biome-ignore lint/suspicious/noTemplateCurlyInString: the source text of a template literal
    original: '`The search window is longer than ${MAX_WINDOW_DAYS} days (GP Connect)`',
    replacement: '``',
    kind: 'message-only',
    why: 'the 422 for a window over 14 days; the tests assert 422 INVALID_PARAMETER',
  },
  {
    file: 'functions/appointments/slotSearch.ts',
    mutator: 'StringLiteral',
    original: '`_include supports Slot:schedule only`',
    replacement: '``',
    kind: 'message-only',
    why: 'the 422 for an unknown _include; the tests assert 422',
  },
  {
    file: 'functions/appointments/slotSearch.ts',
    mutator: 'StringLiteral',
    // biome-ignore lint/suspicious/noTemplateCurlyInString: the source text of a template literal
    original: "`_include:recurse supports ${[...RECURSIVE_INCLUDES].join(', ')}`",
    replacement: '``',
    kind: 'message-only',
    why: 'the 422 for an unknown _include:recurse; the tests assert 422',
  },
  {
    file: 'functions/appointments/slotSearch.ts',
    mutator: 'ArrayDeclaration',
    original: '[...RECURSIVE_INCLUDES]',
    replacement: '[]',
    kind: 'message-only',
    why: 'the list of supported values in that 422 message',
  },
  {
    file: 'functions/appointments/slotSearch.ts',
    mutator: 'StringLiteral',
    original: "', '",
    replacement: '""',
    kind: 'message-only',
    why: 'the separator of that list in the 422 message',
  },
  {
    file: 'functions/appointments/slotSearch.ts',
    mutator: 'StringLiteral',
    original: "'organization must be the ODS code of a member of this ICS'",
    replacement: '""',
    kind: 'message-only',
    why: 'the 422 for a non-member organisation; the tests assert 422 INVALID_PARAMETER',
  },
  {
    file: 'functions/appointments/slotSearch.ts',
    mutator: 'StringLiteral',
    original: "'_cursor is not one this server issued'",
    replacement: '""',
    kind: 'message-only',
    why: 'the 422 for a foreign cursor; the tests assert 422',
  },
  {
    file: 'functions/appointments/slotSearch.ts',
    mutator: 'MethodExpression',
    original: 'ukDateTime(instant).slice(0, 10)',
    replacement: 'ukDateTime(instant)',
    kind: 'equivalent',
    why: "a date-time bound's `date` is read only by upperInstant for date-only bounds",
  },
  {
    file: 'functions/appointments/slotSearch.ts',
    mutator: 'StringLiteral',
    original: "'end'",
    replacement: '""',
    kind: 'message-only',
    why: 'the parameter name boundOf puts in its messages (end); the tests assert the refusal',
  },
  {
    file: 'functions/appointments/slotSearch.ts',
    mutator: 'StringLiteral',
    original: "'service-type must be given once, as text of at most 200 characters'",
    replacement: '""',
    kind: 'message-only',
    why: 'the 422 for a bad service-type; the tests assert 422 INVALID_PARAMETER',
  },
  {
    file: 'functions/appointments/slotSearch.ts',
    mutator: 'StringLiteral',
    // biome-ignore lint/suspicious/noTemplateCurlyInString: the source text of a template literal
    original: '`_count must be a whole number from 1 to ${SLOTS_PER_PAGE}`',
    replacement: '``',
    kind: 'message-only',
    why: 'the 422 for a bad _count; the tests assert 422 INVALID_PARAMETER',
  },
  {
    file: 'functions/appointments/slotSearch.ts',
    mutator: 'StringLiteral',
    original: "'No slot with this id'",
    replacement: '""',
    kind: 'message-only',
    why: 'the 404 of readSlot; the tests assert NO_RECORD_FOUND',
  },
  {
    file: 'functions/appointments/slotSearch.ts',
    mutator: 'ConditionalExpression',
    original: 'slots.length === 0',
    replacement: 'false',
    kind: 'equivalent',
    why: 'with no slots the book is asked for no keys and no host organisation is included: the same empty list, one call later',
  },
  {
    file: 'functions/appointments/slotSearch.ts',
    mutator: 'ArrayDeclaration',
    original: '[]',
    replacement: '["Stryker was here"]',
    occurrences: 2,
    kind: 'equivalent',
    why: 'in includedResources: a host that is not a member, and a search with schedules but no organisations, cannot happen (slots come from members only; organization is set exactly when schedule is)',
  },
]
