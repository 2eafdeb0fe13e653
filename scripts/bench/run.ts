import { createServer } from 'node:http'
import { parseArgs } from 'node:util'

/*
 * `npm run bench`: every figure is a ratio against a baseline measured in the same run,
 * so the table means the same on a noisy 2-core machine as on a quiet one.
 *
 *   npm run bench                       all suites, table, test/bench/results.json, BENCHMARKS.md
 *   npm run bench -- --only <suite>     one suite (BENCHMARKS.md untouched)
 *   npm run bench -- --check            exit 1 when a target is missed
 *   npm run bench -- --scale-max 50000  largest patient count of the scale suite
 *   npm run bench -- --quick            shorter runs to try the harness (noisier)
 *   npm run bench -- --profile          profile the handler loop even when it meets its target
 *
 * Only `--check` turns a missed target into a failing exit; a suite that breaks is an ERROR
 * row and a failing exit either way, because then the table is not telling the truth.
 */

const { values } = parseArgs({
  options: {
    check: { type: 'boolean', default: false },
    only: { type: 'string' },
    'scale-max': { type: 'string' },
    quick: { type: 'boolean', default: false },
    profile: { type: 'boolean', default: false },
    // The start-up suite's baseline: the same npm → tsx → node chain, with nothing to start.
    'ready-baseline': { type: 'boolean', default: false },
  },
})

if (values['ready-baseline']) {
  // Kept above every other import: this mode must cost what `npm start` costs before its own work.
  const server = createServer((_request, response) => {
    response.writeHead(200, { 'Content-Type': 'application/json' })
    response.end('{}')
  })
  server.listen(0, '127.0.0.1', () => {
    const address = server.address()
    const port = typeof address === 'object' && address ? address.port : 0
    console.log(`Ready in ${Math.round(performance.now())} ms.\n  API:   http://127.0.0.1:${port}`)
  })
  process.once('SIGTERM', () => server.close(() => process.exit(0)))
} else {
  const { runBench } = await import('./orchestrate')
  process.exitCode = await runBench({
    check: values.check,
    only: values.only,
    scaleMax: values['scale-max'] === undefined ? undefined : Number(values['scale-max']),
    quick: values.quick,
    profile: values.profile,
    argv: process.argv.slice(2),
  })
}
