// A thread entry (libsinsp sinsp_threadinfo) and its thread group, born complete.
//
// As in libsinsp, a process is its main thread (tid == pid): threads of the same process
// share the main thread's fd table (they carry CLONE_FILES), cwd and environment, and a
// thread group counts the live threads of a pid. libsinsp keeps children and group members
// as weak pointers; here an entry erased from the table is flagged `removed`, which reads
// as an expired pointer.

import { CL, MAX_FD_TABLE_SIZE } from './constants.js'
import type { FdInfo } from './fd.js'
import { concatenatePaths } from './paths.js'

/** DEFAULT_DEAD_THREADS_THRESHOLD: dead members are swept from a group past this many. */
const DEAD_THREADS_THRESHOLD = 11
/** DEFAULT_EXPIRED_CHILDREN_THRESHOLD. */
export const EXPIRED_CHILDREN_THRESHOLD = 10

export class ThreadGroup {
  /** Live threads, the main one included. */
  alive = 1
  /** Members; the main thread, when present, is first. */
  readonly threads: ThreadInfo[]

  constructor(readonly pid: number, public reaper: boolean, first: ThreadInfo) {
    this.threads = [first]
  }

  add(t: ThreadInfo, main: boolean): void {
    if (main) this.threads.unshift(t)
    else this.threads.push(t)
    this.alive++
  }

  decrement(): void {
    this.alive--
    if (this.threads.length - this.alive >= DEAD_THREADS_THRESHOLD) this.sweep()
  }

  sweep(): void {
    let w = 0
    for (const t of this.threads) if (!t.removed) this.threads[w++] = t
    this.threads.length = w
  }

  /** The first member, or null when it left the table. */
  first(): ThreadInfo | null {
    const t = this.threads[0]
    return t === undefined || t.removed ? null : t
  }
}

/** Cgroup subsystems and their paths, pairwise. */
export interface CgroupLists {
  readonly subsys: string[]
  readonly paths: string[]
}

/** set_cgroups' reading of "subsys=path" entries; null when one has no '=' (the cgroups stay as they were). */
export function cgroupLists(list: readonly string[]): CgroupLists | null {
  const subsys: string[] = []
  const paths: string[] = []
  for (const def of list) {
    const eq = def.indexOf('=')
    if (eq < 0) return null
    let s = def.slice(0, eq)
    const pos = s.indexOf('_cgroup')
    if (pos >= 0) s = s.slice(0, pos) + s.slice(pos + 7)
    if (s === 'perf') s = 'perf_event'
    else if (s === 'mem') s = 'memory'
    else if (s === 'io') s = 'blkio'
    subsys.push(s)
    paths.push(def.slice(eq + 1))
  }
  return { subsys, paths }
}

const NO_STRINGS: string[] = []

// envText's last result: processes mostly share their environment array (see copyProcess
// and ListMemo), so rules reading proc.env join it once, not once per event
let joinedEnv: readonly string[] | null = null
let joinedEnvText = ''

export class ThreadInfo {
  tid = -1
  pid = -1
  ptid = -1
  reaperTid = -1
  sid = -1
  vtid = -1
  vpid = -1
  vpgid = -1
  pgid = -1
  /** Command name (task->comm). */
  comm = ''
  /** argv[0]. */
  exe = ''
  /** Full executable path. */
  exepath = ''
  exeWritable = false
  exeUpperLayer = false
  exeLowerLayer = false
  exeFromMemfd = false
  // these lists are replaced, never changed in place: they are shared (ListMemo, copyProcess)
  args: string[] = NO_STRINGS
  env: string[] = NO_STRINGS
  /** cgroup subsystems and paths, pairwise (libsinsp's cgroups_t). */
  cgroupSubsys: string[] = NO_STRINGS
  cgroupPaths: string[] = NO_STRINGS
  /** CL.* flags. */
  flags: number = CL.NAME_CHANGED
  fdlimit = -1
  uid = 0xffffffff
  gid = 0xffffffff
  loginuid = 0xffffffff
  capPermitted = 0n
  capEffective = 0n
  capInheritable = 0n
  exeIno = 0n
  exeInoCtime = 0n
  exeInoMtime = 0n
  exeInoCtimeDurationCloneTs = 0n
  exeInoCtimeDurationPidnsStart = 0n
  vmsizeKb = 0
  vmrssKb = 0
  vmswapKb = 0
  pfmajor = 0
  pfminor = 0
  pidnsInitStartTs = 0n
  root = ''
  tty = 0
  group: ThreadGroup | null = null
  children: ThreadInfo[] = []
  notExpiredChildren = 0
  /** The command line built when args were last set ('' until then, see cmdline()). */
  cmdLine = ''
  filteredOut = false
  /** The fd the last event used (libsinsp m_lastevent_fd). */
  lastEventFd = 0
  /** Timestamps in ns (numbers: only compared against timeouts). */
  lastEventTs = 0
  prevEventTs = 0
  lastAccessTs = 0
  cloneTs = 0n
  lastExecTs = 0n
  /** This thread's own fd table; threads of a process use their main thread's. */
  readonly fds = new Map<number, FdInfo>()
  /** Working directory, kept on the main thread. */
  cwd = ''
  /** Type of the last enter event, 0xffff for none. */
  lastEventType = 0xffff
  /** The last exit matched the last enter (libsinsp lastevent data validity). */
  lastEventValid = false
  /** A copy of the last stored enter event (old captures: exit events miss params). */
  lastEnter: Uint8Array | null = null
  lastEnterLen = 0
  /** Erased from the thread table (an expired weak pointer in libsinsp). */
  removed = false
  parentLoopDetected = false
  /** Container id found from the cgroups ('' for the host); set by the container logic. */
  containerId = ''
  /** Container health-probe category (0 none, 1 container, 2 healthcheck, 3 liveness, 4 readiness). */
  category = 0

  isMainThread(): boolean {
    return this.tid === this.pid || (this.flags & CL.IS_MAIN_THREAD) !== 0
  }

  isInvalid(): boolean {
    return this.tid < 0 || this.pid < 0 || this.ptid < 0
  }

  isDead(): boolean {
    return (this.flags & CL.CLOSED) !== 0
  }

  setDead(): void {
    this.flags |= CL.CLOSED
  }

  isInPidNamespace(): boolean {
    return (this.flags & CL.CHILD_IN_PIDNS) !== 0 || (this.tid !== this.vtid && this.vtid >= 0)
  }

  resurrect(): void {
    if (!this.isDead()) return
    this.flags &= ~CL.CLOSED
    if (this.group !== null) this.group.alive++
  }

  /** The main thread of this thread's process, or null when unknown. */
  mainThread(): ThreadInfo | null {
    if (this.isMainThread()) return this
    const g = this.group
    if (g === null) return null
    const first = g.first()
    return first !== null && first.isMainThread() ? first : null
  }

  /** The fd table this thread uses: its own, or its main thread's when it shares files. */
  fdTable(): Map<number, FdInfo> | null {
    if ((this.flags & CL.CLONE_FILES) === 0) return this.fds
    const main = this.mainThread()
    return main === null ? null : main.fds
  }

  /** sinsp_threadinfo::get_fd (records the name for fd.name_changed). */
  getFd(fd: number): FdInfo | null {
    if (fd < 0) return null
    const table = this.fdTable()
    if (table === null) return null
    const f = table.get(fd)
    if (f === undefined) return null
    f.oldName = f.name
    return f
  }

  /** Adds (or replaces) an fd; null when there is no table or it is full. */
  addFd(fd: number, info: FdInfo): FdInfo | null {
    const table = this.fdTable()
    if (table === null) return null
    info.fd = fd
    if (!table.has(fd) && table.size >= MAX_FD_TABLE_SIZE) {
      this.lastEventFd = fd
      return null
    }
    table.set(fd, info)
    this.lastEventFd = fd
    return info
  }

  removeFd(fd: number): void {
    this.fdTable()?.delete(fd)
  }

  fdOpenCount(): number {
    const main = this.mainThread()
    return main === null ? 0 : main.fds.size
  }

  fdLimit(): number {
    const main = this.mainThread()
    return main === null ? 0 : main.fdlimit
  }

  getCwd(): string {
    const main = this.mainThread()
    return main === null ? './' : main.cwd
  }

  /** update_cwd: joined with this thread's own cwd (as libsinsp does), stored on the main thread. */
  updateCwd(cwd: string): void {
    const main = this.mainThread()
    if (main === null) return
    let c = concatenatePaths(this.cwd, cwd)
    if (c === '' || c.charCodeAt(c.length - 1) !== 47) c += '/'
    main.cwd = c
  }

  getEnv(): string[] {
    if (this.isMainThread()) return this.env
    const main = this.mainThread()
    return main === null ? this.env : main.env
  }

  /** The value of one environment variable, trimmed of spaces; '' when absent. */
  envValue(name: string): string {
    const n = name.length
    for (const v of this.getEnv()) {
      if (v.length > n + 1 && v.charCodeAt(n) === 61 && v.startsWith(name)) {
        let a = n + 1
        while (a < v.length && v.charCodeAt(a) === 32) a++
        if (a === v.length) return ''
        let b = v.length - 1
        while (b > a && v.charCodeAt(b) === 32) b--
        return v.slice(a, b + 1)
      }
    }
    return ''
  }

  /** All environment variables joined by spaces. */
  envText(): string {
    const env = this.getEnv()
    if (env !== joinedEnv) {
      joinedEnvText = env.join(' ')
      joinedEnv = env
    }
    return joinedEnvText
  }

  setArgs(args: string[]): void {
    this.args = args
    let line = this.comm
    if (line !== '') for (let i = 0; i < args.length; i++) line += ' ' + args[i]!
    this.cmdLine = line
  }

  /** populate_cmdline: the line saved with the args, or comm and args now. */
  cmdline(): string {
    if (this.cmdLine !== '') return this.cmdLine
    let line = this.comm
    for (const a of this.args) line += ' ' + a
    return line
  }

  /** populate_args. */
  argsText(): string {
    return this.args.join(' ')
  }

  /** set_cgroups from "subsys=path" entries; one entry without '=' leaves them unchanged. */
  setCgroups(list: readonly string[]): void {
    this.setCgroupLists(cgroupLists(list))
  }

  /** Cgroups as cgroupLists read them (shared: never changed in place); null leaves them unchanged. */
  setCgroupLists(lists: CgroupLists | null): void {
    if (lists === null) return
    this.cgroupSubsys = lists.subsys
    this.cgroupPaths = lists.paths
  }

  /** The cgroup of one subsystem, or undefined when the thread has none for it. */
  cgroup(subsys: string): string | undefined {
    const i = this.cgroupSubsys.indexOf(subsys)
    return i < 0 ? undefined : this.cgroupPaths[i]
  }

  addChild(child: ThreadInfo): void {
    this.children.unshift(child)
    child.ptid = this.tid
    this.notExpiredChildren++
  }

  cleanExpiredChildren(): void {
    const kids = this.children
    let w = 0
    for (let i = 0; i < kids.length; i++) if (!kids[i]!.removed) kids[w++] = kids[i]!
    if (w < kids.length) kids.length = w
  }

  /** Hands the children to a reaper (or to nobody: ptid 0). */
  assignChildrenToReaper(reaper: ThreadInfo | null): void {
    if (this.children.length === 0) return
    const kids = this.children
    this.children = []
    for (const c of kids) {
      if (c.removed) continue
      if (reaper === null) c.ptid = 0
      else reaper.addChild(c)
    }
    this.notExpiredChildren = 0
  }
}
