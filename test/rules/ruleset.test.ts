// The rule index by event type: each type's rules in load order, 'all' rules among them.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { Ruleset } from '../../src/engine/ruleset.js'
import type { CompiledRule } from '../../src/rules/compiler.js'

function rule(name: string, evttypes: number[] | 'all', enabled = true): CompiledRule {
  return {
    name, source: 'syscall', priority: 4, tags: [], evttypes: evttypes === 'all' ? 'all' : new Set(evttypes),
    info: { enabled },
  } as unknown as CompiledRule
}

describe('Ruleset index', () => {
  const rules = [rule('a', [3, 5]), rule('b', 'all'), rule('c', [5]), rule('d', [3], false), rule('e', [9, 3])]
  const names = (rs: Ruleset, t: number): string[] => rs.forType(t).map((r) => r.name)

  it('lists the enabled rules of each type in load order', () => {
    const rs = new Ruleset('syscall', rules, 7, 10)
    assert.deepEqual(names(rs, 3), ['a', 'b', 'e'])
    assert.deepEqual(names(rs, 5), ['a', 'b', 'c'])
    assert.deepEqual(names(rs, 9), ['b', 'e'])
    assert.deepEqual(names(rs, 0), ['b'])
    // past the table: the rules of every type
    assert.deepEqual(names(rs, 42), ['b'])
  })

  it('follows enabling and disabling', () => {
    const rs = new Ruleset('syscall', rules, 7, 10)
    rs.enableByName('d', true)
    rs.enableByName('b', false)
    assert.deepEqual(names(rs, 3), ['a', 'd', 'e'])
    assert.deepEqual(names(rs, 0), [])
  })
})
