// Event-type analysis of a condition: the event codes for which it can be true, so the
// engine tests a rule only on events it can match. A port of libsinsp's ppm_codes.cpp:
//
// - `and` intersects its children's sets, `or` unites them;
// - `evt.type` (or `syscall.type`, without argument) compared with =, ==, != or `in`
//   against values gives the codes of those names (all versions, enter and exit; a
//   syscall without its own event gives the generic events); != inverts;
// - `evt.type exists` and every other check are neutral: all codes;
// - `not` is pushed down to the leaves (De Morgan), where it inverts evt.type sets only,
//   never the neutral ones (so `not proc.name=cat` still matches every type);
// - checks on evt.num that its invariant (evt.num >= 1) decides statically give the
//   empty set (evt.num=0, evt.num<1, evt.num in (0)) or all codes (evt.num>0 ...).
//
// Unknown names contribute no code: libsinsp rejects them when the condition compiles
// ("unknown event type X", see compile.ts); unknownEventTypes lists them beforehand.
import type { Expr } from './ast.js'
import { PPM_EVENT_MAX, eventCodesByName, isKnownEventName } from '../events/table.js'
import { parseUnsigned } from './values.js'

export class EvttypeError extends Error {}

export interface EvttypeOptions {
  /** Names of async events declared by loaded plugins (they map to ASYNCEVENT_E). */
  readonly asyncEventNames?: ReadonlySet<string>
  /**
   * Use evt.num's invariant (newer libsinsp). Without it, evt.num checks are neutral as in
   * libsinsp 0.20 / Falco 0.40. Default true.
   */
  readonly evtNumInvariant?: boolean
}

/**
 * The event codes `e` can match, or 'all' when that is every code. Throws EvttypeError
 * for evt.type checks the analysis cannot follow (transformers on evt.type, a field on
 * the right of evt.type).
 */
export function eventTypesOf(e: Expr, opts: EvttypeOptions = {}): Set<number> | 'all' {
  const v = new CodeVisitor(opts)
  v.visit(e)
  const codes = new Uint8Array(v.lastCodes.buffer)
  let n = 0
  for (let i = 0; i < PPM_EVENT_MAX; i++) n += codes[i]!
  if (n === PPM_EVENT_MAX) return 'all'
  const out = new Set<number>()
  for (let i = 0; i < PPM_EVENT_MAX; i++) if (codes[i]) out.add(i)
  return out
}

/** The evt.type names compared in `e` that libsinsp does not know, in order, without repeats. */
export function unknownEventTypes(e: Expr, asyncEventNames?: ReadonlySet<string>): string[] {
  const out: string[] = []
  const add = (name: string): void => {
    if (!isKnownEventName(name, asyncEventNames) && !out.includes(name)) out.push(name)
  }
  const walk = (n: Expr): void => {
    switch (n.kind) {
      case 'and':
      case 'or':
        n.children.forEach(walk)
        return
      case 'not':
        walk(n.child)
        return
      case 'binary':
        if (isEvtTypeField(n.left)) {
          if (n.right.kind === 'value') add(n.right.value)
          else if (n.right.kind === 'list') n.right.values.forEach(add)
        }
        return
      default:
        return
    }
  }
  walk(e)
  return out
}

/** The check libsinsp validates values of: evt.type, possibly under transformers. */
function isEvtTypeField(e: Expr): boolean {
  if (e.kind === 'field') return e.field === 'evt.type' && e.arg === undefined
  if (e.kind === 'transformer' && e.values.length === 1) return isEvtTypeField(e.values[0]!)
  return false
}

// A set of event codes: one byte per code, 1 when in the set, 0 when not (bytes past
// PPM_EVENT_MAX are padding, never read). The bytes are worked on four at a time, as 32-bit
// words: the analysis ANDs, ORs and inverts whole sets at every node, and byte loops were
// 10% of loading Falco's rules.
// A set, once made, is never changed: inverting makes a new one. So every neutral check
// shares ALL (and every empty result NONE) instead of allocating its own.
type Codes = Uint32Array
const WORDS = Math.ceil(PPM_EVENT_MAX / 4)
const ONES = 0x01010101
const noCodes = (): Codes => new Uint32Array(WORDS)
const ALL: Codes = new Uint32Array(WORDS).fill(ONES)
const NONE: Codes = noCodes()

const isEvttypeOperator = (op: string): boolean => op === '==' || op === '=' || op === '!=' || op === 'in'

type Invariant = 'empty' | 'all' | 'unknown'

// evt.num starts at 1 for every event: some checks on it are decided without an event.
function evtNumInvariant(e: Expr & { kind: 'binary' }): Invariant {
  const f = e.left
  if (f.kind !== 'field' || f.field !== 'evt.num' || f.arg !== undefined) return 'unknown'
  if (e.op === 'in') {
    if (e.right.kind !== 'list') return 'unknown'
    for (const v of e.right.values) {
      const n = parseUnsigned(v, 64)
      if (n === undefined || n !== 0n) return 'unknown'
    }
    return 'empty'
  }
  if (e.right.kind !== 'value') return 'unknown'
  const n = parseUnsigned(e.right.value, 64)
  if (n === undefined) return 'unknown'
  switch (e.op) {
    case '=':
    case '==':
      return n === 0n ? 'empty' : 'unknown'
    case '!=':
      return n === 0n ? 'all' : 'unknown'
    case '<':
      return n <= 1n ? 'empty' : 'unknown'
    case '<=':
      return n === 0n ? 'empty' : 'unknown'
    case '>':
      return n === 0n ? 'all' : 'unknown'
    case '>=':
      return n <= 1n ? 'all' : 'unknown'
    default:
      return 'unknown'
  }
}

// The visitor keeps libsinsp's state flags, since the order in which they are set and
// read decides the result in corner cases (e.g. != under a not).
class CodeVisitor {
  lastIsEvttypeField = false
  lastIsFieldOrTransformer = true
  insideNegation = false
  lastHasCodes = false
  lastCodes: Codes = NONE

  constructor(private readonly opts: EvttypeOptions) {}

  private namesToCodes(names: Iterable<string>): Codes {
    const out = noCodes()
    const bytes = new Uint8Array(out.buffer)
    for (const name of names) {
      for (const c of eventCodesByName(name, this.opts.asyncEventNames)) if (c < PPM_EVENT_MAX) bytes[c] = 1
    }
    return out
  }

  /** `codes` inverted, unless neutral (neutral checks are never inverted). */
  private inversion(codes: Codes): Codes {
    if (!this.lastHasCodes) return codes
    const out = noCodes()
    for (let i = 0; i < codes.length; i++) out[i] = codes[i]! ^ ONES
    return out
  }

  private tryInversion(codes: Codes): Codes {
    return this.insideNegation ? this.inversion(codes) : codes
  }

  private conjunction(children: readonly Expr[]): void {
    const types = ALL.slice()
    for (const c of children) {
      this.visit(c)
      const codes = this.lastCodes
      if (codes !== ALL) for (let i = 0; i < types.length; i++) types[i]! &= codes[i]!
    }
    this.lastCodes = types
    this.lastIsEvttypeField = false
  }

  private disjunction(children: readonly Expr[]): void {
    const types = noCodes()
    for (const c of children) {
      this.visit(c)
      const codes = this.lastCodes
      if (codes !== NONE) for (let i = 0; i < types.length; i++) types[i]! |= codes[i]!
    }
    this.lastCodes = types
    this.lastIsEvttypeField = false
  }

  visit(e: Expr): void {
    switch (e.kind) {
      case 'and':
        if (this.insideNegation) this.disjunction(e.children)
        else this.conjunction(e.children)
        return
      case 'or':
        if (this.insideNegation) this.conjunction(e.children)
        else this.disjunction(e.children)
        return
      case 'not': {
        this.lastCodes = NONE
        const inside = this.insideNegation
        this.insideNegation = !inside
        this.visit(e.child)
        this.insideNegation = inside
        this.lastIsEvttypeField = false
        return
      }
      case 'binary': {
        this.lastHasCodes = false
        const inv = this.opts.evtNumInvariant === false ? 'unknown' : evtNumInvariant(e)
        if (inv !== 'unknown') {
          this.lastHasCodes = true
          this.lastCodes = this.tryInversion(inv === 'empty' ? NONE : ALL)
          this.lastIsEvttypeField = false
          return
        }
        if (isEvttypeOperator(e.op)) {
          this.visit(e.left)
          if (this.lastIsEvttypeField) {
            // the value node applies any inversion due to an enclosing not itself
            this.lastIsFieldOrTransformer = false
            this.visit(e.right)
            if (this.lastIsFieldOrTransformer) {
              throw new EvttypeError(
                'right-hand field comparisons on `evt.type`/`syscall.type` checks are not supported by event code search',
              )
            }
            // inverting again is right for both the single and the double negation
            if (e.op === '!=') this.lastCodes = this.inversion(this.lastCodes)
            this.lastIsEvttypeField = false
            return
          }
        }
        this.lastCodes = this.tryInversion(ALL)
        this.lastIsEvttypeField = false
        return
      }
      case 'unary':
        this.visit(e.left)
        this.lastHasCodes = this.lastIsEvttypeField && e.op === 'exists'
        this.lastCodes = this.tryInversion(ALL)
        this.lastIsEvttypeField = false
        return
      case 'identifier':
        // an unexpanded macro: neutral
        this.lastHasCodes = false
        this.lastCodes = this.tryInversion(ALL)
        this.lastIsEvttypeField = false
        return
      case 'value':
        this.lastHasCodes = true
        this.lastCodes = this.tryInversion(this.namesToCodes([e.value]))
        this.lastIsEvttypeField = false
        return
      case 'list':
        this.lastHasCodes = true
        this.lastCodes = this.tryInversion(this.namesToCodes(new Set(e.values)))
        this.lastIsEvttypeField = false
        return
      case 'transformer_list':
        for (const c of e.children) this.visit(c)
        return
      case 'field':
        this.lastHasCodes = false
        this.lastIsFieldOrTransformer = true
        this.lastIsEvttypeField = (e.field === 'evt.type' || e.field === 'syscall.type') && e.arg === undefined
        this.lastCodes = this.tryInversion(ALL)
        return
      case 'transformer':
        for (const c of e.values) {
          this.visit(c)
          if (this.lastIsEvttypeField) {
            throw new EvttypeError('event code search does not support `evt.type` checks with transformers')
          }
        }
        this.lastIsFieldOrTransformer = true
        return
    }
  }
}
