// Letting the first events of a new container wait, a bounded time, for its metadata.
//
// The live loop applies each event to the state and then matches rules. When the state
// puts a thread into a container the table has no record of (typically the execve of the
// container's entrypoint, or of a shell exec'd into it), matching that event right away
// would give it no container.name, no k8s.pod.name. So that event (already applied) is held,
// and so is every later event of that thread, and of every other thread the state puts into
// that container meanwhile (those not applied yet: their state waits with them), until the
// lookup answers or `maxWaitMs` passes, or the held bytes reach `maxHeldBytes`. Then they go
// through, in their order. Events of every other thread keep flowing: order is kept per
// thread, not across threads. Each container is waited for once: a container no runtime
// knows (plain runc) costs one wait, not one per event.
//
// Falco does not wait (its fields read "may not be available yet" for the first events);
// lookups here take a few milliseconds (see the README), so the wait is usually that short.

import { cgroupsHint } from './cgroup-hint.js'
import type { ContainerMetadata } from './provider.js'
import { deadline } from './timer.js'
import type { Deadline } from './timer.js'
import type { ContainerInfo } from '../state/containers.js'

export interface WaitOptions {
  /** Longest time events are held for one container (up to 5 times that while the event loop runs late). */
  maxWaitMs?: number
  /** Held event bytes (all containers) past which every wait ends early (the ring must keep flowing). */
  maxHeldBytes?: number
  /** Why a container's events went through without its record (debug). */
  log?: (message: string) => void
}

/** The container table as the wait needs it (src/state/containers.ts ContainerTable fits). */
export interface ContainerLookupTable {
  get(id: string): ContainerInfo | undefined
  put(info: ContainerInfo): void
}

interface Waiting<T> {
  id: string
  items: T[]
  bytes: number
  tids: Set<number>
  timer: Deadline
}

/**
 * `release(items)` gets the held items of one container, in the order they were held, when
 * its wait ends; it hands them to the loop, which may hold some of them again (a thread
 * that moved on into another new container).
 */
export class ContainerWait<T> {
  private readonly waits = new Map<string, Waiting<T>>()
  /** Thread id → the wait its events are held in. */
  private readonly heldTids = new Map<number, Waiting<T>>()
  private heldBytes = 0
  private readonly settled = new Set<string>()
  /**
   * Settled containers without a record looked up again less than a second ago (a set
   * rather than the time of each lookup: reading the clock for every event of such a
   * container was 5% of the live event loop in a profile).
   */
  private readonly askedRecently = new Set<string>()
  private readonly maxWaitMs: number
  private readonly maxHeldBytes: number
  private readonly log: (message: string) => void
  /** For metrics: waits started, ended by an answer, by the time limit, by the byte limit. */
  readonly stats = { waits: 0, answered: 0, timedOut: 0, overflowed: 0, heldEvents: 0 }

  constructor(
    private readonly md: ContainerMetadata,
    private readonly table: ContainerLookupTable,
    private readonly release: (items: T[]) => void,
    opts: WaitOptions = {},
  ) {
    this.maxWaitMs = opts.maxWaitMs ?? 200
    this.maxHeldBytes = opts.maxHeldBytes ?? 16 << 20
    this.log = opts.log ?? (() => {})
  }

  /** Whether any event is held now (cheap: asked before every event). */
  get holding(): boolean {
    return this.heldTids.size > 0
  }

  /** Whether the events of thread `tid` are held (then hold() the next one, unapplied). */
  holds(tid: number): boolean {
    return this.heldTids.has(tid)
  }

  /**
   * After the state applied an event of thread `tid`, which is in container `id` ('' for the
   * host): must it wait? True when that container is being waited for, or is new (its
   * lookup starts here); the caller then holds the event with hold().
   */
  needsWait(id: string, cgroupPaths: readonly string[], tid: number): boolean {
    if (id === '') return false
    // the common answer first: a container without a record, asked again within the second
    // (on a host whose own processes sit in a container-like cgroup, every event's)
    if (this.waits.size === 0 && this.askedRecently.has(id)) return false
    const running = this.waits.get(id)
    if (running !== undefined) {
      this.heldTids.set(tid, running)
      running.tids.add(tid)
      return true
    }
    if (this.table.get(id) !== undefined) return false
    if (this.settled.has(id)) {
      this.askAgain(id, cgroupPaths)
      return false
    }
    if (this.settled.size >= 65_536) {
      this.settled.clear()
      this.askedRecently.clear()
    }
    this.settled.add(id)
    const cached = this.md.peek(id)
    if (cached !== undefined) {
      this.table.put(cached)
      return false
    }
    this.stats.waits++
    const started = Date.now()
    let armedAt = started
    let turns = 0
    const expire = (): void => {
      // A saturated event loop fires this timer late, and delays the lookup's answers just as
      // much: while it runs late, the bound counts again (at most 4 times), so a busy
      // Saker still waits the lookup's few turns of the loop.
      const now = Date.now()
      if (now - armedAt - this.maxWaitMs > this.maxWaitMs / 2 && turns < 4) {
        turns++
        armedAt = now
        w.timer = deadline(this.maxWaitMs, expire)
        return
      }
      this.stats.timedOut++
      this.log(`container ${id}: no record within ${Date.now() - started} ms, its first events go through without it`)
      this.end(w)
    }
    const w: Waiting<T> = { id, items: [], bytes: 0, tids: new Set([tid]), timer: deadline(this.maxWaitMs, expire) }
    this.waits.set(id, w)
    this.heldTids.set(tid, w)
    void this.md.resolve(id, cgroupsHint(cgroupPaths)).then(out => {
      if (out.info !== null && this.table.get(id) === undefined) this.table.put(out.info)
      if (out.info === null) this.log(`container ${id}: no record (${out.reason})`)
      if (this.waits.get(id) === w) {
        this.stats.answered++
        this.end(w)
      }
    })
    return true
  }

  /**
   * A container waited for once and still without a record (its lookup timed out, or its
   * runtime was down): its events go on without waiting, and its lookup is tried again, at
   * most once a second, so that its later events get the record.
   */
  private askAgain(id: string, cgroupPaths: readonly string[]): void {
    if (this.askedRecently.has(id)) return
    this.askedRecently.add(id)
    setTimeout(() => this.askedRecently.delete(id), 1000).unref()
    void this.md.resolve(id, cgroupsHint(cgroupPaths), true).then(out => {
      if (out.info !== null && this.table.get(id) === undefined) this.table.put(out.info)
    })
  }

  /** Keeps one event of thread `tid`, whose events are held (holds() or needsWait() said so). */
  hold(tid: number, item: T, bytes: number): void {
    const w = this.heldTids.get(tid)
    if (w === undefined) throw new Error(`thread ${tid} has no held events`)
    w.items.push(item)
    w.bytes += bytes
    this.heldBytes += bytes
    this.stats.heldEvents++
    if (this.heldBytes > this.maxHeldBytes) {
      this.stats.overflowed++
      for (const x of [...this.waits.values()]) this.end(x)
    }
  }

  /**
   * Holds `tid`'s events with those of the wait `heldTid` is in: a held clone's child, before
   * its own events, or an ancestor of a held thread.
   */
  follow(heldTid: number, tid: number): void {
    const w = this.heldTids.get(heldTid)
    if (w === undefined || this.heldTids.has(tid)) return
    this.heldTids.set(tid, w)
    w.tids.add(tid)
  }

  /** Lets everything through now (at shutdown). */
  flush(): void {
    for (const w of [...this.waits.values()]) this.end(w)
  }

  private end(w: Waiting<T>): void {
    if (this.waits.get(w.id) !== w) return
    w.timer.clear()
    this.waits.delete(w.id)
    for (const tid of w.tids) if (this.heldTids.get(tid) === w) this.heldTids.delete(tid)
    this.heldBytes -= w.bytes
    this.release(w.items)
  }
}

/**
 * Keeps a container table in step with the provider: records it finds are put in, removed
 * containers taken out. Returns the unsubscribe function.
 */
export function syncTable(md: ContainerMetadata, table: ContainerLookupTable & { readonly byId: Map<string, ContainerInfo> }): () => void {
  return md.onChange(c => {
    if (c.kind === 'added') table.put(c.info)
    else if (c.id !== '') table.byId.delete(c.id)
  })
}
