// Key paths and `-o key=value` overrides, with the grammar and the quirks of Falco's
// yaml_helper::get_node / set_cmdline_option:
//
//   Key     := NodeKey ('.' NodeKey)*
//   NodeKey := (Char | EscSeq)+ ('[' Index? ']')*
//   EscSeq  := '\' ('.' | '[' | ']' | '\')
//
// - `a.b.c=1` creates the maps it needs; `list[0].x=y` addresses an item, `list[]` (on write)
//   appends a new one, and an index equal to the length appends too;
// - the value is always a scalar text (typed later, when a key is read), except when it starts
//   with `{` and ends with `}`: then it is parsed as YAML, e.g. `rules[]={"disable": {"tag": "x"}}`;
// - only the first `=` splits key from value, so values may contain `=`;
// - an intermediate scalar is an error ("operator[] call on a scalar").
//
// One deliberate difference: Falco loops forever on a `[` without its `]`; we report it.

import { ConfigError } from './errors.js'
import { BadSubscript, childByIndex, childByKey, YamlCppError, YNode } from './node.js'
import { parseYaml, YamlSyntaxError } from './parse.js'

function parsingError(key: string, what: string): ConfigError {
  return new ConfigError(`Config error at key "${key}": Parsing error: ${what}`)
}

/** C++ std::stoi: optional leading space and sign, then digits; what follows is ignored. */
function stoi(s: string): number | undefined {
  const m = /^[ \t\n\v\f\r]*([+-]?[0-9]+)/.exec(s)
  if (m === null) return undefined
  const v = Number(m[1])
  if (v < -2147483648 || v > 2147483647) return undefined
  return v
}

/**
 * Walk `key` from `root`, creating placeholder nodes on the way, and return the node it names
 * plus every node visited (so an assignment can make them all visible). With `canAppend`, an
 * empty index `[]` appends to a sequence.
 */
export function walkKey(root: YNode, key: string, canAppend: boolean): { node: YNode; path: YNode[] } {
  let ret = root
  const path: YNode[] = [root]
  let nodeKey = ''
  const shift = (k: string): void => {
    ret = childByKey(ret, k)
    path.push(ret)
  }
  try {
    for (let i = 0; i < key.length; i++) {
      const c = key[i]!
      if (c === '\\') {
        if (i + 1 >= key.length) throw parsingError(key, `trailing backslash at pos ${i}`)
        const next = key[i + 1]!
        if (next !== '.' && next !== '[' && next !== ']' && next !== '\\') {
          throw parsingError(key, `invalid escape sequence '\\${next}' at pos ${i}`)
        }
        nodeKey += next
        i++
        if (i === key.length - 1) {
          shift(nodeKey)
          nodeKey = ''
        }
        continue
      }
      const shouldShift = c === '.' || c === '[' || i === key.length - 1
      if (c !== '.' && c !== '[') {
        if (i > 0 && nodeKey === '' && key[i - 1] !== '.') {
          throw parsingError(key, `expected '.' character at pos ${i - 1}`)
        }
        nodeKey += c
      }
      if (shouldShift) {
        if (nodeKey === '') throw parsingError(key, `unexpected character at pos ${i}`)
        shift(nodeKey)
        nodeKey = ''
      }
      if (c === '[') {
        const close = key.indexOf(']', i)
        if (close === -1) throw parsingError(key, `missing ']' for the '[' at pos ${i}`)
        const idxStr = key.slice(i + 1, close)
        let idx: number
        const appendable = !ret.defined || ret.kind === 'seq'
        if (idxStr === '' && appendable && canAppend) {
          if (ret.kind !== 'seq') {
            ret.kind = 'seq'
            ret.items = []
            ret.entries = new Map()
          }
          ret.items.push(YNode.undefinedNode())
          idx = ret.items.length - 1
        } else {
          const parsed = stoi(idxStr)
          if (parsed === undefined) {
            throw parsingError(key, `expected a numeric index, found '${idxStr}'`)
          }
          idx = parsed
        }
        ret = childByIndex(ret, idx)
        path.push(ret)
        i = close
        if (i < key.length - 1 && key[i + 1] === '.') i++
      }
    }
  } catch (e) {
    if (e instanceof YamlCppError) throw new ConfigError(`Config error at key "${key}": ${e.message}`)
    throw e
  }
  return { node: ret, path }
}

/**
 * Read the node a key names without changing the document; undefined when absent. Going through
 * a scalar is an error, as in Falco. Only for the loader's own keys: plain dotted names.
 */
export function lookupKey(root: YNode, key: string): YNode | undefined {
  let cur: YNode | undefined = root
  for (const part of key.split('.')) {
    if (cur === undefined || !cur.defined) return undefined
    if (cur.kind === 'scalar') {
      throw new ConfigError(`Config error at key "${key}": ${new BadSubscript(cur.mark, part).message}`)
    }
    // Falco's reader turns a null node or a sequence into a map here; the key is then simply
    // absent, which is what this returns without touching the document.
    cur = cur.kind === 'map' ? cur.entries.get(part) : undefined
  }
  return cur !== undefined && cur.defined ? cur : undefined
}

/** Set a scalar at `key` (yaml_helper::set_scalar). */
export function setScalar(root: YNode, key: string, value: string): void {
  const { node, path } = walkKey(root, key, true)
  node.setScalar(value)
  for (const n of path) n.defined = true
}

/** Set a node at `key` (yaml_helper::set_object). */
export function setObject(root: YNode, key: string, value: YNode): void {
  const { node, path } = walkKey(root, key, true)
  node.assign(value)
  node.defined = true
  for (const n of path) n.defined = true
}

/**
 * Apply one `-o key=value` option to a document, in place. Throws ConfigError with Falco's
 * message for a malformed option or key.
 */
export function applyOverride(doc: YNode, option: string): void {
  const eq = option.indexOf('=')
  if (eq === -1) {
    throw new ConfigError(
      `Error parsing config option "${option}". Must be of the form key=val or key.subkey=val`,
    )
  }
  const key = option.slice(0, eq)
  const value = option.slice(eq + 1)
  if (value.startsWith('{') && value.endsWith('}')) {
    let parsed: YNode
    try {
      parsed = parseYaml(value)
    } catch (e) {
      if (e instanceof YamlSyntaxError) throw new ConfigError(e.message)
      throw e
    }
    setObject(doc, key, parsed)
  } else {
    setScalar(doc, key, value)
  }
}
