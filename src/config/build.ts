// From the merged document to a typed SakerConfig: Falco's falco_configuration::load_yaml, key by
// key and in the same order, so that the first error a broken configuration hits is the one
// Falco reports, with the same text.

import { statSync } from 'node:fs'
import { isIPv4, isIPv6 } from 'node:net'
import { availableParallelism } from 'node:os'
import { posix } from 'node:path'
import { cppBool, cppBoolStrict, cppDouble, cppInt, cppString, cppStringStrict, toWeakJson } from './convert.js'
import type { IntKind } from './convert.js'
import { CONTAINER_PLUGIN_DEFAULTS, DEFAULTS } from './defaults.js'
import { ConfigError, readingError, yamlCppWhat } from './errors.js'
import { BadConversion, BadSubscript, YamlCppError } from './node.js'
import type { YNode } from './node.js'
import { lookupKey } from './override.js'
import type {
  AppendOutput,
  CaptureMode,
  ContainerConfig,
  DropAction,
  EngineKind,
  LibsSeverity,
  LogLevel,
  PluginConfig,
  Priority,
  RuleMatching,
  RuleSelection,
  SakerConfig,
  SocketEngine,
} from './types.js'

export interface BuildOptions {
  /** The name used in error messages: the main file's path, or "default". */
  configName: string
  pluginsDir: string
  configFiles: SakerConfig['config_files']
}

/** Falco's message when neither -r nor the configuration names a rules file. */
export const NO_RULES_FILES_MESSAGE =
  'You must specify at least one rules file/directory via -r or a rules_file entry in falco.yaml'

const LOG_LEVELS: readonly LogLevel[] = ['emergency', 'alert', 'critical', 'error', 'warning', 'notice', 'info', 'debug']
const LIBS_SEVERITIES: readonly LibsSeverity[] = ['trace', 'debug', 'info', 'notice', 'warning', 'error', 'critical', 'fatal']
const PRIORITIES: readonly Priority[] = [
  'emergency',
  'alert',
  'critical',
  'error',
  'warning',
  'notice',
  'informational',
  'debug',
]
const ENGINE_KINDS: readonly EngineKind[] = ['kmod', 'modern_ebpf', 'replay', 'nodriver']
const CAPTURE_MODES: readonly CaptureMode[] = ['rules', 'all_rules']
const SPACE = ' \t\n\v\f\r'

/** Typed reads of the document, each falling back to its default like get_scalar<T>. */
class Reader {
  constructor(private readonly root: YNode) {}

  node(key: string): YNode | undefined {
    return lookupKey(this.root, key)
  }

  isDefined(key: string): boolean {
    return this.node(key) !== undefined
  }

  str(key: string, def: string): string {
    return cppString(this.node(key)) ?? def
  }

  bool(key: string, def: boolean): boolean {
    return cppBool(this.node(key)) ?? def
  }

  int(key: string, kind: IntKind, def: number): number {
    return cppInt(this.node(key), kind) ?? def
  }

  double(key: string, def: number): number {
    return cppDouble(this.node(key)) ?? def
  }

  /** get_sequence: the items of a sequence, or a scalar as a one-item list; else nothing. */
  seq<T>(key: string, decode: (n: YNode) => T): T[] {
    return seqOf(this.node(key), decode)
  }
}

function seqOf<T>(n: YNode | undefined, decode: (n: YNode) => T): T[] {
  if (n === undefined) return []
  if (n.kind === 'seq') return n.seqItems().map(decode)
  if (n.kind === 'scalar') return [decode(n)]
  return []
}

/** A const `node["key"]` inside a decoder: a scalar throws, a non-map has no children. */
function child(n: YNode, key: string): YNode | undefined {
  if (n.kind === 'scalar') throw new BadSubscript(n.mark, key)
  return n.get(key)
}

function trim(s: string): string {
  let a = 0
  let b = s.length
  while (a < b && SPACE.includes(s[a]!)) a++
  while (b > a && SPACE.includes(s[b - 1]!)) b--
  return s.slice(a, b)
}

/** Falco's webserver address check: an IPv4 or IPv6 address (with an optional zone), spaces around allowed. */
export function isValidListenAddress(address: string): boolean {
  const core = trim(address)
  if (isIPv4(core)) return true
  const pct = core.indexOf('%')
  if (pct === -1) return isIPv6(core)
  return pct < core.length - 1 && isIPv6(core.slice(0, pct))
}

/** Falco's parse_prometheus_interval: "1h30m", "5s", "100ms"... in milliseconds; 0 if it is not one. */
export function parsePrometheusInterval(text: string): number {
  const s = text.replace(/[ \t\n\v\f\r]/g, '')
  const m = /^(?:([0-9]+)y)?(?:([0-9]+)w)?(?:([0-9]+)d)?(?:([0-9]+)h)?(?:([0-9]+)m)?(?:([0-9]+)s)?(?:([0-9]+)ms)?$/.exec(s)
  if (m === null) return 0
  const unitsMs = [365 * 86400000, 7 * 86400000, 86400000, 3600000, 60000, 1000, 1]
  let total = 0
  unitsMs.forEach((ms, i) => {
    const g = m[i + 1]
    if (g !== undefined && g !== '') total += stoull0(g) * ms
  })
  return total
}

/** std::stoull(s, nullptr, 0) on a digit string: a leading 0 means octal. */
function stoull0(digits: string): number {
  if (digits.length > 1 && digits.startsWith('0')) {
    const oct = /^0[0-7]*/.exec(digits)![0]
    return Number.parseInt(oct, 8)
  }
  return Number(digits)
}

function pathExists(p: string): boolean {
  try {
    statSync(p)
    return true
  } catch {
    return false
  }
}

function decodeRuleSelection(n: YNode): RuleSelection {
  if (n.kind !== 'map') throw new BadConversion(n.mark)
  let op: RuleSelection['op']
  let body = n.get('enable')
  if (body !== undefined) {
    op = 'enable'
  } else {
    body = n.get('disable')
    if (body === undefined) throw new BadConversion(n.mark)
    op = 'disable'
  }
  if (body.kind !== 'map') throw new BadConversion(n.mark)
  const ruleNode = body.get('rule')
  const tagNode = body.get('tag')
  const rule = ruleNode === undefined ? '' : cppStringStrict(ruleNode)
  const tag = tagNode === undefined ? '' : cppStringStrict(tagNode)
  if (rule === '' && tag === '') throw new BadConversion(n.mark)
  return { op, rule: rule === '' ? null : rule, tag: tag === '' ? null : tag }
}

function decodeAppendOutput(n: YNode): AppendOutput {
  if (n.kind !== 'map') throw new BadConversion(n.mark)
  let source = ''
  let rule = ''
  const tags = new Set<string>()
  const match = n.get('match')
  if (match !== undefined) {
    const s = child(match, 'source')
    if (s !== undefined) source = cppStringStrict(s)
    const t = child(match, 'tags')
    if (t !== undefined && t.kind === 'seq') {
      for (const tag of t.seqItems()) {
        if (tag.kind !== 'scalar') throw new BadConversion(n.mark)
        tags.add(tag.scalar)
      }
    }
    const r = child(match, 'rule')
    if (r !== undefined) rule = cppStringStrict(r)
  }
  const extraOutput = n.get('extra_output')
  const formatted = new Map<string, string>()
  const raw = new Set<string>()
  const extraFields = n.get('extra_fields')
  if (extraFields !== undefined) {
    if (extraFields.kind !== 'seq') throw new BadConversion(n.mark)
    for (const def of extraFields.seqItems()) {
      const entries = def.kind === 'map' ? def.mapEntries() : []
      if (def.kind === 'map' && entries.length === 1) {
        const [name, value] = entries[0]!
        if (formatted.has(name) || raw.has(name)) throw new BadConversion(n.mark)
        formatted.set(name, cppStringStrict(value))
      } else if (def.kind === 'scalar') {
        if (formatted.has(def.scalar)) throw new BadConversion(n.mark)
        raw.add(def.scalar)
      } else {
        throw new BadConversion(n.mark)
      }
    }
  }
  const suggested = n.get('suggested_output')
  return {
    match: { source: source === '' ? null : source, tags: [...tags].sort(), rule: rule === '' ? null : rule },
    extra_output: extraOutput === undefined ? '' : cppStringStrict(extraOutput),
    extra_fields: [...formatted].map(([name, format]) => ({ name, format })),
    raw_fields: [...raw],
    suggested_output: suggested === undefined ? false : cppBoolStrict(suggested),
  }
}

function decodePlugin(n: YNode, pluginsDir: string): PluginConfig {
  if (n.kind !== 'map') throw new BadConversion(n.mark)
  const nameNode = n.get('name')
  if (nameNode === undefined) throw new BadConversion(n.mark)
  const name = cppStringStrict(nameNode)
  const libNode = n.get('library_path')
  if (libNode === undefined) throw new BadConversion(n.mark)
  let libraryPath = cppStringStrict(libNode)
  if (libraryPath !== '' && !libraryPath.startsWith('/')) {
    const dir = posix.normalize(pluginsDir)
    const full = posix.normalize(posix.join(dir, libraryPath))
    const rel = posix.relative(dir, full)
    if (rel.split('/').includes('..')) {
      throw new YamlCppError(
        yamlCppWhat(
          libNode.mark,
          `plugin library_path '${libraryPath}' resolves outside the plugins directory (${pluginsDir})`,
        ),
      )
    }
    libraryPath = full
  }
  let initConfig: PluginConfig['init_config'] = ''
  let initText = ''
  const init = n.get('init_config')
  if (init !== undefined && init.kind !== 'null') {
    if (init.kind === 'map') {
      initConfig = toWeakJson(init) as Record<string, unknown>
      initText = JSON.stringify(initConfig)
    } else {
      initText = cppStringStrict(init)
      initConfig = initText
    }
  }
  const open = n.get('open_params')
  const openParams = open !== undefined && open.kind !== 'null' ? trim(cppStringStrict(open)) : ''
  return { name, library_path: libraryPath, init_config: initConfig, init_config_text: initText, open_params: openParams }
}

function containerConfig(plugins: PluginConfig[], loaded: PluginConfig[]): ContainerConfig {
  const entry = plugins.find(p => p.name === 'container')
  let init: Record<string, unknown> = {}
  if (entry !== undefined) {
    if (typeof entry.init_config === 'object') init = entry.init_config
    else if (entry.init_config_text.trim() !== '') {
      try {
        const parsed: unknown = JSON.parse(entry.init_config_text)
        if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) init = parsed as Record<string, unknown>
      } catch {
        // Not JSON: the plugin would refuse it; keep the defaults here.
      }
    }
  }
  const obj = (v: unknown): Record<string, unknown> =>
    typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {}
  const boolOr = (v: unknown, d: boolean): boolean => (typeof v === 'boolean' ? v : d)
  const numOr = (v: unknown, d: number): number => (typeof v === 'number' ? v : d)
  const strOr = (v: unknown, d: string): string => (typeof v === 'string' ? v : d)
  const strings = (v: unknown): string[] =>
    Array.isArray(v) ? v.filter((s): s is string => typeof s === 'string') : []
  const engines = obj(init.engines)
  const sockets = (name: keyof typeof CONTAINER_PLUGIN_DEFAULTS.sockets): SocketEngine => {
    const e = obj(engines[name])
    const list = strings(e.sockets)
    return { enabled: boolOr(e.enabled, true), sockets: list.length > 0 ? list : [...CONTAINER_PLUGIN_DEFAULTS.sockets[name]] }
  }
  const simple = (name: string): { enabled: boolean } => ({ enabled: boolOr(obj(engines[name]).enabled, true) })
  const st = obj(engines.static)
  const hooks = strings(init.hooks)
  return {
    loaded: loaded.some(p => p.name === 'container'),
    label_max_len: numOr(init.label_max_len, CONTAINER_PLUGIN_DEFAULTS.label_max_len),
    with_size: boolOr(init.with_size, CONTAINER_PLUGIN_DEFAULTS.with_size),
    hooks: Array.isArray(init.hooks) ? hooks : [...CONTAINER_PLUGIN_DEFAULTS.hooks],
    engine_timeout: numOr(init.engine_timeout, CONTAINER_PLUGIN_DEFAULTS.engine_timeout),
    engines: {
      docker: sockets('docker'),
      podman: sockets('podman'),
      containerd: sockets('containerd'),
      cri: sockets('cri'),
      lxc: simple('lxc'),
      libvirt_lxc: simple('libvirt_lxc'),
      bpm: simple('bpm'),
      static: {
        enabled: boolOr(st.enabled, false),
        container_id: strOr(st.container_id, ''),
        container_name: strOr(st.container_name, ''),
        container_image: strOr(st.container_image, ''),
      },
    },
  }
}

/** Read a key Falco 0.44 no longer reads: never fails, whatever the document holds there. */
function lenient<T>(read: () => T, def: T): T {
  try {
    return read()
  } catch {
    return def
  }
}

/**
 * Build the typed configuration from the merged document. Throws ConfigError with Falco's text
 * on the first invalid value; warnings (deprecated keys, odd combinations) go to `warnings`.
 */
export function buildConfig(root: YNode, opts: BuildOptions, warnings: string[]): SakerConfig {
  const r = new Reader(root)
  const name = opts.configName
  const D = DEFAULTS

  // Logging first: Falco configures its logger before anything else.
  const logLevel = r.str('log_level', D.log_level)
  if (!(LOG_LEVELS as readonly string[]).includes(logLevel)) throw new ConfigError(`Unknown log level ${logLevel}`)
  const libsEnabled = r.bool('libs_logger.enabled', D.libs_logger.enabled)
  const libsSeverity = r.str('libs_logger.severity', D.libs_logger.severity)
  if (libsEnabled && !(LIBS_SEVERITIES as readonly string[]).includes(libsSeverity)) {
    throw new ConfigError(`Unknown sinsp log severity ${libsSeverity}`)
  }
  const logStderr = r.bool('log_stderr', D.log_stderr)
  const logSyslog = r.bool('log_syslog', D.log_syslog)

  // Engine: only the chosen kind's block is read.
  const kind = r.str('engine.kind', D.engine.kind)
  if (!(ENGINE_KINDS as readonly string[]).includes(kind)) {
    throw readingError(name, `engine.kind '${kind}' is not a valid kind.`)
  }
  const engine: SakerConfig['engine'] = {
    kind: kind as EngineKind,
    kmod: { buf_size_preset: D.engine.buf_size_preset, drop_failed_exit: D.engine.drop_failed_exit },
    modern_ebpf: {
      cpus_for_each_buffer: D.engine.cpus_for_each_buffer,
      buf_size_preset: D.engine.buf_size_preset,
      drop_failed_exit: D.engine.drop_failed_exit,
      disable_iterators: D.engine.disable_iterators,
    },
    replay: { capture_file: D.engine.capture_file },
  }
  if (kind === 'kmod') {
    engine.kmod.buf_size_preset = r.int('engine.kmod.buf_size_preset', 'int16', D.engine.buf_size_preset)
    engine.kmod.drop_failed_exit = r.bool('engine.kmod.drop_failed_exit', D.engine.drop_failed_exit)
  } else if (kind === 'modern_ebpf') {
    const m = engine.modern_ebpf
    m.cpus_for_each_buffer = r.int('engine.modern_ebpf.cpus_for_each_buffer', 'uint16', D.engine.cpus_for_each_buffer)
    m.buf_size_preset = r.int('engine.modern_ebpf.buf_size_preset', 'int16', D.engine.buf_size_preset)
    m.drop_failed_exit = r.bool('engine.modern_ebpf.drop_failed_exit', D.engine.drop_failed_exit)
    m.disable_iterators = r.bool('engine.modern_ebpf.disable_iterators', D.engine.disable_iterators)
  } else if (kind === 'replay') {
    engine.replay.capture_file = r.str('engine.replay.capture_file', D.engine.capture_file)
    if (engine.replay.capture_file === '') {
      throw readingError(name, "engine.kind is 'replay' but no engine.replay.capture_file specified.")
    }
  }

  // Rules files, with the deprecated singular key.
  const configured: string[] = []
  let rulesKeys = 0
  if (r.isDefined('rules_files')) {
    rulesKeys++
    configured.push(...r.seq('rules_files', cppStringStrict))
  }
  if (r.isDefined('rules_file')) {
    rulesKeys++
    configured.push(...r.seq('rules_file', cppStringStrict))
    warnings.push(
      "Using deprecated config key 'rules_file' (singular form). Please use new 'rules_files' config key (plural form).",
    )
  }
  if (rulesKeys === 2) throw readingError(name, "both 'rules_files' and 'rules_file' keys set")
  // Relative paths are relative to the working directory, not to the configuration file.
  const rulesFiles = configured.filter(pathExists)

  const jsonOutput = r.bool('json_output', D.json_output)
  const jsonOutputProperty = r.bool('json_include_output_property', D.json_include_output_property)
  const jsonTags = r.bool('json_include_tags_property', D.json_include_tags_property)
  const jsonMessage = r.bool('json_include_message_property', D.json_include_message_property)
  const jsonFields = r.bool('json_include_output_fields_property', D.json_include_output_fields_property)

  // Output channels. keep_alive is read as text and only the exact "true" enables it.
  const fileOutput = {
    enabled: r.bool('file_output.enabled', D.file_output.enabled),
    keep_alive: false,
    filename: r.str('file_output.filename', D.file_output.filename),
  }
  if (fileOutput.enabled && fileOutput.filename === '') {
    throw readingError(name, 'file output enabled but no filename in configuration block')
  }
  fileOutput.keep_alive = r.str('file_output.keep_alive', D.file_output.keep_alive) === 'true'
  const stdoutOutput = { enabled: r.bool('stdout_output.enabled', D.stdout_output.enabled) }
  const syslogOutput = { enabled: r.bool('syslog_output.enabled', D.syslog_output.enabled) }
  const programOutput = {
    enabled: r.bool('program_output.enabled', D.program_output.enabled),
    keep_alive: false,
    program: r.str('program_output.program', D.program_output.program),
  }
  if (programOutput.enabled && programOutput.program === '') {
    throw readingError(name, 'program output enabled but no program in configuration block')
  }
  programOutput.keep_alive = r.str('program_output.keep_alive', D.program_output.keep_alive) === 'true'
  const H = D.http_output
  const httpEnabled = r.bool('http_output.enabled', H.enabled)
  const httpUrl = r.str('http_output.url', H.url)
  if (httpEnabled && httpUrl === '') throw readingError(name, 'http output enabled but no url in configuration block')
  const httpOutput: SakerConfig['http_output'] = {
    enabled: httpEnabled,
    url: httpUrl,
    user_agent: r.str('http_output.user_agent', H.user_agent),
    insecure: r.bool('http_output.insecure', H.insecure),
    echo: r.bool('http_output.echo', H.echo),
    ca_cert: r.str('http_output.ca_cert', H.ca_cert),
    ca_bundle: r.str('http_output.ca_bundle', H.ca_bundle),
    ca_path: r.str('http_output.ca_path', H.ca_path),
    mtls: r.bool('http_output.mtls', H.mtls),
    client_cert: r.str('http_output.client_cert', H.client_cert),
    client_key: r.str('http_output.client_key', H.client_key),
    compress_uploads: r.bool('http_output.compress_uploads', H.compress_uploads),
    keep_alive: r.bool('http_output.keep_alive', H.keep_alive),
    max_consecutive_timeouts: r.int('http_output.max_consecutive_timeouts', 'uint8', H.max_consecutive_timeouts),
  }

  const outputTimeout = r.int('output_timeout', 'uint32', D.output_timeout)

  const ruleMatchingText = r.str('rule_matching', D.rule_matching)
  const ruleMatching = (['first', 'all'] as const).find(m => m === ruleMatchingText.toLowerCase())
  if (ruleMatching === undefined) {
    throw new ConfigError(`Unknown rule matching strategy "${ruleMatchingText}"--must be one of first, all`)
  }

  const priorityText = r.str('priority', D.priority)
  const lowered = priorityText.toLowerCase()
  const priority: Priority | undefined =
    lowered === 'info' ? 'informational' : PRIORITIES.find(p => p === lowered)
  if (priority === undefined) {
    throw new ConfigError(
      `Unknown priority "${priorityText}"--must be one of emergency, alert, critical, error, warning, notice, informational, debug`,
    )
  }

  const bufferedOutputs = r.bool('buffered_outputs', D.buffered_outputs)
  const queueCapacity = r.int('outputs_queue.capacity', 'uint64', D.outputs_queue_capacity)
  const isoTime = r.bool('time_format_iso_8601', D.time_format_iso_8601)
  const base64 = r.bool('buffer_format_base64', D.buffer_format_base64)

  const W = D.webserver
  const webserverEnabled = r.bool('webserver.enabled', W.enabled)
  const threadiness = r.int('webserver.threadiness', 'uint32', W.threadiness)
  const listenPort = r.int('webserver.listen_port', 'uint32', W.listen_port)
  const listenAddress = r.str('webserver.listen_address', W.listen_address)
  if (!isValidListenAddress(listenAddress)) {
    throw readingError(name, `webserver listen address "${listenAddress}" is not a valid IP address`)
  }
  const webserver: SakerConfig['webserver'] = {
    enabled: webserverEnabled,
    threadiness: threadiness === 0 ? availableParallelism() : threadiness,
    listen_port: listenPort,
    listen_address: listenAddress,
    k8s_healthz_endpoint: r.str('webserver.k8s_healthz_endpoint', W.k8s_healthz_endpoint),
    ssl_enabled: r.bool('webserver.ssl_enabled', W.ssl_enabled),
    ssl_certificate: r.str('webserver.ssl_certificate', W.ssl_certificate),
    prometheus_metrics_enabled: r.bool('webserver.prometheus_metrics_enabled', W.prometheus_metrics_enabled),
  }

  // Syscall event drops: "ignore" excludes "log" and "alert" when it comes first.
  const actions: DropAction[] = []
  for (const act of r.seq('syscall_event_drops.actions', cppStringStrict)) {
    if (act === 'ignore' || act === 'exit') {
      // accepted as is
    } else if (act === 'log' || act === 'alert') {
      if (actions.includes('ignore')) {
        throw readingError(name, `syscall event drop action "${act}" does not make sense with the "ignore" action`)
      }
    } else {
      throw readingError(
        name,
        'available actions for syscall event drops are "ignore", "log", "alert", and "exit"',
      )
    }
    if (!actions.includes(act)) actions.push(act)
  }
  if (actions.length === 0) actions.push('ignore')
  const threshold = r.double('syscall_event_drops.threshold', D.syscall_event_drops.threshold)
  if (threshold < 0 || threshold > 1) {
    throw readingError(name, 'syscall event drops threshold must be a double in the range [0, 1]')
  }
  const drops: SakerConfig['syscall_event_drops'] = {
    threshold,
    actions,
    rate: r.double('syscall_event_drops.rate', D.syscall_event_drops.rate),
    max_burst: r.double('syscall_event_drops.max_burst', D.syscall_event_drops.max_burst),
    simulate_drops: r.bool('syscall_event_drops.simulate_drops', D.syscall_event_drops.simulate_drops),
  }

  const maxConsecutives = r.int('syscall_event_timeouts.max_consecutives', 'uint32', D.syscall_event_timeouts.max_consecutives)
  if (maxConsecutives === 0) {
    // Falco's text has no space before the parenthesis here.
    throw new ConfigError(
      `Error reading config file(${name}): the maximum consecutive timeouts without an event must be an unsigned integer > 0`,
    )
  }

  const L = D.falco_libs
  const falcoLibs: SakerConfig['falco_libs'] = {
    thread_table_size: r.int('falco_libs.thread_table_size', 'uint32', L.thread_table_size),
    thread_table_auto_purging_interval_s: r.int(
      'falco_libs.thread_table_auto_purging_interval_s',
      'uint32',
      L.thread_table_auto_purging_interval_s,
    ),
    thread_table_auto_purging_thread_timeout_s: r.int(
      'falco_libs.thread_table_auto_purging_thread_timeout_s',
      'uint32',
      L.thread_table_auto_purging_thread_timeout_s,
    ),
    snaplen: r.int('falco_libs.snaplen', 'uint64', L.snaplen),
  }

  const customSet = [...new Set(r.seq('base_syscalls.custom_set', cppStringStrict))]
  const baseSyscalls = {
    custom_set: customSet,
    repair: r.bool('base_syscalls.repair', D.base_syscalls.repair),
    all: r.bool('base_syscalls.all', D.base_syscalls.all),
  }

  const M = D.metrics
  const metricsEnabled = r.bool('metrics.enabled', M.enabled)
  const metricsInterval = r.str('metrics.interval', M.interval)
  const metrics: SakerConfig['metrics'] = {
    enabled: metricsEnabled,
    interval: metricsInterval,
    interval_ms: parsePrometheusInterval(metricsInterval),
    output_rule: r.bool('metrics.output_rule', M.output_rule),
    output_file: r.str('metrics.output_file', M.output_file),
    rules_counters_enabled: r.bool('metrics.rules_counters_enabled', M.rules_counters_enabled),
    resource_utilization_enabled: r.bool('metrics.resource_utilization_enabled', M.resource_utilization_enabled),
    state_counters_enabled: r.bool('metrics.state_counters_enabled', M.state_counters_enabled),
    kernel_event_counters_enabled: r.bool('metrics.kernel_event_counters_enabled', M.kernel_event_counters_enabled),
    kernel_event_counters_per_cpu_enabled: r.bool(
      'metrics.kernel_event_counters_per_cpu_enabled',
      M.kernel_event_counters_per_cpu_enabled,
    ),
    libbpf_stats_enabled: r.bool('metrics.libbpf_stats_enabled', M.libbpf_stats_enabled),
    plugins_metrics_enabled: r.bool('metrics.plugins_metrics_enabled', M.plugins_metrics_enabled),
    kernel_iter_event_counters_enabled: r.bool(
      'metrics.kernel_iter_event_counters_enabled',
      M.kernel_iter_event_counters_enabled,
    ),
    jemalloc_stats_enabled: r.bool('metrics.jemalloc_stats_enabled', M.jemalloc_stats_enabled),
    convert_memory_to_mb: r.bool('metrics.convert_memory_to_mb', M.convert_memory_to_mb),
    include_empty_values: r.bool('metrics.include_empty_values', M.include_empty_values),
  }

  const C = D.capture
  const captureEnabled = r.bool('capture.enabled', C.enabled)
  const capturePrefix = r.str('capture.path_prefix', C.path_prefix)
  const captureMode = r.str('capture.mode', C.mode)
  if (!(CAPTURE_MODES as readonly string[]).includes(captureMode)) {
    throw readingError(name, `capture.mode '${captureMode}' is not a valid mode.`)
  }
  const capture: SakerConfig['capture'] = {
    enabled: captureEnabled,
    path_prefix: capturePrefix,
    mode: captureMode as CaptureMode,
    default_duration: r.int('capture.default_duration', 'uint32', C.default_duration),
    max_file_size_mb: r.int('capture.max_file_size_mb', 'uint64', C.max_file_size_mb),
  }

  const pluginsHostinfo = r.bool('plugins_hostinfo', D.plugins_hostinfo)

  const rules = r.seq('rules', decodeRuleSelection)
  const appendOutput = r.seq('append_output', decodeAppendOutput)
  for (const entry of appendOutput) {
    if (entry.match.rule !== null && entry.match.tags.length > 0) {
      // Falco's wording, including its typo and the list's trailing comma.
      const tagList = entry.match.tags.map(t => `${t}, `).join('').slice(0, -1)
      warnings.push(
        `An append_ouptut entry specifies both a rule (${entry.match.rule}) and a list of tags (${tagList}). ` +
          `This means that output will be appended only to the ${entry.match.rule} rule and only if it has ` +
          `all the tags: ${tagList}.`,
      )
    }
  }

  const staticFields: Record<string, string> = {}
  const staticNode = r.node('static_fields')
  if (staticNode !== undefined && staticNode.kind === 'map') {
    const entries = staticNode.mapEntries().sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    for (const [k, v] of entries) {
      Object.defineProperty(staticFields, k, { value: cppStringStrict(v), enumerable: true, writable: true, configurable: true })
    }
  }

  // Plugins: every entry is decoded; load_plugins, when present, selects and orders them.
  const loadPluginsDefined = r.isDefined('load_plugins')
  const loadPlugins = r.seq('load_plugins', cppStringStrict)
  let pluginsConfigured: PluginConfig[] = []
  try {
    if (r.isDefined('plugins')) pluginsConfigured = r.seq('plugins', n => decodePlugin(n, opts.pluginsDir))
  } catch (e) {
    if (!(e instanceof YamlCppError)) throw e
    throw new ConfigError(`Error reading config file(${name}): could not load plugins config: ${e.message}`)
  }
  let plugins: PluginConfig[]
  if (!loadPluginsDefined) {
    plugins = [...pluginsConfigured]
  } else {
    plugins = []
    for (const pname of loadPlugins) {
      const p = pluginsConfigured.find(q => q.name === pname)
      if (p === undefined) throw new ConfigError(`Cannot load plugin '${pname}': plugin config not found for given name`)
      plugins.push(p)
    }
  }

  const watchConfigFiles = r.bool('watch_config_files', D.watch_config_files)

  // Keys Falco 0.44 ignores.
  const outputs = {
    rate: lenient(() => r.int('outputs.rate', 'uint32', D.outputs.rate), D.outputs.rate),
    max_burst: lenient(() => r.int('outputs.max_burst', 'uint32', D.outputs.max_burst), D.outputs.max_burst),
  }
  const grpcThreadiness = lenient(() => r.int('grpc.threadiness', 'uint32', D.grpc.threadiness), D.grpc.threadiness)
  const grpc = {
    enabled: lenient(() => r.bool('grpc.enabled', D.grpc.enabled), D.grpc.enabled),
    bind_address: lenient(() => r.str('grpc.bind_address', D.grpc.bind_address), D.grpc.bind_address),
    threadiness: grpcThreadiness === 0 ? availableParallelism() : grpcThreadiness,
  }
  const grpcOutput = { enabled: lenient(() => r.bool('grpc_output.enabled', D.grpc_output.enabled), D.grpc_output.enabled) }
  const containerEngines = lenient(() => {
    const n = r.node('container_engines')
    return n !== undefined && n.kind === 'map' ? (toWeakJson(n) as Record<string, unknown>) : null
  }, null)

  return {
    config_files: opts.configFiles,
    watch_config_files: watchConfigFiles,
    rules_files: rulesFiles,
    rules_files_configured: configured,
    rules,
    engine,
    capture,
    load_plugins: loadPluginsDefined ? loadPlugins : null,
    plugins,
    plugins_configured: pluginsConfigured,
    plugins_hostinfo: pluginsHostinfo,
    container: containerConfig(pluginsConfigured, plugins),
    time_format_iso_8601: isoTime,
    buffer_format_base64: base64,
    priority,
    json_output: jsonOutput,
    json_include_output_property: jsonOutputProperty,
    json_include_message_property: jsonMessage,
    json_include_output_fields_property: jsonFields,
    json_include_tags_property: jsonTags,
    buffered_outputs: bufferedOutputs,
    rule_matching: ruleMatching satisfies RuleMatching,
    outputs_queue: { capacity: queueCapacity },
    append_output: appendOutput,
    static_fields: staticFields,
    stdout_output: stdoutOutput,
    syslog_output: syslogOutput,
    file_output: fileOutput,
    program_output: programOutput,
    http_output: httpOutput,
    webserver,
    log_stderr: logStderr,
    log_syslog: logSyslog,
    log_level: logLevel as LogLevel,
    // A disabled libs logger never reads its severity, so any text passes; report the default then.
    libs_logger: {
      enabled: libsEnabled,
      severity: (LIBS_SEVERITIES as readonly string[]).includes(libsSeverity)
        ? (libsSeverity as LibsSeverity)
        : D.libs_logger.severity,
    },
    output_timeout: outputTimeout,
    syscall_event_timeouts: { max_consecutives: maxConsecutives },
    syscall_event_drops: drops,
    metrics,
    base_syscalls: baseSyscalls,
    falco_libs: falcoLibs,
    outputs,
    grpc,
    grpc_output: grpcOutput,
    container_engines: containerEngines,
  }
}
