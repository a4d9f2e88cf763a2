// The typed configuration the rest of Saker reads. Field names are the falco.yaml keys, so a
// setting is found under the name a user writes. Every field is always present: a key missing
// from the files gets Falco 0.44's built-in default (see defaults.ts), which is not always the
// value falco.yaml ships with (e.g. `engine.kind` defaults to kmod, stdout output to off).

export type EngineKind = 'kmod' | 'modern_ebpf' | 'replay' | 'nodriver'
export type RuleMatching = 'first' | 'all'
export type Priority =
  | 'emergency'
  | 'alert'
  | 'critical'
  | 'error'
  | 'warning'
  | 'notice'
  | 'informational'
  | 'debug'
export type LogLevel = 'emergency' | 'alert' | 'critical' | 'error' | 'warning' | 'notice' | 'info' | 'debug'
export type LibsSeverity = 'fatal' | 'critical' | 'error' | 'warning' | 'notice' | 'info' | 'debug' | 'trace'
export type DropAction = 'ignore' | 'log' | 'alert' | 'exit'
export type MergeStrategy = 'append' | 'override' | 'add-only'
export type CaptureMode = 'rules' | 'all_rules'

/** One `config_files` entry, as used when the included files were merged. */
export interface ConfigFileEntry {
  path: string
  strategy: MergeStrategy
}

/** One `rules:` entry: enable or disable rules by name (wildcards allowed) and/or by tag. */
export interface RuleSelection {
  op: 'enable' | 'disable'
  rule: string | null
  tag: string | null
}

export interface PluginConfig {
  name: string
  /** Absolute, or resolved against the plugins directory when written relative. */
  library_path: string
  /** A map stays an object (scalars typed as Falco types them for the plugin); a scalar stays text. */
  init_config: Record<string, unknown> | string
  /** Exactly what Falco hands the plugin: JSON text for a map (sorted keys), the text otherwise. */
  init_config_text: string
  /** Trimmed; '' when absent. */
  open_params: string
}

export interface AppendOutput {
  match: { source: string | null; tags: string[]; rule: string | null }
  extra_output: string
  /** `- name: "%format"` entries, in file order. */
  extra_fields: Array<{ name: string; format: string }>
  /** `- field.name` entries: output fields added raw. */
  raw_fields: string[]
  suggested_output: boolean
}

export interface SocketEngine {
  enabled: boolean
  sockets: string[]
}

/** The `container` plugin's init_config, with that plugin's own defaults filled in. */
export interface ContainerConfig {
  /** The plugin is in the effective plugin list (configured, and selected by load_plugins). */
  loaded: boolean
  label_max_len: number
  with_size: boolean
  hooks: string[]
  engine_timeout: number
  engines: {
    docker: SocketEngine
    podman: SocketEngine
    containerd: SocketEngine
    cri: SocketEngine
    lxc: { enabled: boolean }
    libvirt_lxc: { enabled: boolean }
    bpm: { enabled: boolean }
    static: { enabled: boolean; container_id: string; container_name: string; container_image: string }
  }
}

export interface HttpOutputConfig {
  enabled: boolean
  url: string
  user_agent: string
  insecure: boolean
  ca_cert: string
  ca_bundle: string
  ca_path: string
  mtls: boolean
  client_cert: string
  client_key: string
  echo: boolean
  compress_uploads: boolean
  keep_alive: boolean
  max_consecutive_timeouts: number
}

export interface MetricsConfig {
  enabled: boolean
  /** As written (Prometheus duration such as "1h" or "5s"). */
  interval: string
  /** `interval` in milliseconds, 0 when it is not a Prometheus duration (e.g. the bare "5000"). */
  interval_ms: number
  output_rule: boolean
  output_file: string
  rules_counters_enabled: boolean
  resource_utilization_enabled: boolean
  state_counters_enabled: boolean
  kernel_event_counters_enabled: boolean
  kernel_event_counters_per_cpu_enabled: boolean
  libbpf_stats_enabled: boolean
  plugins_metrics_enabled: boolean
  kernel_iter_event_counters_enabled: boolean
  jemalloc_stats_enabled: boolean
  convert_memory_to_mb: boolean
  include_empty_values: boolean
}

export interface SakerConfig {
  config_files: ConfigFileEntry[]
  watch_config_files: boolean

  /**
   * The rules files and directories to load: the configured entries that exist, in order
   * (Falco drops missing ones silently when it reads the configuration). `-r` replaces this.
   */
  rules_files: string[]
  /** Every entry of `rules_files` (or of the deprecated `rules_file`), present or not. */
  rules_files_configured: string[]
  rules: RuleSelection[]

  engine: {
    kind: EngineKind
    kmod: { buf_size_preset: number; drop_failed_exit: boolean }
    modern_ebpf: {
      cpus_for_each_buffer: number
      buf_size_preset: number
      drop_failed_exit: boolean
      disable_iterators: boolean
    }
    replay: { capture_file: string }
  }

  capture: {
    enabled: boolean
    path_prefix: string
    mode: CaptureMode
    /** Milliseconds. */
    default_duration: number
    /** 0 means no limit. */
    max_file_size_mb: number
  }

  /** null when the key is absent (then every configured plugin is loaded). */
  load_plugins: string[] | null
  /** The plugins to load: filtered and ordered by load_plugins when it is set. */
  plugins: PluginConfig[]
  /** Every `plugins` entry. */
  plugins_configured: PluginConfig[]
  plugins_hostinfo: boolean
  container: ContainerConfig

  time_format_iso_8601: boolean
  buffer_format_base64: boolean
  priority: Priority
  json_output: boolean
  json_include_output_property: boolean
  json_include_message_property: boolean
  json_include_output_fields_property: boolean
  json_include_tags_property: boolean
  buffered_outputs: boolean
  rule_matching: RuleMatching
  /** 0 means unbounded. */
  outputs_queue: { capacity: number }
  append_output: AppendOutput[]
  static_fields: Record<string, string>

  stdout_output: { enabled: boolean }
  syslog_output: { enabled: boolean }
  file_output: { enabled: boolean; keep_alive: boolean; filename: string }
  program_output: { enabled: boolean; keep_alive: boolean; program: string }
  http_output: HttpOutputConfig

  webserver: {
    enabled: boolean
    /** Resolved: 0 in the file means one thread per online CPU. */
    threadiness: number
    listen_port: number
    listen_address: string
    k8s_healthz_endpoint: string
    ssl_enabled: boolean
    ssl_certificate: string
    prometheus_metrics_enabled: boolean
  }

  log_stderr: boolean
  log_syslog: boolean
  log_level: LogLevel
  libs_logger: { enabled: boolean; severity: LibsSeverity }

  /** Milliseconds. */
  output_timeout: number
  syscall_event_timeouts: { max_consecutives: number }
  syscall_event_drops: {
    threshold: number
    /** Never empty: no action configured means ["ignore"]. */
    actions: DropAction[]
    rate: number
    max_burst: number
    simulate_drops: boolean
  }
  metrics: MetricsConfig
  base_syscalls: { custom_set: string[]; repair: boolean; all: boolean }
  falco_libs: {
    thread_table_size: number
    thread_table_auto_purging_interval_s: number
    thread_table_auto_purging_thread_timeout_s: number
    snaplen: number
  }

  // Keys older Falco releases read and Falco 0.44 ignores (the schema check warns about them).
  // They are parsed so a Saker feature can honour them; nothing requires it.
  /** Removed in Falco 0.37 (alert rate limiting). */
  outputs: { rate: number; max_burst: number }
  /** Removed in Falco 0.44 (the gRPC server and output). */
  grpc: { enabled: boolean; bind_address: string; threadiness: number }
  grpc_output: { enabled: boolean }
  /** The pre-0.41 container engines block, as data; null when absent. */
  container_engines: Record<string, unknown> | null
}
