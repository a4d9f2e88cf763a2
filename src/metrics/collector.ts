// Falco's metrics (metrics_collector.cpp in libs, stats_writer.cpp and falco_metrics.cpp in
// Falco), read from a running source: one Snapshot, rendered two ways.
//
//   output_fields   the "Falco internal: metrics snapshot" alert and metrics.output_file:
//                   dotted names (scap.n_evts, falco.n_threads, falco.memory_rss_mb...),
//                   the metrics.* switches, convert_memory_to_mb, include_empty_values
//   Prometheus      webserver /metrics: falcosecurity_<subsystem>_<name>_<unit>, HELP and
//                   TYPE before every series, memory in bytes, percentages as ratios
//
// What Saker does not count is left out rather than sent as zero: the cached/non-cached
// lookup and stored-event counters and the iterator counters.
import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import os from 'node:os'
import type { SakerConfig } from '../config/index.js'
import type { RuleStats } from '../engine/matcher.js'
import type { FieldJson } from '../outputs/alert.js'
import type { CompiledRule } from '../rules/compiler.js'
import type { SystemState } from '../state/system-state.js'
import { versionInfo } from '../cli/version.js'
import { hostBootNs, readResources, type Resources } from './resources.js'

/** The probe's counters, total and per CPU. */
export interface KernelCounters {
  events: number
  dropsBuffer: number
  /** dropsBuffer by kind (libs' n_drops_buffer_<kind>: clone_fork_exit, open_exit...). */
  dropsKind: Readonly<Record<string, number>>
  /** Events larger than the probe can send. */
  dropsSize: number
  perCpu: readonly { events: number; dropsBuffer: number; dropsSize: number }[]
}

/** The state's counters (libsinsp's libs_state_counters that Saker keeps). */
export interface StateCounters {
  threads: number
  fds: number
  addedThreads: number
  removedThreads: number
  dropsFullThreadtable: number
}

/** A probe program's runs and their time (libbpf stats). */
export interface ProgramRuns {
  name: string
  runCnt: number
  runTimeNs: number
}

/** The state's counters of `state`. */
export function stateCounters(state: SystemState): StateCounters {
  let fds = 0
  // threads sharing their process's table (CLONE_FILES) are counted once, with it
  for (const t of state.threads.values()) if (t.fdTable() === t.fds) fds += t.fds.size
  return {
    threads: state.threads.size,
    fds,
    addedThreads: state.stats.threadsAdded,
    removedThreads: state.stats.threadsRemoved,
    dropsFullThreadtable: state.stats.threadTableFullDrops,
  }
}

/** What a running syscall source lets the collector read. */
export interface MetricsSource {
  /** "syscall" */
  readonly name: string
  /** scap.engine_name: "modern_bpf" for the live probe, "savefile" for a replayed capture. */
  readonly engineName: string
  /** Events this source delivered to the rules (falco.num_evts). */
  numEvents(): number
  kernel(): KernelCounters | null
  state(): StateCounters | null
  /** The probe's programs, when the kernel counts their runs (kernel.bpf_stats_enabled); else null. */
  programs(): readonly ProgramRuns[] | null
}

export interface Snapshot {
  /** ns since the epoch */
  time: bigint
  source: MetricsSource
  numEvents: number
  kernel: KernelCounters | null
  state: StateCounters | null
  programs: readonly ProgramRuns[] | null
  resources: Resources
  rules: { rule: CompiledRule; count: number }[]
  matchesTotal: number
  outputsDrops: number
}

const sanitize = (s: string): string => s.replace(/[^a-zA-Z0-9_:]/g, '_').replace(/_+/g, '_').replace(/_$/, '')
const baseName = (p: string): string => p.slice(p.lastIndexOf('/') + 1)
const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex')
/** The Falco version Saker answers as (the one `--version` prints). */
const FALCO_VERSION = String(versionInfo().falco_version)

export class MetricsCollector {
  readonly startNs = BigInt(Date.now()) * 1_000_000n
  private readonly bootNs = hostBootNs()
  private readonly rulesFiles: { name: string; sha256: string }[]
  private readonly configFiles: { name: string; sha256: string }[]
  /** Counts at the previous output_fields snapshot, for *_prev and the rates. */
  private prev: { time: bigint; numEvents: number; events: number; drops: number } | null = null

  constructor(
    private readonly config: SakerConfig,
    private readonly ruleStats: RuleStats,
    private readonly rules: readonly CompiledRule[],
    private readonly outputsDrops: () => number,
    private readonly hostname: string,
    rulesContents: ReadonlyMap<string, string>,
    configFiles: readonly string[],
    private readonly source: MetricsSource,
  ) {
    this.rulesFiles = [...rulesContents].map(([path, text]) => ({ name: baseName(path), sha256: sha256(text) }))
    this.configFiles = configFiles.flatMap((path) => {
      try {
        return [{ name: baseName(path), sha256: sha256(readFileSync(path, 'utf8')) }]
      } catch {
        return []
      }
    })
  }

  snapshot(): Snapshot {
    const rules: Snapshot['rules'] = []
    for (const rule of this.rules) rules.push({ rule, count: this.ruleStats.byRule.get(rule) ?? 0 })
    return {
      time: BigInt(Date.now()) * 1_000_000n,
      source: this.source,
      numEvents: this.source.numEvents(),
      kernel: this.source.kernel(),
      state: this.source.state(),
      programs: this.config.metrics.libbpf_stats_enabled ? this.source.programs() : null,
      resources: readResources(),
      rules,
      matchesTotal: this.ruleStats.total,
      outputsDrops: this.outputsDrops(),
    }
  }

  /** The output_fields of the metrics snapshot alert (and of a metrics.output_file line). */
  outputFields(s: Snapshot): Record<string, FieldJson> {
    const m = this.config.metrics
    const f: Record<string, FieldJson> = {}
    const put = (k: string, v: number): void => {
      if (v !== 0 || m.include_empty_values) f[k] = v
    }
    const mem = (name: string, kb: number): void => {
      if (m.convert_memory_to_mb) put(`falco.${name}_mb`, Math.round((kb / 1024) * 100) / 100)
      else put(`falco.${name}_kb`, kb)
    }
    // the wrapper Falco puts around every snapshot
    f['evt.time'] = s.time
    f['evt.hostname'] = this.hostname
    f['evt.source'] = s.source.name
    f['scap.engine_name'] = s.source.engineName
    f['falco.version'] = FALCO_VERSION
    f['falco.kernel_release'] = os.release()
    f['falco.start_ts'] = this.startNs
    f['falco.reload_ts'] = this.startNs
    f['falco.duration_sec'] = Number((s.time - this.startNs) / 1_000_000_000n)
    f['falco.host_boot_ts'] = this.bootNs
    f['falco.host_num_cpus'] = os.cpus().length
    f['falco.outputs_queue_num_drops'] = s.outputsDrops
    for (const r of this.rulesFiles) f[`falco.sha256_rules_file.${sanitize(r.name)}`] = r.sha256
    for (const c of this.configFiles) f[`falco.sha256_config_file.${sanitize(c.name)}`] = c.sha256
    f['falco.num_evts'] = s.numEvents
    f['falco.num_evts_prev'] = this.prev?.numEvents ?? 0
    const seconds = this.prev === null ? 0 : Number(s.time - this.prev.time) / 1e9
    if (this.prev !== null && this.prev.numEvents !== 0 && seconds > 0) {
      f['falco.evts_rate_sec'] = Math.round(((s.numEvents - this.prev.numEvents) / seconds) * 10) / 10
    }
    if (m.rules_counters_enabled) {
      f['falco.rules.matches_total'] = s.matchesTotal
      for (const { rule, count } of s.rules) put(`falco.rules.${sanitize(rule.name)}`, count)
    }
    if (m.resource_utilization_enabled) {
      const r = s.resources
      put('falco.cpu_usage_perc', r.cpuUsagePerc)
      mem('memory_rss', r.rssKb)
      mem('memory_vsz', r.vszKb)
      mem('memory_pss', r.pssKb)
      if (m.convert_memory_to_mb) put('falco.container_memory_used_mb', Math.round((r.containerMemoryUsedBytes / 1048576) * 100) / 100)
      else put('falco.container_memory_used_bytes', r.containerMemoryUsedBytes)
      put('falco.host_cpu_usage_perc', r.hostCpuUsagePerc)
      mem('host_memory_used', r.hostMemoryUsedKb)
      put('falco.host_procs_running', r.hostProcsRunning)
      put('falco.host_open_fds', r.hostOpenFds)
    }
    if (m.state_counters_enabled && s.state !== null) {
      put('falco.n_threads', s.state.threads)
      put('falco.n_fds', s.state.fds)
      put('falco.n_added_threads', s.state.addedThreads)
      put('falco.n_removed_threads', s.state.removedThreads)
      put('falco.n_drops_full_threadtable', s.state.dropsFullThreadtable)
    }
    const k = s.kernel
    if (k !== null) {
      const drops = k.dropsBuffer + k.dropsSize
      if (m.kernel_event_counters_enabled || m.kernel_event_counters_per_cpu_enabled) {
        f['scap.n_evts'] = k.events
        put('scap.n_drops_buffer_total', k.dropsBuffer)
        for (const [kind, n] of Object.entries(k.dropsKind)) put(`scap.n_drops_buffer_${kind}`, n)
        put('scap.n_drops_max_event_size', k.dropsSize)
        f['scap.n_drops'] = drops
      }
      if (m.kernel_event_counters_per_cpu_enabled) {
        k.perCpu.forEach((c, i) => {
          put(`scap.n_evts_cpu_${i}`, c.events)
          put(`scap.n_drops_cpu_${i}`, c.dropsBuffer + c.dropsSize)
        })
      }
      for (const p of s.programs ?? []) {
        put(`scap.${p.name}.run_cnt`, p.runCnt)
        put(`scap.${p.name}.run_time_ns`, p.runTimeNs)
        put(`scap.${p.name}.avg_time_ns`, p.runCnt > 0 ? Math.round(p.runTimeNs / p.runCnt) : 0)
      }
      const p = this.prev
      const dEvents = p === null ? 0 : k.events - p.events
      const dDrops = p === null ? 0 : drops - p.drops
      f['scap.n_evts_prev'] = p?.events ?? 0
      f['scap.n_drops_prev'] = p?.drops ?? 0
      f['scap.evts_rate_sec'] = seconds > 0 ? Math.round((dEvents / seconds) * 10) / 10 : 0
      f['scap.evts_drop_rate_sec'] = seconds > 0 ? Math.round((dDrops / seconds) * 10) / 10 : 0
      f['scap.n_drops_perc'] = dEvents > 0 ? (100 * dDrops) / dEvents : 0
      this.prev = { time: s.time, numEvents: s.numEvents, events: k.events, drops }
    } else {
      this.prev = { time: s.time, numEvents: s.numEvents, events: 0, drops: 0 }
    }
    return f
  }

  /** The Prometheus text of `s` (webserver /metrics), in Falco's order. */
  prometheus(s: Snapshot | null): string {
    const lines: string[] = []
    const series = (name: string, type: 'counter' | 'gauge', value: number | string, labels: Record<string, string> = {}, help = ''): void => {
      const keys = Object.keys(labels).sort()
      const l = keys.length === 0 ? '' : '{' + keys.map((k) => `${k}="${escapeLabel(labels[k]!)}"`).join(',') + '}'
      lines.push(`# HELP ${name} https://falco.org/docs/metrics/${help}`, `# TYPE ${name} ${type}`, `${name}${l} ${value}`)
    }
    const info = (name: string, labels: Record<string, string>): void => series(`falcosecurity_${name}_info`, 'gauge', 1, labels)
    const dbl = (x: number): string => x.toFixed(6)

    info('falco_version', { version: FALCO_VERSION })
    for (const r of this.rulesFiles) info('falco_sha256_rules_files', { file_name: r.name, sha256: r.sha256 })
    for (const c of this.configFiles) info('falco_sha256_config_files', { file_name: c.name, sha256: c.sha256 })
    if (s !== null) {
      for (const { rule, count } of s.rules) {
        if (count === 0) continue
        const labels: Record<string, string> = { priority: String(rule.priority), rule_name: rule.name, source: rule.source }
        for (const t of rule.tags) labels[`tag_${t.replace(/[^a-zA-Z0-9_]/g, '_')}`] = 'true'
        series('falcosecurity_falco_rules_matches_total', 'counter', count, labels)
      }
      info('scap_engine_name', { engine_name: s.source.engineName, evt_source: s.source.name })
      const k = s.kernel
      if (k !== null) {
        series('falcosecurity_scap_n_evts_total', 'counter', k.events)
        // n_drops_buffer_<x>_exit as one series with labels; Falco's converter has no form for
        // the two enter kinds and leaves them out, and so does this
        for (const [kind, n] of Object.entries(k.dropsKind)) {
          if (kind.endsWith('_exit')) series('falcosecurity_scap_n_drops_buffer_total', 'counter', n, { dir: 'exit', drop: kind.slice(0, -'_exit'.length) })
        }
        series('falcosecurity_scap_n_drops_max_event_size_total', 'counter', k.dropsSize)
        series('falcosecurity_scap_n_drops_total', 'counter', k.dropsBuffer + k.dropsSize)
        k.perCpu.forEach((c, i) => {
          series('falcosecurity_scap_n_evts_cpu_total', 'counter', c.events, { cpu: String(i) })
          series('falcosecurity_scap_n_drops_cpu_total', 'counter', c.dropsBuffer + c.dropsSize, { cpu: String(i) })
        })
      }
      for (const p of s.programs ?? []) {
        const name = `falcosecurity_scap_${p.name.replace(/[^a-zA-Z0-9_]/g, '_')}`
        series(`${name}_run_cnt_total`, 'counter', p.runCnt)
        series(`${name}_run_time_nanoseconds_total`, 'counter', p.runTimeNs)
        series(`${name}_avg_time_nanoseconds`, 'gauge', p.runCnt > 0 ? Math.round(p.runTimeNs / p.runCnt) : 0)
      }
      const r = s.resources
      series('falcosecurity_falco_cpu_usage_ratio', 'gauge', dbl(r.cpuUsagePerc / 100))
      series('falcosecurity_falco_memory_rss_bytes', 'gauge', dbl(r.rssKb * 1024))
      series('falcosecurity_falco_memory_vsz_bytes', 'gauge', dbl(r.vszKb * 1024))
      series('falcosecurity_falco_memory_pss_bytes', 'gauge', dbl(r.pssKb * 1024))
      series('falcosecurity_falco_container_memory_used_bytes', 'gauge', dbl(r.containerMemoryUsedBytes))
      series('falcosecurity_falco_host_cpu_usage_ratio', 'gauge', dbl(r.hostCpuUsagePerc / 100))
      series('falcosecurity_falco_host_memory_used_bytes', 'gauge', dbl(r.hostMemoryUsedKb * 1024))
      series('falcosecurity_falco_host_procs_running_total', 'gauge', r.hostProcsRunning)
      series('falcosecurity_falco_host_open_fds_total', 'gauge', r.hostOpenFds)
      const st = s.state
      if (st !== null) {
        series('falcosecurity_scap_n_threads_total', 'gauge', st.threads)
        series('falcosecurity_scap_n_fds_total', 'gauge', st.fds)
        series('falcosecurity_scap_n_added_threads_total', 'counter', st.addedThreads)
        series('falcosecurity_scap_n_removed_threads_total', 'counter', st.removedThreads)
        series('falcosecurity_scap_n_drops_full_threadtable_total', 'counter', st.dropsFullThreadtable)
      }
      if (k !== null) {
        // kept by Falco for dashboards made before libs stopped tracking enter events
        for (const kind of ['clone_fork', 'execve', 'connect', 'open', 'dir_file', 'other_interest']) {
          series('falcosecurity_scap_n_drops_buffer_total', 'counter', 0, { dir: 'enter', drop: kind }, ' (DEPRECATED: enter events are no longer tracked in falcosecurity/libs)')
        }
      }
      info('falco_kernel_release', { kernel_release: os.release() })
      info('evt_hostname', { hostname: this.hostname })
    }
    const now = BigInt(Date.now()) * 1_000_000n
    series('falcosecurity_falco_outputs_queue_num_drops_total', 'counter', s?.outputsDrops ?? this.outputsDrops())
    series('falcosecurity_falco_reload_timestamp_nanoseconds', 'gauge', this.startNs.toString())
    series('falcosecurity_falco_start_timestamp_nanoseconds', 'gauge', this.startNs.toString())
    series('falcosecurity_falco_duration_seconds_total', 'counter', ((now - this.startNs) / 1_000_000_000n).toString())
    series('falcosecurity_falco_host_boot_timestamp_nanoseconds', 'gauge', this.bootNs.toString())
    series('falcosecurity_falco_host_num_cpus_total', 'gauge', os.cpus().length)
    return lines.join('\n') + '\n'
  }
}

/**
 * A label value in the text format: backslash, double quote and newline escaped. (Falco writes
 * them unescaped; a rule name or hostname holding a quote would then break the whole page.)
 */
function escapeLabel(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')
}
