import { test } from 'node:test'
import assert from 'node:assert/strict'
import { loadConfig, loadConfigText } from '../../src/config/load.js'
import { tempTree, throwsConfig, load } from './helper.js'

const D = 'Error reading config file (default): '

test('a missing configuration file is reported with Falco\'s message', () => {
  throwsConfig(
    () => loadConfig({ file: '/nonexistent/saker.yaml', overrides: [] }),
    'Could not find configuration file at /nonexistent/saker.yaml',
  )
})

test('a configuration file that is not valid YAML names the file and the position', () => {
  const t = tempTree({ 'bad.yaml': 'a: [1, 2\nb: 3\n' })
  try {
    assert.throws(
      () => loadConfig({ file: t.path('bad.yaml'), overrides: [] }),
      (e: Error) => e.message.startsWith(`Cannot read config file (${t.path('bad.yaml')}): yaml-cpp: error at line `),
    )
  } finally {
    t.cleanup()
  }
})

test('errors name the main file when there is one', () => {
  const t = tempTree({ 'c.yaml': 'engine:\n  kind: gvisor\n' })
  try {
    throwsConfig(
      () => loadConfig({ file: t.path('c.yaml'), overrides: [] }),
      `Error reading config file (${t.path('c.yaml')}): engine.kind 'gvisor' is not a valid kind.`,
    )
  } finally {
    t.cleanup()
  }
})

test('engine kinds Falco 0.44 removed are rejected like any unknown kind', () => {
  throwsConfig(() => load('', ['engine.kind=ebpf']), `${D}engine.kind 'ebpf' is not a valid kind.`)
  throwsConfig(() => load('engine:\n  kind:\n'), `${D}engine.kind 'null' is not a valid kind.`)
})

test('the replay engine needs a capture file', () => {
  throwsConfig(
    () => load('', ['engine.kind=replay']),
    `${D}engine.kind is 'replay' but no engine.replay.capture_file specified.`,
  )
  assert.equal(load('', ['engine.kind=replay', 'engine.replay.capture_file=/x.scap']).config.engine.replay.capture_file, '/x.scap')
})

test('rules_files and the deprecated rules_file cannot both be set', () => {
  throwsConfig(() => load('rules_files: [a.yaml]\nrules_file: b.yaml\n'), `${D}both 'rules_files' and 'rules_file' keys set`)
})

test('an enabled output channel needs its destination', () => {
  throwsConfig(() => load('', ['file_output.enabled=true']), `${D}file output enabled but no filename in configuration block`)
  throwsConfig(() => load('', ['program_output.enabled=true']), `${D}program output enabled but no program in configuration block`)
  throwsConfig(() => load('', ['http_output.enabled=true']), `${D}http output enabled but no url in configuration block`)
})

test('rule_matching accepts first or all in any case and rejects anything else', () => {
  assert.equal(load('rule_matching: ALL\n').config.rule_matching, 'all')
  throwsConfig(() => load('rule_matching: test\n'), 'Unknown rule matching strategy "test"--must be one of first, all')
})

test('priority accepts Falco\'s names in any case, info included', () => {
  assert.equal(load('priority: Info\n').config.priority, 'informational')
  assert.equal(load('priority: WARNING\n').config.priority, 'warning')
  throwsConfig(
    () => load('priority: verbose\n'),
    'Unknown priority "verbose"--must be one of emergency, alert, critical, error, warning, notice, informational, debug',
  )
})

test('log levels and libs logger severities are checked', () => {
  throwsConfig(() => load('log_level: verbose\n'), 'Unknown log level verbose')
  throwsConfig(() => load('libs_logger:\n  severity: loud\n'), 'Unknown sinsp log severity loud')
  assert.equal(load('libs_logger:\n  enabled: false\n  severity: loud\n').config.libs_logger.enabled, false)
})

test('the webserver address must be an IP address (Falco\'s own lists)', () => {
  const valid = ['127.0.0.1', '1.127.0.1', '1.1.127.1', '1.1.1.127', '::', '::1',
    '1200:0000:AB00:1234:0000:2552:7777:1313', '1200::AB00:1234:0000:2552:7777:1313',
    '1200:0000:AB00:1234::2552:7777:1313', '21DA:D3:0:2F3B:2AA:FF:FE28:9C5A',
    'FE80:0000:0000:0000:0202:B3FF:FE1E:8329', '0.0.0.0', '9.255.255.255', '11.0.0.0', '126.255.255.255',
    '129.0.0.0', '169.253.255.255', '169.255.0.0', '172.15.255.255', '172.32.0.0', '191.0.1.255',
    '192.88.98.255', '192.88.100.0', '192.167.255.255', '192.169.0.0', '198.17.255.255', '223.255.255.255']
  for (const a of valid) assert.equal(load('', [`webserver.listen_address=${a}`]).config.webserver.listen_address, a)
  const invalid = ['327.0.0.1', '1.327.0.1', '1.1.327.1', '1.1.1.327', '12 7.0.0.1', '127. 0.0.1', '127.0. 0.1',
    '127.0.0. 1', '!27.0.0.1', '1200: 0000:AB00:1234:0000:2552:7777:1313', '1200:0000: AB00:1234:0000:2552:7777:1313',
    '1200:0000:AB00:1234:0000:2552:7777: 1313', '1200:0000:AB00:1234:0000:2552:7777:131G',
    '1200:0000:AB00:1234:0000:2G52:7777:1313', '12O0:0000:AB00:1234:0000:2552:7777:1313']
  for (const a of invalid) {
    throwsConfig(
      () => load('', [`webserver.listen_address=${a}`]),
      `${D}webserver listen address "${a}" is not a valid IP address`,
    )
  }
})

test('syscall event drop actions: "log" and "alert" make no sense after "ignore"', () => {
  throwsConfig(
    () => load('syscall_event_drops:\n  actions: [ignore, log]\n'),
    `${D}syscall event drop action "log" does not make sense with the "ignore" action`,
  )
  throwsConfig(
    () => load('syscall_event_drops:\n  actions: [ignore, alert]\n'),
    `${D}syscall event drop action "alert" does not make sense with the "ignore" action`,
  )
  // Only the order ignore-then-log is refused, exactly as in Falco.
  assert.deepEqual(load('syscall_event_drops:\n  actions: [log, ignore, exit]\n').config.syscall_event_drops.actions, ['log', 'ignore', 'exit'])
  throwsConfig(
    () => load('syscall_event_drops:\n  actions: [shout]\n'),
    `${D}available actions for syscall event drops are "ignore", "log", "alert", and "exit"`,
  )
})

test('no drop action means ignore', () => {
  assert.deepEqual(load('').config.syscall_event_drops.actions, ['ignore'])
  assert.deepEqual(load('syscall_event_drops:\n  actions: []\n').config.syscall_event_drops.actions, ['ignore'])
})

test('the drop threshold must lie in [0, 1]', () => {
  for (const v of ['-1', '1.1']) {
    throwsConfig(
      () => load(`syscall_event_drops:\n  threshold: ${v}\n`),
      `${D}syscall event drops threshold must be a double in the range [0, 1]`,
    )
  }
  assert.equal(load('syscall_event_drops:\n  threshold: 0\n').config.syscall_event_drops.threshold, 0)
  assert.equal(load('syscall_event_drops:\n  threshold: 1\n').config.syscall_event_drops.threshold, 1)
})

test('zero consecutive timeouts is refused with Falco\'s text, missing space included', () => {
  throwsConfig(
    () => load('syscall_event_timeouts:\n  max_consecutives: 0\n'),
    'Error reading config file(default): the maximum consecutive timeouts without an event must be an unsigned integer > 0',
  )
})

test('the capture mode must be rules or all_rules', () => {
  throwsConfig(() => load('capture:\n  mode: some\n'), `${D}capture.mode 'some' is not a valid mode.`)
})

test('load_plugins may only name configured plugins', () => {
  throwsConfig(
    () => load('load_plugins: [k8saudit]\nplugins:\n  - name: json\n    library_path: libjson.so\n'),
    "Cannot load plugin 'k8saudit': plugin config not found for given name",
  )
})

test('a relative plugin library path may not leave the plugins directory', () => {
  for (const p of ['../../tmp/evil.so', './../../tmp/evil.so', 'subdir/../../../tmp/evil.so']) {
    assert.throws(
      () => load(`plugins:\n  - name: evil\n    library_path: ${p}\n`),
      (e: Error) =>
        e.message ===
        `Error reading config file(default): could not load plugins config: yaml-cpp: error at line 3, column 19: plugin library_path '${p}' resolves outside the plugins directory (/usr/share/falco/plugins/)`,
    )
  }
})

test('a plugin entry without a name or library path is a bad conversion', () => {
  throwsConfig(
    () => load('plugins:\n  - name: json\n'),
    'Error reading config file(default): could not load plugins config: yaml-cpp: error at line 2, column 5: bad conversion',
  )
})

test('a rules entry that is not an enable/disable selector is a bad conversion', () => {
  throwsConfig(() => load('rules:\n  - rules/x.yaml\n'), 'yaml-cpp: error at line 2, column 5: bad conversion')
  throwsConfig(() => load('rules:\n  - enable:\n      rule: ""\n'), 'yaml-cpp: error at line 2, column 5: bad conversion')
})

test('a section written as a scalar fails when one of its keys is read', () => {
  throwsConfig(
    () => load('falco_libs: 512\n'),
    'Config error at key "falco_libs.thread_table_size": yaml-cpp: error at line 1, column 13: operator[] call on a scalar (key: "thread_table_size")',
  )
})

test('a nested map in static_fields is a bad conversion', () => {
  throwsConfig(() => load('static_fields:\n  a:\n    b: c\n'), 'yaml-cpp: error at line 3, column 5: bad conversion')
})

test('loadConfigText names the configuration in messages when asked to', () => {
  throwsConfig(
    () => loadConfigText('capture:\n  mode: x\n', { name: 'inline.yaml' }),
    "Error reading config file (inline.yaml): capture.mode 'x' is not a valid mode.",
  )
})
