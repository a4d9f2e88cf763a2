// runRuleTests against the real bin/saker: replays through the command line, rule listing,
// and what a user sees when the rules do not load.

import assert from 'node:assert/strict'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, test } from 'node:test'
import { runRuleTests } from '../../src/testing/runner.js'
import { TestConfig, defaultSakerBin, listRules, stderrTail } from '../../src/testing/saker.js'
import { REPO_ROOT, Scratch } from './helpers.js'

const CAPTURE = join(REPO_ROOT, 'rules', 'tests', 'captures', 'credential-read.scap')
const RULES = `
- rule: Shadow opened
  desc: anything opening /etc/shadow
  condition: evt.type in (open, openat) and fd.num >= 0 and fd.name = /etc/shadow
  output: shadow opened by %proc.name (file=%fd.name)
  priority: WARNING
`

let s: Scratch
beforeEach(() => (s = new Scratch()))
afterEach(() => s.dispose())

async function runIt(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = ''
  let err = ''
  const code = await runRuleTests(args, { write: (x) => (out += x), writeError: (x) => (err += x) })
  return { code, out, err }
}

describe('saker test through bin/saker', () => {
  test('the built bin/saker is the default', () => {
    assert.equal(defaultSakerBin(), join(REPO_ROOT, 'bin', 'saker'))
  })

  test('replays a capture and judges its alerts', async () => {
    const rules = s.file('r.yaml', RULES)
    const cases = s.file('c.yaml', `cases:
  - name: cat and sshd-less shadow reads
    capture: ${CAPTURE}
    expect:
      - {rule: Shadow opened, count: 1, fields: {proc.name: cat, fd.name: /etc/shadow}}
  - name: the same capture, nothing else
    capture: ${CAPTURE}
    forbid: [Shadow opened]
`)
    const r = await runIt([rules, '--cases', cases, '--no-live'])
    assert.equal(r.code, 1, r.out + r.err)
    assert.match(r.out, /  ✔ cat and sshd-less shadow reads\n/)
    assert.match(r.out, /  ✖ the same capture, nothing else .*\n      forbidden 'Shadow opened' raised 1 alert: .*shadow opened by cat \(file=\/etc\/shadow\)/)
    assert.match(r.out, /\n1 passed, 1 failed, 0 skipped\n$/)
  })

  test('a capture Saker cannot read fails its case with Saker\'s error', async () => {
    const rules = s.file('r.yaml', RULES)
    const junk = s.file('junk.scap', 'this is not a capture')
    const cases = s.file('c.yaml', `cases: [{name: junk, capture: ${junk}, expect_none: true}]\n`)
    const r = await runIt([rules, '--cases', cases, '--no-live'])
    assert.equal(r.code, 1)
    assert.match(r.out, /  ✖ junk .*\n      saker exited with code 1:\n      Error: /)
  })

  test('rules that do not load stop the run with Saker\'s load error', async () => {
    const rules = s.file('bad.yaml', '- rule: broken\n  desc: x\n  condition: proc.name = \n  output: x\n  priority: WARNING\n')
    const cases = s.file('c.yaml', `cases: [{name: c, capture: ${CAPTURE}, expect_none: true}]\n`)
    const r = await runIt([rules, '--cases', cases, '--no-live'])
    assert.equal(r.code, 2)
    assert.match(r.err, /^saker test: the rules files do not load:\n/)
    assert.match(r.err, /LOAD_ERR_COMPILE_CONDITION/)
  })

  test('listRules names the rules the files define', async () => {
    const config = new TestConfig()
    try {
      const listed = await listRules(defaultSakerBin(), config, [s.file('r.yaml', RULES)])
      assert.deepEqual('names' in listed && [...listed.names], ['Shadow opened'])
    } finally {
      config.dispose()
    }
  })

  test('stderrTail keeps Saker\'s error rather than its log', () => {
    assert.equal(stderrTail('Mon: Saker version\nMon: Loading rules\nError: bad thing\n  detail\nSyscall event drop monitoring:\n   - x\n'), 'Error: bad thing\n  detail')
    assert.equal(stderrTail('a\nb\nc\n', 2), 'b\nc')
  })
})
