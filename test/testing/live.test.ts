// SakerLiveRunner against a stand-in for bin/saker (a small node script that behaves as the
// live source does: it says when it watches, and prints its alerts when stopped), so the
// runner's own logic is tested without root or a probe.

import assert from 'node:assert/strict'
import { afterEach, beforeEach, describe, test } from 'node:test'
import { SakerLiveRunner } from '../../src/testing/live.js'
import { Scratch } from './helpers.js'

let s: Scratch
beforeEach(() => (s = new Scratch()))
afterEach(() => s.dispose())

let fakes = 0
/** A fake saker: logs readiness, and on SIGINT prints one alert whose session is `sid`. */
function fakeSaker(opts: { sid?: string; exitAtOnce?: string; crashAfterMs?: number } = {}): string {
  const alert = JSON.stringify({ rule: 'Rule A', priority: 'Warning', output: 'seen', output_fields: { saker_test_sid: opts.sid ?? 1, 'proc.name': 'cat' } })
  return s.file(`fake-saker-${++fakes}.mjs`, opts.exitAtOnce !== undefined
    ? `process.stderr.write(${JSON.stringify(opts.exitAtOnce + '\n')}); process.exit(1)\n`
    : [
      `process.stderr.write('Live capture started: 3 syscalls selected\\n')`,
      `process.on('SIGINT', () => { process.stdout.write(${JSON.stringify(alert + '\n')}); process.exit(0) })`,
      opts.crashAfterMs !== undefined ? `setTimeout(() => { process.stderr.write('Error: ring buffer lost\\n'); process.exit(3) }, ${opts.crashAfterMs})` : '',
      'setInterval(() => {}, 1000)',
    ].join('\n'))
}

const request = { rulesFiles: ['r.yaml'], options: [], timeoutMs: 10_000, cwd: '/' }

describe('the live runner', () => {
  test('keeps every alert with scope system, and only the command\'s session with scope session', async () => {
    const runner = new SakerLiveRunner({ sakerBin: fakeSaker(), settleMs: 10 })
    try {
      const all = await runner.run({ ...request, command: 'true', scope: 'system' })
      assert.ok('alerts' in all)
      assert.deepEqual(all.alerts.map((a) => [a.rule, a.outputFields['proc.name']]), [['Rule A', 'cat']])
      const mine = await runner.run({ ...request, command: 'true', scope: 'session' })
      assert.ok('alerts' in mine)
      assert.deepEqual(mine.alerts, [], 'the alert belongs to session 1, not to the command')
    } finally {
      await runner.close()
    }
  })

  test('notes how a failing command ended, and runs the cleanup after Saker stopped', async () => {
    const runner = new SakerLiveRunner({ sakerBin: fakeSaker(), settleMs: 10 })
    const mark = `${s.dir}/cleaned`
    try {
      const r = await runner.run({ ...request, command: 'echo oops >&2; exit 4', cleanup: `touch ${mark}`, scope: 'system' })
      assert.ok('alerts' in r)
      assert.equal(r.note, 'the command exited with 4: oops')
      const { existsSync } = await import('node:fs')
      assert.equal(existsSync(mark), true)
    } finally {
      await runner.close()
    }
  })

  test('kills a command that outlives its timeout', async () => {
    const runner = new SakerLiveRunner({ sakerBin: fakeSaker(), settleMs: 10 })
    try {
      const r = await runner.run({ ...request, command: 'sleep 30', scope: 'system', timeoutMs: 300 })
      assert.deepEqual(r, { error: 'the command did not finish in 0.3 s (killed)' })
    } finally {
      await runner.close()
    }
  })

  test('reports Saker refusing to start, and Saker stopping while the command runs', async () => {
    const refusing = new SakerLiveRunner({ sakerBin: fakeSaker({ exitAtOnce: "Error: engine.kind 'modern_ebpf' is not available" }) })
    const crashing = new SakerLiveRunner({ sakerBin: fakeSaker({ crashAfterMs: 50 }), settleMs: 200 })
    try {
      const r = await refusing.run({ ...request, command: 'true', scope: 'system' })
      assert.deepEqual(r, { error: "Saker did not start watching: Error: engine.kind 'modern_ebpf' is not available" })
      if (process.getuid?.() === 0) {
        assert.equal(await refusing.unavailable(['r.yaml']), "no live event source: Error: engine.kind 'modern_ebpf' is not available")
      } else {
        assert.equal(await refusing.unavailable(['r.yaml']), 'live cases run their command as root: run saker test as root')
      }
      const c = await crashing.run({ ...request, command: 'sleep 0.1', scope: 'system' })
      assert.deepEqual(c, { error: 'Saker stopped while the command ran: Error: ring buffer lost' })
    } finally {
      await refusing.close()
      await crashing.close()
    }
  })

  test('gives up when Saker never says it watches', async () => {
    const silent = s.file('silent.mjs', 'setInterval(() => {}, 1000)\n')
    const runner = new SakerLiveRunner({ sakerBin: silent, startupMs: 200 })
    try {
      const r = await runner.run({ ...request, command: 'true', scope: 'system' })
      assert.ok('error' in r && /did not report that it watches \(\/Live capture started\/\) within 0\.2 s/.test(r.error), JSON.stringify(r))
    } finally {
      await runner.close()
    }
  })
})
