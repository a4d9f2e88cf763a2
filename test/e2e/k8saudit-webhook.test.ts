// The k8s audit webhook end to end: `bin/saker` running the k8s_audit source as a falco.yaml
// configures the k8saudit plugin, real audit events POSTed over HTTP and HTTPS, alerts read
// from its stdout; a malformed body gets a 4xx and the server keeps serving.
import assert from 'node:assert/strict'
import { spawn, spawnSync } from 'node:child_process'
import type { ChildProcessWithoutNullStreams } from 'node:child_process'
import fs from 'node:fs'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { after, before, describe, test } from 'node:test'
import { fileURLToPath } from 'node:url'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..')
const data = path.join(root, '..', 'shared', 'falco', 'tests')
const fixtures = path.join(data, 'trace_files', 'k8s_audit')
const rules = [path.join(data, 'rules', 'default', 'falco_rules.yaml'), path.join(data, 'rules', 'default', 'k8s_audit_rules.yaml')]
const missing = fs.existsSync(fixtures) ? false : `${fixtures} is absent (../shared is not beside the repository)`
const noOpenssl = spawnSync('openssl', ['version']).status === 0 ? false : 'openssl is not installed'

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer()
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo
      s.close(() => resolve(port))
    })
    s.on('error', reject)
  })
}

/** An EventList made of the events of some fixture files (one event per line there). */
function eventList(...files: string[]): string {
  const items = files.flatMap((f) => fs.readFileSync(path.join(fixtures, f), 'utf8').split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l)))
  return JSON.stringify({ kind: 'EventList', apiVersion: 'audit.k8s.io/v1', items })
}

interface Saker {
  proc: ChildProcessWithoutNullStreams
  alerts: () => { rule: string; output_fields: Record<string, unknown> }[]
  stop: () => Promise<number | null>
}

/** Starts saker with only the k8s_audit source, listening on `openParams` (`extra`: more falco.yaml lines); resolves once it listens. */
async function startSaker(dir: string, openParams: string, initConfig: Record<string, unknown>, extra: string[] = []): Promise<Saker> {
  const conf = path.join(dir, 'saker.yaml')
  fs.writeFileSync(
    conf,
    [
      'stdout_output:', '  enabled: true', 'json_output: true', 'log_stderr: true', 'log_level: info',
      'plugins:', '  - name: k8saudit', '    library_path: libk8saudit.so', `    init_config: ${JSON.stringify(JSON.stringify(initConfig))}`, `    open_params: ${JSON.stringify(openParams)}`,
      '  - name: json', '    library_path: libjson.so', '    init_config: ""',
      'load_plugins: [k8saudit, json]', ...extra, '',
    ].join('\n'),
  )
  const proc = spawn(path.join(root, 'bin', 'saker'), ['-c', conf, ...rules.flatMap((r) => ['-r', r]), '--enable-source', 'k8s_audit'])
  let out = ''
  let err = ''
  proc.stdout.on('data', (d: Buffer) => (out += d.toString()))
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('saker did not open the webhook in 20 s: ' + err)), 20_000)
    proc.stderr.on('data', (d: Buffer) => {
      err += d.toString()
      if (err.includes("Opening 'k8s_audit' source")) {
        clearTimeout(timer)
        resolve()
      }
    })
    proc.on('exit', (code) => reject(new Error(`saker exited (${code}): ${err}`)))
  })
  return {
    proc,
    alerts: () => out.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l)),
    stop: () =>
      new Promise((resolve) => {
        proc.removeAllListeners('exit')
        proc.on('exit', (code) => resolve(code))
        proc.kill('SIGINT')
      }),
  }
}

async function waitFor<T>(what: string, get: () => T | undefined, ms = 10_000): Promise<T> {
  const end = Date.now() + ms
  for (;;) {
    const v = get()
    if (v !== undefined) return v
    if (Date.now() > end) throw new Error('timed out waiting for ' + what)
    await new Promise((r) => setTimeout(r, 50))
  }
}

describe('the k8s audit webhook of a running saker', { skip: missing }, () => {
  let dir = ''
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'saker-k8s-e2e-'))
  })
  after(() => fs.rmSync(dir, { recursive: true, force: true }))

  test('events POSTed over HTTP raise their rules; a malformed body gets 400 and serving goes on', async () => {
    const port = await freePort()
    const saker = await startSaker(dir, `http://127.0.0.1:${port}/k8s-audit`, {})
    try {
      const url = `http://127.0.0.1:${port}/k8s-audit`
      const post = (body: string) => fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body })
      assert.equal((await post(eventList('exec_pod.json'))).status, 200)
      const exec = await waitFor('the Attach/Exec Pod alert', () => saker.alerts().find((a) => a.rule === 'Attach/Exec Pod'))
      assert.equal(exec.output_fields['ka.target.name'], 'nginx-deployment-7998647bdf-phvq7')
      const bad = await post('{"kind": "EventList", "items": [')
      assert.equal(bad.status, 400)
      assert.match(await bad.text(), /json|JSON|parse/)
      assert.equal((await post(eventList('create_nginx_pod_privileged.json'))).status, 200)
      await waitFor('the Create Privileged Pod alert', () => saker.alerts().find((a) => a.rule === 'Create Privileged Pod'))
    } finally {
      assert.equal(await saker.stop(), 0)
    }
  })

  test('metrics of the k8s_audit source: snapshot alerts and /metrics', async () => {
    const port = await freePort()
    const web = await freePort()
    const saker = await startSaker(dir, `http://127.0.0.1:${port}/k8s-audit`, {}, [
      'metrics:', '  enabled: true', '  interval: 500ms', '  output_rule: true',
      'webserver:', '  enabled: true', '  listen_address: 127.0.0.1', `  listen_port: ${web}`, '  prometheus_metrics_enabled: true',
    ])
    try {
      const post = () => fetch(`http://127.0.0.1:${port}/k8s-audit`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: eventList('exec_pod.json') })
      assert.equal((await post()).status, 200)
      await waitFor('the Attach/Exec Pod alert', () => saker.alerts().find((a) => a.rule === 'Attach/Exec Pod'))
      // a snapshot is taken at an event (the first with the first event): more events, until
      // one is taken after the alert
      const more = setInterval(() => void post(), 300)
      let snap
      try {
        snap = await waitFor('a snapshot counting the alert', () =>
          saker.alerts().find((a) => a.rule === 'Falco internal: metrics snapshot' && Number(a.output_fields['falco.rules.Attach_Exec_Pod'] ?? 0) >= 1))
      } finally {
        clearInterval(more)
      }
      assert.equal(snap.output_fields['evt.source'], 'k8s_audit')
      assert.equal(snap.output_fields['scap.engine_name'], 'source_plugin')
      assert.ok(Number(snap.output_fields['falco.num_evts']) >= 1)
      assert.ok(!('scap.n_evts' in snap.output_fields), 'no kernel counters for a plugin source')
      const page = await (await fetch(`http://127.0.0.1:${web}/metrics`)).text()
      assert.match(page, /^falcosecurity_scap_engine_name_info\{engine_name="source_plugin",evt_source="k8s_audit"\} 1$/m)
      assert.match(page, /^falcosecurity_falco_rules_matches_total\{priority="\d",rule_name="Attach\/Exec Pod",source="k8s_audit"[^}]*\} \d+$/m)
    } finally {
      assert.equal(await saker.stop(), 0)
    }
  })

  test('events POSTed over HTTPS with the configured certificate raise their rules', { skip: noOpenssl }, async () => {
    const key = path.join(dir, 'key.pem')
    const cert = path.join(dir, 'cert.pem')
    const made = spawnSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'])
    assert.equal(made.status, 0, made.stderr.toString())
    const pem = path.join(dir, 'falco.pem')
    fs.writeFileSync(pem, fs.readFileSync(cert, 'utf8') + fs.readFileSync(key, 'utf8'))
    const port = await freePort()
    const saker = await startSaker(dir, `https://127.0.0.1:${port}/k8s-audit`, { sslCertificate: pem })
    try {
      // curl with the certificate as its CA: Node's fetch takes no CA option without undici
      const res = spawnSync('curl', ['-s', '-o', '/dev/null', '-w', '%{http_code}', '--cacert', cert, '-H', 'content-type: application/json', '--data-binary', '@-', `https://127.0.0.1:${port}/k8s-audit`], {
        input: eventList('exec_pod.json'),
      })
      assert.equal(res.stdout.toString(), '200', res.stderr.toString())
      await waitFor('the Attach/Exec Pod alert', () => saker.alerts().find((a) => a.rule === 'Attach/Exec Pod'))
    } finally {
      assert.equal(await saker.stop(), 0)
    }
  })
})
