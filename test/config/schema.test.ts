import { test } from 'node:test'
import assert from 'node:assert/strict'
import { join } from 'node:path'
import { loadConfig } from '../../src/config/load.js'
import { CONFIG_KEYS, configSchema } from '../../src/config/schema.js'
import { parseYaml } from '../../src/config/parse.js'
import { validateNode } from '../../src/config/validate.js'
import { load, REPO_ROOT } from './helper.js'

const status = (yaml: string): string => validateNode(parseYaml(yaml))

// Every top-level key Falco 0.44 accepts, each with a value of the documented shape.
const EVERY_KEY = `
config_files:
  - /nonexistent/config.d
  - path: /nonexistent/other.yaml
watch_config_files: true
rules_files:
  - /nonexistent/falco_rules.yaml
rule_files: []
rules:
  - disable:
      rule: "*"
  - enable:
      tag: network
engine:
  kind: modern_ebpf
  kmod:
    buf_size_preset: 4
    drop_failed_exit: false
  modern_ebpf:
    cpus_for_each_buffer: 2
    buf_size_preset: 4
    drop_failed_exit: false
    disable_iterators: false
  replay:
    capture_file: ""
capture:
  enabled: false
  path_prefix: /tmp/falco
  mode: rules
  default_duration: 5000
  max_file_size_mb: 100
load_plugins: [container]
plugins:
  - name: container
    library_path: libcontainer.so
    init_config:
      label_max_len: 100
      with_size: false
      engines:
        docker:
          enabled: true
          sockets: [/run/docker.sock]
        lxc:
          enabled: false
  - name: k8saudit
    library_path: libk8saudit.so
    init_config: ""
    open_params: "http://:9765/k8s-audit"
plugins_hostinfo: true
time_format_iso_8601: false
buffer_format_base64: false
priority: debug
json_output: false
json_include_output_property: true
json_include_message_property: false
json_include_output_fields_property: true
json_include_tags_property: true
buffered_outputs: false
rule_matching: first
outputs_queue:
  capacity: 0
append_output:
  - suggested_output: true
  - match:
      source: syscall
      tags: [network]
    extra_output: "on CPU %evt.cpu"
    extra_fields:
      - home_directory: "/root"
      - evt.hostname
static_fields:
  foo: bar
stdout_output:
  enabled: true
syslog_output:
  enabled: true
file_output:
  enabled: false
  keep_alive: false
  filename: ./events.txt
http_output:
  enabled: false
  url: ""
  user_agent: "falcosecurity/falco"
  insecure: false
  ca_cert: ""
  ca_bundle: ""
  ca_path: "/etc/ssl/certs"
  mtls: false
  client_cert: "/etc/ssl/certs/client.crt"
  client_key: "/etc/ssl/certs/client.key"
  echo: false
  compress_uploads: false
  keep_alive: false
  max_consecutive_timeouts: 5
program_output:
  enabled: false
  keep_alive: false
  program: "jq '{text: .output}'"
webserver:
  enabled: true
  threadiness: 0
  listen_port: 8765
  listen_address: 0.0.0.0
  k8s_healthz_endpoint: /healthz
  prometheus_metrics_enabled: false
  ssl_enabled: false
  ssl_certificate: /etc/falco/falco.pem
log_stderr: true
log_syslog: true
log_level: info
libs_logger:
  enabled: true
  severity: info
output_timeout: 2000
syscall_event_timeouts:
  max_consecutives: 1000
syscall_event_drops:
  threshold: .1
  actions:
    - log
    - alert
  rate: .03333
  max_burst: 1
  simulate_drops: false
metrics:
  enabled: false
  interval: 1h
  output_rule: true
  output_file: ""
  rules_counters_enabled: true
  resource_utilization_enabled: true
  state_counters_enabled: true
  kernel_event_counters_enabled: true
  kernel_event_counters_per_cpu_enabled: false
  libbpf_stats_enabled: true
  plugins_metrics_enabled: true
  kernel_iter_event_counters_enabled: true
  jemalloc_stats_enabled: false
  convert_memory_to_mb: true
  include_empty_values: false
base_syscalls:
  custom_set: [mprotect, "!write"]
  repair: false
  all: false
falco_libs:
  thread_table_size: 262144
  thread_table_auto_purging_interval_s: 300
  thread_table_auto_purging_thread_timeout_s: 300
  snaplen: 80
container_engines:
  docker:
    enabled: true
  cri:
    enabled: true
    sockets: [/run/containerd/containerd.sock]
    disable_async: false
  podman:
    enabled: false
  lxc:
    enabled: false
  libvirt_lxc:
    enabled: false
  bpm:
    enabled: false
`

test('the schema lists exactly the top-level keys of Falco 0.44', () => {
  assert.deepEqual([...CONFIG_KEYS].sort(), [
    'append_output', 'base_syscalls', 'buffer_format_base64', 'buffered_outputs', 'capture', 'config_files',
    'container_engines', 'engine', 'falco_libs', 'file_output', 'http_output', 'json_include_message_property',
    'json_include_output_fields_property', 'json_include_output_property', 'json_include_tags_property', 'json_output',
    'libs_logger', 'load_plugins', 'log_level', 'log_stderr', 'log_syslog', 'metrics', 'output_timeout', 'outputs_queue',
    'plugins', 'plugins_hostinfo', 'priority', 'program_output', 'rule_files', 'rule_matching', 'rules', 'rules_files',
    'static_fields', 'stdout_output', 'syscall_event_drops', 'syscall_event_timeouts', 'syslog_output',
    'time_format_iso_8601', 'watch_config_files', 'webserver',
  ])
})

test('a configuration using every top-level key passes the schema and loads', () => {
  const doc = parseYaml(EVERY_KEY)
  assert.deepEqual([...doc.entries.keys()].sort(), [...CONFIG_KEYS].sort())
  const r = load(EVERY_KEY)
  assert.deepEqual(r.validation, [{ file: 'default', status: 'ok' }])
  const c = r.config
  assert.equal(c.engine.kind, 'modern_ebpf')
  assert.deepEqual(c.rules, [
    { op: 'disable', rule: '*', tag: null },
    { op: 'enable', rule: null, tag: 'network' },
  ])
  assert.deepEqual(c.plugins.map(p => p.name), ['container'])
  assert.equal(c.plugins_configured.length, 2)
  assert.equal(c.container.loaded, true)
  assert.deepEqual(c.container.engines.docker, { enabled: true, sockets: ['/run/docker.sock'] })
  assert.deepEqual(c.container.engines.cri.sockets.length, 4)
  assert.equal(c.container.engines.lxc.enabled, false)
  assert.deepEqual(c.append_output[1], {
    match: { source: 'syscall', tags: ['network'], rule: null },
    extra_output: 'on CPU %evt.cpu',
    extra_fields: [{ name: 'home_directory', format: '/root' }],
    raw_fields: ['evt.hostname'],
    suggested_output: false,
  })
  assert.deepEqual(c.static_fields, { foo: 'bar' })
  assert.deepEqual(c.base_syscalls.custom_set, ['mprotect', '!write'])
  assert.equal(c.metrics.interval_ms, 3600000)
  assert.equal(c.falco_libs.snaplen, 80)
  assert.equal(c.capture.max_file_size_mb, 100)
  assert.deepEqual(c.container_engines?.cri, { enabled: true, sockets: ['/run/containerd/containerd.sock'], disable_async: false })
})

test('Saker\'s own saker.yaml passes the schema and sets what it says', () => {
  const file = join(REPO_ROOT, 'config/saker.yaml')
  const r = loadConfig({ file, overrides: [], env: {} })
  assert.deepEqual(r.warnings, [])
  assert.deepEqual(r.validation, [{ file, status: 'ok' }])
  assert.equal(r.config.engine.kind, 'modern_ebpf')
  assert.equal(r.config.stdout_output.enabled, true)
  assert.deepEqual(r.config.rules_files_configured, ['rules/saker_rules.yaml', '/etc/saker/rules.d'])
  assert.deepEqual(r.config.config_files, [{ path: '/etc/saker/config.d', strategy: 'append' }])
})

test('unknown keys are reported with their place, at any depth', () => {
  assert.equal(status('falco_libss:\n  thread_table_size: 50\n'), "failed for <root>: unknown key 'falco_libss'")
  assert.equal(
    status('falco_libs:\n  thread_table_sizeee: 50\n'),
    "failed for <root>[falco_libs]: unknown key 'thread_table_sizeee'",
  )
  assert.equal(
    status('plugins:\n  - name: a\n    library_path: b\n    extra: c\n'),
    "failed for <root>[plugins][0]: unknown key 'extra'",
  )
})

test('schema violations are warnings: the configuration still loads', () => {
  const r = load('falco_libss:\n  thread_table_size: 50\njson_output: true\n')
  assert.equal(r.config.json_output, true)
  assert.deepEqual(r.warnings, ["default | schema validation: failed for <root>: unknown key 'falco_libss'"])
})

test('types are checked loosely, as Falco\'s validator does', () => {
  assert.equal(status('json_output: "true"\n'), 'ok')
  assert.equal(status('output_timeout: "2000"\n'), 'ok')
  assert.equal(status('syscall_event_drops:\n  rate: 1e-2\n'), 'ok')
  // Any scalar is a string; a list or a null value is not.
  assert.equal(status('priority: 42\n'), 'ok')
  assert.equal(status('priority: [a, b]\n'), "failed for <root>[priority]: value is not of type 'string'")
  assert.equal(status('priority:\n'), "failed for <root>[priority]: value is not of type 'string'")
  // Only the exact words true and false are booleans for the validator (the loader takes more).
  assert.equal(status('json_output: yes\n'), "failed for <root>[json_output]: value is not of type 'boolean'")
  assert.equal(status('output_timeout: 1.5\n'), "failed for <root>[output_timeout]: value is not of type 'integer'")
  assert.equal(status('falco_libs: 512\n'), "failed for <root>[falco_libs]: value is not of type 'object'")
})

test('required keys, minimum sizes, enums and bounds are enforced', () => {
  assert.equal(status('program_output:\n  enabled: false\n'), "failed for <root>[program_output]: missing required key 'program'")
  assert.equal(status('engine:\n  modern_ebpf: {}\n'), "failed for <root>[engine]: missing required key 'kind'")
  assert.equal(status('base_syscalls: {}\n'), 'failed for <root>[base_syscalls]: expected at least 1 key(s)')
  assert.equal(status('capture:\n  mode: some\n'), 'failed for <root>[capture][mode]: value must be one of: rules, all_rules')
  assert.equal(status('capture:\n  max_file_size_mb: 2000000\n'), 'failed for <root>[capture][max_file_size_mb]: value must be <= 1048576')
  assert.equal(status('capture:\n  default_duration: -1\n'), 'failed for <root>[capture][default_duration]: value must be >= 0')
})

test('plugin init_config may be a map, a string or null', () => {
  for (const v of ['\n      a: 1', ' ""', ' null', " '{\"a\": 1}'"]) {
    assert.equal(status(`plugins:\n  - name: k\n    library_path: l\n    init_config:${v}\n`), 'ok')
  }
})

test('config_files entries are paths or path/strategy maps with a known strategy', () => {
  assert.equal(status('config_files:\n  - /x\n  - path: /y\n    strategy: add-only\n'), 'ok')
  assert.equal(
    status('config_files:\n  - path: /x\n    strategy: wrong\n'),
    'failed for <root>[config_files][0]: value must match exactly one of the accepted forms',
  )
  assert.equal(
    status('config_files:\n  - strategy: append\n'),
    'failed for <root>[config_files][0]: value must match exactly one of the accepted forms',
  )
})

test('an empty file fails the check but loads with the defaults', () => {
  assert.equal(status(''), "failed for <root>: value is not of type 'object'")
  assert.equal(load('').config.log_level, 'info')
})

test('the printed schema is plain JSON in draft 6 form', () => {
  const text = JSON.stringify(configSchema, null, 2)
  const back = JSON.parse(text) as Record<string, unknown>
  assert.equal(back.$schema, 'http://json-schema.org/draft-06/schema#')
  assert.equal(back.$ref, '#/definitions/FalcoConfig')
  assert.ok(Object.keys(back.definitions as object).includes('Webserver'))
})
