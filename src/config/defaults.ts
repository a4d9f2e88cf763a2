// Falco 0.44's built-in defaults: the value a key takes when no configuration file sets it
// (userspace/falco/configuration.cpp). They differ from the values falco.yaml ships with in a few
// places worth knowing: engine.kind is kmod, stdout/syslog/file/program/http outputs are off,
// log_stderr is off and log_syslog on, metrics.interval is the bare "5000".

/** Where a relative plugin `library_path` is looked up (Falco's FALCO_ENGINE_PLUGINS_DIR). */
export const DEFAULT_PLUGINS_DIR = '/usr/share/falco/plugins/'

/** The name Falco gives the configuration in its messages when no file was read. */
export const DEFAULT_CONFIG_NAME = 'default'

export const DEFAULTS = {
  watch_config_files: true,
  engine: {
    kind: 'kmod',
    buf_size_preset: 4,
    cpus_for_each_buffer: 2,
    drop_failed_exit: false,
    disable_iterators: false,
    capture_file: '',
  },
  json_output: false,
  json_include_output_property: true,
  json_include_tags_property: true,
  json_include_message_property: false,
  json_include_output_fields_property: true,
  file_output: { enabled: false, filename: '', keep_alive: '' },
  stdout_output: { enabled: false },
  syslog_output: { enabled: false },
  program_output: { enabled: false, program: '', keep_alive: '' },
  http_output: {
    enabled: false,
    url: '',
    user_agent: 'falcosecurity/falco',
    insecure: false,
    ca_cert: '',
    ca_bundle: '',
    ca_path: '/etc/ssl/certs',
    mtls: false,
    client_cert: '/etc/ssl/certs/client.crt',
    client_key: '/etc/ssl/certs/client.key',
    echo: false,
    compress_uploads: false,
    keep_alive: false,
    max_consecutive_timeouts: 5,
  },
  output_timeout: 2000,
  rule_matching: 'first',
  priority: 'debug',
  buffered_outputs: false,
  outputs_queue_capacity: 0,
  time_format_iso_8601: false,
  buffer_format_base64: false,
  webserver: {
    enabled: false,
    threadiness: 0,
    listen_port: 8765,
    listen_address: '0.0.0.0',
    k8s_healthz_endpoint: '/healthz',
    ssl_enabled: false,
    ssl_certificate: '/etc/falco/falco.pem',
    prometheus_metrics_enabled: false,
  },
  syscall_event_drops: { threshold: 0.1, rate: 0.03333, max_burst: 1, simulate_drops: false },
  syscall_event_timeouts: { max_consecutives: 1000 },
  falco_libs: {
    thread_table_size: 262144,
    thread_table_auto_purging_interval_s: 300,
    thread_table_auto_purging_thread_timeout_s: 300,
    snaplen: 0,
  },
  base_syscalls: { repair: false, all: false },
  metrics: {
    enabled: false,
    interval: '5000',
    output_rule: false,
    output_file: '',
    rules_counters_enabled: true,
    resource_utilization_enabled: true,
    state_counters_enabled: true,
    kernel_event_counters_enabled: true,
    kernel_event_counters_per_cpu_enabled: true,
    libbpf_stats_enabled: true,
    plugins_metrics_enabled: true,
    kernel_iter_event_counters_enabled: true,
    jemalloc_stats_enabled: true,
    convert_memory_to_mb: true,
    include_empty_values: false,
  },
  capture: { enabled: false, path_prefix: '/tmp/falco', mode: 'rules', default_duration: 5000, max_file_size_mb: 0 },
  plugins_hostinfo: true,
  log_level: 'info',
  libs_logger: { enabled: true, severity: 'info' },
  log_stderr: false,
  log_syslog: true,
  // Keys removed from Falco; the defaults of the last release that read them.
  outputs: { rate: 0, max_burst: 1000 },
  grpc: { enabled: false, bind_address: '0.0.0.0:5060', threadiness: 0 },
  grpc_output: { enabled: false },
} as const

/** The `container` plugin's own defaults (falcosecurity/plugins plugins/container). */
export const CONTAINER_PLUGIN_DEFAULTS = {
  label_max_len: 100,
  with_size: false,
  hooks: ['create'],
  engine_timeout: 10,
  sockets: {
    docker: ['/var/run/docker.sock'],
    podman: ['/run/podman/podman.sock'],
    containerd: ['/run/host-containerd/containerd.sock'],
    cri: [
      '/run/containerd/containerd.sock',
      '/run/crio/crio.sock',
      '/run/k3s/containerd/containerd.sock',
      '/run/host-containerd/containerd.sock',
    ],
  },
} as const
