// Checks shared between conditions (SharedChecks): the same answers as compiled alone, with
// an and/or that several conditions contain evaluated once per event.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import type { FieldResolver } from '../../src/fields/binding.js'
import { compileFilter, SharedChecks } from '../../src/filter/compile.js'
import type { CompileWarning } from '../../src/filter/compile.js'
import { parseCondition } from '../../src/filter/parser.js'
import { SHARING_CONDITIONS, countingResolver, resolver, stampOf, type TestEvent } from './helpers.js'

function compileAll(conditions: readonly string[], r: FieldResolver<TestEvent>, shared?: SharedChecks<TestEvent>): ((ev: TestEvent) => boolean)[] {
  return conditions.map((c) => compileFilter(parseCondition(c), r, { shared }))
}

describe('shared checks', () => {
  it('evaluate an and/or that several conditions contain once per event', () => {
    const { resolver: r, reads } = countingResolver()
    const filters = compileAll(SHARING_CONDITIONS, r, new SharedChecks(stampOf))
    const ev: TestEvent = { 'evt.num': 1, 'evt.type': 'openat', 'fd.num': 3, 'proc.tty': 1, 'fd.name': '/etc/passwd', 'proc.name': 'cat' }
    assert.deepEqual(filters.map((f) => f(ev)), [true, false, false])
    // OPEN_READ's three fields were read once for the three conditions
    assert.equal(reads.get('evt.type'), 1)
    assert.equal(reads.get('fd.num'), 1)
    assert.equal(reads.get('proc.tty'), 1)
    // the next event (a new stamp) is evaluated again
    const next: TestEvent = { ...ev, 'evt.num': 2, 'evt.type': 'close' }
    assert.deepEqual(filters.map((f) => f(next)), [false, false, true])
    assert.equal(reads.get('evt.type'), 2)
  })

  it('give what each condition gives alone, event after event', () => {
    const shared = compileAll(SHARING_CONDITIONS, resolver, new SharedChecks(stampOf))
    const alone = compileAll(SHARING_CONDITIONS, resolver)
    const types = ['open', 'openat', 'close']
    const names = ['/etc/shadow', '/root/.ssh', '/tmp/x']
    const procs = ['sshd', 'bash', 'cat']
    let num = 0
    for (const type of types) {
      for (const name of names) {
        for (const proc of procs) {
          for (const tty of [0, 1]) {
            const ev: TestEvent = { 'evt.num': ++num, 'evt.type': type, 'fd.num': num % 3 === 0 ? -1 : 4, 'proc.tty': tty, 'fd.name': name, 'proc.name': proc }
            assert.deepEqual(shared.map((f) => f(ev)), alone.map((f) => f(ev)), JSON.stringify(ev))
          }
        }
      }
    }
  })

  it('tell two events with the same stamp apart by the event object', () => {
    const filters = compileAll(SHARING_CONDITIONS, resolver, new SharedChecks(stampOf))
    const a: TestEvent = { 'evt.num': 7, 'evt.type': 'openat', 'fd.num': 3, 'proc.tty': 1, 'fd.name': '/etc/passwd', 'proc.name': 'cat' }
    const b: TestEvent = { ...a, 'evt.type': 'close' }
    assert.equal(filters[0]!(a), true)
    assert.equal(filters[0]!(b), false)
  })

  it('compile a check or and/or met before without a warning only once, and give its predicate again', () => {
    const { resolver: r, binds } = countingResolver()
    const shared = new SharedChecks(stampOf)
    const warnings: CompileWarning[] = []
    const filters = SHARING_CONDITIONS.map((c) => compileFilter(parseCondition(c), r, { shared, warnings }))
    assert.deepEqual(warnings, [])
    // OPEN_READ is in the three conditions; fd.name is read by two different checks
    assert.equal(binds.get('fd.num'), 1)
    assert.equal(binds.get('fd.name'), 2)
    assert.equal(compileFilter(parseCondition('proc.name = bash'), r, { shared, warnings }), compileFilter(parseCondition('proc.name=bash'), r, { shared, warnings }))
    const ev: TestEvent = { 'evt.num': 1, 'evt.type': 'openat', 'fd.num': 3, 'proc.tty': 1, 'fd.name': '/etc/passwd', 'proc.name': 'cat' }
    assert.deepEqual(filters.map((f) => f(ev)), [true, false, false])
  })

  it('compile again, with its warnings at each use, what warned, and throw the errors of each use', () => {
    const shared = new SharedChecks(stampOf)
    const warnings: CompileWarning[] = []
    // a value that names a field: Falco warns that it may be a field misused as a value
    const warns = '(proc.name = proc.pname and fd.num >= 0)'
    compileFilter(parseCondition(`${warns} and evt.type = open`), resolver, { shared, warnings })
    compileFilter(parseCondition(`proc.tty = 0 or ${warns}`), resolver, { shared, warnings })
    assert.deepEqual(warnings.map((w) => [w.message, w.pos.col]), [
      ["'proc.pname' may be a valid field misused as a const string value", 14],
      ["'proc.pname' may be a valid field misused as a const string value", 30],
    ])
    for (let i = 0; i < 2; i++) {
      assert.throws(() => compileFilter(parseCondition('evt.type = open and (proc.tty = 0 or proc.nope = 1)'), resolver, { shared, warnings }), /nonexistent field proc\.nope/)
    }
  })

  it('never share checks that read a field keeping state per use', () => {
    const { resolver: r, reads } = countingResolver()
    const filters = compileAll(SHARING_CONDITIONS, r, new SharedChecks(stampOf, new Set(['proc.tty'])))
    const ev: TestEvent = { 'evt.num': 1, 'evt.type': 'openat', 'fd.num': 3, 'proc.tty': 1, 'fd.name': '/etc/passwd', 'proc.name': 'cat' }
    filters.forEach((f) => f(ev))
    assert.equal(reads.get('proc.tty'), 3)
  })
})
