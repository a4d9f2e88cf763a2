// The condition parser: a hand-written recursive descent over the same grammar, in the
// same order and with the same messages as libsinsp's filter/parser.cpp, so a condition
// Falco rejects is rejected here with the text and position Falco reports.
//
//   Expr  ::= Or
//   Or    ::= And ('or' And)*            ('or(' also starts a nested Or)
//   And   ::= Not ('and' Not)*
//   Not   ::= ('not' blank)* ('not(' Or ')' | Check)
//   Check ::= '(' Or ')' | Field Cond | Transformer Cond | Identifier
//   Cond  ::= 'exists' | NumOp NumValue | StrOp [Modifier List] StrValue | ListOp ListValue
//
// Positions count bytes of the UTF-8 text (idx) and columns per byte, like libsinsp.
import type { Expr, Pos } from './ast.js'
import { EscapeError, unescapeStr } from './escaping.js'
import { LIST_OPS, NUM_OPS, STR_MODIFIERS, STR_OPS, TRANSFORMERS, UNARY_OPS, supportedOperators, supportedTransformers } from './operators.js'

/** A syntax error: libsinsp's message and the position where parsing stopped. */
export class ParseError extends Error {
  readonly pos: Pos
  constructor(message: string, pos: Pos) {
    super(message)
    this.name = 'ParseError'
    this.pos = pos
  }
}

export interface ParseOptions {
  /** Recursion limit (libsinsp's default is 100; Falco's rule loader sets 1000). */
  readonly maxDepth?: number
}

/** Parses a whole condition; throws ParseError. */
export function parseCondition(text: string, opts: ParseOptions = {}): Expr {
  return new Parser(text, opts.maxDepth ?? 100).parse()
}

/**
 * Parses one field or transformer at the start of `text` (what follows `%` in an output
 * format) and returns it with the number of UTF-16 units consumed; throws ParseError.
 */
export function parseFieldOrTransformer(text: string, opts: ParseOptions = {}): { expr: Expr; end: number } {
  const p = new Parser(text, opts.maxDepth ?? 100)
  const expr = p.parseFieldOrTransformer()
  return { expr, end: p.offset }
}

const quoteList = (vals: readonly string[]): string => vals.map((v) => "'" + v + "'").join(', ')
const ERR_BAD_OPERATOR = 'expected a valid check operator: one of ' + quoteList(supportedOperators())
const TRANSFORMER_LIST = quoteList(supportedTransformers(true))
/** An operator as the lexer tries it: its word, and whether a blank must follow. */
interface LexOp { readonly word: string; readonly blank: boolean }
const lexOps = (list: readonly string[]): readonly LexOp[] => list.map((op) => ({ word: op.trimEnd(), blank: op.endsWith(' ') }))
const UNARY = lexOps(UNARY_OPS)
const NUM = lexOps(NUM_OPS)
const STR = lexOps(STR_OPS)
const MODIFIERS = lexOps(STR_MODIFIERS)
const LIST = lexOps(LIST_OPS)
const TRANSFORMER_FIRST: ReadonlySet<number> = new Set(TRANSFORMERS.map((t) => t.charCodeAt(0)))

const isAlpha = (c: number): boolean => (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a)
const isDigit = (c: number): boolean => c >= 0x30 && c <= 0x39
const isAlnum = (c: number): boolean => isAlpha(c) || isDigit(c)
const isWord = (c: number): boolean => isAlnum(c) || c === 0x5f
const isHex = (c: number): boolean => isDigit(c) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66)
// POSIX [:space:]
const isSpace = (c: number): boolean => c === 0x20 || (c >= 0x09 && c <= 0x0d)
// what lex_blank skips: ' ' \t \b \r \n
const isBlank = (c: number): boolean => c === 0x20 || c === 0x09 || c === 0x08 || c === 0x0d || c === 0x0a

interface Mark { i: number; idx: number; line: number; col: number; last: string }

class Parser {
  private readonly s: string
  private readonly maxDepth: number
  /** Cursor in UTF-16 units; idx/line/col mirror libsinsp's byte-based pos_info. */
  private i = 0
  private idx = 0
  private line = 1
  private col = 1
  private last = ''
  private depth = 0

  constructor(s: string, maxDepth: number) {
    this.s = s
    this.maxDepth = maxDepth
  }

  get offset(): number {
    return this.i
  }

  parse(): Expr {
    if (this.s.length === 0) throw this.error('filter input string is empty')
    const res = this.parseOr()
    if (this.i !== this.s.length) throw this.error("unexpected token after '" + this.last + "', expecting 'or', 'and'")
    return res
  }

  parseFieldOrTransformer(): Expr {
    this.enter()
    try {
      const pos = this.pos()
      if (this.lexFieldName()) return this.parseFieldRemainder(this.last, pos)
      if (this.lexTransformerType()) {
        this.lexBlank()
        return this.parseTransformerRemainder(this.last.slice(0, -1), pos)
      }
      throw this.error("unexpected token after '" + this.last)
    } finally {
      this.depth--
    }
  }

  // ---- grammar --------------------------------------------------------------------

  private parseOr(): Expr {
    return this.parseChain('or', () => this.parseAnd())
  }

  private parseAnd(): Expr {
    return this.parseChain('and', () => this.parseNot())
  }

  /** `x op y op z...` for op = or / and, with libsinsp's rule that op is followed by a blank or '('. */
  private parseChain(op: 'or' | 'and', next: () => Expr): Expr {
    this.enter()
    try {
      const pos = this.pos()
      const children: Expr[] = []
      this.lexBlank()
      children.push(next())
      this.lexBlank()
      while (this.lexStr(op)) {
        if (!this.lexBlank()) {
          if (this.lexStr('(')) children.push(this.parseEmbeddedRemainder())
          else throw this.error(`expected blank or '(' after '${op}'`)
        } else {
          children.push(next())
        }
        this.lexBlank()
      }
      return children.length > 1 ? { kind: op, children, pos } : children[0]!
    } finally {
      this.depth--
    }
  }

  private parseNot(): Expr {
    this.enter()
    try {
      const pos = this.pos()
      let isNot = false
      this.lexBlank()
      while (this.lexNotBlank()) isNot = !isNot
      let child: Expr
      if (this.lexStr('not(')) {
        isNot = !isNot
        child = this.parseEmbeddedRemainder()
      } else {
        child = this.parseCheck()
      }
      return isNot ? { kind: 'not', child, pos } : child
    } finally {
      this.depth--
    }
  }

  /** The rest of a parenthesised expression, right after its '('. */
  private parseEmbeddedRemainder(): Expr {
    this.enter()
    try {
      this.lexBlank()
      const child = this.parseOr()
      this.lexBlank()
      if (!this.lexStr(')')) throw this.error("expected a ')' token")
      return child
    } finally {
      this.depth--
    }
  }

  private parseCheck(): Expr {
    this.enter()
    try {
      const pos = this.pos()
      this.lexBlank()
      if (this.lexStr('(')) return this.parseEmbeddedRemainder()
      if (this.lexFieldName()) {
        const left = this.parseFieldRemainder(this.last, pos)
        return this.parseConditionTail(left, pos)
      }
      if (this.lexTransformerType()) {
        this.lexBlank()
        const left = this.parseTransformerRemainder(this.last.slice(0, -1), pos)
        return this.parseConditionTail(left, pos)
      }
      if (this.lexIdentifier()) return { kind: 'identifier', name: this.last, pos }
      throw this.error("expected a '(' token, a field check, or an identifier")
    } finally {
      this.depth--
    }
  }

  private parseFieldRemainder(field: string, pos: Pos): Expr {
    this.enter()
    try {
      return { kind: 'field', field, arg: this.parseOptionalFieldArg(), pos }
    } finally {
      this.depth--
    }
  }

  private parseOptionalFieldArg(): string | undefined {
    if (!this.lexStr('[')) return undefined
    if (!this.lexQuotedStr() && !this.lexFieldArgBareStr()) {
      throw this.error('expected a valid field argument: a quoted string or a bare string')
    }
    const arg = this.last
    if (!this.lexStr(']')) throw this.error("expected a ']' token")
    return arg
  }

  /** Arguments of a transformer, after its '(': Arg (',' Arg)* ')' ['[' arg ']']. */
  private parseTransformerRemainder(transformer: string, pos: Pos): Expr {
    this.enter()
    try {
      this.lexBlank()
      const values: Expr[] = []
      do {
        values.push(this.parseTransformerArg(this.pos()))
        this.lexBlank()
      } while (this.lexStr(','))
      this.lexBlank()
      if (!this.lexStr(')')) throw this.error("expected a ')' token closing the transformer")
      return { kind: 'transformer', transformer, values, arg: this.parseOptionalFieldArg(), pos }
    } finally {
      this.depth--
    }
  }

  /** Transformer | Field | QuotedStr | Number | TransformerList */
  private parseTransformerArg(pos: Pos): Expr {
    this.enter()
    try {
      this.lexBlank()
      if (this.lexHexNum() || this.lexNum()) return { kind: 'value', value: this.last, pos }
      if (this.lexQuotedStr()) return { kind: 'value', value: this.last, pos }
      if (this.lexStr('(')) return this.parseTransformerList(pos)
      if (this.lexTransformerType()) return this.parseTransformerRemainder(this.last.slice(0, -1), pos)
      if (this.lexFieldName()) return this.parseFieldRemainder(this.last, pos)
      throw this.error('expected field transformer argument: field, transformer, quoted string, number, or transformer list')
    } finally {
      this.depth--
    }
  }

  /** '(' [Arg (',' Arg)*] ')', after its '('. */
  private parseTransformerList(pos: Pos): Expr {
    const children: Expr[] = []
    this.lexBlank()
    if (this.lexStr(')')) return { kind: 'transformer_list', children, pos }
    children.push(this.parseTransformerListArg(pos))
    this.lexBlank()
    while (this.lexStr(',')) {
      this.lexBlank()
      children.push(this.parseTransformerListArg(pos))
      this.lexBlank()
    }
    if (!this.lexStr(')')) throw this.error("expected ')'")
    return { kind: 'transformer_list', children, pos }
  }

  private parseTransformerListArg(pos: Pos): Expr {
    if (this.lexFieldName()) return this.parseFieldRemainder(this.last, pos)
    if (this.lexTransformerType()) {
      this.lexBlank()
      return this.parseTransformerRemainder(this.last.slice(0, -1), pos)
    }
    if (this.lexQuotedStr()) return { kind: 'value', value: this.last, pos }
    if (this.lexHexNum() || this.lexNum()) return { kind: 'value', value: this.last, pos }
    throw this.error('expected transformer list argument: field, transformer, quoted string, or number')
  }

  private parseConditionTail(left: Expr, pos: Pos): Expr {
    this.enter()
    try {
      this.lexBlank()
      if (this.lexOperator(UNARY)) return { kind: 'unary', left, op: this.last.trim(), pos }
      this.lexBlank()
      let op: string
      let right: Expr
      if (this.lexOperator(NUM)) {
        op = this.last
        right = this.parseNumValueOrTransformer()
      } else if (this.lexOperator(STR)) {
        op = this.last
        // word operators already consumed their blank; symbols still need one here
        const hadBlank = isAlpha(op.charCodeAt(0)) || this.lexBlank()
        const saved = this.mark()
        if (hadBlank && this.lexOperator(MODIFIERS) && this.listValueFollows() && !this.boolKeywordFollows()) {
          op = op.trim() + ' ' + this.last
          right = this.parseListValue()
        } else {
          this.reset(saved)
          right = this.parseStrValueOrTransformer(false)
        }
      } else if (this.lexOperator(LIST)) {
        op = this.last
        right = this.parseListValueOrTransformer()
      } else {
        throw this.error(ERR_BAD_OPERATOR)
      }
      return { kind: 'binary', left, op: op.trim(), right, pos }
    } finally {
      this.depth--
    }
  }

  private parseNumValueOrTransformer(): Expr {
    this.enter()
    try {
      this.lexBlank()
      const pos = this.pos()
      const t = this.tryParseTransformerOrVal()
      if (t) return t
      if (this.lexHexNum() || this.lexNum()) return { kind: 'value', value: this.last, pos }
      throw this.error('expected a number value or a field with a valid transformer: ' + TRANSFORMER_LIST)
    } finally {
      this.depth--
    }
  }

  private parseStrValueOrTransformer(noTransformer: boolean): Expr {
    this.enter()
    try {
      this.lexBlank()
      const pos = this.pos()
      if (!noTransformer) {
        const t = this.tryParseTransformerOrVal()
        if (t) return t
      }
      if (this.lexQuotedStr() || this.lexBareStr()) return { kind: 'value', value: this.last, pos }
      if (noTransformer) throw this.error('expected a string value')
      throw this.error('expected a string value or a field with a valid transformer: ' + TRANSFORMER_LIST)
    } finally {
      this.depth--
    }
  }

  private tryParseListExpr(): Expr | undefined {
    const pos = this.pos()
    if (!this.lexStr('(')) return undefined
    const values: string[] = []
    this.lexBlank()
    let first: Expr | undefined
    // An empty list is common (rules paste empty lists in); see it without a throw.
    if (this.s.charCodeAt(this.i) !== 0x29 /* ')' */) {
      try {
        first = this.parseStrValueOrTransformer(true)
      } catch (e) {
        // libsinsp takes any failure here to mean an empty list
        if (!(e instanceof ParseError)) throw e
      }
    }
    if (first) {
      values.push((first as { value: string }).value)
      this.lexBlank()
      while (this.lexStr(',')) {
        values.push((this.parseStrValueOrTransformer(true) as { value: string }).value)
        this.lexBlank()
      }
    }
    if (!this.lexStr(')')) throw this.error("expected a ')' token")
    return { kind: 'list', values, pos }
  }

  /** After an operator modifier: a list, or a list's name. */
  private parseListValue(): Expr {
    this.enter()
    try {
      this.lexBlank()
      const pos = this.pos()
      const list = this.tryParseListExpr()
      if (list) return list
      if (this.lexIdentifier()) return { kind: 'value', value: this.last, pos }
      throw this.error('expected a list or an identifier')
    } finally {
      this.depth--
    }
  }

  private parseListValueOrTransformer(): Expr {
    this.enter()
    try {
      this.lexBlank()
      const pos = this.pos()
      const list = this.tryParseListExpr()
      if (list) return list
      const t = this.tryParseTransformerOrVal()
      if (t) return t
      if (this.lexIdentifier()) return { kind: 'value', value: this.last, pos }
      throw this.error('expected a list, an identifier, or a field with a valid transformer: ' + TRANSFORMER_LIST)
    } finally {
      this.depth--
    }
  }

  private tryParseTransformerOrVal(): Expr | undefined {
    this.enter()
    try {
      this.lexBlank()
      const pos = this.pos()
      if (this.lexStr('val(')) {
        this.lexBlank()
        const transformer = 'val'
        const fieldPos = this.pos()
        if (!this.lexFieldName()) throw this.error("expected a field within '" + transformer + "' transformer")
        const child = this.parseFieldRemainder(this.last, fieldPos)
        this.lexBlank()
        if (!this.lexStr(')')) throw this.error("expected a ')' token closing the transformer")
        const e: Expr = { kind: 'transformer', transformer, values: [child], arg: this.parseOptionalFieldArg(), pos }
        return e
      }
      if (this.lexTransformerType()) {
        this.lexBlank()
        return this.parseTransformerRemainder(this.last.slice(0, -1), pos)
      }
      return undefined
    } finally {
      this.depth--
    }
  }

  // ---- lexer ----------------------------------------------------------------------

  private code(at: number): number {
    return at < this.s.length ? this.s.charCodeAt(at) : 0
  }

  /** Moves the cursor n UTF-16 units, counting bytes and lines as libsinsp does. */
  private advance(n: number): void {
    const end = this.i + n
    for (let k = this.i; k < end; k++) {
      const c = this.s.charCodeAt(k)
      const bytes = c < 0x80 ? 1 : c < 0x800 ? 2 : c >= 0xd800 && c <= 0xdbff ? 4 : c >= 0xdc00 && c <= 0xdfff ? 0 : 3
      this.idx += bytes
      this.col += bytes
      if (c === 0x0d || c === 0x0a) {
        this.col = 1
        this.line++
      }
    }
    this.i = end
  }

  private pos(): Pos {
    return { idx: this.idx, line: this.line, col: this.col }
  }

  private mark(): Mark {
    return { i: this.i, idx: this.idx, line: this.line, col: this.col, last: this.last }
  }

  private reset(m: Mark): void {
    this.i = m.i
    this.idx = m.idx
    this.line = m.line
    this.col = m.col
    this.last = m.last
  }

  private error(msg: string): ParseError {
    return new ParseError(msg, this.pos())
  }

  /**
   * Entering a grammar rule: the caller leaves it with `finally { this.depth-- }`, inline
   * rather than through a guard taking a closure (one closure per rule entered; measured
   * ~12% faster on the conditions of Falco's rules once warm).
   */
  private enter(): void {
    this.depth++
    // (as before, a rule refused here is not left again: the depth stays counted)
    if (this.depth >= this.maxDepth) throw this.error('exceeded max depth limit of ' + this.maxDepth)
  }

  /** The only lexing step that leaves the last token alone. */
  private lexBlank(): boolean {
    let k = this.i
    while (isBlank(this.code(k))) k++
    if (k === this.i) return false
    this.advance(k - this.i)
    return true
  }

  private take(n: number): boolean {
    if (n <= 0) return false
    this.last = this.s.slice(this.i, this.i + n)
    this.advance(n)
    return true
  }

  private lexStr(str: string): boolean {
    if (!this.s.startsWith(str, this.i)) return false
    this.last = str
    this.advance(str.length)
    return true
  }

  /** Operators ending in a space need a blank after them; the token is the trimmed word. */
  private lexOperator(list: readonly LexOp[]): boolean {
    for (const op of list) {
      // a quick look first: most operators are not there (no mark, no trimmed copy)
      if (!this.s.startsWith(op.word, this.i)) continue
      if (!op.blank) return this.lexStr(op.word)
      const saved = this.mark()
      this.lexStr(op.word)
      if (this.lexBlank()) return true
      this.reset(saved)
    }
    return false
  }

  private lexTransformerType(): boolean {
    // asked before nearly every value: most do not start like any transformer name
    if (!TRANSFORMER_FIRST.has(this.code(this.i))) return false
    for (const t of TRANSFORMERS) if (this.lexStr(t)) return true
    return false
  }

  /** [a-zA-Z]+[a-zA-Z0-9_]* */
  private scanIdentifier(at: number): number {
    if (!isAlpha(this.code(at))) return 0
    let k = at + 1
    while (isWord(this.code(k))) k++
    return k - at
  }

  private lexIdentifier(): boolean {
    return this.take(this.scanIdentifier(this.i))
  }

  /** Identifier ('.' Identifier)+ */
  private lexFieldName(): boolean {
    let k = this.i + this.scanIdentifier(this.i)
    if (k === this.i) return false
    let segments = 0
    while (this.code(k) === 0x2e) {
      const n = this.scanIdentifier(k + 1)
      if (n === 0) break
      k += 1 + n
      segments++
    }
    return segments > 0 && this.take(k - this.i)
  }

  /** [^][\"'[:space:]]+ */
  private lexFieldArgBareStr(): boolean {
    let k = this.i
    for (; k < this.s.length; k++) {
      const c = this.s.charCodeAt(k)
      if (c === 0x5b || c === 0x5d || c === 0x22 || c === 0x27 || isSpace(c)) break
    }
    return this.take(k - this.i)
  }

  /** 0[xX][0-9a-fA-F]+ */
  private lexHexNum(): boolean {
    const c1 = this.code(this.i + 1)
    if (this.code(this.i) !== 0x30 || (c1 !== 0x78 && c1 !== 0x58) || !isHex(this.code(this.i + 2))) return false
    let k = this.i + 3
    while (isHex(this.code(k))) k++
    return this.take(k - this.i)
  }

  /** [+-]?[0-9]+[.]?[0-9]*([eE][+-][0-9]+)? */
  private lexNum(): boolean {
    let k = this.i
    const c0 = this.code(k)
    if (c0 === 0x2b || c0 === 0x2d) k++
    if (!isDigit(this.code(k))) return false
    while (isDigit(this.code(k))) k++
    if (this.code(k) === 0x2e) k++
    while (isDigit(this.code(k))) k++
    const e = this.code(k)
    const sign = this.code(k + 1)
    if ((e === 0x65 || e === 0x45) && (sign === 0x2b || sign === 0x2d) && isDigit(this.code(k + 2))) {
      k += 3
      while (isDigit(this.code(k))) k++
    }
    return this.take(k - this.i)
  }

  /** [^()\"'[:space:]=,]+ */
  private lexBareStr(): boolean {
    let k = this.i
    for (; k < this.s.length; k++) {
      const c = this.s.charCodeAt(k)
      if (c === 0x28 || c === 0x29 || c === 0x22 || c === 0x27 || c === 0x3d || c === 0x2c || isSpace(c)) break
    }
    return this.take(k - this.i)
  }

  /** not[[:space:]]+ */
  private lexNotBlank(): boolean {
    if (!this.s.startsWith('not', this.i) || !isSpace(this.code(this.i + 3))) return false
    let k = this.i + 4
    while (isSpace(this.code(k))) k++
    return this.take(k - this.i)
  }

  /**
   * A '- or "-quoted string. The closing quote is the first one not preceded by a
   * backslash (so a string ending in an escaped backslash never closes, as in libsinsp).
   */
  private lexQuotedStr(): boolean {
    const delim = this.code(this.i)
    if (delim !== 0x27 && delim !== 0x22) return false
    const start = this.mark()
    let prev = 0x5c
    this.last = ''
    let k = this.i
    while (k < this.s.length && this.s.charCodeAt(k) !== 0) {
      const c = this.s.charCodeAt(k)
      if (c === delim && prev !== 0x5c) {
        const token = this.s.slice(this.i, k + 1)
        this.last = token.slice(0, -1)
        this.advance(k + 1 - this.i)
        try {
          this.last = unescapeStr(token)
        } catch (e) {
          if (e instanceof EscapeError) throw this.error(e.message)
          throw e
        }
        return true
      }
      prev = c
      k++
    }
    // unterminated: libsinsp leaves what it read as the last token and rewinds
    this.last = this.s.slice(this.i, k)
    const lastRead = this.last
    this.reset(start)
    this.last = lastRead
    return false
  }

  private listValueFollows(): boolean {
    if (this.code(this.i) === 0x28) return true
    return this.scanIdentifier(this.i) > 0
  }

  private boolKeywordFollows(): boolean {
    for (const kw of ['and', 'or', 'not']) {
      if (this.s.startsWith(kw, this.i)) {
        const after = this.i + kw.length
        if (after === this.s.length || !isAlnum(this.s.charCodeAt(after))) return true
      }
    }
    return false
  }
}
