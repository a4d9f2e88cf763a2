// Which successful openat calls the probe may keep to itself ("quiet opens"): neither the
// openat exit nor the later close of its fd reaches user space. A key (the raw path, the flags
// less the three bits the probe learns only from the opened file, and the thread's comm) is
// quiet when no enabled rule can tell: the alerts, and what they print, must be those of the
// full stream. Any other event that names a quiet fd (fchmod, dup, a dirfd...) comes after the
// openat the probe held back (driver/bpf/saker.bpf.c quiet_uses), so the state has the fd's
// entry whenever such an event is matched; only two kinds of events go unseen.
//
// Every rule's condition (macros and exceptions inlined) is evaluated with Kleene's three
// values: a check whose fields all have a known value gets its real result (the check
// compiled alone, fed those values), any other check is unknown. For each event type a rule
// can match, it must be false:
//
// - on an openat exit with the same key (any process of that comm, any fd, even one whose
//   thread or fd table is full, so that it gets no entry);
// - on the close of the quiet fd, with the fd fields the openat gave, and without the fd
//   entry (the close of a copy the state has no entry for).
//
// A rule that reads the fd table as a whole (proc.fdopencount...) blocks every key.
import { EventView } from '../events/event.js'
import { EF, EVENTS, PPME } from '../events/table.js'
import type { Expr } from '../filter/ast.js'
import { compileFilter } from '../filter/compile.js'
import type { Predicate } from '../filter/compile.js'
import { parseFieldOrTransformer } from '../filter/parser.js'
import type { FieldBinding, FieldResolver } from '../fields/binding.js'
import type { FieldValue } from '../fields/types.js'
import type { CompiledRule } from '../rules/compiler.js'
import { SyscallEvent } from '../sources/syscall/event.js'
import { typecharFromEvent } from '../sources/syscall/extract-fd.js'
import { syscallResolver } from '../sources/syscall/extractors.js'
import { O } from '../state/constants.js'
import { QUIET_PATH_MAX } from '../sources/live/layout.js'

/** What the probe matches a successful openat against. */
export interface QuietKey {
  /** The flags param with O_F_CREATED, FD_UPPER_LAYER and FD_LOWER_LAYER cleared. */
  readonly flags: number
  /** The thread's comm (proc.name), which the probe compares with the opening thread's. */
  readonly comm: string
  /** The raw name param, without its NUL. */
  readonly path: Uint8Array
}

/** Decisions kept (per key) before the cache starts over. */
const CACHE_MAX = 16384
/** Time new keys may take, per second (ms): 2% of a core. */
const BUDGET_MS = 20
/** The flag bits a key leaves out: the probe knows them only once the file is open. */
const LATE_FLAGS = O.F_CREATED | O.FD_UPPER_LAYER | O.FD_LOWER_LAYER
const OPENAT_X = PPME.SYSCALL_OPENAT_2_X
const FD_EVENT = EF.CREATES_FD | EF.USES_FD | EF.DESTROYS_FD
/** Fields that read the whole fd table (or fds 0-2): any rule reading one blocks every key. */
const WHOLE_TABLE: ReadonlySet<string> = new Set([
  'proc.fdopencount', 'proc.fdusage', 'proc.ppid.duration', 'fd.types', 'proc.stdin.type', 'proc.stdout.type',
  'proc.stderr.type', 'proc.stdin.name', 'proc.stdout.name', 'proc.stderr.name',
])
/** Fields of the openat a key decides (its path and flags; the open succeeded, the fd is a file). */
const KEY_FIELDS: ReadonlySet<string> = new Set([
  'evt.type', 'evt.dir', 'fd.name', 'fd.nameraw', 'fd.directory', 'fd.filename', 'fd.typechar', 'fd.type', 'evt.res',
  'evt.failed', 'evt.is_open_read', 'evt.is_open_write', 'evt.is_open_create', 'evt.abspath',
])
/** openat's params a key decides, for evt.arg and evt.rawarg (flags up to the late bits). */
const KEY_PARAMS: ReadonlySet<string> = new Set(['name', 'flags', '2', '3'])
/**
 * fd fields whose value comes from the fd entry alone, and is the same for every entry an
 * openat with the key makes (a file's name and type; the socket fields are empty for it).
 */
const ENTRY_FIELDS: ReadonlySet<string> = new Set([
  'fd.name', 'fd.nameraw', 'fd.directory', 'fd.filename', 'fd.typechar', 'fd.type', 'fd.cip', 'fd.sip', 'fd.lip', 'fd.rip',
  'fd.cnet', 'fd.snet', 'fd.lnet', 'fd.rnet', 'fd.ip', 'fd.net', 'fd.port', 'fd.proto', 'fd.cport', 'fd.sport', 'fd.lport',
  'fd.rport', 'fd.cproto', 'fd.sproto', 'fd.lproto', 'fd.rproto', 'fd.l4proto', 'fd.sockfamily', 'fd.is_server',
  'fd.connected', 'fd.cip.name', 'fd.sip.name', 'fd.lip.name', 'fd.rip.name',
])
/** fd fields that, with no fd entry, are read from the event (the others are then missing). */
const EVENT_FALLBACK: ReadonlySet<string> = new Set(['fd.name', 'fd.nameraw', 'fd.directory', 'fd.typechar', 'fd.containername', 'fd.containerdirectory'])
const NEEDS_ENTRY: ReadonlySet<string> = new Set([...ENTRY_FIELDS].filter((f) => !EVENT_FALLBACK.has(f)))
const INT = /^-?\d+$/

/** A field as a check or an output names it, resolved. */
interface FieldUse {
  /** The name as written with its argument (the substituted value's key). */
  readonly key: string
  /** The registry's name: evt.arg for evt.arg.flags. */
  readonly name: string
  readonly arg: string | undefined
}

/** What a world knows about a field. */
type State =
  | { readonly kind: 'unknown' }
  /** known: its value in each variant of the key's flags */
  | { readonly kind: 'known'; readonly value: (variant: number) => FieldValue }
  /** an integer in [lo, hi], nothing more */
  | { readonly kind: 'range'; readonly lo: number; readonly hi: number }

const UNKNOWN: State = { kind: 'unknown' }
const known = (v: FieldValue): State => ({ kind: 'known', value: () => v })
const KNOWN_NONE = known(undefined)

interface World {
  readonly variants: number
  state(u: FieldUse): State
}

/**
 * `w` for an event whose fd has no entry, as when the thread's fd table was full: the fields
 * that need the entry are missing, the others are read from the event (the same values).
 */
function noEntry(w: World): World {
  return { variants: w.variants, state: (u) => (NEEDS_ENTRY.has(u.name) ? KNOWN_NONE : w.state(u)) }
}

/** `w` for an event of a thread the full thread table left out: no fd field has a value. */
function noThread(w: World): World {
  return { variants: w.variants, state: (u) => (u.name.startsWith('fd.') || u.name === 'evt.abspath' ? KNOWN_NONE : w.state(u)) }
}

/** Kleene's truth values: undefined is unknown. */
type Tri = boolean | undefined

/** How a later event of a type can meet the quiet fd while it is not sent. */
const enum Meets {
  /** it cannot */
  Never,
  /** an openat with the key */
  Openat,
  /** a close of the fd (not sent) or of a copy of it (sent) */
  Close,
}

function meets(type: number): Meets {
  const info = EVENTS[type]
  if (info === undefined) return Meets.Never
  if (type === OPENAT_X) return Meets.Openat
  return (info.flags & EF.DESTROYS_FD) !== 0 ? Meets.Close : Meets.Never
}

export class QuietOpens {
  private readonly rules: readonly { readonly rule: CompiledRule; readonly types: readonly number[] }[]
  /** Comm → flags → path → the blocker (null: quiet). */
  private readonly decisions = new Map<string, Map<number, Map<string, string | null>>>()
  private decided = 0
  private readonly uses = new WeakMap<Expr, readonly FieldUse[]>()
  private readonly leaves = new WeakMap<Expr, Predicate<unknown>>()
  private readonly extractors = new Map<string, (ev: SyscallEvent) => FieldValue>()
  /** The values a compiled leaf reads, by FieldUse.key, set before each run. */
  private readonly values = new Map<string, FieldValue>()
  private readonly feed: FieldResolver<unknown>
  /** A rule that reads the whole fd table, when one does. */
  private readonly wholeTable: string | null
  /** Each (rule, close type) on a close without the fd entry: it depends on no key. */
  private readonly missing = new Map<string, Tri>()
  /** Each (rule, type)'s condition with its checks of the event type and direction decided. */
  private readonly byType = new Map<string, Expr | boolean>()
  /** Decision time spent in the current second (ms), and when that second began. */
  private spentMs = 0
  private windowStart = 0

  /**
   * @param rules the enabled rules of the syscall source
   * @param clock milliseconds, for the time budget of new keys (tests give their own)
   */
  constructor(rules: readonly CompiledRule[], private readonly clock: () => number = () => performance.now()) {
    const values = this.values
    // a check compiled alone reads its fields from `values`: the same operators, value parsing
    // and missing-value rules as the rule's own compiled check
    this.feed = {
      source: syscallResolver.source,
      bind(name: string, arg: string | undefined): FieldBinding<unknown> {
        const key = arg === undefined ? name : name + '[' + arg + ']'
        return { ref: syscallResolver.bind(name, arg).ref, extract: () => values.get(key) }
      },
      isField: syscallResolver.isField?.bind(syscallResolver),
    }
    this.rules = rules.map((rule) => {
      const all = rule.evttypes === 'all' ? EVENTS.map((_, t) => t) : [...rule.evttypes]
      return { rule, types: all.filter((t) => meets(t) !== Meets.Never) }
    })
    // quiet fds are not in the state's fd table: counts and the like would differ on any event
    const readsTable = (rule: CompiledRule): boolean => {
      const output = [rule.formatter, ...rule.extraFields.values()].flatMap((f) => f.fieldNames.flatMap((n) => this.fieldsOf(parseFieldOrTransformer(n).expr)))
      return [...this.usesOf(rule.condition), ...output].some((u) => WHOLE_TABLE.has(u.name))
    }
    this.wholeTable = rules.find(readsTable)?.name ?? null
  }

  /**
   * For a successful openat exit event that the state has just applied (`ev`), the key to give
   * the probe when no enabled rule can depend on this open or its fd, else null.
   */
  consider(ev: SyscallEvent): QuietKey | null {
    if (!eligible(ev) || this.blockerOf(ev) !== null) return null
    const v = ev.view
    return { flags: keyFlags(v), comm: ev.thread!.comm, path: v.bytes(2).slice(0, pathLength(v)) }
  }

  /** Why `ev`'s key is not quiet (a rule and an event type), null when it is; for diagnostics. */
  blocker(ev: SyscallEvent): string | null {
    return eligible(ev) ? this.blockerOf(ev) : 'not a successful openat of an absolute path that opened a file'
  }

  private blockerOf(ev: SyscallEvent): string | null {
    // by comm, flags, then the name as text (every field the decision reads has the name as
    // text; the state's decoding reuses the text of a recent name: no string is made per call)
    const v = ev.view
    const flags = keyFlags(v)
    const comm = ev.thread!.comm
    let byFlags = this.decisions.get(comm)
    if (byFlags === undefined) this.decisions.set(comm, (byFlags = new Map()))
    let byName = byFlags.get(flags)
    if (byName === undefined) byFlags.set(flags, (byName = new Map()))
    const name = v.str(2)
    let got = byName.get(name)
    if (got === undefined) {
      // a new key costs ~0.1 ms with Falco's rules (more while its checks compile): a run of
      // ever new paths (find, a build) is not worth more than BUDGET_MS a second; past it,
      // keys stay sent and undecided
      const now = this.clock()
      if (now - this.windowStart >= 1000) {
        this.windowStart = now
        this.spentMs = 0
      } else if (this.spentMs >= BUDGET_MS) {
        return 'the time for new keys this second is spent'
      }
      if (this.decided >= CACHE_MAX) {
        this.decisions.clear()
        this.decided = 0
        this.decisions.set(comm, byFlags)
        byFlags.clear()
        byFlags.set(flags, byName)
        byName.clear()
      }
      got = this.decide(ev, flags)
      byName.set(name, got)
      this.decided++
      this.spentMs += this.clock() - now
    }
    return got
  }

  private decide(ev: SyscallEvent, flags: number): string | null {
    if (this.wholeTable !== null) return `rule '${this.wholeTable}' reads the whole fd table`
    const self = this.selfWorld(ev, flags)
    for (const { rule, types } of this.rules) {
      for (const t of types) {
        const why = this.check(rule, t, ev, self)
        if (why !== null) return `rule '${rule.name}' on ${EVENTS[t]!.name}${(t & 1) === 0 ? ' enter' : ''}: ${why}`
      }
    }
    return null
  }

  /** Why rule R on events of type `t` (an openat or a close) can tell the key's opens apart, or null. */
  private check(rule: CompiledRule, t: number, ev: SyscallEvent, self: World): string | null {
    if (t === OPENAT_X) return this.never(rule, t, [self, noEntry(self), noThread(self)]) ? null : 'it can match the open itself'
    const entry = this.entryWorld(t, ev)
    if (!this.never(rule, t, [entry, noThread(entry)])) return 'it can match the close that is not sent'
    // a close with no entry: of a quiet fd that a full fd table left out, or of a copy (sent)
    if (this.missingRes(rule, t) !== false) return 'it can match the close of the fd without its entry'
    return null
  }

  /** Whether the rule's condition is false in every world of `worlds` (all of event type `t`). */
  private never(rule: CompiledRule, t: number, worlds: readonly World[]): boolean {
    const e = this.ofType(rule, t)
    return e === false || (e !== true && worlds.every((w) => this.decideChecks(e, w) === false))
  }

  /**
   * The rule's condition on events of type `t`, its checks of the event type and direction
   * decided (once, for every key): Falco's conditions are mostly checks of other event types,
   * so what is left for each key is small.
   */
  private ofType(rule: CompiledRule, t: number): Expr | boolean {
    const id = rule.id + ':' + t
    let e = this.byType.get(id)
    if (e === undefined) {
      const info = EVENTS[t]!
      const world: World = {
        variants: 1,
        state: (u) => (u.name === 'evt.type' ? known(info.name) : u.name === 'evt.dir' ? known((t & 1) === 0 ? '>' : '<') : UNKNOWN),
      }
      this.byType.set(id, (e = this.decideChecks(rule.condition, world)))
    }
    return e
  }

  /**
   * `e` with the checks `w` decides replaced by their value, and/or/not folded (Kleene's
   * logic: a false child decides an and, a true one an or): a boolean when `w` decides it all.
   */
  private decideChecks(e: Expr, w: World): Expr | boolean {
    switch (e.kind) {
      case 'and':
      case 'or': {
        const stop = e.kind === 'or'
        const kept: Expr[] = []
        let same = true
        for (const c of e.children) {
          const r = this.decideChecks(c, w)
          if (r === stop) return stop
          if (r !== !stop) kept.push(r as Expr)
          same &&= r === c
        }
        if (kept.length === 0) return !stop
        if (same) return e
        return kept.length === 1 ? kept[0]! : { ...e, children: kept }
      }
      case 'not': {
        const r = this.decideChecks(e.child, w)
        if (typeof r === 'boolean') return !r
        return r === e.child ? e : { ...e, child: r }
      }
      case 'unary':
      case 'binary':
        return this.leaf(e, w) ?? e
      default:
        return e
    }
  }

  private missingRes(rule: CompiledRule, t: number): Tri {
    const id = rule.id + ':' + t
    if (!this.missing.has(id)) {
      const e = this.ofType(rule, t)
      const r = typeof e === 'boolean' ? e : this.decideChecks(e, this.missingWorld(t))
      this.missing.set(id, typeof r === 'boolean' ? r : undefined)
    }
    return this.missing.get(id)
  }

  // ---- worlds -------------------------------------------------------------------------------

  /** A later openat with the key: what the key decides, in each of the 8 settings of the late bits. */
  private selfWorld(ev: SyscallEvent, flags: number): World {
    const variants = lateVariants(ev, flags)
    const from = (u: FieldUse): State => {
      const x = this.extractor(u)
      return { kind: 'known', value: (i) => x(variants[i]!) }
    }
    return {
      variants: variants.length,
      state: (u) => {
        if (KEY_FIELDS.has(u.name)) return from(u)
        switch (u.name) {
          // the probe matches the opening thread's comm, while not renamed since its exec
          case 'proc.name':
            return from(u)
          case 'evt.arg':
          case 'evt.rawarg':
            return u.arg !== undefined && KEY_PARAMS.has(u.arg) ? from(u) : UNKNOWN
          // with O_CREAT or O_TMPFILE, it reads the mode param, which the key does not hold
          case 'evt.is_open_exec':
            return (flags & (O.CREAT | O.TMPFILE)) === 0 ? from(u) : UNKNOWN
          case 'fd.num':
          case 'evt.rawres':
            return { kind: 'range', lo: 0, hi: Infinity }
          case 'evt.num':
            return { kind: 'range', lo: 1, hi: Infinity }
          default:
            return UNKNOWN
        }
      },
    }
  }

  /** An event of type `t` on the quiet fd, with the entry the openat made. */
  private entryWorld(t: number, ev: SyscallEvent): World {
    return {
      variants: 1,
      state: (u) => {
        if (!u.name.startsWith('fd.')) return this.common(u, t)
        if ((EVENTS[t]!.flags & FD_EVENT) === 0) return KNOWN_NONE
        if (ENTRY_FIELDS.has(u.name)) return known(this.extractor(u)(ev))
        return UNKNOWN
      },
    }
  }

  /** A close (type `t`) of the quiet fd, with no entry for it. */
  private missingWorld(t: number): World {
    return {
      variants: 1,
      state: (u) => {
        if (!u.name.startsWith('fd.')) return this.common(u, t)
        if ((EVENTS[t]!.flags & FD_EVENT) === 0) return KNOWN_NONE
        if (u.name === 'fd.num' || u.name === 'fd.uid') return UNKNOWN
        if (!EVENT_FALLBACK.has(u.name)) return KNOWN_NONE
        if (u.name === 'fd.typechar') return known(typecharFromEvent(t))
        if (u.name === 'fd.containername' || u.name === 'fd.containerdirectory') return UNKNOWN
        // extract_fdname_from_event: nothing for an enter event, else '' for a close
        if ((t & 1) === 0) return KNOWN_NONE
        return known(u.name === 'fd.directory' ? '/' : '')
      },
    }
  }

  /** A non-fd field on a close (type `t`): its type and direction, nothing else. */
  private common(u: FieldUse, t: number): State {
    if (u.name === 'evt.type') return known(EVENTS[t]!.name)
    if (u.name === 'evt.dir') return known((t & 1) === 0 ? '>' : '<')
    return UNKNOWN
  }

  // ---- partial evaluation ---------------------------------------------------------------------

  private leaf(e: Expr, w: World): Tri {
    const uses = this.usesOf(e)
    const states = uses.map((u) => w.state(u))
    if (states.some((s) => s.kind === 'unknown')) return undefined
    const range = states.find((s) => s.kind === 'range')
    if (range !== undefined) return states.length === 1 ? inRange(e, range.lo, range.hi) : undefined
    let pred = this.leaves.get(e)
    if (pred === undefined) this.leaves.set(e, (pred = compileFilter(e, this.feed)))
    let first: boolean | undefined
    for (let i = 0; i < w.variants; i++) {
      uses.forEach((u, k) => this.values.set(u.key, (states[k] as Extract<State, { kind: 'known' }>).value(i)))
      const r = pred(null)
      if (first === undefined) first = r
      else if (r !== first) return undefined
    }
    return first
  }

  private usesOf(e: Expr): readonly FieldUse[] {
    let got = this.uses.get(e)
    if (got === undefined) this.uses.set(e, (got = this.fieldsOf(e)))
    return got
  }

  private fieldsOf(e: Expr): FieldUse[] {
    const out: FieldUse[] = []
    const walk = (x: Expr): void => {
      switch (x.kind) {
        case 'field': {
          const ref = syscallResolver.bind(x.field, x.arg).ref
          out.push({ key: x.arg === undefined ? x.field : x.field + '[' + x.arg + ']', name: ref.def.name, arg: ref.arg })
          return
        }
        case 'and': case 'or': case 'transformer_list': x.children.forEach(walk); return
        case 'not': walk(x.child); return
        case 'transformer': x.values.forEach(walk); return
        case 'unary': walk(x.left); return
        case 'binary': walk(x.left); walk(x.right); return
        default: return
      }
    }
    walk(e)
    return out
  }

  private extractor(u: FieldUse): (ev: SyscallEvent) => FieldValue {
    let x = this.extractors.get(u.key)
    if (x === undefined) {
      const open = u.key.indexOf('[')
      const name = open < 0 ? u.key : u.key.slice(0, open)
      this.extractors.set(u.key, (x = syscallResolver.bind(name, open < 0 ? undefined : u.key.slice(open + 1, -1)).extract))
    }
    return x
  }
}

/**
 * A successful openat of an absolute path (of at most QUIET_PATH_MAX bytes, no NUL) that
 * opened a file, by a thread the state knows (its comm is part of the key).
 */
function eligible(ev: SyscallEvent): boolean {
  const v = ev.view
  if (v.type !== OPENAT_X || v.nparams < 4 || v.paramLen(0) !== 8 || v.paramLen(3) !== 4) return false
  if (ev.thread === null || ev.thread.comm === '' || ev.thread.comm.includes('/')) return false
  const fd = v.i64(0)
  const f = ev.fd
  if (fd < 0 || f === null || f.fd !== fd || !f.isFile()) return false
  const len = pathLength(v)
  const nul = v.bytes(2).indexOf(0)
  return len > 0 && len <= QUIET_PATH_MAX && v.buf[v.paramOffset(2)] === 0x2f && (nul < 0 || nul === len)
}

/** The name param's length without its terminating NUL. */
function pathLength(v: EventView): number {
  const n = v.paramLen(2)
  return n > 0 && v.buf[v.paramOffset(2) + n - 1] === 0 ? n - 1 : n
}

const keyFlags = (v: EventView): number => (v.u32(3) & ~LATE_FLAGS) >>> 0

/** `ev` with each setting of the late flag bits (the first is `ev` itself). */
function lateVariants(ev: SyscallEvent, keyFlags: number): SyscallEvent[] {
  const v = ev.view
  const bytes = v.buf.slice(v.offset, v.offset + v.len)
  const at = v.paramOffset(3) - v.offset
  const out = [ev]
  const actual = v.u32(3)
  for (let bits = 0; bits < 8; bits++) {
    const flags = (keyFlags | (bits & 1 ? O.F_CREATED : 0) | (bits & 2 ? O.FD_UPPER_LAYER : 0) | (bits & 4 ? O.FD_LOWER_LAYER : 0)) >>> 0
    if (flags === actual) continue
    const copy = bytes.slice()
    new DataView(copy.buffer).setUint32(at, flags, true)
    const c = new SyscallEvent(ev.state)
    c.view = new EventView().reset(copy, 0)
    c.num = ev.num
    c.thread = ev.thread
    c.fd = ev.fd
    out.push(c)
  }
  return out
}

/** A check of one integer field known to lie in [lo, hi], when that decides it. */
function inRange(e: Expr, lo: number, hi: number): boolean | undefined {
  if (e.kind === 'unary') return e.op === 'exists' ? true : undefined
  if (e.kind !== 'binary') return undefined
  const texts = e.right.kind === 'value' ? [e.right.value] : e.right.kind === 'list' ? e.right.values : []
  if (texts.length === 0 || !texts.every((s) => INT.test(s))) return undefined
  const n = Number(texts[0])
  switch (e.op) {
    case '=': case '==':
      return n < lo || n > hi ? false : lo === hi ? true : undefined
    case '!=':
      return n < lo || n > hi ? true : lo === hi ? false : undefined
    case '<': return hi < n ? true : lo >= n ? false : undefined
    case '<=': return hi <= n ? true : lo > n ? false : undefined
    case '>': return lo > n ? true : hi <= n ? false : undefined
    case '>=': return lo >= n ? true : hi < n ? false : undefined
    case 'in': return texts.every((s) => Number(s) < lo || Number(s) > hi) ? false : undefined
    default: return undefined
  }
}
