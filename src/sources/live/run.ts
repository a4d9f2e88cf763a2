// Live mode: the syscall rules run on this host's events, as Falco's process_events does
// with the modern eBPF engine.
//
//   rules ─ event types ─ base_syscalls ─ selection ─┐
//   probe attached, nothing selected ────────────────┼─ /proc scanned into the state, then selected
//   batches: for each event  state ─ drop monitor ─ rules ─ outputs   [─ -w / capture dumps]
//                            an openat no rule can depend on ─ quiet key to the probe
//   SIGINT / SIGTERM / -M:  probe detached, dumps closed, outputs flushed, summaries printed
//
// The probe is loaded and attached first with nothing selected, /proc is read, and only then
// is the selection written, as Falco starts capturing after its procfs scan: the state (and
// a -w capture's process list) then knows every process whose events follow.
//
// Quiet opens (src/engine/quiet-opens.ts): once an openat shows a path, flags and process name
// that no enabled rule can depend on, the probe stops sending those opens and their closes.
// The syscalls only the state needs (no rule matches them) lose their events that would
// change nothing there (SAKER_SEL_STATE_ONLY in driver/bpf/shared.h). Neither while writing a
// capture (-w, or the rules' capture dumps): a capture keeps every event.
import { existsSync, readFileSync } from 'node:fs'
import os from 'node:os'
import { CaptureWriter } from '../../capture/writer.js'
import type { CaptureSection, FdInfo as CaptureFd, ThreadInfo as CaptureThread } from '../../capture/types.js'
import { FD_TYPE } from '../../capture/types.js'
import { log } from '../../cli/log.js'
import type { SakerConfig } from '../../config/index.js'
import { DropMonitor, type DropCounters } from '../../engine/drops.js'
import { QuietOpens } from '../../engine/quiet-opens.js'
import type { Engine } from '../../engine/engine.js'
import { RuleMatcher } from '../../engine/matcher.js'
import type { RuleStats } from '../../engine/matcher.js'
import { EventView } from '../../events/event.js'
import { ipv4ToString, ipv6ToString } from '../../events/params.js'
import { PPME } from '../../events/table.js'
import { eventsToPpmSc, scSetToEventNames } from '../../events/syscalls.js'
import { Outputs } from '../../outputs/dispatcher.js'
import type { CompiledRule } from '../../rules/compiler.js'
import { FDT } from '../../state/fd.js'
import type { FdInfo } from '../../state/fd.js'
import {
  rd16, rd64, V4S_IP, V4S_L4, V4S_PORT, V4_DIP, V4_DPORT, V4_L4, V4_SIP, V4_SPORT, V6S_IP, V6S_L4, V6S_PORT,
  V6_DIP, V6_DPORT, V6_L4, V6_SIP, V6_SPORT,
} from '../../state/net.js'
import { SystemState } from '../../state/system-state.js'
import type { ThreadInfo } from '../../state/thread.js'
import { SyscallEvent } from '../syscall/event.js'
import { stateCounters, type MetricsSource } from '../../metrics/collector.js'
import { startMetrics } from '../../metrics/writer.js'
import type { Webserver } from '../../server/webserver.js'
import { addonPath } from './addon.js'
import { LiveContainers, containerLookupsEnabled } from './containers.js'
import { openLive, type LiveSource } from './live.js'
import { hostAccounts, isThreadAlive, makeThreadLookup, scanProcfs } from './procfs.js'
import { interestingSyscalls, ppmScTable, selectPpmSc } from './select.js'
import { onStopSignals } from './signals.js'

export interface LiveRunOptions {
  /** -M: stop after this many seconds (0: run until a signal). */
  durationS: number
  /** -v: driver and throughput counts at exit. */
  verbose: boolean
  /** -w: write every event to this capture file (plain .scap, with the /proc state first). */
  writeCapture?: string
}

/** What the metrics reach the user through, and what they fingerprint. */
export interface LiveServing {
  /** The running webserver: it serves /metrics once the probe is open (webserver.prometheus_metrics_enabled). */
  webserver?: Webserver | null
  /** The configuration files read (their sha256 are in the metrics). */
  configFiles?: readonly string[]
}

/** Falco's buf_size_preset table (configure_syscall_buffer_size.cpp); index 0 is reserved. */
export const BUF_SIZE_PRESETS: readonly number[] = [0, 1 << 20, 1 << 21, 1 << 22, 1 << 23, 1 << 24, 1 << 25, 1 << 26, 1 << 27, 1 << 28, 1 << 29]

/**
 * Bytes of the probe's ring: Falco gives every `cpus_for_each_buffer` CPUs one buffer of the
 * preset's size (0: one for all). Saker's probe has a single ring shared by all CPUs, so it
 * gets the total those buffers would have (rounded up to a power of two): the same memory
 * and the same room for bursts.
 */
export function ringBytesFor(preset: number, cpusForEachBuffer: number, onlineCpus: number): number {
  if (!Number.isInteger(preset) || preset < 1 || preset >= BUF_SIZE_PRESETS.length) {
    throw new Error(`The 'buf_size_preset' value must be between '1' and '${BUF_SIZE_PRESETS.length - 1}'`)
  }
  const per = BUF_SIZE_PRESETS[preset]!
  const cpus = Math.max(1, onlineCpus)
  const group = cpusForEachBuffer <= 0 ? cpus : Math.min(cpusForEachBuffer, cpus)
  const buffers = Math.ceil(cpus / group)
  let ring = per
  while (ring < per * buffers) ring *= 2
  return Math.min(ring, 1 << 30)
}

/** The oldest kernel the probe loads on: it reads kernel memory through the bpf_rdonly_cast kfunc (6.2). */
export const MIN_KERNEL = [6, 2] as const

/** Why a kernel release (uname -r) is too old for the probe, or null. */
export function kernelTooOld(release: string): string | null {
  const m = /^(\d+)\.(\d+)/.exec(release)
  if (m === null) return null // an unusual release string: let the load itself tell
  const [major, minor] = [Number(m[1]), Number(m[2])]
  if (major > MIN_KERNEL[0] || (major === MIN_KERNEL[0] && minor >= MIN_KERNEL[1])) return null
  return `this kernel (${release}) is older than ${MIN_KERNEL.join('.')}, which Saker's eBPF probe needs; ` +
    'run Saker on a newer kernel, or replay captures made elsewhere (-o engine.kind=replay)'
}

/** Why live mode cannot start here, as an Error whose message a user can act on; null when it can. */
export function liveSupportError(): Error | null {
  if (process.platform !== 'linux') return new Error('the live syscall source needs Linux (use -o engine.kind=replay to read a capture)')
  if (process.arch !== 'x64') return new Error(`the live eBPF probe is built for x86_64 only, this is ${process.arch}`)
  if (process.getuid?.() !== 0) {
    return new Error('Unable to open the modern_ebpf engine: loading the eBPF probe needs root (run saker as root, or with CAP_SYS_ADMIN, or CAP_BPF with CAP_PERFMON)')
  }
  const kernel = kernelTooOld(os.release())
  if (kernel !== null) return new Error(`Unable to open the modern_ebpf engine: ${kernel}`)
  if (!existsSync('/sys/kernel/btf/vmlinux')) {
    return new Error('Unable to open the modern_ebpf engine: this kernel exposes no BTF (/sys/kernel/btf/vmlinux is missing); the probe needs a kernel built with CONFIG_DEBUG_INFO_BTF=y')
  }
  const addon = addonPath()
  if (!existsSync(addon)) {
    return new Error(`Unable to open the modern_ebpf engine: the live driver is not built (${addon} is missing): run \`make build\``)
  }
  return null
}

/** The ppm_sc codes the enabled syscall rules can match (Falco's sc_codes_for_ruleset). */
export function rulesSyscalls(rules: readonly CompiledRule[]): Set<number> {
  let all = false
  const codes = new Set<number>()
  for (const r of rules) {
    if (r.evttypes === 'all') all = true
    else for (const c of r.evttypes) codes.add(c)
  }
  return eventsToPpmSc(code => code >= 2 && (all || codes.has(code)))
}

/** Falco's capture file name: <prefix>_<ts, 20 digits>_<evt.num, 20 digits>.scap. */
export function captureFileName(prefix: string, ts: bigint, num: number): string {
  return `${prefix}_${ts.toString().padStart(20, '0')}_${String(num).padStart(20, '0')}.scap`
}

/** When other sources run beside the syscalls: shared outputs and counts, and when to stop. */
export interface LiveCompanion {
  readonly outputs: Outputs
  readonly stats: RuleStats
  /** Resolves when another source ended (Falco stops every source then). */
  readonly until: Promise<unknown>
}

export async function runLive(engine: Engine, config: SakerConfig, opts: LiveRunOptions & LiveServing, companion?: LiveCompanion): Promise<number> {
  const unsupported = liveSupportError()
  if (unsupported !== null) throw unsupported
  const ruleset = engine.ruleset('syscall')
  if (ruleset === undefined) throw new Error('the syscall event source has no ruleset')
  const mebpf = config.engine.modern_ebpf
  const ringBytes = ringBytesFor(mebpf.buf_size_preset, mebpf.cpus_for_each_buffer, os.cpus().length)

  // ---- what the probe sends -------------------------------------------------------------
  const sets = interestingSyscalls(rulesSyscalls(ruleset.enabledRules), config.base_syscalls)
  if (sets.invalidPositive.length > 0) log.log('warning', 'Invalid (positive) syscall names: warning (base_syscalls override): ' + sets.invalidPositive.join(', '))
  if (sets.invalidNegative.length > 0) log.log('warning', 'Invalid (negative) syscall names: warning (base_syscalls override): ' + sets.invalidNegative.join(', '))
  if (sets.repaired.length > 0) log.log('info', `+(${sets.repaired.length}) repaired syscalls: ${sets.repaired.join(', ')}`)
  if (sets.rulesNotSelected.length > 0) {
    process.stderr.write(
      'Loaded rules match syscalls that are not activated (e.g. were removed via config settings such as no -A flag or ' +
      'negative base_syscalls elements) or unsupported with current configuration: warning (unsupported-evttype): ' +
      sets.rulesNotSelected.join(', ') + '\n',
    )
  }
  if (log.enabled('debug')) log.log('debug', `(${sets.selected.size}) syscalls selected in total (final set): ${scSetToEventNames(sets.selected).join(', ')}`)
  // a capture gets every event; else the probe keeps what no rule and not the state would use:
  // quiet opens, and the state-only syscalls' events that change nothing there
  const sendAll = (opts.writeCapture ?? '') !== '' || config.capture.enabled
  const selection = selectPpmSc(sets.selected, sendAll ? {} : { rules: sets.rules })

  let outputs: Outputs
  try {
    outputs = companion?.outputs ?? Outputs.fromConfig(config)
  } catch (e) {
    throw new Error((e as Error).message)
  }
  // the outputs are closed (and the summary printed) by whoever made them
  const closeOutputs = async (): Promise<void> => {
    if (companion === undefined) await outputs.close()
  }

  // ---- the probe, then /proc ------------------------------------------------------------
  log.log('info', `The chosen syscall buffer dimension is: ${BUF_SIZE_PRESETS[mebpf.buf_size_preset]} bytes (${BUF_SIZE_PRESETS[mebpf.buf_size_preset]! >> 20} MBs)`)
  log.log('info', "Opening 'syscall' source with modern BPF probe.")
  log.log('info', `One ring buffer shared by all CPUs: ${ringBytes >> 20} MiB (the size of the buffers cpus_for_each_buffer=${mebpf.cpus_for_each_buffer} would make)`)
  const quiet = sendAll ? null : new QuietOpens(ruleset.enabledRules)
  let live: LiveSource
  try {
    // nothing selected until the state is seeded (Falco's start_capture comes after its
    // procfs scan): events of processes that end during the scan would reach a state that
    // never knew them, and a capture whose process list lacks them
    live = openLive({
      selection: selectPpmSc(new Set()), ringBytes, batchBytes: 4 << 20, ignoreTgid: process.pid,
      dropFailedExit: mebpf.drop_failed_exit, quietOpens: quiet !== null,
    })
  } catch (e) {
    await closeOutputs()
    throw new Error(`Unable to open the modern_ebpf engine: ${(e as Error).message.replace(/^saker: /, '')}`)
  }
  const supported = new Set(live.info().supportedSyscalls)
  const missing = selection.selectedSyscalls.filter(nr => !supported.has(nr))
  if (missing.length > 0) {
    log.log('warning', `the probe sends nothing yet for these selected syscalls: ${scSetToEventNames(scOfNrs(missing)).join(', ')}`)
  }

  let seeded: CaptureSection
  let state: SystemState
  try {
    const scan = scanProcfs({ maxThreads: config.falco_libs.thread_table_size })
    seeded = scan.section
    state = new SystemState({
      live: true,
      isThreadAlive: (pid, tid) => isThreadAlive(pid, tid),
      lookupThread: makeThreadLookup(),
      hostAccounts: hostAccounts(),
      selfPid: process.pid,
      threadTableSize: config.falco_libs.thread_table_size,
      purgeIntervalS: config.falco_libs.thread_table_auto_purging_interval_s,
      threadTimeoutS: config.falco_libs.thread_table_auto_purging_thread_timeout_s,
    })
    state.loadCapture(seeded)
    log.log('info', `Read ${scan.stats.processes} processes (${scan.stats.threads} threads, ${scan.stats.fds} fds) from /proc in ${scan.stats.ms} ms`)
  } catch (e) {
    live.stop()
    await closeOutputs()
    throw e
  }

  let writer: CaptureWriter | null = null
  if (opts.writeCapture !== undefined && opts.writeCapture !== '') {
    try {
      writer = CaptureWriter.open(opts.writeCapture)
      writer.writeHeader(seeded)
    } catch (e) {
      live.stop()
      await closeOutputs()
      throw new Error(`Could not open ${opts.writeCapture} for writing: ${(e as Error).message}`)
    }
  }

  // ---- the event loop ---------------------------------------------------------------------
  const matcher = new RuleMatcher<SyscallEvent>(ruleset, outputs, config.rule_matching === 'first', companion?.stats)
  const ev = new SyscallEvent(state)
  if (config.buffer_format_base64) ev.bufferFormat = 'base64'
  const view = new EventView()
  let events = 0
  const counters = (): DropCounters => {
    const s = live.stats()
    return { events: s.events, drops: s.dropsBuffer + s.dropsSize, dropsBuffer: s.dropsBuffer, dropsKind: s.dropsKind }
  }
  const monitor = new DropMonitor(config.syscall_event_drops, counters, outputs, true)
  const metricsWriter = startMetrics(engine, config, liveMetricsSource(live, state, () => events),
    { outputs, ruleStats: matcher.stats, webserver: opts.webserver ?? null, configFiles: opts.configFiles ?? [] })
  // containers: a new container's first events wait for its record (./containers.ts)
  const containers = containerLookupsEnabled(config) ? new LiveContainers(state, ev, view, config) : null
  const dumps = config.capture.enabled ? new CaptureDumps(config, ruleset.enabledRules, state, seeded, containers) : null
  let failure: Error | null = null
  let stoppedByDrops = false
  let finish!: (why: string) => void
  const finished = new Promise<string>(r => (finish = r))

  if (containers !== null && writer !== null) containers.captureTo(writer)

  // one closure for the run: the matcher asks for the time only when a rule fires
  const eventTs = (): bigint => view.ts
  /** An event the state has applied (`ev` points at it): capture, drop monitor, rules. False: stop. */
  const matchEvent = (buf: Uint8Array, off: number): boolean => {
    if (writer !== null) writer.writeEvent(buf, off, view.len, view.cpuid)
    // the monitor acts once a second of event time: asked only when it is not quiet, so no
    // bigint timestamp is made per event (measured: 2% of the event loop at 130k events/s)
    if (!monitor.quiet(view.tsNumber) && !monitor.onEvent(view.ts)) {
      stoppedByDrops = true
      finish('drops')
      return false
    }
    if (dumps === null) {
      matcher.match(ev, view.type, eventTs)
      if (quiet !== null && view.type === PPME.SYSCALL_OPENAT_2_X) {
        const key = quiet.consider(ev)
        if (key !== null) live.quietOpen(key.flags, key.comm, key.path)
      }
    } else {
      const before = matcher.total
      matcher.match(ev, view.type, eventTs)
      dumps.onEvent(ev, view, buf, off, matcher.total !== before, config.rule_matching === 'first')
    }
    return true
  }
  /** One event from the probe (or let through after its container's wait). False: stop. */
  const onEvent = (buf: Uint8Array, off: number, cpu = 0): boolean => {
    view.reset(buf, off)
    view.cpuid = cpu
    if (containers !== null && containers.holdBefore(view, buf, off)) return true
    ev.next(view)
    if (containers !== null && containers.holdAfter(ev, view, buf, off)) return true
    return matchEvent(buf, off)
  }
  const guarded = (f: () => void): void => {
    try {
      f()
    } catch (e) {
      failure = e as Error
      finish('error')
    }
  }
  containers?.attach({
    fresh: (buf, off, cpu) => guarded(() => onEvent(buf, off, cpu)),
    match: (buf, off) => guarded(() => matchEvent(buf, off)),
  })

  const onBatch = (buf: Uint8Array, offsets: Uint32Array, count: number, cpus: Uint16Array): void => {
    try {
      metricsWriter?.onEvents()
      for (let i = 0; i < count; i++) {
        events++
        if (!onEvent(buf, offsets[i]!, cpus[i]!)) return
      }
    } catch (e) {
      failure = e as Error
      finish('error')
    }
  }

  const signals = onStopSignals(() => void outputs.reopen())
  void signals.stopped.then(sig => finish(sig))
  void companion?.until.then(() => finish('another source ended'))
  let timer: NodeJS.Timeout | null = null
  if (opts.durationS > 0) timer = setTimeout(() => finish('duration'), opts.durationS * 1000)
  const started = process.hrtime.bigint()
  live.setSelection(selection)
  live.start(onBatch)
  log.log('info', `Live capture started: ${sets.selected.size} syscalls selected, ${state.threads.size} threads known`)

  await finished

  // ---- teardown: probe first (everything detached), then files, then outputs -------------
  const stats = live.stats()
  // a scrape from here on would read a probe that is gone
  opts.webserver?.serveMetrics(null)
  live.stop()
  containers?.close()
  signals.dispose()
  if (timer !== null) clearTimeout(timer)
  const elapsed = Number(process.hrtime.bigint() - started) / 1e9
  let writeError: Error | null = null
  try {
    writer?.close()
  } catch (e) {
    writeError = e as Error
  }
  dumps?.close()
  if (opts.verbose) {
    process.stderr.write(`Driver Events:${stats.events}\nDriver Drops:${stats.dropsBuffer + stats.dropsSize}\n`)
    if (!sendAll) {
      process.stderr.write(`Driver Quiet Opens:${stats.quiet} (openat and close events held back)\n`)
      process.stderr.write(`Driver Redundant Events:${stats.redundant} (state-only events that would change nothing, held back)\n`)
    }
    process.stderr.write(`Elapsed time: ${elapsed.toFixed(3)}, Captured Events: ${events}, ${(events / elapsed).toFixed(2)} eps\n`)
  }
  process.stderr.write(monitor.stats())
  if (companion === undefined) {
    await outputs.close()
    process.stdout.write(matcher.summary())
  }
  if (failure !== null) throw failure
  if (writeError !== null) throw new Error(`Could not write ${opts.writeCapture}: ${writeError.message}`)
  return stoppedByDrops ? 1 : 0
}

/** What the metrics read of this live run: the probe's counters and the state's. */
function liveMetricsSource(live: LiveSource, state: SystemState, events: () => number): MetricsSource {
  return {
    name: 'syscall',
    engineName: 'modern_bpf',
    numEvents: events,
    kernel: () => live.stats(),
    state: () => stateCounters(state),
    // as libscap, only while the kernel counts (it costs every program run a clock read)
    programs: () => (bpfStatsEnabled() ? live.programStats() : null),
  }
}

function bpfStatsEnabled(): boolean {
  try {
    return readFileSync('/proc/sys/kernel/bpf_stats_enabled', 'utf8').trim() === '1'
  } catch {
    return false
  }
}

/** ppm_sc codes of native syscall numbers, for messages. */
function scOfNrs(nrs: readonly number[]): Set<number> {
  const table = ppmScTable()
  const out = new Set<number>()
  for (const nr of nrs) if (table[nr]) out.add(table[nr]!)
  return out
}

// ---------------------------------------------------------------------------------------
// Falco's `capture` section (process_events.cpp): a matching rule with `capture: true`
// (mode rules) or any matching rule (mode all_rules) starts a gzip capture of the events
// from there, with the state of that moment first; each match pushes its deadline to
// evt time + the rule's capture_duration (ms) or capture.default_duration; the dump ends
// at the first event past the deadline or past max_file_size_mb.

class CaptureDumps {
  private writer: CaptureWriter | null = null
  private deadline = 0n
  private readonly allRules: boolean
  private readonly defaultNs: bigint
  private readonly maxBytes: number
  private readonly captureRules: ReadonlySet<CompiledRule>
  files = 0

  constructor(
    private readonly config: SakerConfig,
    private readonly rules: readonly CompiledRule[],
    private readonly state: SystemState,
    private readonly seeded: CaptureSection,
    /** Writes the container records into each dump, as -w gets them. */
    private readonly containers: LiveContainers | null,
  ) {
    this.allRules = config.capture.mode === 'all_rules'
    this.defaultNs = BigInt(Math.round(config.capture.default_duration)) * 1_000_000n
    this.maxBytes = config.capture.max_file_size_mb * 1024 * 1024
    this.captureRules = new Set(rules.filter(r => r.capture))
  }

  /** After the rules ran on an event; `fired` tells whether any rule matched it. */
  onEvent(ev: SyscallEvent, view: EventView, buf: Uint8Array, off: number, fired: boolean, firstOnly: boolean): void {
    const ts = view.ts
    if (fired) {
      let start = this.allRules
      // which rules fired (alerts are rare: evaluating their conditions again costs nothing)
      for (const r of this.rules) {
        if (r.evttypes !== 'all' && !r.evttypes.has(view.type)) continue
        if (!r.filter(ev)) continue
        if (!this.allRules && this.captureRules.has(r)) start = true
        const d = ts + (r.captureDuration > 0 ? BigInt(r.captureDuration) * 1_000_000n : this.defaultNs)
        if (d > this.deadline) this.deadline = d
        if (firstOnly) break
      }
      if (start && this.writer === null) this.open(ts, ev.num)
    }
    const w = this.writer
    if (w === null) return
    w.writeEvent(buf, off, view.len, view.cpuid)
    const overSize = this.maxBytes > 0 && w.produced >= this.maxBytes
    if (ts >= this.deadline || overSize) {
      this.close()
      if (overSize && ts < this.deadline) log.log('info', `Falco internal: capture size limit reached. Configured limit: ${this.config.capture.max_file_size_mb} MB.`)
    }
  }

  private open(ts: bigint, num: number): void {
    const path = captureFileName(this.config.capture.path_prefix, ts, num)
    try {
      this.writer = CaptureWriter.open(path, { compress: true })
      this.writer.writeHeader(sectionFromState(this.state, this.seeded))
      this.containers?.captureTo(this.writer)
      this.files++
      log.log('info', `Capture started: ${path}`)
    } catch (e) {
      log.log('error', `Could not open capture file ${path}: ${(e as Error).message}`)
      this.writer = null
    }
  }

  close(): void {
    const w = this.writer
    if (w === null) return
    this.writer = null
    this.deadline = 0n
    this.containers?.captureEnd(w)
    try {
      w.close()
    } catch (e) {
      log.log('error', `Could not finish a capture file: ${(e as Error).message}`)
    }
  }
}

// ---------------------------------------------------------------------------------------
// The state of the moment as capture metadata, for a dump that starts mid-run (what
// sinsp_dumper writes: the inspector's current thread and fd tables).

function captureFd(f: FdInfo): CaptureFd | null {
  const out: CaptureFd = {
    fd: f.fd, ino: BigInt(f.ino), type: f.type, name: f.name, openFlags: f.openFlags, dev: f.dev, mountId: f.mountId,
    l4proto: 0, sip: '', sport: 0, dip: '', dport: 0, ip: '', port: 0, source: 0n, dest: 0n,
  }
  const s = f.sock
  switch (f.type) {
    case FDT.IPV4_SOCK:
      if (s === null) return null
      out.sip = ipv4ToString(s, V4_SIP)
      out.dip = ipv4ToString(s, V4_DIP)
      out.sport = rd16(s, V4_SPORT)
      out.dport = rd16(s, V4_DPORT)
      out.l4proto = s[V4_L4]!
      break
    case FDT.IPV6_SOCK:
      if (s === null) return null
      out.sip = ipv6ToString(s, V6_SIP)
      out.dip = ipv6ToString(s, V6_DIP)
      out.sport = rd16(s, V6_SPORT)
      out.dport = rd16(s, V6_DPORT)
      out.l4proto = s[V6_L4]!
      break
    case FDT.IPV4_SERVSOCK:
      if (s === null) return null
      out.ip = ipv4ToString(s, V4S_IP)
      out.port = rd16(s, V4S_PORT)
      out.l4proto = s[V4S_L4]!
      break
    case FDT.IPV6_SERVSOCK:
      if (s === null) return null
      out.ip = ipv6ToString(s, V6S_IP)
      out.port = rd16(s, V6S_PORT)
      out.l4proto = s[V6S_L4]!
      break
    case FDT.UNIX_SOCK:
      if (s !== null) {
        out.source = rd64(s, 0)
        out.dest = rd64(s, 8)
      }
      break
    case FDT.FILE:
      out.type = FD_TYPE.FILE_V2
      break
    default:
      if (f.type < FDT.UNKNOWN || f.type > FDT.PIDFD) return null
  }
  return out
}

function captureThread(t: ThreadInfo): CaptureThread {
  const cgroups: string[] = []
  for (let i = 0; i < t.cgroupSubsys.length; i++) cgroups.push(`${t.cgroupSubsys[i]}=${t.cgroupPaths[i]}`)
  const fds: CaptureFd[] = []
  if (t.isMainThread()) {
    for (const f of t.fds.values()) {
      const c = captureFd(f)
      if (c !== null) fds.push(c)
    }
  }
  return {
    tid: t.tid, pid: t.pid, ptid: t.ptid, sid: t.sid, vpgid: t.vpgid, pgid: t.pgid, comm: t.comm, exe: t.exe,
    exepath: t.exepath, args: t.args, cwd: t.isMainThread() ? t.cwd : '', env: t.getEnv(), fdlimit: t.fdlimit,
    flags: t.flags, uid: t.uid, gid: t.gid, loginuid: t.loginuid, vmsizeKb: t.vmsizeKb, vmrssKb: t.vmrssKb,
    vmswapKb: t.vmswapKb, pfmajor: t.pfmajor, pfminor: t.pfminor, vtid: t.vtid, vpid: t.vpid, cgroups,
    root: t.root, cloneTs: t.cloneTs, tty: t.tty, exeWritable: t.exeWritable, exeUpperLayer: t.exeUpperLayer,
    exeLowerLayer: t.exeLowerLayer, exeFromMemfd: t.exeFromMemfd, exeIno: t.exeIno, exeInoCtime: t.exeInoCtime,
    exeInoMtime: t.exeInoMtime, capInheritable: t.capInheritable, capPermitted: t.capPermitted,
    capEffective: t.capEffective, pidnsInitStartTs: t.pidnsInitStartTs, filteredOut: t.filteredOut, fds,
  }
}

/** The state's threads, fds and users now, with the machine and interfaces of the start. */
export function sectionFromState(state: SystemState, seeded: CaptureSection): CaptureSection {
  const threads: CaptureThread[] = []
  const fds = new Map<number, CaptureFd[]>()
  for (const t of state.threads.values()) {
    if (t.isInvalid()) continue
    const ct = captureThread(t)
    threads.push(ct)
    if (ct.fds.length > 0) fds.set(ct.tid, ct.fds)
  }
  const users = [...(state.users.users.get('')?.values() ?? [])].map(u => ({ ...u }))
  const groups = [...(state.users.groups.get('')?.values() ?? [])].map(g => ({ ...g }))
  return {
    header: seeded.header, machine: state.machine ?? seeded.machine, interfaces: seeded.interfaces,
    users: users.length > 0 ? users : seeded.users, groups: groups.length > 0 ? groups : seeded.groups,
    threads, fds, blocks: {},
  }
}
