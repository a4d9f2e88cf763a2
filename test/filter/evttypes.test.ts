import { describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { PPM_EVENT_MAX, eventCodesByName } from '../../src/events/table.js'
import { EvttypeError, eventTypesOf, unknownEventTypes } from '../../src/filter/evttypes.js'
import { parseCondition } from '../../src/filter/parser.js'

const types = (cond: string, opts?: { evtNumInvariant?: boolean }): Set<number> | 'all' => eventTypesOf(parseCondition(cond), opts)
const codes = (...names: string[]): number[] => [...new Set(names.flatMap((n) => [...eventCodesByName(n)]))].sort((a, b) => a - b)
const sorted = (s: Set<number> | 'all'): number[] | 'all' => (s === 'all' ? 'all' : [...s].sort((a, b) => a - b))
const allBut = (...names: string[]): number[] => {
  const ex = new Set(codes(...names))
  const out: number[] = []
  for (let i = 0; i < PPM_EVENT_MAX; i++) if (!ex.has(i)) out.push(i)
  return out
}

describe('event types of a condition', () => {
  test('evt.type = name gives every event of that name', () => {
    assert.deepEqual(sorted(types('evt.type = open')), codes('open'))
    assert.deepEqual(sorted(types('evt.type == execve')), codes('execve'))
  })

  test('in gives the union of the names', () => {
    assert.deepEqual(sorted(types('evt.type in (open, openat, connect)')), codes('open', 'openat', 'connect'))
  })

  test('a condition without evt.type matches all types', () => {
    assert.equal(types('proc.name = cat'), 'all')
    assert.equal(types('evt.type exists'), 'all')
    assert.equal(types('not proc.name = cat'), 'all')
  })

  test('!= and not invert evt.type sets only', () => {
    assert.deepEqual(sorted(types('evt.type != execve')), allBut('execve'))
    assert.deepEqual(sorted(types('not evt.type = execve')), allBut('execve'))
    assert.deepEqual(sorted(types('not evt.type in (execve, open)')), allBut('execve', 'open'))
    assert.deepEqual(sorted(types('not evt.type != open')), codes('open'))
  })

  test('and intersects and or unites', () => {
    assert.deepEqual(sorted(types('evt.type = open and proc.name = cat')), codes('open'))
    assert.deepEqual(sorted(types('evt.type in (open, connect) and evt.type = open')), codes('open'))
    assert.deepEqual(sorted(types('evt.type = execve and proc.name = foo or evt.type = open')), codes('execve', 'open'))
    assert.equal(types('evt.type = execve or proc.name = foo'), 'all')
    assert.deepEqual(sorted(types('evt.type = open and evt.type = connect')), [])
  })

  test('not is pushed down with De Morgan', () => {
    // not (A or B) = not A and not B
    assert.deepEqual(sorted(types('not (evt.type = open or evt.type = execve)')), allBut('open', 'execve'))
    // not (A and neutral) = not A or neutral = all
    assert.equal(types('not (evt.type = open and proc.name = cat)'), 'all')
  })

  test('mixed rules from Falco\'s warning tests', () => {
    assert.deepEqual(sorted(types('evt.type=execve and proc.name=foo or evt.type=open or evt.type!=connect')), allBut('connect'))
    assert.deepEqual(sorted(types('evt.type in (execve, open) or evt.type!=connect')), allBut('connect'))
    assert.deepEqual(sorted(types('evt.type=execve and not proc.name=foo or evt.type=open')), codes('execve', 'open'))
  })

  test('syscalls without their own event map to the generic events', () => {
    assert.deepEqual(sorted(types('evt.type = fchmodat2')), [0, 1])
  })

  test('unknown names match nothing', () => {
    assert.deepEqual(sorted(types('evt.type = some_invalid_event')), [])
  })

  test('evt.num checks that cannot be true give no type', () => {
    assert.deepEqual(sorted(types('evt.num = 0')), [])
    assert.deepEqual(sorted(types('evt.type = open and evt.num < 1')), [])
    assert.equal(types('evt.num > 0'), 'all')
    assert.equal(types('evt.num = 0', { evtNumInvariant: false }), 'all')
    assert.equal(types('not evt.num = 0'), 'all')
  })

  test('evt.type under a transformer or against a field is refused', () => {
    assert.throws(() => types('tolower(evt.type) = open'), EvttypeError)
    assert.throws(() => types('evt.type = val(proc.name)'), /right-hand field comparisons/)
    // operators outside =, !=, in do not look at evt.type at all
    assert.equal(types('evt.type startswith open'), 'all')
  })

  test('unknown event names are listed for the loader', () => {
    const e = parseCondition('evt.type in (open, some_invalid_event) or evt.type = nope or evt.type = nope')
    assert.deepEqual(unknownEventTypes(e), ['some_invalid_event', 'nope'])
    assert.deepEqual(unknownEventTypes(parseCondition('evt.type = open')), [])
  })
})
