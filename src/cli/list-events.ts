// `--list-events [--format text|markdown|json]`: every event type the engine can match, by kind
// (syscall, tracepoint, plugin, meta), with direction, parameters and whether Falco receives it
// by default. Layouts and selection follow Falco 0.44.1 userspace/falco/app/actions/
// print_syscall_events.cpp and event_formatter.cpp; the event data is Saker's (src/events).
import { FLAG_TABLES } from '../events/flags.js'
import { PT, type ParamType } from '../events/param-types.js'
import { EC, EF, EVENTS, PPME, isEnter, type EventInfo, type ParamInfo } from '../events/table.js'
import { PPM_SC_MAX, PPM_SC_NAMES, eventsToPpmSc, ignoredEventCodes } from '../events/syscalls.js'
import { fieldTypeName } from '../fields/registry.js'
import { LIST_EVENTS_SCHEMA_VERSION } from './version.js'

export type ListEventsFormat = 'text' | 'markdown' | 'json'

export interface EventEntry {
  /** The event's name, or for a generic event the syscall it stands for. */
  readonly name: string
  readonly enter: boolean
  /** False for events Falco drops by default (the ignored I/O syscalls; `-A` keeps them). */
  readonly available: boolean
  readonly info: EventInfo
}

export interface EventCategory {
  readonly title: 'Syscall events' | 'Tracepoint events' | 'Plugin events' | 'Metaevents'
  readonly events: readonly EventEntry[]
}

/**
 * The events `--list-events` shows, by category, in print order: every event that is not
 * generic, an old version, unused or of unknown category, by code; then, under syscalls, an
 * enter and an exit line for each syscall that only the generic events carry. Iterator events
 * belong to none of the four categories and are left out, as Falco leaves them out.
 */
export function listEventEntries(): readonly EventCategory[] {
  const ignored = new Set(ignoredEventCodes())
  const syscalls: EventEntry[] = []
  const tracepoints: EventEntry[] = []
  const plugins: EventEntry[] = []
  const metas: EventEntry[] = []
  const add = (code: number, name?: string): void => {
    const info = EVENTS[code]!
    const entry: EventEntry = { name: name ?? info.name, enter: isEnter(code), available: !ignored.has(code), info }
    if (info.category & EC.SYSCALL) syscalls.push(entry)
    else if (info.category & EC.TRACEPOINT) tracepoints.push(entry)
    else if (info.category & EC.PLUGIN) plugins.push(entry)
    else if (info.category & EC.METAEVENT) metas.push(entry)
  }
  for (let code = 0; code < EVENTS.length; code++) {
    const e = EVENTS[code]!
    if (code === PPME.GENERIC_E || code === PPME.GENERIC_X) continue
    if (e.flags & (EF.OLD_VERSION | EF.UNUSED) || e.category === EC.UNKNOWN) continue
    add(code)
  }
  for (const name of genericSyscallNames()) {
    add(PPME.GENERIC_E, name)
    add(PPME.GENERIC_X, name)
  }
  return [
    { title: 'Syscall events', events: syscalls },
    { title: 'Tracepoint events', events: tracepoints },
    { title: 'Plugin events', events: plugins },
    { title: 'Metaevents', events: metas },
  ]
}

export function listEvents(format: ListEventsFormat): string {
  const categories = listEventEntries()
  switch (format) {
    case 'json': return renderJson(categories)
    case 'markdown': return renderMarkdown(categories)
    case 'text': return renderText(categories)
  }
}

const HEADER = `The events below are valid for Falco *Schema Version*: ${LIST_EVENTS_SCHEMA_VERSION}\n`

function isFlagType(type: ParamType): boolean {
  return type === PT.FLAGS8 || type === PT.FLAGS16 || type === PT.FLAGS32 ||
    type === PT.ENUMFLAGS8 || type === PT.ENUMFLAGS16 || type === PT.ENUMFLAGS32
}

/** The value names of a FLAGS/ENUMFLAGS param in libs' table order; null for other params. */
function flagNames(p: ParamInfo): string[] | null {
  if (!isFlagType(p.type) || p.info === undefined) return null
  return (FLAG_TABLES[p.info] ?? []).map(([name]) => name)
}

/** `TYPE **name**`, then `: A, B` for flags (markdown italicizes each value). */
function paramLine(p: ParamInfo, italicFlags: boolean): string {
  const head = `${fieldTypeName(p.type)} **${p.name}**`
  const flags = flagNames(p)
  if (flags === null) return head
  return `${head}: ${(italicFlags ? flags.map(f => `*${f}*`) : flags).join(', ')}`
}

const dirMark = (e: EventEntry): string => (e.enter ? '>' : '<')

// Text: `> name(TYPE **p**, ...)` per event; a category is its `## title` line, a blank line,
// its events and a blank line. The text layout has no availability marker: only markdown and
// json show it.
function renderText(categories: readonly EventCategory[]): string {
  let out = HEADER
  for (const c of categories) {
    out += `## ${c.title}\n\n`
    for (const e of c.events) out += `${dirMark(e)} ${e.name}(${e.info.params.map(p => paramLine(p, false)).join(', ')})\n`
    out += '\n'
  }
  return out
}

// Markdown: one table per category. The header row really ends in "Params " with a space.
function renderMarkdown(categories: readonly EventCategory[]): string {
  let out = HEADER
  for (const c of categories) {
    out += `## ${c.title}\n\nDefault | Dir | Name | Params \n:-------|:----|:-----|:-----\n`
    for (const e of c.events) {
      out += `${e.available ? 'Yes' : 'No'} | \`${dirMark(e)}\` | \`${e.name}\` | ` +
        `${e.info.params.map(p => paramLine(p, true)).join(', ')}\n`
    }
    out += '\n'
  }
  return out
}

// Falco builds this with nlohmann::json, whose objects are std::maps: keys come out sorted
// bytewise, so the objects below are written in that order (categories before
// "schema_version", capitals first). dump(2) and JSON.stringify(_, null, 2) lay out the same.
function renderJson(categories: readonly EventCategory[]): string {
  const byTitle = new Map(categories.map(c => [c.title, c.events.map(eventJson)]))
  const root: Record<string, unknown> = {}
  for (const title of [...byTitle.keys()].sort(bytewise)) root[title] = byTitle.get(title)
  root['schema_version'] = LIST_EVENTS_SCHEMA_VERSION
  return JSON.stringify(root, null, 2) + '\n'
}

function eventJson(e: EventEntry): object {
  return {
    available: e.available,
    dir: dirMark(e),
    name: e.name,
    params: e.info.params.map(p => {
      const flags = flagNames(p)
      return flags === null
        ? { name: p.name, type: fieldTypeName(p.type) }
        : { flags, name: p.name, type: fieldTypeName(p.type) }
    }),
  }
}

function bytewise(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}

/**
 * The syscalls only the generic events carry, in the order Falco prints them. libsinsp's
 * event_set_to_names hands them over as a std::unordered_set<std::string> (built by
 * sc_set_to_sc_names in ppm_sc order, then copied by unordered_set_union, then "unknown"
 * erased), so Falco prints them in that set's iteration order. Falco 0.44.1's release builds
 * (deb, rpm, tar.gz, container images) are compiled by zig, i.e. against LLVM libc++, whose
 * hash table is emulated below. The musl build uses libstdc++ and prints another order.
 */
export function genericSyscallNames(): string[] {
  const scs = eventsToPpmSc(code => code === PPME.GENERIC_E || code === PPME.GENERIC_X)
  const names: string[] = []
  for (let sc = 0; sc < PPM_SC_MAX; sc++) if (scs.has(sc) && PPM_SC_NAMES[sc]) names.push(PPM_SC_NAMES[sc]!)
  const built = new LibcxxStringSet()
  for (const n of names) built.insert(n)
  const copy = LibcxxStringSet.copyOf(built)
  // Erasing unlinks one node and leaves the others in place.
  return copy.keys().filter(n => n !== 'unknown')
}

// ---- libc++ std::unordered_set<std::string>, as far as iteration order goes ----------------
// std::hash<std::string> is libc++'s CityHash64 variant (__murmur2_or_cityhash<size_t, 64>,
// ABI v1). The table is one singly linked list; each bucket points at the node *before* its
// first node. Checked against clang++ -stdlib=libc++ on every name here and on random strings.

const M64 = (1n << 64n) - 1n
const K0 = 0xc3a5c85c97cb3127n
const K1 = 0xb492b66fbe98f273n
const K2 = 0x9ae16a3b2f90404fn
const K3 = 0xc949d7c7509e6557n
const KMUL = 0x9ddfea08eb382d69n

const mul = (a: bigint, b: bigint): bigint => (a * b) & M64
const sum = (...xs: bigint[]): bigint => xs.reduce((s, x) => s + x, 0n) & M64
const sub = (a: bigint, b: bigint): bigint => (a - b) & M64
const rotr = (v: bigint, s: number): bigint => (s === 0 ? v : ((v >> BigInt(s)) | (v << BigInt(64 - s))) & M64)
const shiftMix = (v: bigint): bigint => v ^ (v >> 47n)

function hashLen16(u: bigint, v: bigint): bigint {
  const a = shiftMix(mul(u ^ v, KMUL))
  const b = shiftMix(mul(v ^ a, KMUL))
  return mul(b, KMUL)
}

/** libc++'s std::hash<std::string> on 64-bit targets, for strings of up to 64 bytes. */
export function libcxxStringHash(s: string): bigint {
  const b = Buffer.from(s, 'utf8')
  const n = b.length
  const len = BigInt(n)
  const w64 = (off: number): bigint => b.readBigUInt64LE(off)
  if (n > 64) throw new RangeError(`libcxxStringHash: ${n}-byte strings are not supported`)
  if (n > 32) return hashLen33to64(w64, len)
  if (n > 16) {
    const a = mul(w64(0), K1)
    const bb = w64(8)
    const c = mul(w64(n - 8), K2)
    const d = mul(w64(n - 16), K0)
    return hashLen16(sum(rotr(sub(a, bb), 43), rotr(c, 30), d), sub(sum(a, rotr(bb ^ K3, 20), len), c))
  }
  if (n > 8) {
    const a = w64(0)
    const last = w64(n - 8)
    return hashLen16(a, rotr(sum(last, len), n)) ^ last
  }
  if (n >= 4) {
    // ABI v1 shifts the 32-bit word before widening it: the top bits are lost.
    const a = (b.readUInt32LE(0) << 3) >>> 0
    return hashLen16(sum(len, BigInt(a)), BigInt(b.readUInt32LE(n - 4)))
  }
  if (n > 0) {
    const y = BigInt((b[0]! + (b[n >> 1]! << 8)) >>> 0)
    const z = BigInt((n + (b[n - 1]! << 2)) >>> 0)
    return mul(shiftMix(mul(y, K2) ^ mul(z, K3)), K2)
  }
  return K2
}

function hashLen33to64(w64: (off: number) => bigint, len: bigint): bigint {
  const n = Number(len)
  let z = w64(24)
  let a = sum(w64(0), mul(sum(len, w64(n - 16)), K0))
  let b = rotr(sum(a, z), 52)
  let c = rotr(a, 37)
  a = sum(a, w64(8))
  c = sum(c, rotr(a, 7))
  a = sum(a, w64(16))
  const vf = sum(a, z)
  const vs = sum(b, rotr(a, 31), c)
  a = sum(w64(16), w64(n - 32))
  z = sum(z, w64(n - 8))
  b = rotr(sum(a, z), 52)
  c = rotr(a, 37)
  a = sum(a, w64(n - 24))
  c = sum(c, rotr(a, 7))
  a = sum(a, w64(n - 16))
  const wf = sum(a, z)
  const ws = sum(b, rotr(a, 31), c)
  const r = shiftMix(sum(mul(sum(vf, ws), K2), mul(sum(wf, vs), K0)))
  return mul(shiftMix(sum(mul(r, K0), vs)), K2)
}

interface SetNode { readonly key: string; readonly hash: bigint; next: SetNode | null }

function isPrime(n: number): boolean {
  if (n < 2) return false
  for (let d = 2; d * d <= n; d++) if (n % d === 0) return false
  return true
}

/** Insertion and rehash order of libc++'s __hash_table for unique keys (max_load_factor 1). */
class LibcxxStringSet {
  private readonly head: SetNode = { key: '', hash: 0n, next: null }
  private buckets: (SetNode | null)[] = []
  private size = 0

  static copyOf(other: LibcxxStringSet): LibcxxStringSet {
    // unordered_set's copy constructor sizes the buckets like the source, then re-inserts the
    // source's elements in iteration order.
    const s = new LibcxxStringSet()
    s.rehash(other.buckets.length)
    for (const k of other.keys()) s.insert(k)
    return s
  }

  keys(): string[] {
    const out: string[] = []
    for (let p = this.head.next; p; p = p.next) out.push(p.key)
    return out
  }

  insert(key: string): void {
    const hash = libcxxStringHash(key)
    let bc = this.buckets.length
    if (bc !== 0) {
      const before = this.buckets[constrain(hash, bc)]
      for (let p = before ? before.next : null; p && constrain(p.hash, bc) === constrain(hash, bc); p = p.next) {
        if (p.key === key) return
      }
    }
    if (bc === 0 || this.size + 1 > bc) {
      const pow2 = bc > 2 && (bc & (bc - 1)) === 0
      this.rehash(Math.max(2 * bc + (pow2 ? 0 : 1), this.size + 1))
      bc = this.buckets.length
    }
    const node: SetNode = { key, hash, next: null }
    const i = constrain(hash, bc)
    const before = this.buckets[i]
    if (!before) {
      node.next = this.head.next
      this.head.next = node
      this.buckets[i] = this.head
      if (node.next) this.buckets[constrain(node.next.hash, bc)] = node
    } else {
      node.next = before.next
      before.next = node
    }
    this.size++
  }

  private rehash(n: number): void {
    if (n === 1) n = 2
    else if (n & (n - 1)) while (!isPrime(n)) n++
    if (n > this.buckets.length) this.doRehash(n)
  }

  private doRehash(nbc: number): void {
    this.buckets = new Array<SetNode | null>(nbc).fill(null)
    let pp = this.head
    let cp = pp.next
    if (!cp) return
    let phash = constrain(cp.hash, nbc)
    this.buckets[phash] = pp
    for (pp = cp, cp = cp.next; cp; cp = pp.next) {
      const chash = constrain(cp.hash, nbc)
      if (chash === phash) {
        pp = cp
      } else if (!this.buckets[chash]) {
        this.buckets[chash] = pp
        pp = cp
        phash = chash
      } else {
        const first = this.buckets[chash]!
        pp.next = cp.next
        cp.next = first.next
        first.next = cp
      }
    }
  }
}

function constrain(hash: bigint, bc: number): number {
  return (bc & (bc - 1)) === 0 ? Number(hash & BigInt(bc - 1)) : Number(hash % BigInt(bc))
}
