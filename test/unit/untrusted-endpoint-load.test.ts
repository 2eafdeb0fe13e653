import { describe, expect, it } from 'vitest'

// untrustedEndpoint.ts builds its address block lists when it loads. A wrong network or
// family there makes BlockList.addSubnet throw, so the module cannot load at all. Loading it
// inside a test makes that a failing test rather than a test file that cannot load, which
// StrykerJS 9.6.1's vitest runner counts as no failure (npm run mutation, untrusted-endpoint).

describe('the untrusted endpoint module', () => {
  it('loads, with its loopback and blocked address lists built', async () => {
    // Act
    const { checkUntrustedEndpoint, isPublicAddress } = await import(
      '../../functions/shared/untrustedEndpoint'
    )

    // Assess
    expect(checkUntrustedEndpoint('http://127.0.0.1:4000/fhir', { allowLoopback: true }).ok).toBe(true)
    expect(isPublicAddress('10.0.0.1')).toBe(false)
    expect(isPublicAddress('fe80::1')).toBe(false)
  })
})
