// The host's state before the first live event, read from /proc as libscap's procfs scan
// does (userspace/libscap/linux/scap_procs.c, scap_fds.c, scap_cgroup.c): every process and
// thread, each process's open fds, the host's users and groups, the machine and its network
// interfaces. The result is a CaptureSection, exactly what a capture's metadata blocks give,
// so SystemState.loadCapture seeds live mode the way it seeds a replay, and a capture written
// with -w carries the same process and fd lists.
//
// Everything here runs while processes come and go: a process that vanishes between two
// reads (ENOENT, ESRCH) is skipped or keeps the fields read so far; nothing throws.
// Sizes follow scap's limits (args and env 4096 bytes, paths 1024), and the fd list of one
// process is capped, so a hostile process cannot make the scan unbounded.

import { accessSync, constants as fsc, readdirSync, readFileSync, readlinkSync, statSync } from 'node:fs'
import os from 'node:os'
import { ipv4ToString, ipv6ToString } from '../../events/params.js'
import type {
  CaptureSection, FdInfo, GroupInfo, InterfaceInfo, MachineInfo, ThreadInfo, UserInfo,
} from '../../capture/types.js'
import { FD_TYPE, L4PROTO } from '../../capture/types.js'
import { O } from '../../state/constants.js'
import type { GroupEntry, HostAccounts, UserEntry } from '../../state/users.js'

/** SCAP_MAX_ARGS_SIZE / SCAP_MAX_ENV_SIZE: bytes of cmdline and environ kept. */
export const MAX_ARGS_BYTES = 4096
/** SCAP_MAX_PATH_SIZE less the NUL: the longest path kept. */
export const MAX_PATH_BYTES = 1023
/** scap_limits.h SCAP_MAX_CGROUPS_SIZE. */
const MAX_CGROUPS_BYTES = 4096
/** The most fds read for one process (libsinsp's fd table holds 4096 per process). */
export const MAX_FDS_PER_PROCESS = 4096

const PPM_CL_CLONE_FILES = 1
const PPM_CL_CLONE_THREAD = 0x2000
const NO_ID = 0xffffffff

export interface ProcfsOptions {
  /** Where procfs is mounted (tests point it elsewhere). Default /proc. */
  procRoot?: string
  /** Where /etc/passwd and /etc/group live. Default /etc. */
  etcRoot?: string
  /** Read open fds (default true); sockets are resolved from the netns tables. */
  fds?: boolean
  /** Stop after this many threads (falco_libs.thread_table_size). Default unlimited. */
  maxThreads?: number
}

export interface ProcfsScan {
  section: CaptureSection
  /** Entries read, and those skipped because they vanished or are kernel threads. */
  stats: { processes: number; threads: number; fds: number; skipped: number; ms: number }
}

// ---------------------------------------------------------------------------------------
// small readers that never throw

function readText(path: string, max = 1 << 20): string | null {
  try {
    const b = readFileSync(path)
    return (b.length > max ? b.subarray(0, max) : b).toString('utf8')
  } catch {
    return null
  }
}

function readBytes(path: string): Buffer | null {
  try {
    return readFileSync(path)
  } catch {
    return null
  }
}

function readLink(path: string): string | null {
  try {
    return readlinkSync(path)
  } catch {
    return null
  }
}

function listDir(path: string): string[] {
  try {
    return readdirSync(path)
  } catch {
    return []
  }
}

/** The first `max` bytes as text, cut at a character boundary as scap's byte limit does. */
function clip(s: string, max: number): string {
  if (s.length <= max / 4) return s
  const b = Buffer.from(s, 'utf8')
  return b.length <= max ? s : b.subarray(0, max).toString('utf8').replace(/\uFFFD+$/, '')
}

/** NUL-separated strings, at most `max` bytes of them (scap reads that much of the file). */
function nulList(b: Buffer | null, max: number): string[] {
  if (b === null || b.length === 0) return []
  let end = Math.min(b.length, max)
  if (end > 0 && b[end - 1] === 0) end--
  if (end <= 0) return []
  return b.subarray(0, end).toString('utf8').split('\0')
}

function newThread(): ThreadInfo {
  return {
    tid: 0, pid: 0, ptid: 0, sid: 0, vpgid: 0, pgid: -1, comm: '', exe: '', exepath: '', args: [], cwd: '',
    env: [], fdlimit: -1, flags: 0, uid: NO_ID, gid: NO_ID, loginuid: NO_ID, vmsizeKb: 0, vmrssKb: 0, vmswapKb: 0,
    pfmajor: 0, pfminor: 0, vtid: 0, vpid: 0, cgroups: [], root: '', cloneTs: 0n, tty: 0, exeWritable: false,
    exeUpperLayer: false, exeLowerLayer: false, exeFromMemfd: false, exeIno: 0n, exeInoCtime: 0n, exeInoMtime: 0n,
    capInheritable: 0n, capPermitted: 0n, capEffective: 0n, pidnsInitStartTs: 0n, filteredOut: false, fds: [],
  }
}

function newFd(fd: number, type: number): FdInfo {
  return {
    fd, ino: 0n, type, name: '', openFlags: 0, dev: 0, mountId: 0, l4proto: 0,
    sip: '', sport: 0, dip: '', dport: 0, ip: '', port: 0, source: 0n, dest: 0n,
  }
}

// ---------------------------------------------------------------------------------------
// threads

/** Linux open(2) flags (fdinfo's octal `flags:`) as PPM_O_* (scap's open_flags_to_scap). */
export function openFlagsToPpm(flags: number): number {
  let res: number
  switch (flags & 3) {
    case 1: res = 1 << 1; break // O_WRONLY
    case 2: res = (1 << 0) | (1 << 1); break // O_RDWR
    default: res = 1 << 0 // O_RDONLY
  }
  if (flags & 0o100) res |= 1 << 2 // O_CREAT
  if (flags & 0o2000) res |= 1 << 3 // O_APPEND
  if (flags & 0o10000) res |= 1 << 4 // O_DSYNC
  if (flags & 0o200) res |= 1 << 5 // O_EXCL
  if (flags & 0o4000) res |= 1 << 6 // O_NONBLOCK
  if ((flags & 0o4010000) === 0o4010000) res |= 1 << 7 // O_SYNC (includes O_DSYNC)
  if (flags & 0o1000) res |= 1 << 8 // O_TRUNC
  if (flags & 0o40000) res |= 1 << 9 // O_DIRECT
  if (flags & 0o200000) res |= 1 << 10 // O_DIRECTORY
  if (flags & 0o100000) res |= 1 << 11 // O_LARGEFILE
  if (flags & 0o2000000) res |= O.CLOEXEC
  if ((flags & 0o20200000) === 0o20200000) res |= 1 << 13 // O_TMPFILE
  return res
}

interface StatusFields {
  ppid: number
  tgid: number
  uid: number
  gid: number
  vmsize: number
  vmrss: number
  vmswap: number
  capInh: bigint
  capPrm: bigint
  capEff: bigint
  vtid: number
  vpid: number
  vpgid: number
  name: string
}

function parseStatus(text: string): StatusFields {
  const s: StatusFields = {
    ppid: -1, tgid: -1, uid: NO_ID, gid: NO_ID, vmsize: 0, vmrss: 0, vmswap: 0,
    capInh: 0n, capPrm: 0n, capEff: 0n, vtid: 0, vpid: 0, vpgid: 0, name: '',
  }
  for (const line of text.split('\n')) {
    const colon = line.indexOf(':')
    if (colon < 0) continue
    const key = line.slice(0, colon)
    const val = line.slice(colon + 1).trim()
    const last = (): number => {
      const parts = val.split(/\s+/)
      return Number(parts[parts.length - 1])
    }
    switch (key) {
      case 'Name': s.name = val; break
      case 'Tgid': s.tgid = Number(val); break
      case 'PPid': s.ppid = Number(val); break
      case 'Uid': s.uid = Number(val.split(/\s+/)[1] ?? NO_ID) >>> 0; break
      case 'Gid': s.gid = Number(val.split(/\s+/)[1] ?? NO_ID) >>> 0; break
      case 'VmSize': s.vmsize = parseInt(val, 10) || 0; break
      case 'VmRSS': s.vmrss = parseInt(val, 10) || 0; break
      case 'VmSwap': s.vmswap = parseInt(val, 10) || 0; break
      case 'CapInh': s.capInh = hexBig(val); break
      case 'CapPrm': s.capPrm = hexBig(val); break
      case 'CapEff': s.capEff = hexBig(val); break
      case 'NSpid': s.vtid = last(); break
      case 'NStgid': s.vpid = last(); break
      case 'NSpgid': s.vpgid = last(); break
    }
  }
  return s
}

function hexBig(s: string): bigint {
  try {
    return BigInt('0x' + s)
  } catch {
    return 0n
  }
}

/** cgroup v2 mount and its root controllers, found once per scan. */
interface CgroupLayout {
  v2Mount: string
  v2Controllers: string[]
}

function cgroupLayout(procRoot: string): CgroupLayout {
  const out: CgroupLayout = { v2Mount: '', v2Controllers: [] }
  const mounts = readText(`${procRoot}/self/mounts`) ?? ''
  for (const line of mounts.split('\n')) {
    const f = line.split(' ')
    if (f[2] === 'cgroup2' && out.v2Mount === '') out.v2Mount = f[1] ?? ''
  }
  if (out.v2Mount !== '') {
    const c = readText(`${out.v2Mount}/cgroup.controllers`)
    if (c !== null) out.v2Controllers = c.trim().split(/\s+/).filter(x => x !== '')
  }
  return out
}

/** /proc/<pid>/cgroup as scap's "subsys=path" entries. */
function readCgroups(dir: string, layout: CgroupLayout): string[] {
  const text = readText(`${dir}/cgroup`, MAX_CGROUPS_BYTES * 4)
  if (text === null) return []
  const out: string[] = []
  let bytes = 0
  const push = (e: string): boolean => {
    bytes += Buffer.byteLength(e) + 1
    if (bytes > MAX_CGROUPS_BYTES) return false
    out.push(e)
    return true
  }
  for (const line of text.split('\n')) {
    if (line === '') continue
    const a = line.indexOf(':')
    const b = line.indexOf(':', a + 1)
    if (a < 0 || b < 0) continue
    const id = line.slice(0, a)
    const subsys = line.slice(a + 1, b)
    const path = line.slice(b + 1)
    if (subsys === '') {
      // the unified (v2) hierarchy: one entry per controller it has (none on a v1 host)
      if (id !== '0' || layout.v2Mount === '') continue
      for (const c of layout.v2Controllers) if (!push(`${c}=${path}`)) return out
      continue
    }
    for (const s of subsys.split(',')) if (s !== '' && !push(`${s}=${path}`)) return out
  }
  return out
}

export interface ReadContext {
  procRoot: string
  cgroups: CgroupLayout
  /** Socket tables by network namespace inode, read on first use. */
  sockets: Map<string, Map<bigint, FdInfo>>
  fds: boolean
  bootNs: bigint
  clkTck: number
}

export function readContext(opts: ProcfsOptions = {}): ReadContext {
  const procRoot = opts.procRoot ?? '/proc'
  return { procRoot, cgroups: cgroupLayout(procRoot), sockets: new Map(), fds: opts.fds ?? true, bootNs: bootTimeNs(procRoot), clkTck: 100 }
}

/**
 * One thread's entry from `/proc/<pid>/task/<tid>` (or `/proc/<tid>` for a lookup), as
 * scap_proc_add_from_proc builds it; null for a kernel thread, a zombie, or a thread that
 * vanished before its status could be read.
 */
export function readThread(ctx: ReadContext, dir: string, tid: number, pidHint: number): ThreadInfo | null {
  const cmdline = readBytes(`${dir}/cmdline`)
  const exeLink = readLink(`${dir}/exe`)
  // no cmdline and no exe: a kernel thread or a zombie, which scap skips
  if ((cmdline === null || cmdline.length === 0) && (exeLink === null || exeLink === '')) return null
  const statusText = readText(`${dir}/status`)
  if (statusText === null) return null
  const st = parseStatus(statusText)
  const t = newThread()
  t.tid = tid
  t.pid = st.tgid > 0 ? st.tgid : pidHint
  t.ptid = st.ppid
  t.uid = st.uid
  t.gid = st.gid
  t.vmsizeKb = st.vmsize
  t.vmrssKb = st.vmrss
  t.vmswapKb = st.vmswap
  t.capInheritable = st.capInh
  t.capPermitted = st.capPrm
  t.capEffective = st.capEff
  t.vtid = st.vtid || tid
  t.vpid = st.vpid || t.pid
  t.vpgid = st.vpgid
  t.exepath = clip(exeLink ?? '', MAX_PATH_BYTES)
  const comm = readText(`${dir}/comm`, 64)
  t.comm = comm !== null ? comm.replace(/\n$/, '') : st.name
  const argv = nulList(cmdline, MAX_ARGS_BYTES)
  // scap: exe is argv[0]; the rest are the args
  t.exe = clip(argv[0] ?? '', MAX_PATH_BYTES)
  t.args = argv.slice(1)
  t.env = nulList(readBytes(`${dir}/environ`), MAX_ARGS_BYTES)
  t.cwd = clip(readLink(`${dir}/cwd`) ?? '', MAX_PATH_BYTES)
  t.root = clip(readLink(`${dir}/root`) ?? '', MAX_PATH_BYTES)
  const stat = readText(`${dir}/stat`, 4096)
  if (stat !== null) {
    const close = stat.lastIndexOf(')')
    const f = stat.slice(close + 2).split(' ')
    // fields after the name: state ppid pgrp session tty_nr tpgid flags minflt cminflt majflt ...
    const pgid = Number(f[2])
    if (Number.isFinite(pgid)) t.pgid = pgid
    t.sid = Number(f[3]) || 0
    t.tty = Number(f[4]) >>> 0 || 0
    t.pfminor = Number(f[7]) || 0
    t.pfmajor = Number(f[9]) || 0
  }
  const login = readText(`${dir}/loginuid`, 32)
  t.loginuid = login === null ? NO_ID : Number(login.trim()) >>> 0
  t.fdlimit = fdLimit(dir)
  t.cgroups = readCgroups(dir, ctx.cgroups)
  try {
    // scap: the ctime of <root>/proc/1/cmdline, i.e. when the pid namespace's init started
    const s = statSync(`${dir}/root/proc/1/cmdline`, { bigint: true })
    t.pidnsInitStartTs = s.ctimeNs
  } catch {
    t.pidnsInitStartTs = 0n
  }
  try {
    t.cloneTs = statSync(`${dir}/cmdline`, { bigint: true }).ctimeNs
  } catch {
    t.cloneTs = 0n
  }
  t.flags = t.tid === t.pid ? 0 : PPM_CL_CLONE_THREAD | PPM_CL_CLONE_FILES
  if (t.exepath !== '') {
    t.exeFromMemfd = t.exepath.startsWith('/memfd:')
    try {
      const s = statSync(`${dir}/exe`, { bigint: true })
      t.exeIno = s.ino
      t.exeInoCtime = s.ctimeNs
      t.exeInoMtime = s.mtimeNs
      // scap: writable when the thread's user owns the file, else faccessat as that user;
      // Saker runs as root and cannot switch users per thread, so the mode bits decide
      t.exeWritable = Number(s.uid) === t.uid || writableBy(Number(s.mode), Number(s.uid), Number(s.gid), t.uid, t.gid)
    } catch {
      // the exe is gone (deleted, or the process exited)
    }
  }
  return t
}

function writableBy(mode: number, fuid: number, fgid: number, uid: number, gid: number): boolean {
  if (uid === 0) return true
  if (fuid === uid) return (mode & 0o200) !== 0
  if (fgid === gid) return (mode & 0o020) !== 0
  return (mode & 0o002) !== 0
}

function fdLimit(dir: string): number {
  const text = readText(`${dir}/limits`, 8192)
  if (text === null) return -1
  const m = /^Max open files\s+(\S+)/m.exec(text)
  if (m === null) return -1
  return m[1] === 'unlimited' ? -1 : Number(m[1])
}

function bootTimeNs(procRoot: string): bigint {
  const stat = readText(`${procRoot}/stat`)
  const m = stat === null ? null : /^btime (\d+)/m.exec(stat)
  if (m !== null) return BigInt(m[1]!) * 1_000_000_000n
  return BigInt(Date.now() - Math.round(os.uptime() * 1000)) * 1_000_000n
}

// ---------------------------------------------------------------------------------------
// fds

/** The fds of process `pid` (scap reads them for main threads only). */
export function readFds(ctx: ReadContext, dir: string): FdInfo[] {
  const out: FdInfo[] = []
  if (!ctx.fds) return out
  const names = listDir(`${dir}/fd`)
  let netns: string | null = null
  for (const n of names) {
    if (out.length >= MAX_FDS_PER_PROCESS) break
    const fd = Number(n)
    if (!Number.isInteger(fd)) continue
    const link = readLink(`${dir}/fd/${n}`)
    if (link === null) continue
    let f: FdInfo | null = null
    if (link.startsWith('socket:[')) {
      netns ??= readLink(`${dir}/ns/net`) ?? ''
      const ino = BigInt(link.slice(8, -1))
      const known = socketTable(ctx, dir, netns).get(ino)
      if (known === undefined) continue // a socket family scap does not track
      f = { ...known, fd }
    } else if (link.startsWith('pipe:[')) {
      f = newFd(fd, FD_TYPE.FIFO)
      f.name = link
      f.ino = BigInt(link.slice(6, -1))
    } else if (link.startsWith('anon_inode:')) {
      f = newFd(fd, anonType(link.slice(11)))
      // scap keeps no name for anon inodes
    } else if (link.startsWith('/memfd:')) {
      f = newFd(fd, FD_TYPE.MEMFD)
      f.name = clip(link, MAX_PATH_BYTES)
    } else if (link.startsWith('/')) {
      let isDir = false
      let ino = 0n
      try {
        const s = statSync(`${dir}/fd/${n}`, { bigint: true })
        isDir = s.isDirectory()
        ino = s.ino
      } catch {
        continue // closed meanwhile
      }
      if (isDir) {
        f = newFd(fd, FD_TYPE.DIRECTORY)
        f.name = clip(link, MAX_PATH_BYTES)
      } else {
        f = newFd(fd, FD_TYPE.FILE_V2)
        f.name = clip(link, MAX_PATH_BYTES)
      }
      f.ino = ino
    } else {
      f = newFd(fd, FD_TYPE.UNSUPPORTED)
    }
    // scap reads the flags of regular files only, so every pipe and socket a process had at
    // start-up went through its children's execs in Falco's state; its children's children
    // copied them at each fork. Here only those without O_CLOEXEC stay, as in the kernel.
    const info = readText(`${dir}/fdinfo/${n}`, 4096) ?? ''
    const flags = /^flags:\s+([0-7]+)/m.exec(info)
    const open = flags === null ? 0 : openFlagsToPpm(parseInt(flags[1]!, 8))
    if (f.type === FD_TYPE.FILE_V2) {
      f.openFlags = open
      const mnt = /^mnt_id:\s+(\d+)/m.exec(info)
      f.mountId = mnt === null ? 0 : Number(mnt[1])
    } else {
      f.openFlags = open & O.CLOEXEC
    }
    out.push(f)
  }
  return out
}

function anonType(name: string): number {
  switch (name) {
    case '[eventfd]': return FD_TYPE.EVENT
    case '[eventpoll]': return FD_TYPE.EVENTPOLL
    case 'inotify': return FD_TYPE.INOTIFY
    case '[signalfd]': return FD_TYPE.SIGNALFD
    case '[timerfd]': return FD_TYPE.TIMERFD
    case '[io_uring]': return FD_TYPE.IOURING
    case '[userfaultfd]': return FD_TYPE.USERFAULTFD
    case '[pidfd]': return FD_TYPE.PIDFD
    case 'bpf-map': case 'bpf-prog': case 'bpf_link': case 'bpf_iter': return FD_TYPE.BPF
    default: return FD_TYPE.UNSUPPORTED
  }
}

function socketTable(ctx: ReadContext, dir: string, netns: string): Map<bigint, FdInfo> {
  let t = ctx.sockets.get(netns)
  if (t !== undefined) return t
  t = new Map()
  ctx.sockets.set(netns, t)
  // a process's own view of /proc/net is its network namespace's
  const net = `${dir}/net`
  readInetTable(`${net}/tcp`, false, L4PROTO.TCP, t)
  readInetTable(`${net}/udp`, false, L4PROTO.UDP, t)
  readInetTable(`${net}/raw`, false, L4PROTO.RAW, t)
  readInetTable(`${net}/tcp6`, true, L4PROTO.TCP, t)
  readInetTable(`${net}/udp6`, true, L4PROTO.UDP, t)
  readInetTable(`${net}/raw6`, true, L4PROTO.RAW, t)
  readUnixTable(`${net}/unix`, t)
  readNetlinkTable(`${net}/netlink`, t)
  return t
}

/** The 32-bit words of /proc/net/tcp addresses are printed in host (little-endian) order. */
function hexAddr(hex: string, v6: boolean): string {
  const words = v6 ? 4 : 1
  const b = new Uint8Array(16)
  for (let w = 0; w < words; w++) {
    const v = parseInt(hex.slice(w * 8, w * 8 + 8), 16) >>> 0
    b[w * 4] = v & 0xff
    b[w * 4 + 1] = (v >>> 8) & 0xff
    b[w * 4 + 2] = (v >>> 16) & 0xff
    b[w * 4 + 3] = (v >>> 24) & 0xff
  }
  return v6 ? ipv6ToString(b, 0) : ipv4ToString(b, 0)
}

function isZero(hex: string): boolean {
  return /^0+$/.test(hex)
}

function readInetTable(path: string, v6: boolean, l4: number, out: Map<bigint, FdInfo>): void {
  const text = readText(path, 64 << 20)
  if (text === null) return
  const lines = text.split('\n')
  for (let i = 1; i < lines.length; i++) {
    const f = lines[i]!.trim().split(/\s+/)
    if (f.length < 10) continue
    const [sipHex, sportHex] = f[1]!.split(':') as [string, string]
    const [dipHex, dportHex] = f[2]!.split(':') as [string, string]
    const ino = BigInt(f[9]!)
    if (ino === 0n) continue
    const sport = parseInt(sportHex, 16)
    const dport = parseInt(dportHex, 16)
    let fd: FdInfo
    if (!isZero(dipHex)) {
      // connected (scap: a non-zero destination address)
      fd = newFd(0, v6 ? FD_TYPE.IPV6_SOCK : FD_TYPE.IPV4_SOCK)
      fd.sip = hexAddr(sipHex, v6)
      fd.dip = hexAddr(dipHex, v6)
      fd.sport = sport
      fd.dport = dport
    } else {
      fd = newFd(0, v6 ? FD_TYPE.IPV6_SERVSOCK : FD_TYPE.IPV4_SERVSOCK)
      fd.ip = hexAddr(sipHex, v6)
      fd.port = sport
    }
    fd.l4proto = l4
    fd.ino = ino
    out.set(ino, fd)
  }
}

function readUnixTable(path: string, out: Map<bigint, FdInfo>): void {
  const text = readText(path, 64 << 20)
  if (text === null) return
  const lines = text.split('\n')
  for (let i = 1; i < lines.length; i++) {
    const f = lines[i]!.trim().split(/\s+/)
    if (f.length < 7) continue
    const num = f[0]!.replace(/:$/, '')
    const fd = newFd(0, FD_TYPE.UNIX_SOCK)
    try {
      fd.source = BigInt('0x' + num)
      fd.ino = BigInt(f[6]!)
    } catch {
      continue
    }
    fd.name = clip(f.slice(7).join(' '), MAX_PATH_BYTES)
    out.set(fd.ino, fd)
  }
}

function readNetlinkTable(path: string, out: Map<bigint, FdInfo>): void {
  const text = readText(path, 64 << 20)
  if (text === null) return
  const lines = text.split('\n')
  for (let i = 1; i < lines.length; i++) {
    const f = lines[i]!.trim().split(/\s+/)
    if (f.length < 10) continue
    let ino: bigint
    try {
      ino = BigInt(f[f.length - 1]!)
    } catch {
      continue
    }
    const fd = newFd(0, FD_TYPE.NETLINK)
    fd.ino = ino
    out.set(ino, fd)
  }
}

// ---------------------------------------------------------------------------------------
// users, groups, machine, interfaces

/** /etc/passwd entries (NSS '+'/'-' lines left out). */
export function readUsers(etcRoot = '/etc'): UserInfo[] {
  const out: UserInfo[] = []
  for (const line of (readText(`${etcRoot}/passwd`) ?? '').split('\n')) {
    const f = line.split(':')
    if (f.length < 7 || f[0] === '' || f[0]!.startsWith('+') || f[0]!.startsWith('-')) continue
    const uid = Number(f[2])
    const gid = Number(f[3])
    if (!Number.isInteger(uid) || !Number.isInteger(gid)) continue
    out.push({ uid, gid, name: f[0]!.slice(0, 255), homedir: f[5]!.slice(0, 255), shell: f[6]!.slice(0, 255) })
  }
  return out
}

export function readGroups(etcRoot = '/etc'): GroupInfo[] {
  const out: GroupInfo[] = []
  for (const line of (readText(`${etcRoot}/group`) ?? '').split('\n')) {
    const f = line.split(':')
    if (f.length < 3 || f[0] === '' || f[0]!.startsWith('+') || f[0]!.startsWith('-')) continue
    const gid = Number(f[2])
    if (!Number.isInteger(gid)) continue
    out.push({ gid, name: f[0]!.slice(0, 255) })
  }
  return out
}

/** Host user/group lookups for ids the tables miss (a user added after the start). */
export function hostAccounts(etcRoot = '/etc'): HostAccounts {
  return {
    user(uid: number): UserEntry | null {
      return readUsers(etcRoot).find(u => u.uid === uid) ?? null
    },
    group(gid: number): GroupEntry | null {
      return readGroups(etcRoot).find(g => g.gid === gid) ?? null
    },
  }
}

export function readMachine(procRoot = '/proc'): MachineInfo {
  const pidMax = Number((readText(`${procRoot}/sys/kernel/pid_max`) ?? '').trim())
  return {
    numCpus: os.cpus().length,
    memorySizeBytes: BigInt(os.totalmem()),
    maxPid: BigInt(Number.isFinite(pidMax) && pidMax > 0 ? pidMax : 32768),
    hostname: os.hostname().slice(0, 127),
    bootTsEpoch: bootTimeNs(procRoot),
    flags: 0n,
  }
}

export function readInterfaces(): InterfaceInfo[] {
  const out: InterfaceInfo[] = []
  let ifs: ReturnType<typeof os.networkInterfaces>
  try {
    ifs = os.networkInterfaces()
  } catch {
    return out
  }
  for (const [name, addrs] of Object.entries(ifs)) {
    for (const a of addrs ?? []) {
      if (a.family === 'IPv4') {
        const addr = a.address.split('.').map(Number)
        const mask = a.netmask.split('.').map(Number)
        const bcast = addr.map((x, i) => (x | (~mask[i]! & 0xff)) & 0xff).join('.')
        out.push({ family: 'ipv4', name, addr: a.address, netmask: a.netmask, bcast, linkspeed: 0n })
      } else {
        out.push({ family: 'ipv6', name, addr: a.address.replace(/%.*$/, ''), netmask: a.netmask, bcast: '::', linkspeed: 0n })
      }
    }
  }
  return out
}

// ---------------------------------------------------------------------------------------
// the scan

/** Every process and thread of the host, with fds, users, groups, machine: a CaptureSection. */
export function scanProcfs(opts: ProcfsOptions = {}): ProcfsScan {
  const started = Date.now()
  const ctx = readContext(opts)
  const procRoot = ctx.procRoot
  const max = opts.maxThreads ?? Infinity
  const section: CaptureSection = {
    header: { offset: 0, major: 1, minor: 2, sectionLength: -1n },
    machine: readMachine(procRoot),
    interfaces: readInterfaces(),
    users: readUsers(opts.etcRoot),
    groups: readGroups(opts.etcRoot),
    threads: [],
    fds: new Map(),
    blocks: {},
  }
  const stats = { processes: 0, threads: 0, fds: 0, skipped: 0, ms: 0 }
  const pids = listDir(procRoot).filter(n => /^\d+$/.test(n)).map(Number).sort((a, b) => a - b)
  for (const pid of pids) {
    if (section.threads.length >= max) break
    const pdir = `${procRoot}/${pid}`
    const main = readThread(ctx, pdir, pid, pid)
    if (main === null) {
      stats.skipped++
      continue
    }
    main.fds = readFds(ctx, pdir)
    section.threads.push(main)
    if (main.fds.length > 0) section.fds.set(pid, main.fds)
    stats.processes++
    stats.threads++
    stats.fds += main.fds.length
    for (const name of listDir(`${pdir}/task`)) {
      const tid = Number(name)
      if (!Number.isInteger(tid) || tid === pid) continue
      if (section.threads.length >= max) break
      const t = readThread(ctx, `${pdir}/task/${tid}`, tid, pid)
      if (t === null) {
        stats.skipped++
        continue
      }
      // threads share the main thread's view of the process (scap reads them the same way)
      section.threads.push(t)
      stats.threads++
    }
  }
  stats.ms = Date.now() - started
  return { section, stats }
}

/**
 * libsinsp's lookup of a thread the table misses (a process that started before the probe
 * and has been quiet since, or an event that raced the scan): its /proc entry, with fds
 * when it is a main thread. Null when it is gone or is a kernel thread.
 */
export function makeThreadLookup(opts: ProcfsOptions = {}): (tid: number) => ThreadInfo | null {
  const ctx = readContext(opts)
  let calls = 0
  return (tid: number): ThreadInfo | null => {
    if (tid <= 0) return null
    // socket tables change: forget them every so often
    if (++calls % 64 === 0) ctx.sockets.clear()
    const dir = `${ctx.procRoot}/${tid}`
    const statusText = readText(`${dir}/status`)
    if (statusText === null) return null
    const tgid = parseStatus(statusText).tgid
    const t = readThread(ctx, tgid > 0 && tgid !== tid ? `${ctx.procRoot}/${tgid}/task/${tid}` : dir, tid, tgid)
    if (t !== null && t.tid === t.pid) t.fds = readFds(ctx, dir)
    return t
  }
}

/** Whether a thread still exists (for the thread table's purge). */
export function isThreadAlive(pid: number, tid: number, procRoot = '/proc'): boolean {
  try {
    accessSync(`${procRoot}/${pid > 0 ? pid : tid}/task/${tid}`, fsc.F_OK)
    return true
  } catch {
    return false
  }
}
