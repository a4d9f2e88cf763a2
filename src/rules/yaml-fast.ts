// A fast reader for the YAML that rules files are written in: one document whose root is a
// block sequence, block maps and sequences, plain scalars (also over several lines), one-line
// quoted scalars, `>`/`|` block scalars and flow sequences of scalars. It gives the tree the
// `yaml` package would give for the same text (same values, same node offsets) or, for anything
// outside that subset or anything doubtful (tabs, CR, anchors, tags, flow maps, empty values,
// document markers, ...), null: the caller then parses with `yaml`, which also reports errors.
//
// Why: `yaml` spent ~100 ms (cold) on Falco's three rules files (210 KB), a quarter of the
// startup; this reads them in about a tenth of that (and ~30x faster once warm).
// test/rules/yaml-fast.test.ts compares both parsers on every rules file of the test data
// and on damaged copies of Falco's.
//
// Nothing throws here: every function returns null (or -1) to give up.

export const SCALAR = 0
export const SEQ = 1
export const MAP = 2

export interface FastScalar {
  readonly kind: typeof SCALAR
  /** Offset of the token: its first character, opening quote or block indicator. */
  readonly start: number
  /** The value; for plain scalars, the text (what yaml's `source` holds). */
  readonly text: string
  /** A plain `~`, `null`, `Null` or `NULL` (yaml's core schema null). */
  readonly isNull: boolean
}
export interface FastSeq {
  readonly kind: typeof SEQ
  /** Offset of the first `-`, or of the `[`. */
  readonly start: number
  readonly items: readonly FastNode[]
}
export interface FastMap {
  readonly kind: typeof MAP
  /** Offset of the first key. */
  readonly start: number
  readonly keys: readonly FastScalar[]
  readonly values: readonly FastNode[]
}
export type FastNode = FastScalar | FastSeq | FastMap

const NL = 0x0a
const SP = 0x20
const HASH = 0x23
const DASH = 0x2d
const COLON = 0x3a
const COMMA = 0x2c
const LBRACKET = 0x5b
const RBRACKET = 0x5d
const DQUOTE = 0x22
const SQUOTE = 0x27

const isNullText = (t: string): boolean => t === '~' || t === 'null' || t === 'Null' || t === 'NULL'

// c-indicator characters: none of these may start a plain scalar here (`-` may, before a non-blank).
const INDICATORS = new Set('-?:,[]{}#&*!|>\'"%@`'.split('').map((c) => c.charCodeAt(0)))
// Characters that end a plain scalar inside a flow sequence.
const FLOW_STOP = new Set(',[]{}'.split('').map((c) => c.charCodeAt(0)))

// What ends a key: the line end, a comment, or `:` before a blank or the end of the text.
const KEY_END = /\n| #|:(?=[ \n]|$)/g
// What ends a line of a plain scalar: a comment, or a mapping indicator (`:` before a blank).
const PLAIN_STOP = /:(?=[ \n]|$)| #/g

// yaml refuses implicit keys longer than 1024 characters.
const MAX_KEY = 1000
// Nested flow sequences deeper than this are left to yaml (it bounds them too).
const MAX_FLOW_DEPTH = 64

/** The root sequence of a rules file, or null when the text is not in the subset read here. */
export function parseRulesYaml(text: string): FastSeq | null {
  // Whole-text refusals: a BOM, tabs, carriage returns, document markers and directives.
  if (text.length === 0 || text.charCodeAt(0) === 0xfeff) return null
  if (text.includes('\t') || text.includes('\r')) return null
  for (let ls = 0; ls < text.length; ) {
    const c = text.charCodeAt(ls)
    if (c === 0x25 /* % */ || ((c === DASH || c === 0x2e) && (text.startsWith('---', ls) || text.startsWith('...', ls)))) return null
    const nl = text.indexOf('\n', ls)
    if (nl < 0) break
    ls = nl + 1
  }
  const p = new FastParser(text)
  const at = p.nextContentLine()
  if (at < 0 || p.indent !== 0 || !p.isSeqDash(at)) return null
  const root = p.blockSeq(at, 0)
  if (root === null || p.nextContentLine() >= 0) return null
  return root
}

class FastParser {
  /** Start of the current line (where the cursor is between nodes). */
  private ls = 0
  /** Indentation of the line found by nextContentLine. */
  indent = 0

  constructor(private readonly s: string) {}

  private code(i: number): number {
    return i < this.s.length ? this.s.charCodeAt(i) : NL
  }

  private lineEnd(i: number): number {
    const nl = this.s.indexOf('\n', i)
    return nl < 0 ? this.s.length : nl
  }

  /** Moves past the line holding `i`. */
  private nextLine(i: number): void {
    const e = this.lineEnd(i)
    this.ls = e < this.s.length ? e + 1 : this.s.length
  }

  /**
   * Skips blank and comment-only lines from the cursor; returns the offset of the first
   * non-blank character of the next content line (its indentation in `indent`), or -1 at the end.
   */
  nextContentLine(): number {
    const s = this.s
    while (this.ls < s.length) {
      let i = this.ls
      while (i < s.length && s.charCodeAt(i) === SP) i++
      const c = this.code(i)
      if (c !== NL && c !== HASH) {
        this.indent = i - this.ls
        return i
      }
      this.nextLine(i)
    }
    return -1
  }

  isSeqDash(i: number): boolean {
    return this.code(i) === DASH && this.code(i + 1) === SP
  }

  /** Skips spaces; true when only a comment (after a space) or the line end follows. */
  private restIsEmpty(i: number): boolean {
    let j = i
    while (this.code(j) === SP) j++
    const c = this.code(j)
    return c === NL || (c === HASH && j > i)
  }

  /** A block sequence whose first `-` is at `at`, in column `n`. Leaves the cursor after it. */
  blockSeq(at: number, n: number): FastSeq | null {
    const items: FastNode[] = []
    let dash = at
    for (;;) {
      if (!this.isSeqDash(dash)) return null
      let q = dash + 2
      while (this.code(q) === SP) q++
      const c = this.code(q)
      if (c === NL || c === HASH) return null // an empty item, or its node on the next lines
      let item: FastNode | null
      if (this.keyEnd(q) >= 0) item = this.blockMap(q, q - this.lineStartOf(q))
      else item = this.inlineValue(q, n)
      if (item === null) return null
      items.push(item)
      const next = this.nextContentLine()
      if (next < 0 || this.indent < n) break
      if (this.indent > n) return null
      if (!this.isSeqDash(next)) break // the next key of a map holding this sequence
      dash = next
    }
    return { kind: SEQ, start: at, items }
  }

  private lineStartOf(i: number): number {
    return this.s.lastIndexOf('\n', i - 1) + 1
  }

  /**
   * When a plain key starts at `i` (text, then `:` before a blank or the line end), the offset
   * of that `:`; else -1. Keys that need quoting, hold ` #` or end in a blank are not keys here.
   */
  private keyEnd(i: number): number {
    const c0 = this.code(i)
    if (INDICATORS.has(c0)) return -1
    // the first line end, comment or `:` before a blank on the line (a regex search: the
    // engine's scan beats a character loop, most of all while the code is still cold)
    KEY_END.lastIndex = i
    const m = KEY_END.exec(this.s)
    if (m === null || m[0] !== ':') return -1
    const k = m.index
    if (k - i > MAX_KEY || this.s.charCodeAt(k - 1) === SP) return -1
    return k
  }

  /** A block map whose first key starts at `at`, in column `m`. Leaves the cursor after it. */
  private blockMap(at: number, m: number): FastMap | null {
    const keys: FastScalar[] = []
    const values: FastNode[] = []
    let k = at
    for (;;) {
      const colon = this.keyEnd(k)
      if (colon < 0) return null
      const kt = this.s.slice(k, colon)
      keys.push({ kind: SCALAR, start: k, text: kt, isNull: isNullText(kt) })
      let v = colon + 1
      while (this.code(v) === SP) v++
      const c = this.code(v)
      let value: FastNode | null
      if (c === NL || c === HASH) {
        // the value is on the next lines: a sequence (which may sit at the key's column), a map,
        // or a scalar; nothing there is an empty value, left to yaml
        this.nextLine(v)
        const next = this.nextContentLine()
        if (next < 0) return null
        if (this.isSeqDash(next)) {
          if (this.indent < m) return null
          value = this.blockSeq(next, this.indent)
        } else if (this.indent > m) {
          value = this.keyEnd(next) >= 0 ? this.blockMap(next, this.indent) : this.inlineValue(next, m)
        } else {
          return null
        }
      } else if (c === 0x3e /* > */ || c === 0x7c /* | */) {
        value = this.blockScalar(v, m)
      } else {
        value = this.inlineValue(v, m)
      }
      if (value === null) return null
      values.push(value)
      const next = this.nextContentLine()
      if (next < 0 || this.indent < m) break
      if (this.indent > m || this.isSeqDash(next)) return null
      k = next
    }
    return { kind: MAP, start: at, keys, values }
  }

  /**
   * A scalar or flow sequence starting at `i` inside a block node indented `parent` columns.
   * Leaves the cursor at the start of the line after it.
   */
  private inlineValue(i: number, parent: number): FastNode | null {
    const c = this.code(i)
    let node: FastNode | null
    let end: number
    if (c === LBRACKET) {
      const r = this.flowSeq(i, parent, 0)
      if (r === null) return null
      node = r.node
      end = r.end
    } else if (c === DQUOTE || c === SQUOTE) {
      const r = this.quoted(i)
      if (r === null) return null
      node = r.node
      end = r.end
    } else {
      return this.plain(i, parent)
    }
    if (!this.restIsEmpty(end)) return null
    this.nextLine(end)
    return node
  }

  /** A one-line quoted scalar at `i`: the node and the offset after the closing quote. */
  private quoted(i: number): { node: FastScalar; end: number } | null {
    const s = this.s
    const q = s.charCodeAt(i)
    const end = this.lineEnd(i)
    let out = ''
    let from = i + 1
    if (q === SQUOTE) {
      for (let j = i + 1; j < end; j++) {
        if (s.charCodeAt(j) !== SQUOTE) continue
        out += s.slice(from, j)
        if (s.charCodeAt(j + 1) === SQUOTE) {
          out += "'"
          j++
          from = j + 1
          continue
        }
        return { node: { kind: SCALAR, start: i, text: out, isNull: false }, end: j + 1 }
      }
      return null
    }
    for (let j = i + 1; j < end; j++) {
      const c = s.charCodeAt(j)
      if (c === DQUOTE) {
        out += s.slice(from, j)
        return { node: { kind: SCALAR, start: i, text: out, isNull: false }, end: j + 1 }
      }
      if (c !== 0x5c /* \ */) continue
      out += s.slice(from, j)
      const e = s.charAt(j + 1)
      const simple = ESCAPES.get(e)
      if (simple !== undefined) {
        out += simple
        j++
      } else {
        const width = e === 'x' ? 2 : e === 'u' ? 4 : e === 'U' ? 8 : 0
        if (width === 0) return null
        const hex = s.slice(j + 2, j + 2 + width)
        if (hex.length !== width || !/^[0-9a-fA-F]+$/.test(hex)) return null
        const cp = parseInt(hex, 16)
        if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return null
        out += String.fromCodePoint(cp)
        j += 1 + width
      }
      from = j + 1
    }
    return null // not closed on its line
  }

  /** A plain scalar at `i` (block context), continued on more indented lines. */
  private plain(i: number, parent: number): FastScalar | null {
    const c0 = this.code(i)
    if (INDICATORS.has(c0) && !(c0 === DASH && this.code(i + 1) !== SP && this.code(i + 1) !== NL)) return null
    const first = this.plainLine(i, this.lineEnd(i))
    if (first === null) return null
    let text = first.text
    this.nextLine(i)
    if (first.comment) return { kind: SCALAR, start: i, text, isNull: isNullText(text) }
    // continuation lines: more indented than the parent, folded with a space (blank lines: newlines)
    const s = this.s
    let blanks = 0
    for (let ls = this.ls; ls < s.length; ) {
      let j = ls
      while (j < s.length && s.charCodeAt(j) === SP) j++
      const c = this.code(j)
      const end = this.lineEnd(j)
      if (c === NL) {
        blanks++
        ls = end < s.length ? end + 1 : s.length
        continue
      }
      if (j - ls <= parent || c === HASH) break
      if (this.isSeqDash(j)) return null
      const line = this.plainLine(j, end)
      if (line === null || line.comment) return null
      text += blanks === 0 ? ' ' + line.text : '\n'.repeat(blanks) + line.text
      blanks = 0
      ls = end < s.length ? end + 1 : s.length
      this.ls = ls
    }
    return { kind: SCALAR, start: i, text, isNull: isNullText(text) }
  }

  /** One line of a plain scalar, trimmed; null when it holds a mapping indicator. */
  private plainLine(i: number, end: number): { text: string; comment: boolean } | null {
    const s = this.s
    let stop = end
    let comment = false
    PLAIN_STOP.lastIndex = i
    const m = PLAIN_STOP.exec(s)
    if (m !== null && m.index < end) {
      if (m[0] === ':') return null
      stop = m.index
      comment = true
    }
    let a = i
    let b = stop
    while (a < b && s.charCodeAt(a) === SP) a++
    while (b > a && s.charCodeAt(b - 1) === SP) b--
    if (a === b) return null
    return { text: s.slice(a, b), comment }
  }

  /**
   * A flow sequence at `i` (`[`): items are scalars or nested flow sequences; its lines past the
   * first must be indented more than `parent`. Returns the node and the offset after `]`.
   */
  private flowSeq(i: number, parent: number, depth: number): { node: FastSeq; end: number } | null {
    if (depth > MAX_FLOW_DEPTH) return null
    const items: FastNode[] = []
    let j = this.flowSpace(i + 1, parent, depth)
    if (j < 0) return null
    if (this.code(j) === RBRACKET) return { node: { kind: SEQ, start: i, items }, end: j + 1 }
    for (;;) {
      const c = this.code(j)
      let end: number
      if (c === LBRACKET) {
        const r = this.flowSeq(j, parent, depth + 1)
        if (r === null) return null
        items.push(r.node)
        end = r.end
      } else if (c === DQUOTE || c === SQUOTE) {
        const r = this.quoted(j)
        if (r === null) return null
        items.push(r.node)
        end = r.end
      } else {
        if (INDICATORS.has(c) && !(c === DASH && !FLOW_STOP.has(this.code(j + 1)) && this.code(j + 1) !== SP && this.code(j + 1) !== NL)) return null
        let k = j
        for (;;) {
          const d = this.code(k)
          if (d === NL || FLOW_STOP.has(d)) break
          if (d === COLON) return null // keys and colons inside flow sequences: left to yaml
          if (d === SP && this.code(k + 1) === HASH) break
          k++
        }
        let b = k
        while (b > j && this.s.charCodeAt(b - 1) === SP) b--
        const text = this.s.slice(j, b)
        items.push({ kind: SCALAR, start: j, text, isNull: isNullText(text) })
        end = b
      }
      j = this.flowSpace(end, parent, depth)
      if (j < 0) return null
      const d = this.code(j)
      if (d === RBRACKET) return { node: { kind: SEQ, start: i, items }, end: j + 1 }
      if (d !== COMMA) return null
      j = this.flowSpace(j + 1, parent, depth)
      if (j < 0) return null
      const e = this.code(j)
      if (e === COMMA || e === RBRACKET) return null // empty items and trailing commas: left to yaml
    }
  }

  /** Skips blanks, line breaks and comments inside a flow sequence; -1 on a badly indented line or the end. */
  private flowSpace(i: number, parent: number, depth: number): number {
    const s = this.s
    let j = i
    for (;;) {
      const start = j
      while (j < s.length && s.charCodeAt(j) === SP) j++
      if (j >= s.length) return -1
      const c = s.charCodeAt(j)
      if (c === HASH) {
        if (j === start && j > 0 && s.charCodeAt(j - 1) !== NL) return -1 // '#' not after a blank
        j = this.lineEnd(j)
        continue
      }
      if (c !== NL) return j
      // a new line: it must be indented past the parent node
      j++
      let k = j
      while (k < s.length && s.charCodeAt(k) === SP) k++
      const d = this.code(k)
      // yaml also takes the outermost `]` at the parent's column (with a warning)
      if (d !== NL && d !== HASH && k - j <= parent && !(d === RBRACKET && depth === 0 && k - j === parent)) return -1
    }
  }

  /**
   * A `>` or `|` block scalar at `i`, the value of a key in column `m`. The lines it takes and
   * how they fold follow yaml's lexer and resolve-block-scalar.js, for the cases read here
   * (no explicit indentation, no keep chomping, no leading blank lines, no blank line holding
   * more spaces than the indentation).
   */
  private blockScalar(i: number, m: number): FastScalar | null {
    const s = this.s
    const folded = s.charCodeAt(i) === 0x3e
    let h = i + 1
    let strip = false
    if (s.charCodeAt(h) === DASH) {
      strip = true
      h++
    }
    if (!this.restIsEmpty(h)) return null
    this.nextLine(h)
    // the lines of the scalar: [extra indentation, content] ('' content: a blank line)
    const extra: number[] = []
    const content: string[] = []
    let indent = -1
    let ls = this.ls
    while (ls < s.length) {
      let j = ls
      while (j < s.length && s.charCodeAt(j) === SP) j++
      const end = this.lineEnd(j)
      const spaces = j - ls
      if (this.code(j) === NL) {
        if (indent < 0 || spaces > indent) return null
        extra.push(0)
        content.push('')
      } else {
        if (indent < 0) {
          if (spaces <= m) return null
          indent = spaces
        } else if (spaces < indent) {
          break
        }
        extra.push(spaces - indent)
        content.push(s.slice(j, end))
      }
      ls = end < s.length ? end + 1 : s.length
    }
    if (indent < 0) return null
    this.ls = ls
    let last = content.length - 1
    while (content[last] === '') last--
    let text = ''
    let sep = ''
    let prevMore = false
    for (let k = 0; k <= last; k++) {
      const c = content[k]!
      const pad = ' '.repeat(extra[k]!)
      if (!folded) {
        text += sep + pad + c
        sep = '\n'
      } else if (extra[k]! > 0) {
        // more-indented lines keep their line breaks
        if (sep === ' ') sep = '\n'
        else if (!prevMore && sep === '\n') sep = '\n\n'
        text += sep + pad + c
        sep = '\n'
        prevMore = true
      } else if (c === '') {
        if (sep === '\n') text += '\n'
        else sep = '\n'
      } else {
        text += sep + c
        sep = ' '
        prevMore = false
      }
    }
    if (!strip) text += '\n' // also at the end of the text, as yaml does
    return { kind: SCALAR, start: i, text, isNull: false }
  }
}

const ESCAPES = new Map<string, string>([
  ['0', '\0'], ['a', '\x07'], ['b', '\b'], ['t', '\t'], ['n', '\n'], ['v', '\v'], ['f', '\f'], ['r', '\r'],
  ['e', '\x1b'], [' ', ' '], ['"', '"'], ['/', '/'], ['\\', '\\'], ['N', '\u0085'], ['_', '\u00a0'],
  ['L', '\u2028'], ['P', '\u2029'],
])
