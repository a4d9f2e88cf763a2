// The kernel release check that runs before the probe is loaded.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { kernelTooOld } from '../../src/sources/live/run.js'

test('kernels older than 6.2 are refused with the release and what to do', () => {
  for (const r of ['5.15.0-91-generic', '6.1.0-18-amd64', '4.19.0']) {
    const why = kernelTooOld(r)
    assert.ok(why !== null, r)
    assert.match(why, new RegExp(`this kernel \\(${r.replace(/\./g, '\\.')}\\) is older than 6\\.2`))
    assert.match(why, /engine\.kind=replay/)
  }
})

test('6.2 and newer pass, and so does a release string it cannot read', () => {
  for (const r of ['6.2.0', '6.18.3', '7.0.1-custom', 'weird']) assert.equal(kernelTooOld(r), null, r)
})
