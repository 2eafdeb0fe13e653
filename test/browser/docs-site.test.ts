import { existsSync } from 'node:fs'
import { mkdir, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type BrowserContext, chromium, type Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { bootStack, type RunningStack } from '../integration/harness'

/** Debian's chromium (`apt-get install -y chromium`); never a downloaded browser. */
const CHROMIUM = '/usr/bin/chromium'
/** Where the screenshots go (git-ignored). */
export const SCREENSHOT_DIR = join(import.meta.dirname, '..', 'output', 'screenshots')
const available = existsSync(CHROMIUM)
const required = process.env.CI === 'true' || process.env.REQUIRE_BROWSER === '1'

if (!available) {
  const banner = '='.repeat(78)
  console.warn(
    `\n${banner}\n  BROWSER TEST SKIPPED: ${CHROMIUM} is missing. Install it with\n    apt-get install -y chromium\n  (.ci/run installs it; with CI=true or REQUIRE_BROWSER=1 a missing browser fails the run)\n${banner}\n`,
  )
}

let running: RunningStack
let browser: BrowserContext
let profile: string

interface PageProblems {
  console: string[]
  csp: string[]
}

/** A page that records console errors, uncaught errors and CSP violations. */
async function watchedPage(width: number, height: number): Promise<{ page: Page; problems: PageProblems }> {
  const page = await browser.newPage()
  await page.setViewportSize({ width, height })
  const problems: PageProblems = { console: [], csp: [] }
  page.on('console', (message) => {
    if (message.type() === 'error') problems.console.push(message.text())
  })
  page.on('pageerror', (error) => problems.console.push(String(error)))
  await page.exposeFunction('__reportCsp', (text: string) => problems.csp.push(text))
  // Page-side code is passed as text: this file is type-checked for Node, without the DOM.
  await page.addInitScript(`document.addEventListener('securitypolicyviolation', (event) =>
    window.__reportCsp(event.violatedDirective + ' blocked ' + event.blockedURI))`)
  return { page, problems }
}

describe.skipIf(!available && !required)('the docs site in a real browser (Debian chromium)', () => {
  beforeAll(async () => {
    expect(available, `${CHROMIUM} is missing: apt-get install -y chromium`).toBe(true)
    running = await bootStack()
    profile = await mkdtemp(join(tmpdir(), 'joinup-chromium-'))
    await mkdir(SCREENSHOT_DIR, { recursive: true })
    // An empty profile of its own (playwright passes it as --user-data-dir).
    browser = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    })
  })
  afterAll(async () => {
    await browser?.close()
    await running?.stop()
    if (profile) await rm(profile, { recursive: true, force: true })
  })

  it('mints a token on the getting-started page and shows the patient the try-it call reads', async () => {
    // Prepare
    const { page, problems } = await watchedPage(1280, 900)
    await page.goto(`${running.baseUrl}/docs`)
    // Act
    await page.check('input[name="scope"][value="record.read"]')
    await page.click('#mint')
    // Polled from here: the page's CSP forbids the eval a page-side wait would need.
    await expect.poll(() => page.inputValue('#token'), { timeout: 10_000 }).toMatch(/^ey.{100,}/)
    await page.click('#call')
    await expect.poll(() => page.textContent('#try-result'), { timeout: 10_000 }).toContain('HTTP ')
    // Assess
    const result = (await page.textContent('#try-result')) ?? ''
    expect(result).toContain('HTTP 200')
    expect(result).toContain('"resourceType": "Patient"')
    expect(result).toContain('"id": "9000000009"')
    expect(await page.textContent('#token-scopes')).toContain('patient.read record.read')
    await page.screenshot({ path: join(SCREENSHOT_DIR, 'docs-desktop.png'), fullPage: true })
    expect(problems).toEqual({ console: [], csp: [] })
  })

  it('is readable at phone width: nothing overflows sideways', async () => {
    const { page, problems } = await watchedPage(390, 844)
    await page.goto(`${running.baseUrl}/docs`)
    const overflow = await page.evaluate<number>('document.documentElement.scrollWidth - window.innerWidth')
    await page.screenshot({ path: join(SCREENSHOT_DIR, 'docs-phone.png'), fullPage: true })
    expect(overflow).toBeLessThanOrEqual(0)
    expect(problems).toEqual({ console: [], csp: [] })
  })

  it('renders the interactive API reference from the OpenAPI document, offline', async () => {
    const { page, problems } = await watchedPage(1280, 900)
    const external: string[] = []
    page.on('request', (request) => {
      if (!request.url().startsWith(running.baseUrl) && !request.url().startsWith('data:'))
        external.push(request.url())
    })
    await page.goto(`${running.baseUrl}/docs/reference`)
    await page.waitForSelector('.opblock-summary-path', { timeout: 20_000 })
    const paths = await page.$$eval('.opblock-summary-path', (nodes) => nodes.map((node) => node.textContent))
    expect(paths).toEqual(expect.arrayContaining(['/Patient/{nhsNumber}', '/DocumentReference']))
    await page.screenshot({ path: join(SCREENSHOT_DIR, 'reference-desktop.png') })
    expect(external).toEqual([])
    expect(problems).toEqual({ console: [], csp: [] })
  })

  it('shows the event catalogue at phone width', async () => {
    const { page, problems } = await watchedPage(390, 844)
    await page.goto(`${running.baseUrl}/docs/events`)
    expect(await page.textContent('h2#RecordHolderRegistered')).toBe('RecordHolderRegistered')
    const overflow = await page.evaluate<number>('document.documentElement.scrollWidth - window.innerWidth')
    await page.screenshot({ path: join(SCREENSHOT_DIR, 'events-phone.png') })
    expect(overflow).toBeLessThanOrEqual(0)
    expect(problems).toEqual({ console: [], csp: [] })
  })
})
