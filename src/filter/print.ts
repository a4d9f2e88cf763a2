// The canonical text of a condition, as libsinsp's ast::as_string prints it: and/or
// groups in parentheses, values escaped and quoted only when needed. Falco shows
// compiled conditions in this form, and tests compare ASTs through it.
import type { Expr } from './ast.js'
import { escapeStr } from './escaping.js'

export function exprToString(e: Expr): string {
  return print(e, undefined)
}

/**
 * exprToString for many ASTs that share subtrees (a compiled condition holds each macro's
 * AST wherever the macro is used): each shared and/or/not subtree is printed once.
 */
export function exprPrinter(): (e: Expr) => string {
  const memo = new Map<Expr, string>()
  return (e) => print(e, memo)
}

function print(e: Expr, memo: Map<Expr, string> | undefined): string {
  if (memo === undefined || (e.kind !== 'and' && e.kind !== 'or' && e.kind !== 'not')) return printNode(e, memo)
  let s = memo.get(e)
  if (s === undefined) memo.set(e, (s = printNode(e, memo)))
  return s
}

function printNode(e: Expr, memo: Map<Expr, string> | undefined): string {
  switch (e.kind) {
    case 'and':
    case 'or':
      return '(' + e.children.map((c) => print(c, memo)).join(' ' + e.kind + ' ') + ')'
    case 'not':
      return 'not ' + print(e.child, memo)
    case 'identifier':
      return e.name
    case 'value':
      return escapeStr(e.value)
    case 'list':
      return '(' + e.values.map(escapeStr).join(', ') + ')'
    case 'transformer_list':
      return '(' + e.children.map((c) => print(c, memo)).join(',') + ')'
    case 'unary':
      return print(e.left, memo) + ' ' + e.op
    case 'binary':
      return print(e.left, memo) + ' ' + e.op + ' ' + print(e.right, memo)
    case 'field':
      return e.field + fieldArg(e.arg)
    case 'transformer':
      return e.transformer + '(' + e.values.map((c) => print(c, memo)).join(',') + ')' + fieldArg(e.arg)
  }
}

function fieldArg(arg: string | undefined): string {
  if (arg === undefined) return ''
  return arg === '' ? '[""]' : '[' + escapeStr(arg) + ']'
}
