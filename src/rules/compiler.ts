// Stage three of loading: lists flattened, macros parsed and resolved, rule conditions
// (with their exceptions) and outputs compiled, each rule's event types computed. The
// steps, their order and their messages follow Falco's rule_loader_compiler so that the
// same rules give the same load results.
import type { BinaryCheckExpr, Expr, Pos, UnaryCheckExpr } from '../filter/ast.js'
import { compileFilter, SharedChecks } from '../filter/compile.js'
import type { CompileWarning } from '../filter/compile.js'
import { eventTypesOf } from '../filter/evttypes.js'
import { parseCondition } from '../filter/parser.js'
import { ListSubstitution, quoteItem, resolveMacros } from '../filter/expand.js'
import type { MacroLookup, MacroResolution } from '../filter/expand.js'
import { isListOperator } from '../filter/operators.js'
import type { FieldResolver } from '../fields/binding.js'
import { compileOutput } from '../outputs/format.js'
import type { CompiledOutput } from '../outputs/format.js'
import type { Collector } from './collector.js'
import type { ExceptionInfo, Priority, RuleInfo } from './infos.js'
import { RuleLoadError } from './load-result.js'
import type { Context, LoadResult } from './load-result.js'

/** An event source as the rules see it: its name and its fields. */
export interface RuleSourceFields {
  readonly name: string
  readonly resolver: FieldResolver<unknown>
}

/** `append_output` entries of the configuration, applied when rules compile. */
export interface ExtraOutput {
  source: string
  tags: readonly string[]
  rule: string
  format: string
  /** A named extra field for output_fields (Falco's extra_fields); empty for extra text. */
  key: string
}

export interface CompiledRule {
  readonly id: number
  readonly name: string
  readonly source: string
  readonly description: string
  readonly priority: Priority
  readonly tags: readonly string[]
  readonly output: string
  readonly formatter: CompiledOutput<unknown>
  readonly extraFields: ReadonlyMap<string, CompiledOutput<unknown>>
  readonly condition: Expr
  readonly filter: (ev: unknown) => boolean
  /** Event codes the condition can match; 'all' when it does not restrict evt.type. */
  readonly evttypes: ReadonlySet<number> | 'all'
  readonly capture: boolean
  readonly captureDuration: number
  readonly exceptionFields: readonly string[]
  readonly info: RuleInfo
}

export interface CompiledList {
  readonly name: string
  readonly items: readonly string[]
  used: boolean
}

export interface CompiledMacro {
  readonly name: string
  condition: Expr
  used: boolean
}

export interface CompileOutput {
  lists: Map<string, CompiledList>
  macros: Map<string, CompiledMacro>
  rules: CompiledRule[]
}

const NO_VALUE = '<NA>'
// Falco parses rule conditions with a nesting limit of 1000 (libsinsp's own default is 100).
const MAX_CONDITION_DEPTH = 1000
// parseCondition's own default, for the one-value parses of exceptions.
const DEFAULT_DEPTH = 100
const DEPRECATED_FIELDS: Record<string, string> = {
  'evt.dir':
    "due to the drop of enter events, 'evt.dir = <' always evaluates to true, and 'evt.dir = >' always evaluates to false. The rule expression can be simplified by removing the condition on 'evt.dir'",
  'evt.latency': 'field is not available due to the drop of enter events.',
  'evt.latency.s': 'field is not available due to the drop of enter events.',
  'evt.latency.ns': 'field is not available due to the drop of enter events.',
  'evt.latency.human': 'field is not available due to the drop of enter events.',
  'evt.wait_latency': 'field is not available due to the drop of enter events.',
}
const CONTAINER_INFO = '%container.info'

const fail = (code: 'LOAD_ERR_VALIDATE' | 'LOAD_ERR_COMPILE_CONDITION' | 'LOAD_ERR_COMPILE_OUTPUT', msg: string, ctx: Context): never => {
  throw new RuleLoadError(code, msg, ctx)
}

// ---- work shared between the compilations of one load --------------------------------------
//
// Falco compiles everything collected so far after every file, so with its three rules files
// the first file's lists, macros and rules compile three times. Every step below is a pure
// function of its inputs, so the results of the earlier compilations are reused when the
// inputs are the same: loading Falco's three 3.2.0 files went from ~375 to ~240 ms with it
// (measured before the other startup work; test/rules/compile-cache.test.ts checks that
// every compilation still gives what it gives alone).
// What the steps report (warnings, used marks) is still reported by every compilation.

/** What the compilations of one loader share; make one per RulesLoader. */
export class CompileCache {
  /** Condition text (lists substituted) and depth limit → its AST, or the parse error. */
  readonly parsed = new Map<string, Expr | Error>()
  /** The lists as the substitutions below saw them (JSON of names and items, in order). */
  listsKey = ''
  /** Substitution of those lists. */
  lists = new ListSubstitution([])
  /** Condition text → the text with the lists substituted and the lists used. */
  readonly substituted = new Map<string, { text: string; used: readonly string[] }>()
  /** Parsed AST → its macro resolution and the lookups it made (name → what was found). */
  readonly resolutions = new WeakMap<Expr, { deps: readonly (readonly [string, Expr | undefined])[]; res: MacroResolution }>()
  /** Rule (source, name) → its last compiled condition and what compiling it gave. */
  readonly filters = new Map<string, {
    condition: Expr
    condWarnings: ConditionWarnings
    filter: (ev: unknown) => boolean
    warnings: readonly CompileWarning[]
    evttypes: ReadonlySet<number> | 'all'
  }>()
  /** Rule (source, name) and output format → the compiled format. */
  readonly outputs = new Map<string, CompiledOutput<unknown>>()
  /** Source → the checks its rules share (for sources whose events carry a stamp). */
  readonly shared = new Map<string, SharedChecks<unknown>>()
}

function sharedChecks(cache: CompileCache, source: string, resolver: FieldResolver<unknown>): SharedChecks<unknown> | undefined {
  if (resolver.eventStamp === undefined) return undefined
  let got = cache.shared.get(source)
  if (got === undefined) {
    got = new SharedChecks(resolver.eventStamp, resolver.statefulFields)
    cache.shared.set(source, got)
  }
  return got
}

/** A cache for one compilation only (callers that pass none). */
const oneShot = (): CompileCache => new CompileCache()

function parseCached(cache: CompileCache, text: string, maxDepth: number): Expr {
  const key = maxDepth + '\0' + text
  let got = cache.parsed.get(key)
  if (got === undefined) {
    try {
      got = parseCondition(text, { maxDepth })
    } catch (e) {
      if (!(e instanceof Error)) throw e
      got = e
    }
    cache.parsed.set(key, got)
  }
  if (got instanceof Error) throw got
  return got
}

/** Pastes the lists into condition text as Falco does, marking the lists used. */
function substituteLists(cnd: string, lists: Map<string, CompiledList>, cache: CompileCache): string {
  let got = cache.substituted.get(cnd)
  if (got === undefined) {
    const { text, used } = cache.lists.apply(cnd)
    got = { text, used: [...used] }
    cache.substituted.set(cnd, got)
  }
  for (const name of got.used) lists.get(name)!.used = true
  return got.text
}

/** Starts a compilation's use of the substitution cache: it holds only while the lists are the same. */
function checkLists(cache: CompileCache, lists: Map<string, CompiledList>): void {
  const key = JSON.stringify([...lists.values()].map((l) => [l.name, l.items]))
  if (key !== cache.listsKey) {
    cache.listsKey = key
    cache.lists = new ListSubstitution(lists.values())
    cache.substituted.clear()
  }
}

function parseWithLists(cond: string, lists: Map<string, CompiledList>, ctx: Context, cache: CompileCache): { ast: Expr; text: string } {
  const text = substituteLists(cond, lists, cache)
  try {
    return { ast: parseCached(cache, text, MAX_CONDITION_DEPTH), text }
  } catch (e) {
    const err = e as { message: string; pos?: Pos }
    return fail('LOAD_ERR_COMPILE_CONDITION', err.message, ctx.inCondition(err.pos ?? { idx: 0, line: 1, col: 1 }, text))
  }
}

/** resolveMacros, reused when every macro it looked up is still the same AST. */
function resolveCached(ast: Expr, macros: MacroLookup, cache: CompileCache): MacroResolution {
  const hit = cache.resolutions.get(ast)
  if (hit !== undefined && hit.deps.every(([name, body]) => macros.get(name) === body)) return hit.res
  const deps: [string, Expr | undefined][] = []
  const res = resolveMacros(ast, {
    get: (name) => {
      const body = macros.get(name)
      deps.push([name, body])
      return body
    },
  })
  cache.resolutions.set(ast, { deps, res })
  return res
}

/** Structural equality of two ASTs (plain data: objects, arrays, strings, numbers). */
function sameTree(a: unknown, b: unknown): boolean {
  if (a === b) return true
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false
    for (let i = 0; i < a.length; i++) if (!sameTree(a[i], b[i])) return false
    return true
  }
  if (Array.isArray(b)) return false
  const ka = Object.keys(a)
  if (ka.length !== Object.keys(b).length) return false
  for (const k of ka) {
    if (!Object.hasOwn(b, k) || !sameTree((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k])) return false
  }
  return true
}

/** Inlines macros; Falco reports a loop before an unknown name, each inside the condition. */
function inlineMacros(ast: Expr, macros: MacroLookup, text: string, ctx: Context, used: Set<string>, cache: CompileCache): Expr {
  const res = resolveCached(ast, macros, cache)
  const err = res.errors[0]
  if (err) fail('LOAD_ERR_VALIDATE', err.message, ctx.inCondition(err.pos, text))
  const unknown = res.unknown[0]
  if (unknown) fail('LOAD_ERR_VALIDATE', `Undefined macro '${unknown.name}' used in filter.`, ctx.inCondition(unknown.pos, text))
  for (const r of res.resolved) used.add(r.name)
  return res.expr
}

/** The field a check's left side reads, through transformers. */
const fieldOf = (e: Expr): string => (e.kind === 'field' ? e.field : e.kind === 'transformer' && e.values[0] ? fieldOf(e.values[0]) : '')

/** What warnCondition reports for a condition: an unsafe <NA> check, deprecated fields (sorted). */
interface ConditionWarnings {
  readonly unsafeNa: boolean
  readonly deprecated: readonly string[]
}

/** Falco's LOAD_UNSAFE_NA_CHECK and deprecated-field warnings for one condition. */
function warnCondition(w: ConditionWarnings, text: string, ctx: Context, result: LoadResult): void {
  const at = ctx.inCondition({ idx: 0, line: 0, col: 0 }, text)
  if (w.unsafeNa) result.addWarning('LOAD_UNSAFE_NA_CHECK', '', at)
  for (const f of w.deprecated) result.addWarning('LOAD_DEPRECATED_ITEM', DEPRECATED_FIELDS[f]!, at)
}

function conditionWarnings(ast: Expr): ConditionWarnings {
  let unsafeNa = false
  const deprecated = new Set<string>()
  const walk = (e: Expr): void => {
    switch (e.kind) {
      case 'and':
      case 'or':
        e.children.forEach(walk)
        return
      case 'not':
        walk(e.child)
        return
      case 'unary':
        walk(e.left)
        return
      case 'binary': {
        walk(e.left)
        const field = fieldOf(e.left)
        const unsafeField = field.startsWith('ka.') || field.startsWith('jevt.')
        if (unsafeField && ['==', '=', '!=', 'in', 'intersects', 'pmatch'].includes(e.op)) {
          if ((e.right.kind === 'value' && e.right.value === NO_VALUE) || (e.right.kind === 'list' && e.right.values.includes(NO_VALUE))) unsafeNa = true
        }
        return
      }
      case 'field':
        if (DEPRECATED_FIELDS[e.field]) deprecated.add(e.field)
        return
      case 'transformer':
        e.values.forEach(walk)
        return
      default:
        return
    }
  }
  walk(ast)
  return { unsafeNa, deprecated: [...deprecated].sort() }
}

function fieldExpr(field: string, ctx: Context, cache: CompileCache): Expr {
  try {
    return (parseCached(cache, field + ' exists', DEFAULT_DEPTH) as UnaryCheckExpr).left
  } catch {
    return fail('LOAD_ERR_VALIDATE', `'${field}' is not a supported filter field`, ctx)
  }
}

function valueExpr(text: string, lists: Map<string, CompiledList>, listOp: boolean, ctx: Context, cache: CompileCache): Expr {
  const probe = 'evt.num ' + (listOp ? 'in ' : '= ') + substituteLists(text, lists, cache)
  try {
    return (parseCached(cache, probe, DEFAULT_DEPTH) as BinaryCheckExpr).right
  } catch (e) {
    return fail('LOAD_ERR_COMPILE_CONDITION', (e as Error).message, ctx)
  }
}

/**
 * The exceptions of a rule as `not (...)` nodes. Values are assembled the way Falco
 * assembles their text (quoting, parentheses, list names) and each value alone is parsed,
 * so the result matches Falco's without re-parsing the rule's condition.
 */
function buildExceptions(exceptions: readonly ExceptionInfo[], lists: Map<string, CompiledList>, fields: Set<string>, cache: CompileCache): Expr[] {
  const out: Expr[] = []
  for (const ex of exceptions) {
    const pos = { idx: 0, line: 1, col: 1 }
    const f = ex.fields!
    const comps = ex.comps!
    const alternatives: Expr[] = []
    if (!f.isList) {
      if (ex.values.length === 0) continue
      const items: string[] = []
      for (const v of ex.values) {
        if (v.isList) fail('LOAD_ERR_VALIDATE', 'Expected values array to contain a list of strings', ex.ctx)
        items.push(quoteItem(v.item))
      }
      fields.add(f.item)
      const right = valueExpr('(' + items.join(', ') + ')', lists, true, ex.ctx, cache)
      alternatives.push({ kind: 'binary', left: fieldExpr(f.item, ex.ctx, cache), op: comps.item, right, pos })
    } else {
      for (const values of ex.values) {
        if (f.items.length !== values.items.length) fail('LOAD_ERR_VALIDATE', 'Fields and values lists must have equal length', ex.ctx)
        const checks: Expr[] = f.items.map((field, k) => {
          const op = comps.items[k]!.item
          const v = values.items[k]!
          let text: string
          if (v.isList) text = '(' + v.items.map((i) => quoteItem(i.item)).join(', ') + ')'
          else if (isListOperator(op)) text = v.item.startsWith('(') ? v.item : '(' + v.item + ')'
          else text = quoteItem(v.item)
          fields.add(field.item)
          const listOp = v.isList || isListOperator(op)
          return { kind: 'binary', left: fieldExpr(field.item, ex.ctx, cache), op, right: valueExpr(text, lists, listOp, ex.ctx, cache), pos }
        })
        alternatives.push(checks.length === 1 ? checks[0]! : { kind: 'and', children: checks, pos })
      }
    }
    if (alternatives.length === 0) continue
    out.push({ kind: 'not', child: alternatives.length === 1 ? alternatives[0]! : { kind: 'or', children: alternatives, pos }, pos })
  }
  return out
}

const UNKNOWN_MARKERS = ['nonexistent field', 'invalid formatting token', 'unknown event type', 'unknown filter:']
const isUnknownFieldError = (msg: string): boolean => UNKNOWN_MARKERS.some((m) => msg.includes(m))

export interface CompileConfig {
  readonly sources: ReadonlyMap<string, RuleSourceFields>
  readonly extraOutputs: readonly ExtraOutput[]
  /** The event-code count above which a syscall rule gets LOAD_NO_EVTTYPE (Falco: 100). */
  readonly maxEvttypes?: number
}

/** Compiles everything collected so far; problems land in `result` (the file just read). */
export function compileCollected(col: Collector, cfg: CompileConfig, result: LoadResult, cache: CompileCache = oneShot()): CompileOutput | undefined {
  const out: CompileOutput = { lists: new Map(), macros: new Map(), rules: [] }
  try {
    compileLists(col, out)
    checkLists(cache, out.lists)
    compileMacros(col, out, cache)
    compileRules(col, cfg, out, result, cache)
  } catch (e) {
    if (e instanceof RuleLoadError) {
      result.addError(e.code, e.message, e.ctx)
      return undefined
    }
    throw e
  }
  for (const m of out.macros.values()) {
    if (!m.used) result.addWarning('LOAD_UNUSED_MACRO', 'Macro not referred to by any other rule/macro', col.macros.get(m.name)!.ctx)
  }
  for (const l of out.lists.values()) {
    if (!l.used) result.addWarning('LOAD_UNUSED_LIST', 'List not referred to by any other rule/macro', col.lists.get(l.name)!.ctx)
  }
  return out
}

function compileLists(col: Collector, out: CompileOutput): void {
  const usedNames: string[] = []
  for (const list of col.lists.items) {
    const items: string[] = []
    for (const item of list.items) {
      // a list may name a list defined before it, whose items it takes
      const ref = col.lists.get(item)
      if (ref && ref.index < list.visibility) {
        usedNames.push(ref.name)
        items.push(...(out.lists.get(ref.name)?.items ?? ref.items))
      } else {
        items.push(item)
      }
    }
    out.lists.set(list.name, { name: list.name, items, used: false })
  }
  for (const n of usedNames) out.lists.get(n)!.used = true
}

function compileMacros(col: Collector, out: CompileOutput, cache: CompileCache): void {
  const texts = new Map<string, string>()
  for (const m of col.macros.items) {
    const { ast, text } = parseWithLists(m.cond, out.lists, m.condCtx, cache)
    out.macros.set(m.name, { name: m.name, condition: ast, used: false })
    texts.set(m.name, text)
  }
  for (const m of col.macros.items) {
    const visible = visibleMacros(col, out, m.visibility)
    const used = new Set<string>()
    const macro = out.macros.get(m.name)!
    macro.condition = inlineMacros(macro.condition, visible, texts.get(m.name)!, m.ctx, used, cache)
    for (const u of used) out.macros.get(u)!.used = true
  }
}

/** The macros a macro or rule compiled now can see: those defined before `visibility`. */
function visibleMacros(col: Collector, out: CompileOutput, visibility: number): MacroLookup {
  // a view, not a copy: building a map per macro made loading quadratic
  return {
    get: (name: string) => {
      const info = col.macros.get(name)
      return info !== undefined && info.index < visibility ? out.macros.get(name)?.condition : undefined
    },
  }
}

function compileRules(col: Collector, cfg: CompileConfig, out: CompileOutput, result: LoadResult, cache: CompileCache): void {
  const allMacros = visibleMacros(col, out, Number.MAX_SAFE_INTEGER)
  const maxEvttypes = cfg.maxEvttypes ?? 100
  for (const r of col.rules.items) {
    if (r.unknownSource) continue
    const source = cfg.sources.get(r.source) ?? fail('LOAD_ERR_VALIDATE', 'Unknown source at compile-time' + r.source, r.ctx)

    let output = r.output
    const extraFields = new Map<string, string>()
    for (const extra of cfg.extraOutputs) {
      if (extra.source !== '' && extra.source !== r.source) continue
      if (!extra.tags.every((t) => r.tags.has(t))) continue
      if (extra.rule !== '' && extra.rule !== r.name) continue
      if (extra.key === '') output += ' ' + extra.format
      else extraFields.set(extra.key, extra.format)
    }
    if (output.includes(CONTAINER_INFO)) {
      result.addWarning(
        'LOAD_DEPRECATED_ITEM',
        '%container.info is deprecated and no more useful, and will be dropped by Falco 1.0.0. The container plugin will automatically add required fields to the output message.',
        r.ctx,
      )
      output = output.split(CONTAINER_INFO).join('')
    }

    const ruleKey = r.source + '\0' + r.name
    let formatter: CompiledOutput<unknown>
    try {
      formatter = outputCached(cache, ruleKey, output, source.resolver)
    } catch (e) {
      const msg = (e as Error).message
      if (isUnknownFieldError(msg) && r.skipIfUnknownFilter) {
        result.addWarning('LOAD_UNKNOWN_FILTER', msg, r.outputCtx)
        continue
      }
      fail('LOAD_ERR_COMPILE_OUTPUT', msg, r.outputCtx)
    }
    warnDeprecatedOutput(output, r.outputCtx, result)
    const extraFormatters = new Map<string, CompiledOutput<unknown>>()
    for (const [key, fmt] of extraFields) {
      try {
        extraFormatters.set(key, outputCached(cache, ruleKey + '\0' + key, fmt, source.resolver))
      } catch (e) {
        fail('LOAD_ERR_COMPILE_OUTPUT', (e as Error).message, r.outputCtx)
      }
      warnDeprecatedOutput(fmt, r.outputCtx, result)
    }

    const { ast: parsed, text } = parseWithLists(r.cond, out.lists, r.condCtx, cache)
    const used = new Set<string>()
    let condition = inlineMacros(parsed, allMacros, text, r.ctx, used, cache)
    for (const u of used) out.macros.get(u)!.used = true
    const exceptionFields = new Set<string>()
    const exceptions = buildExceptions(r.exceptions, out.lists, exceptionFields, cache)
    if (exceptions.length > 0) condition = { kind: 'and', children: [condition, ...exceptions], pos: condition.pos }
    // the same condition as in an earlier compilation: the same warnings, closures and types
    const hit = cache.filters.get(ruleKey)
    const same = hit !== undefined && sameTree(hit.condition, condition) ? hit : undefined
    const condWarnings = same !== undefined ? same.condWarnings : conditionWarnings(condition)
    warnCondition(condWarnings, text, r.condCtx, result)

    let filter: (ev: unknown) => boolean
    let evttypes: ReadonlySet<number> | 'all'
    try {
      if (same !== undefined) {
        filter = same.filter
        for (const w of same.warnings) result.addWarning('LOAD_COMPILE_CONDITION', w.message, r.condCtx.inCondition(w.pos, text))
        evttypes = same.evttypes
      } else {
        const warnings: CompileWarning[] = []
        filter = compileFilter(condition, source.resolver, { warnings, shared: sharedChecks(cache, r.source, source.resolver) })
        for (const w of warnings) result.addWarning('LOAD_COMPILE_CONDITION', w.message, r.condCtx.inCondition(w.pos, text))
        evttypes = r.source === 'syscall' ? eventTypesOf(condition) : 'all'
        cache.filters.set(ruleKey, { condition, condWarnings, filter, warnings, evttypes })
      }
    } catch (e) {
      const err = e as { message: string; pos?: Pos }
      const ctx = r.condCtx.inCondition(err.pos ?? condition.pos, text)
      if (isUnknownFieldError(err.message) && r.skipIfUnknownFilter) {
        result.addWarning('LOAD_UNKNOWN_FILTER', err.message, ctx)
        continue
      }
      fail('LOAD_ERR_COMPILE_CONDITION', err.message, ctx)
    }
    if (r.source === 'syscall' && r.warnEvttypes && (evttypes! === 'all' || evttypes!.size > maxEvttypes)) {
      result.addWarning('LOAD_NO_EVTTYPE', 'Rule matches too many evt.type values. This has a significant performance penalty.', r.ctx)
    }
    out.rules.push({
      id: out.rules.length,
      name: r.name,
      source: r.source,
      description: r.desc,
      priority: r.priority,
      tags: [...r.tags].sort(),
      output,
      formatter: formatter!,
      extraFields: extraFormatters,
      condition,
      filter: filter!,
      evttypes: evttypes!,
      capture: r.capture,
      captureDuration: r.captureDuration,
      exceptionFields: [...exceptionFields].sort(),
      info: r,
    })
  }
}

/** compileOutput, reused for the same rule and format (formats are made per rule: they may hold state). */
function outputCached(cache: CompileCache, key: string, format: string, resolver: FieldResolver<unknown>): CompiledOutput<unknown> {
  const k = key + '\0' + format
  let got = cache.outputs.get(k)
  if (got === undefined) {
    got = compileOutput(format, resolver)
    cache.outputs.set(k, got)
  }
  return got
}

function warnDeprecatedOutput(fmt: string, ctx: Context, result: LoadResult): void {
  for (const f of Object.keys(DEPRECATED_FIELDS)) {
    if (fmt.includes(f)) result.addWarning('LOAD_DEPRECATED_ITEM', `usage of deprecated field '${f}' has been detected in the rule output`, ctx)
  }
}

