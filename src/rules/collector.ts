// Stage two of loading: items in file order, with Falco's semantics for redefinition,
// append, selective replace and the standalone `enabled` key. Each item remembers its
// index (where it was first defined) and visibility (when it last changed), which decide
// what a list or macro can see when it is compiled.
import { isOperator, isOperatorWithModifier } from '../filter/operators.js'
import { Context, RuleLoadError } from './load-result.js'
import type { LoadResult } from './load-result.js'
import { compareVersions, parseVersion, versionString } from './versions.js'
import type { Version } from './versions.js'
import type { ExceptionEntry, ExceptionInfo, ListInfo, MacroInfo, RuleInfo, RuleUpdate } from './infos.js'

/** What the loader needs to know about an event source. */
export interface RuleSource {
  readonly name: string
  isValidField(name: string): boolean
}

export interface PluginRequirement {
  name: string
  version: string
}

const fail = (msg: string, ctx: Context): never => {
  throw new RuleLoadError('LOAD_ERR_VALIDATE', msg, ctx)
}

const ERR_NO_PREVIOUS_MACRO = "Macro uses 'append' or 'override.condition: append' but no macro by that name already exists"
const ERR_NO_PREVIOUS_LIST = "List uses 'append' or 'override.items: append' but no list by that name already exists"
const ERR_NO_PREVIOUS_RULE_APPEND = "Rule uses 'append' or 'override.<key>: append' but no rule by that name already exists"
const ERR_NO_PREVIOUS_RULE_REPLACE = "An 'override.<key>: replace' to a rule was requested but no rule by that name already exists"

/** An ordered name → item table where redefinition keeps the first position. */
class Indexed<T extends { name: string; index: number; visibility: number }> {
  readonly items: T[] = []
  private readonly byName = new Map<string, T>()

  get(name: string): T | undefined {
    return this.byName.get(name)
  }

  define(info: T, id: number): void {
    const prev = this.byName.get(name(info))
    info.visibility = id
    if (prev) {
      info.index = prev.index
      this.items[this.items.indexOf(prev)] = info
    } else {
      info.index = id
      this.items.push(info)
    }
    this.byName.set(info.name, info)
  }
}
const name = (i: { name: string }): string => i.name

export class Collector {
  readonly lists = new Indexed<ListInfo>()
  readonly macros = new Indexed<MacroInfo>()
  readonly rules = new Indexed<RuleInfo>()
  readonly requiredPluginVersions: PluginRequirement[][] = []
  requiredEngineVersion: Version | undefined
  private nextId = 0

  constructor(
    private readonly engineVersion: Version,
    private readonly sources: ReadonlyMap<string, RuleSource>,
  ) {}

  requireEngineVersion(v: Version, ctx: Context): void {
    if (v.major !== this.engineVersion.major || compareVersions(this.engineVersion, v) < 0) {
      fail(`Rules require engine version ${versionString(v)}, but engine version is ${versionString(this.engineVersion)}`, ctx)
    }
    if (!this.requiredEngineVersion || compareVersions(this.requiredEngineVersion, v) < 0) this.requiredEngineVersion = v
  }

  requirePlugins(alternatives: PluginRequirement[], ctx: Context): void {
    const seen = new Set<string>()
    for (const req of alternatives) {
      if (!parseVersion(req.version)) fail(`Invalid required version '${req.version}' for plugin '${req.name}'`, ctx)
      if (seen.has(req.name)) fail(`Defined multiple alternative version requirements for plugin '${req.name}'`, ctx)
      seen.add(req.name)
    }
    this.requiredPluginVersions.push(alternatives)
  }

  defineList(info: ListInfo): void {
    this.lists.define(info, this.nextId++)
  }

  appendList(info: ListInfo): void {
    const prev = this.lists.get(info.name) ?? fail(ERR_NO_PREVIOUS_LIST, info.ctx)
    prev.items.push(...info.items)
    prev.visibility = this.nextId++
  }

  defineMacro(info: MacroInfo): void {
    this.macros.define(info, this.nextId++)
  }

  appendMacro(info: MacroInfo): void {
    const prev = this.macros.get(info.name) ?? fail(ERR_NO_PREVIOUS_MACRO, info.ctx)
    prev.cond += ' ' + info.cond
    prev.visibility = this.nextId++
  }

  defineRule(info: RuleInfo, result: LoadResult): void {
    this.findPrevRule(info.name, info.source, info.ctx)
    const source = this.sources.get(info.source)
    if (!source) {
      info.unknownSource = true
      result.addWarning('LOAD_UNKNOWN_SOURCE', `Unknown source ${info.source}, skipping`, info.ctx)
    }
    for (const ex of info.exceptions) {
      if (!ex.fields) fail('Rule exception item must have fields property with a list of fields', ex.ctx)
      validateException(source, ex)
    }
    this.rules.define(info, this.nextId++)
  }

  appendRule(upd: RuleUpdate): void {
    const prev = this.findPrevRule(upd.name, upd.source, upd.ctx) ?? fail(ERR_NO_PREVIOUS_RULE_APPEND, upd.ctx)
    if (!hasAnyValue(upd)) fail('Appended rule must have exceptions or condition property', upd.ctx)
    const source = this.knownSourceOf(prev, upd.ctx)
    if (upd.cond) prev.cond += ' ' + upd.cond
    if (upd.output) prev.output += ' ' + upd.output
    if (upd.desc) prev.desc += ' ' + upd.desc
    if (upd.tags) for (const t of upd.tags) prev.tags.add(t)
    for (const ex of upd.exceptions ?? []) {
      const prevEx = prev.exceptions.find((e) => e.name === ex.name)
      if (!prevEx) {
        if (!ex.fields) fail('Rule exception must have fields property with a list of fields', ex.ctx)
        if (ex.values.length === 0) fail('Rule exception must have values property with a list of values', ex.ctx)
        validateException(source, ex)
        prev.exceptions.push(ex)
      } else {
        if (ex.fields) fail('Can not append exception fields to existing exception, only values', ex.ctx)
        if (ex.comps) fail('Can not append exception comps to existing exception, only values', ex.ctx)
        prevEx.values.push(...ex.values)
      }
    }
    prev.visibility = this.nextId++
  }

  replaceRule(upd: RuleUpdate): void {
    const prev = this.findPrevRule(upd.name, upd.source, upd.ctx) ?? fail(ERR_NO_PREVIOUS_RULE_REPLACE, upd.ctx)
    if (!hasAnyValue(upd)) fail('The rule must have at least one field that can be replaced', upd.ctx)
    this.knownSourceOf(prev, upd.ctx)
    if (upd.cond !== undefined) prev.cond = upd.cond
    if (upd.output !== undefined) prev.output = upd.output
    if (upd.desc !== undefined) prev.desc = upd.desc
    if (upd.tags !== undefined) prev.tags = upd.tags
    if (upd.exceptions !== undefined) prev.exceptions = upd.exceptions
    if (upd.priority !== undefined) prev.priority = upd.priority
    if (upd.capture !== undefined) prev.capture = upd.capture
    if (upd.captureDuration !== undefined) prev.captureDuration = upd.captureDuration
    if (upd.enabled !== undefined) prev.enabled = upd.enabled
    if (upd.warnEvttypes !== undefined) prev.warnEvttypes = upd.warnEvttypes
    if (upd.skipIfUnknownFilter !== undefined) prev.skipIfUnknownFilter = upd.skipIfUnknownFilter
    prev.visibility = this.nextId++
  }

  enableRule(name: string, enabled: boolean, ctx: Context): void {
    const prev = this.rules.get(name) ?? fail("Rule has 'enabled' key but no rule by that name already exists", ctx)
    prev.enabled = enabled
  }

  private findPrevRule(name: string, source: string, ctx: Context): RuleInfo | undefined {
    const prev = this.rules.get(name)
    if (prev && prev.source !== '' && source !== '' && prev.source !== source) {
      fail('Rule has been re-defined with a different source', ctx)
    }
    return prev
  }

  private knownSourceOf(prev: RuleInfo, ctx: Context): RuleSource | undefined {
    if (prev.unknownSource) return undefined
    return this.sources.get(prev.source) ?? fail('Unknown source ' + prev.source, ctx)
  }
}

function hasAnyValue(u: RuleUpdate): boolean {
  return (
    u.cond !== undefined || u.output !== undefined || u.desc !== undefined || u.tags !== undefined ||
    u.exceptions !== undefined || u.priority !== undefined || u.capture !== undefined ||
    u.captureDuration !== undefined || u.enabled !== undefined || u.warnEvttypes !== undefined ||
    u.skipIfUnknownFilter !== undefined
  )
}

const entry = (item: string): ExceptionEntry => ({ isList: false, item, items: [] })

/** Fills default comps and checks fields and comps, as Falco's collector does. */
function validateException(source: RuleSource | undefined, ex: ExceptionInfo): void {
  const fields = ex.fields!
  if (fields.isList) {
    if (!ex.comps) ex.comps = { isList: true, item: '', items: fields.items.map(() => entry('=')) }
    if (fields.items.length !== ex.comps.items.length) fail('Fields and comps lists must have equal length', ex.ctx)
    for (const c of ex.comps.items) {
      c.item = c.item.trim()
      if (!isOperator(c.item) && !isOperatorWithModifier(c.item)) fail(`'${c.item}' is not a supported comparison operator`, ex.ctx)
    }
    if (source) {
      for (const f of fields.items) if (!source.isValidField(f.item)) fail(`'${f.item}' is not a supported filter field`, ex.ctx)
    }
  } else {
    if (!ex.comps) ex.comps = entry('in')
    if (ex.comps.isList) fail('Fields and comps must both be strings', ex.ctx)
    ex.comps.item = ex.comps.item.trim()
    const c = ex.comps.item
    if (c !== 'in' && c !== 'pmatch' && c !== 'intersects' && !isOperatorWithModifier(c)) {
      fail('When fields is a single value, comps must be one of (in, pmatch, intersects) or a modifier operator (e.g. startswith oneof)', ex.ctx)
    }
    if (source && !source.isValidField(fields.item)) fail(`'${fields.item}' is not a supported filter field`, ex.ctx)
  }
}
