// The synthetic captures checked in under rules/tests/captures are what the scenarios in
// synthetic-captures.ts write today (regenerate: node dist/test/rules-default/synthetic-captures.js --write).

import assert from 'node:assert/strict'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, test } from 'node:test'
import { buildAll } from './synthetic-captures.js'
import { REPO_ROOT, saker } from './helpers.js'

const DIR = join(REPO_ROOT, 'rules', 'tests', 'captures')

describe('the synthetic captures', () => {
  const built = buildAll()

  test('the checked-in files are fresh, and there are no others', () => {
    const stale = [...built].filter(([name, bytes]) => !existsSync(join(DIR, name)) || !Buffer.from(bytes).equals(readFileSync(join(DIR, name))))
    assert.deepEqual(stale.map(([n]) => n), [], 'regenerate with: node dist/test/rules-default/synthetic-captures.js --write')
    const extra = readdirSync(DIR).filter((f) => !built.has(f))
    assert.deepEqual(extra, [])
  })

  test('each replays without error and is small', () => {
    for (const name of ['ordinary-work.scap', 'reverse-shell.scap', 'interactive-container-shell.scap']) {
      const r = saker(['-r', 'rules/saker_rules.yaml', '-o', 'engine.kind=replay', '-o', `engine.replay.capture_file=${join(DIR, name)}`, '-o', 'stdout_output.enabled=true'])
      assert.equal(r.status, 0, `${name}: ${r.stderr}`)
    }
    for (const [name, bytes] of built) assert.ok(bytes.length < 32 * 1024, `${name}: ${bytes.length} bytes`)
  })
})
