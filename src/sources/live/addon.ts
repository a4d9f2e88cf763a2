// Loads the Node-API addon built by `make -C driver` (driver/build/saker.node) and types
// what it exports. The addon's own header comment (driver/addon/saker.c) describes each call.
import { existsSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

/** What the addon's open() and setSelection() take: native x86_64 syscall numbers. */
export interface AddonSelection {
  /** Syscalls sent as their own exit event. */
  selectedSyscalls: readonly number[]
  /** Syscalls with no event type of their own, sent as GENERIC_X. */
  genericSyscalls: readonly number[]
  /** Syscalls whose enter event is sent too (open, openat, openat2, creat, connect). */
  enterSyscalls: readonly number[]
  /**
   * Selected syscalls that no rule matches, whose events the probe may keep when they would
   * change nothing in the state: a clone caller's exit once its child's event was sent, a
   * prlimit64 or setrlimit that sets no RLIMIT_NOFILE. Empty while every event must be sent
   * (a capture is written).
   */
  stateOnlySyscalls?: readonly number[]
  /** The sched_process_exit tracepoint (procexit events). */
  procExit: boolean
}

export interface AddonOpenOptions extends AddonSelection {
  ringBytes: number
  batchBytes: number
  /** Attach the sys_enter program (needed for enterSyscalls). */
  enterEvents: boolean
  /** ppm_sc code of every native syscall number, for GENERIC_X events (512 entries). */
  ppmSc: Uint16Array
  /** Unread bytes at which the probe wakes the reader (default min(ringBytes / 8, 1 MiB)). */
  wakeupBytes?: number
  /** Period of the timer that drains what stays under wakeupBytes (default 20 ms). */
  flushMs?: number
  btfPath?: string
  /** A process (tgid) whose own events the probe never sends: the agent itself. 0: none. */
  ignoreTgid?: number
  /** Send no exit event of a syscall that failed (engine.*.drop_failed_exit). */
  dropFailedExit?: boolean
  /** Hold back the openat (and close) events whose key is in the quiet_opens map. */
  quietOpens?: boolean
}

export interface AddonInfo {
  progIds: number[]
  mapIds: number[]
  /** Native syscall numbers this probe has a filler for. */
  supportedSyscalls: number[]
  ncpus: number
  ringBytes: number
  counterSize: number
}

/** An attached program's runs and their total time, counted while kernel.bpf_stats_enabled is 1. */
export interface ProgramStats {
  /** The kernel's name of the program (15 characters at most). */
  name: string
  runCnt: number
  runTimeNs: number
}

declare const handleBrand: unique symbol
export type AddonHandle = { readonly [handleBrand]: true }

/** One batch: events back to back in `buf`, each at its offset, written on CPU `cpus[i]`. */
export type BatchCallback = (buf: Uint8Array, offsets: Uint32Array, count: number, cpus: Uint16Array) => void

export interface Addon {
  open(opts: AddonOpenOptions): AddonHandle
  start(h: AddonHandle, cb: BatchCallback): void
  /** Per-CPU struct saker_counters, raw. */
  stats(h: AddonHandle): ArrayBuffer
  progStats(h: AddonHandle): ProgramStats[]
  setSelection(h: AddonHandle, sel: AddonSelection): void
  /** Puts a struct saker_quiet_key (QUIET_KEY.size bytes) in the probe's quiet_opens map. */
  addQuietOpen(h: AddonHandle, key: Uint8Array): void
  info(h: AddonHandle): AddonInfo
  close(h: AddonHandle): void
}

/**
 * Where the addon is: $SAKER_ADDON, else driver/build/saker.node in the first directory
 * above this module that has one (the repository root, from src/ or dist/src/).
 */
export function addonPath(): string {
  const env = process.env.SAKER_ADDON
  if (env) return env
  let dir = dirname(fileURLToPath(import.meta.url))
  for (;;) {
    const candidate = join(dir, 'driver', 'build', 'saker.node')
    if (existsSync(candidate)) return candidate
    const up = dirname(dir)
    if (up === dir) return join(process.cwd(), 'driver', 'build', 'saker.node')
    dir = up
  }
}

let loaded: Addon | null = null

/** The addon, loaded once. Throws an Error naming the path and the fix when it is missing. */
export function loadAddon(path = addonPath()): Addon {
  if (loaded) return loaded
  if (!existsSync(path)) {
    throw new Error(`saker: the live driver is not built: ${path} is missing (run \`make -C driver\`)`)
  }
  loaded = createRequire(import.meta.url)(path) as Addon
  return loaded
}
