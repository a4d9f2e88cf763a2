// Ordinary work under Saker's default rules: saker started as `make run` starts it
// (config/saker.yaml, the stable rules), JSON alerts to a file, while this machine does what a
// developer or an admin does on a normal day, one phase after another:
//
//   npm ci      in a copy of this project
//   build       the copy's TypeScript build (npx tsc -p) and its driver (make -C driver)
//   apt         apt-get install of a small package that is not installed, then its removal
//   container   a runc container (busybox rootfs) started, exec'd into, and deleted
//   podman      the same rootfs loaded as an image, run and removed with podman (when installed)
//
// Each phase runs in a session of its own; an alert belongs to a phase when it comes from that
// session (proc.sid) or from the phase's container. The target is zero alerts in every phase.
// Alerts raised meanwhile by other programs on the machine are counted apart ("elsewhere").
// Printed: each phase's wall time, its alert count and the alerts. Needs root, the built
// driver, network access to the npm and Debian registries, runc and busybox.
//
//   node dist/bench/rules/ordinary-work.bench.js [apt-package]   (default: hello)
import { spawn, spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, copyFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const APT_PACKAGE = process.argv[2] ?? 'hello'

const root = (() => {
  let d = dirname(fileURLToPath(import.meta.url))
  while (!existsSync(join(d, 'package.json'))) d = dirname(d)
  return d
})()

interface Alert {
  rule: string
  output: string
  output_fields: Record<string, unknown>
}

interface Phase {
  name: string
  /** Shell text run with sh -e in a new session. */
  script: string
  /** The container id (12 hex digits) the phase starts, if any. */
  containerId?: string
}

const sleep = (ms: number): Promise<void> => new Promise(r => setTimeout(r, ms))

function skip(why: string): never {
  console.log(`ordinary-work: SKIPPED, ${why}`)
  process.exit(0)
}

if (process.getuid?.() !== 0) skip('needs root (live capture, apt-get, runc)')
if (!existsSync(join(root, 'driver', 'build', 'saker.node'))) skip('the driver is not built (make build)')
for (const tool of ['runc', 'busybox', 'apt-get', 'npm']) {
  if (spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0) skip(`${tool} is not installed`)
}
const aptInstalled = spawnSync('dpkg-query', ['-W', '-f=${Status}', APT_PACKAGE], { encoding: 'utf8' }).stdout.includes('install ok installed')
if (aptInstalled) skip(`${APT_PACKAGE} is installed already: name a package that is not`)

const work = mkdtempSync(join(tmpdir(), 'saker-ordinary-'))
const alertsFile = join(work, 'alerts.json')

// The copy of the project: its sources without build output or dependencies.
const copy = join(work, 'project')
mkdirSync(copy)
spawnSync('sh', ['-c', `tar -C "${root}" --exclude=./node_modules --exclude=./dist --exclude=./driver/build --exclude=./.git -cf - . | tar -C "${copy}" -xf -`], { stdio: 'inherit' })

// A runc bundle: busybox with relative links (runc refuses absolute ones), in a kubepods cgroup.
const cid = Array.from({ length: 64 }, () => '0123456789abcdef'[Math.floor(Math.random() * 16)]).join('')
const bundle = join(work, 'bundle')
const rootfs = join(bundle, 'rootfs')
for (const d of ['bin', 'etc', 'proc', 'sys', 'dev', 'tmp', 'root']) mkdirSync(join(rootfs, d), { recursive: true })
copyFileSync(spawnSync('sh', ['-c', 'command -v busybox'], { encoding: 'utf8' }).stdout.trim(), join(rootfs, 'bin', 'busybox'))
for (const applet of spawnSync(join(rootfs, 'bin', 'busybox'), ['--list'], { encoding: 'utf8' }).stdout.split('\n')) {
  if (applet !== '' && applet !== 'busybox') symlinkSync('busybox', join(rootfs, 'bin', applet))
}
writeFileSync(join(rootfs, 'etc', 'passwd'), 'root:x:0:0:root:/root:/bin/sh\n')
spawnSync('runc', ['spec'], { cwd: bundle })
const spec = JSON.parse(readFileSync(join(bundle, 'config.json'), 'utf8'))
spec.process.terminal = false
spec.process.args = ['sleep', '100000']
spec.root = { path: rootfs, readonly: false }
spec.linux.cgroupsPath = `/kubepods/besteffort/pod-saker-bench/${cid}`
writeFileSync(join(bundle, 'config.json'), JSON.stringify(spec))

// The same rootfs as an image for podman, when podman and the image recipe of ../shared are here.
const makeImage = join(root, '..', 'shared', 'recipes', 'containers', 'make-image.sh')
const image = 'docker.io/local/saker-bench:1'
const imageTar = join(work, 'image.tar')
const withPodman = spawnSync('sh', ['-c', 'command -v podman']).status === 0 && existsSync(makeImage)
  && spawnSync('sh', [makeImage, rootfs, image, imageTar, '/bin/sh'], { stdio: 'inherit' }).status === 0

const phases: Phase[] = [
  { name: 'npm ci', script: `cd "${copy}" && npm ci --no-audit --no-fund --loglevel=error` },
  { name: 'build', script: `cd "${copy}" && npx tsc -p tsconfig.json && make -C driver` },
  {
    name: 'apt',
    script: `export DEBIAN_FRONTEND=noninteractive; apt-get install -y -q --no-install-recommends ${APT_PACKAGE} >/dev/null
      apt-get remove -y -q --purge ${APT_PACKAGE} >/dev/null`,
  },
  {
    name: 'container',
    containerId: cid.slice(0, 12),
    script: `runc run -d --bundle "${bundle}" ${cid} </dev/null >/dev/null
      runc exec ${cid} sh -c 'echo hello from $(hostname); ls / >/dev/null; cat /etc/passwd >/dev/null'
      runc delete -f ${cid}
      rmdir /sys/fs/cgroup/*/kubepods/besteffort/pod-saker-bench 2>/dev/null || true`,
  },
  // podman's limits must stay below this VM's hard limits (no CAP_SYS_RESOURCE)
  ...(withPodman ? [{
    name: 'podman',
    script: `podman load -q -i "${imageTar}"
      podman run --rm --network none --ulimit nofile=1024:1024 --ulimit nproc=1024:1024 ${image} sh -c 'echo hello from podman; ls / >/dev/null'
      podman rmi -f ${image} >/dev/null`,
  }] : []),
]

function readAlerts(): Alert[] {
  if (!existsSync(alertsFile)) return []
  return readFileSync(alertsFile, 'utf8').split('\n').filter(l => l.startsWith('{')).map(l => JSON.parse(l) as Alert)
}

/** Runs `script` in a new session; resolves with its session id and whether it succeeded. */
function runPhase(script: string): Promise<{ sid: number; ok: boolean }> {
  return new Promise((resolve, reject) => {
    const child = spawn('sh', ['-ec', script], { detached: true, stdio: ['ignore', 'inherit', 'inherit'] })
    child.on('error', reject)
    child.on('exit', code => resolve({ sid: child.pid!, ok: code === 0 }))
  })
}

// A marker whose alert is known: once it is in the file, Saker processed everything before it.
// Repeated every 5 s, in case a busy machine makes the probe drop it.
let markers = 0
async function settle(): Promise<void> {
  const dir = `/nonexistent-saker-marker-${++markers}`
  const deadline = Date.now() + 60_000
  for (let next = 0; !readAlerts().some(a => String(a.output_fields['proc.cmdline']).startsWith(`find ${dir} `));) {
    if (saker.exitCode !== null || saker.signalCode !== null) throw new Error(`saker stopped (${saker.exitCode ?? saker.signalCode}): ${log.slice(-2000)}`)
    if (Date.now() > deadline) throw new Error('no marker alert arrived in 60 s')
    if (Date.now() >= next) {
      spawnSync('find', [dir, '-name', 'id_rsa'])
      next = Date.now() + 5000
    }
    await sleep(200)
  }
}

const saker = spawn(process.execPath, [join(root, 'bin', 'saker'), '-c', 'config/saker.yaml',
  '-o', 'json_output=true', '-o', 'stdout_output.enabled=false', '-o', 'file_output.enabled=true',
  '-o', `file_output.filename=${alertsFile}`, '-o', 'webserver.enabled=false', '-o', 'log_level=info',
  '-o', 'append_output[].extra_fields[].bench_sid=%proc.sid'], { cwd: root, stdio: ['ignore', 'ignore', 'pipe'] })
let log = ''
saker.stderr.setEncoding('utf8').on('data', (d: string) => { log += d })
for (const deadline = Date.now() + 60_000; !log.includes('Live capture started');) {
  if (saker.exitCode !== null || Date.now() > deadline) {
    console.error(log)
    throw new Error('saker did not start')
  }
  await sleep(100)
}
const rulesLine = /Loading rules from:\s+(\S+)/.exec(log)?.[1]
console.log(`saker -c config/saker.yaml (rules: ${rulesLine}), alerts in ${alertsFile}`)
console.log(`load: ${readFileSync('/proc/loadavg', 'utf8').trim()}`)

let total = 0
try {
  for (const p of phases) {
    await settle()
    const before = readAlerts().length
    const t0 = performance.now()
    const { sid, ok } = await runPhase(p.script)
    const seconds = (performance.now() - t0) / 1000
    await settle()
    const raised = readAlerts().slice(before)
    // drops mean events were lost: a phase with drops may have missed alerts
    const dropAlerts = raised.filter(a => a.rule === 'Falco internal: syscall event drop').length
    const during = raised.filter(a => a.rule !== 'Falco internal: syscall event drop'
      && !String(a.output_fields['proc.cmdline']).startsWith('find /nonexistent-saker-marker-'))
    const mine = during.filter(a => String(a.output_fields.bench_sid) === String(sid)
      || (p.containerId !== undefined && a.output_fields['container.id'] === p.containerId))
    total += mine.length
    console.log(`\n== ${p.name}: ${seconds.toFixed(1)} s${ok ? '' : ' (FAILED: see its output above)'}, ${mine.length} alert(s)` +
      `, ${during.length - mine.length} elsewhere on the machine, ${dropAlerts} event drop alert(s)`)
    for (const a of mine) console.log(`   ${a.rule}: ${a.output}`)
    const elsewhere = new Map<string, number>()
    for (const a of during.filter(x => !mine.includes(x))) {
      const k = `${a.rule}: ${String(a.output_fields['proc.name'])}`
      elsewhere.set(k, (elsewhere.get(k) ?? 0) + 1)
    }
    for (const [k, n] of elsewhere) console.log(`   (elsewhere) ${n} x ${k}`)
  }
} finally {
  if (saker.exitCode === null && saker.signalCode === null) {
    saker.kill('SIGINT')
    await new Promise(r => saker.once('exit', r))
  }
  rmSync(work, { recursive: true, force: true })
}
const drops = /event drop detected: (\d+) occurrences/.exec(log)?.[1] ?? '?'
console.log(`\nordinary work: ${total} alert(s) from the default stable rules (target 0); drop notices: ${drops}`)
