// The field registry: every filter field Falco 0.44 knows, how a field name resolves (as
// libsinsp 0.25's parse_field_name does it, errors included) and what `falco --list` prints.
//
// Resolution follows libsinsp's filter_check_list: the classes of a source are tried in order;
// the first class that claims the name decides, and the claim must cover the whole name
// (`name[arg]` as one string), else the field does not exist. Class-specific rules (evt.arg.*,
// proc.aname[N], plugin arguments...) live in the small parsers below.

import { PT, PT_NAMES, type ParamType, type PrintFormat } from '../events/param-types.js'
import { FF, type FieldClass, type FieldDef, type FieldRef } from './types.js'
import { CONTAINER_CLASS } from './classes/container.js'
import { EVENTS } from '../events/table.js'
import { EVT_GENERIC_CLASS } from './classes/evt-generic.js'
import { EVT_CLASS } from './classes/evt.js'
import { FD_CLASS } from './classes/fd.js'
import { FDLIST_CLASS } from './classes/fdlist.js'
import { FSPATH_CLASS } from './classes/fspath.js'
import { GROUP_CLASS } from './classes/group.js'
import { JSON_CLASS } from './classes/json.js'
import { K8SAUDIT_CLASS } from './classes/ka.js'
import { PROCESS_CLASS } from './classes/process.js'
import { USER_CLASS } from './classes/user.js'
import { UTIL_CLASS } from './classes/util.js'

type ListedClass = FieldClass & { readonly shortdesc: string }

/** The event sources Saker has, in the order Falco registers them (syscall first). */
export const FIELD_SOURCES: readonly string[] = ['syscall', 'k8s_audit']

// Per source, the classes in the order libsinsp tries them. The syscall source has libsinsp's
// built-in list (sinsp_filter_check_list) then the classes of the plugins that extract from it,
// in plugin-config order (Falco's falco.yaml lists container, k8saudit, json). A plugin source
// has the generic evt class, then its plugins' classes.
const SOURCE_CLASSES: ReadonlyMap<string, readonly ListedClass[]> = new Map([
  ['syscall', [EVT_GENERIC_CLASS, EVT_CLASS, PROCESS_CLASS, USER_CLASS, GROUP_CLASS, FD_CLASS, FSPATH_CLASS,
    UTIL_CLASS, FDLIST_CLASS, CONTAINER_CLASS, JSON_CLASS]],
  ['k8s_audit', [EVT_GENERIC_CLASS, K8SAUDIT_CLASS, JSON_CLASS]],
])
// Classes libsinsp marks FL_HIDDEN: searched, never listed.
const HIDDEN: ReadonlySet<FieldClass> = new Set([UTIL_CLASS])

// Falco's listing order for some sources: sources in order, each source's classes in order,
// each class once (keyed by name + short description, as falco_engine::list_fields does),
// hidden classes left out.
function listedClasses(sources: readonly string[]): ListedClass[] {
  const seen = new Set<string>()
  const out: ListedClass[] = []
  for (const src of sources) {
    for (const cls of SOURCE_CLASSES.get(src) ?? []) {
      const key = cls.name + cls.shortdesc
      if (HIDDEN.has(cls) || seen.has(key)) continue
      seen.add(key)
      out.push(cls)
    }
  }
  return out
}
const LISTED: readonly ListedClass[] = listedClasses(FIELD_SOURCES)

/** Every listed field class, in the order `falco --list` prints them. */
export const FIELD_CLASSES: readonly FieldClass[] = LISTED

/**
 * The classes whose fields `source` events carry, in the order libsinsp searches them (this
 * includes the hidden util class for syscall). A source Saker does not know gets the classes
 * shared by every source.
 */
export function fieldsForSource(source: string): readonly FieldClass[] {
  return SOURCE_CLASSES.get(source) ?? GENERIC_CLASSES
}
const GENERIC_CLASSES: readonly FieldClass[] = LISTED.filter((c) => c.sources.length === 0)

// ---------------------------------------------------------------------------------------------
// Resolution

/** What one class says about a name: not mine (null), an error, or a claim of `len` chars. */
type Claim = null | { readonly error: string } | { readonly len: number; readonly def: FieldDef; readonly arg: string | undefined }
type ClassParser = (full: string) => Claim

// libsinsp's base parse_field_name: the longest field name that prefixes the text. The first
// of two equal names wins.
function prefixMatcher(cls: FieldClass): (text: string) => FieldDef | undefined {
  const byName = new Map<string, FieldDef>()
  for (const f of cls.fields) if (!byName.has(f.name)) byName.set(f.name, f)
  const lengths = [...new Set(cls.fields.map((f) => f.name.length))].sort((a, b) => b - a)
  return (text) => {
    for (const n of lengths) {
      if (n > text.length) continue
      const def = byName.get(text.slice(0, n))
      if (def) return def
    }
    return undefined
  }
}

function fieldOf(cls: FieldClass, name: string): FieldDef {
  const def = cls.fields.find((f) => f.name === name)
  if (!def) throw new Error(`field registry: class ${cls.name} lacks ${name}`)
  return def
}

function baseParser(cls: FieldClass): ClassParser {
  const match = prefixMatcher(cls)
  return (full) => {
    const def = match(full)
    return def ? { len: def.name.length, def, arg: undefined } : null
  }
}

// sscanf("%d%c") / ("%lu%c") as libsinsp's sinsp_numparser uses them: optional blanks, a sign,
// digits, nothing after. Values are returned in canonical decimal.
const SCANF_INT = /^[ \t\n\v\f\r]*([+-]?\d+)$/
function scanInt64(s: string): string | undefined {
  const m = SCANF_INT.exec(s)
  if (!m) return undefined
  let v = BigInt(m[1]) // strtol saturates at the 64-bit range
  if (v > 0x7fffffffffffffffn) v = 0x7fffffffffffffffn
  if (v < -0x8000000000000000n) v = -0x8000000000000000n
  return v.toString()
}
function scanInt32(s: string): string | undefined {
  const v = scanInt64(s) // then the store into an int32 truncates
  return v === undefined ? undefined : BigInt.asIntN(32, BigInt(v)).toString()
}
function scanUint(s: string, bits: 32 | 64): string | undefined {
  const m = SCANF_INT.exec(s)
  if (!m) return undefined
  let v = BigInt(m[1])
  const max = 0xffffffffffffffffn
  if (v > max) v = max
  if (v < 0n) v = -v > max ? max : BigInt.asUintN(64, v) // strtoul negates in unsigned arithmetic
  return BigInt.asUintN(bits, v).toString()
}
const notANumber = (s: string) => ({ error: `${s} is not a valid number` })

// The longest event parameter name that prefixes `s` (sinsp_utils::find_longest_matching_evt_param).
// evt.arg.<name> takes the type and print format of the parameter's first occurrence in
// event-table order, as libsinsp does; evt.type.is.<name> accepts any event name.
const EVT_PARAMS = new Map<string, { readonly type: ParamType; readonly printFormat: PrintFormat }>()
for (const e of EVENTS) for (const p of e.params) if (!EVT_PARAMS.has(p.name)) EVT_PARAMS.set(p.name, { type: p.type, printFormat: p.fmt })
const EVT_TYPE_NAMES: ReadonlySet<string> = new Set(EVENTS.map((e) => e.name))

const PARAM_NAMES_BY_LENGTH = [...EVT_PARAMS.keys()].sort((a, b) => b.length - a.length)
function longestParam(s: string): string | undefined {
  for (const p of PARAM_NAMES_BY_LENGTH) if (p.length <= s.length && s.startsWith(p)) return p
  return undefined
}

// evt.rawarg.<name> takes the type and print format of the parameter it names.
const rawargDefs = new Map<string, FieldDef>()
function rawargDef(base: FieldDef, param: string): FieldDef {
  let def = rawargDefs.get(param)
  if (!def) {
    const p = EVT_PARAMS.get(param)
    def = p ? { ...base, type: p.type, printFormat: p.printFormat } : base
    rawargDefs.set(param, def)
  }
  return def
}

// sinsp_filter_check_event::parse_field_name (the syscall evt class).
function evtParser(cls: FieldClass): ClassParser {
  const base = baseParser(cls)
  const arg = fieldOf(cls, 'evt.arg')
  const rawarg = fieldOf(cls, 'evt.rawarg')
  const around = fieldOf(cls, 'evt.around')
  const abspath = fieldOf(cls, 'evt.abspath')
  const typeIs = fieldOf(cls, 'evt.type.is')

  // extract_arg: `<field>[N]` or `<field>.<param>`
  const argForm = (full: string, field: FieldDef, kind: 'arg' | 'rawarg' | 'around'): Claim => {
    const n = field.name.length
    const next = full.charAt(n)
    if (full.length > n && next === '[') {
      if (kind === 'rawarg') return { error: 'evt.arg fields must be expressed explicitly' }
      const close = full.indexOf(']')
      const numstr = close < 0 ? full.slice(n + 1) : full.slice(n + 1, close)
      const num = kind === 'around' ? scanUint(numstr, 64) : scanInt32(numstr)
      if (num === undefined) return notANumber(numstr)
      return { len: close < 0 ? full.length + 1 : close + 1, def: field, arg: num }
    }
    if (full.length > n && next === '.') {
      if (kind === 'around') return { error: 'wrong syntax for evt.around' }
      const rest = full.slice(n + 1)
      const param = longestParam(rest)
      if (param === undefined) return { error: `unknown event argument ${rest}` }
      const def = kind === 'rawarg' ? rawargDef(field, param) : field
      return { len: n + 1 + param.length, def, arg: param }
    }
    return { error: `filter syntax error: ${full}` }
  }

  return (full) => {
    if (full.startsWith('evt.arg') && !full.startsWith('evt.args')) return argForm(full, arg, 'arg')
    if (full.startsWith('evt.rawarg')) return argForm(full, rawarg, 'rawarg')
    if (full.startsWith('evt.around')) return argForm(full, around, 'around')
    if (full.startsWith('evt.latency')) return base(full)
    if (full.startsWith('evt.abspath')) {
      // evt.abspath alone is accepted even though the field is flagged ARG_REQUIRED
      if (full.startsWith('evt.abspath.src')) return { len: 15, def: abspath, arg: 'src' }
      if (full.startsWith('evt.abspath.dst')) return { len: 15, def: abspath, arg: 'dst' }
      return { len: 11, def: abspath, arg: undefined }
    }
    if (full.startsWith('evt.type.is')) {
      // extract_type: evt.type.is.<event name or number>; anything else claims nothing
      if (full.charAt(11) !== '.' || full.length <= 11) return { error: `filter syntax error: ${full}` }
      const itype = full.slice(12)
      const num = scanUint(itype, 32)
      if (num !== undefined) return { len: full.length, def: typeIs, arg: num }
      if (EVT_TYPE_NAMES.has(itype)) return { len: full.length, def: typeIs, arg: itype }
      return { len: 0, def: typeIs, arg: undefined }
    }
    return base(full)
  }
}

// sinsp_filter_check_thread::parse_field_name (the process class).
function processParser(cls: FieldClass): ClassParser {
  const base = baseParser(cls)
  // Ancestor/argument fields take an optional [N]; a bad or missing index is silently ignored
  // and the bare name is claimed (so `proc.aname[x]` ends as a nonexistent field).
  // Checked in libsinsp's order: proc.aexepath before proc.aexe.
  const indexed = ['proc.apid', 'proc.aname', 'proc.aexepath', 'proc.aexe', 'proc.acmdline', 'proc.aargs']
  const keyed = ['proc.env']
  const order = [...indexed, ...keyed, 'proc.args', 'proc.aenv'].map((n) => fieldOf(cls, n))
  const cgroup = fieldOf(cls, 'thread.cgroup')

  return (full) => {
    if (full.startsWith('arg')) return { error: 'filter error: proc.arg filter not implemented yet' }
    for (const field of order) {
      const n = field.name.length
      if (!full.startsWith(field.name)) continue
      const bare = { len: n, def: field, arg: undefined }
      if (full.length <= n || full.charAt(n) !== '[') return bare
      const isEnv = field.name === 'proc.env' || field.name === 'proc.aenv'
      const close = isEnv ? full.indexOf(']', n) : full.indexOf(']')
      if (close < 0) return bare
      const content = full.slice(n + 1, close)
      if (isEnv) return { len: close + 1, def: field, arg: content }
      const num = scanInt32(content)
      return num === undefined ? bare : { len: close + 1, def: field, arg: num }
    }
    if (full.startsWith('thread.cgroup') && !full.startsWith('thread.cgroups')) {
      // thread.cgroup.<subsystem>, the subsystem being letters and underscores
      if (full.length <= 13 || full.charAt(13) !== '.') return { error: `filter syntax error: ${full}` }
      let end = 14
      while (end < full.length && /[A-Za-z_]/.test(full.charAt(end))) end++
      return { len: end, def: cgroup, arg: full.slice(14, end) }
    }
    return base(full)
  }
}

// sinsp_filter_check_fd::parse_field_name: fd.types takes an optional [N].
function fdParser(cls: FieldClass): ClassParser {
  const base = baseParser(cls)
  const types = fieldOf(cls, 'fd.types')
  return (full) => {
    if (!full.startsWith('fd.types')) return base(full)
    if (full.length > 8 && full.charAt(8) === '[') {
      const close = full.indexOf(']')
      const numstr = close < 0 ? full.slice(9) : full.slice(9, close)
      const num = scanInt64(numstr)
      if (num === undefined) return notANumber(numstr)
      return { len: close < 0 ? full.length + 1 : close + 1, def: types, arg: num }
    }
    return { len: 8, def: types, arg: undefined }
  }
}

// sinsp_filter_check_plugin::parse_field_name: `name[arg]` checked against the field's
// ARG_* flags, with libsinsp's messages.
function pluginParser(cls: FieldClass): ClassParser {
  const match = prefixMatcher(cls)
  return (full) => {
    const def = match(full)
    if (!def) return null
    const res = def.name.length
    const space = full.indexOf(' ')
    const val = (space < 0 ? full : full.slice(0, space)).trim()
    const name = def.name
    const open = val.indexOf('[')
    let arg: string | undefined
    let len = res
    if (open >= 0) {
      if (res !== open) return null // only a prefix of the field name matched
      if (open + 1 >= val.length) return { error: `filter '${val}': ${name} terminates with incomplete argument brackets` }
      const rest = val.slice(open + 1)
      const close = rest.indexOf(']')
      if (close < 0) return { error: `filter '${val}': ${name} has unbalanced argument brackets` }
      arg = rest.slice(0, close)
      if (!(def.flags & (FF.ARG_ALLOWED | FF.ARG_REQUIRED))) {
        return { error: `filter '${val}': ${name} does not allow nor require an argument but one is provided: ${arg}` }
      }
      if (def.flags & FF.ARG_INDEX) {
        const problem = indexProblem(arg)
        // a field that also takes a key uses the text as a key instead
        if (problem !== undefined && !(def.flags & FF.ARG_KEY)) return { error: `filter ${val} ${name}${problem}${arg}` }
      }
      len = open + close + 2
    } else if (def.flags & FF.ARG_REQUIRED) {
      return { error: `filter '${val}': ${name} requires an argument but none provided` }
    }
    return { len, def, arg }
  }
}

// sinsp_filter_check_plugin::extract_arg_index: digits only, no leading zero, fits in 64 bits.
function indexProblem(arg: string): string | undefined {
  let problem: string | undefined
  if (arg.length === 0 || (arg.length > 1 && arg.charAt(0) === '0')) problem = ' has an invalid index argument starting with 0: '
  if (!/^\d*$/.test(arg)) problem = ' has an invalid index argument not composed only by digits: '
  if (problem === undefined && BigInt(arg) > 0xffffffffffffffffn) problem = ' has an invalid index argument not representable on 64 bit: '
  return problem
}

const PARSERS: ReadonlyMap<FieldClass, ClassParser> = new Map<FieldClass, ClassParser>([
  [EVT_GENERIC_CLASS, baseParser(EVT_GENERIC_CLASS)],
  [EVT_CLASS, evtParser(EVT_CLASS)],
  [PROCESS_CLASS, processParser(PROCESS_CLASS)],
  [USER_CLASS, baseParser(USER_CLASS)],
  [GROUP_CLASS, baseParser(GROUP_CLASS)],
  [FD_CLASS, fdParser(FD_CLASS)],
  [FSPATH_CLASS, baseParser(FSPATH_CLASS)],
  [UTIL_CLASS, baseParser(UTIL_CLASS)],
  [FDLIST_CLASS, baseParser(FDLIST_CLASS)],
  [CONTAINER_CLASS, pluginParser(CONTAINER_CLASS)],
  [K8SAUDIT_CLASS, pluginParser(K8SAUDIT_CLASS)],
  [JSON_CLASS, pluginParser(JSON_CLASS)],
])

type Chain = readonly { readonly cls: FieldClass; readonly parse: ClassParser }[]
const chainOf = (classes: readonly FieldClass[]): Chain =>
  classes.map((cls) => {
    const parse = PARSERS.get(cls)
    if (!parse) throw new Error(`field registry: no parser for class ${cls.name}`)
    return { cls, parse }
  })
const CHAINS: ReadonlyMap<string, Chain> = new Map(FIELD_SOURCES.map((s) => [s, chainOf(fieldsForSource(s))]))
const GENERIC_CHAIN = chainOf(GENERIC_CLASSES)

/**
 * Resolves a field as written in a condition or output: `name` is the dotted name (which may
 * carry an argument after a dot, as in `evt.arg.fd`), `bracketArg` the text between `[` and `]`
 * if any. Errors carry libsinsp's own message text.
 */
export function lookupField(source: string, name: string, bracketArg: string | undefined): FieldRef | { error: string } {
  const full = bracketArg === undefined ? name : `${name}[${bracketArg}]`
  for (const { cls, parse } of CHAINS.get(source) ?? GENERIC_CHAIN) {
    const claim = parse(full)
    if (claim === null) continue
    if ('error' in claim) return { error: claim.error }
    if (claim.len !== full.length) break
    return { def: claim.def, cls, arg: claim.arg }
  }
  return { error: `filter_check called with nonexistent field ${full}` }
}

// ---------------------------------------------------------------------------------------------
// `falco --list` rendering (falco_engine::list_fields + libsinsp filter_fieldclass_info)

export interface ListFieldsOptions {
  /** `--list=<source>`; absent or '' lists every source. */
  readonly source?: string
  /** `-N`: names only. */
  readonly names?: boolean
  readonly format: 'text' | 'markdown' | 'json'
  /** `-v`: text format adds each field's type. */
  readonly verbose?: boolean
}

/** libsinsp's param_type_to_string, which names a few types differently from PT_NAMES. */
export function fieldTypeName(type: ParamType): string {
  switch (type) {
    case PT.DYN: return 'DYNAMIC'
    case PT.IPV6ADDR: case PT.IPV6NET: case PT.FD32: case PT.PID32: return '<NA>'
    default: return PT_NAMES[type]
  }
}

// Tags shown before a description, as libsinsp builds them (a sorted set).
function fieldTags(f: FieldDef): string[] {
  const tags: string[] = []
  if (f.flags & FF.FILTER_ONLY) tags.push('FILTER_ONLY')
  if (f.flags & FF.TABLE_ONLY) tags.push('EPF_TABLE_ONLY')
  if (f.flags & FF.DEPRECATED) tags.push('EPF_DEPRECATED')
  if (f.flags & FF.NO_RHS) tags.push('EPF_NO_RHS')
  if (f.flags & FF.NO_TRANSFORMER) tags.push('EPF_NO_TRANSFORMER')
  if (f.flags & (FF.ARG_REQUIRED | FF.ARG_ALLOWED)) {
    tags.push(f.flags & FF.ARG_REQUIRED ? 'ARG_REQUIRED' : 'ARG_ALLOWED')
    if (f.flags & FF.ARG_INDEX) tags.push('ARG_INDEX')
    if (f.flags & FF.ARG_KEY) tags.push('ARG_KEY')
  }
  if (f.flags & FF.IS_LIST) tags.push('EPF_IS_LIST')
  return tags.sort()
}

const RIGHT = 30 // where the description block starts
const WIDTH = 120

// filter_fieldclass_info::wrapstring: words joined by one space (each word keeps a trailing
// space), wrapped to WIDTH - RIGHT columns with continuation lines indented by RIGHT.
function wrap(text: string): string {
  let out = ''
  let len = 0
  for (const word of text.split(/[ \t\n\v\f\r]+/)) {
    if (word === '') continue
    const wl = Buffer.byteLength(word) + 1
    if (len + wl <= WIDTH - RIGHT) {
      len += wl
    } else {
      out += '\n' + ' '.repeat(RIGHT)
      len = wl
    }
    out += word + ' '
  }
  return out
}

// PRINT_ONLY fields never reach the listing; TABLE_ONLY ones are skipped; DEPRECATED ones are
// skipped and, when they are all a class has, the class renders as nothing.
function shownFields(cls: FieldClass): { fields: FieldDef[]; empty: boolean } {
  const listed = cls.fields.filter((f) => !(f.flags & FF.PRINT_ONLY))
  let deprecated = 0
  const fields: FieldDef[] = []
  for (const f of listed) {
    if (f.flags & FF.TABLE_ONLY) continue
    if (f.flags & FF.DEPRECATED) { deprecated++; continue }
    fields.push(f)
  }
  return { fields, empty: deprecated === listed.length }
}

function classAsText(cls: ListedClass, sources: readonly string[], verbose: boolean): string {
  const { fields, empty } = shownFields(cls)
  if (empty) return ''
  let s = '-------------------------------\n'
  s += 'Field Class:'.padEnd(RIGHT) + cls.name + (cls.shortdesc !== '' ? ` (${cls.shortdesc})` : '') + '\n'
  if (cls.desc !== '') s += 'Description:'.padEnd(RIGHT) + wrap(cls.desc) + '\n'
  if (sources.length > 0) s += 'Event Sources:'.padEnd(RIGHT) + sources.map((x) => x + ' ').join('') + '\n'
  s += '\n'
  for (const f of fields) {
    s += f.name.length > RIGHT ? f.name + '\n' + ' '.repeat(RIGHT) : f.name.padEnd(RIGHT)
    const tags = fieldTags(f)
    let desc = tags.length > 0 ? `(${tags.join(',')}) ${f.desc}` : f.desc
    if (verbose) desc = `(Type: ${fieldTypeName(f.type)}) ${desc}`
    s += wrap(desc) + '\n'
  }
  return s
}

function classAsMarkdown(cls: ListedClass, sources: readonly string[]): string {
  const { fields, empty } = shownFields(cls)
  if (empty) return ''
  let s = `## Field Class: ${cls.name}\n\n`
  if (cls.desc !== '') s += cls.desc + '\n\n'
  if (sources.length > 0) s += 'Event Sources: ' + sources.map((x) => x + ' ').join('') + '\n\n'
  s += 'Name | Type | Description\n:----|:-----|:-----------\n'
  for (const f of fields) {
    const type = f.flags & FF.IS_LIST ? `LIST(${fieldTypeName(f.type)})` : fieldTypeName(f.type)
    s += `\`${f.name}\` | ${type} | ${f.desc}\n`
  }
  return s
}

// Falco re-dumps libsinsp's JSON with nlohmann::json, whose objects sort their keys: the
// literals below are written in that order so JSON.stringify matches.
function classAsJson(cls: ListedClass, sources: readonly string[]): object | undefined {
  const { fields, empty } = shownFields(cls)
  if (empty) return undefined
  return {
    ...(cls.desc !== '' ? { desc: cls.desc } : {}),
    ...(sources.length > 0 ? { event_sources: sources } : {}),
    fields: fields.map((f) => {
      const takesArg = (f.flags & (FF.ARG_REQUIRED | FF.ARG_ALLOWED)) !== 0
      const argTypes: string[] = []
      if (f.flags & FF.ARG_INDEX) argTypes.push('INDEX')
      if (f.flags & FF.ARG_KEY) argTypes.push('KEY')
      return {
        argument: takesArg ? { required: (f.flags & FF.ARG_REQUIRED) !== 0, type: argTypes } : null,
        desc: f.desc,
        is_list: (f.flags & FF.IS_LIST) !== 0,
        name: f.name,
        type: fieldTypeName(f.type),
      }
    }),
    name: cls.name,
  }
}

/**
 * Exactly what `falco --list[=source]` prints on stdout, with `-N` (names), `--format` and `-v`.
 * Callers check the source first: Falco refuses an unknown one with
 * "Value for --list must be a valid source type".
 */
export function listFields(opts: ListFieldsOptions): string {
  const only = opts.source ?? ''
  const sources = FIELD_SOURCES.filter((s) => only === '' || s === only)
  // first pass: which of the listed sources carry each class
  const carriedBy = new Map<ListedClass, string[]>()
  for (const src of sources) {
    for (const cls of SOURCE_CLASSES.get(src) ?? []) {
      if (HIDDEN.has(cls)) continue
      const list = carriedBy.get(cls) ?? []
      list.push(src)
      carriedBy.set(cls, list)
    }
  }
  const classes = listedClasses(sources)
  const srcOf = (c: ListedClass) => [...(carriedBy.get(c) ?? [])].sort()

  if (opts.names) {
    const names: string[] = []
    for (const cls of classes) {
      for (const f of cls.fields) {
        if (f.flags & (FF.PRINT_ONLY | FF.TABLE_ONLY | FF.DEPRECATED)) continue
        names.push(f.name)
      }
    }
    if (opts.format === 'json') return names.length > 0 ? JSON.stringify({ fieldnames: names }, null, 2) + '\n' : ''
    return names.map((n) => n + '\n').join('')
  }

  switch (opts.format) {
    case 'json': {
      const list = classes.map((c) => classAsJson(c, srcOf(c))).filter((x) => x !== undefined)
      return list.length > 0 ? JSON.stringify({ fieldclasses: list }, null, 2) + '\n' : ''
    }
    case 'markdown':
      return classes.map((c) => classAsMarkdown(c, srcOf(c)) + '\n').join('')
    case 'text':
      return classes.map((c) => classAsText(c, srcOf(c), opts.verbose === true) + '\n').join('')
  }
}
