// Shell-style matching for the glob and iglob operators, as libsinsp does it with
// fnmatch(pattern, string, 0 or FNM_CASEFOLD): '*' matches any run of characters,
// '/' and leading dots included; '?' one character; '[...]' a set ('!' or '^' negates,
// ranges, [:classes:]); '\' quotes the next character. Case folding is ASCII only, as
// in the C locale. The pattern is compiled once; matching is the linear-space
// backtracking-on-last-star algorithm, without allocation.

const enum T {
  Char,
  Any,
  Star,
  Set,
}

interface Tok {
  readonly t: T
  readonly c: number
  readonly set?: CharSet
}

interface CharSet {
  readonly negated: boolean
  readonly ranges: readonly number[] // pairs lo, hi (inclusive)
  readonly classes: readonly ((c: number) => boolean)[]
}

const lower = (c: number): number => (c >= 0x41 && c <= 0x5a ? c + 32 : c)

const CLASSES: Record<string, (c: number) => boolean> = {
  alpha: (c) => (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a),
  digit: (c) => c >= 0x30 && c <= 0x39,
  alnum: (c) => (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a),
  upper: (c) => c >= 0x41 && c <= 0x5a,
  lower: (c) => c >= 0x61 && c <= 0x7a,
  space: (c) => c === 0x20 || (c >= 0x09 && c <= 0x0d),
  blank: (c) => c === 0x20 || c === 0x09,
  punct: (c) => (c >= 0x21 && c <= 0x2f) || (c >= 0x3a && c <= 0x40) || (c >= 0x5b && c <= 0x60) || (c >= 0x7b && c <= 0x7e),
  print: (c) => c >= 0x20 && c <= 0x7e,
  graph: (c) => c >= 0x21 && c <= 0x7e,
  cntrl: (c) => c < 0x20 || c === 0x7f,
  xdigit: (c) => (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66),
}

export class Glob {
  private readonly toks: readonly Tok[]
  /** A pattern ending in a lone backslash never matches (fnmatch: "trailing \ loses"). */
  private readonly never: boolean

  constructor(pattern: string, private readonly fold = false) {
    const toks: Tok[] = []
    let never = false
    for (let i = 0; i < pattern.length; i++) {
      const c = pattern.charCodeAt(i)
      if (c === 0x2a) {
        if (toks.length === 0 || toks[toks.length - 1]!.t !== T.Star) toks.push({ t: T.Star, c: 0 })
      } else if (c === 0x3f) {
        toks.push({ t: T.Any, c: 0 })
      } else if (c === 0x5c) {
        if (i + 1 >= pattern.length) {
          never = true
          break
        }
        toks.push({ t: T.Char, c: this.f(pattern.charCodeAt(++i)) })
      } else if (c === 0x5b) {
        const parsed = this.parseSet(pattern, i + 1)
        if (parsed) {
          toks.push({ t: T.Set, c: 0, set: parsed.set })
          i = parsed.end
        } else {
          toks.push({ t: T.Char, c: 0x5b }) // no closing ']': a literal '['
        }
      } else {
        toks.push({ t: T.Char, c: this.f(c) })
      }
    }
    this.toks = toks
    this.never = never
  }

  private f(c: number): number {
    return this.fold ? lower(c) : c
  }

  private parseSet(p: string, start: number): { set: CharSet; end: number } | undefined {
    let i = start
    let negated = false
    if (p[i] === '!' || p[i] === '^') {
      negated = true
      i++
    }
    const ranges: number[] = []
    const classes: ((c: number) => boolean)[] = []
    let first = true
    while (i < p.length) {
      let c = p.charCodeAt(i)
      if (c === 0x5d && !first) return { set: { negated, ranges, classes }, end: i }
      first = false
      if (c === 0x5b && p[i + 1] === ':') {
        const close = p.indexOf(':]', i + 2)
        const name = close > 0 ? p.slice(i + 2, close) : ''
        const cls = CLASSES[name]
        if (cls) {
          classes.push(cls)
          i = close + 2
          continue
        }
        if (close > 0) return undefined // unknown class: fnmatch fails the bracket
      }
      if (c === 0x5c) {
        i++
        if (i >= p.length) return undefined
        c = p.charCodeAt(i)
      }
      let hi = c
      if (p[i + 1] === '-' && i + 2 < p.length && p[i + 2] !== ']') {
        i += 2
        hi = p.charCodeAt(i)
        if (hi === 0x5c) {
          i++
          if (i >= p.length) return undefined
          hi = p.charCodeAt(i)
        }
      }
      ranges.push(c, hi)
      i++
    }
    return undefined
  }

  private inSet(set: CharSet, c: number): boolean {
    let hit = false
    const r = set.ranges
    for (let k = 0; k < r.length && !hit; k += 2) {
      if (c >= r[k]! && c <= r[k + 1]!) hit = true
      else if (this.fold) {
        const lc = lower(c)
        const uc = c >= 0x61 && c <= 0x7a ? c - 32 : c
        if ((lc >= r[k]! && lc <= r[k + 1]!) || (uc >= r[k]! && uc <= r[k + 1]!)) hit = true
      }
    }
    for (let k = 0; k < set.classes.length && !hit; k++) if (set.classes[k]!(c)) hit = true
    return hit !== set.negated
  }

  private one(tok: Tok, c: number): boolean {
    switch (tok.t) {
      case T.Any:
        return true
      case T.Char:
        return tok.c === (this.fold ? lower(c) : c)
      case T.Set:
        return this.inSet(tok.set!, c)
      default:
        return false
    }
  }

  match(s: string): boolean {
    if (this.never) return false
    const toks = this.toks
    let p = 0
    let i = 0
    let starP = -1
    let starI = 0
    while (i < s.length) {
      if (p < toks.length) {
        const tok = toks[p]!
        if (tok.t === T.Star) {
          starP = ++p
          starI = i
          continue
        }
        if (this.one(tok, s.charCodeAt(i))) {
          p++
          i++
          continue
        }
      }
      if (starP < 0) return false
      p = starP
      i = ++starI
    }
    while (p < toks.length && toks[p]!.t === T.Star) p++
    return p === toks.length
  }
}
