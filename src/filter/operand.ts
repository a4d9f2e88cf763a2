// Compilation of the value side of the language: fields, transformers (tolower, toupper,
// b64, basename, len; the multi-value join, concat, getopt; the identity val) and the
// constants and lists they take as arguments. libsinsp's sinsp_extractor_compiler and
// filter transformers are the reference: the same type rules and error messages, and a
// field's "base" info (before transformers) kept apart from its transformed info,
// because libsinsp checks some rules against one and some against the other.
import type { Expr } from './ast.js'
import type { FieldResolver } from '../fields/binding.js'
import { FF } from '../fields/types.js'
import type { FieldScalar, FieldValue } from '../fields/types.js'
import { PF, PT } from '../events/param-types.js'
import type { ParamType, PrintFormat } from '../events/param-types.js'
import { scalarToString } from './render.js'

/** What libsinsp calls a filtercheck_field_info: enough to type-check and print a value. */
export interface OperandInfo {
  readonly name: string
  readonly type: ParamType
  readonly flags: number
  readonly printFormat: PrintFormat
}

export interface Operand<E> {
  /** The field's own info (libsinsp get_field_info). */
  readonly base: OperandInfo
  /** The info after transformers (libsinsp get_transformed_field_info). */
  readonly info: OperandInfo
  /** The underlying field name when this is a field, possibly under one-argument transformers. */
  readonly fieldName: string | undefined
  readonly hasTransformers: boolean
  /** undefined means the value could not be extracted. */
  readonly get: (ev: E) => FieldValue
}

/** An error in a field or transformer expression, with libsinsp's message. */
export class OperandError extends Error {}

export const isList = (info: OperandInfo): boolean => (info.flags & FF.IS_LIST) !== 0

const RAW_INFO: OperandInfo = { name: 'INTERNAL.', type: PT.CHARBUF, flags: 0, printFormat: PF.NA }
const LIST_INFO: OperandInfo = { name: 'INTERNAL.', type: PT.CHARBUF, flags: FF.IS_LIST, printFormat: PF.NA }
const MULTI_LIST_INFO: OperandInfo = { name: 'INTERNAL', type: PT.CHARBUF, flags: FF.IS_LIST, printFormat: PF.NA }

/** libsinsp param_type_to_string, for messages. */
export function ptName(t: ParamType): string {
  switch (t) {
    case PT.DYN:
      return 'DYNAMIC'
    case PT.IPV6ADDR:
    case PT.IPV6NET:
    case PT.FD32:
    case PT.PID32:
      return '<NA>'
    default: {
      for (const [k, v] of Object.entries(PT)) if (v === t) return k
      return '<NA>'
    }
  }
}

/** Compiles a field, transformer or constant into an operand; throws OperandError. */
export function compileOperand<E>(e: Expr, resolver: FieldResolver<E>): Operand<E> {
  switch (e.kind) {
    case 'field':
      return fieldOperand(e.field, e.arg, resolver)
    case 'value':
      return constOperand(e.value)
    case 'transformer_list':
      return listOperand(e.children.map((c) => compileOperand(c, resolver)))
    case 'transformer':
      return transformerOperand(e.transformer, e.values.map((c) => compileOperand(c, resolver)), e.arg)
    case 'list':
      // a list of constants where a single operand is expected
      return listOperand(e.values.map(constOperand))
    default:
      throw new OperandError('unexpected ' + e.kind + ' expression where a field or transformer is expected')
  }
}

function fieldOperand<E>(field: string, arg: string | undefined, resolver: FieldResolver<E>): Operand<E> {
  let binding
  try {
    binding = resolver.bind(field, arg)
  } catch (err) {
    throw new OperandError((err as Error).message)
  }
  const d = binding.ref.def
  const info: OperandInfo = { name: d.name, type: d.type, flags: d.flags, printFormat: d.printFormat }
  return { base: info, info, fieldName: d.name, hasTransformers: false, get: binding.extract }
}

function constOperand<E>(text: string): Operand<E> {
  return { base: RAW_INFO, info: RAW_INFO, fieldName: undefined, hasTransformers: false, get: () => text }
}

/** libsinsp's list_check: the values of each element, flattened; numbers become text. */
function listOperand<E>(items: Operand<E>[]): Operand<E> {
  const gets = items.map((it) => it.get)
  const infos = items.map((it) => it.info)
  const get = (ev: E): FieldValue => {
    const out: string[] = []
    for (let i = 0; i < gets.length; i++) {
      const v = gets[i]!(ev)
      if (v === undefined) return undefined
      const info = infos[i]!
      if (Array.isArray(v)) for (const x of v as readonly FieldScalar[]) out.push(asText(x, info))
      else out.push(asText(v as FieldScalar, info))
    }
    return out
  }
  return { base: LIST_INFO, info: LIST_INFO, fieldName: undefined, hasTransformers: false, get }
}

function asText(v: FieldScalar, info: OperandInfo): string {
  if (typeof v === 'string') return v
  return scalarToString(v, info.type, info.printFormat === PF.NA ? PF.DEC : info.printFormat) ?? ''
}

// ---- one-argument transformers ------------------------------------------------------

const STRING_TYPES: ReadonlySet<number> = new Set([PT.CHARBUF, PT.FSPATH, PT.FSRELPATH])

interface SingleTransformer {
  /** The transformed type and flags, or undefined when the input type is not supported. */
  readonly type: (t: ParamType, flags: number) => { type: ParamType; flags: number } | undefined
  /** The transformed value of one (non-list) value, or undefined when it fails. */
  readonly apply: (v: FieldScalar, inType: ParamType) => FieldScalar | undefined
  /** Whether the transformer maps a whole list to one value (len). */
  readonly whole?: (v: readonly FieldScalar[]) => FieldScalar
}

const sameIfString = (t: ParamType, flags: number): { type: ParamType; flags: number } | undefined =>
  STRING_TYPES.has(t) ? { type: t, flags } : undefined

export function asciiLower(s: string): string {
  return mapAscii(s, 0x41, 0x5a, 32)
}

export function asciiUpper(s: string): string {
  return mapAscii(s, 0x61, 0x7a, -32)
}

// C's tolower/toupper in the C locale: ASCII letters only
function mapAscii(s: string, lo: number, hi: number, delta: number): string {
  let i = 0
  while (i < s.length && !(s.charCodeAt(i) >= lo && s.charCodeAt(i) <= hi)) i++
  if (i === s.length) return s
  let out = s.slice(0, i)
  for (; i < s.length; i++) {
    const c = s.charCodeAt(i)
    out += c >= lo && c <= hi ? String.fromCharCode(c + delta) : s[i]
  }
  return out
}

const stripNul = (s: string): string => {
  let n = s.length
  while (n > 0 && s.charCodeAt(n - 1) === 0) n--
  return n === s.length ? s : s.slice(0, n)
}

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'
const B64_REV = new Int16Array(256).fill(-1)
for (let i = 0; i < B64.length; i++) B64_REV[B64.charCodeAt(i)] = i

/** libsinsp Base64::decodeWithoutPadding: strict alphabet, optional '=' padding, zero tail bits. */
export function base64Decode(input: Uint8Array): Uint8Array | undefined {
  let n = input.length
  if (n === 0) return new Uint8Array(0)
  if (input[n - 1] === 0x3d) {
    n--
    if (n > 0 && input[n - 1] === 0x3d) n--
  }
  if (n === 0) return undefined
  if (n % 4 === 1) return undefined
  const out: number[] = []
  for (let i = 0; i < n; i++) {
    const c = B64_REV[input[i]!]!
    if (c < 0) return undefined
    const last = i === n - 1
    switch (i % 4) {
      case 0:
        out.push((c << 2) & 0xff)
        break
      case 1:
        out[out.length - 1]! |= c >> 4
        if (last) {
          if ((c & 0x0f) !== 0) return undefined
        } else {
          out.push((c << 4) & 0xff)
        }
        break
      case 2:
        out[out.length - 1]! |= c >> 2
        if (last) {
          if ((c & 0x03) !== 0) return undefined
        } else {
          out.push((c << 6) & 0xff)
        }
        break
      case 3:
        out[out.length - 1]! |= c
        break
    }
  }
  return Uint8Array.from(out)
}

const utf8Length = (s: string): number => {
  let n = 0
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    if (c === 0) break // strnlen
    n += c < 0x80 ? 1 : c < 0x800 ? 2 : c >= 0xd800 && c <= 0xdbff ? 4 : c >= 0xdc00 && c <= 0xdfff ? 0 : 3
  }
  return n
}

const SINGLE: Readonly<Record<string, SingleTransformer>> = {
  toupper: {
    type: sameIfString,
    apply: (v) => asciiUpper(stripNul(String(v))),
  },
  tolower: {
    type: sameIfString,
    apply: (v) => asciiLower(stripNul(String(v))),
  },
  b64: {
    type: (t, flags) => (t === PT.CHARBUF || t === PT.BYTEBUF ? { type: t, flags } : undefined),
    apply: (v, inType) => {
      let bytes = v instanceof Uint8Array ? v : Buffer.from(String(v), 'utf8')
      let n = bytes.length
      while (n > 0 && bytes[n - 1] === 0) n--
      if (n !== bytes.length) bytes = bytes.subarray(0, n)
      const out = base64Decode(bytes)
      if (!out) return undefined
      return inType === PT.BYTEBUF ? out : Buffer.from(out).toString('utf8')
    },
  },
  basename: {
    type: sameIfString,
    apply: (v) => {
      const s = stripNul(String(v))
      return s.slice(s.lastIndexOf('/') + 1)
    },
  },
  len: {
    type: (t, flags) => {
      if (flags & FF.IS_LIST) return { type: PT.UINT64, flags: flags & ~FF.IS_LIST }
      return STRING_TYPES.has(t) || t === PT.BYTEBUF ? { type: PT.UINT64, flags } : undefined
    },
    apply: (v, inType) => {
      if (inType === PT.BYTEBUF) return v instanceof Uint8Array ? v.length : Buffer.byteLength(String(v), 'utf8')
      return utf8Length(typeof v === 'string' ? v : String(v))
    },
    whole: (v) => v.length,
  },
}

function transformerOperand<E>(name: string, args: Operand<E>[], arg: string | undefined): Operand<E> {
  if (name === 'val') {
    if (arg !== undefined) throw new OperandError("filter error: transformer 'val' does not support field arguments")
    return args[0]!
  }
  if (args.length === 1) {
    if (arg !== undefined) throw new OperandError("filter error: transformer '" + name + "' does not support field arguments")
    return addTransformer(args[0]!, name)
  }
  return multiValue(name, args, arg)
}

/** libsinsp add_transformer: checks against the base info, types against the current one. */
export function addTransformer<E>(inner: Operand<E>, name: string): Operand<E> {
  const tr = SINGLE[name]
  if (!tr) throw new OperandError("unknown field transfomer '" + name + "'")
  if (inner.base.flags & FF.NO_TRANSFORMER) {
    throw new OperandError("field '" + inner.base.name + "' does not support transformers")
  }
  const cur = inner.info
  const next = tr.type(cur.type, cur.flags)
  if (!next) {
    throw new OperandError(
      "can't add field transformer: type '" + ptName(cur.type) + "' is not supported by '" + name +
        "' transformer applied on " + (isList(cur) ? 'list ' : '') + "field '" + inner.base.name + "'",
    )
  }
  const info: OperandInfo = { ...cur, type: next.type, flags: next.flags }
  const innerGet = inner.get
  const inType = cur.type
  const apply = tr.apply
  let get: (ev: E) => FieldValue
  if (isList(cur) && tr.whole) {
    const whole = tr.whole
    get = (ev) => {
      const v = innerGet(ev)
      if (v === undefined) return undefined
      return whole(Array.isArray(v) ? (v as readonly FieldScalar[]) : [v as FieldScalar])
    }
  } else {
    get = (ev) => {
      const v = innerGet(ev)
      if (v === undefined) return undefined
      if (Array.isArray(v)) {
        const arr = v as readonly FieldScalar[]
        const out: FieldScalar[] = new Array(arr.length)
        for (let i = 0; i < arr.length; i++) {
          const r = apply(arr[i]!, inType)
          if (r === undefined) return undefined
          out[i] = r
        }
        return out
      }
      return apply(v as FieldScalar, inType)
    }
  }
  return { base: inner.base, info, fieldName: inner.fieldName, hasTransformers: true, get }
}

// ---- multi-value transformers -------------------------------------------------------

const first = (v: FieldValue): FieldScalar | undefined =>
  Array.isArray(v) ? (v as readonly FieldScalar[])[0] : (v as FieldScalar | undefined)

const text = (v: FieldScalar | undefined): string =>
  v === undefined ? '' : typeof v === 'string' ? cstr(v) : v instanceof Uint8Array ? cstr(Buffer.from(v).toString('utf8')) : String(v)

// libsinsp appends values as C strings: up to the first NUL
const cstr = (s: string): string => {
  const z = s.indexOf('\0')
  return z < 0 ? s : s.slice(0, z)
}

function multiValue<E>(name: string, args: Operand<E>[], arg: string | undefined): Operand<E> {
  // libsinsp validates the arguments' own field info, before their transformers
  const types = args.map((a) => ({ type: a.base.type, list: isList(a.base) }))
  let info: OperandInfo = RAW_INFO
  let get: (ev: E) => FieldValue
  const gets = args.map((a) => a.get)
  switch (name) {
    case 'join': {
      if (types.length !== 2) throw new OperandError('join() requires exactly 2 arguments: separator and list')
      if (types[0]!.list) throw new OperandError('join() first argument (separator) must be a single value, not a list')
      if (!types[1]!.list) throw new OperandError('join() second argument must be a list')
      if (arg !== undefined) throw new OperandError("transformer 'join' does not support field arguments")
      const [sepGet, listGet] = gets as [(ev: E) => FieldValue, (ev: E) => FieldValue]
      get = (ev) => {
        const sepV = sepGet(ev)
        if (sepV === undefined) return undefined
        const sep = text(first(sepV))
        const list = listGet(ev)
        if (list === undefined) return undefined
        const arr = Array.isArray(list) ? (list as readonly FieldScalar[]) : [list as FieldScalar]
        let res = ''
        for (let i = 0; i < arr.length; i++) {
          res += text(arr[i])
          if (i !== arr.length - 1) res += sep
        }
        return res
      }
      break
    }
    case 'concat': {
      if (types.length < 2) throw new OperandError('concat() requires at least 2 arguments')
      for (const t of types) if (t.type !== PT.CHARBUF || t.list) throw new OperandError('concat() arguments must be strings')
      if (arg !== undefined) throw new OperandError("transformer 'concat' does not support field arguments")
      get = (ev) => {
        let res = ''
        for (let i = 0; i < gets.length; i++) {
          const v = gets[i]!(ev)
          if (v === undefined) return undefined
          res += text(first(v))
        }
        return res
      }
      break
    }
    case 'getopt': {
      if (types.length !== 2) throw new OperandError('getopt() requires exactly 2 arguments: args list and optstring')
      if (!types[0]!.list) throw new OperandError('getopt() first argument must be a list')
      if (types[1]!.list) throw new OperandError('getopt() second argument (optstring) must be a single value')
      if (types[0]!.type !== PT.CHARBUF || types[1]!.type !== PT.CHARBUF) throw new OperandError('getopt() arguments must be strings')
      if (arg !== undefined && arg.length !== 1) throw new OperandError('getopt() field argument must be a single option character')
      if (arg === undefined) info = MULTI_LIST_INFO
      get = getopt(gets[0]!, gets[1]!, arg)
      break
    }
    default:
      throw new OperandError('unknown multivalue transformer')
  }
  return { base: RAW_INFO, info, fieldName: undefined, hasTransformers: true, get }
}

interface OptInfo {
  readonly valid: ReadonlySet<string>
  readonly withArg: ReadonlySet<string>
}

function parseOptstring(optstring: string): OptInfo {
  const valid = new Set<string>()
  const withArg = new Set<string>()
  let i = optstring[0] === ':' ? 1 : 0
  for (; i < optstring.length; i++) {
    const o = optstring[i]!
    if (o === ':') continue
    valid.add(o)
    if (optstring[i + 1] === ':') {
      withArg.add(o)
      i++
    }
  }
  return { valid, withArg }
}

/**
 * getopt(args, optstring): the options of an argv list the way getopt(3) walks it: stop
 * at "--" or the first non-option, skip long options, expand clusters like "-nt", take an
 * option's value from the rest of the token or the next one. Without a selector the
 * result lists each option letter (and its value); unknown letters give "?". With a
 * selector [c] the result is the last value (or letter) of option c; absent, no value.
 */
function getopt<E>(argsGet: (ev: E) => FieldValue, optGet: (ev: E) => FieldValue, sel: string | undefined): (ev: E) => FieldValue {
  let lastOpt: string | undefined
  let lastInfo: OptInfo | undefined
  return (ev) => {
    const ov = optGet(ev)
    if (ov === undefined) return undefined
    const o = first(ov)
    if (o === undefined) return undefined
    const optstring = text(o)
    if (optstring !== lastOpt || !lastInfo) {
      lastOpt = optstring
      lastInfo = parseOptstring(optstring)
    }
    const info = lastInfo
    const av = argsGet(ev)
    if (av === undefined) return undefined
    const argv = (Array.isArray(av) ? (av as readonly FieldScalar[]) : [av as FieldScalar]).map(text)
    const results: string[] = []
    let selected: string | undefined
    for (let ai = 0; ai < argv.length; ai++) {
      const a = argv[ai]!
      if (a === '--') break
      if (a.length > 2 && a[0] === '-' && a[1] === '-') continue
      if (a.length === 0 || a[0] !== '-' || a.length === 1) break
      for (let i = 1; i < a.length; i++) {
        const opt = a[i]!
        if (opt === ':' || !info.valid.has(opt)) {
          if (sel === undefined) results.push('?')
          continue
        }
        const matches = sel === undefined || opt === sel
        const needsArg = info.withArg.has(opt)
        if (!needsArg) {
          if (matches) {
            if (sel !== undefined) selected = opt
            else results.push(opt)
          }
          continue
        }
        let value: string | undefined
        if (i + 1 < a.length) value = a.slice(i + 1)
        else if (ai + 1 < argv.length) value = argv[++ai]!
        if (value === undefined) {
          if (matches) {
            if (sel !== undefined) selected = ''
            else results.push('')
          }
          break
        }
        if (matches) {
          if (sel !== undefined) selected = value
          else results.push(opt, value)
        }
        break
      }
    }
    if (sel !== undefined) return selected
    return results
  }
}
