// `-L` / `-l <rule>`: what the loaded rules are, in the shape of Falco's describe_rule JSON
// (info as written, details as compiled), and the two-column text Falco prints from it.
import type { Expr } from '../filter/ast.js'
import { parseCondition } from '../filter/parser.js'
import { exprPrinter } from '../filter/print.js'
import { EVENTS, PPME } from '../events/table.js'
import { PRIORITIES } from '../rules/infos.js'
import type { CompiledRule } from '../rules/compiler.js'
import { versionString } from '../rules/versions.js'
import type { Engine } from './engine.js'

interface Details {
  fields: Set<string>
  macros: Set<string>
  operators: Set<string>
  lists: Set<string>
  evtnames: Set<string>
}

/** Falco's filter_details_resolver: the names a condition uses. */
function conditionDetails(e: Expr, knownMacros: ReadonlySet<string>, knownLists: ReadonlySet<string>): Details {
  const d: Details = { fields: new Set(), macros: new Set(), operators: new Set(), lists: new Set(), evtnames: new Set() }
  const fieldName = (x: Expr): string => (x.kind === 'field' ? (x.arg ? `${x.field}[${x.arg}]` : x.field) : '')
  const walk = (x: Expr, expectEvt = false, expectList = false): void => {
    switch (x.kind) {
      case 'and':
      case 'or':
        x.children.forEach((c) => walk(c))
        return
      case 'not':
        walk(x.child)
        return
      case 'identifier':
        if (knownMacros.has(x.name)) d.macros.add(x.name)
        return
      case 'field':
        d.fields.add(fieldName(x))
        return
      case 'transformer':
        x.values.forEach((v) => walk(v))
        return
      case 'transformer_list':
        x.children.forEach((v) => walk(v))
        return
      case 'unary':
        walk(x.left)
        d.operators.add(x.op)
        return
      case 'binary': {
        walk(x.left)
        d.operators.add(x.op)
        const name = x.left.kind === 'field' ? x.left.field : ''
        walk(x.right, name === 'evt.type' || name === 'evt.asynctype', true)
        return
      }
      case 'list':
        for (const v of x.values) {
          if (expectList && knownLists.has(v)) d.lists.add(v)
          if (expectEvt && !knownLists.has(v)) d.evtnames.add(v)
        }
        return
      case 'value':
        if (expectEvt) d.evtnames.add(x.value)
        return
    }
  }
  walk(e)
  return d
}

const sorted = (s: Iterable<string>): string[] => [...s].sort()

/** Every event name, sorted: what each macro and each rule for all events lists. */
let allEventNames: string[] | undefined

function eventNames(evttypes: ReadonlySet<number> | 'all'): string[] {
  if (evttypes === 'all') return (allEventNames ??= namesOf(EVENTS.map((e) => e.code)))
  return namesOf([...evttypes, PPME.ASYNCEVENT_E])
}

function namesOf(codes: readonly number[]): string[] {
  const names = new Set<string>()
  for (const c of codes) {
    const ev = EVENTS[c]
    if (ev && ev.name !== 'NA') names.add(ev.name)
  }
  return sorted(names)
}

function safeParse(text: string): Expr | undefined {
  try {
    return parseCondition(text)
  } catch {
    return undefined
  }
}

function ruleDetails(engine: Engine, rule: CompiledRule, knownMacros: Set<string>, knownLists: Set<string>, printExpr: (e: Expr) => string): object {
  const info = rule.info
  const written = safeParse(info.cond)
  const asWritten = written ? conditionDetails(written, knownMacros, knownLists) : undefined
  const compiled = conditionDetails(rule.condition, knownMacros, knownLists)
  const names = new Set<string>()
  const ops = new Set<string>()
  for (const e of info.exceptions) {
    names.add(e.name)
    const comps = e.comps
    if (!comps) continue
    if (comps.isList) for (const c of comps.items) (c.isList ? c.items : [c]).forEach((i) => ops.add(i.item))
    else ops.add(comps.item)
  }
  const outputFields = [...rule.extraFields.values()].map((f) => f.format).concat(rule.formatter.fieldNames)
  return {
    info: {
      name: rule.name,
      condition: info.cond,
      priority: PRIORITIES[rule.priority],
      output: info.output,
      description: rule.description,
      enabled: engine.ruleset(rule.source)?.enabledRules.includes(rule) ?? info.enabled,
      source: rule.source,
      capture: rule.capture,
      capture_duration: rule.captureDuration,
      tags: rule.tags,
    },
    details: {
      macros: sorted(asWritten?.macros ?? []),
      lists: sorted(asWritten?.lists ?? []),
      condition_operators: sorted(compiled.operators),
      condition_fields: sorted(compiled.fields),
      output_fields: outputFields,
      exception_fields: rule.exceptionFields,
      exception_names: sorted(names),
      exception_operators: sorted(ops),
      events: rule.source === 'syscall' ? eventNames(rule.evttypes) : ['asyncevent', 'pluginevent'],
      condition_compiled: printExpr(rule.condition),
      output_compiled: rule.output,
      plugins: [],
    },
  }
}

/** The JSON Falco prints for -L (all rules, macros, lists) or -l NAME; a string is an error. */
export function describeRules(engine: Engine, ruleName?: string): Record<string, unknown> | string {
  const compiled = engine.loader.compiled
  const knownMacros = new Set(compiled.macros.keys())
  const knownLists = new Set(compiled.lists.keys())
  if (ruleName !== undefined) {
    const rule = compiled.rules.find((r) => r.name === ruleName)
    if (!rule) return `Rule "${ruleName}" is not loaded`
    return { rules: [ruleDetails(engine, rule, knownMacros, knownLists, exprPrinter())] }
  }
  const req = engine.loader.requiredEngineVersion
  const printExpr = exprPrinter()
  return {
    required_engine_version: req ? versionString(req) : '0.0.0',
    required_plugin_versions: engine.loader.requiredPluginVersions.map((alts) => ({
      name: alts[0]!.name,
      version: alts[0]!.version,
      alternatives: alts.slice(1).map((a) => ({ name: a.name, version: a.version })),
    })),
    rules: compiled.rules.map((r) => ruleDetails(engine, r, knownMacros, knownLists, printExpr)),
    macros: [...compiled.macros.values()].map((m) => {
      const cond = engine.loader.macroText(m.name)
      const written = safeParse(cond)
      const asWritten = written ? conditionDetails(written, knownMacros, knownLists) : undefined
      const c = conditionDetails(m.condition, knownMacros, knownLists)
      return {
        info: { name: m.name, condition: cond },
        details: {
          used: m.used,
          macros: sorted(asWritten?.macros ?? []),
          lists: sorted(asWritten?.lists ?? []),
          condition_operators: sorted(c.operators),
          condition_fields: sorted(c.fields),
          events: eventNames('all'),
          condition_compiled: printExpr(m.condition),
          plugins: [],
        },
      }
    }),
    lists: [...compiled.lists.values()].map((l) => {
      const written = engine.loader.listItems(l.name)
      return {
        info: { name: l.name, items: written.filter((i) => l.items.includes(i)) },
        details: { used: l.used, lists: sorted(written.filter((i) => !l.items.includes(i))), items_compiled: l.items, plugins: [] },
      }
    }),
  }
}

/** Falco's wrap_text: words joined by one space, new lines indented to `indent`. */
function wrapText(text: string, indent: number, lineLen: number): string {
  let out = ''
  let len = 0
  for (const word of text.split(/\s+/).filter((w) => w !== '')) {
    if (len + word.length + 1 <= lineLen - indent) len += word.length + 1
    else {
      out += '\n' + ' '.repeat(indent)
      len = word.length + 1
    }
    out += word + ' '
  }
  return out
}

export function formatDescribedRulesAsText(described: Record<string, unknown>): string {
  const col = (l: string, r: string): string => l.padEnd(50) + ' ' + r + '\n'
  let s = col('Rule', 'Description') + col('----', '-----------')
  for (const r of described.rules as { info: { name: string; description: string } }[]) {
    s += col(r.info.name, wrapText(r.info.description, 51, 110) + '\n')
  }
  return s
}
