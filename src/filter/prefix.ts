// Path-prefix search for the pmatch operator (libsinsp prefix_search.h): a trie of path
// components. A value matches when one of the search paths is a prefix of it component
// by component ("/etc" matches "/etc" and "/etc/passwd", not "/etcx" nor "/"). Empty
// components are ignored, so "/etc//x/" is "/etc/x". A search component containing
// '?', '*' or '[' is a glob for one component. Adding a path under an existing, shorter
// one changes nothing; adding a shorter one replaces the longer ones below it.
import { Glob } from './glob.js'

interface Entry {
  /** Deeper components, or null when the search path ends here. */
  sub: PrefixNode | null
}

class PrefixNode {
  readonly dirs = new Map<string, Entry>()
  readonly globs = new Map<string, { glob: Glob; entry: Entry }>()

  add(comps: readonly string[], i: number): void {
    const comp = comps[i]!
    const last = i + 1 === comps.length
    const isGlob = /[?*[]/.test(comp)
    const existing = isGlob ? this.globs.get(comp)?.entry : this.dirs.get(comp)
    if (existing && !last) {
      // a shorter search path already covers everything below
      if (existing.sub) existing.sub.add(comps, i + 1)
      return
    }
    let entry: Entry
    if (last) {
      entry = { sub: null }
    } else {
      const sub = new PrefixNode()
      sub.add(comps, i + 1)
      entry = { sub }
    }
    if (isGlob) this.globs.set(comp, { glob: new Glob(comp), entry })
    else this.dirs.set(comp, entry)
  }

  match(path: string, from: number): boolean {
    const r = nextComponent(path, from)
    // a path that ends inside the trie (shorter than every search path) does not match
    if (r < 0) return false
    const start = r & 0xffffffff
    const end = componentEnd(path, start)
    const comp = path.slice(start, end)
    const direct = this.dirs.get(comp)
    if (direct && check(direct, path, end)) return true
    for (const g of this.globs.values()) if (g.glob.match(comp) && check(g.entry, path, end)) return true
    return false
  }
}

function check(entry: Entry, path: string, from: number): boolean {
  if (entry.sub === null) return true
  return entry.sub.match(path, from)
}

/** Start of the next non-empty component at or after `from`, or -1. */
function nextComponent(path: string, from: number): number {
  let i = from
  while (i < path.length && path.charCodeAt(i) === 0x2f) i++
  return i < path.length ? i : -1
}

function componentEnd(path: string, start: number): number {
  const slash = path.indexOf('/', start)
  return slash < 0 ? path.length : slash
}

function splitPath(path: string): string[] {
  return path.split('/').filter((c) => c.length > 0)
}

export class PathPrefixSearch {
  // libsinsp roots every path at a "root" component; a bare "/" is a search path for all
  private readonly root = new PrefixNode()
  private matchAll = false

  add(path: string): void {
    const comps = splitPath(path)
    if (comps.length === 0) {
      this.matchAll = true
      return
    }
    if (this.matchAll) return
    this.root.add(comps, 0)
  }

  match(path: string): boolean {
    if (this.matchAll) return true
    return this.root.match(path, 0)
  }
}
