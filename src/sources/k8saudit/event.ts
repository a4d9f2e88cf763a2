// One k8s audit event as rule conditions and outputs read it, and the reading of a payload
// (a webhook body or a file line) into events, as the k8saudit plugin does it
// (pkg/k8saudit/source.go, parseAuditEventsAndPush):
//
//   payload := Event | EventList | [payload, ...]
//   - kind "Event": the object is one event;
//   - kind "EventList": each element of `items` is one event (its own kind is not checked);
//   - an array: each element is a payload; one bad element drops the whole payload;
//   - anything else: "data not recognized as a k8s audit event".
//   Each event needs a stageTimestamp Go's RFC3339Nano reader accepts (the event time), and
//   its marshaled form may not be longer than maxEventSize; a bad event is reported and
//   skipped, the others of its payload are kept.
//
// Nothing here throws on hostile input: syntax errors, depth beyond 300, odd types and huge
// numbers end as a reported problem or as a field that reads as missing.

import { indent, isString, JObject, JsonSyntaxError, marshal, parseJson, stringValue, type JValue } from './json.js'
import { parseStageTimestamp } from './time.js'
import { uriParams } from './uri.js'

/** What every event of one source instance shares. */
export class K8sAuditStream {
  /** The time of the first event (evt.reltime counts from it); 0n until there is one. */
  firstTs = 0n
  /** evt.num of the last event handed out. */
  lastNum = 0
  constructor(
    /** evt.pluginname. */
    readonly pluginName: string = 'k8saudit',
    /** evt.hostname; undefined reads as missing. */
    readonly hostname: string | undefined = undefined,
  ) {}

  /** Numbers `ev` (evt.num) and notes the first event time; call once per event, in order. */
  stamp(ev: K8sAuditEvent): K8sAuditEvent {
    ev.num = ++this.lastNum
    if (this.firstTs === 0n) this.firstTs = ev.ts
    return ev
  }
}

// A cached value not computed yet.
const UNSET: unique symbol = Symbol('unset')

/**
 * One audit event: the parsed JSON object, its time, and what extraction derives from it
 * (its marshaled data, json.obj, the URI query), each built on first use. Values at JSON
 * pointers / key paths are memoized by the bound path itself (fields.ts, KeyPath), keyed by
 * event identity, so reading a field allocates nothing per event.
 */
export class K8sAuditEvent {
  /** evt.source. */
  readonly source = 'k8s_audit'
  /** evt.num: 1-based position in the stream, set by K8sAuditStream.stamp. */
  num = 0
  /**
   * The object when it carries `auditID` (the plugin reads ka.* fields only then), else
   * null: every ka.* field is missing, json.* fields still read the object.
   */
  readonly audit: JObject | null
  // Lazily derived, once per event (UNSET until asked).
  private compactText: string | typeof UNSET = UNSET
  private indentText: string | undefined | typeof UNSET = UNSET
  private params: Map<string, string> | undefined | typeof UNSET = UNSET

  constructor(
    /** The event object. */
    readonly root: JObject,
    /** Event time: stageTimestamp in ns since the epoch. */
    readonly ts: bigint,
    readonly stream: K8sAuditStream,
  ) {
    this.audit = root.get('auditID') !== undefined ? root : null
  }

  /** The event's data as the plugin hands it over (fastjson's marshal): json.obj's source, evt.plugininfo. */
  get data(): string {
    if (this.compactText === UNSET) this.compactText = marshal(this.root)
    return this.compactText
  }

  /** json.obj: the data indented by Go's json.Indent; undefined where Indent would fail. */
  get indented(): string | undefined {
    if (this.indentText === UNSET) this.indentText = indent(this.root)
    return this.indentText
  }

  /** ka.uri.param's map: requestURI's query, first values; undefined when Go's parsers fail. */
  get uriParams(): Map<string, string> | undefined {
    if (this.params === UNSET) this.params = computeParams(this.audit)
    return this.params
  }
}

function computeParams(audit: JObject | null): Map<string, string> | undefined {
  const uri = audit?.get('requestURI')
  if (uri === undefined) return undefined
  // jsonValueAsString: a non-string URI is parsed as its JSON text
  return uriParams(isString(uri) ? stringValue(uri)! : marshal(uri))
}

// ---- payloads -------------------------------------------------------------------------------

export const NOT_AUDIT = 'data not recognized as a k8s audit event'

export interface PayloadOptions {
  /** The plugin's maxEventSize: longest marshaled event, in bytes. */
  readonly maxEventSize: number
  readonly stream: K8sAuditStream
}

export type PayloadResult =
  /** The payload is audit data: its good events, and one message per skipped event. */
  | { readonly ok: true; readonly events: K8sAuditEvent[]; readonly problems: string[] }
  /** Not JSON, or not audit data: nothing from it is used. */
  | { readonly ok: false; readonly error: string }

/** Reads one payload (UTF-8 text) into events. Never throws. */
export function parseAuditPayload(text: string, opts: PayloadOptions): PayloadResult {
  let value: JValue
  try {
    value = parseJson(text)
  } catch (e) {
    if (e instanceof JsonSyntaxError) return { ok: false, error: e.message }
    return { ok: false, error: `cannot parse JSON: ${(e as Error).message}` } // e.g. out of memory on the stack
  }
  const events: K8sAuditEvent[] = []
  const problems: string[] = []
  if (!collect(value, opts, events, problems)) return { ok: false, error: NOT_AUDIT }
  return { ok: true, events, problems }
}

// ParseAuditEventsJSON. Arrays nest no deeper than the parser allows (300).
function collect(v: JValue, opts: PayloadOptions, events: K8sAuditEvent[], problems: string[]): boolean {
  if (Array.isArray(v)) {
    for (const item of v) if (!collect(item, opts, events, problems)) return false
    return true
  }
  if (!(v instanceof JObject)) return false
  const kind = stringValue(v.get('kind'))
  if (kind === 'Event') {
    single(v, opts, events, problems)
    return true
  }
  if (kind === 'EventList') {
    const items = v.get('items')
    if (!Array.isArray(items)) return false
    for (const item of items) single(item, opts, events, problems)
    return true
  }
  return false
}

// parseSingleAuditEventJSON
function single(v: JValue, opts: PayloadOptions, events: K8sAuditEvent[], problems: string[]): void {
  const stamp = v instanceof JObject ? v.get('stageTimestamp') : undefined
  if (stamp === undefined) {
    problems.push("can't read stageTimestamp")
    return
  }
  // GetStringBytes: a non-string reads as ""
  const ts = parseStageTimestamp(stringValue(stamp) ?? '')
  if (typeof ts !== 'bigint') {
    problems.push(ts.error)
    return
  }
  const obj = v as JObject
  const ev = new K8sAuditEvent(obj, ts, opts.stream)
  // The marshaled event is the source text less whitespace, so at most span UTF-16 units,
  // each at most 3 UTF-8 bytes: only events near the limit are measured.
  if (obj.span * 3 > opts.maxEventSize) {
    const size = Buffer.byteLength(ev.data, 'utf8')
    if (size > opts.maxEventSize) {
      problems.push(`event larger than maxEventSize: size=${size}`)
      return
    }
  }
  events.push(ev)
}
