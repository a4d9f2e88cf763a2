// The live syscall source: Saker's eBPF probe (driver/bpf) loaded by its addon
// (driver/addon), delivering events in the scap layout that EventView reads, in batches:
//
//   const live = openLive({ selection: selectForEvents(ruleset.eventCodes()) })
//   const view = new EventView()
//   live.start((buf, offsets, count, cpus) => {
//     for (let i = 0; i < count; i++) handle(view.reset(buf, offsets[i]!), cpus[i]!)
//   })
//   ...
//   live.stop()
//
// `buf`, `offsets` and `cpus` (the CPU each event was written on) are reused for every
// batch: read them during the callback only (copy what must outlive it), as with EventView
// itself.
import { loadAddon, type Addon, type AddonHandle, type AddonInfo, type BatchCallback, type ProgramStats } from './addon.js'
import { COUNTERS, DROP_KINDS, QUIET_KEY, QUIET_PATH_MAX, SAKER_MAX_EVENT, type DropKind } from './layout.js'
import { ppmScTable, type LiveSelection } from './select.js'

export interface LiveOptions {
  /** What to send: selectForEvents(), selectNames() or selectPpmSc(). */
  selection: LiveSelection
  /** Ring buffer size in bytes: a power of two, at least 4096. Default 8 MiB. */
  ringBytes?: number
  /** Size of the batch buffer handed to the callback. Default 1 MiB. */
  batchBytes?: number
  /**
   * Attach the sys_enter program for the selection's enterSyscalls. Off by default: it
   * runs (one map lookup) on every syscall of the host, where Falco's per-syscall
   * tracepoints cost nothing for the others.
   */
  enterEvents?: boolean
  /**
   * Unread bytes at which the probe wakes Node up. Default min(ringBytes / 8, 1 MiB); 1 wakes
   * it for every event (lowest latency, most wakeups). Below it, a timer drains the ring
   * every `flushMs`.
   */
  wakeupBytes?: number
  /** Longest wait of an event below `wakeupBytes`, in milliseconds. Default 20. */
  flushMs?: number
  /** Kernel BTF to relocate against. Default /sys/kernel/btf/vmlinux. */
  btfPath?: string
  /** The addon file. Default: $SAKER_ADDON, else driver/build/saker.node. */
  addonPath?: string
  /**
   * A process whose events the probe drops before building them: the agent itself
   * (its /proc reads and output writes are not the host's activity). Default none.
   */
  ignoreTgid?: number
  /**
   * Drop the exit events of syscalls that returned an error, in the probe (Falco's
   * engine.modern_ebpf.drop_failed_exit). The scheduler events are kept. Default false.
   */
  dropFailedExit?: boolean
  /**
   * Let the probe hold back the openat events, and the closes of their fds, whose flags, comm
   * and path quietOpen() named (see QUIET_KEY in layout.ts). Default false.
   */
  quietOpens?: boolean
}

export interface LiveCounters {
  /** Events written to the ring buffer. */
  events: number
  /** Events lost because the ring buffer was full. */
  dropsBuffer: number
  /** Events lost because they exceeded 64 KiB. */
  dropsSize: number
  /** Selected syscalls the probe has no filler for (nothing was sent). */
  unsupported: number
  /** openat and close events held back as quiet opens. */
  quiet: number
  /** Events of stateOnlySyscalls not sent: they would have changed nothing in the state. */
  redundant: number
  /** dropsBuffer by kind of event (DROP_KINDS; events of other types are in dropsBuffer only). */
  dropsKind: Record<DropKind, number>
}

export interface LiveStats extends LiveCounters {
  perCpu: LiveCounters[]
}

export interface LiveSource {
  /** Starts delivering batches; events flow from here until stop(). */
  start(onBatch: BatchCallback): void
  /** Counters summed over the CPUs, and per CPU. */
  stats(): LiveStats
  /** The attached programs' run counts and times (zero unless kernel.bpf_stats_enabled is 1). */
  programStats(): ProgramStats[]
  /** Changes what is sent, while events flow. */
  setSelection(selection: LiveSelection): void
  /**
   * From now on, successful openat calls of a file (not a directory) with these flags (the
   * flags param without O_F_CREATED and the overlay bits) and this absolute path, as the
   * process passed it, by a thread with this comm (not renamed since its exec), are not sent,
   * nor the closes of their fds; an event that names such an fd is preceded by its openat:
   * see quiet_open in driver/bpf/saker.bpf.c. Only with `quietOpens`. False when the key
   * cannot hold the path or the comm.
   */
  quietOpen(flags: number, comm: string, path: Uint8Array): boolean
  /** Program and map ids, the syscalls the probe handles, sizes. */
  info(): AddonInfo
  /** Selected syscalls with an event type of their own that this probe does not fill yet. */
  readonly unsupported: readonly number[]
  /** Detaches and frees everything. Safe to call twice. */
  stop(): void
}

const DEFAULT_RING = 8 << 20
const DEFAULT_BATCH = 1 << 20

function checkSize(name: string, v: number | undefined, min: number): void {
  if (v === undefined) return
  if (!Number.isInteger(v) || v < min) throw new RangeError(`saker: ${name} must be an integer >= ${min}, got ${v}`)
}

/** Loads and attaches the probe. Throws an Error whose message names the failing step. */
export function openLive(opts: LiveOptions): LiveSource {
  checkSize('ringBytes', opts.ringBytes, 4096)
  checkSize('batchBytes', opts.batchBytes, 2 * (SAKER_MAX_EVENT + 8))
  checkSize('wakeupBytes', opts.wakeupBytes, 1)
  checkSize('flushMs', opts.flushMs, 1)
  checkSize('ignoreTgid', opts.ignoreTgid, 0)
  const addon = loadAddon(opts.addonPath)
  const sel = opts.selection
  const handle = addon.open({
    ringBytes: opts.ringBytes ?? DEFAULT_RING,
    batchBytes: opts.batchBytes ?? DEFAULT_BATCH,
    enterEvents: opts.enterEvents === true && sel.enterSyscalls.length > 0,
    selectedSyscalls: sel.selectedSyscalls,
    genericSyscalls: sel.genericSyscalls,
    enterSyscalls: opts.enterEvents === true ? sel.enterSyscalls : [],
    stateOnlySyscalls: sel.stateOnlySyscalls ?? [],
    procExit: sel.procExit,
    ppmSc: ppmScTable(),
    ...(opts.wakeupBytes !== undefined ? { wakeupBytes: opts.wakeupBytes } : {}),
    ...(opts.flushMs !== undefined ? { flushMs: opts.flushMs } : {}),
    ...(opts.btfPath !== undefined ? { btfPath: opts.btfPath } : {}),
    ...(opts.ignoreTgid !== undefined ? { ignoreTgid: opts.ignoreTgid } : {}),
    ...(opts.dropFailedExit !== undefined ? { dropFailedExit: opts.dropFailedExit } : {}),
    ...(opts.quietOpens !== undefined ? { quietOpens: opts.quietOpens } : {}),
  })
  return new Live(addon, handle, sel)
}

class Live implements LiveSource {
  private closed = false
  private readonly supported: ReadonlySet<number>
  unsupported: readonly number[]

  constructor(private readonly addon: Addon, private readonly handle: AddonHandle, sel: LiveSelection) {
    this.supported = new Set(addon.info(handle).supportedSyscalls)
    this.unsupported = this.missing(sel)
  }

  private missing(sel: LiveSelection): number[] {
    return sel.selectedSyscalls.filter(nr => !this.supported.has(nr))
  }

  start(onBatch: BatchCallback): void {
    if (typeof onBatch !== 'function') throw new TypeError('saker: start() needs a callback function')
    this.addon.start(this.handle, onBatch)
  }

  stats(): LiveStats {
    const raw = new DataView(this.addon.stats(this.handle))
    const perCpu: LiveCounters[] = []
    const noDrops = (): Record<DropKind, number> => Object.fromEntries(DROP_KINDS.map(k => [k, 0])) as Record<DropKind, number>
    const sum: LiveCounters = { events: 0, dropsBuffer: 0, dropsSize: 0, unsupported: 0, quiet: 0, redundant: 0, dropsKind: noDrops() }
    const f = COUNTERS.fields
    for (let off = 0; off + COUNTERS.size <= raw.byteLength; off += COUNTERS.size) {
      const c: LiveCounters = {
        events: Number(raw.getBigUint64(off + f.events, true)),
        dropsBuffer: Number(raw.getBigUint64(off + f.dropsBuffer, true)),
        dropsSize: Number(raw.getBigUint64(off + f.dropsSize, true)),
        unsupported: Number(raw.getBigUint64(off + f.unsupported, true)),
        quiet: Number(raw.getBigUint64(off + f.quiet, true)),
        redundant: Number(raw.getBigUint64(off + f.redundant, true)),
        dropsKind: noDrops(),
      }
      DROP_KINDS.forEach((k, i) => {
        c.dropsKind[k] = Number(raw.getBigUint64(off + f.dropsKind + 8 * i, true))
        sum.dropsKind[k] += c.dropsKind[k]
      })
      perCpu.push(c)
      sum.events += c.events
      sum.dropsBuffer += c.dropsBuffer
      sum.dropsSize += c.dropsSize
      sum.unsupported += c.unsupported
      sum.quiet += c.quiet
      sum.redundant += c.redundant
    }
    return { ...sum, perCpu }
  }

  programStats(): ProgramStats[] {
    return this.addon.progStats(this.handle)
  }

  setSelection(sel: LiveSelection): void {
    this.addon.setSelection(this.handle, sel)
    this.unsupported = this.missing(sel)
  }

  quietOpen(flags: number, comm: string, path: Uint8Array): boolean {
    // the probe compares the strings with their NUL and the zeros after them
    const name = Buffer.from(comm)
    if (path.length > QUIET_PATH_MAX || path.includes(0) || name.length >= QUIET_KEY.commBytes || name.includes(0)) return false
    const key = new Uint8Array(QUIET_KEY.size)
    new DataView(key.buffer).setUint32(QUIET_KEY.flags, flags >>> 0, true)
    key.set(name, QUIET_KEY.comm)
    key.set(path, QUIET_KEY.path)
    this.addon.addQuietOpen(this.handle, key)
    return true
  }

  info(): AddonInfo {
    return this.addon.info(this.handle)
  }

  stop(): void {
    if (this.closed) return
    this.closed = true
    this.addon.close(this.handle)
  }
}
