// List and macro expansion on condition ASTs.
//
// Macros: a port of Falco's filter_macro_resolver (userspace/engine). Every identifier
// that names a known macro is replaced by a copy of the macro's AST, expanded in turn;
// the copy keeps the macro's own positions. A macro met again while expanding itself is
// a "reference loop in macro 'X'" error (and, as in Falco, also counts as unknown).
// Falco compiles macros in file order and resolves each against the macros visible to it
// (defined before it), storing the expanded AST back, so a loop only shows up when a
// later append/override makes an earlier macro refer to a later one: the caller builds
// the visible map the same way and calls resolveMacros once per macro.
//
// Lists: Falco substitutes list names into the condition *text* before parsing
// (rule_loader_compiler.cpp resolve_list); substituteListsInText is that algorithm.
import type { Expr, Pos } from './ast.js'

export interface NamedPos {
  readonly name: string
  readonly pos: Pos
}

export interface MacroResolution {
  readonly expr: Expr
  /** Macros substituted, in the order their expansion finished (may repeat). */
  readonly resolved: readonly NamedPos[]
  /** Identifiers that name no macro, where they occur (and macros that loop). */
  readonly unknown: readonly NamedPos[]
  /** "reference loop in macro 'X'" errors, where the repeated reference occurs. */
  readonly errors: readonly { readonly message: string; readonly pos: Pos }[]
}

/**
 * Replaces macro references by their (recursively expanded) definitions. Falco reports
 * the first error if any, else "Undefined macro 'X' used in filter." for the first
 * unknown name, at that name's position.
 */
/** Where macro bodies are looked up: a Map, or a view that decides what is visible. */
export interface MacroLookup {
  get(name: string): Expr | undefined
}

export function resolveMacros(e: Expr, macros: MacroLookup): MacroResolution {
  const resolved: NamedPos[] = []
  const unknown: NamedPos[] = []
  const errors: { message: string; pos: Pos }[] = []
  const path: string[] = []

  const visit = (n: Expr): Expr => {
    switch (n.kind) {
      case 'and':
      case 'or': {
        let changed = false
        const children = n.children.map((c) => {
          const r = visit(c)
          if (r !== c) changed = true
          return r
        })
        return changed ? { ...n, children } : n
      }
      case 'not': {
        const child = visit(n.child)
        return child !== n.child ? { ...n, child } : n
      }
      case 'identifier': {
        const body = macros.get(n.name)
        if (!body) {
          unknown.push({ name: n.name, pos: n.pos })
          return n
        }
        if (path.includes(n.name)) {
          errors.push({ message: "reference loop in macro '" + n.name + "'", pos: n.pos })
          unknown.push({ name: n.name, pos: n.pos })
          return n
        }
        path.push(n.name)
        const out = visit(body)
        resolved.push({ name: n.name, pos: n.pos })
        path.pop()
        return out
      }
      default:
        // checks, values and fields hold no macro references
        return n
    }
  }

  return { expr: visit(e), resolved, unknown, errors }
}

const BLANKS = ' \t\n\r'
const DELIMS = BLANKS + '(),='

/** Falco's quote_item: a value with a space gets double quotes unless already quoted. */
export function quoteItem(s: string): string {
  return s.includes(' ') && s[0] !== '"' && s[0] !== "'" ? '"' + s + '"' : s
}

/**
 * Falco's text substitution of lists (resolve_list), applied for each list in order:
 * every occurrence of a list's name bounded by blanks, parentheses, commas, '=' or the
 * text's ends is replaced by its quoted items joined with ", " (blanks around the name
 * are swallowed; an empty list also swallows a neighbouring comma).
 */
export function substituteListsInText(
  cond: string,
  lists: Iterable<{ readonly name: string; readonly items: readonly string[] }>,
): { text: string; used: Set<string> } {
  return new ListSubstitution(lists).apply(cond)
}

type NamedList = { readonly name: string; readonly items: readonly string[] }

/**
 * substituteListsInText for many conditions and the same lists. Walking every list for
 * every condition (a search of the text for each name) was 10-15% of loading Falco's rules;
 * this looks up the words of the text instead. A name without delimiters can only match a
 * whole word (a run between delimiters), so the only lists to try, in list order, are those
 * named by a word of the text, of the items pasted in before them, or with a delimiter in
 * their name; each of those goes through Falco's search as before.
 */
export class ListSubstitution {
  private readonly lists: readonly NamedList[]
  /** Name → its positions in `lists`, for names without delimiters. */
  private readonly byName = new Map<string, number[]>()
  /** Positions of the lists whose name holds a delimiter: always tried. */
  private readonly always: number[] = []

  constructor(lists: Iterable<NamedList>) {
    this.lists = [...lists]
    this.lists.forEach((l, i) => {
      if (l.name === '') return
      if (hasDelimiter(l.name)) this.always.push(i)
      else {
        const at = this.byName.get(l.name)
        if (at === undefined) this.byName.set(l.name, [i])
        else at.push(i)
      }
    })
  }

  apply(text: string): { text: string; used: Set<string> } {
    let cond = text
    const used = new Set<string>()
    // the lists to try, as positions in `lists` (a min-heap would do; these stay short)
    const todo = new Set<number>(this.always)
    const addWords = (s: string, after: number): void => {
      for (const w of wordsOf(s)) {
        const at = this.byName.get(w)
        if (at !== undefined) for (const i of at) if (i > after) todo.add(i)
      }
    }
    addWords(cond, -1)
    let last = -1
    for (;;) {
      let next = -1
      for (const i of todo) if (i > last && (next < 0 || i < next)) next = i
      if (next < 0) break
      last = next
      const list = this.lists[next]!
      const name = list.name
      let sub: string | null = null
      let start = cond.indexOf(name)
      while (start >= 0) {
        let end = start + name.length
        if ((start === 0 || DELIMS.includes(cond[start - 1]!)) && (end >= cond.length || DELIMS.includes(cond[end]!))) {
          while (start > 0 && BLANKS.includes(cond[start - 1]!)) start--
          while (end < cond.length && BLANKS.includes(cond[end]!)) end++
          sub = list.items.map(quoteItem).join(', ')
          if (sub === '') {
            if (start > 0 && cond[start - 1] === ',') start--
            else if (end < cond.length && cond[end] === ',') end++
          }
          cond = (start > 0 ? cond.slice(0, start) + ' ' : '') + sub + ' ' + cond.slice(end)
          start += sub.length + 1
          used.add(name)
        }
        start = cond.indexOf(name, start + 1)
      }
      // the pasted items bring new words (the rest of the text keeps its own)
      if (sub !== null) addWords(sub, next)
    }
    return { text: cond, used }
  }
}

/** A character of DELIMS, by code. */
function isDelimiter(c: number): boolean {
  return c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d || c === 0x28 || c === 0x29 || c === 0x2c || c === 0x3d
}

function hasDelimiter(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (isDelimiter(s.charCodeAt(i))) return true
  return false
}

/** The runs of non-delimiter characters in `s`. */
function wordsOf(s: string): Set<string> {
  const out = new Set<string>()
  let start = -1
  for (let i = 0; i <= s.length; i++) {
    if (i === s.length || isDelimiter(s.charCodeAt(i))) {
      if (start >= 0) out.add(s.slice(start, i))
      start = -1
    } else if (start < 0) {
      start = i
    }
  }
  return out
}
