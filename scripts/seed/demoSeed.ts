import type { LocalStackOptions } from '../local/runtime'

/**
 * The demo seed, loaded only when it runs: after the local stack has set the handlers'
 * environment, as a Lambda bundle would be loaded (its adapters build clients at import).
 */
export const demoSeed: NonNullable<LocalStackOptions['seed']> = async (stack, progress) =>
  (await import('./seedDemo')).seedDemoData(stack, progress)
