import { build } from 'esbuild'
import { describe, expect, it } from 'vitest'

/** Every local file the entry imports statically (import statements, not import()), transitively. */
async function staticImportsOf(entry: string): Promise<Set<string>> {
  const { metafile } = await build({
    entryPoints: [entry],
    bundle: true,
    write: false,
    metafile: true,
    platform: 'node',
    format: 'esm',
    packages: 'external',
    logLevel: 'silent',
  })
  const reached = new Set<string>([entry])
  const queue = [entry]
  while (queue.length) {
    const file = queue.pop()!
    for (const edge of metafile.inputs[file]?.imports ?? []) {
      if (edge.kind !== 'import-statement' || edge.external || reached.has(edge.path)) continue
      reached.add(edge.path)
      queue.push(edge.path)
    }
  }
  return reached
}

describe('the local runtime', () => {
  it('does not load the functions’ logger before it has set their environment', async () => {
    // The logger reads POWERTOOLS_LOG_LEVEL and the service name when it is constructed: loaded
    // by the runtime's own imports, it would ignore what the runtime sets (npm start's WARN).
    const imported = await staticImportsOf('scripts/local/runtime.ts')
    expect([...imported].filter((file) => file.startsWith('functions/'))).not.toContain(
      'functions/shared/logger.ts',
    )
  })
})
