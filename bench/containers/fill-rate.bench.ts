// How many alerts from short-lived pods carry their container and pod: bin/saker live, a
// containerd of its own (test/containers/helpers.ts), N pods made through the CRI, each
// container reading /etc/shadow once and exiting. An alert is "filled" when container.name,
// container.image, k8s.pod.name and k8s.ns.name are all set. Three orders:
//
//   after     containerd runs, then Saker starts, then the pods
//   before    Saker starts, then containerd (Saker finds its socket when it appears), then the pods
//   restart   both run; half the pods; containerd restarted; the other half
//
// Reference (issue 5): real Falco 0.40.0 fills every field started after containerd, and
// none started before it. Target: every alert filled in all three orders.
//
//   node dist/bench/containers/fill-rate.bench.js [pods per order, default 30]
// Needs root, the driver built, containerd + runc + busybox-static + containernetworking-plugins.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Containerd, buildImages, removeImages, skipReason as runtimeSkip, sleep } from '../../test/containers/helpers.js'
import { Saker, skipReason } from '../../test/e2e/helpers.js'

const PODS = Number(process.argv[2] ?? 30)
const RULE = 'Shadow read in a container'

interface Row { order: string; pods: number; alerts: number; filled: number; ms: number; why: string[] }

async function run(order: 'after' | 'before' | 'restart', dir: string): Promise<Row> {
  const ctd = new Containerd()
  const rules = join(dir, `${order}.rules.yaml`)
  writeFileSync(rules, `- rule: ${RULE}
  desc: one alert per container of the bench
  condition: evt.type in (open, openat, openat2) and evt.dir = < and fd.name = /etc/shadow and container.id != host
  output: read (id=%container.id name=%container.name image=%container.image pod=%k8s.pod.name ns=%k8s.ns.name)
  priority: WARNING
`)
  const config = join(dir, `${order}.yaml`)
  writeFileSync(config, JSON.stringify({
    json_output: true, stdout_output: { enabled: true }, priority: 'debug',
    plugins: [{ name: 'container', library_path: 'libcontainer.so', init_config: { engines: { docker: { enabled: false }, podman: { enabled: false }, cri: { sockets: [ctd.socket] }, containerd: { sockets: [ctd.socket] } } } }],
  }))
  const startSaker = async (): Promise<Saker> => {
    const s = new Saker(['-c', config, '-r', rules, '-o', 'rule_matching=all', '-o', 'log_level=debug'])
    await s.ready()
    return s
  }
  let saker: Saker | null = null
  const ids = new Set<string>()
  const t0 = Date.now()
  try {
    if (order === 'before') saker = await startSaker()
    await ctd.start()
    ctd.importImages()
    if (saker === null) saker = await startSaker()
    const pods = async (n: number, from: number): Promise<void> => {
      for (let i = 0; i < n; i++) {
        const p = await ctd.runPod(`bench-${order}-${from + i}`, `ns-${order}`, { app: 'bench' }, ['cat', '/etc/shadow'])
        ids.add(p.containerId.slice(0, 12))
      }
    }
    if (order === 'restart') {
      await pods(PODS >> 1, 0)
      await ctd.stop()
      await ctd.start()
      await pods(PODS - (PODS >> 1), PODS >> 1)
    } else await pods(PODS, 0)
    const s = saker
    const mine = (): number => s.alerts.filter(a => a.rule === RULE && ids.has(String(a.output_fields['container.id']))).length
    await s.until(() => mine() >= ids.size, 'an alert from every pod', 30_000).catch(() => undefined)
    const alerts = s.alerts.filter(a => a.rule === RULE && ids.has(String(a.output_fields['container.id'])))
    const f = (a: (typeof alerts)[number]): boolean =>
      ['container.name', 'container.image', 'k8s.pod.name', 'k8s.ns.name'].every(k => a.output_fields[k] !== null && a.output_fields[k] !== '')
    // why the unfilled ones were (Saker's debug log names the container)
    const unfilled = alerts.filter(a => !f(a)).map(a => String(a.output_fields['container.id']))
    const why = s.stderr.split('\n').filter(l => unfilled.some(id => l.includes(`container ${id}`)))
    return { order, pods: ids.size, alerts: alerts.length, filled: alerts.filter(f).length, ms: Date.now() - t0, why }
  } finally {
    await saker?.stop('SIGINT')
    await ctd.destroy()
  }
}

async function main(): Promise<void> {
  const why = skipReason() ?? runtimeSkip('containerd')
  if (why !== null) {
    process.stdout.write(`skipped: ${why}\n`)
    return
  }
  buildImages()
  const dir = mkdtempSync(join(tmpdir(), 'sk-fill-'))
  const rows: Row[] = []
  try {
    for (const order of ['after', 'before', 'restart'] as const) {
      rows.push(await run(order, dir))
      await sleep(500)
    }
  } finally {
    rmSync(dir, { recursive: true, force: true })
    removeImages()
  }
  process.stdout.write('order     pods  alerts  filled  share    time\n')
  for (const r of rows) {
    const share = r.alerts === 0 ? 0 : (100 * r.filled) / r.alerts
    for (const w of r.why) process.stderr.write(`  ${r.order}: ${w}\n`)
    process.stdout.write(`${r.order.padEnd(8)}  ${String(r.pods).padStart(4)}  ${String(r.alerts).padStart(6)}  ${String(r.filled).padStart(6)}  ${share.toFixed(1).padStart(5)}%  ${(r.ms / 1000).toFixed(1)} s\n`)
  }
}

await main()
