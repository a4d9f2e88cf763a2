// The operator and transformer vocabulary of the condition language, as libsinsp's
// parser knows it (filter/parser.cpp): the lists drive both the lexer and the text of
// its error messages, so their order matters.

/** Checks that take no right-hand side. */
export const UNARY_OPS: readonly string[] = ['exists']
/** Checks whose right-hand side is a number (or a transformer). */
export const NUM_OPS: readonly string[] = ['<=', '<', '>=', '>']
/**
 * Checks whose right-hand side is a string (or a transformer). A trailing space marks a
 * word operator that must be followed by a blank, as libsinsp writes them.
 */
export const STR_OPS: readonly string[] = [
  '==', '=', '!=', 'glob ', 'iglob ', 'contains ', 'icontains ', 'bcontains ', 'startswith ',
  'bstartswith ', 'endswith ', 'regex ',
]
/** Modifiers that turn a string operator into a check against each value of a list. */
export const STR_MODIFIERS: readonly string[] = ['oneof ', 'anyof ', 'allof ']
/** Checks whose right-hand side is a list. */
export const LIST_OPS: readonly string[] = ['intersects', 'in', 'pmatch']

/** Transformers, each with its opening parenthesis, in lexing order. */
export const TRANSFORMERS: readonly string[] = [
  'tolower(', 'toupper(', 'b64(', 'basename(', 'len(', 'join(', 'concat(', 'getopt(',
]

/** libsinsp's parser::supported_operators: every operator, trimmed; only list ones if asked. */
export function supportedOperators(listOnly = false): string[] {
  if (listOnly) return [...LIST_OPS]
  return [...UNARY_OPS, ...NUM_OPS, ...STR_OPS, ...LIST_OPS].map((o) => o.trim())
}

/** libsinsp's parser::supported_field_transformers, with `val` first when asked. */
export function supportedTransformers(includeVal = false): string[] {
  const names = TRANSFORMERS.map((t) => t.slice(0, -1))
  return includeVal ? ['val', ...names] : names
}

const OPERATOR_SET = new Set(supportedOperators())
const MODIFIABLE = new Set(['=', '==', '!=', 'contains', 'icontains', 'bcontains', 'startswith', 'bstartswith', 'endswith', 'glob', 'iglob', 'regex'])
const MODIFIERS = new Set(['oneof', 'anyof', 'allof'])

/** Whether `op` is one of the plain operators (Falco's is_operator_defined). */
export function isOperator(op: string): boolean {
  return OPERATOR_SET.has(op)
}

/**
 * Whether `op` is a string operator with a list modifier, e.g. 'startswith oneof'
 * (Falco's is_str_operator_with_modifier: split at the first space, both halves known).
 */
export function isOperatorWithModifier(op: string): boolean {
  const sp = op.indexOf(' ')
  if (sp < 0) return false
  return MODIFIABLE.has(op.slice(0, sp)) && MODIFIERS.has(op.slice(sp + 1))
}

/**
 * Whether `op` takes a parenthesised list as its right-hand side: in, intersects, pmatch,
 * or a string operator with a modifier (Falco's is_operator_for_list).
 */
export function isListOperator(op: string): boolean {
  return LIST_OPS.includes(op) || isOperatorWithModifier(op)
}
