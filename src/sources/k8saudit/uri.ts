// ka.uri.param[key]: the k8saudit plugin runs Go's url.Parse on requestURI, then
// url.ParseQuery on its raw query, and gives the first value of `key`. Either step failing
// makes the field missing for every key, so the checks below follow Go's: control bytes,
// bad %-escapes (path, fragment, query), a colon in a scheme-less first segment, and `;`
// in the query (Go >= 1.17).

// Go's getScheme: a letter, then letters, digits, + - . up to the first ':'.
function splitScheme(s: string): { scheme: string; rest: string } | { error: string } {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    const letter = (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a)
    if (letter) continue
    if ((c >= 0x30 && c <= 0x39) || c === 0x2b || c === 0x2d || c === 0x2e) {
      if (i === 0) return { scheme: '', rest: s }
      continue
    }
    if (c === 0x3a) {
      if (i === 0) return { error: 'missing protocol scheme' }
      return { scheme: s.slice(0, i), rest: s.slice(i + 1) }
    }
    return { scheme: '', rest: s }
  }
  return { scheme: '', rest: s }
}

const BAD_ESCAPE = /%(?![0-9a-fA-F]{2})/
// eslint-disable-next-line no-control-regex
const CTL = /[\x00-\x1f\x7f]/

/** Go's url.Parse(uri).RawQuery, or undefined when url.Parse fails. */
export function rawQuery(uri: string): string | undefined {
  if (CTL.test(uri)) return undefined
  let rest = uri
  const hash = rest.indexOf('#')
  if (hash >= 0) {
    if (BAD_ESCAPE.test(rest.slice(hash + 1))) return undefined
    rest = rest.slice(0, hash)
  }
  const sch = splitScheme(rest)
  if ('error' in sch) return undefined
  rest = sch.rest
  let query = ''
  const q = rest.indexOf('?')
  if (q >= 0) {
    query = rest.slice(q + 1)
    rest = rest.slice(0, q)
  }
  if (sch.scheme === '' && !rest.startsWith('/')) {
    const slash = rest.indexOf('/')
    const first = slash < 0 ? rest : rest.slice(0, slash)
    if (first.includes(':')) return undefined // "first path segment in URL cannot contain colon"
  }
  if (BAD_ESCAPE.test(rest)) return undefined
  return query
}

// Go's QueryUnescape: '+' is a space, %XX a byte; the bytes are read as UTF-8.
function queryUnescape(s: string): string | undefined {
  if (s.indexOf('%') < 0) return s.indexOf('+') < 0 ? s : s.replace(/\+/g, ' ')
  if (BAD_ESCAPE.test(s)) return undefined
  const bytes: number[] = []
  for (let i = 0; i < s.length; i++) {
    const c = s.charAt(i)
    if (c === '%') {
      bytes.push(parseInt(s.slice(i + 1, i + 3), 16))
      i += 2
    } else if (c === '+') {
      bytes.push(0x20)
    } else {
      for (const b of Buffer.from(c, 'utf8')) bytes.push(b)
    }
  }
  return Buffer.from(bytes).toString('utf8')
}

/** The first value of each key, as url.ParseQuery gives them; undefined when it fails. */
export function parseQuery(query: string): Map<string, string> | undefined {
  const out = new Map<string, string>()
  let failed = false
  for (const part of query.split('&')) {
    if (part.includes(';')) { failed = true; continue }
    if (part === '') continue
    const eq = part.indexOf('=')
    const key = queryUnescape(eq < 0 ? part : part.slice(0, eq))
    const value = queryUnescape(eq < 0 ? '' : part.slice(eq + 1))
    if (key === undefined || value === undefined) { failed = true; continue }
    if (!out.has(key)) out.set(key, value)
  }
  return failed ? undefined : out
}

/** url.ParseQuery(url.Parse(uri).RawQuery), first values only; undefined when either fails. */
export function uriParams(uri: string): Map<string, string> | undefined {
  const q = rawQuery(uri)
  return q === undefined ? undefined : parseQuery(q)
}
