// How extracted values print (libsinsp rawval_to_string / rawval_to_json): numbers in
// their field's print format, booleans as true/false, addresses dotted or inet_ntop'd,
// byte buffers with non-printable bytes as dots, list fields as "(a,b)". Used by output
// formats and where a transformer list turns numbers into text.
import type { FieldScalar, FieldValue } from '../fields/types.js'
import { PF, PT } from '../events/param-types.js'
import type { ParamType, PrintFormat } from '../events/param-types.js'
import { formatIPv4, formatIPv6 } from './values.js'

/** What JSON output carries for one field (libsinsp tojson): null when absent. */
export type JsonFieldValue = string | number | bigint | boolean | null | JsonFieldValue[]

const STORAGE = 1024 // libsinsp's string property storage, terminator included

const SIGNED: ReadonlySet<number> = new Set([PT.INT8, PT.INT16, PT.INT32, PT.INT64, PT.PID, PT.ERRNO, PT.FD])
const NUMERIC: ReadonlySet<number> = new Set<number>([
  PT.INT8, PT.INT16, PT.INT32, PT.INT64, PT.PID, PT.ERRNO, PT.FD, PT.L4PROTO, PT.UINT8, PT.FLAGS8,
  PT.ENUMFLAGS8, PT.PORT, PT.UINT16, PT.FLAGS16, PT.ENUMFLAGS16, PT.UINT32, PT.FLAGS32, PT.ENUMFLAGS32,
  PT.UID, PT.GID, PT.UINT64, PT.RELTIME, PT.ABSTIME, PT.MODE, PT.SIGTYPE, PT.SYSCALLID, PT.FD32, PT.PID32,
])
const WIDTH: Readonly<Record<number, number>> = {
  [PT.INT8]: 8, [PT.UINT8]: 8, [PT.L4PROTO]: 8, [PT.FLAGS8]: 8, [PT.ENUMFLAGS8]: 8, [PT.SIGTYPE]: 8,
  [PT.INT16]: 16, [PT.UINT16]: 16, [PT.PORT]: 16, [PT.FLAGS16]: 16, [PT.ENUMFLAGS16]: 16, [PT.SYSCALLID]: 16,
  [PT.INT32]: 32, [PT.UINT32]: 32, [PT.FLAGS32]: 32, [PT.ENUMFLAGS32]: 32, [PT.UID]: 32, [PT.GID]: 32,
  [PT.MODE]: 32, [PT.FD32]: 32, [PT.PID32]: 32,
}

function asBigInt(v: FieldScalar): bigint {
  if (typeof v === 'bigint') return v
  if (typeof v === 'number') return BigInt(Math.trunc(v))
  if (typeof v === 'boolean') return v ? 1n : 0n
  if (typeof v === 'string') {
    try {
      return BigInt(v)
    } catch {
      return 0n
    }
  }
  return 0n
}

/** An integer in a print format; undefined where libsinsp prints nothing (NULL). */
function formatInteger(v: FieldScalar, type: ParamType, pf: PrintFormat): string | undefined {
  const bits = WIDTH[type] ?? 64
  const signed = SIGNED.has(type)
  // hex and octal print the two's complement bits, as printf does
  const raw = asBigInt(v)
  const u = BigInt.asUintN(bits, raw)
  const s = signed ? BigInt.asIntN(bits, raw) : u
  switch (pf) {
    case PF.DEC:
    case PF.ID:
      return s.toString()
    case PF.HEX:
      return u.toString(16).toUpperCase()
    case PF.OCT:
      return u.toString(8)
    case PF.PADDED_DEC_10:
      if (bits === 64) return signed && s < 0n ? '-' + (-s).toString().padStart(8, '0') : s.toString().padStart(9, '0')
      return undefined
    default:
      // libsinsp gives 64-bit signed values a default format; others print nothing
      return bits === 64 && signed ? s.toString() : undefined
  }
}

function bytesToDots(b: Uint8Array): string {
  let out = ''
  const n = Math.min(b.length, STORAGE - 3)
  for (let i = 0; i < n; i++) {
    const c = b[i]!
    out += c >= 0x20 && c <= 0x7e ? String.fromCharCode(c) : '.'
  }
  return out
}

function ipToString(v: FieldScalar): string {
  if (v instanceof Uint8Array) return v.length === 4 ? formatIPv4(v) : v.length === 16 ? formatIPv6(v) : '<NA>'
  return String(v)
}

/** One scalar as libsinsp prints it for `type`; undefined when it prints nothing. */
export function scalarToString(v: FieldScalar, type: ParamType, pf: PrintFormat): string | undefined {
  if (NUMERIC.has(type)) return formatInteger(v, type, pf)
  switch (type) {
    case PT.CHARBUF:
    case PT.FSPATH:
    case PT.FSRELPATH:
      return typeof v === 'string' ? v : v instanceof Uint8Array ? Buffer.from(v).toString('utf8') : String(v)
    case PT.BYTEBUF:
      return v instanceof Uint8Array ? bytesToDots(v) : typeof v === 'string' ? bytesToDots(Buffer.from(v, 'utf8')) : String(v)
    case PT.BOOL:
      return (typeof v === 'boolean' ? v : Number(v) !== 0) ? 'true' : 'false'
    case PT.DOUBLE:
      return Number(v).toFixed(1)
    case PT.IPV4ADDR:
    case PT.IPV6ADDR:
    case PT.IPADDR:
      return ipToString(v)
    case PT.IPNET:
    case PT.IPV4NET:
    case PT.IPV6NET:
      return '<IPNET>'
    default:
      return typeof v === 'string' ? v : String(v)
  }
}

/** A whole value for text output; undefined means "<NA>". List fields print "(a,b)". */
export function valueToString(v: FieldValue, type: ParamType, pf: PrintFormat, isList: boolean): string | undefined {
  if (v === undefined) return undefined
  if (Array.isArray(v)) {
    const arr = v as readonly FieldScalar[]
    if (!isList) return arr.length > 0 ? scalarToString(arr[0]!, type, pf) : undefined
    let res = '('
    for (let i = 0; i < arr.length; i++) {
      if (i > 0) res += ','
      res += scalarToString(arr[i]!, type, pf) ?? ''
    }
    res += ')'
    return res.length > STORAGE - 1 ? res.slice(0, STORAGE - 1) : res
  }
  return scalarToString(v as FieldScalar, type, pf)
}

function scalarToJson(v: FieldScalar, type: ParamType, pf: PrintFormat): JsonFieldValue {
  if (type === PT.DOUBLE) return pf === PF.DEC ? Math.trunc(Number(v)) : Number(v)
  if (NUMERIC.has(type)) {
    if (pf === PF.DEC || pf === PF.ID) {
      const raw = asBigInt(v)
      const bits = WIDTH[type] ?? 64
      const n = SIGNED.has(type) ? BigInt.asIntN(bits, raw) : BigInt.asUintN(bits, raw)
      return n >= BigInt(Number.MIN_SAFE_INTEGER) && n <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(n) : n
    }
    return scalarToString(v, type, pf) ?? null
  }
  if (type === PT.BOOL) return typeof v === 'boolean' ? v : Number(v) !== 0
  return scalarToString(v, type, pf) ?? null
}

/**
 * A whole value for JSON output (output_fields): numbers in decimal formats as numbers
 * (bigint beyond 2^53, for the writer to print as digits), other formats as strings,
 * lists as arrays, a missing value as null.
 */
export function valueToJson(v: FieldValue, type: ParamType, pf: PrintFormat, isList: boolean): JsonFieldValue {
  if (v === undefined) return null
  if (Array.isArray(v)) {
    const arr = v as readonly FieldScalar[]
    if (!isList) return arr.length > 0 ? scalarToJson(arr[0]!, type, pf) : null
    return arr.map((x) => scalarToJson(x, type, pf))
  }
  return scalarToJson(v as FieldScalar, type, pf)
}
