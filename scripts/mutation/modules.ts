/**
 * What `npm run mutation` mutates, module by module, and the tests that exercise each one.
 * Plain data: to add a module, add an entry (its source files and the unit or contract test
 * files that should notice a wrong line in them). Keep the test list to the tests that
 * exercise the module, so a run stays within minutes on 2 cores; integration and fuzz
 * tests boot the whole stack and are too slow to run once per mutant.
 */
export interface MutationModule {
  /** One line: what a surviving mutant here would put at risk. */
  why: string
  /** Source files to mutate, from the repository root. */
  mutate: string[]
  /** Test files run against each mutant, from the repository root. */
  tests: string[]
  /** Lowest acceptable score once the set-aside mutants are left out (default 90). */
  threshold?: number
}

export const mutationModules = {
  auth: {
    why: 'token verification: a wrong line lets a forged, expired or foreign token in',
    mutate: ['functions/shared/auth.ts'],
    tests: [
      'test/unit/auth-verification.test.ts',
      'test/unit/auth-keys.test.ts',
      'test/unit/demo-issuer.test.ts',
      'test/unit/http-stack.test.ts',
      'test/unit/token-lifetime.test.ts',
      'test/unit/patient-token.test.ts',
    ],
  },
  matching: {
    why: 'PDS search scoring: a wrong line returns the wrong patient or misses the right one',
    mutate: ['functions/shared/patients/matching.ts'],
    tests: [
      'test/unit/matching-scores.test.ts',
      'test/unit/matching.test.ts',
      'test/unit/searchCriteria.test.ts',
      'test/unit/wildcard-search.test.ts',
    ],
  },
  'index-apply': {
    why: 'patient index convergence: a wrong line keeps a withdrawn pointer or loses a registration',
    mutate: ['functions/patient-index/apply.ts'],
    tests: [
      'test/unit/apply-withdrawal.test.ts',
      'test/unit/apply.test.ts',
      'test/unit/apply-appointments.test.ts',
    ],
  },
  'audit-chain': {
    why: 'the hash-chained audit trail: a wrong line breaks verification of every stored chain',
    mutate: ['functions/shared/audit/chain.ts', 'functions/shared/audit/verify.ts'],
    tests: ['test/unit/audit-verify.test.ts', 'test/unit/audit-chain.test.ts'],
  },
  identifiers: {
    why: 'NHS number and ODS code checks and identifier systems: a wrong line mixes up patients',
    mutate: ['schemas/fhir/identifiers.ts'],
    tests: ['test/unit/identifiers.test.ts', 'test/unit/nhs-number.test.ts'],
  },
  'restricted-patients': {
    why: 'S-flagged patients: a wrong line shows a restricted patient’s address, telecom or GP',
    mutate: ['functions/shared/patients/confidentiality.ts'],
    tests: [
      'test/unit/confidentiality.test.ts',
      'test/unit/lookup.test.ts',
      'test/unit/patient-lookup-handler.test.ts',
      'test/unit/restricted-search.test.ts',
    ],
  },
  'untrusted-endpoint': {
    why: 'URLs callers hand us: a wrong line lets a pointer or subscription aim at a private or metadata address',
    mutate: ['functions/shared/untrustedEndpoint.ts'],
    tests: ['test/unit/untrusted-endpoint.test.ts', 'test/unit/untrusted-endpoint-load.test.ts'],
  },
  'gpc-parameters': {
    why: 'GP Connect structured record parameters: a wrong line returns record areas or dates the caller did not ask for',
    mutate: ['functions/record-retrieval/parameters.ts'],
    tests: ['test/unit/structured-record-parameters.test.ts'],
  },
  'uk-time': {
    why: 'UK local time: a wrong line books or shows an appointment an hour off around a clock change',
    mutate: ['functions/shared/time.ts'],
    tests: ['test/unit/time.test.ts', 'test/unit/uk-time-parsing.test.ts'],
  },
  'slot-search': {
    why: 'GP Connect slot search rules: a wrong line offers slots outside the window, of another organisation or already taken',
    mutate: ['functions/appointments/slotSearch.ts'],
    // appointment-book.test.ts (searchSlots against dynalite) is left out: it boots a DynamoDB
    // server per run, and slot-search-bundle.test.ts states the same behaviour over the book's interface.
    tests: ['test/unit/slot-search.test.ts', 'test/unit/slot-search-bundle.test.ts'],
  },
} satisfies Record<string, MutationModule>

export type MutationModuleName = keyof typeof mutationModules
