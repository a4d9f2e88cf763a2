import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { parseCasesFile } from '../../src/testing/cases.js'
import { judge, parseAlerts, summarize } from '../../src/testing/verdict.js'
import { alert } from './helpers.js'

const KNOWN = new Set(['Rule A', 'Rule B', 'Reverse Shell'])

/** One case from its YAML mapping text (capture x). */
function oneCase(body: string) {
  const [c] = parseCasesFile('/t/c.yaml', `cases:\n  - name: c\n    capture: x.scap\n${body.replace(/^/gm, '    ')}\n`)
  return c!
}

describe('alerts from Saker\'s output', () => {
  test('keeps the JSON lines that carry a rule and ignores the rest', () => {
    const out = [
      '{"hostname":"h","output":"o1","output_fields":{"proc.name":"cat"},"priority":"Warning","rule":"Rule A","source":"syscall","tags":[]}',
      'Events detected: 1',
      '{"not":"an alert"}',
      '{broken json',
      '{"output":"o2","priority":"Notice","rule":"Rule B"}',
      '',
    ].join('\n')
    const alerts = parseAlerts(out)
    assert.deepEqual(alerts.map((a) => [a.rule, a.priority, a.output]), [['Rule A', 'Warning', 'o1'], ['Rule B', 'Notice', 'o2']])
    assert.deepEqual(alerts[0]!.outputFields, { 'proc.name': 'cat' })
    assert.deepEqual(alerts[1]!.outputFields, {})
  })
})

describe('judging a case', () => {
  test('passes when the expected rule fires, at least once by default', () => {
    const c = oneCase('expect: [{rule: Rule A}]')
    assert.deepEqual(judge(c, [alert('Rule A'), alert('Rule A')], KNOWN), [])
  })

  test('counts exactly, and only the alerts whose fields match', () => {
    const c = oneCase('expect: [{rule: Rule A, count: 1, fields: {proc.name: cat, fd.num: 3}}]')
    const cat = alert('Rule A', { 'proc.name': 'cat', 'fd.num': 3 })
    const bash = alert('Rule A', { 'proc.name': 'bash', 'fd.num': 3 })
    assert.deepEqual(judge(c, [cat, bash], KNOWN), [])
    assert.deepEqual(judge(c, [cat, cat], KNOWN), ["expected 'Rule A' with proc.name=cat fd.num=3: 1 alert, got 2"])
    assert.deepEqual(judge(c, [bash], KNOWN), [
      "expected 'Rule A' with proc.name=cat fd.num=3: 1 alert, got 0; it raised 1 with other fields: proc.name=bash fd.num=3",
    ])
  })

  test('compares field values as text, and null with a missing value', () => {
    const c = oneCase('expect: [{rule: Rule A, fields: {fd.num: "3", evt.failed: false, k8s.pod.name: null}}]')
    assert.deepEqual(judge(c, [alert('Rule A', { 'fd.num': 3, 'evt.failed': 'false', 'k8s.pod.name': null })], KNOWN), [])
    assert.equal(judge(c, [alert('Rule A', { 'fd.num': 3, 'evt.failed': false, 'k8s.pod.name': 'web' })], KNOWN).length, 1)
  })

  test('says when an expected field is not in the rule\'s output', () => {
    const c = oneCase('expect: [{rule: Rule A, fields: {proc.pid: 1}}]')
    assert.deepEqual(judge(c, [alert('Rule A', { 'proc.name': 'cat', 'fd.name': '/x' })], KNOWN), [
      "'proc.pid' is not in the output of 'Rule A' (its alerts carry proc.name, fd.name)",
    ])
  })

  test('lists what fired instead when the expected rule is silent', () => {
    const c = oneCase('expect: [{rule: Rule A}]')
    assert.deepEqual(judge(c, [alert('Rule B'), alert('Rule B')], KNOWN), ["expected 'Rule A': at least 1 alert, got 0; alerts raised: 'Rule B' ×2"])
    assert.deepEqual(judge(c, [], KNOWN), ["expected 'Rule A': at least 1 alert, got 0; no alert was raised at all"])
  })

  test('fails on a forbidden rule, showing its alert', () => {
    const c = oneCase('forbid: [Rule B]')
    assert.deepEqual(judge(c, [alert('Rule A')], KNOWN), [])
    assert.deepEqual(judge(c, [alert('Rule B', {}, 'bad  thing\nhappened')], KNOWN), ["forbidden 'Rule B' raised 1 alert: bad thing happened"])
  })

  test('expect_none fails on any alert', () => {
    const c = oneCase('expect_none: true')
    assert.deepEqual(judge(c, [], KNOWN), [])
    assert.deepEqual(judge(c, [alert('Rule A', {}, 'x'), alert('Rule B')], KNOWN), ["expected no alerts, got 2: 'Rule A' ×1, 'Rule B' ×1; first: x"])
  })

  test('a rule the files do not define fails the case instead of passing it vacuously', () => {
    const c = oneCase('forbid: [Reverse Shel]')
    assert.deepEqual(judge(c, [], KNOWN), ["rule 'Reverse Shel' is not defined in the rules files (did you mean 'Reverse Shell'?)"])
    assert.deepEqual(judge(c, [], null), [])
  })

  test('summarizes alerts by rule in order of appearance', () => {
    assert.equal(summarize([alert('B'), alert('A'), alert('B')]), "'B' ×2, 'A' ×1")
  })
})
