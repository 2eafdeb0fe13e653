import { existsSync, readFileSync } from 'node:fs'
import { basename, extname, join } from 'node:path'
import { functions } from '../../infra/functions'

const CONTENT_TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
}

/**
 * Where the declared asset files are: beside the bundle on Lambda (the CDK copies each
 * under its repository path), the repository root when the local runtime runs the source.
 */
function assetRoot(): string {
  const here = import.meta.dirname
  return existsSync(join(here, 'schemas', 'exported', 'openapi.json')) ? here : join(here, '..', '..')
}

const root = assetRoot()
const cache = new Map<string, string>()

/** A declared asset file's text, read once. */
export function assetText(path: string): string {
  let text = cache.get(path)
  if (text === undefined) {
    text = readFileSync(join(root, path), 'utf8')
    cache.set(path, text)
  }
  return text
}

/** The assets served at /docs/assets/<name>: the declared files that are scripts or styles. */
export const servedAssets: ReadonlyMap<string, { path: string; contentType: string }> = new Map(
  functions.docs.assets
    .filter((path) => extname(path) === '.js' || extname(path) === '.css')
    .map((path) => [basename(path), { path, contentType: CONTENT_TYPES[extname(path)]! }]),
)
