// Stage one of loading: the YAML text of one rules file into collector calls, with the
// checks and messages of Falco's rule_loader_reader. A structural problem stops the file
// (LOAD_ERR_YAML_VALIDATE); what was collected before it stays collected.
import { Context, RuleLoadError } from './load-result.js'
import type { ItemType, LoadResult } from './load-result.js'
import { parseVersion } from './versions.js'
import type { Collector, PluginRequirement } from './collector.js'
import { parsePriority } from './infos.js'
import type { ExceptionEntry, ExceptionInfo, RuleInfo, RuleUpdate } from './infos.js'
import { NOT_AN_OBJECT, SchemaCheckAbort, schemaStatus } from './schema.js'
import { YamlError, YamlFile } from './yaml-node.js'
import type { Y } from './yaml-node.js'

const RGX_IDENTIFIER = '([a-zA-Z]+[a-zA-Z0-9_]*)'
const RGX_BARESTR = '([^()"\'[:space:]=,]+)'
const IDENTIFIER = /^[a-zA-Z]+[a-zA-Z0-9_]*$/
const BARESTR = /^[^()"'\s=,]+$/

const WARNING_APPEND = "'append' key is deprecated. Add an 'append' entry (e.g. 'condition: append') under 'override' instead."
const WARNING_ENABLED =
  "The standalone 'enabled' key usage is deprecated. The correct approach requires also a 'replace' entry under the 'override' key (i.e. 'enabled: replace')."
const ERROR_OVERRIDE_APPEND =
  "Keys 'override' and 'append: true' cannot be used together. Add an 'append' entry (e.g. 'condition: append') under 'override' instead."

const RULE_APPENDABLE = ['condition', 'output', 'desc', 'tags', 'exceptions']
const RULE_REPLACEABLE = ['condition', 'output', 'desc', 'priority', 'capture', 'capture_duration', 'tags', 'exceptions', 'enabled', 'warn_evttypes', 'skip-if-unknown-filter']
const RULE_KEYS = new Set(['rule', 'condition', 'output', 'desc', 'priority', 'source', 'enabled', 'capture', 'capture_duration', 'warn_evttypes', 'skip-if-unknown-filter', 'tags', 'exceptions', 'override', 'append'])

const invalid = (msg: string, ctx: Context): never => {
  throw new RuleLoadError('LOAD_ERR_YAML_VALIDATE', msg, ctx)
}

const at = (node: Y, type: ItemType, name: string, parent: Context): Context => parent.childAt(node.positions, node.offset, type, name)

type Decoder<T> = (s: string) => T | undefined
const asString: Decoder<string> = (s) => s
const asBool: Decoder<boolean> = (s) => {
  // yaml-cpp's boolean spellings
  if (/^(y|Y|yes|Yes|YES|true|True|TRUE|on|On|ON)$/.test(s)) return true
  if (/^(n|N|no|No|NO|false|False|FALSE|off|Off|OFF)$/.test(s)) return false
  return undefined
}
const asUint: Decoder<number> = (s) => (/^\+?\d+$/.test(s.trim()) && Number(s) <= 0xffffffff ? Number(s) : undefined)
const asUint64: Decoder<number> = (s) => (/^\+?\d+$/.test(s.trim()) ? Number(s) : undefined)

/** yaml-cpp's decode of one key, with Falco's messages; `undefined` when optional and absent. */
function decodeVal<T>(item: Y, key: string, dec: Decoder<T>, ctx: Context, optional: boolean, canBeEmpty = false): T | undefined {
  const val = item.get(key)
  if (!val.isDefined) {
    if (optional) return undefined
    invalid(`Item has no mapping for key '${key}'`, ctx)
  }
  if (val.isNull) {
    if (canBeEmpty) return undefined
    invalid(`Mapping for key '${key}' is empty`, ctx)
  }
  const valctx = at(val, 'value for', key, ctx)
  if (!val.isScalar) invalid('Value is not a scalar value', valctx)
  const s = val.scalar
  if (s === '') {
    if (canBeEmpty) return undefined
    invalid('Value must be non-empty', valctx)
  }
  const out = dec(s)
  return out === undefined ? invalid("Can't decode YAML scalar value", valctx) : out
}
const required = <T>(item: Y, key: string, dec: Decoder<T>, ctx: Context): T => decodeVal(item, key, dec, ctx, false) as T

function decodeSeq(item: Y, key: string, ctx: Context, optional: boolean): string[] | undefined {
  const val = item.get(key)
  if (!val.isDefined) {
    if (optional) return undefined
    invalid(`Item has no mapping for key '${key}'`, ctx)
  }
  const valctx = at(val, 'value for', key, ctx)
  if (!val.isSequence) invalid('Value is not a sequence', valctx)
  return val.items().map((v) => {
    if (!v.isScalar) invalid('sequence value is not scalar', at(v, 'list item', '', valctx))
    return v.scalar
  })
}

function decodeTags(item: Y, ctx: Context): Set<string> | undefined {
  const tags = decodeSeq(item, 'tags', ctx, true)
  return tags === undefined ? undefined : new Set(tags)
}

/** Reads `override:` into the keys to append and to replace. */
function decodeOverrides(item: Y, appendable: readonly string[], replaceable: readonly string[], ctx: Context): { append: Set<string>; replace: Set<string> } {
  const append = new Set<string>()
  const replace = new Set<string>()
  const val = item.get('override')
  if (!val.isDefined) return { append, replace }
  const octx = at(item, 'overrides', '', ctx)
  for (const { key, pos, value } of val.keys()) {
    const op = value.scalar
    const canAppend = appendable.includes(key)
    const canReplace = replaceable.includes(key)
    const keyctx = octx.child(pos, 'overrides', key)
    if (op === 'append') {
      if (!canAppend) invalid(`Key '${key}' cannot be appended to, use 'replace' instead`, keyctx)
      append.add(key)
    } else if (op === 'replace') {
      if (!canReplace) invalid(`Key '${key}' cannot be replaced`, keyctx)
      replace.add(key)
    } else {
      const allowed = (canAppend ? 'append ' : '') + (canReplace ? 'replace ' : '')
      invalid(`Invalid override operation for key '${key}': '${op}'. Allowed values are: ${allowed}`, at(value, 'value for', key, octx))
    }
  }
  return { append, replace }
}

function decodeExceptionEntry(val: Y, key: string, ctx: Context, optional: boolean): ExceptionEntry | undefined {
  if (!val.isDefined) {
    if (optional) return undefined
    invalid(`Item has no mapping for key '${key}'`, ctx)
  }
  const valctx = at(val, 'value for', key, ctx)
  if (val.isScalar) {
    if (val.scalar === '') invalid('Value must be non-empty', valctx)
    return { isList: false, item: val.scalar, items: [] }
  }
  if (val.isSequence) {
    const items = val.items().map((v) => decodeExceptionEntry(v, '', at(v, 'exception', '', valctx), false)!)
    return { isList: true, item: '', items }
  }
  // yaml-cpp leaves such an entry "not valid"; Falco reports it later as missing.
  return undefined
}

function readExceptions(item: Y, parent: Context, append: boolean, result: LoadResult): ExceptionInfo[] {
  const exs = item.get('exceptions')
  const out: ExceptionInfo[] = []
  if (!exs.isDefined || exs.isNull) return out
  const exesCtx = at(exs, 'exceptions', '', parent)
  if (!exs.isSequence) invalid('Rule exceptions must be a sequence', exesCtx)
  for (const ex of exs.items()) {
    const tmp = at(ex, 'exception', '', exesCtx)
    if (!ex.isMap) invalid('Rule exception must be a mapping', tmp)
    const name = required(ex, 'name', asString, tmp)
    const exCtx = at(ex, 'exception', name, parent)
    if (out.some((e) => e.name === name)) {
      result.addWarning('LOAD_EXCEPTION_NAME_NOT_UNIQUE', `Multiple definitions of exception '${name}' in the same rule`, exCtx)
    }
    const info: ExceptionInfo = {
      name,
      fields: decodeExceptionEntry(ex.get('fields'), 'fields', exCtx, append),
      comps: decodeExceptionEntry(ex.get('comps'), 'comps', exCtx, true),
      values: [],
      ctx: exCtx,
    }
    const vals = ex.get('values')
    if (vals.isDefined) {
      const valsCtx = at(vals, 'exception values', '', exCtx)
      if (!vals.isSequence) invalid('Rule exception values must be a sequence', valsCtx)
      for (const v of vals.items()) {
        const vctx = at(v, 'exception value', '', valsCtx)
        const e = decodeExceptionEntry(v, '', vctx, false)
        if (e) info.values.push(e)
      }
    } else if (append) {
      result.addWarning('LOAD_APPEND_NO_VALUES', 'Overriding/appending exception with no values', exCtx)
    }
    out.push(info)
  }
  return out
}

function warnUnknownKeys(item: Y, expected: ReadonlySet<string>, result: LoadResult, ctx: Context): void {
  for (const { key } of item.keys()) {
    if (!expected.has(key)) result.addWarning('LOAD_UNKNOWN_KEY', `Unknown key '${key}'. The key will be ignored.`, ctx)
  }
}

function readItem(item: Y, parent: Context, col: Collector, result: LoadResult): void {
  if (!item.isMap) invalid('Unexpected element type. Each element should be a yaml associative array.', at(item, 'rules content item', '', parent))

  if (item.get('required_engine_version').isDefined) {
    const ctx = at(item, 'required_engine_version', '', parent)
    const text = required(item, 'required_engine_version', asString, ctx)
    const minor = asUint(text)
    const v = minor !== undefined ? { major: 0, minor, patch: 0 } : parseVersion(text)
    if (!v) invalid(`Unable to parse engine version '${text}' as a semver string. Expected "x.y.z" semver format.`, ctx)
    col.requireEngineVersion(v!, ctx)
    warnUnknownKeys(item, new Set(['required_engine_version']), result, ctx)
  } else if (item.get('required_plugin_versions').isDefined) {
    readPluginVersions(item, parent, col, result)
  } else if (item.get('list').isDefined) {
    const name = required(item, 'list', asString, at(item, 'list', '', parent))
    const ctx = at(item, 'list', name, parent)
    if (!BARESTR.test(name)) {
      result.addWarning('LOAD_INVALID_LIST_NAME', 'List has an invalid name. List names should match a regular expression: ' + RGX_BARESTR, ctx)
    }
    const items = decodeSeq(item, 'items', ctx, false)!
    const append = decodeVal(item, 'append', asBool, ctx, true) ?? false
    if (append) result.addWarning('LOAD_DEPRECATED_ITEM', WARNING_APPEND, ctx)
    const ov = decodeOverrides(item, ['items'], ['items'], ctx)
    if (append && ov.append.size + ov.replace.size > 0) invalid(ERROR_OVERRIDE_APPEND, ctx)
    const info = { name, items, ctx, index: 0, visibility: 0 }
    if (append || ov.append.has('items')) col.appendList(info)
    else col.defineList(info)
    warnUnknownKeys(item, new Set(['list', 'items', 'append', 'override']), result, ctx)
  } else if (item.get('macro').isDefined) {
    const name = required(item, 'macro', asString, at(item, 'macro', '', parent))
    const ctx = at(item, 'macro', name, parent)
    if (!IDENTIFIER.test(name)) {
      result.addWarning('LOAD_INVALID_MACRO_NAME', 'Macro has an invalid name. Macro names should match a regular expression: ' + RGX_IDENTIFIER, ctx)
    }
    const cond = required(item, 'condition', asString, ctx)
    const condCtx = at(item.get('condition'), 'macro condition', '', ctx)
    const append = decodeVal(item, 'append', asBool, ctx, true) ?? false
    if (append) result.addWarning('LOAD_DEPRECATED_ITEM', WARNING_APPEND, ctx)
    const ov = decodeOverrides(item, ['condition'], ['condition'], ctx)
    if (append && ov.append.size + ov.replace.size > 0) invalid(ERROR_OVERRIDE_APPEND, ctx)
    const info = { name, cond, ctx, condCtx, index: 0, visibility: 0 }
    if (append || ov.append.has('condition')) col.appendMacro(info)
    else col.defineMacro(info)
    warnUnknownKeys(item, new Set(['macro', 'condition', 'append', 'override']), result, ctx)
  } else if (item.get('rule').isDefined) {
    readRule(item, parent, col, result)
  } else {
    result.addWarning('LOAD_UNKNOWN_ITEM', 'Unknown top level item', at(item, 'rules content item', '', parent))
  }
}

function readPluginVersions(item: Y, parent: Context, col: Collector, result: LoadResult): void {
  const reqs = item.get('required_plugin_versions')
  const ctx = at(reqs, 'required plugin versions', '', parent)
  if (!reqs.isSequence) invalid('Value of required_plugin_versions must be a sequence', ctx)
  for (const plugin of reqs.items()) {
    const tmp = at(plugin, 'required plugin versions entry', '', ctx)
    if (!plugin.isMap) invalid('Plugin version must be a mapping', tmp)
    const name = required(plugin, 'name', asString, tmp)
    const pctx = at(plugin, 'required plugin versions entry', name, ctx)
    const alternatives: PluginRequirement[] = [{ name, version: required(plugin, 'version', asString, pctx) }]
    const alts = plugin.get('alternatives')
    if (alts.isDefined) {
      if (!alts.isSequence) invalid('Value of plugin version alternatives must be a sequence', pctx)
      for (const req of alts.items()) {
        const actx = at(req, 'required plugin versions alternative', '', pctx)
        if (!req.isMap) invalid('Plugin version alternative must be a mapping', actx)
        const altName = required(req, 'name', asString, actx)
        alternatives.push({ name: altName, version: required(req, 'version', asString, at(req, 'required plugin versions alternative', altName, pctx)) })
      }
    }
    col.requirePlugins(alternatives, pctx)
  }
  warnUnknownKeys(item, new Set(['required_plugin_versions']), result, at(item, 'required plugin versions', '', parent))
}

function readRule(item: Y, parent: Context, col: Collector, result: LoadResult): void {
  const name = required(item, 'rule', asString, at(item, 'rule', '', parent))
  const ctx = at(item, 'rule', name, parent)
  const source = decodeVal(item, 'source', asString, ctx, true, true) ?? ''
  const hasAppendFlag = decodeVal(item, 'append', asBool, ctx, true) ?? false
  if (hasAppendFlag) result.addWarning('LOAD_DEPRECATED_ITEM', WARNING_APPEND, ctx)
  const ov = decodeOverrides(item, RULE_APPENDABLE, RULE_REPLACEABLE, ctx)
  const hasOverrides = ov.append.size + ov.replace.size > 0
  if (hasAppendFlag && hasOverrides) invalid(ERROR_OVERRIDE_APPEND, ctx)

  if (hasOverrides) {
    // every overridable key present in the item must be claimed by an override entry
    const expected = new Set([...RULE_APPENDABLE, ...RULE_REPLACEABLE].filter((k) => item.get(k).isDefined))
    const claim = (ops: Set<string>, kind: string, key: string): boolean => {
      if (!ops.has(key)) return false
      if (!expected.has(key)) invalid(`An ${kind} override for '${key}' was specified but '${key}' is not defined`, ctx)
      expected.delete(key)
      return true
    }
    for (const [ops, kind] of [[ov.append, 'append'], [ov.replace, 'replace']] as const) {
      if (ops.size === 0) continue
      const upd: RuleUpdate = { name, source: '', ctx }
      if (claim(ops, kind, 'condition')) {
        upd.source = source
        upd.cond = required(item, 'condition', asString, ctx)
      }
      if (claim(ops, kind, 'exceptions')) upd.exceptions = readExceptions(item, ctx, kind === 'append', result)
      if (claim(ops, kind, 'output')) upd.output = required(item, 'output', asString, ctx)
      if (claim(ops, kind, 'desc')) upd.desc = required(item, 'desc', asString, ctx)
      if (claim(ops, kind, 'tags')) upd.tags = decodeTags(item, ctx)
      if (kind === 'replace') {
        if (claim(ops, kind, 'priority')) {
          const p = required(item, 'priority', asString, ctx)
          upd.priority = parsePriority(p) ?? invalid('Invalid priority', at(item.get('priority'), 'rule priority', '', ctx))
        }
        if (claim(ops, kind, 'capture')) upd.capture = required(item, 'capture', asBool, ctx)
        if (claim(ops, kind, 'capture_duration')) upd.captureDuration = required(item, 'capture_duration', asUint64, ctx)
        if (claim(ops, kind, 'enabled')) upd.enabled = required(item, 'enabled', asBool, ctx)
        if (claim(ops, kind, 'warn_evttypes')) upd.warnEvttypes = required(item, 'warn_evttypes', asBool, ctx)
        if (claim(ops, kind, 'skip-if-unknown-filter')) upd.skipIfUnknownFilter = required(item, 'skip-if-unknown-filter', asBool, ctx)
        col.replaceRule(upd)
      } else {
        col.appendRule(upd)
      }
    }
    for (const key of expected) {
      invalid(`Unexpected key '${key}': no corresponding entry under 'override' is defined.`, ctx.child(item.get(key).pos, 'overrides', key))
    }
  } else if (hasAppendFlag) {
    const upd: RuleUpdate = { name, source, ctx }
    if (item.get('condition').isDefined) {
      upd.condCtx = at(item.get('condition'), 'rule condition', '', ctx)
      upd.cond = required(item, 'condition', asString, ctx)
    }
    if (item.get('exceptions').isDefined) upd.exceptions = readExceptions(item, ctx, true, result)
    col.appendRule(upd)
  } else if (!['condition', 'output', 'desc', 'priority'].some((k) => item.get(k).isDefined)) {
    const enabled = required(item, 'enabled', asBool, ctx)
    result.addWarning('LOAD_DEPRECATED_ITEM', WARNING_ENABLED, ctx)
    col.enableRule(name, enabled, ctx)
  } else {
    const cond = required(item, 'condition', asString, ctx)
    const condCtx = at(item.get('condition'), 'rule condition', '', ctx)
    const output = required(item, 'output', asString, ctx).trim()
    const outputCtx = at(item.get('output'), 'rule output', '', ctx)
    const desc = required(item, 'desc', asString, ctx)
    const prio = required(item, 'priority', asString, ctx)
    const priority = parsePriority(prio) ?? invalid('Invalid priority', at(item.get('priority'), 'rule priority', '', ctx))
    const info: RuleInfo = {
      name,
      source: decodeVal(item, 'source', asString, ctx, true) ?? 'syscall',
      cond,
      condCtx,
      output,
      outputCtx,
      desc,
      priority,
      enabled: decodeVal(item, 'enabled', asBool, ctx, true) ?? true,
      capture: decodeVal(item, 'capture', asBool, ctx, true) ?? false,
      captureDuration: decodeVal(item, 'capture_duration', asUint64, ctx, true) ?? 0,
      warnEvttypes: decodeVal(item, 'warn_evttypes', asBool, ctx, true) ?? true,
      skipIfUnknownFilter: decodeVal(item, 'skip-if-unknown-filter', asBool, ctx, true) ?? false,
      tags: decodeTags(item, ctx) ?? new Set(),
      exceptions: readExceptions(item, ctx, false, result),
      unknownSource: false,
      ctx,
      index: 0,
      visibility: 0,
    }
    col.defineRule(info, result)
  }
  warnUnknownKeys(item, RULE_KEYS, result, ctx)
}

/** Reads one rules file's text into the collector; problems land in `result`. */
export function readRulesFile(name: string, text: string, col: Collector, result: LoadResult): boolean {
  const ctx = Context.file(name)
  let file: YamlFile
  try {
    file = new YamlFile(text)
  } catch (e) {
    if (e instanceof YamlError) {
      result.addError('LOAD_ERR_YAML_PARSE', e.message, ctx.child(e.pos, 'value for'))
      return false
    }
    throw e
  }
  try {
    result.schemaStatus = schemaStatus(file)
  } catch (e) {
    if (e instanceof SchemaCheckAbort) {
      result.addError('LOAD_ERR_YAML_PARSE', NOT_AN_OBJECT, ctx)
      return false
    }
    throw e
  }
  for (const doc of file.docs) {
    try {
      const root = file.root(doc)
      if (!root.isDefined || root.isNull) continue
      if (!root.isMap && !root.isSequence) invalid('Rules content is not yaml', ctx)
      if (!root.isSequence) invalid('Rules content is not yaml array of objects', ctx)
      for (const item of root.items()) {
        if (!item.isNull) readItem(item, ctx, col, result)
      }
    } catch (e) {
      if (e instanceof RuleLoadError) {
        result.addError(e.code, e.message, e.ctx)
        return false
      }
      if (e instanceof YamlError) {
        result.addError('LOAD_ERR_YAML_PARSE', e.message, ctx)
        return false
      }
      throw e
    }
  }
  return true
}
