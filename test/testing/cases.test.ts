import assert from 'node:assert/strict'
import { join } from 'node:path'
import { describe, test } from 'node:test'
import { CasesFileError, closest, formatProblem, parseCasesFile } from '../../src/testing/cases.js'
import type { CaseProblem } from '../../src/testing/cases.js'

/** The problems of a cases text, or a failure when it parses. */
function problems(text: string, file = '/x/cases.yaml'): CaseProblem[] {
  try {
    parseCasesFile(file, text)
  } catch (e) {
    if (e instanceof CasesFileError) return [...e.problems]
    throw e
  }
  assert.fail('the text parsed')
}

describe('the cases file format', () => {
  test('reads capture and live cases with their expectations and defaults', () => {
    const cases = parseCasesFile('/repo/rules/tests/t.yaml', `
root: ../..
cases:
  - name: shadow read
    capture: captures/a.scap
    expect:
      - rule: Rule A
        count: 2
        fields: {proc.name: cat, fd.num: 3, evt.failed: false, k8s.pod.name: null}
    forbid: [Rule B]
  - name: live one
    run: cat /etc/shadow
    cleanup: rm -f /tmp/x
    scope: system
    timeout: 2.5
    requires: [cat]
    options: [rule_matching=all]
    expect_none: true
  - name: absolute
    capture: /data/b.scap
    expect: [{rule: Rule C}]
    skip: not today
`)
    assert.equal(cases.length, 3)
    const [a, b, c] = cases as [typeof cases[0], typeof cases[0], typeof cases[0]]
    assert.deepEqual(a.source, { kind: 'capture', path: '/repo/captures/a.scap', shown: 'captures/a.scap' })
    assert.equal(a.root, '/repo')
    assert.equal(a.line, 4)
    assert.equal(a.expect[0]!.rule, 'Rule A')
    assert.equal(a.expect[0]!.count, 2)
    assert.deepEqual([...a.expect[0]!.fields], [['proc.name', 'cat'], ['fd.num', 3], ['evt.failed', false], ['k8s.pod.name', null]])
    assert.deepEqual(a.forbid.map((f) => f.rule), ['Rule B'])
    assert.equal(a.expectNone, false)
    assert.equal(a.scope, 'session')
    assert.equal(a.timeoutMs, undefined)
    assert.deepEqual(b.source, { kind: 'run', command: 'cat /etc/shadow', cleanup: 'rm -f /tmp/x' })
    assert.equal(b.scope, 'system')
    assert.equal(b.timeoutMs, 2500)
    assert.deepEqual(b.requires, ['cat'])
    assert.deepEqual(b.options, ['rule_matching=all'])
    assert.equal(b.expectNone, true)
    assert.equal(c.expect[0]!.count, undefined)
    assert.equal(c.skip, 'not today')
    assert.deepEqual(c.source, { kind: 'capture', path: '/data/b.scap', shown: '/data/b.scap' })
  })

  test('resolves relative paths against the file\'s directory when there is no root', () => {
    const [c] = parseCasesFile(join('/srv/tests', 'x.yaml'), 'cases: [{name: a, capture: c.scap, expect_none: true}]')
    assert.equal(c!.source.kind === 'capture' && c!.source.path, '/srv/tests/c.scap')
  })

  test('reports a YAML syntax error at its line and column', () => {
    const p = problems('cases:\n  - name: a\n    capture: [unclosed\n')
    assert.equal(p.length >= 1, true)
    assert.equal(p[0]!.file, '/x/cases.yaml')
    assert.match(p[0]!.message, /^YAML error: /)
    assert.equal(p[0]!.line >= 3, true)
  })

  test('requires a mapping with a list of cases', () => {
    assert.match(problems('- name: a')[0]!.message, /a cases file is a mapping with a `cases` list/)
    assert.match(problems('root: .')[0]!.message, /missing `cases`/)
    assert.match(problems('cases: {name: a}')[0]!.message, /`cases` must be a list/)
  })

  test('names unknown keys, with the likely key meant', () => {
    const p = problems('cases:\n  - name: a\n    capture: a.scap\n    expects: [{rule: R}]\n    forbid: [R]\n')
    assert.deepEqual(p.map((x) => [x.line, x.column]), [[4, 5]])
    assert.equal(p[0]!.message, "unknown key 'expects' in a case (did you mean 'expect'?); known keys: name, capture, run, cleanup, expect, forbid, expect_none, options, requires, scope, timeout, skip")
  })

  test('needs exactly one source, and something to check', () => {
    assert.match(problems('cases: [{name: a, expect_none: true}]')[0]!.message, /needs `capture` .* or `run`/)
    assert.match(problems('cases: [{name: a, capture: x, run: y, expect_none: true}]')[0]!.message, /has both `capture` and `run`/)
    assert.match(problems('cases: [{name: a, capture: x}]')[0]!.message, /checks nothing: add `expect`, `forbid` or `expect_none: true`/)
    assert.match(problems('cases: [{capture: x, expect_none: true}]')[0]!.message, /a case needs a `name`/)
  })

  test('rejects contradictions and malformed expectations', () => {
    assert.match(problems('cases: [{name: a, capture: x, expect_none: true, expect: [{rule: R}]}]')[0]!.message, /contradicts `expect`/)
    assert.match(problems('cases: [{name: a, capture: x, expect_none: true, forbid: [R]}]')[0]!.message, /already forbids every rule/)
    assert.match(problems('cases: [{name: a, capture: x, expect: [{rule: R, count: -1}]}]')[0]!.message, /`count` must be a whole number/)
    assert.match(problems('cases: [{name: a, capture: x, expect: [{rule: R, count: 1.5}]}]')[0]!.message, /`count` must be a whole number/)
    assert.match(problems('cases: [{name: a, capture: x, expect: [{count: 1}]}]')[0]!.message, /needs the `rule` it expects/)
    assert.match(problems('cases: [{name: a, capture: x, expect: [{rule: R, fields: {proc.name: [a]}}]}]')[0]!.message, /value of proc.name must be a string/)
    assert.match(problems('cases: [{name: a, capture: x, expect: [{rule: R, fields: {"not a field": 1}}]}]')[0]!.message, /is not a field name/)
    assert.match(problems('cases: [{name: a, capture: x, expect: []}]')[0]!.message, /`expect` must be a non-empty list/)
    assert.match(problems('cases: [{name: a, capture: x, forbid: R}]')[0]!.message, /`forbid` must be a non-empty list of rule names/)
    assert.match(problems('cases: [{name: a, capture: x, expect_none: yes}]')[0]!.message, /`expect_none` must be true or false/)
  })

  test('checks the keys that only live cases take, and the others\' values', () => {
    assert.match(problems('cases: [{name: a, capture: x, scope: system, expect_none: true}]')[0]!.message, /`scope` applies to live/)
    assert.match(problems('cases: [{name: a, capture: x, cleanup: rm, expect_none: true}]')[0]!.message, /`cleanup` applies to live/)
    assert.match(problems('cases: [{name: a, run: x, scope: world, expect_none: true}]')[0]!.message, /`scope` is `session`/)
    assert.match(problems('cases: [{name: a, run: x, timeout: 0, expect_none: true}]')[0]!.message, /`timeout` is a number of seconds/)
    assert.match(problems('cases: [{name: a, run: x, options: [rule_matching], expect_none: true}]')[0]!.message, /option 'rule_matching' is not key=value/)
    assert.match(problems('cases: [{name: a, run: x, requires: ["a b"], expect_none: true}]')[0]!.message, /'a b' is not a program name/)
    assert.match(problems('cases: [{name: a, run: x, skip: "", expect_none: true}]')[0]!.message, /`skip` must give the reason/)
  })

  test('refuses duplicate case names, pointing at the first', () => {
    const p = problems('cases:\n  - {name: a, capture: x, expect_none: true}\n  - {name: a, capture: y, expect_none: true}\n')
    assert.deepEqual(p.map((x) => [x.line, x.message]), [[3, "duplicate case name 'a' (first used at line 2)"]])
  })

  test('collects every problem of a file at once', () => {
    const p = problems('cases:\n  - {name: a}\n  - {name: b, capture: x, expect: [{rule: R, count: x}]}\n  - 42\n')
    // line 2 has two: no source, and nothing to check
    assert.deepEqual(p.map((x) => x.line), [2, 2, 3, 4])
  })

  test('renders a problem as file:line:column: message', () => {
    const p = problems('cases:\n  - name: a\n    capture: x\n    forbid: R\n')
    assert.equal(formatProblem(p[0]!), '/x/cases.yaml:4:13: `forbid` must be a non-empty list of rule names')
  })

  test('suggests the closest known word only for likely typos', () => {
    assert.equal(closest('expct', ['expect', 'forbid']), 'expect')
    assert.equal(closest('Reverse Shel', ['Reverse Shell', 'Packet Socket Opened']), 'Reverse Shell')
    assert.equal(closest('completely different', ['expect', 'forbid']), undefined)
  })
})
