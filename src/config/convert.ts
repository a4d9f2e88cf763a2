// Reading a scalar as a boolean, a number or a string, with yaml-cpp's rules (what Falco's
// `get_scalar<T>(key, default)` does). A value that does not convert gives `undefined`, and the
// caller falls back to the default, silently, as Falco does: `json_output: 1` is false, not an
// error (the schema check reports it as a warning).
//
// yaml-cpp reads numbers with a C++ stream whose base is not fixed, so `0x1f` is 31 and `010` is
// 8; it accepts `y/yes/true/on` and `n/no/false/off` as booleans in lower, upper or capitalised
// case; and it reads a null node as the string "null".

import { BadConversion } from './node.js'
import type { YNode } from './node.js'

export type IntKind = 'uint8' | 'int16' | 'uint16' | 'int32' | 'uint32' | 'int64' | 'uint64'

const INT_RANGE: Record<IntKind, readonly [bigint, bigint]> = {
  uint8: [0n, 255n],
  int16: [-32768n, 32767n],
  uint16: [0n, 65535n],
  int32: [-2147483648n, 2147483647n],
  uint32: [0n, 4294967295n],
  int64: [-9223372036854775808n, 9223372036854775807n],
  uint64: [0n, 18446744073709551615n],
}

const UNSIGNED = new Set<IntKind>(['uint8', 'uint16', 'uint32', 'uint64'])

// A C++ stream with no fixed base: hex after 0x, octal after a leading 0, decimal otherwise.
const STREAM_INT = /^([+-]?)(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)/
const STREAM_DOUBLE = /^[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?/
// What `stream >> std::ws` can skip before reaching the end (the C locale's isspace).
const TRAILING_SPACE = /^[ \t\n\v\f\r]*$/

/** as<std::string>: the text of a scalar, "null" for a null node, nothing for a map or sequence. */
export function cppString(n: YNode | undefined): string | undefined {
  if (n === undefined || !n.defined) return undefined
  if (n.kind === 'null') return 'null'
  if (n.kind === 'scalar') return n.scalar
  return undefined
}

/** as<std::string>() without a fallback: a map or a sequence is a "bad conversion". */
export function cppStringStrict(n: YNode): string {
  const s = cppString(n)
  if (s === undefined) throw new BadConversion(n.mark)
  return s
}

function isFlexibleCase(s: string): boolean {
  if (s === '') return true
  const lower = (t: string): boolean => /^[a-z]*$/.test(t)
  const upper = (t: string): boolean => /^[A-Z]*$/.test(t)
  if (lower(s)) return true
  const rest = s.slice(1)
  return upper(s[0]!) && (lower(rest) || upper(rest))
}

const TRUE_WORDS = new Set(['y', 'yes', 'true', 'on'])
const FALSE_WORDS = new Set(['n', 'no', 'false', 'off'])

/** as<bool>. */
export function cppBool(n: YNode | undefined): boolean | undefined {
  if (n === undefined || !n.defined || n.kind !== 'scalar') return undefined
  const s = n.scalar
  if (!isFlexibleCase(s)) return undefined
  const l = s.toLowerCase()
  if (TRUE_WORDS.has(l)) return true
  if (FALSE_WORDS.has(l)) return false
  return undefined
}

/** as<bool>() without a fallback. */
export function cppBoolStrict(n: YNode): boolean {
  const b = cppBool(n)
  if (b === undefined) throw new BadConversion(n.mark)
  return b
}

/** The integer a C++ stream would read from the text, as a bigint, or undefined. */
export function streamInteger(s: string, kind: IntKind): bigint | undefined {
  if (UNSIGNED.has(kind) && s.startsWith('-')) return undefined
  const m = STREAM_INT.exec(s)
  if (m === null || !TRAILING_SPACE.test(s.slice(m[0].length))) return undefined
  const sign = m[1] === '-' ? -1n : 1n
  const body = m[2]!
  let v: bigint
  if (/^0[xX]/.test(body)) v = BigInt(body)
  else if (body.length > 1 && body.startsWith('0')) v = BigInt('0o' + body.slice(1))
  else v = BigInt(body)
  v *= sign
  const [lo, hi] = INT_RANGE[kind]
  // The 8-bit types are read as an int first; every other overflow fails the stream.
  if (v < lo || v > hi) return undefined
  return v
}

/** as<integer type>; values past 2^53 lose precision in the returned number. */
export function cppInt(n: YNode | undefined, kind: IntKind): number | undefined {
  if (n === undefined || !n.defined || n.kind !== 'scalar') return undefined
  const v = streamInteger(n.scalar, kind)
  return v === undefined ? undefined : Number(v)
}

/** as<double>, including YAML's .inf, -.inf and .nan spellings. */
export function cppDouble(n: YNode | undefined): number | undefined {
  if (n === undefined || !n.defined || n.kind !== 'scalar') return undefined
  return streamDouble(n.scalar)
}

export function streamDouble(s: string): number | undefined {
  const m = STREAM_DOUBLE.exec(s)
  if (m !== null && TRAILING_SPACE.test(s.slice(m[0].length))) {
    const v = Number(m[0])
    // An out-of-range value fails the C++ stream.
    if (Number.isFinite(v)) return v
  }
  if (s === '.inf' || s === '.Inf' || s === '.INF' || s === '+.inf' || s === '+.Inf' || s === '+.INF') {
    return Infinity
  }
  if (s === '-.inf' || s === '-.Inf' || s === '-.INF') return -Infinity
  if (s === '.nan' || s === '.NaN' || s === '.NAN') return NaN
  return undefined
}

export type JsonValue = null | boolean | number | string | JsonValue[] | { [k: string]: JsonValue }

/**
 * A node as JSON, the way Falco turns a plugin's `init_config` map into the JSON text it hands
 * to the plugin: a scalar becomes an int if it reads as one, else a double, else a boolean,
 * else a string (so `yes` is true and `010` is 8); keys come out sorted, as in nlohmann::json.
 */
export function toWeakJson(n: YNode): JsonValue {
  if (!n.defined) return null
  switch (n.kind) {
    case 'null':
      return null
    case 'scalar': {
      const i = cppInt(n, 'int32')
      if (i !== undefined) return i
      const d = cppDouble(n)
      if (d !== undefined) return d
      const b = cppBool(n)
      if (b !== undefined) return b
      return n.scalar
    }
    case 'seq':
      return n.seqItems().map(toWeakJson)
    case 'map': {
      const out: { [k: string]: JsonValue } = {}
      const entries = n.mapEntries().sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      for (const [k, v] of entries) Object.defineProperty(out, k, { value: toWeakJson(v), enumerable: true, writable: true, configurable: true })
      return out
    }
  }
}

/** A node as plain data with every scalar left as its text (null nodes are null). */
export function toPlain(n: YNode): unknown {
  if (!n.defined) return undefined
  switch (n.kind) {
    case 'null':
      return null
    case 'scalar':
      return n.scalar
    case 'seq':
      return n.seqItems().map(toPlain)
    case 'map': {
      const out: Record<string, unknown> = {}
      for (const [k, v] of n.mapEntries()) Object.defineProperty(out, k, { value: toPlain(v), enumerable: true, writable: true, configurable: true })
      return out
    }
  }
}
