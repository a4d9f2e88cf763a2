// The system state libsinsp keeps, built from a capture's metadata (or, later, /proc) and
// kept up to date by the event stream: threads and processes, their fd tables, users and
// groups, containers, network interfaces. `process(ev)` applies one event the way
// sinsp::next does: delayed removals first, then the per-event reset (which thread, which
// fd), then the event's parser, then the container and user bookkeeping.
//
// The state knows nothing of where events come from: a capture reader and the live probe
// both hand it EventViews. What extractors need about the current event is left in
// `thread`, `fd`, `num` and `errorcode` until the next call.

import type { CaptureSection, FdInfo as CaptureFd, MachineInfo, ThreadInfo as CaptureThread } from '../capture/types.js'
import type { EventView } from '../events/event.js'
import { EC, EF, EVENTS, PPME } from '../events/table.js'
import { EventArgs, MODERN, STORE_ENTER } from './args.js'
import { CL, DEFAULT_THREAD_TABLE_SIZE } from './constants.js'
import { ContainerInfo, ContainerTable, CT, parseContainerJson } from './containers.js'
import { FDF, FDT, FdInfo } from './fd.js'
import {
  L4, NetworkInterfaces, V4S_IP, V4S_L4, V4S_PORT, V4_DIP, V4_DPORT, V4_L4, V4_SIP, V4_SPORT, V6S_IP,
  V6S_L4, V6S_PORT, V6_DIP, V6_DPORT, V6_L4, V6_SIP, V6_SPORT, isIpv4Mapped, parseIpv4, parseIpv6, rd16, rd32,
  v4addrPort, v4tupleText, v6text, wr16, wr32, wr64,
} from './net.js'
import { hasParser, parseEvent } from './parsers.js'
import { RecentByTid } from './recent-by-tid.js'
import { EXPIRED_CHILDREN_THRESHOLD, ThreadGroup, ThreadInfo } from './thread.js'
import { UserGroupTables, type HostAccounts } from './users.js'

export interface StateOptions {
  /** falco_libs.thread_table_size: the most threads kept (default 262144). */
  threadTableSize?: number
  /**
   * Live mode: threads not seen for `threadTimeoutS` are purged every `purgeIntervalS` when
   * `isThreadAlive` says they are gone. Capture replay never purges (as libsinsp offline).
   */
  live?: boolean
  /** falco_libs.thread_table_auto_purging_interval_s (default 300). */
  purgeIntervalS?: number
  /** falco_libs.thread_table_auto_purging_thread_timeout_s (default 300). */
  threadTimeoutS?: number
  /** Live mode: whether a thread still exists (/proc); default: never alive. */
  isThreadAlive?: (pid: number, tid: number) => boolean
  /**
   * Live mode: builds the entry of a thread the table lacks (libsinsp reads /proc);
   * default: none, and the thread gets an invalid placeholder entry as in capture replay.
   */
  lookupThread?: (tid: number) => CaptureThread | null
  /** Host users/groups for uids and gids the tables lack (live: /etc/passwd). */
  hostAccounts?: HostAccounts | null
  /** The tid of this agent, which the thread table never refuses. */
  selfPid?: number
}

/** Counters, for metrics and tests. */
export interface StateStats {
  threadsAdded: number
  threadsRemoved: number
  /** Threads refused because the table was full. */
  threadTableFullDrops: number
  /** Threads found dead by the live purge. */
  threadsPurged: number
}

/** Slots of the recently exited threads, by tid (a power of two). */
const RECENTLY_EXITED_SIZE = 8192
const RECENTLY_EXITED_NS = 2_000_000_000

export class SystemState {
  readonly threads = new Map<number, ThreadInfo>()
  readonly groups = new Map<number, ThreadGroup>()
  readonly users = new UserGroupTables()
  readonly containers = new ContainerTable()
  readonly interfaces = new NetworkInterfaces()
  /** Ports of the server sockets found in the initial fd lists. */
  readonly serverPorts = new Set<number>()
  machine: MachineInfo | null = null
  readonly stats: StateStats = { threadsAdded: 0, threadsRemoved: 0, threadTableFullDrops: 0, threadsPurged: 0 }
  readonly opts: Required<Omit<StateOptions, 'lookupThread' | 'isThreadAlive' | 'hostAccounts'>> &
    Pick<StateOptions, 'lookupThread' | 'isThreadAlive'>
  maxThreads: number

  // ---- the current event -----------------------------------------------------------------
  /** evt.num of the event last processed (1-based). */
  num = 0
  /** The thread of the current event (null when it has none, or none could be made). */
  thread: ThreadInfo | null = null
  /** The fd the current event refers to, if known. */
  fd: FdInfo | null = null
  /** errno of a failed syscall (positive), else 0. */
  errorcode = 0
  /** The fd's name changed while parsing this event (fd.name_changed). */
  fdNameChanged = false
  /** The current event is an exit that follows its own enter event on the same thread. */
  pairedExit = false
  /** Timestamp of the first non-meta event (evt.reltime's origin), 0n before it. */
  firstEventTs = 0n
  /** firstEventTs !== 0n, kept as a boolean to spare a bigint comparison per event. */
  private haveFirstTs = false
  /** opts.live, read on every event. */
  private readonly live: boolean
  /** The container a container meta-event of this event number added. */
  readonly args = new EventArgs()

  // ---- delayed removals (as sinsp::next does them before the next event) -----------------
  private removeTid: number | null = null
  private removeFdsTid = -1
  // the first removeFdsCount entries; the array is kept, not emptied, so a close allocates nothing
  private readonly removeFds: number[] = []
  private removeFdsCount = 0
  // Threads that exited lately, direct-mapped by tid: the kernel hands tids out in sequence,
  // so a slot is reused only after 8192 newer threads (a string-keyed Map was 9% of the
  // state's time on a fork+exec load).
  private readonly exitedTid = new Float64Array(RECENTLY_EXITED_SIZE).fill(NaN)
  private readonly exitedPtid = new Float64Array(RECENTLY_EXITED_SIZE)
  private readonly exitedAt = new Float64Array(RECENTLY_EXITED_SIZE)
  /** The table's recent answers (the table changes only in addThread, erase and clear, which forget them). */
  private readonly recentThreads = new RecentByTid(this.threads)
  private lastPurgeNs = 0
  /** Current event time as a number (ns; rounded past 2^53, fine for timeouts). */
  nowNs = 0

  constructor(opts: StateOptions = {}) {
    this.opts = {
      threadTableSize: opts.threadTableSize ?? DEFAULT_THREAD_TABLE_SIZE,
      live: opts.live ?? false,
      purgeIntervalS: opts.purgeIntervalS ?? 300,
      threadTimeoutS: opts.threadTimeoutS ?? 300,
      selfPid: opts.selfPid ?? -1,
      isThreadAlive: opts.isThreadAlive,
      lookupThread: opts.lookupThread,
    }
    this.live = this.opts.live
    this.maxThreads = this.opts.threadTableSize > 0 ? this.opts.threadTableSize : DEFAULT_THREAD_TABLE_SIZE
    this.users.lookup = opts.hostAccounts ?? null
  }

  /** Forgets everything (a new capture section restarts the state, as libsinsp does). */
  clear(): void {
    for (const t of this.threads.values()) t.removed = true
    this.threads.clear()
    this.recentThreads.clear()
    this.groups.clear()
    this.users.clear()
    this.containers.clear()
    this.interfaces.clear()
    this.serverPorts.clear()
    this.machine = null
    this.num = 0
    this.thread = null
    this.fd = null
    this.errorcode = 0
    this.fdNameChanged = false
    this.firstEventTs = 0n
    this.haveFirstTs = false
    this.removeTid = null
    this.removeFdsCount = 0
    this.exitedTid.fill(NaN)
    this.lastPurgeNs = 0
  }

  // =========================================================================================
  // Seeding

  /**
   * Seeds the state from a capture section's metadata: machine, interfaces, users and
   * groups, the process list with each process's fds. Replaces what was there.
   */
  loadCapture(section: CaptureSection): void {
    this.clear()
    this.machine = section.machine
    this.interfaces.load(section.interfaces)
    const loaded: ThreadInfo[] = []
    for (const ct of section.threads) {
      const t = threadFromCapture(ct)
      this.users.touchUser('', t.uid, t.gid)
      this.users.touchGroup('', t.gid)
      // A full scan: dependencies are made once every entry is in (below).
      const added = this.addThread(t, false)
      if (added !== null) loaded.push(added)
    }
    for (const [tid, list] of section.fds) {
      const t = this.threads.get(tid)
      if (t === undefined) continue
      for (const f of list) this.addFdFromCapture(t, f)
    }
    for (const t of loaded) if (!t.removed) this.createDependencies(t)
    for (const u of section.users) this.users.putUser('', u.uid, u.gid, u.name, u.homedir, u.shell)
    for (const g of section.groups) this.users.putGroup('', g.gid, g.name)
    this.fixSocketsFromProc()
    for (const t of this.threads.values()) t.containerId = this.containers.idForCgroups(t.cgroupPaths)
  }

  private addFdFromCapture(t: ThreadInfo, f: CaptureFd): void {
    const fi = new FdInfo()
    fi.type = f.type
    fi.flags = FDF.FROM_PROC
    fi.ino = Number(f.ino)
    switch (f.type) {
      case FDT.IPV4_SOCK: {
        const s = fi.sockinfo()
        wr32(s, V4_SIP, parseIpv4(f.sip) ?? 0)
        wr32(s, V4_DIP, parseIpv4(f.dip) ?? 0)
        wr16(s, V4_SPORT, f.sport)
        wr16(s, V4_DPORT, f.dport)
        s[V4_L4] = f.l4proto
        if (f.l4proto === L4.TCP) fi.flags |= FDF.SOCKET_CONNECTED
        this.interfaces.updateTuple(FDT.IPV4_SOCK, s)
        fi.name = v4tupleText(rd32(s, V4_SIP), rd16(s, V4_SPORT), rd32(s, V4_DIP), rd16(s, V4_DPORT))
        break
      }
      case FDT.IPV4_SERVSOCK: {
        const s = fi.sockinfo()
        wr32(s, V4S_IP, parseIpv4(f.ip) ?? 0)
        wr16(s, V4S_PORT, f.port)
        s[V4S_L4] = f.l4proto
        fi.name = v4addrPort(rd32(s, V4S_IP), f.port)
        this.serverPorts.add(f.port)
        break
      }
      case FDT.IPV6_SOCK: {
        const s = fi.sockinfo()
        const tmp = new Uint8Array(32)
        parseIpv6(f.sip, tmp, 0)
        parseIpv6(f.dip, tmp, 16)
        if (isIpv4Mapped(tmp, 0) && isIpv4Mapped(tmp, 16)) {
          fi.type = FDT.IPV4_SOCK
          wr32(s, V4_SIP, rd32(tmp, 12))
          wr32(s, V4_DIP, rd32(tmp, 28))
          wr16(s, V4_SPORT, f.sport)
          wr16(s, V4_DPORT, f.dport)
          s[V4_L4] = f.l4proto
          if (f.l4proto === L4.TCP) fi.flags |= FDF.SOCKET_CONNECTED
          this.interfaces.updateTuple(FDT.IPV4_SOCK, s)
          fi.name = v4tupleText(rd32(s, V4_SIP), rd16(s, V4_SPORT), rd32(s, V4_DIP), rd16(s, V4_DPORT))
        } else {
          s.set(tmp.subarray(0, 16), V6_SIP)
          s.set(tmp.subarray(16, 32), V6_DIP)
          wr16(s, V6_SPORT, f.sport)
          wr16(s, V6_DPORT, f.dport)
          s[V6_L4] = f.l4proto
          if (f.l4proto === L4.TCP) fi.flags |= FDF.SOCKET_CONNECTED
          fi.name = `${v6text(s, V6_SIP)}:${f.sport}->${v6text(s, V6_DIP)}:${f.dport}`
        }
        break
      }
      case FDT.IPV6_SERVSOCK: {
        const s = fi.sockinfo()
        parseIpv6(f.ip, s, V6S_IP)
        wr16(s, V6S_PORT, f.port)
        s[V6S_L4] = f.l4proto
        fi.name = `${v6text(s, V6S_IP)}:${f.port}`
        this.serverPorts.add(f.port)
        break
      }
      case FDT.UNIX_SOCK: {
        const s = fi.sockinfo()
        wr64(s, 0, f.source)
        wr64(s, 8, f.dest)
        fi.name = f.name
        if (fi.name === '') fi.setRoleClient()
        else fi.setRoleServer()
        break
      }
      case FDT.FILE_V2:
        fi.name = f.name
        fi.dev = f.dev
        fi.mountId = f.mountId
        break
      default:
        if (f.type < FDT.UNKNOWN || f.type > FDT.PIDFD) return
        fi.name = f.name
    }
    // A capture's table has flags for files only; /proc at live start gives the others
    // their O_CLOEXEC too (sources/live/procfs.ts).
    fi.openFlags = f.openFlags
    fi.fd = f.fd
    // Straight into the thread's own table, as add_fd_from_scap does.
    if (!t.fds.has(f.fd) && t.fds.size >= 4096) return
    t.fds.set(f.fd, fi)
  }

  // fix_sockets_coming_from_proc: an IPv4 socket on a known server port is the server side.
  private fixSocketsFromProc(): void {
    for (const t of this.threads.values()) {
      for (const f of t.fds.values()) {
        if (f.type !== FDT.IPV4_SOCK || f.sock === null) continue
        const s = f.sock
        if (!this.serverPorts.has(rd16(s, V4_SPORT))) {
          f.setRoleClient()
          continue
        }
        const sip = rd32(s, V4_SIP)
        const sport = rd16(s, V4_SPORT)
        wr32(s, V4_SIP, rd32(s, V4_DIP))
        wr32(s, V4_DIP, sip)
        wr16(s, V4_SPORT, rd16(s, V4_DPORT))
        wr16(s, V4_DPORT, sport)
        f.name = v4tupleText(rd32(s, V4_SIP), rd16(s, V4_SPORT), rd32(s, V4_DIP), rd16(s, V4_DPORT))
        f.setRoleServer()
      }
    }
  }

  // =========================================================================================
  // The thread table (sinsp_thread_manager)

  findThread(tid: number): ThreadInfo | null {
    return this.lookupThread(tid) ?? null
  }

  private lookupThread(tid: number): ThreadInfo | undefined {
    return this.recentThreads.get(tid)
  }

  /**
   * The thread of `tid`, made when missing: from `lookupThread` when live, else an invalid
   * placeholder (pid -1, comm "<NA>"), unless the table is full.
   */
  getThread(tid: number): ThreadInfo | null {
    const t = this.lookupThread(tid)
    if (t !== undefined) return t
    if (this.threads.size >= this.maxThreads && tid !== this.opts.selfPid) return null
    const ct = this.opts.lookupThread?.(tid) ?? null
    if (ct !== null) {
      const nt = threadFromCapture(ct)
      const added = this.addThread(nt, true)
      if (added !== null) {
        for (const f of ct.fds) this.addFdFromCapture(added, f)
        added.containerId = this.containers.idForCgroups(added.cgroupPaths)
      }
      return added
    }
    const fake = new ThreadInfo()
    fake.tid = tid
    fake.comm = '<NA>'
    fake.exe = '<NA>'
    return this.addThread(fake, true)
  }

  /** add_thread: null when the table is full. */
  addThread(t: ThreadInfo, dependencies: boolean): ThreadInfo | null {
    if (this.threads.size >= this.maxThreads && t.pid !== this.opts.selfPid) {
      this.stats.threadTableFullDrops++
      return null
    }
    if (dependencies) this.createDependencies(t)
    const old = this.threads.get(t.tid)
    if (old !== undefined && old !== t) old.removed = true
    this.threads.set(t.tid, t)
    this.recentThreads.forget(t.tid)
    t.removed = false
    this.stats.threadsAdded++
    return t
  }

  /** create_thread_dependencies: thread group membership and the parent's child list. */
  createDependencies(t: ThreadInfo): void {
    if (t.isInvalid() || t.group !== null) return
    const reaper = t.pid === 1 || t.vpid === 1
    let g = this.groups.get(t.pid)
    if (g === undefined) {
      g = new ThreadGroup(t.pid, reaper, t)
      this.groups.set(t.pid, g)
    } else {
      g.add(t, t.isMainThread())
    }
    t.group = g
    if (t.pid === 1) return
    const parent = this.threads.get(t.ptid)
    if (parent === undefined || parent.isInvalid()) {
      t.ptid = 0
      return
    }
    parent.addChild(t)
  }

  private erase(tid: number): void {
    const t = this.threads.get(tid)
    if (t === undefined) return
    t.removed = true
    this.threads.delete(tid)
    this.recentThreads.forget(tid)
    this.stats.threadsRemoved++
  }

  private removeChildFromParent(ptid: number): void {
    const p = this.threads.get(ptid)
    if (p === undefined) return
    p.notExpiredChildren--
    if (p.children.length - p.notExpiredChildren >= EXPIRED_CHILDREN_THRESHOLD) p.cleanExpiredChildren()
  }

  /** remove_thread: reparents children, drops the process when its last thread goes. */
  removeThread(tid: number): void {
    const t = this.threads.get(tid)
    if (t === undefined) return
    if (t.isInvalid() || t.group === null) {
      this.removeChildFromParent(t.ptid)
      this.erase(tid)
      return
    }
    const g = t.group
    if (!t.isDead()) {
      g.decrement()
      t.setDead()
    }
    if (t.children.length > 0) {
      let reaper: ThreadInfo | null = null
      if (t.reaperTid > 0) reaper = this.getThread(t.reaperTid)
      if (reaper === null || reaper.isInvalid()) reaper = this.findNewReaper(t)
      if (reaper !== null) {
        t.reaperTid = reaper.tid
        if (reaper.pid !== t.pid && reaper.group !== null) reaper.group.reaper = true
      }
      t.assignChildrenToReaper(reaper)
    }
    if (g.alive === 0) {
      this.removeChildFromParent(t.ptid)
      this.groups.delete(t.pid)
      this.erase(t.pid)
    }
    if (!t.isMainThread()) {
      this.removeChildFromParent(t.ptid)
      this.erase(tid)
    }
  }

  private findNewReaper(t: ThreadInfo): ThreadInfo | null {
    const g = t.group
    if (g !== null && g.alive > 0) {
      for (const m of g.threads) if (!m.removed && !m.isDead() && m !== t) return m
    }
    const seen = new Set<number>([t.tid])
    let p = this.threads.get(t.ptid)
    while (p !== undefined) {
      const before = seen.size
      seen.add(p.tid)
      if (seen.size === before) break
      if (p.isInPidNamespace() !== t.isInPidNamespace()) break
      const pg = p.group
      if (pg !== null && pg.reaper && pg.alive > 0) {
        for (const m of pg.threads) if (!m.removed && !m.isDead()) return m
      }
      p = this.threads.get(p.ptid)
    }
    return null
  }

  /** get_ancestor_process: the main thread n generations up (n = 1: the parent process). */
  ancestor(t: ThreadInfo, n = 1): ThreadInfo | null {
    let mt = t.mainThread()
    for (let i = 0; i < n; i++) {
      if (mt === null) return null
      const p = this.threads.get(mt.ptid)
      if (p === undefined) return null
      mt = p.mainThread()
    }
    return mt
  }

  /**
   * traverse_parent_state: calls `visit` on each ancestor (parent first) until it returns
   * false, stopping on a loop as libsinsp does (slow/fast pointer walk).
   */
  traverseParents(t: ThreadInfo, visit: (p: ThreadInfo) => boolean): void {
    let slow = this.threads.get(t.ptid) ?? null
    let fast = slow === null ? null : this.threads.get(slow.ptid) ?? null
    while (slow !== null && slow.tid !== -1) {
      if (!visit(slow)) break
      slow = this.threads.get(slow.ptid) ?? null
      for (let i = 0; i < 2; i++) {
        fast = fast === null ? null : this.threads.get(fast.ptid) ?? null
        if (slow !== null && (slow === fast || slow.tid === slow.ptid)) {
          t.parentLoopDetected = true
          return
        }
      }
    }
  }

  /**
   * get_oldest_matching_ancestor: the thread whose tid is `id(t)`, else the last ancestor
   * in an unbroken chain sharing that id. Virtual ids (vpgid, sid) skip the direct lookup
   * inside a pid namespace.
   */
  oldestMatchingAncestor(t: ThreadInfo, id: (x: ThreadInfo) => number, virtual: boolean): ThreadInfo | null {
    const want = id(t)
    if (want === -1) return null
    if (!virtual || !t.isInPidNamespace()) {
      const direct = this.threads.get(want)
      if (direct !== undefined) return direct
    }
    let leader: ThreadInfo | null = null
    this.traverseParents(t, p => {
      if (id(p) !== want) return false
      leader = p
      return true
    })
    return leader
  }

  // =========================================================================================
  // Events

  /** Applies one event. Afterwards `thread`, `fd`, `num`, `errorcode` describe it. */
  process(ev: EventView): void {
    const type = ev.type
    this.num++
    this.nowNs = ev.tsNumber
    if (!this.haveFirstTs) {
      const info = EVENTS[type]
      if (info !== undefined && (info.category & EC.METAEVENT) === 0) {
        this.firstEventTs = ev.ts
        this.haveFirstTs = this.firstEventTs !== 0n
      }
    }

    // Delayed removals: a procexit's thread and a close's fd stay until the next event,
    // so the event itself still shows them.
    if (this.removeTid !== null) {
      const tid = this.removeTid
      this.removeTid = null
      const t = this.threads.get(tid)
      this.recordExited(tid, t === undefined ? -1 : t.ptid)
      this.removeThread(tid)
    }
    if (this.live) this.purgeInactive()
    if (this.removeFdsCount > 0) {
      const t = this.threads.get(this.removeFdsTid)
      if (t !== undefined) for (let i = 0; i < this.removeFdsCount; i++) t.removeFd(this.removeFds[i]!)
      this.removeFdsCount = 0
    }

    this.reset(ev)
    const tinfo = this.thread
    if (tinfo !== null && (type & 1) === 0 && STORE_ENTER[type] === 1) storeEnter(tinfo, ev)
    // Most events (sched switches, polls, futexes...) have no parser: binding their params is skipped.
    if (PARSED_TYPE[type] === 1) {
      this.args.bind(ev, tinfo)
      parseEvent(this, this.args)
    }
    const fd = this.fd
    this.fdNameChanged = fd !== null && fd.name !== fd.oldName
    if (AFTER_PARSE[type] === 1) this.afterParse(ev)

    const t = this.thread
    if (t !== null) {
      if (type !== PPME.SCHEDSWITCH_6_E) {
        t.prevEventTs = t.lastEventTs
        t.lastEventTs = this.nowNs
      }
      // event_cleanup: the stored enter event served this exit.
      if ((type & 1) === 1) {
        t.lastEnterLen = 0
        t.lastEventValid = false
      }
    }
  }

  /** Schedules the removal of a thread before the next event (procexit). */
  scheduleThreadRemoval(tid: number): void {
    this.removeTid = tid
  }

  /** Schedules the removal of an fd before the next event (close). */
  scheduleFdRemoval(tid: number, fd: number): void {
    if (this.removeFdsTid !== tid) this.removeFdsCount = 0
    this.removeFdsTid = tid
    this.removeFds[this.removeFdsCount++] = fd
  }

  recordExited(tid: number, ptid: number): void {
    const i = tid & (RECENTLY_EXITED_SIZE - 1)
    this.exitedTid[i] = tid
    this.exitedPtid[i] = ptid
    this.exitedAt[i] = this.nowNs
  }

  hasRecentlyExited(tid: number, ptid: number): boolean {
    const i = tid & (RECENTLY_EXITED_SIZE - 1)
    if (this.exitedTid[i] !== tid || this.exitedPtid[i] !== ptid) return false
    const ts = this.exitedAt[i]!
    return this.nowNs >= ts && this.nowNs - ts < RECENTLY_EXITED_NS
  }

  // remove_inactive_threads (live only): invalid threads, and threads idle past the timeout
  // that /proc no longer has.
  private purgeInactive(): void {
    const now = this.nowNs
    const interval = this.opts.purgeIntervalS * 1e9
    if (this.lastPurgeNs === 0) {
      this.lastPurgeNs = interval > 30e9 ? now - interval + 30e9 : now - interval
    }
    if (now <= this.lastPurgeNs + interval) return
    this.lastPurgeNs = now
    const timeout = this.opts.threadTimeoutS * 1e9
    const alive = this.opts.isThreadAlive
    const dead: number[] = []
    for (const t of this.threads.values()) {
      if (t.isInvalid() || (now > t.lastAccessTs + timeout && !(alive?.(t.pid, t.tid) ?? false))) dead.push(t.tid)
    }
    for (const tid of dead) {
      this.removeThread(tid)
      this.stats.threadsPurged++
    }
    for (const t of this.threads.values()) {
      t.cleanExpiredChildren()
      if (t.isMainThread() && t.group !== null) t.group.sweep()
    }
  }

  // sinsp_parser::reset: finds the event's thread (making one when allowed) and its fd.
  private reset(ev: EventView): void {
    const type = ev.type
    this.fd = null
    this.errorcode = 0
    this.thread = null
    this.pairedExit = false
    const kind = RESET_KIND[type]!
    if ((kind & R_SKIP) !== 0) {
      if (type === PPME.PROCINFO_E) this.thread = this.lookupThread(ev.tid) ?? null
      return
    }
    if ((kind & R_NO_THREAD) !== 0) return
    const noQuery = (kind & R_NO_QUERY) !== 0
    const t = noQuery ? this.lookupThread(ev.tid) ?? null : this.getThread(ev.tid)
    this.thread = t
    if (type === PPME.SCHEDSWITCH_6_E || t === null) return
    t.lastAccessTs = this.nowNs
    if (!noQuery) t.flags |= CL.ACTIVE
    if ((type & 1) === 0) {
      t.lastEventFd = -1
      t.lastEventType = type
      if ((kind & R_USES_FD) !== 0) {
        const loc = type === PPME.SYSCALL_MMAP_E || type === PPME.SYSCALL_MMAP2_E ? 4 : type === PPME.SYSCALL_SPLICE_E ? 1 : 0
        t.lastEventFd = ev.i64(loc)
        this.fd = t.getFd(t.lastEventFd)
      }
      return
    }
    if ((type === PPME.SYSCALL_EXECVE_19_X && t.lastEventType === PPME.SYSCALL_EXECVEAT_E) || type === t.lastEventType + 1) {
      t.lastEventValid = true
      this.pairedExit = true
    } else {
      t.lastEventValid = false
      t.lastEventFd = -1
    }
    if ((kind & R_RETURN_VALUE) !== 0 && ev.nparams > 0) {
      const res = returnValue(ev)
      if (res < 0) this.errorcode = -res
    }
    if ((kind & R_USES_FD) === 0) return
    if (t.lastEventFd === -1) {
      const loc = EXIT_FD_LOC[type]!
      if (loc >= 0 && loc < ev.nparams && ev.paramLen(loc) !== 0) t.lastEventFd = ev.i64(loc)
    }
    this.fd = t.getFd(t.lastEventFd)
  }

  // What Falco's container plugin does after libsinsp's parsers, and the user/group refresh
  // that follows a container id change.
  private afterParse(ev: EventView): void {
    const type = ev.type
    switch (MODERN[type]) {
      case PPME.SYSCALL_CLONE_20_X:
      case PPME.SYSCALL_FORK_20_X:
      case PPME.SYSCALL_VFORK_20_X:
      case PPME.SYSCALL_CLONE3_X:
      case PPME.SYSCALL_EXECVE_19_X:
      case PPME.SYSCALL_EXECVEAT_X:
      case PPME.SYSCALL_CHROOT_X: {
        if (ev.i64(0) < 0) return
        const t = this.threads.get(ev.tid)
        if (t === undefined) return
        const before = t.containerId
        t.containerId = this.containers.idForCgroups(t.cgroupPaths)
        if (t.containerId !== before) {
          this.users.touchGroup(t.containerId, t.gid)
          this.users.touchUser(t.containerId, t.uid, t.gid)
        }
        return
      }
      case PPME.CONTAINER_JSON_2_E: {
        // CONTAINER_JSON_E (old) maps here too.
        const info = parseContainerJson(ev.str(0))
        if (info !== null) this.putContainer(info)
        return
      }
      default:
        if (type === PPME.CONTAINER_E) {
          const c = new ContainerInfo()
          c.id = ev.str(0)
          c.type = ev.paramLen(1) >= 4 ? ev.u32(1) : CT.UNKNOWN
          c.name = ev.str(2)
          c.image = ev.str(3)
          this.putContainer(c)
        } else if (type === PPME.ASYNCEVENT_E && ev.u32(0) === 0) {
          const name = ev.str(1)
          if (name === 'container' || name === 'container_added' || name === 'container_removed') {
            const b = ev.bytes(2)
            const info = parseContainerJson(new TextDecoder().decode(b.subarray(0, b.indexOf(0) < 0 ? b.length : b.indexOf(0))))
            if (info === null) return
            if (name === 'container_removed') {
              this.containers.byId.delete(info.id)
              this.containers.lastEventNum = this.num
              this.containers.lastInfo = info
            } else this.putContainer(info)
          }
        }
    }
  }

  private putContainer(info: ContainerInfo): void {
    this.containers.put(info)
    this.containers.lastEventNum = this.num
    this.containers.lastInfo = info
  }

  /** The container record of a thread (the host record for host threads). */
  containerOf(t: ThreadInfo): ContainerInfo | undefined {
    return this.containers.get(t.containerId)
  }
}

// ---------------------------------------------------------------------------------------------

// Per event type, what reset() does (bits), so that it decides with one load instead of
// comparing the type with a dozen codes or reading the event table's flags.
/** Container, user, group, plugin and async events: no thread. */
const R_NO_THREAD = 1
/** Clone, fork, sched switch and procexit: the thread is looked up, never made. */
const R_NO_QUERY = 2
/** hasReturnValue's answer for the type, before its nparams > 0 check. */
const R_RETURN_VALUE = 4
/** EF_SKIPPARSERESET. */
const R_SKIP = 8
/** EF_USES_FD. */
const R_USES_FD = 16
const RESET_KIND: Uint8Array = (() => {
  const a = new Uint8Array(EVENTS.length)
  for (let type = 0; type < EVENTS.length; type++) {
    const flags = EVENTS[type]?.flags ?? 0
    if ((flags & EF.SKIPPARSERESET) !== 0) a[type]! |= R_SKIP
    if ((flags & EF.USES_FD) !== 0) a[type]! |= R_USES_FD
    const modern = MODERN[type]!
    if (modern === PPME.CONTAINER_JSON_2_E || type === PPME.USER_ADDED_E || type === PPME.USER_DELETED_E ||
        type === PPME.GROUP_ADDED_E || type === PPME.GROUP_DELETED_E || type === PPME.PLUGINEVENT_E ||
        type === PPME.ASYNCEVENT_E) a[type]! |= R_NO_THREAD
    if (modern === PPME.SYSCALL_CLONE_20_X || modern === PPME.SYSCALL_CLONE3_X ||
        modern === PPME.SYSCALL_FORK_20_X || modern === PPME.SYSCALL_VFORK_20_X ||
        type === PPME.SCHEDSWITCH_6_E || modern === PPME.PROCEXIT_1_E) a[type]! |= R_NO_QUERY
    const info = EVENTS[type]
    if (type !== PPME.GENERIC_X && (type & 1) !== 0 && info !== undefined && (info.category & EC.SYSCALL) !== 0) a[type]! |= R_RETURN_VALUE
  }
  return a
})()

/** The types afterParse looks at (1), the others (0) it ignores. */
const AFTER_PARSE: Uint8Array = (() => {
  const a = new Uint8Array(EVENTS.length)
  const modernCodes: number[] = [PPME.SYSCALL_CLONE_20_X, PPME.SYSCALL_FORK_20_X, PPME.SYSCALL_VFORK_20_X, PPME.SYSCALL_CLONE3_X,
    PPME.SYSCALL_EXECVE_19_X, PPME.SYSCALL_EXECVEAT_X, PPME.SYSCALL_CHROOT_X, PPME.CONTAINER_JSON_2_E]
  for (let type = 0; type < EVENTS.length; type++) {
    if (modernCodes.includes(MODERN[type]!) || type === PPME.CONTAINER_E || type === PPME.ASYNCEVENT_E) a[type] = 1
  }
  return a
})()

/** The types parseEvent has a parser for (1), the others (0). */
const PARSED_TYPE: Uint8Array = Uint8Array.from(MODERN, (modern) => (hasParser(modern) ? 1 : 0))

/** sinsp_evt::has_return_value. */
export function hasReturnValue(ev: EventView): boolean {
  const type = ev.type
  if (type === PPME.GENERIC_X || (type & 1) === 0) return false
  const info = EVENTS[type]
  return info !== undefined && (info.category & EC.SYSCALL) !== 0 && ev.nparams > 0
}

/** get_syscall_return_value: param 0 read as 32 or 64 bits by its length. */
export function returnValue(ev: EventView): number {
  const n = ev.paramLen(0)
  return n === 8 ? ev.i64(0) : n === 4 ? ev.i32(0) : 0
}

// get_exit_event_fd_location, by event code (-1: none).
const EXIT_FD_LOC: Int8Array = (() => {
  const a = new Int8Array(EVENTS.length).fill(-1)
  const set = (codes: number[], loc: number): void => { for (const c of codes) a[c] = loc }
  set([PPME.SYSCALL_SETNS_X, PPME.SOCKET_LISTEN_X, PPME.SOCKET_SHUTDOWN_X, PPME.SYSCALL_FCHDIR_X,
    PPME.SYSCALL_LSEEK_X, PPME.SYSCALL_LLSEEK_X, PPME.SYSCALL_IOCTL_3_X, PPME.SYSCALL_FSTAT_X, PPME.SYSCALL_CLOSE_X,
    PPME.SYSCALL_GETDENTS_X, PPME.SYSCALL_GETDENTS64_X, PPME.SYSCALL_FLOCK_X, PPME.SYSCALL_COPY_FILE_RANGE_X,
    PPME.SYSCALL_FCNTL_X, PPME.SYSCALL_DUP_1_X, PPME.SYSCALL_DUP2_X, PPME.SYSCALL_DUP3_X, PPME.SYSCALL_NEWFSTATAT_X,
    PPME.SYSCALL_FCHOWNAT_X, PPME.SYSCALL_FCHMODAT_X, PPME.SYSCALL_MKDIRAT_X, PPME.SYSCALL_UNLINKAT_2_X,
    PPME.SYSCALL_MKNODAT_X, PPME.SOCKET_SENDMMSG_X, PPME.SOCKET_RECVMMSG_X, PPME.SYSCALL_IO_URING_REGISTER_X,
    PPME.SYSCALL_IO_URING_ENTER_X, PPME.SOCKET_SETSOCKOPT_X, PPME.SOCKET_GETSOCKOPT_X, PPME.SYSCALL_FSCONFIG_X,
    PPME.SYSCALL_FINIT_MODULE_X, PPME.SYSCALL_FCHMOD_X, PPME.SYSCALL_FCHOWN_X], 1)
  set([PPME.SYSCALL_READ_X, PPME.SYSCALL_PREAD_X, PPME.SOCKET_BIND_X, PPME.SYSCALL_WRITE_X, PPME.SYSCALL_PWRITE_X,
    PPME.SOCKET_RECV_X, PPME.SOCKET_SEND_X, PPME.SOCKET_SENDTO_X, PPME.SOCKET_SENDMSG_X, PPME.SYSCALL_SENDFILE_X,
    PPME.SYSCALL_SPLICE_X, PPME.SYSCALL_WRITEV_X, PPME.SYSCALL_PWRITEV_X, PPME.SOCKET_CONNECT_X,
    PPME.SYSCALL_SYMLINKAT_X], 2)
  set([PPME.SOCKET_RECVFROM_X, PPME.SYSCALL_READV_X, PPME.SYSCALL_PREADV_X], 3)
  set([PPME.SOCKET_RECVMSG_X], 5)
  set([PPME.SYSCALL_MMAP_X, PPME.SYSCALL_MMAP2_X], 8)
  return a
})()

// store_event: a private copy of an enter event in the thread, reusing its buffer.
function storeEnter(t: ThreadInfo, ev: EventView): void {
  const raw = ev.raw()
  let buf = t.lastEnter
  if (buf === null || buf.length < raw.length) buf = t.lastEnter = new Uint8Array(Math.max(256, raw.length))
  buf.set(raw, 0)
  t.lastEnterLen = raw.length
}

/** A thread entry from a capture's (or /proc's) process list entry. */
export function threadFromCapture(ct: CaptureThread): ThreadInfo {
  const t = new ThreadInfo()
  t.tid = ct.tid
  t.pid = ct.pid
  t.ptid = ct.ptid
  t.sid = ct.sid
  t.vpgid = ct.vpgid
  t.pgid = ct.pgid
  t.comm = ct.comm
  t.exe = ct.exe
  t.exepath = ct.exepath
  t.exeWritable = ct.exeWritable
  t.exeUpperLayer = ct.exeUpperLayer
  t.exeLowerLayer = ct.exeLowerLayer
  t.exeFromMemfd = ct.exeFromMemfd
  t.setArgs(ct.args)
  if (t.isMainThread()) {
    t.env = ct.env
    t.updateCwd(ct.cwd)
  }
  t.flags |= ct.flags | CL.ACTIVE
  t.fdlimit = ct.fdlimit
  t.capPermitted = ct.capPermitted
  t.capEffective = ct.capEffective
  t.capInheritable = ct.capInheritable
  t.exeIno = ct.exeIno
  t.exeInoCtime = ct.exeInoCtime
  t.exeInoMtime = ct.exeInoMtime
  t.vmsizeKb = ct.vmsizeKb
  t.vmrssKb = ct.vmrssKb
  t.vmswapKb = ct.vmswapKb
  t.pfmajor = ct.pfmajor
  t.pfminor = ct.pfminor
  t.vtid = ct.vtid
  t.vpid = ct.vpid
  t.pidnsInitStartTs = ct.pidnsInitStartTs
  t.cloneTs = ct.cloneTs
  t.tty = ct.tty
  t.setCgroups(ct.cgroups)
  t.root = ct.root
  t.gid = ct.gid
  t.uid = ct.uid
  t.loginuid = ct.loginuid
  return t
}

