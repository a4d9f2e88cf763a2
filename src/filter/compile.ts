// The condition compiler: an expanded AST becomes one closure per node, built once. Per
// event nothing walks the AST, nothing is parsed, and a check allocates nothing unless a
// transformer builds a new value. Semantics and messages follow libsinsp (filter.cpp,
// sinsp_filtercheck.cpp compare_rhs, filter_compare.cpp flt_is_comparable/flt_compare,
// value_parser.cpp):
//
// - a check whose left value cannot be extracted is false, whatever the operator (so
//   `x != a` is false when x is missing); with a field on the right, a missing right
//   value makes it false too;
// - right-hand values are parsed for the left side's type (after transformers) when the
//   condition compiles: numbers in decimal as sscanf reads them, booleans as true/false,
//   IPv4/IPv6 addresses and networks as inet_pton reads them, ports as numbers or
//   service names; bcontains/bstartswith take hex;
// - list fields (FF.IS_LIST) accept in (every value listed; true when empty),
//   intersects (some value listed) and exists;
// - a non-list field whose extractor returns an array is true when any element passes
//   (libsinsp's own compare for proc.aname, fd.ip, fd.port and the like).
import type RE2 from 're2'
import type { Expr, Pos } from './ast.js'
import type { FieldResolver } from '../fields/binding.js'
import { FF } from '../fields/types.js'
import type { FieldScalar, FieldValue } from '../fields/types.js'
import { isKnownEventName } from '../events/table.js'
import { OperandError, compileOperand, isList, ptName } from './operand.js'
import type { Operand } from './operand.js'
import { parseFieldOrTransformer } from './parser.js'
import { exprToString } from './print.js'
import { supportedTransformers } from './operators.js'
import { PathPrefixSearch } from './prefix.js'
import {
  K, Mod, NET_TYPES, OP_ENUM_NAME, Op, anyOf, classOf, comparableError, compareValues, compileRegex, makeMember,
  makeTest, memberOf, parseCmp, parseLiteral, regexWarning, toStr,
} from './compare.js'
import type { Cmp, Lit, Test } from './compare.js'

// What a field name (optionally with an argument) can look like, libsinsp's field-name grammar.
const FIELD_SHAPE = /^[a-zA-Z]+[a-zA-Z0-9_]*(\.[a-zA-Z]+[a-zA-Z0-9_]*)+(\[.*\])?$/

/** A condition that does not compile: libsinsp's message, at the check it concerns. */
export class CompileError extends Error {
  readonly pos: Pos
  constructor(message: string, pos: Pos) {
    super(message)
    this.name = 'CompileError'
    this.pos = pos
  }
}

/** Falco's LOAD_COMPILE_CONDITION warnings (suspicious values). */
export interface CompileWarning {
  readonly message: string
  readonly pos: Pos
}

export interface CompileOptions<E = unknown> {
  /** Receives warnings about values that look like mistakes. */
  readonly warnings?: CompileWarning[]
  /** Async event names of loaded plugins, accepted as evt.type values. */
  readonly asyncEventNames?: ReadonlySet<string>
  /** Checks shared with the other conditions compiled with the same object (see SharedChecks). */
  readonly shared?: SharedChecks<E>
}

/**
 * The and/or checks that the conditions of a rule set have in common, each evaluated once per
 * event: Falco's rules repeat their macros (open_read, sensitive_files...) in rule after rule,
 * and without this every rule of an openat re-evaluated them. A check is identified by its
 * text (its children's ids, a field check's printed form), so two uses share when they read
 * the same fields the same way; a result is reused while the event's stamp (a number that
 * changes with every event, SyscallEvent.stamp for syscalls) and the event object are the
 * same. Single field checks are not memoized: the check would cost what most of them cost.
 * Checks that read a field whose extractor keeps state per use (`stateful`) are never shared.
 */
export class SharedChecks<E> {
  readonly byKey = new Map<string, Predicate<E>>()
  /**
   * The checks and and/or whose compilation gave no warning, by key: a later use (a macro in
   * rule after rule) takes the predicate without compiling again, which would give no warning
   * and no error either (a key names the fields, operators and values of its checks).
   */
  readonly clean = new Map<string, Predicate<E>>()
  /** Each node's key (null: not shared), computed once per AST node. */
  readonly keys = new WeakMap<Expr, string | null>()
  /** Short ids for the keys, so that an and/or key names its children without their text. */
  private readonly ids = new Map<string, number>()

  constructor(
    readonly stamp: (ev: E) => number,
    readonly stateful: ReadonlySet<string> = new Set(),
  ) {}

  idOf(key: string): number {
    let id = this.ids.get(key)
    if (id === undefined) this.ids.set(key, (id = this.ids.size))
    return id
  }
}

export type Predicate<E> = (ev: E) => boolean

/**
 * How a compiled condition is put together, for compileRuleProgram: and/or/not over checks
 * (the closures of single field checks). A shared and/or is one object wherever it is used.
 */
type Plan =
  | { readonly kind: 'and' | 'or'; readonly children: readonly Plan[]; readonly shared: boolean }
  | { readonly kind: 'not'; readonly child: Plan }
  | { readonly kind: 'check'; readonly fn: Predicate<never>; readonly field?: FieldTest; readonly forType?: (code: number) => boolean | undefined }

/**
 * A check that is `test` on the value of a field (any element of an array value; false when
 * missing): its value read once per event by the checks of one program that name the same
 * `key` (the field as written, with its argument and transformers).
 */
interface FieldTest {
  readonly key: string
  readonly get: (ev: never) => FieldValue
  readonly test: Test
}

const plans = new WeakMap<Predicate<never>, Plan>()

function planned<E>(p: Predicate<E>, plan: Plan): Predicate<E> {
  plans.set(p, plan)
  return p
}

/** The plan of a predicate compileFilter made; any other predicate is one opaque check. */
function planOf<E>(p: Predicate<E>): Plan {
  return plans.get(p) ?? { kind: 'check', fn: p }
}

/** Compiles an expanded condition (no macros left) into a predicate; throws CompileError. */
export function compileFilter<E>(e: Expr, resolver: FieldResolver<E>, opts: CompileOptions<E> = {}): Predicate<E> {
  return new Compiler(resolver, opts).node(e)
}

/**
 * The conditions of a list of rules (one event type's) as one generated function: it runs
 * them in order and calls `hit(i)` for each that matches, stopping when that returns true.
 * Same results as calling each predicate, with less work per event: every call site in the
 * generated code always calls the same check, so V8 can inline it (in the closures each
 * junction calls many different checks), and the and/or the conditions share are evaluated
 * once per call, kept in variables rather than keyed on the event's stamp. With `code`, the
 * type of every event it will see, checks of the event type are written as their result.
 */
export function compileRuleProgram<E>(filters: readonly Predicate<E>[], code?: number): (ev: E, hit: (i: number) => boolean) => void {
  const roots = filters.map(planOf)
  // shared and/or used more than once here get a variable; the others are written in place
  const uses = new Map<Plan, number>()
  const count = (p: Plan): void => {
    if (p.kind === 'not') return count(p.child)
    if (p.kind === 'check') return
    if (p.shared) {
      const n = (uses.get(p) ?? 0) + 1
      uses.set(p, n)
      if (n > 1) return
    }
    for (const c of p.children) count(c)
  }
  for (const r of roots) count(r)
  const checks: Predicate<E>[] = []
  const checkIds = new Map<Predicate<never>, number>()
  const sharedIds = new Map<Plan, number>()
  // fields read by checks of this program: their getter and how many checks read each
  const fieldIds = new Map<string, number>()
  const getters: ((ev: E) => FieldValue)[] = []
  const tests: Test[] = []
  const checkSrc: string[] = []
  const fieldUses = new Map<string, number>()
  const countFields = (p: Plan, seen: Set<Plan>): void => {
    if (seen.has(p)) return
    seen.add(p)
    if (p.kind === 'not') countFields(p.child, seen)
    else if (p.kind !== 'check') for (const c of p.children) countFields(c, seen)
    else if (p.field !== undefined) fieldUses.set(p.field.key, (fieldUses.get(p.field.key) ?? 0) + 1)
  }
  const seen = new Set<Plan>()
  for (const r of roots) countFields(r, seen)
  const sharedBodies: string[] = []
  const expr = (p: Plan): string => {
    switch (p.kind) {
      case 'check': {
        const known = code === undefined ? undefined : p.forType?.(code)
        if (known !== undefined) return String(known)
        let id = checkIds.get(p.fn)
        if (id === undefined) {
          checkIds.set(p.fn, (id = checks.length))
          checks.push(p.fn as Predicate<E>)
          const f = p.field
          if (f !== undefined && fieldUses.get(f.key)! > 1) {
            let fid = fieldIds.get(f.key)
            if (fid === undefined) {
              fieldIds.set(f.key, (fid = getters.length))
              getters.push(f.get as (ev: E) => FieldValue)
            }
            tests.push(f.test)
            const t = tests.length - 1
            checkSrc.push(`function c${id}(ev) { const v = f${fid}(ev); return v !== undefined && (Array.isArray(v) ? v.some(t${t}) : t${t}(v)) }\n`)
          } else {
            checkSrc.push(`const c${id} = checks[${id}]\n`)
          }
        }
        return `c${id}(ev)`
      }
      case 'not':
        return `!${expr(p.child)}`
      default: {
        if (p.shared && uses.get(p)! > 1) {
          let id = sharedIds.get(p)
          if (id === undefined) {
            const b = junction(p.kind, p.children)
            sharedIds.set(p, (id = sharedBodies.length))
            sharedBodies.push(b)
          }
          return `s${id}(ev)`
        }
        return junction(p.kind, p.children)
      }
    }
  }
  const junction = (kind: 'and' | 'or', children: readonly Plan[]): string =>
    children.length === 0 ? String(kind === 'and') : '(' + children.map(expr).join(kind === 'and' ? ' && ' : ' || ') + ')'
  const body = roots.map((p, i) => `if (${expr(p)} && hit(${i})) return\n`).join('')
  const src =
    'let epoch = 0\n' +
    checkSrc.join('') +
    tests.map((_, i) => `const t${i} = tests[${i}]\n`).join('') +
    getters.map((_, i) => `const g${i} = getters[${i}]\nlet fe${i} = -1, fv${i}\nfunction f${i}(ev) { if (fe${i} !== epoch) { fv${i} = g${i}(ev); fe${i} = epoch } return fv${i} }\n`).join('') +
    sharedBodies.map((b, i) => `let e${i} = -1, v${i} = false\nfunction s${i}(ev) { if (e${i} === epoch) return v${i}; v${i} = ${b}; e${i} = epoch; return v${i} }\n`).join('') +
    `return function rules(ev, hit) {\nepoch++\n${body}}`
  return new Function('checks', 'tests', 'getters', src)(checks, tests, getters) as (ev: E, hit: (i: number) => boolean) => void
}

// ---- the compiler ---------------------------------------------------------------------------

/**
 * An and (`isAnd`) or an or of `ps`, evaluated once per event: the result is kept while the
 * event and its stamp stay the same. (The check is inside the junction rather than a wrapper
 * around it: a call less per node evaluated.)
 */
function memoizedJunction<E>(isAnd: boolean, ps: readonly Predicate<E>[], stamp: (ev: E) => number): Predicate<E> {
  let lastEv: E | undefined
  let lastStamp = 0
  let last = false
  return (ev) => {
    const s = stamp(ev)
    if (ev === lastEv && s === lastStamp) return last
    // and: false at the first false child; or: true at the first true one
    let r = isAnd
    for (let i = 0; i < ps.length; i++) {
      if (ps[i]!(ev) !== isAnd) {
        r = !isAnd
        break
      }
    }
    lastEv = ev
    lastStamp = s
    last = r
    return r
  }
}

function readsStatefulField(e: Expr, stateful: ReadonlySet<string>): boolean {
  if (stateful.size === 0) return false
  switch (e.kind) {
    case 'field':
      return stateful.has(e.field)
    case 'unary':
      return readsStatefulField(e.left, stateful)
    case 'binary':
      return readsStatefulField(e.left, stateful) || readsStatefulField(e.right, stateful)
    case 'transformer':
    case 'transformer_list':
      return (e.kind === 'transformer' ? e.values : e.children).some((c) => readsStatefulField(c, stateful))
    default:
      return false
  }
}

const TRANSFORMER_NAMES = supportedTransformers(true)
const HAS_SPACE = /[ \t\n\v\f\r]/
const SPACES = /[ \t\n\v\f\r]/g

class Compiler<E> {
  constructor(
    private readonly resolver: FieldResolver<E>,
    private readonly opts: CompileOptions<E>,
  ) {}

  node(e: Expr): Predicate<E> {
    switch (e.kind) {
      case 'and':
      case 'or': {
        const shared = this.opts.shared
        const key = shared === undefined || e.children.length < 2 ? null : this.keyOf(e, shared)
        const reused = this.reused(key)
        if (reused !== undefined) return reused
        const warned = this.opts.warnings?.length
        const ps = e.children.map((c) => this.node(c))
        if (key === null) {
          if (ps.length === 1) return ps[0]!
          return planned(e.kind === 'and' ? this.and(ps) : this.or(ps), { kind: e.kind, children: ps.map(planOf), shared: false })
        }
        // compiled all the same (its errors and warnings belong to this use), then shared
        let once = shared!.byKey.get(key)
        if (once === undefined) {
          once = planned(memoizedJunction(e.kind === 'and', ps, shared!.stamp), { kind: e.kind, children: ps.map(planOf), shared: true })
          shared!.byKey.set(key, once)
        }
        return this.keepIfClean(key, warned, once)
      }
      case 'not': {
        const p = this.node(e.child)
        return planned((ev) => !p(ev), { kind: 'not', child: planOf(p) })
      }
      case 'unary':
      case 'binary': {
        const key = this.opts.shared === undefined ? null : this.keyOf(e, this.opts.shared)
        const reused = this.reused(key)
        if (reused !== undefined) return reused
        const warned = this.opts.warnings?.length
        const check = this.wrap(e.pos, () => (e.kind === 'unary' ? this.unary(e.left, e.op) : this.binary(e.left, e.op, e.right, e.right.pos)))
        return this.keepIfClean(key, warned, plans.has(check) ? check : planned(check, { kind: 'check', fn: check }))
      }
      case 'identifier':
        throw new CompileError("filter error: unexpected identifier '" + e.name + "'", e.pos)
      case 'value':
        throw new CompileError(
          'sinsp_filter_compiler: unexpected standalone value expression in filter AST; value expressions should only appear as children of check expressions',
          e.pos,
        )
      case 'list':
        throw new CompileError(
          'sinsp_filter_compiler: unexpected standalone list expression in filter AST; list expressions should only appear as children of check expressions',
          e.pos,
        )
      default:
        throw new CompileError('filter error: unexpected ' + e.kind + ' expression where a check is expected', e.pos)
    }
  }

  /** The predicate an earlier compilation of the same key gave with no warning (see SharedChecks.clean). */
  private reused(key: string | null): Predicate<E> | undefined {
    return key === null || this.opts.warnings === undefined ? undefined : this.opts.shared!.clean.get(key)
  }

  /** Keeps `p` for reuse when compiling it added no warning to the `warned` there were. */
  private keepIfClean(key: string | null, warned: number | undefined, p: Predicate<E>): Predicate<E> {
    if (key !== null && warned !== undefined && this.opts.warnings!.length === warned) this.opts.shared!.clean.set(key, p)
    return p
  }

  /** The text that identifies a check (null: never shared); and/or name their children by id. */
  private keyOf(e: Expr, shared: SharedChecks<E>): string | null {
    let key = shared.keys.get(e)
    if (key !== undefined) return key
    key = null
    switch (e.kind) {
      case 'and':
      case 'or': {
        const ids: number[] = []
        for (const c of e.children) {
          const k = this.keyOf(c, shared)
          if (k === null) break
          ids.push(shared.idOf(k))
        }
        if (ids.length === e.children.length) key = e.kind + '(' + ids.join(',') + ')'
        break
      }
      case 'not': {
        const k = this.keyOf(e.child, shared)
        if (k !== null) key = 'not(' + shared.idOf(k) + ')'
        break
      }
      case 'unary':
      case 'binary':
        if (!readsStatefulField(e, shared.stateful)) key = exprToString(e)
        break
      default:
        break
    }
    shared.keys.set(e, key)
    return key
  }

  private and(ps: Predicate<E>[]): Predicate<E> {
    if (ps.length === 1) return ps[0]!
    if (ps.length === 2) {
      const [a, b] = ps as [Predicate<E>, Predicate<E>]
      return (ev) => a(ev) && b(ev)
    }
    return (ev) => {
      for (let i = 0; i < ps.length; i++) if (!ps[i]!(ev)) return false
      return true
    }
  }

  private or(ps: Predicate<E>[]): Predicate<E> {
    if (ps.length === 1) return ps[0]!
    if (ps.length === 2) {
      const [a, b] = ps as [Predicate<E>, Predicate<E>]
      return (ev) => a(ev) || b(ev)
    }
    return (ev) => {
      for (let i = 0; i < ps.length; i++) if (ps[i]!(ev)) return true
      return false
    }
  }

  /** Errors inside a check are reported at the check's position, as libsinsp does. */
  private wrap(pos: Pos, fn: () => Predicate<E>): Predicate<E> {
    try {
      return fn()
    } catch (err) {
      if (err instanceof OperandError) throw new CompileError(err.message, pos)
      throw err
    }
  }

  private operand(e: Expr): Operand<E> {
    return compileOperand(e, this.resolver)
  }

  private unary(left: Expr, opText: string): Predicate<E> {
    const l = this.operand(left)
    const cmp = parseCmp(opText)
    const err = comparableError(cmp, l.info.type, isList(l.info))
    if (err) throw new OperandError('filter error: ' + err)
    const get = l.get
    if (cmp.op !== Op.EXISTS) return () => false
    if (isList(l.info)) return (ev) => get(ev) !== undefined
    return (ev) => {
      const v = get(ev)
      return v !== undefined && (!Array.isArray(v) || v.length > 0)
    }
  }

  private binary(left: Expr, opText: string, right: Expr, rightPos: Pos): Predicate<E> {
    const l = this.operand(left)
    const cmp = parseCmp(opText)
    const list = isList(l.info)
    const err = comparableError(cmp, l.info.type, list)
    if (err) throw new OperandError('filter error: ' + err)

    if (right.kind !== 'value' && right.kind !== 'list') return this.withRightField(l, cmp, this.operand(right))

    const texts = right.kind === 'value' ? [right.value] : right.values
    const t = l.info.type
    const k = classOf(t)
    const lits: Lit[] = []
    for (const text of texts) {
      this.valueWarnings(cmp, text, rightPos)
      lits.push(parseLiteral(t, text, cmp.op))
      if (l.fieldName === 'evt.type' && !isKnownEventName(text, this.opts.asyncEventNames)) {
        throw new OperandError('unknown event type ' + text)
      }
    }
    const regexes = cmp.op === Op.REGEX ? texts.map(compileRegex) : []

    const get = l.get
    if (cmp.op === Op.EXISTS) return (ev) => get(ev) !== undefined

    if (list) {
      const member: Test = k === K.Net ? anyOf(lits.map((n) => makeTest(K.Net, Op.EQ, n))) : makeMember(k, lits)
      if (cmp.op === Op.IN) {
        return (ev) => {
          const v = get(ev)
          if (v === undefined) return false
          if (!Array.isArray(v)) return member(v as FieldScalar)
          for (let i = 0; i < v.length; i++) if (!member(v[i] as FieldScalar)) return false
          return true
        }
      }
      return (ev) => {
        const v = get(ev)
        if (v === undefined) return false
        if (!Array.isArray(v)) return member(v as FieldScalar)
        for (let i = 0; i < v.length; i++) if (member(v[i] as FieldScalar)) return true
        return false
      }
    }

    // the source's own check for a plain field against values, when it has one
    const fastOp = cmp.mod !== Mod.NONE ? undefined : cmp.op === Op.EQ ? '=' : cmp.op === Op.NE ? '!=' : cmp.op === Op.IN ? 'in' : undefined
    if (fastOp !== undefined && left.kind === 'field' && left.arg === undefined) {
      const fast = this.resolver.fastCheck?.(left.field, fastOp, fastOp === 'in' ? texts : texts.slice(0, 1))
      if (fast !== undefined) return planned(fast, { kind: 'check', fn: fast, forType: fast.forType })
    }
    const test = cmp.mod !== Mod.NONE ? this.modifierTest(k, cmp, lits, regexes) : this.plainTest(k, cmp.op, lits, regexes, texts)
    const check: Predicate<E> = (ev) => {
      const v = get(ev)
      if (v === undefined) return false
      if (!Array.isArray(v)) return test(v as FieldScalar)
      for (let i = 0; i < v.length; i++) if (test(v[i] as FieldScalar)) return true
      return false
    }
    const shared = this.opts.shared
    if (shared === undefined || readsStatefulField(left, shared.stateful)) return check
    return planned(check, { kind: 'check', fn: check, field: { key: exprToString(left), get, test } })
  }

  private plainTest(k: K, op: Op, lits: readonly Lit[], regexes: readonly RE2[], texts: readonly string[]): Test {
    switch (op) {
      case Op.IN:
      case Op.INTERSECTS:
        if (k === K.Net) return anyOf(lits.map((n) => makeTest(K.Net, Op.EQ, n)))
        if (lits.length === 0) return () => false
        return makeMember(k, lits)
      case Op.PMATCH: {
        if (k === K.Net) return lits.length ? anyOf(lits.map((n) => makeTest(K.Net, Op.EQ, n))) : () => false
        const search = new PathPrefixSearch()
        for (const p of texts) search.add(p)
        return (v) => search.match(toStr(v))
      }
      case Op.REGEX: {
        const re = regexes[0]
        if (!re) return () => false
        return (v) => re.test(toStr(v))
      }
      default:
        if (lits.length === 0) return () => false
        return makeTest(k, op, lits[0]!)
    }
  }

  /** oneof / anyof / allof: the operator against each listed value (libsinsp compare_rhs_with_mod). */
  private modifierTest(k: K, cmp: Cmp, lits: readonly Lit[], regexes: readonly RE2[]): Test {
    let op = cmp.op
    // network types only compare for equality
    if (k === K.Net && op !== Op.EQ && op !== Op.NE && op !== Op.REGEX) op = Op.EQ
    const n = op === Op.REGEX ? regexes.length : lits.length
    if (n === 0) return () => false
    const tests: Test[] =
      op === Op.REGEX ? regexes.map((re) => (v: FieldScalar) => re.test(toStr(v))) : lits.map((lit) => makeTest(k, op, lit))
    switch (cmp.mod) {
      case Mod.ONEOF:
        return (v) => {
          let hits = 0
          for (let i = 0; i < tests.length; i++) if (tests[i]!(v) && ++hits > 1) return false
          return hits === 1
        }
      case Mod.ANYOF: {
        if (op === Op.EQ) return makeMember(k, lits) // "== anyof" is set membership
        return anyOf(tests)
      }
      default: {
        if (op === Op.NE) {
          const member = makeMember(k, lits) // "!= allof" is set non-membership
          return (v) => !member(v)
        }
        return (v) => {
          for (let i = 0; i < tests.length; i++) if (!tests[i]!(v)) return false
          return true
        }
      }
    }
  }

  /** `left op val(right)`: the right-hand values are read from the same event. */
  private withRightField(l: Operand<E>, cmp: Cmp, r: Operand<E>): Predicate<E> {
    if (cmp.op === Op.PMATCH || cmp.op === Op.REGEX) {
      throw new OperandError("operator '" + OP_ENUM_NAME[cmp.op] + "' doesn't support right-hand side fields")
    }
    const lt = l.info.type
    if (NET_TYPES.has(lt)) throw new OperandError("field type 'IPNET' doesn't support right-hand side fields")
    if (l.info.flags & FF.NO_RHS) throw new OperandError("field '" + l.info.name + "' doesn't support right-hand side fields")
    if (r.info.flags & FF.NO_RHS) throw new OperandError("field '" + r.info.name + "' can't be used as a right-hand side field")
    const ll = isList(l.info)
    const rl = isList(r.info)
    if (lt !== r.info.type || ll !== rl) {
      throw new OperandError(
        "field '" + l.info.name + "' has type '" + ptName(lt) + (ll ? ' (list)' : '') +
          "' while the right-hand side field '" + r.info.name + "' has incompatible type '" + ptName(r.info.type) +
          (rl ? ' (list)' : '') + "'",
      )
    }
    const k = classOf(lt)
    const op = cmp.op
    const lget = l.get
    const rget = r.get
    if (op === Op.EXISTS) return (ev) => lget(ev) !== undefined
    const setOp = op === Op.IN || op === Op.INTERSECTS
    if (ll) {
      const every = op === Op.IN
      return (ev) => {
        const v = lget(ev)
        if (v === undefined) return false
        const rv = rget(ev)
        if (rv === undefined) return false
        if (!Array.isArray(v)) return memberOf(k, v as FieldScalar, rv)
        for (let i = 0; i < v.length; i++) {
          const hit = memberOf(k, v[i] as FieldScalar, rv)
          if (every ? !hit : hit) return !every
        }
        return every
      }
    }
    const test = (x: FieldScalar, rv: FieldValue): boolean => {
      if (setOp) return memberOf(k, x, rv)
      const first = Array.isArray(rv) ? (rv as readonly FieldScalar[])[0] : (rv as FieldScalar)
      return first !== undefined && compareValues(k, op, x, first)
    }
    return (ev) => {
      const v = lget(ev)
      if (v === undefined) return false
      const rv = rget(ev)
      if (rv === undefined) return false
      if (!Array.isArray(v)) return test(v as FieldScalar, rv)
      for (let i = 0; i < v.length; i++) if (test(v[i] as FieldScalar, rv)) return true
      return false
    }
  }

  private valueWarnings(cmp: Cmp, v: string, pos: Pos): void {
    const out = this.opts.warnings
    if (!out) return
    // (loading Falco's rules checks ~10k values: the common cases make no new string)
    const nospaces = HAS_SPACE.test(v) ? v.replace(SPACES, '') : v
    if (cmp.op === Op.REGEX) {
      const w = regexWarning(v)
      if (w) out.push({ message: w, pos })
    }
    if (this.looksLikeField(nospaces)) out.push({ message: "'" + v + "' may be a valid field misused as a const string value", pos })
    if (!nospaces.endsWith(')')) return
    for (const t of TRANSFORMER_NAMES) {
      if (nospaces.length >= t.length + 2 && nospaces.startsWith(t) && nospaces[t.length] === '(') {
        out.push({ message: "'" + v + "' may be a valid field transformer misused as a const string value", pos })
      }
    }
  }

  private looksLikeField(s: string): boolean {
    // most values are plainly not field names: skip the parse (and its throw) for them
    if (!FIELD_SHAPE.test(s)) return false
    try {
      const { expr } = parseFieldOrTransformer(s)
      if (expr.kind !== 'field') return false
      // most such values (host names, package names) are not fields: ask without a throw
      if (this.resolver.isField !== undefined) return this.resolver.isField(expr.field, expr.arg)
      this.resolver.bind(expr.field, expr.arg)
      return true
    } catch {
      return false
    }
  }
}
