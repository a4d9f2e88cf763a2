// Param access for the parsers. Parsers are written for the modern event layouts (the
// table's non-OLD_VERSION entries), as libs 0.25 delivers them after its converter. Until
// Saker's reader converts old events too, EventArgs gives the same view over what old
// captures hold:
//  - an old event version is read through the modern layout of the same syscall and
//    direction, params matched by name (absent ones read as absent);
//  - an exit event lacking params its enter event carried (old captures split them) reads
//    those from the thread's stored enter event, when it is the matching one.
// On modern events both steps are one array check each, and nothing is copied.

import { EventView } from '../events/event.js'
import { splitNul } from '../events/params.js'
import { EF, EVENTS, PPME } from '../events/table.js'
import type { ThreadInfo } from './thread.js'

const N = EVENTS.length

/** The modern event code each code is parsed as. */
export const MODERN: Int16Array = new Int16Array(N)
/** Per code: modern param index -> index in this code's params (-1 absent); null when identical. */
const PMAP: (Int16Array | null)[] = new Array(N).fill(null)
/** Per exit code: modern param index -> index in the enter event's params (-1 none); null when none map. */
const EMAP: (Int16Array | null)[] = new Array(N).fill(null)
/** Enter codes whose event is kept for the exit: its exit reads params from it. */
export const STORE_ENTER: Uint8Array = new Uint8Array(N)

;(() => {
  const modernBy = new Map<string, number>()
  for (let t = 0; t < N; t++) {
    const e = EVENTS[t]
    if (e === undefined || (e.flags & EF.OLD_VERSION) !== 0 || e.name === 'NA') continue
    modernBy.set(e.name + '/' + e.dir, t)
  }
  for (let t = 0; t < N; t++) {
    const e = EVENTS[t]
    MODERN[t] = t
    if (e === undefined || (e.flags & EF.OLD_VERSION) === 0) continue
    const m = modernBy.get(e.name + '/' + e.dir)
    if (m === undefined) continue
    MODERN[t] = m
    const mp = EVENTS[m]!.params
    const map = new Int16Array(mp.length)
    for (let i = 0; i < mp.length; i++) map[i] = e.params.findIndex(p => p.name === mp[i]!.name)
    PMAP[t] = map
  }
  // The enter events libsinsp itself keeps for their exit (parsers.cpp process_event).
  for (const t of [PPME.SYSCALL_OPEN_E, PPME.SYSCALL_CREAT_E, PPME.SYSCALL_OPENAT_2_E, PPME.SYSCALL_OPENAT2_E,
    PPME.SYSCALL_EXECVE_19_E, PPME.SYSCALL_EXECVEAT_E, PPME.SOCKET_CONNECT_E]) STORE_ENTER[t] = 1
  for (let t = 1; t < N; t += 2) {
    const x = EVENTS[t]
    const en = EVENTS[t - 1]
    if (x === undefined || en === undefined || en.name !== x.name || en.params.length === 0) continue
    const mp = EVENTS[MODERN[t]!]!.params
    const map = new Int16Array(mp.length)
    let any = false
    for (let i = 0; i < mp.length; i++) {
      map[i] = en.params.findIndex(p => p.name === mp[i]!.name)
      if (map[i]! >= 0) any = true
    }
    if (any) {
      EMAP[t] = map
      STORE_ENTER[t - 1] = 1
    }
  }
})()

export class EventArgs {
  ev: EventView = new EventView()
  /** The modern code the current event is parsed as. */
  type = 0
  private map: Int16Array | null = null
  private emap: Int16Array | null = null
  private enterOk = false
  private readonly enter = new EventView()

  /** Points at `ev`; the thread's stored enter event is used when it matches. */
  bind(ev: EventView, thread: ThreadInfo | null): void {
    this.ev = ev
    const t = ev.type
    this.type = MODERN[t]!
    this.map = PMAP[t]!
    this.emap = EMAP[t]!
    this.enterOk = false
    if (this.emap !== null && thread !== null && thread.lastEventValid && thread.lastEnter !== null &&
        thread.lastEnterLen > 0) {
      this.enter.reset(thread.lastEnter, 0)
      this.enterOk = this.enter.type === t - 1 && this.enter.error() === null
    }
  }

  // Where modern param i is: >= 0 an index in `ev`, <= -2 index (-loc - 2) in the enter event, -1 nowhere.
  private loc(i: number): number {
    const m = this.map
    const j = m === null ? i : i < m.length ? m[i]! : -1
    if (j >= 0 && j < this.ev.nparams) return j
    if (this.enterOk) {
      const e = this.emap!
      const k = i < e.length ? e[i]! : -1
      if (k >= 0 && k < this.enter.nparams) return -k - 2
    }
    return -1
  }

  /** The view and index holding param i, or null when absent. */
  where(i: number): { view: EventView; index: number } | null {
    const l = this.loc(i)
    if (l === -1) return null
    return l >= 0 ? { view: this.ev, index: l } : { view: this.enter, index: -l - 2 }
  }

  /** Absent, or present with zero length (scap's empty param). */
  empty(i: number): boolean {
    const l = this.loc(i)
    if (l === -1) return true
    return l >= 0 ? this.ev.paramLen(l) === 0 : this.enter.paramLen(-l - 2) === 0
  }

  len(i: number): number {
    const l = this.loc(i)
    if (l === -1) return 0
    return l >= 0 ? this.ev.paramLen(l) : this.enter.paramLen(-l - 2)
  }

  i64(i: number): number {
    const l = this.loc(i)
    if (l === -1) return 0
    return l >= 0 ? this.ev.i64(l) : this.enter.i64(-l - 2)
  }

  u64(i: number): bigint {
    const l = this.loc(i)
    if (l === -1) return 0n
    return l >= 0 ? this.ev.u64(l) : this.enter.u64(-l - 2)
  }

  u64n(i: number): number {
    const l = this.loc(i)
    if (l === -1) return 0
    return l >= 0 ? this.ev.u64n(l) : this.enter.u64n(-l - 2)
  }

  /** A 32- or 64-bit signed value, by the param's length (get_syscall_return_value). */
  ret(i: number): number {
    const l = this.loc(i)
    if (l === -1) return 0
    const v = l >= 0 ? this.ev : this.enter
    const k = l >= 0 ? l : -l - 2
    const n = v.paramLen(k)
    return n === 8 ? v.i64(k) : n === 4 ? v.i32(k) : 0
  }

  u32(i: number): number {
    const l = this.loc(i)
    if (l === -1) return 0
    return l >= 0 ? this.ev.u32(l) : this.enter.u32(-l - 2)
  }

  i32(i: number): number {
    const l = this.loc(i)
    if (l === -1) return 0
    return l >= 0 ? this.ev.i32(l) : this.enter.i32(-l - 2)
  }

  u16(i: number): number {
    const l = this.loc(i)
    if (l === -1) return 0
    return l >= 0 ? this.ev.u16(l) : this.enter.u16(-l - 2)
  }

  u8(i: number): number {
    const l = this.loc(i)
    if (l === -1) return 0
    return l >= 0 ? this.ev.u8(l) : this.enter.u8(-l - 2)
  }

  /** Text up to the first NUL ('' when empty). */
  str(i: number): string {
    const l = this.loc(i)
    if (l === -1) return ''
    return l >= 0 ? this.ev.str(l) : this.enter.str(-l - 2)
  }

  /**
   * Text with libsinsp's legacy null encoding: empty, or "(NULL)", reads as "<NA>"
   * (what `param->as<std::string_view>()` gives for CHARBUF/FSPATH params).
   */
  path(i: number): string {
    const l = this.loc(i)
    if (l === -1) return '<NA>'
    const v = l >= 0 ? this.ev : this.enter
    const k = l >= 0 ? l : -l - 2
    const n = v.paramLen(k)
    if (n === 0) return '<NA>'
    const s = v.str(k)
    return n === 7 && s === '(NULL)' ? '<NA>' : s
  }

  /** NUL-separated strings (args, env, cgroups), split as libsinsp splits them. */
  strs(i: number): string[] {
    const l = this.loc(i)
    if (l === -1) return []
    const v = l >= 0 ? this.ev : this.enter
    const k = l >= 0 ? l : -l - 2
    const n = v.paramLen(k)
    if (n === 0) return []
    const o = v.paramOffset(k)
    return splitNul(v.buf, o, o + n)
  }

  /** strs(i) as `memo` made it: the same value while the list's bytes stay the same. */
  strsVia<T>(i: number, memo: ListMemo<T>): T {
    const l = this.loc(i)
    if (l === -1) return memo.get(EMPTY, 0, 0)
    const v = l >= 0 ? this.ev : this.enter
    const k = l >= 0 ? l : -l - 2
    const n = v.paramLen(k)
    return memo.get(v.buf, n === 0 ? 0 : v.paramOffset(k), n)
  }

  bytes(i: number): Uint8Array {
    const l = this.loc(i)
    if (l === -1) return EMPTY
    return l >= 0 ? this.ev.bytes(l) : this.enter.bytes(-l - 2)
  }
}

const EMPTY = new Uint8Array(0)

/**
 * The last NUL-separated list read through it and what `make` made of it, reused while the
 * next list has the same bytes: a new process mostly carries the environment, cgroups and
 * (at clone) arguments of the one before it, and splitting them again each time was a good
 * part of the garbage Saker made per fork+exec. The value is shared: never changed in place.
 */
export class ListMemo<T> {
  private bytes = Buffer.alloc(0)
  private value: T

  constructor(private readonly make: (list: string[]) => T) {
    this.value = make([])
  }

  get(buf: Uint8Array, o: number, n: number): T {
    if (n !== this.bytes.length || (n > 0 && this.bytes.compare(buf, o, o + n) !== 0)) {
      this.value = this.make(splitNul(buf, o, o + n))
      this.bytes = Buffer.from(buf.subarray(o, o + n))
    }
    return this.value
  }
}
