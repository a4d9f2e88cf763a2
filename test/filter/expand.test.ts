import { describe, test } from 'node:test'
import assert from 'node:assert/strict'
import type { Expr } from '../../src/filter/ast.js'
import { listItemValue, resolveLists, resolveMacros, substituteListsInText } from '../../src/filter/expand.js'
import { parseCondition } from '../../src/filter/parser.js'
import { exprToString } from '../../src/filter/print.js'

const p = (s: string): Expr => parseCondition(s)

describe('list expansion', () => {
  const lists = new Map<string, string[]>([
    ['shells', ['bash', 'sh', 'zsh']],
    ['bins', ['/bin/ls', 'my tool']],
    ['empty', []],
  ])

  test('list names inside parentheses are spliced in place', () => {
    const r = resolveLists(p('proc.name in (shells, python, empty)'), lists)
    assert.equal(exprToString(r.expr), 'proc.name in (bash, sh, zsh, python)')
    assert.deepEqual([...r.used].sort(), ['empty', 'shells'])
  })

  test('a list name alone after a list operator becomes the list', () => {
    assert.equal(exprToString(resolveLists(p('proc.name in shells'), lists).expr), 'proc.name in (bash, sh, zsh)')
    assert.equal(exprToString(resolveLists(p('fd.name pmatch bins'), lists).expr), 'fd.name pmatch (/bin/ls, "my tool")')
    assert.equal(exprToString(resolveLists(p('proc.name startswith anyof shells'), lists).expr), 'proc.name startswith anyof (bash, sh, zsh)')
  })

  test('a list name compared with = stays a plain value', () => {
    const r = resolveLists(p('proc.name = shells'), lists)
    assert.equal(exprToString(r.expr), 'proc.name = shells')
    assert.equal(r.used.size, 0)
  })

  test('lists are found under and, or and not', () => {
    const r = resolveLists(p('not (proc.name in (shells) or proc.pname in (empty)) and proc.name exists'), lists)
    assert.equal(exprToString(r.expr), '(not (proc.name in (bash, sh, zsh) or proc.pname in ()) and proc.name exists)')
  })

  test('items are read as Falco pastes them: spaces quoted and unescaped, quotes removed', () => {
    assert.equal(listItemValue('plain'), 'plain')
    assert.equal(listItemValue('a b'), 'a b')
    assert.equal(listItemValue('"quoted"'), 'quoted')
    assert.equal(listItemValue("'x y'"), 'x y')
    // Falco fails on such an item (\\d is no escape); here it stays as written
    assert.equal(listItemValue('C:\\dir name'), 'C:\\dir name')
    assert.equal(listItemValue('tab\\there'), 'tab\\there')
    assert.equal(listItemValue('tab\\t here'), 'tab\t here')
  })

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
