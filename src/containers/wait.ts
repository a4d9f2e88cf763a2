// Letting the first events of a new container wait, a bounded time, for its metadata.
//
// The live loop applies each event to the state and then matches rules. When the state
// puts a thread into a container the table has no record of (typically the execve of the
// container's entrypoint), matching that event right away would give it no container.name,
// no k8s.pod.name. So: that event (state already applied) and every event after it (not yet
// applied) are held, in order, until the lookup answers or `maxWaitMs` passes, or the held
// bytes reach `maxHeldBytes`; then they go through, in order, as if nothing had happened,
// with only latency added. Each container is waited for once: a container no runtime knows
// (plain runc) costs one wait, not one per event.
//
// Falco does not wait (its fields read "may not be available yet" for the first events);
// lookups here take a few milliseconds (see the README), so the wait is usually that short.

import { cgroupsHint } from './cgroup-hint.js'
import type { ContainerMetadata } from './provider.js'
import type { ContainerInfo } from '../state/containers.js'

export interface WaitOptions {
  /** Longest time events are held for one container. */
  maxWaitMs?: number
  /** Held event bytes past which the wait ends early (the ring buffer must keep flowing). */
  maxHeldBytes?: number
}

/** The container table as the wait needs it (src/state/containers.ts ContainerTable fits). */
export interface ContainerLookupTable {
  get(id: string): ContainerInfo | undefined
  put(info: ContainerInfo): void
  readonly byId: Map<string, ContainerInfo>
}

/**
 * Keeps a container table in step with the provider: records it finds are put in, removed
 * containers taken out. Returns the unsubscribe function.
 */
export function syncTable(md: ContainerMetadata, table: ContainerLookupTable): () => void {
  return md.onChange(c => {
    if (c.kind === 'added') table.put(c.info)
    else if (c.id !== '') table.byId.delete(c.id)
  })
}

/**
 * `process(bytes, applied)` is the loop's own handling of one event: apply it to the state
 * unless `applied`, then call `needsWait`; if that says true, return true without matching
 * (the event stays held, now applied); else match it and return false.
 */
export class ContainerWait {
  private queue: { bytes: Uint8Array; applied: boolean }[] = []
  private head = 0
  private heldBytes = 0
  private waitingFor: string | null = null
  private timer: NodeJS.Timeout | null = null
  private readonly settled = new Set<string>()
  private readonly maxWaitMs: number
  private readonly maxHeldBytes: number
  /** For metrics: waits started, ended by an answer, by the time limit, by the byte limit. */
  readonly stats = { waits: 0, answered: 0, timedOut: 0, overflowed: 0, heldEvents: 0 }

  constructor(
    private readonly md: ContainerMetadata,
    private readonly table: ContainerLookupTable,
    private readonly process: (bytes: Uint8Array, applied: boolean) => boolean,
    opts: WaitOptions = {},
  ) {
    this.maxWaitMs = opts.maxWaitMs ?? 200
    this.maxHeldBytes = opts.maxHeldBytes ?? 16 << 20
  }

  /** While true, every new event goes to hold(), unapplied. */
  get holding(): boolean {
    return this.waitingFor !== null
  }

  /**
   * After the state applied an event whose thread is in container `id` ('' for the host):
   * must its matching wait? Starts the wait (and the lookup) the first time an unknown
   * container shows up.
   */
  needsWait(id: string, cgroupPaths: readonly string[]): boolean {
    if (id === '' || this.waitingFor !== null || this.table.get(id) !== undefined || this.settled.has(id)) return false
    if (this.settled.size >= 65_536) this.settled.clear()
    this.settled.add(id)
    const cached = this.md.peek(id)
    if (cached !== undefined) {
      this.table.put(cached)
      return false
    }
    this.stats.waits++
    this.waitingFor = id
    this.timer = setTimeout(() => {
      this.stats.timedOut++
      this.release(id)
    }, this.maxWaitMs)
    void this.md.resolve(id, cgroupsHint(cgroupPaths)).then(out => {
      if (out.info !== null && this.table.get(id) === undefined) this.table.put(out.info)
      if (this.waitingFor === id) this.stats.answered++
      this.release(id)
    })
    return true
  }

  /** Keeps a copy of one event (the live buffer is reused after the batch). */
  hold(buf: Uint8Array, off: number, len: number, applied: boolean): void {
    this.queue.push({ bytes: buf.slice(off, off + len), applied })
    this.heldBytes += len
    this.stats.heldEvents++
    if (this.heldBytes > this.maxHeldBytes && this.waitingFor !== null) {
      this.stats.overflowed++
      this.release(this.waitingFor)
    }
  }

  /** Ends the wait for `id` (if it is the current one) and lets the held events through. */
  private release(id: string): void {
    if (this.waitingFor !== id) return
    this.waitingFor = null
    if (this.timer !== null) clearTimeout(this.timer)
    this.timer = null
    this.drain()
  }

  private drain(): void {
    while (this.head < this.queue.length) {
      const it = this.queue[this.head]!
      if (this.process(it.bytes, it.applied)) {
        // Another new container: this event is applied now and waits at the head.
        it.applied = true
        return
      }
      this.heldBytes -= it.bytes.length
      this.head++
    }
    this.queue = []
    this.head = 0
    this.heldBytes = 0
  }

  /** Lets everything through now (at shutdown). */
  flush(): void {
    if (this.waitingFor !== null) this.release(this.waitingFor)
  }
}
