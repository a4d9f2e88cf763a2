// String escaping of the condition language (libsinsp filter/escaping.cpp). Quoted
// strings are unescaped byte by byte, as libsinsp does, so `\xNN` sequences can build
// UTF-8 characters; the result is decoded back to a JS string.

export class EscapeError extends Error {}

const BACKSLASH = 0x5c

/**
 * Unescapes a quoted token, delimiters included (`"a\tb"` or `'a'`). Supported
 * escapes: \b \f \n \r \t \\ \/ \" (in "-strings) \' (in '-strings) \xNN, and "\ ",
 * which libsinsp turns into a lone backslash for old rules' sake.
 */
export function unescapeStr(token: string): string {
  const str = Buffer.from(token, 'utf8')
  const len = str.length - 1
  const out: number[] = []
  let escaped = false
  for (let i = 1; i < len; i++) {
    const c = str[i]!
    if (!escaped) {
      if (c === BACKSLASH) escaped = true
      else out.push(c)
      continue
    }
    switch (String.fromCharCode(c)) {
      case 'b': out.push(0x08); break
      case 'f': out.push(0x0c); break
      case 'n': out.push(0x0a); break
      case 'r': out.push(0x0d); break
      case 't': out.push(0x09); break
      case ' ': // libsinsp keeps this for wrongly-escaped old rules: "\ " gives "\"
      case '\\': out.push(BACKSLASH); break
      case '/': out.push(0x2f); break
      case '"':
        if (str[0] !== c) throw new EscapeError("invalid \\\" escape in '-quoted string")
        out.push(c)
        break
      case "'":
        if (str[0] !== c) throw new EscapeError('invalid \\\' escape in "-quoted string')
        out.push(c)
        break
      case 'x': {
        if (i + 2 >= len) throw new EscapeError('truncated hex char escape sequence')
        const h1 = hexDigit(str[i + 1]!)
        const h2 = hexDigit(str[i + 2]!)
        if (h1 < 0 || h2 < 0) {
          throw new EscapeError('invalid hex char escape sequence: ' + str.subarray(i + 1, i + 3).toString('utf8'))
        }
        out.push(h1 * 16 + h2)
        i += 2
        break
      }
      default:
        throw new EscapeError('unsupported string escape sequence: \\' + decodeOneChar(str, i))
    }
    escaped = false
  }
  return Buffer.from(out).toString('utf8')
}

function hexDigit(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30
  if (c >= 0x61 && c <= 0x66) return c - 0x61 + 10
  if (c >= 0x41 && c <= 0x46) return c - 0x41 + 10
  return -1
}

// libsinsp prints the one offending byte; printing the whole character reads better
// and is the same for ASCII.
function decodeOneChar(b: Buffer, i: number): string {
  const c = b[i]!
  const n = c < 0x80 ? 1 : c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 1
  return b.subarray(i, i + n).toString('utf8')
}

// most values have none of these: they are returned as they are, without building a copy
const NEEDS_ESCAPING = /[\b\f\n\r\t\\" ='\0]/

/**
 * Escapes a value for printing (libsinsp escape_str): control characters become escapes,
 * and the result is double-quoted when anything needed escaping or the value contains a
 * blank, '=', a quote or NUL. Other values print bare; the empty string prints as nothing.
 */
export function escapeStr(s: string): string {
  if (!NEEDS_ESCAPING.test(s)) return s
  let res = ''
  let quote = false
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!
    switch (c) {
      case '\b': quote = true; res += '\\b'; break
      case '\f': quote = true; res += '\\f'; break
      case '\n': quote = true; res += '\\n'; break
      case '\r': quote = true; res += '\\r'; break
      case '\t': quote = true; res += '\\t'; break
      case '\\': quote = true; res += '\\\\'; break
      case '"': quote = true; res += '\\"'; break
      case ' ':
      case '=':
      case "'":
      case '\0':
        quote = true
        res += c
        break
      default:
        res += c
    }
  }
  return quote ? '"' + res + '"' : res
}
