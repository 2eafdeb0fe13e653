/**
 * Default time one holder has to answer a retrieval (GP Connect: queries SHOULD answer
 * within 1 s, SHALL within 3 s). A module of its own, without zod: the functions read it
 * without pulling the ICS config schema into their bundles.
 */
export const DEFAULT_HOLDER_TIMEOUT_MS = 2_000
