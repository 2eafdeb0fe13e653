import { defineConfig } from 'vitest/config'

// One gate, several kinds of test (STYLE.md 7). Each kind is a vitest project so a
// developer can run one with `npx vitest run --project <name>`.
export default defineConfig({
  test: {
    reporters: process.env.CI ? ['default'] : ['default'],
    // EMF metric lines on stdout would drown the test output; the metrics tests switch them on.
    env: { POWERTOOLS_METRICS_DISABLED: 'true' },
    projects: [
      { test: { name: 'unit', include: ['test/unit/**/*.test.ts'] } },
      { test: { name: 'contract', include: ['test/contract/**/*.test.ts'] } },
      {
        test: {
          name: 'infra',
          include: ['test/infra/**/*.test.ts'],
          testTimeout: 120_000,
          hookTimeout: 120_000,
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          // One HL7 R4 validator for the run: the harness checks every FHIR body against it.
          globalSetup: ['test/support/fhir-validator-server.ts'],
          testTimeout: 30_000,
          hookTimeout: 60_000,
        },
      },
      {
        test: {
          name: 'browser',
          include: ['test/browser/**/*.test.ts'],
          testTimeout: 60_000,
          hookTimeout: 60_000,
        },
      },
      {
        test: {
          name: 'fuzz',
          include: ['test/fuzz/**/*.test.ts'],
          testTimeout: 300_000,
          hookTimeout: 60_000,
        },
      },
    ],
  },
})
