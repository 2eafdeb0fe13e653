import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vitest/config'

// The vitest configuration Stryker runs for one module: only the test files that
// scripts/mutation/run.ts names in MUTATION_TESTS. Stryker's own `testFiles` option is not
// used because StrykerJS 9.6.1 then activates static mutants (module-level constants such as
// GENESIS_HASH) after their module has loaded, so they all survive
// (stryker-mutator/stryker-js#6144).
export default defineConfig({
  root: fileURLToPath(new URL('../..', import.meta.url)),
  test: {
    include: (process.env.MUTATION_TESTS ?? '').split(',').filter(Boolean),
  },
})
