import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { documentedErrors } from '../../functions/docs/pages'
import { ARCHITECTURE_MARKERS, withArchitecture } from '../../infra/architecture'
import { assetCopyCommands } from '../../infra/constructs/JoinupFunction'
import { functions } from '../../infra/functions'
import { DEMO_TEST_PATIENTS } from '../../schemas/api/test-patients'
import { spineCodes } from '../../schemas/fhir/OperationOutcome'
import { DEMO_PATIENTS } from '../../scripts/seed/demoPatients'

const ROOT = join(import.meta.dirname, '..', '..')

describe('the README architecture diagram', () => {
  it('is the one the declarations draw (npm run docs)', () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8')
    expect(readme).toContain(ARCHITECTURE_MARKERS.begin)
    expect(readme, 'README.md architecture diagram is stale: run npm run docs').toBe(withArchitecture(readme))
  })
})

describe('the docs function files', () => {
  it.each(functions.docs.assets)('ships %s, which exists', (path) => {
    expect(existsSync(join(ROOT, path)), `${path}: run npm run docs`).toBe(true)
  })

  it('copies each declared file beside the bundle under its repository path', () => {
    expect(assetCopyCommands(['node_modules/a/b.js', 'c.css'], '/in', '/out')).toEqual([
      'mkdir -p "/out/node_modules/a" && cp "/in/node_modules/a/b.js" "/out/node_modules/a/b.js"',
      'mkdir -p "/out" && cp "/in/c.css" "/out/c.css"',
    ])
  })
})

describe('the getting-started page', () => {
  it('lists the demo seed’s test patients', () => {
    const listed = DEMO_TEST_PATIENTS.map((patient) => patient.nhsNumber)
    expect(listed).toEqual(expect.arrayContaining(Object.values(DEMO_PATIENTS)))
  })

  it('lists each error code once, with the statuses the OpenAPI document declares', () => {
    const openApi = JSON.parse(readFileSync(join(ROOT, 'schemas/exported/openapi.json'), 'utf8'))
    const errors = documentedErrors(openApi)
    const codes = errors.map(([code]) => code)
    expect(new Set(codes).size).toBe(codes.length)
    for (const code of codes) expect(spineCodes, code).toHaveProperty(code)
    expect(
      Object.fromEntries(errors.map(([code, entry]) => [code, [...entry.statuses].sort()])),
    ).toMatchObject({
      INVALID_RESOURCE: ['400', '422'],
      ACCESS_DENIED: ['401', '403'],
      NOT_ACCEPTABLE: ['406'],
    })
    expect(codes).not.toContain('METHOD_NOT_ALLOWED')
  })
})
