// The canonical text of a condition, as libsinsp's ast::as_string prints it: and/or
// groups in parentheses, values escaped and quoted only when needed. Falco shows
// compiled conditions in this form, and tests compare ASTs through it.
import type { Expr } from './ast.js'
import { escapeStr } from './escaping.js'

export function exprToString(e: Expr): string {
  switch (e.kind) {
    case 'and':
    case 'or':
      return '(' + e.children.map(exprToString).join(' ' + e.kind + ' ') + ')'
    case 'not':
      return 'not ' + exprToString(e.child)
    case 'identifier':
      return e.name
    case 'value':
      return escapeStr(e.value)
    case 'list':
      return '(' + e.values.map(escapeStr).join(', ') + ')'
    case 'transformer_list':
      return '(' + e.children.map(exprToString).join(',') + ')'
    case 'unary':
      return exprToString(e.left) + ' ' + e.op
    case 'binary':
      return exprToString(e.left) + ' ' + e.op + ' ' + exprToString(e.right)
    case 'field':
      return e.field + fieldArg(e.arg)
    case 'transformer':
      return e.transformer + '(' + e.values.map(exprToString).join(',') + ')' + fieldArg(e.arg)
  }
}

function fieldArg(arg: string | undefined): string {
  if (arg === undefined) return ''
  return arg === '' ? '[""]' : '[' + escapeStr(arg) + ']'
}
