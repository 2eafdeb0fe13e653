/**
 * The local demo stack's test patients as the docs page lists them (DESIGN.md "The local
 * demo ICS"); test/unit/docs-site.test.ts keeps them equal to scripts/seed's DEMO_PATIENTS.
 */
export const DEMO_TEST_PATIENTS = [
  {
    nhsNumber: '9000000009',
    what: 'Alive, unrestricted; GP Y90001, nominated pharmacy FX001, records at Y90001 and one more holder',
  },
  { nhsNumber: '9000000025', what: 'Restricted (S-flag): address, telecom and GP never leave the API' },
  { nhsNumber: '9000000033', what: 'Deceased (2024-03-02): the death notification is kept' },
  { nhsNumber: '9000000017', what: 'Superseded: reading it answers the record of 9000000041' },
  { nhsNumber: '9000000041', what: 'The record that replaced 9000000017' },
  { nhsNumber: '4857773457', what: 'Valid and never seeded: 404 RESOURCE_NOT_FOUND' },
  { nhsNumber: '4857773456', what: 'Fails the modulus 11 check: 400 INVALID_RESOURCE_ID' },
] as const
