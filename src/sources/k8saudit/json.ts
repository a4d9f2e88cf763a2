// JSON as the k8saudit and json plugins see it. Both parse with valyala/fastjson, which is
// not JSON.parse, and the differences reach rule results:
//
// - a repeated key is kept, and lookups find the FIRST one (JSON.parse keeps the last);
// - key order is kept as written (a JS object puts integer-like keys first);
// - numbers are kept as their source text ("1.50" stays "1.50", 1e400 stays 1e400), and the
//   number scanner is lenient: any run of [0-9.eE+-], or inf/nan, is a number;
// - strings are found by their closing quote only: raw control characters and unknown
//   escapes are accepted, and escapes are decoded best-effort (a bad \u stays as written);
// - nesting deeper than 300 values is a parse error (fastjson's MaxDepth).
//
// Values are marshaled back as fastjson's MarshalTo does for values nobody decoded: strings,
// keys and numbers as their source text, no whitespace. Object keys are plain data
// (`__proto__` is a key like any other): nothing here writes to a JS object by key.

/** fastjson's MaxDepth: a value nested deeper than this is a parse error. */
export const MAX_DEPTH = 300

/** A number, as written in the source. */
export class JNumber {
  constructor(readonly raw: string) {}
}

/** A string that was written with escapes: its decoded value and its source text. */
export class JStr {
  constructor(
    readonly value: string,
    readonly raw: string,
  ) {}
}

/** Strings without escapes are plain JS strings; arrays are JS arrays. */
export type JValue = string | JStr | JNumber | boolean | null | JObject | JValue[]

// Objects with more keys than this get a lookup index on first use. Below it a scan is
// cheaper: an audit event has ~15 top-level keys and is looked up a few times, and building
// a Map for each one cost a quarter of the parse time (measured on Falco's fixtures).
const INDEX_AT = 32

/** An object: keys in source order, repeats kept; lookups find the first. */
export class JObject {
  private index: Map<string, number> | null = null
  constructor(
    /** Decoded keys. */
    readonly keys: readonly string[],
    readonly vals: readonly JValue[],
    /** Source texts of the keys, when one of them was written with escapes. */
    readonly rawKeys: readonly string[] | null,
    /** Length of the object's source text (UTF-16 units, whitespace included). */
    readonly span: number,
  ) {}

  /** The value of the first `key`, as fastjson's Object.Get. */
  get(key: string): JValue | undefined {
    const keys = this.keys
    if (keys.length <= INDEX_AT) {
      for (let i = 0; i < keys.length; i++) if (keys[i] === key) return this.vals[i]
      return undefined
    }
    let index = this.index
    if (index === null) {
      index = new Map()
      for (let i = 0; i < keys.length; i++) if (!index.has(keys[i]!)) index.set(keys[i]!, i)
      this.index = index
    }
    const i = index.get(key)
    return i === undefined ? undefined : this.vals[i]
  }
}

export const isString = (v: JValue | undefined): v is string | JStr => typeof v === 'string' || v instanceof JStr

/** The decoded text of a string value; undefined for anything else. */
export function stringValue(v: JValue | undefined): string | undefined {
  if (typeof v === 'string') return v
  if (v instanceof JStr) return v.value
  return undefined
}

/** fastjson's Value.Get with one key: object member, array index (strconv.Atoi), else nothing. */
export function getKey(v: JValue | undefined, key: string): JValue | undefined {
  if (v instanceof JObject) return v.get(key)
  if (Array.isArray(v)) {
    const n = atoi(key)
    return n !== undefined && n >= 0 && n < v.length ? v[n] : undefined
  }
  return undefined
}

/** fastjson's Value.Get with a key path. */
export function getPath(v: JValue | undefined, keys: readonly string[]): JValue | undefined {
  for (let i = 0; i < keys.length && v !== undefined; i++) v = getKey(v, keys[i]!)
  return v
}

// strconv.Atoi: optional sign, decimal digits, fits in 64 bits.
const ATOI = /^[+-]?[0-9]+$/
function atoi(s: string): number | undefined {
  if (!ATOI.test(s)) return undefined
  const n = Number(s)
  if (!Number.isSafeInteger(n)) return s.charAt(0) === '-' ? undefined : Number.MAX_SAFE_INTEGER // beyond any array
  return n === 0 ? 0 : n // -0 is 0
}

// ---- parsing --------------------------------------------------------------------------------

/** A body that fastjson would refuse, with where it stopped. */
export class JsonSyntaxError extends Error {
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super(message)
    this.name = 'JsonSyntaxError'
  }
}

/** Parses one JSON text with fastjson's rules; throws JsonSyntaxError. */
export function parseJson(text: string): JValue {
  return new Parser(text).parse()
}

// fastjson's startEndString: long tails are shown by their ends.
function tailText(s: string): string {
  if (s.length <= 40) return s
  return s.slice(0, 20) + '...' + s.slice(-20)
}

const WS = (c: number) => c === 0x20 || c === 0x0a || c === 0x09 || c === 0x0d
const NUMCHAR = (c: number) => (c >= 0x30 && c <= 0x39) || c === 0x2e || c === 0x2d || c === 0x65 || c === 0x45 || c === 0x2b

class Parser {
  private i = 0
  constructor(private readonly s: string) {}

  parse(): JValue {
    this.i = this.ws(0)
    const v = this.value(0)
    const end = this.ws(this.i)
    if (end < this.s.length) throw this.fail('unexpected tail', end)
    return v
  }

  private fail(what: string, at: number): JsonSyntaxError {
    return new JsonSyntaxError(`cannot parse JSON: ${what} at offset ${at}; unparsed tail: ${JSON.stringify(tailText(this.s.slice(at)))}`, at)
  }

  private ws(i: number): number {
    const s = this.s
    while (i < s.length && WS(s.charCodeAt(i))) i++
    return i
  }

  private value(depth: number): JValue {
    const s = this.s
    const i = this.i
    if (i >= s.length) throw this.fail('cannot parse empty string', i)
    if (++depth > MAX_DEPTH) throw this.fail(`too big depth for the nested JSON; it exceeds ${MAX_DEPTH}`, i)
    switch (s.charCodeAt(i)) {
      case 0x7b: // {
        return this.object(depth)
      case 0x5b: // [
        return this.array(depth)
      case 0x22: // "
        return this.string()
      case 0x74: // t
        if (s.startsWith('true', i)) { this.i = i + 4; return true }
        throw this.fail('unexpected value found', i)
      case 0x66: // f
        if (s.startsWith('false', i)) { this.i = i + 5; return false }
        throw this.fail('unexpected value found', i)
      case 0x6e: // n
        if (s.startsWith('null', i)) { this.i = i + 4; return null }
        if (s.slice(i, i + 3).toLowerCase() === 'nan') { this.i = i + 3; return new JNumber(s.slice(i, i + 3)) }
        throw this.fail('unexpected value found', i)
      default:
        return this.number()
    }
  }

  // fastjson's parseRawNumber: the longest run of number characters; inf/nan after an
  // optional sign; anything else at the start is an error.
  private number(): JNumber {
    const s = this.s
    const start = this.i
    let i = start
    for (; i < s.length; i++) {
      const c = s.charCodeAt(i)
      if (NUMCHAR(c)) continue
      const signed = s.charCodeAt(start) === 0x2d || s.charCodeAt(start) === 0x2b
      if (i === start || (i === start + 1 && signed)) {
        const word = s.slice(i, i + 3).toLowerCase()
        if (word === 'inf' || word === 'nan') {
          this.i = i + 3
          return new JNumber(s.slice(start, i + 3))
        }
        throw this.fail(`cannot parse number: unexpected char: ${JSON.stringify(s.charAt(i))}`, i)
      }
      break
    }
    this.i = i
    return new JNumber(s.slice(start, i))
  }

  // The text between quotes: ends at the first quote preceded by an even run of backslashes.
  // Returns the raw text; this.i moves past the closing quote.
  private rawString(): string {
    const s = this.s
    const start = this.i + 1
    let n = s.indexOf('"', start)
    for (;;) {
      if (n < 0) throw this.fail(`missing closing '"'`, this.i)
      let b = n
      while (b > start && s.charCodeAt(b - 1) === 0x5c) b--
      if ((n - b) % 2 === 0) break
      n = s.indexOf('"', n + 1)
    }
    this.i = n + 1
    return s.slice(start, n)
  }

  private string(): string | JStr {
    const raw = this.rawString()
    return raw.indexOf('\\') < 0 ? raw : new JStr(unescape(raw), raw)
  }

  private object(depth: number): JObject {
    const s = this.s
    const open = this.i
    let i = this.ws(open + 1)
    if (i >= s.length) throw this.fail("missing '}'", i)
    if (s.charCodeAt(i) === 0x7d) {
      this.i = i + 1
      return new JObject([], [], null, i + 1 - open)
    }
    const keys: string[] = []
    const vals: JValue[] = []
    let rawKeys: string[] | null = null
    for (;;) {
      i = this.ws(i)
      if (i >= s.length || s.charCodeAt(i) !== 0x22) throw this.fail(`cannot find opening '"' for object key`, i)
      this.i = i
      const raw = this.rawString()
      if (raw.indexOf('\\') >= 0) {
        if (rawKeys === null) rawKeys = keys.slice()
        keys.push(unescape(raw))
        rawKeys.push(raw)
      } else {
        keys.push(raw)
        if (rawKeys !== null) rawKeys.push(raw)
      }
      i = this.ws(this.i)
      if (i >= s.length || s.charCodeAt(i) !== 0x3a) throw this.fail("missing ':' after object key", i)
      this.i = this.ws(i + 1)
      vals.push(this.value(depth))
      i = this.ws(this.i)
      if (i >= s.length) throw this.fail('unexpected end of object', i)
      const c = s.charCodeAt(i)
      if (c === 0x2c) { i++; continue }
      if (c === 0x7d) {
        this.i = i + 1
        return new JObject(keys, vals, rawKeys, i + 1 - open)
      }
      throw this.fail("missing ',' after object value", i)
    }
  }

  private array(depth: number): JValue[] {
    const s = this.s
    let i = this.ws(this.i + 1)
    if (i >= s.length) throw this.fail("missing ']'", i)
    const out: JValue[] = []
    if (s.charCodeAt(i) === 0x5d) {
      this.i = i + 1
      return out
    }
    for (;;) {
      this.i = this.ws(i)
      out.push(this.value(depth))
      i = this.ws(this.i)
      if (i >= s.length) throw this.fail('unexpected end of array', i)
      const c = s.charCodeAt(i)
      if (c === 0x2c) { i++; continue }
      if (c === 0x5d) {
        this.i = i + 1
        return out
      }
      throw this.fail("missing ',' after array value", i)
    }
  }
}

const HEX4 = /^[0-9a-fA-F]{4}$/

// fastjson's unescapeStringBestEffort: known escapes decoded; a short or bad \u, or an
// unknown escape, stays as written; surrogate pairs joined, a broken pair becomes U+FFFD.
export function unescape(s: string): string {
  let out = ''
  let from = 0
  let n = s.indexOf('\\')
  while (n >= 0) {
    out += s.slice(from, n)
    let i = n + 1
    if (i >= s.length) { from = i; break } // a lone trailing backslash is dropped, as in fastjson
    const ch = s.charAt(i++)
    switch (ch) {
      case '"': out += '"'; break
      case '\\': out += '\\'; break
      case '/': out += '/'; break
      case 'b': out += '\b'; break
      case 'f': out += '\f'; break
      case 'n': out += '\n'; break
      case 'r': out += '\r'; break
      case 't': out += '\t'; break
      case 'u': {
        const xs = s.slice(i, i + 4)
        if (!HEX4.test(xs)) { out += '\\u'; break }
        i += 4
        const x = parseInt(xs, 16)
        if (x < 0xd800 || x > 0xdfff) { out += String.fromCharCode(x); break }
        const ys = s.slice(i + 2, i + 6)
        if (s.charAt(i) !== '\\' || s.charAt(i + 1) !== 'u' || !HEX4.test(ys)) { out += '\\u' + xs; break }
        const y = parseInt(ys, 16)
        out += x < 0xdc00 && y >= 0xdc00 && y <= 0xdfff ? String.fromCharCode(x, y) : '\ufffd'
        i += 6
        break
      }
      default:
        out += '\\' + ch
    }
    from = i
    n = s.indexOf('\\', i)
  }
  return out + s.slice(from)
}

// ---- marshaling -----------------------------------------------------------------------------

/** fastjson's MarshalTo for values never decoded: source texts, no whitespace. */
export function marshal(v: JValue): string {
  if (typeof v === 'string') return '"' + v + '"'
  if (v === null) return 'null'
  if (v === true) return 'true'
  if (v === false) return 'false'
  if (v instanceof JStr) return '"' + v.raw + '"'
  if (v instanceof JNumber) return v.raw
  if (Array.isArray(v)) {
    let out = '['
    for (let i = 0; i < v.length; i++) out += (i > 0 ? ',' : '') + marshal(v[i]!)
    return out + ']'
  }
  const keys = v.rawKeys ?? v.keys
  let out = '{'
  for (let i = 0; i < keys.length; i++) out += (i > 0 ? ',"' : '"') + keys[i] + '":' + marshal(v.vals[i]!)
  return out + '}'
}

/** What fastjson's jsonValueAsString gives: a string's decoded text, else the marshaled value. */
export function asText(v: JValue): string {
  if (typeof v === 'string') return v
  if (v instanceof JStr) return v.value
  return marshal(v)
}

// What Go's encoding/json scanner accepts, which json.Indent checks.
const STRICT_NUMBER = /^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?$/
// eslint-disable-next-line no-control-regex
const BAD_STRING = /[\x00-\x1f]|\\(?!["\\/bfnrt]|u[0-9a-fA-F]{4})/

/**
 * Go's json.Indent(data, "", "  ") of the marshaled value (what json.obj shows), or
 * undefined where Indent fails: a number or string fastjson accepted but JSON does not.
 */
export function indent(v: JValue): string | undefined {
  try {
    return indented(v, '\n')
  } catch (e) {
    if (e === NOT_JSON) return undefined
    throw e
  }
}
const NOT_JSON = new Error('not JSON')

function strictString(raw: string): string {
  if (BAD_STRING.test(raw)) throw NOT_JSON
  return '"' + raw + '"'
}

function indented(v: JValue, nl: string): string {
  if (typeof v === 'string') return strictString(v)
  if (v === null) return 'null'
  if (v === true) return 'true'
  if (v === false) return 'false'
  if (v instanceof JStr) return strictString(v.raw)
  if (v instanceof JNumber) {
    if (!STRICT_NUMBER.test(v.raw)) throw NOT_JSON
    return v.raw
  }
  const inner = nl + '  '
  if (Array.isArray(v)) {
    if (v.length === 0) return '[]'
    let out = '['
    for (let i = 0; i < v.length; i++) out += (i > 0 ? ',' : '') + inner + indented(v[i]!, inner)
    return out + nl + ']'
  }
  const keys = v.rawKeys ?? v.keys
  if (keys.length === 0) return '{}'
  let out = '{'
  for (let i = 0; i < keys.length; i++) out += (i > 0 ? ',' : '') + inner + strictString(keys[i]!) + ': ' + indented(v.vals[i]!, inner)
  return out + nl + '}'
}
