import { test } from 'node:test'
import assert from 'node:assert/strict'
import { availableParallelism } from 'node:os'
import { loadConfig } from '../../src/config/load.js'
import { expandRulesPaths } from '../../src/config/rules-paths.js'
import { parsePrometheusInterval } from '../../src/config/build.js'
import { load, tempTree } from './helper.js'

test('without a configuration file every key takes Falco\'s built-in default', () => {
  const r = loadConfig({ file: undefined, overrides: [], env: {} })
  const c = r.config
  assert.deepEqual(r.warnings, [])
  assert.deepEqual(r.filesLoaded, [])
  assert.equal(c.engine.kind, 'kmod')
  assert.deepEqual(c.engine.kmod, { buf_size_preset: 4, drop_failed_exit: false })
  assert.deepEqual(c.engine.modern_ebpf, { cpus_for_each_buffer: 2, buf_size_preset: 4, drop_failed_exit: false, disable_iterators: false })
  assert.deepEqual(c.rules_files, [])
  assert.deepEqual(c.rules, [])
  assert.equal(c.load_plugins, null)
  assert.deepEqual(c.plugins, [])
  assert.equal(c.container.loaded, false)
  assert.equal(c.priority, 'debug')
  assert.equal(c.rule_matching, 'first')
  assert.equal(c.json_output, false)
  assert.equal(c.json_include_output_property, true)
  assert.equal(c.json_include_tags_property, true)
  assert.equal(c.json_include_message_property, false)
  assert.equal(c.json_include_output_fields_property, true)
  assert.deepEqual(c.stdout_output, { enabled: false })
  assert.deepEqual(c.syslog_output, { enabled: false })
  assert.deepEqual(c.file_output, { enabled: false, keep_alive: false, filename: '' })
  assert.deepEqual(c.program_output, { enabled: false, keep_alive: false, program: '' })
  assert.equal(c.http_output.user_agent, 'falcosecurity/falco')
  assert.equal(c.http_output.max_consecutive_timeouts, 5)
  assert.deepEqual(c.webserver, {
    enabled: false,
    threadiness: availableParallelism(),
    listen_port: 8765,
    listen_address: '0.0.0.0',
    k8s_healthz_endpoint: '/healthz',
    ssl_enabled: false,
    ssl_certificate: '/etc/falco/falco.pem',
    prometheus_metrics_enabled: false,
  })
  assert.equal(c.log_stderr, false)
  assert.equal(c.log_syslog, true)
  assert.equal(c.log_level, 'info')
  assert.deepEqual(c.libs_logger, { enabled: true, severity: 'info' })
  assert.equal(c.output_timeout, 2000)
  assert.equal(c.outputs_queue.capacity, 0)
  assert.deepEqual(c.syscall_event_drops, { threshold: 0.1, actions: ['ignore'], rate: 0.03333, max_burst: 1, simulate_drops: false })
  assert.deepEqual(c.syscall_event_timeouts, { max_consecutives: 1000 })
  assert.deepEqual(c.falco_libs, {
    thread_table_size: 262144,
    thread_table_auto_purging_interval_s: 300,
    thread_table_auto_purging_thread_timeout_s: 300,
    snaplen: 0,
  })
  assert.deepEqual(c.base_syscalls, { custom_set: [], repair: false, all: false })
  assert.equal(c.metrics.enabled, false)
  assert.equal(c.metrics.interval, '5000')
  assert.equal(c.metrics.interval_ms, 0)
  assert.equal(c.metrics.kernel_event_counters_per_cpu_enabled, true)
  assert.equal(c.metrics.include_empty_values, false)
  assert.deepEqual(c.capture, { enabled: false, path_prefix: '/tmp/falco', mode: 'rules', default_duration: 5000, max_file_size_mb: 0 })
  assert.equal(c.watch_config_files, true)
  assert.equal(c.plugins_hostinfo, true)
  assert.deepEqual(c.outputs, { rate: 0, max_burst: 1000 })
  assert.equal(c.container_engines, null)
})

test('keep_alive of file and program outputs is on only for the exact text "true"', () => {
  assert.equal(load('file_output:\n  keep_alive: true\n').config.file_output.keep_alive, true)
  assert.equal(load('file_output:\n  keep_alive: True\n').config.file_output.keep_alive, false)
  assert.equal(load('program_output:\n  keep_alive: yes\n  program: cat\n').config.program_output.keep_alive, false)
  // http_output.keep_alive is a real boolean
  assert.equal(load('http_output:\n  keep_alive: yes\n').config.http_output.keep_alive, true)
})

test('rules files that do not exist are dropped, the others keep their order', () => {
  const t = tempTree({ 'b.yaml': '', 'a.yaml': '' })
  try {
    const r = load('', [
      `rules_files[]=${t.path('b.yaml')}`,
      'rules_files[]=/nonexistent/x.yaml',
      `rules_files[]=${t.path('a.yaml')}`,
    ])
    assert.deepEqual(r.config.rules_files, [t.path('b.yaml'), t.path('a.yaml')])
    assert.equal(r.config.rules_files_configured.length, 3)
  } finally {
    t.cleanup()
  }
})

test('the deprecated rules_file key still works, with a warning', () => {
  const r = load('rules_file: /etc/falco_rules.yaml\n')
  assert.deepEqual(r.config.rules_files_configured, ['/etc/falco_rules.yaml'])
  assert.ok(r.warnings.includes(
    "Using deprecated config key 'rules_file' (singular form). Please use new 'rules_files' config key (plural form).",
  ))
})

test('load_plugins selects and orders the plugins; without it all configured plugins load', () => {
  const plugins = 'plugins:\n  - name: a\n    library_path: /a.so\n  - name: b\n    library_path: /b.so\n    open_params: "  x  "\n'
  assert.deepEqual(load(plugins).config.plugins.map(p => p.name), ['a', 'b'])
  assert.deepEqual(load(plugins + 'load_plugins: [b, a]\n').config.plugins.map(p => p.name), ['b', 'a'])
  assert.deepEqual(load(plugins + 'load_plugins: []\n').config.plugins, [])
  assert.equal(load(plugins).config.plugins[1]!.open_params, 'x')
})

test('a plugin\'s init_config map becomes sorted JSON text, a string stays as written', () => {
  const c = load('plugins:\n  - name: k\n    library_path: l.so\n    init_config:\n      sslCertificate: /etc/falco/falco.pem\n      maxEventSize: 262144\n').config
  assert.equal(c.plugins[0]!.init_config_text, '{"maxEventSize":262144,"sslCertificate":"/etc/falco/falco.pem"}')
  assert.deepEqual(c.plugins[0]!.init_config, { maxEventSize: 262144, sslCertificate: '/etc/falco/falco.pem' })
  const s = load(`plugins:\n  - name: k\n    library_path: l.so\n    init_config: '{"a": 1}'\n`).config
  assert.equal(s.plugins[0]!.init_config, '{"a": 1}')
})

test('append_output warns when an entry names both a rule and tags, in Falco\'s words', () => {
  const r = load('append_output:\n  - match:\n      rule: R\n      tags: [t2, t1]\n    extra_output: x\n')
  assert.ok(r.warnings.includes(
    'An append_ouptut entry specifies both a rule (R) and a list of tags (t1, t2,). This means that output will be ' +
      'appended only to the R rule and only if it has all the tags: t1, t2,.',
  ))
})

test('Prometheus intervals convert to milliseconds; a bare number is not one', () => {
  assert.equal(parsePrometheusInterval('1h'), 3600000)
  assert.equal(parsePrometheusInterval('1m30s'), 90000)
  assert.equal(parsePrometheusInterval('100ms'), 100)
  assert.equal(parsePrometheusInterval(' 2d '), 172800000)
  assert.equal(parsePrometheusInterval('5000'), 0)
  assert.equal(parsePrometheusInterval('5 minutes'), 0)
})

test('rules directories expand to their YAML files in name order', () => {
  const t = tempTree({ 'rules.d/b.yaml': '', 'rules.d/a.yml': '', 'rules.d/c.txt': '', 'rules.d/sub/d.yaml': '', 'x.yaml': '' })
  try {
    const r = expandRulesPaths([t.path('x.yaml'), t.path('rules.d'), t.path('notes.txt')])
    assert.deepEqual(r.files, [t.path('x.yaml'), t.path('rules.d/a.yml'), t.path('rules.d/b.yaml')])
    assert.deepEqual(r.folders, [t.path('rules.d')])
  } finally {
    t.cleanup()
  }
})
