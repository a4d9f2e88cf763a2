// A thin reading layer over a rules file's YAML tree that answers the questions Falco's
// loader asks of yaml-cpp nodes (defined? null? scalar? sequence? map?) and gives every node
// its 0-based line/column, as yaml-cpp's marks are.
//
// The tree comes from yaml-fast.ts when the text is in the subset it reads (Falco's rules
// files are), else from eemeli/yaml, which also reports syntax errors. Both give the same
// answers and positions; yaml-fast.ts says why there are two.
import { createRequire } from 'node:module'
import type { Document, LineCounter, Node as YNode } from 'yaml'
import type { Position, PositionSource } from './load-result.js'
import { MAP, SCALAR, SEQ, parseRulesYaml } from './yaml-fast.js'
import type { FastNode } from './yaml-fast.js'

// eemeli/yaml, loaded when a file needs it: Falco's rules files never do, and loading it is
// ~20 ms of a start. (It is CommonJS for Node either way, so require gives the same module.)
type YamlModule = typeof import('yaml')
let yamlModule: YamlModule | null = null
const yaml = (): YamlModule => (yamlModule ??= createRequire(import.meta.url)('yaml') as YamlModule)

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

/** One node, possibly undefined (a missing key), with yaml-cpp-like predicates. */
export interface Y {
  readonly pos: Position
  /** Where `pos` comes from: the node's offset in a file and the file's positions. */
  readonly offset: number
  readonly positions: PositionSource
  readonly isDefined: boolean
  readonly isNull: boolean
  readonly isScalar: boolean
  readonly isSequence: boolean
  readonly isMap: boolean
  /** The scalar as text, as yaml-cpp's Scalar() gives it (plain scalars keep their source). */
  readonly scalar: string
  get(key: string): Y
  /** The keys of a map, each with the position of the key itself. */
  keys(): { key: string; pos: Position; value: Y }[]
  items(): Y[]
}

/** Line and column of offsets in one text (what contexts keep: not the YAML tree). */
class LinePositions implements PositionSource {
  /** yaml's, when yaml read the text; else the line starts are found here. */
  lineCounter: LineCounter | null = null
  private lineStarts: number[] | null = null

  constructor(private readonly text: string) {}

  position(offset: number): Position {
    const { line, col } = this.linePos(offset)
    return { offset, line: line - 1, column: col - 1 }
  }

  // yaml's LineCounter.linePos, over the line starts it would have recorded (0 and every
  // offset after a line break) when the fast reader read the text.
  private linePos(offset: number): { line: number; col: number } {
    if (this.lineCounter !== null) return this.lineCounter.linePos(offset)
    let starts = this.lineStarts
    if (starts === null) {
      starts = this.lineStarts = [0]
      for (let nl = this.text.indexOf('\n'); nl >= 0; nl = this.text.indexOf('\n', nl + 1)) starts.push(nl + 1)
    }
    let low = 0
    let high = starts.length
    while (low < high) {
      const mid = (low + high) >> 1
      if (starts[mid]! < offset) low = mid + 1
      else high = mid
    }
    if (starts[low] === offset) return { line: low + 1, col: 1 }
    if (low === 0) return { line: 0, col: offset }
    return { line: low, col: offset - starts[low - 1]! + 1 }
  }
}

export class YamlFile {
  private aliasCount = 0
  readonly positions: LinePositions
  /** The documents: yaml's, or the one root node yaml-fast.ts read. */
  readonly docs: readonly unknown[]
  private readonly fast: boolean

  /** Parses every document; throws YamlError with yaml-cpp's wording for malformed text. */
  constructor(readonly text: string) {
    this.positions = new LinePositions(text)
    const root = parseRulesYaml(text)
    this.fast = root !== null
    if (root !== null) {
      this.docs = [root]
      return
    }
    const y = yaml()
    const lineCounter = (this.positions.lineCounter = new y.LineCounter())
    const docs = y.parseAllDocuments(text, { lineCounter, uniqueKeys: false, prettyErrors: false }) as Document.Parsed[]
    this.docs = docs
    for (const doc of docs) {
      const err = doc.errors[0]
      if (err) throw this.translateError(err.code, err.message, err.pos[0])
    }
  }

  position(offset: number): Position {
    return this.positions.position(offset)
  }

  root(doc: unknown): Y {
    if (this.fast) {
      const n = doc as FastNode
      return new FastY(this, n, n.start)
    }
    const d = doc as Document.Parsed
    return new YamlY(this, d, this.deref(d, d.contents as YNode | null), d.contents?.range?.[0] ?? 0)
  }

  deref(doc: Document.Parsed, node: YNode | null | undefined): YNode | null | undefined {
    let n: unknown = node
    const { isAlias } = yaml()
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

/** A map key with its position, computed when asked (most are never shown). */
class KeyEntry {
  constructor(
    private readonly file: YamlFile,
    readonly key: string,
    private readonly offset: number,
    readonly value: Y,
  ) {}

  get pos(): Position {
    return this.file.position(this.offset)
  }
}

/** The fast reader's node behind a view, if the view is one of its nodes (undefined otherwise, or when missing). */
export function fastNodeOf(y: Y): FastNode | undefined {
  return y instanceof FastY ? y.node : undefined
}

/** A node of the tree yaml-fast.ts read. */
class FastY implements Y {
  constructor(
    private readonly file: YamlFile,
    readonly node: FastNode | undefined,
    readonly offset: number,
  ) {}

  get pos(): Position {
    return this.file.position(this.offset)
  }

  get positions(): PositionSource {
    return this.file.positions
  }

  get isDefined(): boolean {
    return this.node !== undefined
  }

  get isNull(): boolean {
    return this.node !== undefined && this.node.kind === SCALAR && this.node.isNull
  }

  get isScalar(): boolean {
    return this.node !== undefined && this.node.kind === SCALAR && !this.node.isNull
  }

  get isSequence(): boolean {
    return this.node !== undefined && this.node.kind === SEQ
  }

  get isMap(): boolean {
    return this.node !== undefined && this.node.kind === MAP
  }

  get scalar(): string {
    return this.node !== undefined && this.node.kind === SCALAR ? this.node.text : ''
  }

  get(key: string): Y {
    const n = this.node
    if (n !== undefined && n.kind === MAP) {
      for (let i = 0; i < n.keys.length; i++) {
        if (n.keys[i]!.text === key) {
          const v = n.values[i]!
          return new FastY(this.file, v, v.start)
        }
      }
    }
    return new FastY(this.file, undefined, this.offset)
  }

  keys(): { key: string; pos: Position; value: Y }[] {
    const n = this.node
    if (n === undefined || n.kind !== MAP) return []
    return n.keys.map((k, i) => {
      const v = n.values[i]!
      return new KeyEntry(this.file, k.text, k.start, new FastY(this.file, v, v.start))
    })
  }

  items(): Y[] {
    const n = this.node
    if (n === undefined || n.kind !== SEQ) return []
    return n.items.map((item) => new FastY(this.file, item, item.start))
  }
}

const isScalar = (n: unknown): n is import('yaml').Scalar => yaml().isScalar(n)
const isSeq = (n: unknown): n is import('yaml').YAMLSeq => yaml().isSeq(n)
const isMap = (n: unknown): n is import('yaml').YAMLMap => yaml().isMap(n)

/** A node of eemeli/yaml's document tree. */
class YamlY implements Y {
  constructor(
    private readonly file: YamlFile,
    private readonly doc: Document.Parsed,
    readonly node: YNode | null | undefined,
    readonly offset: number,
  ) {}

  get pos(): Position {
    return this.file.position(this.offset)
  }

  get positions(): PositionSource {
    return this.file.positions
  }

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
          return new YamlY(this.file, this.doc, v ?? null, off)
        }
      }
    }
    return new YamlY(this.file, this.doc, undefined, this.offset)
  }

  keys(): { key: string; pos: Position; value: Y }[] {
    if (!isMap(this.node)) return []
    return this.node.items.map((pair) => {
      const k = this.file.deref(this.doc, pair.key as YNode)
      const key = isScalar(k) ? String(k.source ?? k.value) : String(k)
      const v = this.file.deref(this.doc, pair.value as YNode | null)
      const voff = (v as YNode | null)?.range?.[0] ?? k?.range?.[1] ?? 0
      return new KeyEntry(this.file, key, k?.range?.[0] ?? 0, new YamlY(this.file, this.doc, v ?? null, voff))
    })
  }

  items(): Y[] {
    if (!isSeq(this.node)) return []
    return this.node.items.map((item) => {
      const n = this.file.deref(this.doc, item as YNode | null)
      return new YamlY(this.file, this.doc, n ?? null, (n as YNode | null)?.range?.[0] ?? this.offset)
    })
  }
}
