import { describe, test } from 'node:test'
import assert from 'node:assert/strict'
import type { Expr } from '../../src/filter/ast.js'
import { resolveMacros, substituteListsInText } from '../../src/filter/expand.js'
import { parseCondition } from '../../src/filter/parser.js'
import { exprToString } from '../../src/filter/print.js'

const p = (s: string): Expr => parseCondition(s)

describe('list expansion', () => {
  test("Falco's text substitution swallows blanks and handles empty lists", () => {
    const all = [
      { name: 'shells', items: ['bash', 'sh'] },
      { name: 'empty', items: [] },
      { name: 'spaced', items: ['a b'] },
    ]
    let r = substituteListsInText('proc.name in (shells, empty)', all)
    assert.equal(r.text, 'proc.name in ( bash, sh   )')
    assert.deepEqual([...r.used].sort(), ['empty', 'shells'])
    r = substituteListsInText('proc.name in (empty, x)', all)
    assert.equal(exprToString(parseCondition(r.text)), 'proc.name in (x)')
    r = substituteListsInText('proc.name in (spaced)', all)
    assert.equal(exprToString(parseCondition(r.text)), 'proc.name in ("a b")')
    // only whole words between delimiters are list names
    r = substituteListsInText('proc.name in (shellsx, "shells")', all)
    assert.equal(r.used.size, 0)
  })
})

describe('macro expansion', () => {
  test('macros are replaced by their conditions, recursively', () => {
    const macros = new Map<string, Expr>([
      ['is_shell', p('proc.name in (bash, sh)')],
      ['spawned_shell', p('evt.type = execve and is_shell')],
    ])
    const r = resolveMacros(p('spawned_shell and not proc.pname = sshd'), macros)
    assert.equal(exprToString(r.expr), '((evt.type = execve and proc.name in (bash, sh)) and not proc.pname = sshd)')
    assert.deepEqual(r.resolved.map((m) => m.name), ['is_shell', 'spawned_shell'])
    assert.equal(r.unknown.length, 0)
    assert.equal(r.errors.length, 0)
  })

  test('a macro keeps the positions of its own text', () => {
    const macros = new Map<string, Expr>([['m', p('  proc.name = x')]])
    const r = resolveMacros(p('evt.num > 0 and m'), macros)
    assert.ok(r.expr.kind === 'and')
    assert.equal(r.expr.children[1]!.pos.idx, 2)
  })

  test('unknown identifiers are reported with their positions', () => {
    const r = resolveMacros(p('proc.name = a and foo or not bar'), new Map())
    assert.deepEqual(r.unknown.map((u) => [u.name, u.pos.idx]), [['foo', 18], ['bar', 29]])
    assert.equal(exprToString(r.expr), '((proc.name = a and foo) or not bar)')
  })

  test('a macro that refers back to itself is a reference loop', () => {
    const macros = new Map<string, Expr>([
      ['macro_a', p('proc.name = a or macro_b')],
      ['macro_b', p('proc.name = b or macro_a')],
    ])
    const r = resolveMacros(p('macro_a'), macros)
    assert.deepEqual(r.errors.map((e) => e.message), ["reference loop in macro 'macro_a'"])
    assert.deepEqual(r.unknown.map((u) => u.name), ['macro_a'])
  })

  test('macros are expanded without changing the input tree', () => {
    const input = p('m1 and m1')
    const before = exprToString(input)
    const r = resolveMacros(input, new Map([['m1', p('evt.num = 1')]]))
    assert.equal(exprToString(input), before)
    assert.equal(exprToString(r.expr), '(evt.num = 1 and evt.num = 1)')
  })
})
