import assert from 'node:assert/strict'
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, test } from 'node:test'
import { noLiveRunner } from '../../src/testing/live.js'
import { FakeLive, Scratch, alert, run } from './helpers.js'

let s: Scratch
let rules: string
beforeEach(() => {
  s = new Scratch()
  rules = s.file('rules.yaml', '- rule: Rule A\n')
  s.file('a.scap', 'x')
  s.file('b.scap', 'x')
})
afterEach(() => s.dispose())

const cases = (body: string): string => s.file('cases.yaml', `cases:\n${body}`)

describe('saker test', () => {
  test('prints ✔ per passing case and exits 0 when all pass', async () => {
    const file = cases(`
  - name: first
    capture: a.scap
    expect: [{rule: Rule A, count: 1}]
  - name: second
    capture: b.scap
    expect_none: true
`)
    const r = await run([rules, '--cases', file], { captures: { 'a.scap': [alert('Rule A')] } })
    assert.equal(r.code, 0)
    assert.equal(r.err, '')
    assert.equal(r.out, [
      `saker test: 1 rules file (3 rules), 1 cases file, 2 cases`,
      '',
      file,
      '  ✔ first',
      '  ✔ second',
      '',
      '2 passed, 0 failed, 0 skipped',
      '',
    ].join('\n'))
  })

  test('prints ✖ with the reasons and where the case is, and exits 1', async () => {
    const file = cases(`
  - name: quiet
    capture: a.scap
    expect: [{rule: Rule A}]
  - name: noisy
    capture: b.scap
    forbid: [Rule B]
`)
    const r = await run([rules, '--cases', file], { captures: { 'b.scap': [alert('Rule B', {}, 'b happened')] } })
    assert.equal(r.code, 1)
    assert.match(r.out, new RegExp(`  ✖ quiet  \\(${file}:3\\)\\n      expected 'Rule A': at least 1 alert, got 0; no alert was raised at all\\n`))
    assert.match(r.out, /  ✖ noisy  \(.*:6\)\n      forbidden 'Rule B' raised 1 alert: b happened\n/)
    assert.match(r.out, /\n0 passed, 2 failed, 0 skipped\n$/)
  })

  test('with --verbose, lists the alerts of failing cases', async () => {
    const file = cases('  - {name: c, capture: a.scap, expect: [{rule: Rule A, count: 2}]}\n')
    const r = await run([rules, '--cases', file, '-v'], { captures: { 'a.scap': [alert('Rule A', {}, 'the output')] } })
    assert.match(r.out, /      \| Rule A: the output\n/)
  })

  test('skips live cases when there is no live source, giving the reason once, and exits 0', async () => {
    const file = cases(`
  - {name: live 1, run: "cat /etc/shadow", expect: [{rule: Rule A}]}
  - {name: live 2, run: "true", expect_none: true}
  - {name: replay, capture: a.scap, expect_none: true}
`)
    const r = await run([rules, '--cases', file], { live: noLiveRunner('the probe is not loaded') })
    assert.equal(r.code, 0)
    assert.match(r.out, /  - live 1 \(skipped: no live source\)\n  - live 2 \(skipped: no live source\)\n  ✔ replay\n/)
    assert.match(r.out, /\n2 live cases skipped: the probe is not loaded\n1 passed, 0 failed, 2 skipped\n$/)
  })

  test('--strict makes skipped cases fail the run', async () => {
    const file = cases('  - {name: live, run: "true", expect_none: true}\n')
    assert.equal((await run([rules, '--cases', file])).code, 0)
    assert.equal((await run([rules, '--cases', file, '--strict'])).code, 1)
  })

  test('--no-live skips live cases without asking the live runner', async () => {
    const live = new FakeLive({}, null)
    const file = cases('  - {name: live, run: "true", expect_none: true}\n')
    const r = await run([rules, '--cases', file, '--no-live'], { live })
    assert.equal(live.calls.length, 0)
    assert.match(r.out, /1 live case skipped: --no-live given\n/)
  })

  test('runs live cases through the live runner, one at a time, with what the case asks', async () => {
    const live = new FakeLive({ 'cat /etc/shadow': { alerts: [alert('Rule A', { 'proc.name': 'cat' })] }, 'true': { error: 'boom' } })
    const file = cases(`
  - name: shadow
    run: cat /etc/shadow
    cleanup: rm -f x
    scope: system
    timeout: 3
    options: [rule_matching=all]
    expect: [{rule: Rule A, fields: {proc.name: cat}}]
  - {name: broken, run: "true", expect_none: true}
`)
    const r = await run([rules, '--cases', file], { live })
    assert.equal(r.code, 1)
    assert.deepEqual(live.calls[0], {
      rulesFiles: [rules], command: 'cat /etc/shadow', cleanup: 'rm -f x', scope: 'system', timeoutMs: 3000,
      options: ['rule_matching=all'], cwd: s.dir,
    })
    assert.match(r.out, /  ✔ shadow\n  ✖ broken  \(.*\)\n      boom\n/)
  })

  test('adds the live runner\'s note about the command to a failure', async () => {
    const live = new FakeLive({ 'false': { alerts: [], note: 'the command exited with 1' } })
    const file = cases('  - {name: c, run: "false", expect: [{rule: Rule A}]}\n')
    const r = await run([rules, '--cases', file], { live })
    assert.match(r.out, /got 0; no alert was raised at all\n      the command exited with 1\n/)
  })

  test('skips cases whose capture is missing, whose programs are missing, or that say so', async () => {
    const file = cases(`
  - {name: gone, capture: ../nowhere/x.scap, expect_none: true}
  - {name: needs, capture: a.scap, requires: [saker-no-such-program], expect_none: true}
  - {name: later, capture: a.scap, skip: waiting for the probe, expect_none: true}
`)
    const r = await run([rules, '--cases', file])
    assert.equal(r.code, 0)
    assert.match(r.out, /  - gone \(skipped: capture \.\.\/nowhere\/x\.scap not found\)\n/)
    assert.match(r.out, /  - needs \(skipped: needs saker-no-such-program \(not found on PATH\)\)\n/)
    assert.match(r.out, /  - later \(skipped: waiting for the probe\)\n/)
    assert.equal(r.replays.length, 0)
  })

  test('a failed replay fails its case with Saker\'s message', async () => {
    const file = cases('  - {name: c, capture: a.scap, expect_none: true}\n')
    const r = await run([rules, '--cases', file], { captures: { 'a.scap': { error: 'saker exited with code 1:\nError: bad capture' } } })
    assert.equal(r.code, 1)
    assert.match(r.out, /  ✖ c  \(.*\)\n      saker exited with code 1:\n      Error: bad capture\n/)
  })

  test('cases sharing a capture and options share one replay', async () => {
    const file = cases(`
  - {name: one, capture: a.scap, expect_none: true}
  - {name: two, capture: a.scap, forbid: [Rule A]}
  - {name: three, capture: a.scap, options: [rule_matching=all], expect_none: true}
`)
    const r = await run([rules, '--cases', file])
    assert.equal(r.code, 0)
    assert.deepEqual(r.replays.map((x) => x.options), [[], ['rule_matching=all']])
    assert.equal(r.replays[0]!.capture, join(s.dir, 'a.scap'))
    assert.deepEqual(r.replays[0]!.rulesFiles, [rules])
  })

  test('runs at most --jobs replays at once', async () => {
    let running = 0
    let most = 0
    const names = Array.from({ length: 6 }, (_, i) => `c${i}.scap`)
    for (const n of names) s.file(n, 'x')
    const file = cases(names.map((n) => `  - {name: ${n}, capture: ${n}, expect_none: true}\n`).join(''))
    const r = await run([rules, '--cases', file, '--jobs', '2'], {
      deps: {
        jobs: undefined as unknown as number,
        replay: async () => {
          most = Math.max(most, ++running)
          await new Promise((res) => setTimeout(res, 20))
          running--
          return { alerts: [] }
        },
      },
    })
    assert.equal(r.code, 0)
    assert.equal(most, 2)
  })

  test('--filter runs the cases whose name contains the text', async () => {
    const file = cases(`
  - {name: Reverse shell over TCP, capture: a.scap, expect_none: true}
  - {name: cron edit, capture: b.scap, expect_none: true}
`)
    const r = await run([rules, '--cases', file, '--filter', 'REVERSE'])
    assert.match(r.out, /1 case \(of 2, --filter REVERSE\)/)
    assert.doesNotMatch(r.out, /cron edit/)
    const none = await run([rules, '--cases', file, '--filter', 'nothing'])
    assert.equal(none.code, 2)
    assert.equal(none.err, "saker test: no case name contains 'nothing' (of 2 cases)\n")
  })

  test('a directory given to --cases contributes its YAML files in name order', async () => {
    const dir = join(s.dir, 'cases.d')
    mkdirSync(dir)
    s.file('cases.d/b.yaml', 'root: ..\ncases: [{name: from b, capture: a.scap, expect_none: true}]\n')
    s.file('cases.d/a.yml', 'root: ..\ncases: [{name: from a, capture: a.scap, expect_none: true}]\n')
    s.file('cases.d/notes.txt', 'ignored')
    const r = await run([rules, '--cases', dir])
    assert.equal(r.code, 0)
    assert.ok(r.out.indexOf('from a') < r.out.indexOf('from b'))
    assert.match(r.out, /2 cases files, 2 cases/)
  })

  test('a malformed cases file stops the run with every problem, by file, line and column (exit 2)', async () => {
    const bad1 = s.file('bad1.yaml', 'cases:\n  - name: a\n    capture: a.scap\n    expect: [{rule: Rule A, count: many}]\n')
    const bad2 = s.file('bad2.yaml', 'cases:\n  - name: b\n    run: true\n')
    const r = await run([rules, '--cases', bad1, '--cases', bad2])
    assert.equal(r.code, 2)
    assert.equal(r.out, '')
    assert.equal(r.err, [
      'saker test: malformed cases files:',
      `  ${bad1}:4:36: \`count\` must be a whole number, 0 or more`,
      `  ${bad2}:2:5: case 'b' checks nothing: add \`expect\`, \`forbid\` or \`expect_none: true\``,
      '',
    ].join('\n'))
  })

  test('rules files that do not load stop the run (exit 2)', async () => {
    const file = cases('  - {name: c, capture: a.scap, expect_none: true}\n')
    const r = await run([rules, '--cases', file], { deps: { listRules: async () => ({ error: 'LOAD_ERR_YAML_PARSE at 1:1' }) } })
    assert.equal(r.code, 2)
    assert.equal(r.err, 'saker test: the rules files do not load:\n  LOAD_ERR_YAML_PARSE at 1:1\n')
  })

  test('wrong arguments print the usage and exit 2; --help prints it and exits 0', async () => {
    const file = cases('  - {name: c, capture: a.scap, expect_none: true}\n')
    for (const [args, msg] of [
      [['--cases', file], 'give at least one rules file'],
      [[rules], 'give the cases to run with --cases'],
      [[rules, '--cases'], '--cases needs a value'],
      [[rules, '--cases', file, '--frobnicate'], "unknown option '--frobnicate'"],
      [[rules, '--cases', file, '--jobs', '0'], "--jobs takes a whole number from 1 to 256, not '0'"],
      [[join(s.dir, 'missing.yaml'), '--cases', file], `rules file '${join(s.dir, 'missing.yaml')}' not found`],
    ] as [string[], string][]) {
      const r = await run(args)
      assert.equal(r.code, 2, args.join(' '))
      assert.ok(r.err.startsWith(`saker test: ${msg}\nUsage: saker test`), r.err)
    }
    const missing = await run([rules, '--cases', join(s.dir, 'nope')])
    assert.equal(missing.code, 2)
    assert.equal(missing.err, `saker test: cases file or directory '${join(s.dir, 'nope')}' not found\n`)
    const help = await run(['--help'])
    assert.equal(help.code, 0)
    assert.match(help.out, /^Usage: saker test <rules-file>\.\.\. --cases <file\|dir>/)
  })
})
