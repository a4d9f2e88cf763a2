// The configuration document, modelled on yaml-cpp's node (what Falco uses) rather than on plain
// JavaScript values, because Falco's behaviour follows from that model:
//
// - a scalar is untyped text; `true`, `8765` or `.1` become a boolean or a number only when a
//   key is read as one (see convert.ts), so `-o json_output=true` and `json_output: "true"` mean
//   the same thing;
// - the empty value, `~` and `null` make a null node, distinct from an absent key;
// - reading or writing `a.b` through a null or a sequence turns that node into a map, and
//   writing creates "undefined" nodes that only become visible once something is assigned to
//   them (a failed `-o` leaves no trace).
//
// Nodes are mutable in place, like yaml-cpp's node data, so an override can turn the root from
// null into a map without the caller having to swap references.

import { yamlCppWhat } from './errors.js'

/** 0-based line and column of the first character of a node in its source text. */
export interface Mark {
  readonly line: number
  readonly column: number
}

export type NodeKind = 'null' | 'scalar' | 'seq' | 'map'

export class YNode {
  kind: NodeKind
  /** False for a node created while walking a key path that has not been assigned yet. */
  defined: boolean
  scalar: string
  items: YNode[]
  entries: Map<string, YNode>
  mark: Mark | null

  constructor(kind: NodeKind, defined: boolean, mark: Mark | null) {
    this.kind = kind
    this.defined = defined
    this.scalar = ''
    this.items = []
    this.entries = new Map()
    this.mark = mark
  }

  static null(mark: Mark | null = null): YNode {
    return new YNode('null', true, mark)
  }

  static scalar(value: string, mark: Mark | null = null): YNode {
    const n = new YNode('scalar', true, mark)
    n.scalar = value
    return n
  }

  static seq(items: YNode[], mark: Mark | null = null): YNode {
    const n = new YNode('seq', true, mark)
    n.items = items
    return n
  }

  static map(entries: Iterable<[string, YNode]>, mark: Mark | null = null): YNode {
    const n = new YNode('map', true, mark)
    for (const [k, v] of entries) if (!n.entries.has(k)) n.entries.set(k, v)
    return n
  }

  /** A placeholder that stays invisible until something is assigned to it. */
  static undefinedNode(): YNode {
    return new YNode('null', false, null)
  }

  /** Assign a scalar in place; the node keeps its source position, as yaml-cpp does. */
  setScalar(value: string): void {
    this.kind = 'scalar'
    this.scalar = value
    this.items = []
    this.entries = new Map()
    this.defined = true
  }

  /** Make this node take the content of another (yaml-cpp's `node = other`). */
  assign(other: YNode): void {
    this.kind = other.kind
    this.scalar = other.scalar
    this.items = other.items
    this.entries = other.entries
    this.mark = other.mark
    this.defined = other.defined
  }

  /** The defined children of a sequence, in order (yaml-cpp iteration skips placeholders). */
  seqItems(): YNode[] {
    return this.items.filter(n => n.defined)
  }

  /** The defined entries of a map, in order. */
  mapEntries(): Array<[string, YNode]> {
    const out: Array<[string, YNode]> = []
    for (const [k, v] of this.entries) if (v.defined) out.push([k, v])
    return out
  }

  /** Child by key without changing anything; undefined when absent or not a map. */
  get(key: string): YNode | undefined {
    if (this.kind !== 'map') return undefined
    const n = this.entries.get(key)
    return n !== undefined && n.defined ? n : undefined
  }
}

/** An error yaml-cpp raises while reading or changing the document (its what() is the message). */
export class YamlCppError extends Error {}

/** yaml-cpp's "operator[] call on a scalar" error, thrown when a key path goes through a scalar. */
export class BadSubscript extends YamlCppError {
  constructor(mark: Mark | null, key: string | number) {
    super(yamlCppWhat(mark, `operator[] call on a scalar (key: "${key}")`))
  }
}

/** yaml-cpp's error for appending to something that is not a sequence. */
export class BadPushback extends YamlCppError {
  constructor() {
    super('appending to a non-sequence')
  }
}

/** yaml-cpp's "bad conversion": a node could not be decoded into the structure asked for. */
export class BadConversion extends YamlCppError {
  constructor(mark: Mark | null) {
    super(yamlCppWhat(mark, 'bad conversion'))
  }
}

function convertToMap(n: YNode): void {
  // A sequence becomes a map keyed by the item indexes; null and placeholders become empty maps.
  if (n.kind === 'seq') {
    const entries = new Map<string, YNode>()
    n.items.forEach((item, i) => entries.set(String(i), item))
    n.entries = entries
    n.items = []
  } else if (n.kind !== 'map') {
    n.entries = new Map()
  }
  n.kind = 'map'
}

/**
 * The child of `n` at a string key, created as a placeholder when absent (yaml-cpp's non-const
 * `operator[]`). A null node, a placeholder or a sequence is turned into a map first.
 */
export function childByKey(n: YNode, key: string): YNode {
  if (n.kind === 'scalar') throw new BadSubscript(n.mark, key)
  if (n.kind !== 'map') convertToMap(n)
  let c = n.entries.get(key)
  if (c === undefined) {
    c = YNode.undefinedNode()
    n.entries.set(key, c)
  }
  return c
}

/**
 * The child of `n` at an integer index. On a sequence (or a null node or placeholder) an index up
 * to the current length addresses an item, the length itself appends a placeholder; any other
 * index turns the node into a map keyed by the index, exactly as yaml-cpp does.
 */
export function childByIndex(n: YNode, idx: number): YNode {
  if (n.kind === 'scalar') throw new BadSubscript(n.mark, idx)
  if (n.kind !== 'map') {
    const items = n.kind === 'seq' ? n.items : []
    const inRange = idx >= 0 && idx <= items.length && (idx === 0 || items[idx - 1]!.defined)
    if (inRange) {
      if (n.kind !== 'seq') {
        n.kind = 'seq'
        n.items = items
        n.entries = new Map()
      }
      if (idx === items.length) items.push(YNode.undefinedNode())
      return items[idx]!
    }
    convertToMap(n)
  }
  const key = String(idx)
  let c = n.entries.get(key)
  if (c === undefined) {
    c = YNode.undefinedNode()
    n.entries.set(key, c)
  }
  return c
}

/** yaml-cpp's `push_back`: a null node or placeholder becomes a sequence; a map or scalar fails. */
export function pushBack(n: YNode, item: YNode): void {
  if (n.kind === 'null') {
    n.kind = 'seq'
    n.items = []
    n.entries = new Map()
  } else if (n.kind !== 'seq') {
    throw new BadPushback()
  }
  n.items.push(item)
  n.defined = true
}
