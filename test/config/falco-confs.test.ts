// Falco's own test configurations (../shared/falco/tests/confs) as data: each one loads, or fails
// with the message Falco prints for it. A file without an expectation here fails the suite, so a
// new configuration in the data set gets looked at.

import { test } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { loadConfig } from '../../src/config/load.js'
import type { LoadResult } from '../../src/config/load.js'
import { FALCO_CONFS } from './helper.js'

type Expectation = { error: string } | { check: (r: LoadResult, file: string) => void }

const schemaOk = (r: LoadResult): void => assert.deepEqual(r.validation.map(v => v.status), ['ok'])
const dropsOk = (actions: string[], simulate: boolean) => (r: LoadResult) => {
  schemaOk(r)
  assert.deepEqual(r.config.syscall_event_drops.actions, actions)
  assert.equal(r.config.syscall_event_drops.rate, 0.03333)
  assert.equal(r.config.syscall_event_drops.max_burst, 10)
  assert.equal(r.config.syscall_event_drops.simulate_drops, simulate)
  assert.equal(r.config.stdout_output.enabled, true)
}
const legacyRulesFile = (r: LoadResult): void => {
  assert.deepEqual(r.config.rules_files_configured, ['/etc/falco_rules.yaml'])
  assert.ok(r.warnings.some(w => w.includes("Using deprecated config key 'rules_file'")))
  assert.match(r.validation[0]!.status, /^failed for <root>: unknown key 'rules_file'$/)
}
const reading = (file: string, what: string): string => `Error reading config file (${join(FALCO_CONFS, file)}): ${what}`
const pluginsLoad = (names: string[]) => (r: LoadResult) => {
  schemaOk(r)
  assert.deepEqual(r.config.plugins.map(p => p.name), names)
  assert.deepEqual(r.config.load_plugins, names)
}

const EXPECTED: Record<string, Expectation> = {
  'default.yaml': {
    check: r => {
      schemaOk(r)
      assert.equal(r.config.priority, 'debug')
      assert.equal(r.config.program_output.program, 'cat')
      assert.equal(r.config.file_output.filename, './events.txt')
      assert.equal(r.config.log_stderr, true)
    },
  },
  'drops_alert.yaml': { check: dropsOk(['alert'], true) },
  'drops_exit.yaml': { check: dropsOk(['exit'], true) },
  'drops_ignore.yaml': { check: dropsOk(['ignore'], true) },
  'drops_log.yaml': { check: dropsOk(['log'], true) },
  'drops_none.yaml': { check: dropsOk(['log'], false) },
  'drops_ignore_log.yaml': {
    error: reading('drops_ignore_log.yaml', 'syscall event drop action "log" does not make sense with the "ignore" action'),
  },
  'drops_threshold_neg.yaml': {
    error: reading('drops_threshold_neg.yaml', 'syscall event drops threshold must be a double in the range [0, 1]'),
  },
  'drops_threshold_oor.yaml': {
    error: reading('drops_threshold_oor.yaml', 'syscall event drops threshold must be a double in the range [0, 1]'),
  },
  'file_output.yaml': {
    check: r => {
      legacyRulesFile(r)
      assert.deepEqual(r.config.file_output, { enabled: true, keep_alive: false, filename: '/tmp/falco_outputs/file_output.txt' })
    },
  },
  'program_output.yaml': {
    check: r => {
      legacyRulesFile(r)
      assert.equal(r.config.program_output.enabled, true)
      assert.equal(r.config.program_output.program, 'cat >> /tmp/falco_outputs/program_output.txt')
    },
  },
  'stdout_output.yaml': {
    check: r => {
      legacyRulesFile(r)
      assert.equal(r.config.stdout_output.enabled, true)
    },
  },
  // gRPC is gone from Falco 0.44: the keys only draw a schema warning.
  'grpc_unix_socket.yaml': {
    check: r => {
      assert.match(r.validation[0]!.status, /^failed for <root>: unknown key 'grpc/)
      assert.deepEqual(r.config.grpc, { enabled: true, bind_address: 'unix:///tmp/falco/falco.sock', threadiness: 8 })
      assert.equal(r.config.grpc_output.enabled, true)
      assert.equal(r.config.stdout_output.enabled, false)
    },
  },
  'json_plugin_config.yaml': {
    check: r => {
      schemaOk(r)
      assert.equal(r.config.load_plugins, null)
      assert.deepEqual(r.config.plugins, [
        { name: 'json', library_path: '/usr/share/falco/plugins/libjson.so', init_config: '', init_config_text: '', open_params: '' },
      ])
    },
  },
  'rule_matching_all.yaml': { check: r => assert.equal(r.config.rule_matching, 'all') },
  'rule_matching_first.yaml': { check: r => assert.equal(r.config.rule_matching, 'first') },
  'rule_matching_wrong_value.yaml': { error: 'Unknown rule matching strategy "test"--must be one of first, all' },
  'rule_metrics_enabled.yaml': {
    check: r => {
      schemaOk(r)
      assert.equal(r.config.metrics.enabled, true)
      assert.equal(r.config.metrics.interval, '5s')
      assert.equal(r.config.metrics.interval_ms, 5000)
      assert.equal(r.config.metrics.output_rule, true)
    },
  },
  'plugins/cloudtrail_json_create_instances.yaml': {
    check: r => {
      pluginsLoad(['cloudtrail', 'json'])(r)
      assert.equal(r.config.plugins[0]!.open_params, 'trace_files/plugins/alice_start_instances.json')
    },
  },
  'plugins/cloudtrail_json_create_instances_bigevent.yaml': { check: pluginsLoad(['cloudtrail', 'json']) },
  // Plugin compatibility is checked when the plugins are opened, not by the configuration.
  'plugins/incompatible_extract_sources.yaml': { check: pluginsLoad(['cloudtrail', 'test_extract_p1']) },
  'plugins/incompatible_plugin_api.yaml': { check: pluginsLoad(['incompatible_plugin_api']) },
  'plugins/k8s_audit.yaml': {
    check: r => {
      pluginsLoad(['k8saudit', 'json'])(r)
      assert.equal(r.config.plugins[0]!.library_path, '/usr/share/falco/plugins/libk8saudit.so')
    },
  },
  'plugins/overlap_extract_sources.yaml': { check: pluginsLoad(['test_source', 'test_extract_p1', 'test_extract_p2']) },
  'plugins/wrong_plugin_path.yaml': {
    check: r => {
      pluginsLoad(['wrong_plugin_path'])(r)
      assert.equal(r.config.plugins[0]!.library_path, '/nonexistent/falco-plugins/wrong_plugin_path.so')
    },
  },
}

const present = existsSync(FALCO_CONFS)
const skip = present ? false : `Falco's test configurations are not at ${FALCO_CONFS}`

function listConfs(): string[] {
  if (!present) return []
  const top = readdirSync(FALCO_CONFS).filter(f => f.endsWith('.yaml'))
  const plugins = existsSync(join(FALCO_CONFS, 'plugins'))
    ? readdirSync(join(FALCO_CONFS, 'plugins')).filter(f => f.endsWith('.yaml')).map(f => `plugins/${f}`)
    : []
  return [...top, ...plugins].sort()
}

test('every Falco test configuration has an expectation here', { skip }, () => {
  const missing = listConfs().filter(f => !(f in EXPECTED))
  assert.deepEqual(missing, [])
})

for (const file of present ? listConfs() : Object.keys(EXPECTED)) {
  const exp = EXPECTED[file]
  test(`Falco's ${file} ${exp !== undefined && 'error' in exp ? 'fails with Falco\'s message' : 'loads'}`, { skip: skip || (exp === undefined ? 'no expectation' : false) }, () => {
    const path = join(FALCO_CONFS, file)
    // The conformance harness passes these options on every run; they must not change the outcome.
    const overrides = ['log_stderr=true', 'log_syslog=false', 'log_level=debug', 'stdout_output.enabled=true']
    if ('error' in exp!) {
      assert.throws(() => loadConfig({ file: path, overrides: [], env: {} }), { message: exp.error })
      assert.throws(() => loadConfig({ file: path, overrides, env: {} }), { message: exp.error })
    } else {
      exp!.check(loadConfig({ file: path, overrides: [], env: {} }), path)
      loadConfig({ file: path, overrides, env: {} })
    }
  })
}
