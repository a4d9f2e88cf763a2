// Containers and pods in live detection, end to end: bin/saker live with Falco's rules and
// Saker's own (rule_matching: all, so both fire on one event), real runtimes from Debian's
// packages (test/containers/helpers.ts), and the attacks Falco's container rules are about.
//
// Saker starts first and the runtimes after it (as when Saker wins the race at boot): it must
// find their sockets when they appear. The first alert of each new container must already
// carry its name, image, pod and namespace. The -w capture it writes must carry the container
// records, so a replay shows the same fields.

import assert from 'node:assert/strict'
import { execFileSync, spawn, spawnSync } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import {
  BUSYBOX_REF, Containerd, Podman, buildImages, killInCgroup, randomId, removeCgroups, removeImages, sh, skipReason as runtimeSkip, sleep,
} from '../containers/helpers.js'
import { ROOT, SAKER_BIN, Saker, skipReason } from './helpers.js'
import type { Alert } from './helpers.js'

const skip = skipReason() ?? runtimeSkip('containerd') ?? runtimeSkip('podman') ?? (spawnSync('script', ['--version']).status === 0 ? null : 'script (util-linux) is missing')

const SAKER_RULES = ['saker_rules.yaml', 'saker_rules_incubating.yaml', 'saker_rules_sandbox.yaml'].flatMap(f => ['-r', join('rules', f)])

/** The fields the container plugin suggests, as -o append_output suggested_output adds them. */
function fields(a: Alert): Record<string, unknown> {
  const f = a.output_fields
  return { id: f['container.id'], name: f['container.name'], repo: f['container.image.repository'], pod: f['k8s.pod.name'], ns: f['k8s.ns.name'] }
}

describe('containers and pods in live detection', { skip: skip ?? false, timeout: 240_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'sk-e2e-ctr-'))
  const capture = join(dir, 'live.scap')
  let ctd: Containerd
  let pm: Podman
  let saker: Saker
  let pod: { podId: string; containerId: string; uid: string }
  const podName = `web-${randomUUID().slice(0, 6)}`
  const podman = `saker-e2e-${randomId().slice(0, 8)}`
  // a bare runc container in a kubepods cgroup: no runtime knows it
  const runcId = randomId()
  const runcRoot = join(dir, 'runc')
  const runcCgroupRoot = `/kubepods-saker-${runcId.slice(0, 6)}`

  before(async () => {
    buildImages()
    ctd = new Containerd()
    pm = new Podman()
    // runPod mounts <containerd dir>/vol at /data
    mkdirSync(join(ctd.dir, 'vol'))
    execFileSync('gcc', ['-static', '-O1', '-o', join(ctd.dir, 'vol', 'packet_socket'), join(ROOT, 'test', 'e2e', 'progs', 'packet_socket.c')])
    const config = join(dir, 'saker.yaml')
    writeFileSync(config, JSON.stringify({
      priority: 'debug',
      json_output: true,
      append_output: [{ suggested_output: true }],
      stdout_output: { enabled: true },
      // Falco's capture section too: each dump must carry the container records, as -w does
      capture: { enabled: true, mode: 'all_rules', path_prefix: join(dir, 'dump-'), default_duration: 3000 },
      load_plugins: ['container'],
      plugins: [{
        name: 'container', library_path: 'libcontainer.so',
        init_config: {
          engines: {
            docker: { enabled: false }, podman: { sockets: [pm.socket] }, cri: { sockets: [ctd.socket] }, containerd: { sockets: [ctd.socket] },
          },
        },
      }],
    }))
    saker = new Saker(['-c', config, ...SAKER_RULES, '-o', 'rule_matching=all', '-w', capture, ...(process.env.SAKER_E2E_LOG !== undefined ? ['-o', 'log_level=debug'] : [])])
    await saker.ready()
    // the runtimes come up after Saker
    await ctd.start()
    ctd.importImages()
    await pm.start()
    pod = await ctd.runPod(podName, 'shop', { app: 'web', tier: 'front' }, ['sleep', '100000'])
    pm.run(podman, ['--label', 'app=api', BUSYBOX_REF, 'sleep', '100000'])
    // the first events of a new container are what bench/containers/fill-rate measures; here
    // the actions come a moment later, as kubectl exec does, also on a loaded machine
    await sleep(1000)
  })

  after(async () => {
    await saker?.stop('SIGINT')
    if (process.env.SAKER_E2E_LOG !== undefined) {
      writeFileSync(process.env.SAKER_E2E_LOG, saker.stderr + saker.stdout)
      spawnSync('cp', [capture, `${process.env.SAKER_E2E_LOG}.scap`])
    }
    spawnSync('runc', ['--root', runcRoot, 'delete', '-f', runcId], { stdio: 'ignore' })
    killInCgroup(runcCgroupRoot)
    await pm?.destroy()
    await ctd?.destroy()
    for (let i = 0; i < 20; i++) {
      removeCgroups(runcCgroupRoot)
      if (spawnSync('test', ['-d', `/sys/fs/cgroup/memory${runcCgroupRoot}`]).status !== 0) break
      await sleep(250)
    }
    rmSync(dir, { recursive: true, force: true })
    removeImages()
  })

  const inPod = (...argv: string[]): string => ctd.ctr('-n', 'k8s.io', 'task', 'exec', '--exec-id', `e${randomId().slice(0, 8)}`, pod.containerId, ...argv)
  const podFields = (): Record<string, unknown> => ({ id: pod.containerId.slice(0, 12), name: 'app', repo: BUSYBOX_REF.replace(/:[^:/]+$/, ''), pod: podName, ns: 'shop' })
  const ofPod = (a: Alert): boolean => a.output_fields['container.id'] === pod.containerId.slice(0, 12)

  test('an interactive shell exec\'d into the pod: Terminal shell in container, with container and pod fields', async () => {
    // a terminal, as kubectl exec -it gives: script(1) makes the pty ctr -t needs
    const cmd = `ctr --address ${ctd.socket} -n k8s.io task exec -t --exec-id sh${randomId().slice(0, 6)} ${pod.containerId} sh -c 'cat /etc/shadow >/dev/null; exit 0'`
    const r = spawnSync('script', ['-qec', cmd, '/dev/null'], { encoding: 'utf8', timeout: 30_000 })
    assert.equal(r.status, 0, r.stderr + r.stdout)
    const shell = await saker.alert('Terminal shell in container', ofPod)
    assert.deepEqual(fields(shell), podFields())
    const read = await saker.alert('Read sensitive file untrusted', ofPod)
    assert.deepEqual(fields(read), podFields())
    assert.match(String(read.output_fields['fd.name']), /\/etc\/shadow/)
    // Saker's own rules on the same actions
    assert.deepEqual(fields(await saker.alert('Interactive Shell Opened in Container', ofPod)), podFields())
    assert.deepEqual(fields(await saker.alert('Credential File Read by Untrusted Program', ofPod)), podFields())
  })

  test('a reverse shell through busybox nc -e: Redirect STDOUT/STDIN to Network Connection, Netcat Remote Code Execution', async () => {
    // a listener in the pod sends the shell "exit"; nc -e puts the connection on sh's stdin and
    // stdout. nc is exec'd directly: busybox sh runs applets as /proc/self/exe (comm "exe").
    const listener = spawn('ctr', ['--address', ctd.socket, '-n', 'k8s.io', 'task', 'exec', '--exec-id', `l${randomId().slice(0, 8)}`, pod.containerId,
      'sh', '-c', 'echo exit | nc -l -p 4444'], { stdio: 'ignore' })
    const listened = new Promise(r => listener.once('exit', r))
    await sleep(700)
    inPod('nc', '127.0.0.1', '4444', '-e', '/bin/sh')
    await listened
    assert.deepEqual(fields(await saker.alert('Redirect STDOUT/STDIN to Network Connection in Container', ofPod)), podFields())
    assert.deepEqual(fields(await saker.alert('Netcat Remote Code Execution in Container', ofPod)), podFields())
    assert.deepEqual(fields(await saker.alert('Reverse Shell', ofPod)), podFields())
    assert.deepEqual(fields(await saker.alert('Netcat or Socat Running a Program', ofPod)), podFields())
  })

  test('a packet socket (a static program in the pod\'s /data volume): Packet socket created in container', async () => {
    inPod('/data/packet_socket')
    assert.deepEqual(fields(await saker.alert('Packet socket created in container', ofPod)), podFields())
    assert.deepEqual(fields(await saker.alert('Packet Socket Opened', ofPod)), podFields())
  })

  test('a podman container, known through the Docker-compatible API: name and image at its first alert', async () => {
    const full = pm.podman('inspect', '-f', '{{.Id}}', podman)
    pm.podman('exec', podman, 'cat', '/etc/shadow')
    const mine = (a: Alert): boolean => a.output_fields['container.id'] === full.slice(0, 12)
    const read = await saker.alert('Read sensitive file untrusted', mine)
    assert.deepEqual(fields(read), { id: full.slice(0, 12), name: podman, repo: BUSYBOX_REF.replace(/:[^:/]+$/, ''), pod: null, ns: null })
    assert.ok((await saker.alert('Credential File Read by Untrusted Program', mine)).output.includes(`container_name=${podman}`))
  })

  test('a runc container in a kubepods cgroup: no runtime knows it, its alerts carry the id and come through', async () => {
    const bundle = join(dir, 'bundle')
    sh('mkdir', ['-p', bundle])
    sh('runc', ['spec', '--bundle', bundle])
    const spec = JSON.parse(readFileSync(join(bundle, 'config.json'), 'utf8')) as {
      root: unknown; process: { terminal: boolean; args: string[] }; linux: { cgroupsPath: string }
    }
    spec.root = { path: buildImages().rootfs, readonly: true }
    spec.process.terminal = false
    spec.process.args = ['cat', '/etc/shadow']
    spec.linux.cgroupsPath = `${runcCgroupRoot}/besteffort/pod${randomUUID()}/${runcId}`
    writeFileSync(join(bundle, 'config.json'), JSON.stringify(spec))
    const r = spawnSync('runc', ['--root', runcRoot, 'run', '--bundle', bundle, runcId], { stdio: 'ignore', timeout: 30_000 })
    assert.equal(r.status, 0)
    const read = await saker.alert('Read sensitive file untrusted', a => a.output_fields['container.id'] === runcId.slice(0, 12))
    assert.equal(read.output_fields['container.name'], null)
    assert.equal(read.output_fields['k8s.pod.name'], null)
  })

  test('the -w capture carries the container records: a replay shows the same container and pod fields', async () => {
    const exit = await saker.stop('SIGINT')
    assert.equal(exit.code, 0, saker.stderr.slice(-2000))
    const rule = join(dir, 'replay_rules.yaml')
    writeFileSync(rule, `- rule: Shadow read in a container
  desc: test
  condition: evt.type in (open, openat, openat2) and fd.name = /etc/shadow and container.id != host
  output: read (id=%container.id name=%container.name repo=%container.image.repository pod=%k8s.pod.name ns=%k8s.ns.name)
  priority: WARNING
`)
    const replayAlerts = (file: string): Alert[] => {
      const out = spawnSync(process.execPath, [SAKER_BIN, '-o', 'json_output=true', '-o', 'stdout_output.enabled=true', '-o', 'engine.kind=replay',
        '-o', `engine.replay.capture_file=${file}`, '-r', rule], { cwd: ROOT, encoding: 'utf8', timeout: 120_000 })
      assert.equal(out.status, 0, out.stderr.slice(-2000))
      return out.stdout.split('\n').filter(l => l.startsWith('{')).map(l => JSON.parse(l) as Alert)
    }
    const alerts = replayAlerts(capture)
    const fromPod = alerts.find(ofPod)
    assert.ok(fromPod !== undefined, `no alert of the pod in the replay (${alerts.length} alerts)`)
    assert.deepEqual(fields(fromPod), podFields())
    assert.ok(alerts.some(a => a.output_fields['container.name'] === podman), 'the podman container in the replay')
    // the capture section's dumps: the one holding the pod's /etc/shadow read knows the pod too
    const dumps = readdirSync(dir).filter(f => f.startsWith('dump-')).map(f => join(dir, f))
    assert.ok(dumps.length > 0, 'no capture dump written')
    const dumped = dumps.flatMap(replayAlerts).filter(ofPod)
    assert.ok(dumped.length > 0, `no alert of the pod in the ${dumps.length} dumps`)
    for (const a of dumped) assert.deepEqual(fields(a), podFields())
  })
})
