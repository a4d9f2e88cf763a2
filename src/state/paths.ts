// Path joining as libsinsp does it (sinsp_utils::concatenate_paths): `base` is taken as is
// (callers pass a '/'-terminated directory), `path` is appended and cleaned of '//', './'
// and '../' (which may climb back into `base`), and one trailing '/' is dropped. An
// absolute `path` ignores `base`; an empty `path` gives ''.

/** SCAP_MAX_PATH_SIZE: longer results become libsinsp's placeholder. */
const MAX_PATH = 1024
const TOO_LONG = '/DIR_TOO_LONG/FILENAME_TOO_LONG'

const SLASH = 47
const DOT = 46

// The common case needs no cleaning: no '//', no '/.', no leading '.', no trailing '/'.
function needsCleaning(p: string): boolean {
  return p.indexOf('//') >= 0 || p.indexOf('/.') >= 0 || p.charCodeAt(0) === DOT || p.charCodeAt(p.length - 1) === SLASH
}

function byteLength(s: string): number {
  return Buffer.byteLength(s)
}

export function concatenatePaths(base: string, path: string): string {
  // Lengths are checked in bytes, as C does; a cheap bound first.
  if ((base.length + path.length) * 3 + 1 > MAX_PATH && byteLength(base) + byteLength(path) + 1 > MAX_PATH) return TOO_LONG
  const relative = path.length !== 0 && path.charCodeAt(0) !== SLASH
  if (!needsCleaning(path)) return relative ? base + path : path
  const out: string[] = relative ? Array.from(base) : []
  const emptyBase = !relative || base.length === 0
  let i = 0
  const n = path.length
  const rewind = (delta: number): void => {
    if (out.length <= 1) {
      i += delta
      return
    }
    out.pop()
    while (out.length >= 1 && out[out.length - 1] !== '/') out.pop()
    i += delta
  }
  while (i < n) {
    const c = path[i]!
    if (c === '.' && (out.length === 0 || out[out.length - 1] === '/')) {
      const c1 = path[i + 1]
      const c2 = path[i + 2]
      if (c1 === '.' && c2 === '/') rewind(3)
      else if (c1 === '.' && c2 === undefined) rewind(2)
      else if (c1 === '/') i += 2
      else if (c1 === undefined) i += 1
      else {
        out.push(c)
        i++
      }
    } else if (c === '/') {
      if ((out.length > 0 && out[out.length - 1] === '/') || (out.length === 0 && !emptyBase)) i++
      else {
        out.push(c)
        i++
      }
    } else {
      out.push(c)
      i++
    }
  }
  if (out.length > 1 && out[out.length - 1] === '/') out.pop()
  return out.join('')
}
