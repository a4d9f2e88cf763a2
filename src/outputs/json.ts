// JSON text as Falco's alerts carry it. Falco builds the alert with nlohmann::json, whose
// objects are std::map: keys come out sorted by their UTF-8 bytes (code point order), and
// `dump()` is compact with no spaces. Strings are escaped as JSON.stringify escapes them
// (", \, \b \f \n \r \t, other controls as \u00xx in lower case, nothing else), which is
// what nlohmann does with ensure_ascii off. Integers beyond 2^53 arrive as bigint and are
// written as their digits (event times in ns, inode numbers).
import type { JsonFieldValue } from './format.js'
import { sanitizeText } from './sanitize.js'

/** A value of output_fields, or of an internal message's fields. */
export type FieldJson = JsonFieldValue | { readonly [key: string]: FieldJson }

/** Orders strings by code point, as std::string comparison orders their UTF-8 bytes. */
export function compareCodePoints(a: string, b: string): number {
  const n = Math.min(a.length, b.length)
  for (let i = 0; i < n; i++) {
    let x = a.charCodeAt(i)
    let y = b.charCodeAt(i)
    if (x === y) continue
    // UTF-16 order differs from code point order only between surrogates and U+E000..U+FFFF
    if (x >= 0xd800 && x <= 0xdfff) x += 0x2000
    else if (x >= 0xe000) x -= 0x800
    if (y >= 0xd800 && y <= 0xdfff) y += 0x2000
    else if (y >= 0xe000) y -= 0x800
    return x - y
  }
  return a.length - b.length
}

/** A string as a JSON literal. */
export const jsonString: (s: string) => string = JSON.stringify

/**
 * One value as JSON. Strings from events are sanitized first (libsinsp does so when it
 * extracts them), so they never carry control characters into any output.
 */
export function jsonValue(v: FieldJson | undefined): string {
  switch (typeof v) {
    case 'string':
      return jsonString(sanitizeText(v))
    case 'number':
      return Number.isFinite(v) ? String(v) : 'null'
    case 'bigint':
      return v.toString()
    case 'boolean':
      return v ? 'true' : 'false'
    case 'object':
      if (v === null) return 'null'
      if (Array.isArray(v)) {
        let out = '['
        for (let i = 0; i < v.length; i++) out += (i === 0 ? '' : ',') + jsonValue(v[i] as FieldJson)
        return out + ']'
      }
      return jsonObject(v as { readonly [key: string]: FieldJson })
    default:
      return 'null'
  }
}

/** An object with its keys in std::map order. */
export function jsonObject(o: { readonly [key: string]: FieldJson }): string {
  const keys = Object.keys(o).sort(compareCodePoints)
  let out = '{'
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i]!
    out += (i === 0 ? '' : ',') + jsonString(k) + ':' + jsonValue(o[k])
  }
  return out + '}'
}
