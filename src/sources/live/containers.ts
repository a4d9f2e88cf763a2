// Containers in live mode: the runtime metadata provider (src/containers) wired into the
// event loop, as Falco's container plugin is wired into the inspector.
//
//   event ─ [its thread's events held?] ─ state ─ [new container? hold] ─ rules
//                    └──── held until the lookup answers (ContainerWait, ≤ 200 ms) ───┘
//
//  - The provider starts with the container plugin's init_config (a `plugins:` entry named
//    `container`) and keeps looking for runtime sockets, so runtimes started after Saker,
//    or restarted under it, are used as they come.
//  - Every record it finds goes into the state's container table, and, when a capture is
//    written, into the capture as the plugin's "container" async event, before the events
//    of that container that waited for it: a replay then knows the same container.
//  - A container is forgotten when its runtime says it was removed, or when the init of its
//    pid namespace exits (the plugin's rule).

import type { CaptureWriter } from '../../capture/writer.js'
import { log } from '../../cli/log.js'
import type { SakerConfig } from '../../config/index.js'
import { containerEngineConfig } from '../../containers/config.js'
import { ContainerMetadata } from '../../containers/provider.js'
import { toContainerJson } from '../../containers/record.js'
import { ContainerWait } from '../../containers/wait.js'
import { EVENT_HEADER_SIZE } from '../../events/event.js'
import type { EventView } from '../../events/event.js'
import { PPME } from '../../events/table.js'
import type { SystemState } from '../../state/system-state.js'
import type { SyscallEvent } from '../syscall/event.js'

/** One held event: a copy of its bytes and, when the state applied it already, its context then. */
interface Held {
  bytes: Uint8Array
  /** The CPU it came from (captures record it). */
  cpu: number
  /** The state's context right after it applied the event; null: not applied yet. */
  applied: EventContext | null
}

/** What the state says about the event it applied last, which the rules read. */
type EventContext = Pick<SystemState, 'num' | 'thread' | 'fd' | 'fdNameChanged'>

function contextOf(s: SystemState): EventContext {
  return { num: s.num, thread: s.thread, fd: s.fd, fdNameChanged: s.fdNameChanged }
}

/** What the loop does with an event, for the held ones when they are let through. */
export interface LiveLoop {
  /** An event the state has not seen: the loop's whole handling of it (it may be held again). */
  fresh(buf: Uint8Array, off: number, cpu: number): void
  /** An event the state applied (the context restored in `ev`): output, rules, capture. */
  match(buf: Uint8Array, off: number): void
}

/** Whether runtime lookups are wanted: a `load_plugins` that selects plugins but not `container` turns them off. */
export function containerLookupsEnabled(config: SakerConfig): boolean {
  return config.load_plugins === null || config.load_plugins.length === 0 || config.container.loaded
}

/** The container plugin's init_config from the configuration, read as the plugin reads it. */
export function liveContainerConfig(config: SakerConfig): ReturnType<typeof containerEngineConfig> {
  const entry = config.plugins_configured.find(p => p.name === 'container')
  if (entry === undefined) return containerEngineConfig({})
  return containerEngineConfig(typeof entry.init_config === 'object' ? entry.init_config : entry.init_config_text)
}

const CLONE_EXITS = new Set<number>([PPME.SYSCALL_CLONE_20_X, PPME.SYSCALL_FORK_20_X, PPME.SYSCALL_VFORK_20_X, PPME.SYSCALL_CLONE3_X])

export class LiveContainers {
  readonly md: ContainerMetadata
  readonly wait: ContainerWait<Held>
  private loop: LiveLoop | null = null
  private readonly writers = new Set<CaptureWriter>()
  private readonly unsubscribe: () => void

  constructor(
    private readonly state: SystemState,
    private readonly ev: SyscallEvent,
    private readonly view: EventView,
    config: SakerConfig,
    opts: { maxWaitMs?: number } = {},
  ) {
    const { config: engines, problems } = liveContainerConfig(config)
    for (const p of problems) log.log('warning', `container plugin init_config: ${p.key}: ${p.message}`)
    this.md = new ContainerMetadata({
      config: engines,
      log: (level, message) => log.log(level === 'warn' ? 'warning' : level, message),
    })
    const table = state.containers
    this.unsubscribe = this.md.onChange(c => {
      if (c.kind === 'added') {
        table.put(c.info)
        this.record('container', toContainerJson(c.info))
      } else if (table.byId.delete(c.id)) {
        log.log('debug', `container ${c.id} removed`)
        this.record('container_removed', JSON.stringify({ container: { id: c.id } }))
      }
    })
    this.wait = new ContainerWait<Held>(this.md, table, items => this.release(items), {
      maxWaitMs: opts.maxWaitMs ?? 200,
      log: message => log.log('debug', message),
    })
    void this.md.start()
  }

  /** The loop's handlers; set once, before the first event. */
  attach(loop: LiveLoop): void {
    this.loop = loop
  }

  /** Before the state sees an event: true when its thread's events are held (a copy is kept). */
  holdBefore(view: EventView, buf: Uint8Array, off: number): boolean {
    if (!this.wait.holding) return false
    // a clone exit: the child's tid in the parent's, 0 in the child's (its parent's is param 5)
    const cloneRes = CLONE_EXITS.has(view.type) && view.nparams > 5 ? view.i64(0) : -1
    if (!this.wait.holds(view.tid)) {
      // a child whose clone exit comes before its parent's: when the parent is held, the child
      // must not inherit its state yet (setsid, execve, setuid... still waiting)
      if (cloneRes !== 0 || !this.wait.holds(view.i64(5))) return false
      this.wait.follow(view.i64(5), view.tid)
    } else if (cloneRes > 0) {
      // a held parent's child waits with it (the state has not seen the clone yet)
      this.wait.follow(view.tid, cloneRes)
    }
    this.wait.hold(view.tid, { bytes: buf.slice(off, off + view.len), cpu: view.cpuid, applied: null }, view.len)
    return true
  }

  /** After the state applied an event: true when it must wait for its container's record (a copy is kept). */
  holdAfter(ev: SyscallEvent, view: EventView, buf: Uint8Array, off: number): boolean {
    const t = ev.thread
    if (t === null || t.containerId === '') return false
    if (view.type === PPME.PROCEXIT_1_E && t.vtid === 1 && t.vpid === 1) {
      // after this event is matched: it still shows its container
      const id = t.containerId
      queueMicrotask(() => this.md.forget(id))
    }
    if (!this.wait.needsWait(t.containerId, t.cgroupPaths, view.tid)) return false
    // its ancestors' events (runc, the shim) wait too: applied first, their exits would
    // reparent it before its held events are matched (proc.pname, proc.aname[n])
    let a = this.state.threads.get(t.ptid)
    for (let depth = 0; a !== undefined && a.tid > 1 && depth < 4; depth++) {
      this.wait.follow(view.tid, a.tid)
      a = this.state.threads.get(a.ptid)
    }
    this.wait.hold(view.tid, { bytes: buf.slice(off, off + view.len), cpu: view.cpuid, applied: contextOf(this.state) }, view.len)
    return true
  }

  /** A capture being written gets every record known now, then each new one as it comes. */
  captureTo(writer: CaptureWriter): void {
    this.writers.add(writer)
    for (const info of this.state.containers.byId.values()) {
      if (info.id !== 'host') this.writeRecord(writer, 'container', toContainerJson(info))
    }
  }

  captureEnd(writer: CaptureWriter): void {
    this.writers.delete(writer)
  }

  /** Lets the held events through (shutdown), then stops the lookups. */
  close(): void {
    const w = this.wait.stats
    log.log('debug', `container waits: ${w.waits} (answered ${w.answered}, timed out ${w.timedOut}, ended by the held-bytes limit ${w.overflowed}), ${w.heldEvents} events held`)
    this.wait.flush()
    this.unsubscribe()
    this.md.close()
  }

  private release(items: Held[]): void {
    const loop = this.loop
    if (loop === null) return
    const s = this.state
    for (const it of items) {
      const a = it.applied
      if (a === null) {
        loop.fresh(it.bytes, 0, it.cpu)
        continue
      }
      // the state moved on (other threads' events); match with the context of then
      const now = contextOf(s)
      Object.assign(s, a)
      this.view.reset(it.bytes, 0)
      this.view.cpuid = it.cpu
      this.ev.sync(this.view)
      try {
        loop.match(it.bytes, 0)
      } finally {
        Object.assign(s, now)
      }
    }
  }

  private record(name: string, json: string): void {
    for (const w of this.writers) this.writeRecord(w, name, json)
  }

  /** The plugin's async event (plugin id 0, as captures carry it), in the scap event layout. */
  private writeRecord(writer: CaptureWriter, name: string, json: string): void {
    const nameBytes = Buffer.from(name + '\0')
    const data = Buffer.from(json + '\0')
    const len = EVENT_HEADER_SIZE + 3 * 4 + 4 + nameBytes.length + data.length
    const b = Buffer.alloc(len)
    b.writeBigUInt64LE(BigInt(Date.now()) * 1_000_000n, 0)
    b.writeBigInt64LE(-1n, 8)
    b.writeUInt32LE(len, 16)
    b.writeUInt16LE(PPME.ASYNCEVENT_E, 20)
    b.writeUInt32LE(3, 22)
    let p = EVENT_HEADER_SIZE
    b.writeUInt32LE(4, p)
    b.writeUInt32LE(nameBytes.length, p + 4)
    b.writeUInt32LE(data.length, p + 8)
    p += 12
    b.writeUInt32LE(0, p)
    nameBytes.copy(b, p + 4)
    data.copy(b, p + 4 + nameBytes.length)
    writer.writeEvent(b, 0, len)
  }
}
