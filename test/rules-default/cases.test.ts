// The test cases of Saker's default rules (rules/tests): every rule has positive and negative
// cases of both kinds, and the capture cases pass (live ones run with `saker test` as root).

import assert from 'node:assert/strict'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, test } from 'node:test'
import { parseCasesFile } from '../../src/testing/cases.js'
import type { RuleTestCase } from '../../src/testing/cases.js'
import { runRuleTests } from '../../src/testing/runner.js'
import { REPO_ROOT, describeRules, rulesFiles } from './helpers.js'

const TESTS_DIR = join(REPO_ROOT, 'rules', 'tests')

function allCases(): RuleTestCase[] {
  return readdirSync(TESTS_DIR).filter((f) => f.endsWith('.yaml')).sort()
    .flatMap((f) => parseCasesFile(join(TESTS_DIR, f), readFileSync(join(TESTS_DIR, f), 'utf8')))
}

describe('the default rules\' test cases', () => {
  test('every rule has a positive and a negative case, from a capture and live', () => {
    const cases = allCases()
    const gaps: string[] = []
    for (const f of rulesFiles()) {
      for (const { info } of describeRules([f]).rules) {
        const name = info.name
        const expects = cases.filter((c) => c.expect.some((e) => e.rule === name))
        const forbids = cases.filter((c) => c.forbid.some((x) => x.rule === name))
        const kinds = (cs: RuleTestCase[]) => new Set(cs.map((c) => c.source.kind))
        if (!kinds(expects).has('capture')) gaps.push(`${name}: no positive capture case`)
        if (!kinds(expects).has('run')) gaps.push(`${name}: no positive live case`)
        if (!kinds(forbids).has('capture')) gaps.push(`${name}: no negative capture case`)
        if (!kinds(forbids).has('run')) gaps.push(`${name}: no negative live case`)
      }
    }
    assert.deepEqual(gaps, [])
  })

  test('every capture case passes (live cases are skipped here)', async () => {
    let out = ''
    const files = rulesFiles().map((f) => join(REPO_ROOT, f))
    const code = await runRuleTests([...files, '--cases', TESTS_DIR, '--no-live'], {
      write: (s) => (out += s),
      writeError: (s) => (out += s),
    })
    const failures = out.split('\n').filter((l) => l.startsWith('  ✖') || l.startsWith('      '))
    assert.deepEqual(failures, [], out)
    assert.equal(code, 0, out)
    const summary = /(\d+) passed, (\d+) failed, (\d+) skipped\n$/.exec(out)
    assert.ok(summary, out)
    const runnable = allCases().filter((c) => c.source.kind === 'capture' && c.skip === undefined && existsSync(c.source.path))
    assert.equal(Number(summary[1]), runnable.length, 'every capture case whose capture is here ran and passed')
    // skipped: the live cases, and the shared captures when ../shared is absent
    assert.match(out, /live cases skipped: --no-live given/)
  })
})
