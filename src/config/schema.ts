// The JSON schema of saker.yaml / falco.yaml: the keys and types Falco 0.44 accepts
// (userspace/falco/config_json_schema.h), written as data. `saker --config-schema` prints it.
//
// Like Falco, Saker checks each configuration file against it right after reading the file, and
// a violation is a warning ("schema validation: failed for ..."), never a fatal error: a key
// Falco 0.44 no longer knows (grpc, outputs.rate, rules_file...) still loads. See validate.ts for
// the loose typing Falco applies when it checks (any scalar is a string, "true" a boolean too).

const bool = { type: 'boolean' } as const
const str = { type: 'string' } as const
const int = { type: 'integer' } as const
const num = { type: 'number' } as const
const strList = { type: 'array', items: str } as const
const ref = (name: string) => ({ $ref: `#/definitions/${name}` }) as const

/** An object that takes only the listed keys. */
function closed(properties: Record<string, unknown>, extra: Record<string, unknown> = {}) {
  return { type: 'object', additionalProperties: false, properties, ...extra }
}

/** A section of the file: only the listed keys, and at least one of them. */
function section(title: string, properties: Record<string, unknown>) {
  return closed(properties, { minProperties: 1, title })
}

const enabledOnly = closed({ enabled: bool })

export const configSchema = {
  $schema: 'http://json-schema.org/draft-06/schema#',
  $ref: '#/definitions/FalcoConfig',
  definitions: {
    FalcoConfig: closed(
      {
        append_output: { type: 'array', items: ref('AppendOutput') },
        static_fields: { type: 'object' },
        config_files: {
          type: 'array',
          items: {
            oneOf: [
              str,
              {
                type: 'object',
                properties: {
                  path: str,
                  strategy: { type: 'string', enum: ['append', 'override', 'add-only'] },
                },
                required: ['path'],
              },
            ],
          },
        },
        watch_config_files: bool,
        plugins_hostinfo: bool,
        rules_files: strList,
        // Falco's schema spells this one too (the loader itself never reads it).
        rule_files: strList,
        rules: { type: 'array', items: ref('Rule') },
        engine: ref('Engine'),
        capture: ref('Capture'),
        load_plugins: strList,
        plugins: { type: 'array', items: ref('Plugin') },
        time_format_iso_8601: bool,
        buffer_format_base64: bool,
        priority: str,
        json_output: bool,
        json_include_output_property: bool,
        json_include_message_property: bool,
        json_include_output_fields_property: bool,
        json_include_tags_property: bool,
        buffered_outputs: bool,
        rule_matching: str,
        outputs_queue: ref('OutputsQueue'),
        stdout_output: ref('Output'),
        syslog_output: ref('Output'),
        file_output: ref('FileOutput'),
        http_output: ref('HTTPOutput'),
        program_output: ref('ProgramOutput'),
        webserver: ref('Webserver'),
        log_stderr: bool,
        log_syslog: bool,
        log_level: str,
        libs_logger: ref('LibsLogger'),
        output_timeout: int,
        syscall_event_timeouts: ref('SyscallEventTimeouts'),
        syscall_event_drops: ref('SyscallEventDrops'),
        metrics: ref('Metrics'),
        base_syscalls: ref('BaseSyscalls'),
        falco_libs: ref('FalcoLibs'),
        // Accepted by Falco 0.44 but read by nothing: container engines are configured in the
        // `container` plugin's init_config since Falco 0.41.
        container_engines: closed({
          docker: enabledOnly,
          cri: closed({ enabled: bool, sockets: strList, disable_async: bool }),
          podman: enabledOnly,
          lxc: enabledOnly,
          libvirt_lxc: enabledOnly,
          bpm: enabledOnly,
        }),
      },
      { title: 'FalcoConfig' },
    ),
    AppendOutput: closed({
      match: closed({ source: str, tags: strList, rule: str }),
      extra_output: str,
      extra_fields: {
        type: 'array',
        items: { anyOf: [{ type: 'object', additionalProperties: str }, str] },
      },
      suggested_output: bool,
    }),
    Capture: closed(
      {
        enabled: bool,
        path_prefix: str,
        mode: { type: 'string', enum: ['rules', 'all_rules'] },
        default_duration: { type: 'integer', minimum: 0 },
        max_file_size_mb: { type: 'integer', minimum: 0, maximum: 1048576 },
      },
      { title: 'Capture' },
    ),
    BaseSyscalls: section('BaseSyscalls', { all: bool, custom_set: strList, repair: bool }),
    Engine: closed(
      { kind: str, kmod: ref('Kmod'), modern_ebpf: ref('ModernEbpf'), replay: ref('Replay') },
      { required: ['kind'], title: 'Engine' },
    ),
    Kmod: section('Kmod', { buf_size_preset: int, drop_failed_exit: bool }),
    ModernEbpf: closed(
      { cpus_for_each_buffer: int, buf_size_preset: int, drop_failed_exit: bool, disable_iterators: bool },
      { title: 'ModernEbpf' },
    ),
    Replay: closed({ capture_file: str }, { required: ['capture_file'], title: 'Replay' }),
    FalcoLibs: section('FalcoLibs', {
      thread_table_size: int,
      thread_table_auto_purging_interval_s: int,
      thread_table_auto_purging_thread_timeout_s: int,
      snaplen: int,
    }),
    FileOutput: section('FileOutput', { enabled: bool, keep_alive: bool, filename: str }),
    Output: section('Output', { enabled: bool }),
    HTTPOutput: section('HTTPOutput', {
      enabled: bool,
      // Falco declares the uri format but its validator does not check formats; neither do we.
      url: { type: 'string', format: 'uri' },
      user_agent: str,
      insecure: bool,
      ca_cert: str,
      ca_bundle: str,
      ca_path: str,
      mtls: bool,
      client_cert: str,
      client_key: str,
      echo: bool,
      compress_uploads: bool,
      keep_alive: bool,
      max_consecutive_timeouts: int,
    }),
    LibsLogger: section('LibsLogger', { enabled: bool, severity: str }),
    Metrics: section('Metrics', {
      enabled: bool,
      interval: str,
      output_rule: bool,
      output_file: str,
      rules_counters_enabled: bool,
      resource_utilization_enabled: bool,
      state_counters_enabled: bool,
      kernel_event_counters_enabled: bool,
      kernel_event_counters_per_cpu_enabled: bool,
      libbpf_stats_enabled: bool,
      plugins_metrics_enabled: bool,
      kernel_iter_event_counters_enabled: bool,
      convert_memory_to_mb: bool,
      include_empty_values: bool,
      jemalloc_stats_enabled: bool,
    }),
    OutputsQueue: section('OutputsQueue', { capacity: int }),
    Plugin: closed(
      {
        name: str,
        library_path: str,
        init_config: { anyOf: [{ type: 'object' }, str, { type: 'null' }] },
        open_params: str,
      },
      { required: ['library_path', 'name'], title: 'Plugin' },
    ),
    ProgramOutput: closed(
      { enabled: bool, keep_alive: bool, program: str },
      { required: ['program'], title: 'ProgramOutput' },
    ),
    Rule: section('Rule', { disable: ref('Able'), enable: ref('Able') }),
    Able: section('Able', { rule: str, tag: str }),
    SyscallEventDrops: section('SyscallEventDrops', {
      threshold: num,
      actions: strList,
      rate: num,
      max_burst: int,
      simulate_drops: bool,
    }),
    SyscallEventTimeouts: section('SyscallEventTimeouts', { max_consecutives: int }),
    Webserver: section('Webserver', {
      enabled: bool,
      threadiness: int,
      listen_port: int,
      listen_address: str,
      k8s_healthz_endpoint: str,
      prometheus_metrics_enabled: bool,
      ssl_enabled: bool,
      ssl_certificate: str,
    }),
  },
} as const

/** The top-level keys the schema accepts. */
export const CONFIG_KEYS: readonly string[] = Object.keys(
  configSchema.definitions.FalcoConfig.properties,
)
