// The alert: what a rule firing (or Saker itself, for `Falco internal: ...` messages) hands
// to the outputs, and its two renderings as Falco 0.44 prints them (userspace/engine/
// formats.cpp format_event, userspace/falco/falco_outputs.cpp handle_msg).
//
// Text line (json_output: false):
//   <time>: <Priority> <output>
//   16:17:57.881781397: Warning An open was seen (command=cat /dev/null)
//   2016-08-04T16:17:57.881781397+0000: Warning ...       (time_format_iso_8601: true)
//
// JSON line (json_output: true), compact, keys in std::map order:
//   {"hostname":…,"message":…,"output":…,"output_fields":{…},"priority":…,"rule":…,
//    "source":…,"tags":[…],"time":"2016-08-04T16:17:57.881781397Z"}
//   message only with json_include_message_property; output, output_fields and tags unless
//   their json_include_* switch is off. output_fields also holds the time field of the text
//   prefix (evt.time, or evt.time.iso8601) with the time in ns as a number.
//
// Internal messages (handle_msg) ignore the json_include_* switches and the ISO switch:
//   text: <HH:MM:SS.nnnnnnnnn>: <Priority> <msg> (k1=<json> k2=<json>)
//   JSON: {"hostname","output":<msg>,"output_fields","priority","rule","source":"internal","time"}
//
// The fixed part of each rule's JSON is built once, when its AlertRule is made; an alert
// only concatenates its time, text and fields around it.
import { PRIORITIES } from '../rules/infos.js'
import { compareCodePoints, jsonObject, jsonString, jsonValue } from './json.js'
import type { FieldJson } from './json.js'
import { sanitizeText } from './sanitize.js'
import { isoTime, jsonTime, localTime } from './time.js'

export type { FieldJson }

/** Falco's priority names, by number (0 = Emergency ... 7 = Debug); 6 prints in full. */
export const PRIORITY_NAMES: readonly string[] = PRIORITIES

/** The source of Saker's own messages. */
export const INTERNAL_SOURCE = 'internal'

/** output_fields of one alert: field name → value as Falco's JSON carries it. */
export type OutputFields = { readonly [key: string]: FieldJson }

/** How alerts render: the falco.yaml keys of the same names. */
export interface RenderOptions {
  readonly timeFormatIso8601: boolean
  readonly jsonIncludeOutputProperty: boolean
  readonly jsonIncludeTagsProperty: boolean
  readonly jsonIncludeMessageProperty: boolean
  readonly jsonIncludeOutputFieldsProperty: boolean
}

/** Falco 0.44's built-in values (also what its falco.yaml ships). */
export const DEFAULT_RENDER_OPTIONS: RenderOptions = Object.freeze({
  timeFormatIso8601: false,
  jsonIncludeOutputProperty: true,
  jsonIncludeTagsProperty: true,
  jsonIncludeMessageProperty: false,
  jsonIncludeOutputFieldsProperty: true,
})

/** The slice of the configuration that rendering reads (src/config SakerConfig fits). */
export interface RenderConfig {
  time_format_iso_8601: boolean
  json_include_output_property: boolean
  json_include_tags_property: boolean
  json_include_message_property: boolean
  json_include_output_fields_property: boolean
}

export function renderOptionsFromConfig(c: RenderConfig): RenderOptions {
  return Object.freeze({
    timeFormatIso8601: c.time_format_iso_8601,
    jsonIncludeOutputProperty: c.json_include_output_property,
    jsonIncludeTagsProperty: c.json_include_tags_property,
    jsonIncludeMessageProperty: c.json_include_message_property,
    jsonIncludeOutputFieldsProperty: c.json_include_output_fields_property,
  })
}

/** The prefix time field of the text line, as output_fields names it. */
const TIME_FIELD = 'evt.time'
const TIME_FIELD_ISO = 'evt.time.iso8601'

/**
 * What stays the same for every alert of one rule, with the rendered pieces that follow
 * from it. Make one per rule when rules load and pass the same object with each alert.
 */
export class AlertRule {
  readonly name: string
  /** 0 = Emergency ... 7 = Debug. */
  readonly priority: number
  readonly priorityName: string
  readonly source: string
  /** Sorted and unique, as Falco's std::set<std::string> gives them. */
  readonly tags: readonly string[]
  /** A `Falco internal: ...` message rather than a rule. */
  readonly internal: boolean
  /** ": Warning " — what follows the time in the text line. */
  readonly textHead: string
  /** `,"priority":…,"rule":…,"source":…,"tags":[…],"time":"` */
  readonly jsonTailWithTags: string
  /** The same without "tags" (json_include_tags_property: false, and internal messages). */
  readonly jsonTailNoTags: string

  // output_fields key order, kept from the previous alert of this rule (a rule's fields are
  // the same names every time, so sorting happens once)
  private planSource: readonly string[] = []
  private planTimeKey: string | null = null
  private planKeys: readonly string[] = []
  private planJsonKeys: readonly string[] = []

  constructor(name: string, priority: number, source: string, tags: Iterable<string> = [], internal = false) {
    if (!Number.isInteger(priority) || priority < 0 || priority >= PRIORITY_NAMES.length) {
      throw new RangeError(`Unknown priority enum value: ${priority} (expected 0..${PRIORITY_NAMES.length - 1})`)
    }
    this.name = name
    this.priority = priority
    this.priorityName = PRIORITY_NAMES[priority]!
    this.source = source
    this.tags = Object.freeze([...new Set(tags)].sort(compareCodePoints))
    this.internal = internal
    this.textHead = ': ' + this.priorityName + ' '
    const head = ',"priority":' + jsonString(this.priorityName) + ',"rule":' + jsonString(name) + ',"source":' + jsonString(source)
    this.jsonTailNoTags = head + ',"time":"'
    this.jsonTailWithTags = head + ',"tags":[' + this.tags.map((t) => jsonString(t)).join(',') + '],"time":"'
  }

  /** The record of a `Falco internal: ...` message: source "internal", no tags. */
  static internalMessage(name: string, priority: number): AlertRule {
    return new AlertRule(name, priority, INTERNAL_SOURCE, [], true)
  }

  /** output_fields as JSON: the rule's fields plus the time field, keys sorted. */
  fieldsJson(fields: OutputFields | null, timeKey: string | null, ts: bigint): string {
    const src = fields ?? EMPTY
    const keys = Object.keys(src)
    if (timeKey !== this.planTimeKey || !sameStrings(keys, this.planSource)) this.plan(keys, timeKey)
    const order = this.planKeys
    const jkeys = this.planJsonKeys
    let out = '{'
    for (let i = 0; i < order.length; i++) {
      const k = order[i]!
      out += (i === 0 ? '' : ',') + jkeys[i] + (k === timeKey ? ts.toString() : jsonValue(src[k]))
    }
    return out + '}'
  }

  private plan(keys: readonly string[], timeKey: string | null): void {
    const all = timeKey === null || keys.includes(timeKey) ? [...keys] : [...keys, timeKey]
    all.sort(compareCodePoints)
    this.planSource = keys.slice()
    this.planTimeKey = timeKey
    this.planKeys = all
    this.planJsonKeys = all.map((k) => jsonString(k) + ':')
  }
}

const EMPTY: OutputFields = Object.freeze({})

function sameStrings(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}

/** One alert. Strings that came from the event are sanitized as libsinsp sanitizes them. */
export class Alert {
  /** The rule's rendered output (Falco's "message"), without time and priority. */
  readonly output: string

  /**
   * @param rule the rule's record, made once per rule
   * @param time event time, ns since the epoch
   * @param output the rendered output format (CompiledOutput.render)
   * @param fields output_fields (CompiledOutput.fields plus extra fields); null when the
   *   outputs said they do not need them (Outputs.wantsFields)
   * @param hostname FALCO_HOSTNAME or the host's name (Outputs.hostname)
   */
  constructor(
    readonly rule: AlertRule,
    readonly time: bigint,
    output: string,
    readonly fields: OutputFields | null,
    readonly hostname: string,
  ) {
    this.output = sanitizeText(output)
  }

  get name(): string {
    return this.rule.name
  }
  get priority(): number {
    return this.rule.priority
  }
  get priorityName(): string {
    return this.rule.priorityName
  }
  get source(): string {
    return this.rule.source
  }
  get tags(): readonly string[] {
    return this.rule.tags
  }
}

// hostname is the same for every alert of a run: keep its JSON text
let lastHost: string | null = null
let lastHostJson = ''
function hostJson(h: string): string {
  if (h !== lastHost) {
    lastHost = h
    lastHostJson = '{"hostname":' + jsonString(h)
  }
  return lastHostJson
}

function internalFieldsText(fields: OutputFields | null): string {
  if (fields === null) return ''
  const keys = Object.keys(fields).sort(compareCodePoints)
  let out = ''
  for (let i = 0; i < keys.length; i++) out += (i === 0 ? '' : ' ') + keys[i] + '=' + jsonValue(fields[keys[i]!])
  return out
}

/** The text line, without a newline: "<time>: <Priority> <output>". */
export function textLine(alert: Alert, opts: RenderOptions = DEFAULT_RENDER_OPTIONS): string {
  const rule = alert.rule
  if (rule.internal) {
    return localTime(alert.time) + rule.textHead + alert.output + ' (' + internalFieldsText(alert.fields) + ')'
  }
  return (opts.timeFormatIso8601 ? isoTime(alert.time) : localTime(alert.time)) + rule.textHead + alert.output
}

/** The JSON line, without a newline. */
export function jsonLine(alert: Alert, opts: RenderOptions = DEFAULT_RENDER_OPTIONS): string {
  const rule = alert.rule
  let out = hostJson(alert.hostname)
  if (rule.internal) {
    out += ',"output":' + jsonString(alert.output)
    out += ',"output_fields":' + (alert.fields === null ? '{}' : jsonObject(alert.fields))
    return out + rule.jsonTailNoTags + jsonTime(alert.time) + '"}'
  }
  if (opts.jsonIncludeMessageProperty) out += ',"message":' + jsonString(alert.output)
  if (opts.jsonIncludeOutputProperty) out += ',"output":' + jsonString(textLine(alert, opts))
  if (opts.jsonIncludeOutputFieldsProperty) {
    out += ',"output_fields":' + rule.fieldsJson(alert.fields, opts.timeFormatIso8601 ? TIME_FIELD_ISO : TIME_FIELD, alert.time)
  }
  out += opts.jsonIncludeTagsProperty ? rule.jsonTailWithTags : rule.jsonTailNoTags
  return out + jsonTime(alert.time) + '"}'
}
