// YAML text to a YNode tree, the way yaml-cpp's YAML::Load sees it.
//
// The `yaml` package parses (it reports positions we need for messages); this file only maps its
// AST onto yaml-cpp's view: every scalar stays text, plain `~`/`null`/`Null`/`NULL`/empty values
// are null nodes, only the first document of a stream counts, an alias is the same node as its
// anchor, and a repeated map key keeps its first value (yaml-cpp finds the first one on lookup).

import { createRequire } from 'node:module'
import type { Document, Node as YamlNode } from 'yaml'
import { yamlCppWhat } from './errors.js'
import { YNode } from './node.js'
import type { Mark } from './node.js'

/** A YAML syntax error, worded like yaml-cpp's ("yaml-cpp: error at line L, column C: ..."). */
export class YamlSyntaxError extends Error {}

// Aliases make a DAG; expanding one for validation or conversion could explode (the "billion
// laughs" document). Refuse documents whose expanded size passes this bound.
const MAX_EXPANDED_NODES = 1_000_000

// The yaml package, loaded on first use: a run without a configuration file parses no YAML
// here, and loading it is ~20 ms of a start.
let yamlModule: typeof import('yaml') | null = null
const yaml = (): typeof import('yaml') => (yamlModule ??= createRequire(import.meta.url)('yaml') as typeof import('yaml'))

const NULL_WORDS = new Set(['', '~', 'null', 'Null', 'NULL'])
const NULL_TAG = 'tag:yaml.org,2002:null'

/** Parse YAML text into a YNode; an empty stream gives a null node. */
export function parseYaml(text: string): YNode {
  const { isAlias, isMap, isPair, isScalar, isSeq, LineCounter, parseAllDocuments } = yaml()
  const lines = new LineCounter()
  const docs = parseAllDocuments(text, {
    lineCounter: lines,
    prettyErrors: false,
    uniqueKeys: false,
    schema: 'failsafe',
  })
  // parseAllDocuments returns an EmptyStream (an array) for a stream with no document.
  const first = (docs as Document.Parsed[])[0]
  if (first === undefined) return YNode.null()
  const err = first.errors[0]
  if (err !== undefined) {
    const pos = lines.linePos(err.pos[0])
    throw new YamlSyntaxError(
      yamlCppWhat({ line: pos.line - 1, column: pos.col - 1 }, firstLine(err.message)),
    )
  }
  const markAt = (offset: number): Mark => {
    const p = lines.linePos(offset)
    return { line: p.line - 1, column: p.col - 1 }
  }
  const built = new Map<YamlNode, YNode>()
  const onStack = new Set<YamlNode>()

  const convert = (n: unknown): YNode => {
    if (n === null || n === undefined) return YNode.null()
    if (isAlias(n)) {
      const target = n.resolve(first)
      if (target === undefined) {
        throw new YamlSyntaxError(yamlCppWhat(markOf(n), `unknown anchor '${n.source}'`))
      }
      if (onStack.has(target)) {
        throw new YamlSyntaxError(yamlCppWhat(markOf(n), `alias '${n.source}' refers to itself`))
      }
      const done = built.get(target)
      return done ?? convert(target)
    }
    const node = n as YamlNode
    const mark = markOf(node)
    let out: YNode
    if (isScalar(node)) {
      const value = node.value === null || node.value === undefined ? '' : String(node.value)
      const plain = node.type === 'PLAIN' || node.type === undefined
      const isNull = node.tag === NULL_TAG || (plain && node.tag === undefined && NULL_WORDS.has(value))
      out = isNull ? YNode.null(mark) : YNode.scalar(value, mark)
    } else if (isSeq(node)) {
      onStack.add(node)
      out = YNode.seq(node.items.map(convert), mark)
      onStack.delete(node)
    } else if (isMap(node)) {
      onStack.add(node)
      const entries: Array<[string, YNode]> = []
      for (const pair of node.items) {
        if (!isPair(pair)) continue
        entries.push([keyText(pair.key), convert(pair.value)])
      }
      out = YNode.map(entries, mark)
      onStack.delete(node)
    } else {
      out = YNode.null(mark)
    }
    built.set(node, out)
    return out
  }

  const markOf = (n: { range?: [number, number, number] | null }): Mark | null =>
    n.range ? markAt(n.range[0]) : null

  const root = convert(first.contents)
  checkExpandedSize(root)
  return root
}

function keyText(key: unknown): string {
  // Falco reads keys as strings; a non-scalar key is not something it can address anyway.
  if (key === null || key === undefined) return ''
  if (yaml().isScalar(key)) return key.value === null || key.value === undefined ? '' : String(key.value)
  return String(key)
}

function firstLine(s: string): string {
  const i = s.indexOf('\n')
  return i === -1 ? s : s.slice(0, i)
}

function checkExpandedSize(root: YNode): void {
  const size = new Map<YNode, number>()
  const measure = (n: YNode): number => {
    const known = size.get(n)
    if (known !== undefined) return known
    let total = 1
    if (n.kind === 'seq') for (const c of n.items) total += measure(c)
    else if (n.kind === 'map') for (const c of n.entries.values()) total += measure(c)
    if (total > MAX_EXPANDED_NODES) {
      throw new YamlSyntaxError(
        `document expands to more than ${MAX_EXPANDED_NODES} nodes through aliases`,
      )
    }
    size.set(n, total)
    return total
  }
  measure(root)
}
