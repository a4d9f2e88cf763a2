// Falco's metrics from a live Saker: the snapshot alert (metrics.output_rule), the JSON lines
// file (metrics.output_file), and /metrics scraped by a real Prometheus (Debian's package,
// started here on its own port and data directory), which must parse the page and hold the
// probe's event counter and the count of a rule that fired. Plus /healthz and /versions.
// Needs root, a BTF kernel, the built driver, bpftool and the prometheus binary.
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { readShadow } from './attacks.js'
import { DEFAULT_CONFIG_ARGS, Saker, loadedProgs, newSakerProgs, skipReason, waitUnloaded } from './helpers.js'

let skip = skipReason({ falcoRules: false })
if (skip === null && spawnSync('prometheus', ['--version']).status !== 0) skip = 'prometheus is not installed (scripts/install-deps.sh installs it)'

/** A TCP port nobody listens on now. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer()
    s.once('error', reject)
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port
      s.close(() => resolve(port))
    })
  })
}

async function get(url: string): Promise<{ status: number; type: string; body: string }> {
  const r = await fetch(url)
  return { status: r.status, type: r.headers.get('content-type') ?? '', body: await r.text() }
}

/** Polls `f` until it returns a value other than undefined; throws after `ms`. */
async function eventually<T>(what: string, ms: number, f: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + ms
  for (;;) {
    const v = await f().catch(() => undefined)
    if (v !== undefined) return v
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise(r => setTimeout(r, 250))
  }
}

const RULE = 'Credential File Read by Untrusted Program'

describe('metrics: snapshot alerts, output file, and /metrics scraped by Prometheus', { skip: skip ?? false }, () => {
  let saker: Saker
  let prometheus: ChildProcess | null = null
  let work: string
  let webPort: number
  let promPort: number
  let metricsFile: string

  // the kernel counts program runs only while this is on (it slows every run a little: the
  // other tests running meanwhile are slower, not wrong); put back as it was
  const BPF_STATS = '/proc/sys/kernel/bpf_stats_enabled'
  let bpfStatsBefore = '0'
  before(async () => {
    bpfStatsBefore = readFileSync(BPF_STATS, 'utf8').trim()
    writeFileSync(BPF_STATS, '1')
    work = mkdtempSync(join(tmpdir(), 'saker-e2e-metrics-'))
    metricsFile = join(work, 'metrics.jsonl')
    webPort = await freePort()
    saker = new Saker([
      '-o', 'webserver.enabled=true', '-o', `webserver.listen_port=${webPort}`, '-o', 'webserver.listen_address=127.0.0.1',
      '-o', 'webserver.prometheus_metrics_enabled=true',
      '-o', 'metrics.enabled=true', '-o', 'metrics.interval=1s', '-o', 'metrics.output_rule=true', '-o', `metrics.output_file=${metricsFile}`,
    ], DEFAULT_CONFIG_ARGS)
    await saker.ready()
    promPort = await freePort()
    const config = join(work, 'prometheus.yml')
    writeFileSync(config, `global:\n  scrape_interval: 1s\nscrape_configs:\n  - job_name: saker\n    static_configs:\n      - targets: ['127.0.0.1:${webPort}']\n`)
    prometheus = spawn('prometheus', [`--config.file=${config}`, `--storage.tsdb.path=${join(work, 'tsdb')}`,
      `--web.listen-address=127.0.0.1:${promPort}`], { stdio: 'ignore' })
  })
  after(async () => {
    prometheus?.kill('SIGTERM')
    await saker?.stop('SIGINT')
    writeFileSync(BPF_STATS, bpfStatsBefore)
    rmSync(work, { recursive: true, force: true })
  })

  test('the health check and the versions answer as Falco\'s webserver does', async () => {
    const h = await get(`http://127.0.0.1:${webPort}/healthz`)
    assert.equal(h.status, 200)
    assert.equal(h.type, 'application/json')
    assert.equal(h.body, '{"status": "ok"}')
    const v = await get(`http://127.0.0.1:${webPort}/versions`)
    assert.equal((JSON.parse(v.body) as { falco_version: string }).falco_version, '0.44.1')
    assert.equal((await get(`http://127.0.0.1:${webPort}/nothing`)).status, 404)
  })

  test('the snapshot alert counts the probe\'s events, no drops, and the rule that fired', async () => {
    readShadow()
    await saker.alert(RULE, a => a.output_fields['proc.name'] === 'cat')
    const snap = await saker.alert('Falco internal: metrics snapshot',
      a => Number(a.output_fields['falco.rules.Credential_File_Read_by_Untrusted_Program'] ?? 0) >= 1, 15_000)
    const f = snap.output_fields
    assert.equal(snap.priority, 'Informational')
    assert.equal(snap.output, 'Falco metrics snapshot')
    assert.equal(f['evt.source'], 'syscall')
    assert.equal(f['scap.engine_name'], 'modern_bpf')
    assert.ok(Number(f['scap.n_evts']) > 0, 'scap.n_evts')
    assert.equal(f['scap.n_drops'], 0)
    assert.ok(Number(f['falco.num_evts']) > 0, 'falco.num_evts')
    assert.ok(Number(f['falco.n_threads']) > 10, 'falco.n_threads')
    assert.ok(Number(f['falco.memory_rss_mb']) > 10, 'falco.memory_rss_mb')
    assert.ok(Number(f['falco.rules.matches_total']) >= 1)
    assert.ok(Number(f['scap.sys_exit.run_cnt']) > 0, 'scap.sys_exit.run_cnt (bpf_stats_enabled is on)')
    assert.ok(Number(f['scap.sys_exit.avg_time_ns']) > 0, 'scap.sys_exit.avg_time_ns')
  })

  test('the output file gets one JSON line per snapshot, numbered', async () => {
    const lines = await eventually('two lines in the metrics file', 15_000, async () => {
      const l = readFileSync(metricsFile, 'utf8').trim().split('\n')
      return l.length >= 2 ? l : undefined
    })
    const docs = lines.map(l => JSON.parse(l) as { output_fields: Record<string, unknown>; sample: number })
    assert.deepEqual(Object.keys(docs[0]!), ['output_fields', 'sample'])
    assert.ok(docs[1]!.sample > docs[0]!.sample)
    assert.ok(Number(docs[1]!.output_fields['scap.n_evts']) >= Number(docs[0]!.output_fields['scap.n_evts']))
    assert.equal(docs[1]!.output_fields['scap.n_evts_prev'], docs[0]!.output_fields['scap.n_evts'])
  })

  test('Prometheus scrapes /metrics without an error and holds the counters', async () => {
    const prom = `http://127.0.0.1:${promPort}`
    const target = await eventually('the scrape target to be up', 30_000, async () => {
      const t = JSON.parse((await get(`${prom}/api/v1/targets`)).body) as { data: { activeTargets: { health: string; lastError: string }[] } }
      const a = t.data.activeTargets[0]
      return a !== undefined && a.health !== 'unknown' ? a : undefined
    })
    assert.equal(target.lastError, '')
    assert.equal(target.health, 'up')
    const query = async (q: string): Promise<{ metric: Record<string, string>; value: [number, string] }[]> =>
      (JSON.parse((await get(`${prom}/api/v1/query?query=${encodeURIComponent(q)}`)).body) as { data: { result: { metric: Record<string, string>; value: [number, string] }[] } }).data.result
    const evts = await eventually('falcosecurity_scap_n_evts_total', 15_000, async () => (await query('falcosecurity_scap_n_evts_total'))[0])
    assert.ok(Number(evts.value[1]) > 0)
    const rule = await eventually(`the rule counter of "${RULE}"`, 15_000, async () =>
      (await query(`falcosecurity_falco_rules_matches_total{rule_name="${RULE}"}`))[0])
    assert.ok(Number(rule.value[1]) >= 1)
    assert.equal(rule.metric['source'], 'syscall')
    assert.equal(rule.metric['priority'], '4')
    const drops = (await query('falcosecurity_scap_n_drops_total'))[0]
    assert.equal(drops?.value[1], '0')
    const runs = (await query('falcosecurity_scap_sched_exec_run_cnt_total'))[0]
    assert.ok(Number(runs?.value[1]) > 0, 'falcosecurity_scap_sched_exec_run_cnt_total')
    const version = (await query('falcosecurity_falco_version_info'))[0]
    assert.equal(version?.metric['version'], '0.44.1')
  })
})

describe('metrics: drops while Saker is stopped are counted, by kind, and alerted', { skip: skip ?? false }, () => {
  let saker: Saker
  let work: string
  before(async () => {
    work = mkdtempSync(join(tmpdir(), 'saker-e2e-drops-'))
    // the smallest ring (buf_size_preset 1: 1 MiB for this machine's CPUs), and no reader
    // while the opens below are made: most of their events cannot fit
    saker = new Saker([
      '-o', 'webserver.enabled=false', '-o', 'engine.modern_ebpf.buf_size_preset=1',
      '-o', 'metrics.enabled=true', '-o', 'metrics.interval=1s', '-o', 'metrics.output_rule=true',
    ], DEFAULT_CONFIG_ARGS)
    await saker.ready()
  })
  after(async () => {
    await saker?.stop('SIGINT')
    rmSync(work, { recursive: true, force: true })
  })

  /** 50000 open+close pairs of a file made while `s` is stopped (SIGSTOP): most of their events cannot fit. */
  const burstWhileStopped = (s: Saker): void => {
    const file = join(work, 'target')
    writeFileSync(file, 'x')
    process.kill(s.pid, 'SIGSTOP')
    try {
      const r = spawnSync('python3', ['-c', `import os\nfor _ in range(50000): os.close(os.open(${JSON.stringify(file)}, os.O_RDONLY))`])
      assert.equal(r.status, 0)
    } finally {
      process.kill(s.pid, 'SIGCONT')
    }
  }

  test('50000 open+close pairs made while Saker is stopped', async () => {
    burstWhileStopped(saker)
    // the drop monitor and the metrics act on events (a second of event time apart), as
    // Falco's do: this quiet machine gets a few
    const ticks = setInterval(() => spawn('true'), 200)
    let drop, snap
    try {
      drop = await saker.alert('Falco internal: syscall event drop', () => true, 15_000)
      snap = await saker.alert('Falco internal: metrics snapshot', a => Number(a.output_fields['scap.n_drops'] ?? 0) > 0, 15_000)
    } finally {
      clearInterval(ticks)
    }
    assert.equal(drop.priority, 'Debug')
    // the alert's counts are those of one second: the kinds add up to at most the buffer drops
    const d = (k: string): number => Number(drop.output_fields[k])
    assert.ok(d('n_drops_buffer_open_exit') > 0 && d('n_drops_buffer_close_exit') > 0, JSON.stringify(drop.output_fields))
    assert.ok(d('n_drops_buffer_open_exit') + d('n_drops_buffer_close_exit') <= d('n_drops_buffer_total'))
    assert.ok(d('n_drops_buffer_total') <= d('n_drops'))
    assert.equal(drop.output_fields['ebpf_enabled'], '1')
    const f = snap.output_fields
    assert.ok(Number(f['scap.n_drops_buffer_open_exit']) > 0, 'scap.n_drops_buffer_open_exit')
    assert.ok(Number(f['scap.n_drops_buffer_close_exit']) > 0, 'scap.n_drops_buffer_close_exit')
    // every buffer drop here is an openat or a close (nothing else runs in such numbers)
    assert.ok(Number(f['scap.n_drops_buffer_open_exit']) + Number(f['scap.n_drops_buffer_close_exit']) > 0.9 * Number(f['scap.n_drops_buffer_total']))
    assert.equal(f['scap.n_drops'], Number(f['scap.n_drops_buffer_total']) + Number(f['scap.n_drops_max_event_size'] ?? 0))
  })

  test('with the exit action, the drops stop Saker with exit code 1, its probe detached', async () => {
    const loaded = new Set(loadedProgs().map(p => p.id))
    const s = new Saker(['-o', 'webserver.enabled=false', '-o', 'engine.modern_ebpf.buf_size_preset=1', '-o', 'syscall_event_drops.actions[0]=exit'],
      DEFAULT_CONFIG_ARGS)
    await s.ready()
    burstWhileStopped(s)
    const ticks = setInterval(() => spawn('true'), 200)
    try {
      await s.until(() => s.stderr.includes('Exiting.'), 'the exit action', 15_000)
    } finally {
      clearInterval(ticks)
    }
    const end = await s.exited
    assert.equal(end.code, 1)
    // the kernel frees a program once its last reference goes, moments after the exit
    assert.deepEqual(await waitUnloaded(newSakerProgs(loaded).map(p => p.id)), [])
    assert.match(s.stderr, /Falco internal: syscall event drop\. \d+ system calls dropped in last second\./)
  })
})
