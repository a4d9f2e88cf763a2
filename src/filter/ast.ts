// The condition language's syntax tree. The node kinds follow libsinsp's filter AST
// (userspace/libsinsp/filter/ast.h) so that conditions print, compare and expand the
// way Falco's do; every node keeps the position where it starts in the condition text.

/** A position in a condition string: 0-based byte index, 1-based line and column. */
export interface Pos {
  readonly idx: number
  readonly line: number
  readonly col: number
}

export interface AndExpr { readonly kind: 'and'; readonly children: readonly Expr[]; readonly pos: Pos }
export interface OrExpr { readonly kind: 'or'; readonly children: readonly Expr[]; readonly pos: Pos }
export interface NotExpr { readonly kind: 'not'; readonly child: Expr; readonly pos: Pos }
/** A bare identifier in boolean position: a macro reference. */
export interface IdentifierExpr { readonly kind: 'identifier'; readonly name: string; readonly pos: Pos }
/** A single right-hand value (quoted strings already unescaped), or a list name after `in`. */
export interface ValueExpr { readonly kind: 'value'; readonly value: string; readonly pos: Pos }
/** A parenthesised list of values; bare values may name lists until lists are resolved. */
export interface ListExpr { readonly kind: 'list'; readonly values: readonly string[]; readonly pos: Pos }
export interface FieldExpr { readonly kind: 'field'; readonly field: string; readonly arg: string | undefined; readonly pos: Pos }
/** `tolower(x)`, `val(x)`, `concat(a, b)`...; `arg` is an optional `[...]` after the call. */
export interface TransformerExpr {
  readonly kind: 'transformer'
  readonly transformer: string
  readonly values: readonly Expr[]
  readonly arg: string | undefined
  readonly pos: Pos
}
/** A parenthesised list given to a multi-value transformer. */
export interface TransformerListExpr { readonly kind: 'transformer_list'; readonly children: readonly Expr[]; readonly pos: Pos }
export interface UnaryCheckExpr { readonly kind: 'unary'; readonly left: Expr; readonly op: string; readonly pos: Pos }
/** `left op right`; `op` may carry a modifier: 'startswith anyof'. */
export interface BinaryCheckExpr { readonly kind: 'binary'; readonly left: Expr; readonly op: string; readonly right: Expr; readonly pos: Pos }

export type Expr =
  | AndExpr
  | OrExpr
  | NotExpr
  | IdentifierExpr
  | ValueExpr
  | ListExpr
  | FieldExpr
  | TransformerExpr
  | TransformerListExpr
  | UnaryCheckExpr
  | BinaryCheckExpr
