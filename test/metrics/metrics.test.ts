// The metrics' two renderings (Falco's output_fields and Prometheus' text), the checks of the
// metrics section, and the webserver's routes; a live run of all of it is test/e2e/metrics.test.ts.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { loadConfigText } from '../../src/config/load.js'
import { RuleStats } from '../../src/engine/matcher.js'
import { MetricsCollector, type KernelCounters, type MetricsSource } from '../../src/metrics/collector.js'
import { metricsConfigError } from '../../src/metrics/writer.js'
import type { CompiledRule } from '../../src/rules/compiler.js'
import { PROMETHEUS_CONTENT_TYPE, Webserver } from '../../src/server/webserver.js'

const config = (overrides: string[] = []) => loadConfigText('', { overrides }).config

const rule = (name: string, priority: number, tags: string[]): CompiledRule =>
  ({ name, priority, source: 'syscall', tags: new Set(tags) }) as unknown as CompiledRule

function fixture(overrides: string[] = []) {
  const rules = [rule('Read "shadow" file', 4, ['T1555', 'filesystem']), rule('Never fires', 5, [])]
  const stats = new RuleStats()
  stats.count(rules[0]!)
  stats.count(rules[0]!)
  const kernel: KernelCounters = {
    events: 1000, dropsBuffer: 30, dropsSize: 2,
    dropsKind: { clone_fork_exit: 0, open_exit: 20, close_exit: 10, connect_enter: 0 },
    perCpu: [{ events: 600, dropsBuffer: 30, dropsSize: 0 }, { events: 400, dropsBuffer: 0, dropsSize: 2 }],
  }
  let numEvents = 900
  const source: MetricsSource = {
    name: 'syscall', engineName: 'modern_bpf', numEvents: () => numEvents, kernel: () => kernel,
    state: () => ({ threads: 42, fds: 300, addedThreads: 50, removedThreads: 8, dropsFullThreadtable: 0 }),
    programs: () => [{ name: 'sys_exit', runCnt: 1000, runTimeNs: 150_000 }],
  }
  const c = new MetricsCollector(config(overrides), stats, rules, () => 3, 'node-1', new Map([['/etc/falco/falco_rules.yaml', 'x']]), [], source)
  return { c, kernel, advance: (n: number, events: number) => { numEvents += n; kernel.events += events } }
}

test('metricsConfigError: Falco\'s checks of the metrics section', () => {
  assert.equal(metricsConfigError(config()), null, 'disabled: nothing checked')
  assert.match(metricsConfigError(config(['metrics.enabled=true', 'metrics.interval=5000', 'metrics.output_rule=true']))!, /numeric value without Prometheus time unit/)
  assert.match(metricsConfigError(config(['metrics.enabled=true', 'metrics.interval=50ms', 'metrics.output_rule=true']))!, /minimum value of 100ms/)
  assert.match(metricsConfigError(config(['metrics.enabled=true', 'metrics.interval=1m']))!, /no output configured/)
  assert.equal(metricsConfigError(config(['metrics.enabled=true', 'metrics.interval=1m', 'metrics.output_file=/tmp/m'])), null)
  assert.equal(metricsConfigError(config(['metrics.enabled=true', 'metrics.interval=1m30s', 'webserver.enabled=true', 'webserver.prometheus_metrics_enabled=true'])), null)
})

test('output fields: Falco\'s names, zeros left out, memory in MB, previous counts and rates', () => {
  const { c, advance } = fixture(['metrics.enabled=true'])
  const first = c.outputFields(c.snapshot()!)
  assert.equal(first['evt.source'], 'syscall')
  assert.equal(first['evt.hostname'], 'node-1')
  assert.equal(first['scap.engine_name'], 'modern_bpf')
  assert.equal(typeof first['evt.time'], 'bigint')
  assert.equal(first['scap.n_evts'], 1000)
  assert.equal(first['scap.n_drops'], 32)
  assert.equal(first['scap.n_drops_buffer_total'], 30)
  assert.equal(first['scap.n_drops_buffer_open_exit'], 20)
  assert.equal(first['scap.n_drops_buffer_close_exit'], 10)
  assert.equal(first['scap.n_drops_max_event_size'], 2)
  assert.ok(!('scap.n_drops_buffer_clone_fork_exit' in first), 'a zero is left out')
  assert.equal(first['scap.n_evts_cpu_0'], 600)
  assert.equal(first['scap.n_drops_cpu_1'], 2)
  assert.equal(first['falco.n_threads'], 42)
  assert.equal(first['falco.n_fds'], 300)
  assert.equal(first['falco.outputs_queue_num_drops'], 3)
  assert.equal(first['falco.rules.matches_total'], 2)
  assert.equal(first['falco.rules.Read_shadow_file'], 2, 'rule names sanitized as Falco does')
  assert.ok(!('falco.rules.Never_fires' in first))
  assert.equal(first['falco.sha256_rules_file.falco_rules_yaml'], '2d711642b726b04401627ca9fbac32f5c8530fb1903cc4db02258717921a4881')
  assert.equal(first['scap.sys_exit.run_cnt'], 1000)
  assert.equal(first['scap.sys_exit.avg_time_ns'], 150)
  assert.equal(typeof first['falco.memory_rss_mb'], 'number')
  assert.ok(!('falco.memory_rss_kb' in first))
  assert.equal(first['scap.n_evts_prev'], 0)
  assert.ok(!('falco.evts_rate_sec' in first), 'no rate before a previous snapshot')

  advance(500, 700)
  const second = c.outputFields(c.snapshot()!)
  assert.equal(second['scap.n_evts_prev'], 1000)
  assert.equal(second['falco.num_evts_prev'], 900)
  assert.equal(second['scap.n_evts'], 1700)
  assert.equal(typeof second['falco.evts_rate_sec'], 'number')
})

test('output fields: convert_memory_to_mb off gives _kb, include_empty_values keeps zeros, switches drop groups', () => {
  const { c } = fixture(['metrics.convert_memory_to_mb=false', 'metrics.include_empty_values=true', 'metrics.state_counters_enabled=false',
    'metrics.kernel_event_counters_per_cpu_enabled=false', 'metrics.libbpf_stats_enabled=false'])
  const f = c.outputFields(c.snapshot()!)
  assert.equal(typeof f['falco.memory_rss_kb'], 'number')
  assert.ok(!('falco.memory_rss_mb' in f))
  assert.equal(f['scap.n_drops_buffer_clone_fork_exit'], 0)
  assert.equal(f['falco.rules.Never_fires'], 0)
  assert.ok(!('falco.n_threads' in f))
  assert.ok(!('scap.n_evts_cpu_0' in f))
  assert.ok(!('scap.sys_exit.run_cnt' in f))
})

test('Prometheus text: HELP and TYPE before each series, Falco\'s names and labels, label values escaped', () => {
  const { c } = fixture()
  const text = c.prometheus(c.snapshot())
  const lines = text.trimEnd().split('\n')
  for (let i = 0; i < lines.length; i += 3) {
    const name = /^# HELP (\S+) https:\/\/falco\.org\/docs\/metrics\//.exec(lines[i]!)?.[1]
    assert.ok(name, `HELP line at ${i}: ${lines[i]}`)
    assert.match(lines[i + 1]!, new RegExp(`^# TYPE ${name} (counter|gauge)$`))
    assert.match(lines[i + 2]!, new RegExp(`^${name}(\\{[^}]*\\})? \\S+$`))
  }
  assert.ok(lines.includes('falcosecurity_scap_n_evts_total 1000'))
  assert.ok(lines.includes('falcosecurity_scap_n_drops_total 32'))
  assert.ok(lines.includes('falcosecurity_scap_n_drops_buffer_total{dir="exit",drop="open"} 20'))
  assert.ok(!text.includes('drop="connect_enter"'), 'enter kinds have no series, as in Falco')
  assert.ok(lines.includes('falcosecurity_scap_n_evts_cpu_total{cpu="1"} 400'))
  assert.ok(lines.includes('falcosecurity_scap_sys_exit_run_time_nanoseconds_total 150000'))
  assert.ok(lines.includes('# TYPE falcosecurity_scap_sys_exit_avg_time_nanoseconds gauge'))
  assert.ok(lines.includes('# TYPE falcosecurity_scap_n_threads_total gauge'))
  assert.ok(lines.includes('falcosecurity_scap_engine_name_info{engine_name="modern_bpf",evt_source="syscall"} 1'))
  assert.ok(lines.includes('falcosecurity_falco_rules_matches_total{priority="4",rule_name="Read \\"shadow\\" file",source="syscall",tag_T1555="true",tag_filesystem="true"} 2'))
  assert.ok(!text.includes('Never fires'))
  assert.match(text, /^falcosecurity_falco_memory_rss_bytes \d+\.\d{6}$/m)
  assert.match(text, /^falcosecurity_falco_cpu_usage_ratio \d+\.\d{6}$/m)
  assert.ok(lines.includes('falcosecurity_evt_hostname_info{hostname="node-1"} 1'))
  assert.ok(lines.includes('falcosecurity_falco_outputs_queue_num_drops_total 3'))
})

test('webserver: /healthz, /versions, /metrics only once served, 404 elsewhere, 405 for other methods', async () => {
  const w = await Webserver.start({ host: '127.0.0.1', port: 0, healthzPath: '/healthz', versions: () => ({ falco_version: '0.44.1' }) })
  const base = `http://127.0.0.1:${w.address().port}`
  try {
    const h = await fetch(`${base}/healthz`)
    assert.equal(h.status, 200)
    assert.equal(h.headers.get('content-type'), 'application/json')
    assert.equal(await h.text(), '{"status": "ok"}')
    assert.deepEqual(await (await fetch(`${base}/versions`)).json(), { falco_version: '0.44.1' })
    assert.equal((await fetch(`${base}/metrics`)).status, 404)
    w.serveMetrics(() => 'falcosecurity_falco_version_info{version="0.44.1"} 1\n')
    const m = await fetch(`${base}/metrics`)
    assert.equal(m.status, 200)
    assert.equal(m.headers.get('content-type'), PROMETHEUS_CONTENT_TYPE)
    assert.match(await m.text(), /version_info/)
    assert.equal((await fetch(`${base}/other`)).status, 404)
    assert.equal((await fetch(`${base}/healthz`, { method: 'POST' })).status, 405)
  } finally {
    await w.close()
  }
})

test('webserver: a port in use is an error naming the address', async () => {
  const a = await Webserver.start({ host: '127.0.0.1', port: 0, healthzPath: '/healthz', versions: () => ({}) })
  try {
    await assert.rejects(Webserver.start({ host: '127.0.0.1', port: a.address().port, healthzPath: '/healthz', versions: () => ({}) }),
      /webserver: cannot listen on 127\.0\.0\.1:\d+: .*EADDRINUSE/)
  } finally {
    await a.close()
  }
})

test('a replay writes snapshots too: engine savefile, the state\'s counters, no kernel counters', () => {
  const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..')
  const dir = mkdtempSync(join(tmpdir(), 'saker-metrics-replay-'))
  try {
    const file = join(dir, 'metrics.jsonl')
    const r = spawnSync(process.execPath, [join(root, 'dist', 'src', 'cli', 'main.js'), '-c', '/dev/null', '-r', 'rules/saker_rules.yaml',
      '-o', 'engine.kind=replay', '-o', 'engine.replay.capture_file=rules/tests/captures/account-database.scap', '-o', 'stdout_output.enabled=true',
      '-o', 'log_stderr=true', '-o', 'metrics.enabled=true', '-o', 'metrics.interval=1h', '-o', `metrics.output_file=${file}`,
      '-o', 'metrics.include_empty_values=true'], { cwd: root, encoding: 'utf8' })
    assert.equal(r.status, 0, r.stderr)
    assert.match(r.stderr, /Setting metrics interval to 1h, equivalent to 3600000 \(ms\)/)
    const lines = readFileSync(file, 'utf8').trim().split('\n')
    assert.equal(lines.length, 1, 'one snapshot: at the first event (the next is an hour later)')
    const f = (JSON.parse(lines[0]!) as { output_fields: Record<string, unknown> }).output_fields
    assert.equal(f['evt.source'], 'syscall')
    assert.equal(f['scap.engine_name'], 'savefile')
    // taken before the first event is applied (this capture has no process list): zeros, kept
    assert.equal(f['falco.n_threads'], 0)
    assert.equal(f['falco.num_evts'], 0)
    assert.ok(!('scap.n_evts' in f), 'a capture has no kernel counters')
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})
