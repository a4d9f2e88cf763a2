// Real container runtimes for the tests, each isolated from the machine's own: a busybox
// image built here (no registry), containerd with its own root, state and socket in a
// temporary folder, podman's API service on its own socket, runc with its own state root.
// Everything a helper starts it also stops, by pid; cgroup folders it made are removed.

import { execFileSync, spawn, spawnSync } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { createHash, randomBytes, randomUUID } from 'node:crypto'
import {
  copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, rmdirSync, symlinkSync, writeFileSync,
} from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { GrpcChannel } from '../../src/containers/grpc.js'
import { Writer, parse, str } from '../../src/containers/protobuf.js'

export const sleep = (ms: number): Promise<void> => new Promise(r => setTimeout(r, ms))

export function which(bin: string): string | null {
  for (const d of (process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin').split(':').concat(['/usr/sbin', '/usr/bin', '/sbin'])) {
    if (existsSync(join(d, bin))) return join(d, bin)
  }
  return null
}

/** The Debian packages these tests use (scripts/install-deps.sh installs them). */
export const PACKAGES = {
  runc: ['runc', 'busybox-static'],
  containerd: ['containerd', 'runc', 'busybox-static', 'containernetworking-plugins'],
  podman: ['podman', 'runc', 'busybox-static'],
} as const

/** Why a runtime's tests cannot run here (null when they can). */
export function skipReason(kind: keyof typeof PACKAGES): string | null {
  if (process.platform !== 'linux') return 'containers need Linux'
  if (process.getuid?.() !== 0) return 'running containers needs root'
  const bins: Record<string, string> = { runc: 'runc', 'busybox-static': 'busybox', containerd: 'containerd', podman: 'podman', 'containernetworking-plugins': '' }
  const missing = PACKAGES[kind].filter(p => (bins[p] === '' ? !existsSync('/usr/lib/cni/bridge') : which(bins[p]!) === null))
  if (missing.length > 0) return `Debian packages missing: ${missing.join(' ')} (apt-get install ${PACKAGES[kind].join(' ')}; scripts/install-deps.sh should have them)`
  return null
}

export function sh(file: string, args: string[], opts: { env?: NodeJS.ProcessEnv; input?: string } = {}): string {
  const r = spawnSync(file, args, { encoding: 'utf8', env: opts.env ?? process.env, input: opts.input, timeout: 60_000 })
  if (r.error) throw r.error
  if (r.status !== 0) throw new Error(`${file} ${args.join(' ')} exited with ${r.status}: ${r.stderr.trim()}`)
  return r.stdout.trim()
}

export const randomId = (): string => randomBytes(32).toString('hex')

// ---------------------------------------------------------------------------------------
// Images: a busybox rootfs as docker-save tarballs (one layer), for `ctr images import` and
// `podman load`. The pause image is the same busybox sleeping forever.

export interface Images {
  dir: string
  rootfs: string
  busybox: string
  pause: string
}

let images: Images | null = null

function imageTar(rootfs: string, ref: string, out: string, cmd: string[]): void {
  const w = mkdtempSync(join(tmpdir(), 'saker-img-'))
  try {
    const layer = join(w, 'layer.tar')
    sh('tar', ['-C', rootfs, '--numeric-owner', '-cf', layer, '.'])
    const diffId = 'sha256:' + createHash('sha256').update(readFileSync(layer)).digest('hex')
    const config = JSON.stringify({
      architecture: 'amd64', os: 'linux',
      config: { Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'], Cmd: cmd, WorkingDir: '/' },
      rootfs: { type: 'layers', diff_ids: [diffId] },
      history: [{ created_by: 'saker test helpers' }],
    })
    const cfgName = createHash('sha256').update(config).digest('hex') + '.json'
    writeFileSync(join(w, cfgName), config)
    writeFileSync(join(w, 'manifest.json'), JSON.stringify([{ Config: cfgName, RepoTags: [ref], Layers: ['layer.tar'] }]))
    sh('tar', ['-C', w, '-cf', out, 'manifest.json', cfgName, 'layer.tar'])
  } finally {
    rmSync(w, { recursive: true, force: true })
  }
}

export const BUSYBOX_REF = 'docker.io/local/busybox:test'
export const PAUSE_REF = 'registry.k8s.io/pause:3.6'

export function buildImages(): Images {
  if (images !== null) return images
  const dir = mkdtempSync(join(tmpdir(), 'saker-images-'))
  const rootfs = join(dir, 'rootfs')
  for (const d of ['bin', 'etc', 'proc', 'sys', 'dev', 'tmp', 'root']) mkdirSync(join(rootfs, d), { recursive: true })
  copyFileSync(which('busybox')!, join(rootfs, 'bin/busybox'))
  for (const a of sh(join(rootfs, 'bin/busybox'), ['--list']).split('\n')) {
    if (a !== '' && a !== 'busybox') symlinkSync('busybox', join(rootfs, 'bin', a)) // relative links
  }
  writeFileSync(join(rootfs, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\n')
  writeFileSync(join(rootfs, 'etc/group'), 'root:x:0:\n')
  // something for the "sensitive file" rules to see read
  writeFileSync(join(rootfs, 'etc/shadow'), 'root:*:19000:0:99999:7:::\n', { mode: 0o600 })
  images = { dir, rootfs, busybox: join(dir, 'busybox.tar'), pause: join(dir, 'pause.tar') }
  imageTar(rootfs, BUSYBOX_REF, images.busybox, ['/bin/sh'])
  imageTar(rootfs, PAUSE_REF, images.pause, ['/bin/sleep', '2147483647'])
  return images
}

export function removeImages(): void {
  if (images !== null) rmSync(images.dir, { recursive: true, force: true })
  images = null
}

/** Removes the (empty) cgroup folders under every hierarchy's `rel` path, deepest first. */
export function removeCgroups(rel: string): void {
  const roots = ['/sys/fs/cgroup', '/sys/fs/cgroup/unified']
  try {
    for (const e of readdirSync('/sys/fs/cgroup')) roots.push(join('/sys/fs/cgroup', e))
  } catch {
    return
  }
  for (const r of new Set(roots)) {
    const top = join(r, rel)
    if (!existsSync(top)) continue
    const dirs: string[] = []
    const walk = (d: string): void => {
      dirs.push(d)
      try {
        for (const e of readdirSync(d, { withFileTypes: true })) if (e.isDirectory()) walk(join(d, e.name))
      } catch {
        // gone
      }
    }
    walk(top)
    for (const d of dirs.reverse()) {
      try {
        rmdirSync(d)
      } catch {
        // still in use, or a file-only level
      }
    }
  }
}

/** The cgroup paths of a process (the part after the second colon of each line). */
export function procCgroups(pid: number): string[] {
  return readFileSync(`/proc/${pid}/cgroup`, 'utf8').trim().split('\n').map(l => l.split(':').slice(2).join(':'))
}

/** SIGKILLs the processes (by pid) whose cgroup path lies under `root` (containers this test made). */
export function killInCgroup(root: string): void {
  for (const p of readdirSync('/proc')) {
    if (!/^\d+$/.test(p)) continue
    try {
      if (readFileSync(`/proc/${p}/cgroup`, 'utf8').includes(`:${root}/`)) process.kill(Number(p), 'SIGKILL')
    } catch {
      // gone
    }
  }
}

function killByCmdline(needle: string): void {
  for (const p of readdirSync('/proc')) {
    if (!/^\d+$/.test(p)) continue
    try {
      const cmd = readFileSync(`/proc/${p}/cmdline`, 'utf8')
      if (cmd.includes(needle)) process.kill(Number(p), 'SIGKILL')
    } catch {
      // gone
    }
  }
}

function unmountUnder(dir: string): void {
  const mounts = readFileSync('/proc/self/mounts', 'utf8').split('\n').map(l => l.split(' ')[1] ?? '').filter(m => m.startsWith(dir + '/'))
  for (const m of mounts.sort().reverse()) spawnSync('umount', ['-l', m])
}

// ---------------------------------------------------------------------------------------
// containerd, isolated: its own root, state, socket, CNI config and bridge.

export class Containerd {
  readonly dir: string
  readonly socket: string
  readonly cgroupRoot = `/kubepods-saker-${randomBytes(3).toString('hex')}`
  private proc: ChildProcess | null = null
  private cri: GrpcChannel | null = null
  readonly pods: string[] = []
  private readonly bridge = `sk${randomBytes(3).toString('hex')}`

  constructor() {
    // Short: a unix socket path must fit in 108 bytes.
    this.dir = mkdtempSync(join(tmpdir(), 'sk-ctd-'))
    this.socket = join(this.dir, 'c.sock')
    const cni = join(this.dir, 'cni')
    mkdirSync(cni)
    const net = 10 + Math.floor(Math.random() * 200)
    writeFileSync(join(cni, '10-saker.conflist'), JSON.stringify({
      cniVersion: '0.4.0', name: 'saker-test',
      plugins: [{
        type: 'bridge', bridge: this.bridge, isGateway: true, ipMasq: false,
        ipam: { type: 'host-local', dataDir: join(this.dir, 'ipam'), routes: [{ dst: '0.0.0.0/0' }], ranges: [[{ subnet: `10.${net}.77.0/24` }]] },
      }],
    }))
    // The VM lacks CAP_SYS_RESOURCE: a negative oom_score_adj would fail (restrict_oom_score_adj).
    writeFileSync(join(this.dir, 'config.toml'), `version = 2
root = "${this.dir}/root"
state = "${this.dir}/state"
[grpc]
  address = "${this.socket}"
[ttrpc]
  address = "${this.socket}.ttrpc"
[debug]
  address = ""
[plugins]
  [plugins."io.containerd.grpc.v1.cri"]
    restrict_oom_score_adj = true
    sandbox_image = "${PAUSE_REF}"
    [plugins."io.containerd.grpc.v1.cri".cni]
      bin_dir = "/usr/lib/cni"
      conf_dir = "${cni}"
`)
  }

  /** Starts (or restarts) containerd; resolves once it answers. */
  async start(): Promise<void> {
    const log = join(this.dir, 'containerd.log')
    const { openSync } = await import('node:fs')
    const fd = openSync(log, 'a')
    this.proc = spawn('containerd', ['--config', join(this.dir, 'config.toml')], { stdio: ['ignore', fd, fd] })
    let up = false
    for (let i = 0; i < 100 && !up; i++) {
      up = existsSync(this.socket) && spawnSync('ctr', ['--address', this.socket, 'version'], { timeout: 2000 }).status === 0
      if (!up) await sleep(100)
    }
    // the CRI plugin answers a moment later ("server is not initialized yet")
    for (let i = 0; up && i < 100; i++) {
      if (await this.rt('Version', Buffer.alloc(0)).then(() => true, () => false)) return
      this.cri?.close()
      this.cri = null
      await sleep(100)
    }
    throw new Error(`containerd did not start: ${readFileSync(log, 'utf8').slice(-2000)}`)
  }

  /** Stops containerd (its containers' shims go on running, as on a real node). */
  async stop(): Promise<void> {
    const p = this.proc
    this.proc = null
    this.cri?.close()
    this.cri = null
    if (p === null || p.exitCode !== null) return
    const exited = new Promise(r => p.once('exit', r))
    p.kill('SIGTERM')
    await Promise.race([exited, sleep(5000)])
    if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL')
  }

  ctr(...args: string[]): string {
    return sh('ctr', ['--address', this.socket, ...args])
  }

  importImages(ns = 'k8s.io'): void {
    const im = buildImages()
    this.ctr('-n', ns, 'images', 'import', im.busybox)
    this.ctr('-n', ns, 'images', 'import', im.pause)
  }

  private rt(method: string, body: Buffer): Promise<Buffer> {
    if (this.cri === null) this.cri = new GrpcChannel(this.socket)
    return this.cri.unary(`/runtime.v1.RuntimeService/${method}`, body, 60_000).then(r => {
      if (!r.ok) throw new Error(`CRI ${method}: ${r.message} (code ${r.code})`)
      return r.message
    })
  }

  /** A kubelet-like pod: RunPodSandbox, CreateContainer, StartContainer (as recipes/containers/cri_pod.py). */
  async runPod(name: string, namespace: string, podLabels: Record<string, string>, argv: string[]): Promise<{ podId: string; containerId: string; uid: string }> {
    const uid = randomUUID()
    const logDir = join(this.dir, 'pods', `${namespace}_${name}_${uid}`)
    mkdirSync(logDir, { recursive: true })
    const map = (w: Writer, field: number, m: Record<string, string>): Writer => {
      for (const [k, v] of Object.entries(m)) w.message(field, new Writer().string(1, k).string(2, v))
      return w
    }
    const labels = { 'io.kubernetes.pod.name': name, 'io.kubernetes.pod.namespace': namespace, 'io.kubernetes.pod.uid': uid, ...podLabels }
    const meta = new Writer().string(1, name).string(2, uid).string(3, namespace)
    // PodSandboxConfig: metadata 1, hostname 2, log_directory 3, labels 6, annotations 7,
    // linux 8 (cgroup_parent 1, cgroupfs style as the kubelet sends it).
    const sandboxConfig = map(map(new Writer().message(1, meta).string(2, name).string(3, logDir), 6, labels), 7, { 'saker.test/annotation': 'yes' })
      .message(8, new Writer().string(1, `${this.cgroupRoot}/besteffort/pod${uid}`))
    const podId = str(parse(await this.rt('RunPodSandbox', new Writer().message(1, sandboxConfig).finish())), 1)
    this.pods.push(podId)
    const clabels = { 'io.kubernetes.pod.name': name, 'io.kubernetes.pod.namespace': namespace, 'io.kubernetes.pod.uid': uid, 'io.kubernetes.container.name': 'app' }
    const cc = new Writer().message(1, new Writer().string(1, 'app')).message(2, new Writer().string(1, BUSYBOX_REF))
    for (const a of argv) cc.string(3, a)
    // ContainerConfig: envs 6 (key 1, value 2), mounts 7 (container_path 1, host_path 2, readonly 3, propagation 5).
    cc.message(6, new Writer().string(1, 'GREETING').string(2, 'hello'))
    const vol = join(this.dir, 'vol')
    mkdirSync(vol, { recursive: true })
    cc.message(7, new Writer().string(1, '/data').string(2, vol).bool(3, true))
    map(cc, 9, clabels).string(11, 'app/0.log')
    const cid = str(parse(await this.rt('CreateContainer', new Writer().string(1, podId).message(2, cc).message(3, sandboxConfig).finish())), 1)
    await this.rt('StartContainer', new Writer().string(1, cid).finish())
    return { podId, containerId: cid, uid }
  }

  /** The host pid of a CRI container (ContainerStatus verbose info). */
  async criPid(id: string): Promise<number> {
    const m = parse(await this.rt('ContainerStatus', new Writer().string(1, id).bool(2, true).finish()))
    for (const e of m.get(2) ?? []) {
      const kv = parse(e as Buffer)
      if (str(kv, 1) === 'info') return (JSON.parse(str(kv, 2)) as { pid: number }).pid
    }
    throw new Error('no pid in ContainerStatus info')
  }

  async removePods(): Promise<void> {
    for (const id of this.pods.splice(0)) {
      await this.rt('StopPodSandbox', new Writer().string(1, id).finish()).catch(() => undefined)
      await this.rt('RemovePodSandbox', new Writer().string(1, id).finish()).catch(() => undefined)
    }
  }

  /** Everything down: pods, containerd, leftover shims of this instance, mounts, folders, cgroups. */
  async destroy(): Promise<void> {
    // Pods hold network namespaces and veths that only the CRI plugin knows how to release.
    if (this.pods.length > 0 && this.proc === null) await this.start().catch(() => undefined)
    if (this.proc !== null) await this.removePods().catch(() => undefined)
    await this.stop()
    killByCmdline(this.socket)
    killInCgroup(this.cgroupRoot)
    await sleep(300)
    unmountUnder(this.dir)
    rmSync(this.dir, { recursive: true, force: true })
    spawnSync('ip', ['link', 'del', this.bridge], { stdio: 'ignore' })
    for (let i = 0; i < 20; i++) {
      removeCgroups(this.cgroupRoot)
      if (!existsSync(join('/sys/fs/cgroup/memory', this.cgroupRoot))) break
      await sleep(250) // the init here reaps orphans a little late
    }
  }
}

// ---------------------------------------------------------------------------------------
// Podman's API service on a socket of its own, with a containers.conf of its own.

export class Podman {
  readonly dir: string
  readonly socket: string
  readonly env: NodeJS.ProcessEnv
  private service: ChildProcess | null = null
  readonly names: string[] = []

  constructor() {
    this.dir = mkdtempSync(join(tmpdir(), 'sk-pm-'))
    this.socket = join(this.dir, 'p.sock')
    // crun refuses hybrid cgroups here; rlimits must stay within the hard limits (no CAP_SYS_RESOURCE).
    const hardNofile = sh('sh', ['-c', 'ulimit -Hn'])
    writeFileSync(join(this.dir, 'containers.conf'), `[containers]
default_ulimits = ["nofile=${hardNofile}:${hardNofile}", "nproc=32768:32768"]
[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
`)
    this.env = { ...process.env, CONTAINERS_CONF: join(this.dir, 'containers.conf') }
  }

  podman(...args: string[]): string {
    return sh('podman', args, { env: this.env })
  }

  async start(): Promise<void> {
    this.podman('load', '-i', buildImages().busybox)
    this.service = spawn('podman', ['system', 'service', '--time=0', `unix://${this.socket}`], { env: this.env, stdio: 'ignore' })
    for (let i = 0; i < 100 && !existsSync(this.socket); i++) await sleep(100)
    if (!existsSync(this.socket)) throw new Error('podman system service did not make its socket')
  }

  run(name: string, args: string[]): string {
    this.names.push(name)
    return this.podman('run', '-d', '--name', name, ...args)
  }

  async destroy(): Promise<void> {
    for (const n of this.names.splice(0)) spawnSync('podman', ['rm', '-f', '-t', '0', n], { env: this.env })
    spawnSync('podman', ['rmi', BUSYBOX_REF], { env: this.env, stdio: 'ignore' })
    const s = this.service
    this.service = null
    if (s !== null && s.exitCode === null) {
      const exited = new Promise(r => s.once('exit', r))
      s.kill('SIGTERM')
      await Promise.race([exited, sleep(3000)])
      if (s.exitCode === null) s.kill('SIGKILL')
    }
    rmSync(this.dir, { recursive: true, force: true })
  }
}

export function execOk(file: string, args: string[]): boolean {
  try {
    execFileSync(file, args, { stdio: 'ignore' })
    return true
  } catch {
    return false
  }
}
