// A thin reading layer over eemeli/yaml's document tree that answers the questions
// Falco's loader asks of yaml-cpp nodes (defined? null? scalar? sequence? map?) and
// gives every node its 0-based line/column, as yaml-cpp's marks are.
import { isAlias, isMap, isScalar, isSeq, LineCounter, parseAllDocuments } from 'yaml'
import type { Document, Node as YNode } from 'yaml'
import type { Position } from './load-result.js'

// Bounds what aliases can make a small file expand to (billion laughs).
const MAX_ALIAS_RESOLUTIONS = 10_000

export class YamlError extends Error {
  constructor(
    message: string,
    readonly pos: Position,
  ) {
    super(message)
  }
}

export class YamlFile {
  private aliasCount = 0
  private readonly lineCounter = new LineCounter()
  readonly docs: Document.Parsed[]

  /** Parses every document; throws YamlError with yaml-cpp's wording for malformed text. */
  constructor(readonly text: string) {
    this.docs = parseAllDocuments(text, { lineCounter: this.lineCounter, uniqueKeys: false, prettyErrors: false }) as Document.Parsed[]
    for (const doc of this.docs) {
      const err = doc.errors[0]
      if (err) throw this.translateError(err.code, err.message, err.pos[0])
    }
  }

  position(offset: number): Position {
    const { line, col } = this.lineCounter.linePos(offset)
    return { offset, line: line - 1, column: col - 1 }
  }

  root(doc: Document.Parsed): Y {
    return new Y(this, doc, this.deref(doc, doc.contents as YNode | null), this.position(doc.contents?.range?.[0] ?? 0))
  }

  deref(doc: Document.Parsed, node: YNode | null | undefined): YNode | null | undefined {
    let n: unknown = node
    while (isAlias(n)) {
      if (++this.aliasCount > MAX_ALIAS_RESOLUTIONS) {
        throw new YamlError('yaml: too many alias references (more than ' + MAX_ALIAS_RESOLUTIONS + ')', this.position(0))
      }
      n = n.resolve(doc)
    }
    return n as YNode | null | undefined
  }

  // yaml-cpp names the offending spot and its own reason; map the common cases so that
  // messages read as Falco's do ("yaml-cpp: error at line 1, column 11: illegal map value").
  private translateError(code: string, message: string, offset: number): YamlError {
    let at = offset
    let reason = message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '')
    if (code === 'BLOCK_AS_IMPLICIT_KEY' || code === 'MULTILINE_IMPLICIT_KEY') {
      const colon = this.text.indexOf(':', offset)
      if (colon >= 0) at = colon
      reason = 'illegal map value'
    }
    const p = this.position(at)
    return new YamlError(`yaml-cpp: error at line ${p.line + 1}, column ${p.column + 1}: ${reason}`, p)
  }
}

/** One node, possibly undefined (a missing key), with yaml-cpp-like predicates. */
export class Y {
  constructor(
    private readonly file: YamlFile,
    private readonly doc: Document.Parsed,
    readonly node: YNode | null | undefined,
    readonly pos: Position,
  ) {}

  get isDefined(): boolean {
    return this.node !== undefined
  }

  get isNull(): boolean {
    return this.node === null || (isScalar(this.node) && this.node.value === null)
  }

  get isScalar(): boolean {
    return isScalar(this.node) && this.node.value !== null
  }

  get isSequence(): boolean {
    return isSeq(this.node)
  }

  get isMap(): boolean {
    return isMap(this.node)
  }

  /** The scalar as text, as yaml-cpp's Scalar() gives it (plain scalars keep their source). */
  get scalar(): string {
    if (!isScalar(this.node)) return ''
    const v = this.node.value
    if (typeof v === 'string') return v
    if (this.node.source !== undefined) return String(this.node.source)
    return String(v)
  }

  get(key: string): Y {
    if (isMap(this.node)) {
      for (const pair of this.node.items) {
        const k = this.file.deref(this.doc, pair.key as YNode)
        if (isScalar(k) && String(k.source ?? k.value) === key) {
          const v = this.file.deref(this.doc, pair.value as YNode | null)
          const off = (v as YNode | null)?.range?.[0] ?? (k.range?.[1] ?? 0)
          return new Y(this.file, this.doc, v ?? null, this.file.position(off))
        }
      }
    }
    return new Y(this.file, this.doc, undefined, this.pos)
  }

  /** The keys of a map, each with the position of the key itself. */
  keys(): { key: string; pos: Position; value: Y }[] {
    if (!isMap(this.node)) return []
    return this.node.items.map((pair) => {
      const k = this.file.deref(this.doc, pair.key as YNode)
      const key = isScalar(k) ? String(k.source ?? k.value) : String(k)
      const v = this.file.deref(this.doc, pair.value as YNode | null)
      const vpos = this.file.position((v as YNode | null)?.range?.[0] ?? k?.range?.[1] ?? 0)
      return { key, pos: this.file.position(k?.range?.[0] ?? 0), value: new Y(this.file, this.doc, v ?? null, vpos) }
    })
  }

  items(): Y[] {
    if (!isSeq(this.node)) return []
    return this.node.items.map((item) => {
      const n = this.file.deref(this.doc, item as YNode | null)
      return new Y(this.file, this.doc, n ?? null, this.file.position((n as YNode | null)?.range?.[0] ?? this.pos.offset))
    })
  }
}
