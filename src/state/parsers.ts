// What each event does to the state: libsinsp 0.25's sinsp_parser (parsers.cpp), for the
// modern event layouts. Params are read through EventArgs (old layouts map onto these).
// The thread and fd of the event are already in `s.thread` / `s.fd` (SystemState.reset).

import { EventView } from '../events/event.js'
import { PPME } from '../events/table.js'
import { ListMemo } from './args.js'
import type { EventArgs } from './args.js'
import {
  AF, AT_FDCWD, CL, CLONE_STALE_TIME_NS, CLOSE_RANGE_CLOEXEC, CREAT_LOWER_LAYER, CREAT_UPPER_LAYER, EINPROGRESS,
  EPOLL_CLOEXEC, EXE, EXVAT_AT_EMPTY_PATH, FCNTL, FD_CLOEXEC, IPPROTO, O, PR_GET_CHILD_SUBREAPER,
  PR_SET_CHILD_SUBREAPER, RLIMIT_NOFILE, SOCK, SOCK_CLOEXEC,
} from './constants.js'
import { FDF, FDT, FdInfo } from './fd.js'
import {
  L4, UNIX_DST, UNIX_SRC, V4_DIP, V4_DPORT, V4_L4, V4_SIP, V4_SPORT, V4S_IP, V4S_L4, V4S_PORT, V6_DIP, V6_DPORT,
  V6_L4, V6_SIP, V6_SPORT, V6S_IP, V6S_L4, V6S_PORT, eq16, isIpv4Mapped, isZero16, rd16, rd32, unixTupleText,
  v4addrPort, v4sockText, v4tupleText, v6sockText, v6text, wr16, wr32,
} from './net.js'
import { concatenatePaths } from './paths.js'
import type { SystemState } from './system-state.js'
import { cgroupLists, ThreadInfo } from './thread.js'

/** All capabilities set (sinsp_utils::get_max_caps: the 41 libsinsp knows). */
export const MAX_CAPS = (1n << 41n) - 1n

const enterView = new EventView()

/**
 * retrieve_enter_event: the stored enter event of the current exit, when it is this
 * syscall's (an execveat enter also serves an execve exit).
 */
function retrieveEnter(t: ThreadInfo | null, exitType: number): EventView | null {
  if (t === null || !t.lastEventValid || t.lastEnter === null || t.lastEnterLen === 0) return null
  enterView.reset(t.lastEnter, 0)
  if (enterView.error() !== null) return null
  if (exitType === PPME.SYSCALL_EXECVE_19_X && enterView.type === PPME.SYSCALL_EXECVEAT_E) return enterView
  if (enterView.type !== exitType - 1) {
    t.lastEventValid = false
    return null
  }
  return enterView
}

/** A string param of a stored event with the legacy null encoding ('<NA>' when empty or "(NULL)"). */
function viewPath(v: EventView, i: number): string {
  const n = v.paramLen(i)
  if (n === 0) return '<NA>'
  const s = v.str(i)
  return n === 7 && s === '(NULL)' ? '<NA>' : s
}

// Which parser each event type has (undefined: none). A table rather than a switch on the
// PPME codes: the switch compared an event's type with up to 84 codes, one after the other,
// and most events (sched switches, generic syscalls, polls...) went through all of them;
// dispatching took ~40 ms of a benchmark replay (1.4M events), now ~4.
type Parser = (s: SystemState, a: EventArgs) => void
const PARSERS: (Parser | undefined)[] = []
function on(types: readonly number[], parser: Parser): void {
  for (const t of types) PARSERS[t] = parser
}

export function parseEvent(s: SystemState, a: EventArgs): void {
  const parser = PARSERS[a.type]
  if (parser !== undefined) parser(s, a)
}

/** Whether parseEvent does anything for events of this (modern) code. */
export function hasParser(modernType: number): boolean {
  return PARSERS[modernType] !== undefined
}

on([
  PPME.SYSCALL_READ_X, PPME.SYSCALL_READV_X, PPME.SYSCALL_PREAD_X, PPME.SYSCALL_PREADV_X, PPME.SOCKET_RECV_X,
  PPME.SOCKET_RECVFROM_X, PPME.SOCKET_RECVMSG_X, PPME.SOCKET_RECVMMSG_X
], parseReadExit)
on([
  PPME.SYSCALL_WRITE_X, PPME.SYSCALL_WRITEV_X, PPME.SYSCALL_PWRITE_X, PPME.SYSCALL_PWRITEV_X, PPME.SOCKET_SEND_X,
  PPME.SOCKET_SENDTO_X, PPME.SOCKET_SENDMSG_X, PPME.SOCKET_SENDMMSG_X
], parseWriteExit)
on([
  PPME.SYSCALL_OPEN_X, PPME.SYSCALL_CREAT_X, PPME.SYSCALL_OPENAT_2_X, PPME.SYSCALL_OPENAT2_X,
  PPME.SYSCALL_OPEN_BY_HANDLE_AT_X
], parseOpenExit)
on([PPME.SYSCALL_UNSHARE_X, PPME.SYSCALL_SETNS_X], parseUnshareSetns)
on([PPME.SYSCALL_MEMFD_CREATE_X], parseMemfdCreate)
on([PPME.SYSCALL_CLONE_20_X, PPME.SYSCALL_FORK_20_X, PPME.SYSCALL_VFORK_20_X, PPME.SYSCALL_CLONE3_X], (s, a) => {
  const child = a.ret(0)
  if (child < 0) return
  if (child === 0) return parseCloneChild(s, a)
  return parseCloneCaller(s, a, child)
})
on([PPME.SYSCALL_PIDFD_OPEN_X], parsePidfdOpen)
on([PPME.SYSCALL_PIDFD_GETFD_X], parsePidfdGetfd)
on([PPME.SYSCALL_EXECVE_19_X, PPME.SYSCALL_EXECVEAT_X], parseExecveExit)
on([PPME.PROCEXIT_1_E], parseThreadExit)
on([PPME.SYSCALL_PIPE_X, PPME.SYSCALL_PIPE2_X], parsePipe)
on([PPME.SOCKET_SOCKET_X], (s, a) => {
  const fd = a.ret(0)
  const t = s.thread
  if (fd < 0 || t === null) return
  addSocket(s, t, fd, a.u32(1), a.u32(2), a.u32(3), a.u32(4))
  return
})
on([PPME.SOCKET_BIND_X], parseBind)
on([PPME.SOCKET_CONNECT_X], parseConnect)
on([PPME.SOCKET_ACCEPT_5_X, PPME.SOCKET_ACCEPT4_6_X], parseAccept)
on([PPME.SYSCALL_CLOSE_X], (s, a) => {
  if (a.ret(0) >= 0 && s.fd !== null && s.thread !== null) s.scheduleFdRemoval(s.thread.tid, s.thread.lastEventFd)
  return
})
on([PPME.SYSCALL_CLOSE_RANGE_X], parseCloseRange)
on([PPME.SYSCALL_FCNTL_X], parseFcntl)
on([PPME.SYSCALL_EVENTFD_X, PPME.SYSCALL_EVENTFD2_X], (s, a) => {
  const t = s.thread
  const fd = a.ret(0)
  if (t === null || fd < 0) return
  const fi = new FdInfo()
  fi.type = FDT.EVENT
  if (a.type === PPME.SYSCALL_EVENTFD2_X) fi.openFlags = a.u16(1)
  s.fd = t.addFd(fd, fi)
  return
})
on([PPME.SYSCALL_CHDIR_X], (s, a) => {
  if (a.ret(0) >= 0 && s.thread !== null) s.thread.updateCwd(a.path(1))
  return
})
on([PPME.SYSCALL_FCHDIR_X], (s, a) => {
  if (a.ret(0) >= 0 && s.fd !== null && s.thread !== null) s.thread.updateCwd(s.fd.name)
  return
})
on([PPME.SYSCALL_GETCWD_X], (s, a) => {
  if (a.ret(0) >= 0 && s.thread !== null) s.thread.updateCwd(a.path(1))
  return
})
on([PPME.SYSCALL_DUP_1_X, PPME.SYSCALL_DUP2_X, PPME.SYSCALL_DUP3_X], parseDup)
on([PPME.SYSCALL_SIGNALFD_X, PPME.SYSCALL_SIGNALFD4_X], (s, a) => singleFd(s, a, FDT.SIGNALFD))
on([PPME.SYSCALL_TIMERFD_CREATE_X], (s, a) => singleFd(s, a, FDT.TIMERFD))
on([PPME.SYSCALL_INOTIFY_INIT_X, PPME.SYSCALL_INOTIFY_INIT1_X], (s, a) => singleFd(s, a, FDT.INOTIFY))
on([PPME.SYSCALL_BPF_2_X], (s, a) => singleFd(s, a, FDT.BPF))
on([PPME.SYSCALL_USERFAULTFD_X], (s, a) => singleFd(s, a, FDT.USERFAULTFD))
on([PPME.SYSCALL_IO_URING_SETUP_X], (s, a) => singleFd(s, a, FDT.IOURING))
on([PPME.SYSCALL_EPOLL_CREATE_X, PPME.SYSCALL_EPOLL_CREATE1_X], (s, a) => singleFd(s, a, FDT.EVENTPOLL))
on([PPME.SYSCALL_GETRLIMIT_X, PPME.SYSCALL_SETRLIMIT_X], (s, a) => {
  const t = s.thread
  if (t === null || a.ret(0) < 0 || a.u8(3) !== RLIMIT_NOFILE) return
  const cur = a.i64(1)
  if (cur === -1) return
  const main = t.mainThread()
  if (main !== null) main.fdlimit = cur
  return
})
on([PPME.SYSCALL_PRLIMIT_X], parsePrlimit)
on([PPME.SOCKET_SOCKETPAIR_X], parseSocketpair)
on([PPME.SCHEDSWITCH_6_E], (s, a) => {
  const t = s.thread
  if (t === null || a.empty(5)) return
  t.pfmajor = a.u64n(1)
  t.pfminor = a.u64n(2)
  const main = t.mainThread()
  if (main !== null) {
    main.vmsizeKb = a.u32(3)
    main.vmrssKb = a.u32(4)
    main.vmswapKb = a.u32(5)
  }
  return
})
on([PPME.SYSCALL_BRK_4_X, PPME.SYSCALL_MMAP_X, PPME.SYSCALL_MMAP2_X, PPME.SYSCALL_MUNMAP_X], (s, a) => {
  const t = s.thread
  if (t === null) return
  if (!a.empty(1)) t.vmsizeKb = a.u32(1)
  if (!a.empty(3)) {
    t.vmrssKb = a.u32(2)
    t.vmswapKb = a.u32(3)
  }
  return
})
on([PPME.SYSCALL_SETRESUID_X, PPME.SYSCALL_SETREUID_X], (s, a) => {
  if (a.ret(0) === 0) setThreadUser(s, a, 2)
  return
})
on([PPME.SYSCALL_SETRESGID_X, PPME.SYSCALL_SETREGID_X], (s, a) => {
  if (a.ret(0) === 0) setThreadGroup(s, a, 2)
  return
})
on([PPME.SYSCALL_SETUID_X], (s, a) => {
  if (a.ret(0) === 0) setThreadUser(s, a, 1)
  return
})
on([PPME.SYSCALL_SETGID_X], (s, a) => {
  if (a.ret(0) === 0) setThreadGroup(s, a, 1)
  return
})
on([PPME.SYSCALL_CHROOT_X], parseChroot)
on([PPME.SYSCALL_SETSID_X], (s, a) => {
  const r = a.ret(0)
  const t = s.thread ?? s.findThread(a.ev.tid)
  if (r >= 0 && t !== null) t.sid = r
  return
})
on([PPME.SYSCALL_CAPSET_X], (s, a) => {
  const t = s.thread
  if (t === null || a.ret(0) < 0) return
  t.capInheritable = a.u64(1)
  t.capPermitted = a.u64(2)
  t.capEffective = a.u64(3)
  return
})
on([PPME.USER_ADDED_E, PPME.USER_DELETED_E], (s, a) => {
  const container = a.str(5)
  const uid = a.u32(0)
  if (a.type === PPME.USER_ADDED_E) {
    // A container's user can only be updated here; adding it would need its /etc/passwd.
    if (container === '' || s.users.getUser(container, uid) !== null) {
      s.users.putUser(container, uid, a.u32(1), a.path(2), a.path(3), a.path(4))
    }
  } else {
    s.users.removeUser(container, uid)
  }
  return
})
on([PPME.GROUP_ADDED_E, PPME.GROUP_DELETED_E], (s, a) => {
  const gid = a.u32(0)
  const container = a.str(2)
  if (a.type === PPME.GROUP_ADDED_E) {
    if (container === '' || s.users.getGroup(container, gid) !== null) s.users.putGroup(container, gid, a.path(1))
  } else {
    s.users.removeGroup(container, gid)
  }
  return
})
on([PPME.SYSCALL_PRCTL_X], (s, a) => {
  if (a.ret(0) < 0) return
  const t = s.thread ?? s.findThread(a.ev.tid)
  if (t === null || t.isInvalid() || t.group === null) return
  const option = a.u32(1)
  if (option !== PR_SET_CHILD_SUBREAPER && option !== PR_GET_CHILD_SUBREAPER) return
  t.group.reaper = a.i64(3) !== 0
  return
})

// ---------------------------------------------------------------------------------------------
// Files

/** parse_dirfd: the directory a relative path is resolved against. */
export function parseDirfd(t: ThreadInfo | null, name: string, dirfd: number): string {
  if (name.length > 0 && name.charCodeAt(0) === 47) return '.'
  if (t === null) return '<UNKNOWN>'
  if (dirfd === AT_FDCWD) return t.getCwd()
  const f = t.getFd(dirfd)
  if (f === null) return '<UNKNOWN>'
  if (f.name === '' || f.name.charCodeAt(f.name.length - 1) === 47) return f.name
  return f.name + '/'
}

function parseOpenExit(s: SystemState, a: EventArgs): void {
  const t = s.thread
  if (t === null) return
  const raw = a.ev.type
  const type = a.type
  const enter = type !== PPME.SYSCALL_OPEN_BY_HANDLE_AT_X ? retrieveEnter(t, raw) : null
  const fd = a.ret(0)
  let name: string
  let flags: number
  let sdir: string
  let dev = 0
  let ino = 0
  // Flags the exit probe adds (created, layers) are kept when the enter's flags are used.
  const added = ~(O.F_CREATED - 1)
  if (type === PPME.SYSCALL_OPEN_X) {
    name = a.path(1)
    flags = a.u32(2)
    if (!a.empty(4)) {
      dev = a.u32(4)
      if (!a.empty(5)) ino = a.u64n(5)
    }
    if (enter !== null) {
      const en = viewPath(enter, 0)
      if (en !== '<NA>') {
        name = en
        flags = (enter.u32(1) | (flags & added)) >>> 0
      }
    }
    sdir = t.getCwd()
  } else if (type === PPME.SYSCALL_CREAT_X) {
    name = a.path(1)
    flags = 0
    if (!a.empty(3)) {
      dev = a.u32(3)
      if (!a.empty(4)) {
        ino = a.u64n(4)
        if (!a.empty(5)) {
          const cf = a.u16(5)
          if ((cf & CREAT_UPPER_LAYER) !== 0) flags |= O.FD_UPPER_LAYER
          else if ((cf & CREAT_LOWER_LAYER) !== 0) flags |= O.FD_LOWER_LAYER
        }
      }
    }
    if (enter !== null) {
      const en = viewPath(enter, 0)
      if (en !== '<NA>') name = en
    }
    sdir = t.getCwd()
  } else if (type === PPME.SYSCALL_OPENAT_2_X || type === PPME.SYSCALL_OPENAT2_X) {
    sdir = ''
    name = a.empty(2) ? '<NA>' : a.path(2)
    flags = a.empty(3) ? 0 : a.u32(3)
    const devI = type === PPME.SYSCALL_OPENAT_2_X ? 5 : 6
    if (!a.empty(devI + 1)) {
      dev = a.u32(devI)
      ino = a.u64n(devI + 1)
    }
    let dirfd: number | null = a.empty(1) ? null : a.i64(1)
    if (enter !== null) {
      const en = viewPath(enter, 1)
      if (en !== '<NA>') {
        name = en
        flags = (enter.u32(2) | (flags & added)) >>> 0
        dirfd = enter.paramLen(0) === 0 ? null : enter.i64(0)
      }
    }
    if (dirfd !== null) sdir = parseDirfd(t, name, dirfd)
  } else {
    flags = a.u32(2)
    name = a.path(3)
    if (a.ev.nparams > 4) {
      dev = a.u32(4)
      if (a.ev.nparams > 5) ino = a.u64n(5)
    }
    sdir = ''
  }
  const fullpath = concatenatePaths(sdir, name)
  if (fd >= 0) {
    const fi = new FdInfo()
    fi.type = (flags & O.DIRECTORY) !== 0 ? FDT.DIRECTORY : FDT.FILE_V2
    fi.openFlags = flags
    fi.dev = dev
    fi.ino = ino
    fi.nameRaw = name
    fi.name = fullpath
    if ((flags & O.FD_UPPER_LAYER) !== 0) fi.flags |= FDF.OVERLAY_UPPER
    if ((flags & O.FD_LOWER_LAYER) !== 0) fi.flags |= FDF.OVERLAY_LOWER
    s.fd = t.addFd(fd, fi)
  }
}

function parseMemfdCreate(s: SystemState, a: EventArgs): void {
  const t = s.thread
  if (t === null) return
  const fd = a.ret(0)
  const fi = new FdInfo()
  if (fd >= 0) {
    fi.type = FDT.MEMFD
    fi.name = a.path(1)
    fi.openFlags = a.u32(2)
  }
  // libsinsp adds the entry even for a failed call (under the negative fd).
  s.fd = t.addFd(fd, fi)
}

function parsePidfdOpen(s: SystemState, a: EventArgs): void {
  const t = s.thread
  if (t === null) return
  const fd = a.ret(0)
  if (fd < 0) return
  const fi = new FdInfo()
  const pid = a.i64(1)
  fi.type = FDT.PIDFD
  fi.name = `/proc/${pid}`
  fi.openFlags = a.u32(2)
  fi.pid = pid
  s.fd = t.addFd(fd, fi)
}

function parsePidfdGetfd(s: SystemState, a: EventArgs): void {
  const t = s.thread
  if (t === null) return
  const fd = a.ret(0)
  const pf = t.getFd(a.i64(1))
  if (pf === null || pf.type !== FDT.PIDFD) return
  const pt = s.findThread(pf.pid)
  if (pt === null) return
  const target = pt.getFd(a.i64(2))
  if (target === null) return
  const fi = target.clone()
  fi.clearCloseOnExec()
  fi.openFlags |= O.CLOEXEC
  s.fd = t.addFd(fd, fi)
}

function parsePipe(s: SystemState, a: EventArgs): void {
  const t = s.thread
  if (a.ret(0) < 0 || t === null) return
  const ino = a.u64n(3)
  const flags = a.type === PPME.SYSCALL_PIPE2_X ? a.u32(4) : 0
  for (const fd of [a.i64(1), a.i64(2)]) {
    const fi = new FdInfo()
    fi.type = FDT.FIFO
    fi.ino = ino
    fi.openFlags = flags
    s.fd = t.addFd(fd, fi)
  }
}

function parseCloseRange(s: SystemState, a: EventArgs): void {
  const t = s.thread
  if (t === null || a.ret(0) < 0) return
  const table = t.fdTable()
  if (table === null) return
  const first = a.u32(1)
  const last = a.u32(2)
  const cloexec = (a.u32(3) & CLOSE_RANGE_CLOEXEC) !== 0
  for (const [fd, f] of table) {
    if (fd < 0 || fd < first || fd > last) continue
    if (cloexec) f.openFlags |= O.CLOEXEC
    else table.delete(fd)
  }
}

function parseFcntl(s: SystemState, a: EventArgs): void {
  const t = s.thread
  if (t === null) return
  const cmd = a.u8(2)
  if (cmd !== FCNTL.F_DUPFD && cmd !== FCNTL.F_DUPFD_CLOEXEC && cmd !== FCNTL.F_SETFD) return
  const r = a.ret(0)
  const fd = s.fd
  if (r < 0 || fd === null) return
  if (cmd === FCNTL.F_SETFD) {
    fd.clearCloseOnExec()
    if ((a.u64n(3) & FD_CLOEXEC) !== 0) fd.openFlags |= O.CLOEXEC
    return
  }
  const fi = fd.clone()
  fi.clearCloseOnExec()
  if (cmd === FCNTL.F_DUPFD_CLOEXEC) fi.openFlags |= O.CLOEXEC
  s.fd = t.addFd(r, fi)
}

function parseDup(s: SystemState, a: EventArgs): void {
  const t = s.thread
  if (t === null) return
  const r = a.ret(0)
  if (r < 0 || s.fd === null) return
  if (r === 0) t.flags |= CL.PIPE_DST
  if (r === 1) t.flags |= CL.PIPE_SRC
  // The old fd at `r` (dup2/dup3 over an open fd) is simply overwritten.
  t.getFd(r)
  const fi = s.fd.clone()
  fi.clearCloseOnExec()
  if (a.type === PPME.SYSCALL_DUP3_X && (a.u32(3) & O.CLOEXEC) !== 0) fi.openFlags |= O.CLOEXEC
  s.fd = t.addFd(r, fi)
}

function singleFd(s: SystemState, a: EventArgs, type: number): void {
  const t = s.thread
  if (t === null) return
  const r = a.ret(0)
  if (r < 0) return
  const fi = new FdInfo()
  fi.type = type
  switch (a.type) {
    case PPME.SYSCALL_INOTIFY_INIT1_X:
    case PPME.SYSCALL_SIGNALFD4_X:
      fi.openFlags = a.u16(1)
      break
    case PPME.SYSCALL_TIMERFD_CREATE_X:
      fi.openFlags = a.u8(2)
      break
    case PPME.SYSCALL_EPOLL_CREATE1_X:
      if ((a.u32(1) & EPOLL_CLOEXEC) !== 0) fi.openFlags |= O.CLOEXEC
      break
    default:
  }
  s.fd = t.addFd(r, fi)
}

function parsePrlimit(s: SystemState, a: EventArgs): void {
  if (a.ret(0) !== 0) return
  if (a.empty(6) || a.u8(6) !== RLIMIT_NOFILE) return
  const cur = a.i64(1)
  if (cur === -1 || a.empty(5)) return
  let tid = a.i64(5)
  if (tid === 0) tid = a.ev.tid
  const p = s.getThread(tid)
  if (p === null || p.isInvalid()) return
  const main = p.mainThread()
  if (main !== null) main.fdlimit = cur
}

function parseChroot(s: SystemState, a: EventArgs): void {
  const t = s.thread
  if (t === null || a.ret(0) !== 0) return
  const p = a.path(1)
  // get_param_as_str: a relative path resolves against the cwd.
  if (p === '<NA>' || p === '' || p.charCodeAt(0) === 47) t.root = p
  else t.root = concatenatePaths(t.getCwd(), p)
}

function setThreadUser(s: SystemState, a: EventArgs, i: number): void {
  if (a.empty(i)) return
  const t = s.thread ?? s.findThread(a.ev.tid)
  if (t === null) return
  t.uid = a.u32(i)
  s.users.touchUser(t.containerId, t.uid, t.gid)
}

function setThreadGroup(s: SystemState, a: EventArgs, i: number): void {
  if (a.empty(i)) return
  const t = s.thread ?? s.findThread(a.ev.tid)
  if (t === null) return
  t.gid = a.u32(i)
  s.users.touchGroup(t.containerId, t.gid)
}

function parseUnshareSetns(s: SystemState, a: EventArgs): void {
  const t = s.thread
  if (t === null || a.ret(0) < 0) return
  let flags = 0
  if (a.type === PPME.SYSCALL_UNSHARE_X) flags = a.u32(1)
  else if (!a.empty(2)) flags = a.u32(2)
  if ((flags & CL.CLONE_NEWUSER) === 0) return
  t.capInheritable = MAX_CAPS
  t.capPermitted = MAX_CAPS
  t.capEffective = MAX_CAPS
}

// ---------------------------------------------------------------------------------------------
// Processes

function parseThreadExit(s: SystemState, a: EventArgs): void {
  const t = s.thread
  if (t === null) return
  if (t.group !== null && !t.isDead()) t.group.decrement()
  t.setDead()
  s.scheduleThreadRemoval(a.ev.tid)
  if (t.children.length === 0) return
  if (a.ev.nparams > 4) {
    if (!a.empty(4)) t.reaperTid = a.i64(4)
  } else {
    t.reaperTid = -1
  }
}

// Fields a new process or thread takes from the thread it was cloned from.
function inherit(child: ThreadInfo, from: ThreadInfo): void {
  child.exepath = from.exepath
  child.exeWritable = from.exeWritable
  child.exeUpperLayer = from.exeUpperLayer
  child.exeLowerLayer = from.exeLowerLayer
  child.exeFromMemfd = from.exeFromMemfd
  child.root = from.root
  child.sid = from.sid
  child.vpgid = from.vpgid
  child.pgid = from.pgid
  child.tty = from.tty
  child.loginuid = from.loginuid
  child.capPermitted = from.capPermitted
  child.capInheritable = from.capInheritable
  child.capEffective = from.capEffective
  child.exeIno = from.exeIno
  child.exeInoCtime = from.exeInoCtime
  child.exeInoMtime = from.exeInoMtime
  child.exeInoCtimeDurationCloneTs = from.exeInoCtimeDurationCloneTs
}

// The lists clone and execve exits carry, read once while they repeat (see ListMemo); a
// clone's arguments are its parent's, so they get their own memo
const ENV = new ListMemo(list => list)
const CGROUPS = new ListMemo(cgroupLists)
const CLONE_ARGS = new ListMemo(list => list)
const EXEC_ARGS = new ListMemo(list => list)

// A new process gets a copy of its parent's fd table, cwd and environment.
function copyProcess(child: ThreadInfo, from: ThreadInfo): void {
  const table = from.fdTable()
  if (table !== null) {
    child.fds.clear()
    // forEach: for-of made an [fd, f] array per entry
    table.forEach((f, fd) => {
      const c = f.clone()
      c.flags |= FDF.IS_CLONED
      child.fds.set(fd, c)
    })
  }
  child.cwd = from.getCwd()
  child.env = from.env
}

// The memory and identity params every clone exit carries.
function cloneCommon(s: SystemState, a: EventArgs, child: ThreadInfo): void {
  child.fdlimit = a.i64(7)
  if (!a.empty(12)) {
    child.pfmajor = a.u64n(8)
    child.pfminor = a.u64n(9)
    child.vmsizeKb = a.u32(10)
    child.vmrssKb = a.u32(11)
    child.vmswapKb = a.u32(12)
  }
  child.uid = a.u32(16)
  child.gid = a.u32(17)
  s.users.touchUser('', child.uid, child.gid)
  s.users.touchGroup('', child.gid)
  if (!a.empty(14)) child.setCgroupLists(a.strsVia(14, CGROUPS))
  child.cloneTs = a.ev.ts
}

function bootTs(s: SystemState): bigint {
  return s.machine === null ? 0n : s.machine.bootTsEpoch
}

function parseCloneCaller(s: SystemState, a: EventArgs, childTid: number): void {
  const ev = a.ev
  const callerTid = ev.tid
  const caller = s.getThread(callerTid)
  if (caller === null) {
    s.thread = null
    return
  }
  let validCaller = true
  if (caller.isInvalid()) {
    validCaller = false
    caller.pid = a.i64(4)
    caller.ptid = a.i64(5)
    if (!a.empty(19)) {
      caller.vtid = a.i64(18)
      caller.vpid = a.i64(19)
    } else {
      caller.vtid = callerTid
      caller.vpid = -1
    }
    s.createDependencies(caller)
  }
  s.thread = caller
  const flags = a.u32(15)
  // A child in a pid namespace is left to its own clone exit (the caller cannot know its ids).
  if ((flags & (CL.CHILD_IN_PIDNS | CL.CLONE_NEWPID | CL.CLONE_PARENT)) !== 0 || callerTid !== caller.vtid) return
  // vfork: the child may exit before the parent returns; its own exit event makes it.
  if ((flags & CL.CLONE_VFORK) !== 0 || a.type === PPME.SYSCALL_VFORK_20_X) return
  if (s.hasRecentlyExited(childTid, callerTid)) return
  let collision = false
  const existing = s.findThread(childTid)
  if (existing !== null) {
    if ((existing.flags & CL.CLONE_INVERTED) !== 0) return
    s.removeThread(childTid)
    collision = true
  }
  const child = new ThreadInfo()
  child.flags = flags
  child.tid = childTid
  if ((flags & CL.CLONE_THREAD) === 0) {
    if (validCaller) copyProcess(child, caller)
    child.pid = childTid
    child.ptid = caller.tid
  } else {
    child.pid = caller.pid
    child.ptid = caller.ptid
    child.flags |= CL.CLONE_FILES
    child.lastExecTs = caller.lastExecTs
  }
  child.vtid = child.tid
  child.vpid = child.pid
  child.exe = a.path(1)
  const args = a.strsVia(2, CLONE_ARGS)
  child.setArgs(args)
  child.comm = a.empty(13) ? child.exe : a.path(13)
  cloneCommon(s, a, child)
  child.pidnsInitStartTs = bootTs(s)
  if (validCaller) {
    inherit(child, caller)
  } else {
    caller.exe = child.exe
    caller.comm = child.comm
    caller.setArgs(args)
  }
  if (s.addThread(child, true) === null) return
  if (collision) {
    s.thread = s.findThread(callerTid)
    s.fd = null
  }
}

function parseCloneChild(s: SystemState, a: EventArgs): void {
  const ev = a.ev
  const childTid = ev.tid
  const cur = s.thread
  if (cur !== null && cur.cloneTs !== 0n) {
    // A fresh entry for this tid: the event is a duplicate; a stale one: a tid collision.
    if (ev.ts - cur.cloneTs < BigInt(CLONE_STALE_TIME_NS)) return
    s.removeThread(childTid)
    s.thread = null
  }
  const child = new ThreadInfo()
  child.tid = childTid
  child.pid = a.i64(4)
  child.ptid = a.i64(5)
  if (!a.empty(19)) {
    child.vtid = a.i64(18)
    child.vpid = a.i64(19)
  } else {
    child.vtid = child.tid
    child.vpid = -1
  }
  child.flags = a.u32(15) | CL.CLONE_INVERTED
  const leader = (child.flags & CL.CLONE_THREAD) === 0
  const lookupTid = leader ? child.ptid : child.pid
  if (!leader) child.flags |= CL.CLONE_FILES
  const lookup = s.getThread(lookupTid)
  if (lookup === null) {
    s.thread = null
    return
  }
  let validLookup = true
  if (lookup.isInvalid()) {
    validLookup = false
    if (!leader) {
      lookup.pid = child.pid
      lookup.ptid = child.ptid
      lookup.vpid = child.vpid
      lookup.vtid = lookup.vpid
      s.createDependencies(lookup)
    }
  }
  child.exe = a.path(1)
  child.comm = a.empty(13) ? child.exe : a.path(13)
  const args = a.strsVia(2, CLONE_ARGS)
  child.setArgs(args)
  if (validLookup) {
    inherit(child, lookup)
    if (leader) copyProcess(child, lookup)
    else child.lastExecTs = lookup.lastExecTs
  } else if (!leader) {
    lookup.exe = child.exe
    lookup.comm = child.comm
    lookup.setArgs(args)
  }
  cloneCommon(s, a, child)
  if ((child.flags & (CL.CHILD_IN_PIDNS | CL.CLONE_NEWPID)) !== 0 || child.tid !== child.vtid) {
    if (!a.empty(20)) child.pidnsInitStartTs = a.u64(20) + bootTs(s)
  } else {
    child.pidnsInitStartTs = bootTs(s)
  }
  const added = s.addThread(child, true)
  s.thread = added
}

function parseExecveExit(s: SystemState, a: EventArgs): void {
  if (a.ret(0) < 0) return
  const t = s.thread
  if (t === null) return
  const ev = a.ev
  if (t.isDead()) t.resurrect()
  t.exe = a.path(1)
  t.lastExecTs = ev.ts
  t.comm = a.empty(13) ? t.exe : a.path(13)
  t.setArgs(a.strsVia(2, EXEC_ARGS))
  t.pid = a.i64(4)
  if (t.isInvalid()) {
    t.ptid = a.i64(5)
    if ((t.flags & CL.CHILD_IN_PIDNS) === 0) {
      t.vtid = t.tid
      t.vpid = t.pid
    }
    s.createDependencies(t)
  }
  t.fdlimit = a.i64(7)
  if (!a.empty(12)) {
    t.pfmajor = a.u64n(8)
    t.pfminor = a.u64n(9)
    t.vmsizeKb = a.u32(10)
    t.vmrssKb = a.u32(11)
    t.vmswapKb = a.u32(12)
  }
  if (!a.empty(15)) t.env = a.strsVia(15, ENV)
  if (!a.empty(14)) t.setCgroupLists(a.strsVia(14, CGROUPS))
  if (!a.empty(16)) t.tty = a.u32(16)
  if (!a.empty(27)) {
    t.exepath = a.path(27)
  } else {
    // Old captures: rebuild it from the enter event.
    const enter = retrieveEnter(t, ev.type)
    if (enter !== null) {
      let full = ''
      if (enter.type === PPME.SYSCALL_EXECVE_19_E) {
        const filename = viewPath(enter, 0)
        full = filename === '<NA>' ? '<NA>' : concatenatePaths(t.getCwd(), filename)
      } else if (enter.type === PPME.SYSCALL_EXECVEAT_E) {
        const dirfd = enter.i64(0)
        const flags = enter.u32(2)
        const pathname = viewPath(enter, 1)
        const sdir = parseDirfd(t, pathname, dirfd)
        if (sdir !== '.' && sdir !== '<UNKNOWN>') s.fd = t.getFd(dirfd)
        if (((flags & EXVAT_AT_EMPTY_PATH) === 0 && pathname === '<NA>') || sdir === '<UNKNOWN>') full = '<NA>'
        else if ((flags & EXVAT_AT_EMPTY_PATH) !== 0) full = concatenatePaths('', sdir)
        else full = concatenatePaths(sdir, pathname)
      }
      t.exepath = full
    }
  }
  if (!a.empty(17)) t.vpgid = a.i64(17)
  if (!a.empty(18)) t.loginuid = a.u32(18)
  if (!a.empty(19)) {
    const f = a.u32(19)
    t.exeWritable = (f & EXE.WRITABLE) !== 0
    t.exeUpperLayer = (f & EXE.UPPER_LAYER) !== 0
    t.exeFromMemfd = (f & EXE.FROM_MEMFD) !== 0
    t.exeLowerLayer = (f & EXE.LOWER_LAYER) !== 0
  }
  if (!a.empty(22)) {
    t.capInheritable = a.u64(20)
    t.capPermitted = a.u64(21)
    t.capEffective = a.u64(22)
  }
  if (!a.empty(25)) {
    t.exeIno = a.u64(23)
    t.exeInoCtime = a.u64(24)
    t.exeInoMtime = a.u64(25)
    if (t.cloneTs !== 0n) t.exeInoCtimeDurationCloneTs = BigInt.asUintN(64, t.cloneTs - t.exeInoCtime)
    if (t.pidnsInitStartTs !== 0n && t.exeInoCtime > t.pidnsInitStartTs) {
      t.exeInoCtimeDurationPidnsStart = t.exeInoCtime - t.pidnsInitStartTs
    }
  }
  if (!a.empty(26)) t.uid = a.u32(26)
  t.pgid = a.empty(28) ? -1 : a.i64(28)
  if (!a.empty(29)) t.gid = a.u32(29)
  s.users.touchUser(t.containerId, t.uid, t.gid)
  s.users.touchGroup(t.containerId, t.gid)
  // close-on-exec fds are gone after a successful exec.
  const table = t.fdTable()
  if (table !== null) {
    table.forEach((f, fd) => {
      if (f.isCloseOnExec()) table.delete(fd)
    })
  }
  const keep = t.flags & (CL.PIPE_SRC | CL.PIPE_DST | CL.IS_MAIN_THREAD)
  const inverted = t.flags & CL.CLONE_INVERTED
  t.flags = CL.ACTIVE | keep | inverted | CL.NAME_CHANGED
  // An exec ends every other thread of the process.
  const g = t.group
  if (g !== null && g.alive > 1) {
    for (const th of g.threads.slice()) {
      if (th.removed || th.isMainThread() || th.tid === t.tid) continue
      s.removeThread(th.tid)
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Sockets

function addSocket(s: SystemState, t: ThreadInfo, fd: number, domain: number, type: number, proto: number, flags: number): void {
  const fi = new FdInfo()
  const sock = fi.sockinfo()
  fi.type = FDT.UNKNOWN
  fi.openFlags = flags
  if (domain === AF.UNIX) {
    fi.type = FDT.UNIX_SOCK
  } else if (domain === AF.INET || domain === AF.INET6) {
    fi.type = domain === AF.INET ? FDT.IPV4_SOCK : FDT.IPV6_SOCK
    let l4: number = L4.UNKNOWN
    if (proto === IPPROTO.TCP) l4 = type === SOCK.RAW ? L4.RAW : L4.TCP
    else if (proto === IPPROTO.UDP) l4 = type === SOCK.RAW ? L4.RAW : L4.UDP
    else if (proto === IPPROTO.IP) {
      if ((type & 0xff) === SOCK.STREAM) l4 = L4.TCP
      else if ((type & 0xff) === SOCK.DGRAM) l4 = L4.UDP
    } else if (proto === IPPROTO.ICMP) l4 = type === SOCK.RAW ? L4.RAW : L4.ICMP
    else if (proto === IPPROTO.RAW) l4 = L4.RAW
    sock[domain === AF.INET ? V4_L4 : V6_L4] = l4
  } else if (domain === AF.NETLINK) {
    fi.type = FDT.NETLINK
  }
  s.fd = t.addFd(fd, fi)
}

function sockaddrValid(b: Uint8Array): boolean {
  if (b.length === 0) return false
  switch (b[0]) {
    case AF.INET: return b.length >= 7
    case AF.INET6: return b.length >= 19
    case AF.UNIX: return b.length >= 2 && b[b.length - 1] === 0
    default: return true
  }
}

function socktupleValid(b: Uint8Array): boolean {
  if (b.length === 0) return false
  switch (b[0]) {
    case AF.INET: return b.length >= 13
    case AF.INET6: return b.length >= 37
    case AF.UNIX: return b.length >= 18 && b[b.length - 1] === 0
    default: return true
  }
}

function cstr(b: Uint8Array, o: number): string {
  let e = o
  while (e < b.length && b[e] !== 0) e++
  return new TextDecoder().decode(b.subarray(o, e))
}

/** The text libsinsp renders a PT_SOCKADDR param as (no name resolution). */
export function sockaddrText(b: Uint8Array): string {
  if (b.length === 0) return '<NA>'
  const f = b[0]!
  if (f === AF.UNIX) return cstr(b, 1)
  if (f === AF.INET) return b.length === 7 ? v4addrPort(rd32(b, 1), rd16(b, 5)) : 'INVALID IPv4'
  if (f === AF.INET6) return b.length === 19 ? `${v6text(b, 1)}:${rd16(b, 17)}` : 'INVALID IPv6'
  return `family ${f}`
}

/** The text libsinsp renders a PT_SOCKTUPLE param as (no name resolution). */
export function socktupleText(b: Uint8Array): string {
  if (b.length === 0) return 'NULL'
  const f = b[0]!
  if (f === AF.INET) {
    return b.length === 13 ? v4tupleText(rd32(b, 1), rd16(b, 5), rd32(b, 7), rd16(b, 11)) : 'INVALID IPv4'
  }
  if (f === AF.INET6) {
    if (b.length !== 37) return 'INVALID IPv6'
    if (isIpv4Mapped(b, 1) && isIpv4Mapped(b, 19)) return v4tupleText(rd32(b, 13), rd16(b, 17), rd32(b, 31), rd16(b, 35))
    return `${v6text(b, 1)}:${rd16(b, 17)}->${v6text(b, 19)}:${rd16(b, 35)}`
  }
  if (f === AF.UNIX) {
    if (b.length < 17) return 'family 1'
    return unixTupleText(rd64le(b, 1), rd64le(b, 9), cstr(b, 17))
  }
  return `family ${f}`
}

function rd64le(b: Uint8Array, o: number): bigint {
  return (BigInt(rd32(b, o + 4)) << 32n) | BigInt(rd32(b, o))
}

function setUnixInfo(fd: FdInfo, tuple: Uint8Array): void {
  const s = fd.sockinfo()
  s.set(tuple.subarray(1, 9), UNIX_SRC)
  s.set(tuple.subarray(9, 17), UNIX_DST)
}

/** update_ipv4_addresses_and_ports: false when nothing changed (same tuple either way round). */
function setV4(fd: FdInfo, b: Uint8Array, sipO: number, sportO: number, dipO: number, dportO: number, overwrite = true): boolean {
  const s = fd.sockinfo()
  const tsip = rd32(b, sipO)
  const tsport = rd16(b, sportO)
  const tdip = rd32(b, dipO)
  const tdport = rd16(b, dportO)
  const sip = rd32(s, V4_SIP)
  const sport = rd16(s, V4_SPORT)
  const dip = rd32(s, V4_DIP)
  const dport = rd16(s, V4_DPORT)
  if (fd.type === FDT.IPV4_SOCK) {
    if ((tsip === sip && tsport === sport && tdip === dip && tdport === dport) ||
        (tdip === sip && tdport === sport && tsip === dip && tsport === dport)) return false
  }
  let changed = false
  if (sip !== tsip) { wr32(s, V4_SIP, tsip); changed = true }
  if (sport !== tsport) { wr16(s, V4_SPORT, tsport); changed = true }
  if (dip === 0 || (overwrite && dip !== tdip)) { wr32(s, V4_DIP, tdip); changed = true }
  if (dport === 0 || (overwrite && dport !== tdport)) { wr16(s, V4_DPORT, tdport); changed = true }
  return changed
}

function setV6(fd: FdInfo, b: Uint8Array, sipO: number, sportO: number, dipO: number, dportO: number, overwrite = true): boolean {
  const s = fd.sockinfo()
  const tsport = rd16(b, sportO)
  const tdport = rd16(b, dportO)
  const sport = rd16(s, V6_SPORT)
  const dport = rd16(s, V6_DPORT)
  if (fd.type === FDT.IPV6_SOCK) {
    if ((eq16(b, sipO, s, V6_SIP) && tsport === sport && eq16(b, dipO, s, V6_DIP) && tdport === dport) ||
        (eq16(b, dipO, s, V6_SIP) && tdport === sport && eq16(b, sipO, s, V6_DIP) && tsport === dport)) return false
  }
  let changed = false
  if (!eq16(s, V6_SIP, b, sipO)) { s.set(b.subarray(sipO, sipO + 16), V6_SIP); changed = true }
  if (sport !== tsport) { wr16(s, V6_SPORT, tsport); changed = true }
  if (isZero16(s, V6_DIP) || (overwrite && !eq16(s, V6_DIP, b, dipO))) { s.set(b.subarray(dipO, dipO + 16), V6_DIP); changed = true }
  if (dport === 0 || (overwrite && dport !== tdport)) { wr16(s, V6_DPORT, tdport); changed = true }
  return changed
}

function swapAddresses(fd: FdInfo): void {
  const s = fd.sockinfo()
  if (fd.type === FDT.IPV4_SOCK) {
    const ip = rd32(s, V4_SIP)
    const port = rd16(s, V4_SPORT)
    wr32(s, V4_SIP, rd32(s, V4_DIP))
    wr16(s, V4_SPORT, rd16(s, V4_DPORT))
    wr32(s, V4_DIP, ip)
    wr16(s, V4_DPORT, port)
  } else {
    const ip = s.slice(V6_SIP, V6_SIP + 16)
    const port = rd16(s, V6_SPORT)
    s.copyWithin(V6_SIP, V6_DIP, V6_DIP + 16)
    wr16(s, V6_SPORT, rd16(s, V6_DPORT))
    s.set(ip, V6_DIP)
    wr16(s, V6_DPORT, port)
  }
}

/** sockinfo_to_str for the fd's own type. */
export function socketName(fd: FdInfo): string {
  const s = fd.sockinfo()
  if (fd.type === FDT.IPV4_SOCK) return v4sockText(s)
  if (fd.type === FDT.IPV6_SOCK) return v6sockText(s)
  return ''
}

function parseBind(s: SystemState, a: EventArgs): void {
  const fd = s.fd
  if (fd === null || a.ret(0) < 0) return
  const addr = a.bytes(1)
  if (!sockaddrValid(addr)) return
  const sock = fd.sockinfo()
  const family = addr[0]
  if (family === AF.INET) {
    const ip = rd32(addr, 1)
    const port = rd16(addr, 5)
    if (port > 0) {
      fd.type = FDT.IPV4_SERVSOCK
      const l4 = sock[V4_L4]!
      wr32(sock, V4S_IP, ip)
      wr16(sock, V4S_PORT, port)
      sock[V4S_L4] = l4
      fd.setRoleServer()
    }
  } else if (family === AF.INET6) {
    const port = rd16(addr, 17)
    if (port > 0) {
      if (isIpv4Mapped(addr, 1)) {
        fd.type = FDT.IPV4_SERVSOCK
        sock[V4S_L4] = sock[V6_L4]!
        wr32(sock, V4S_IP, rd32(addr, 13))
        wr16(sock, V4S_PORT, port)
      } else {
        fd.type = FDT.IPV6_SERVSOCK
        wr16(sock, V6S_PORT, port)
        sock.set(addr.subarray(1, 17), V6S_IP)
        sock[V6S_L4] = sock[V6_L4]!
      }
      fd.setRoleServer()
    }
  }
  fd.name = sockaddrText(addr)
}

function parseConnect(s: SystemState, a: EventArgs): void {
  const t = s.thread
  const fd = s.fd
  if (t === null || fd === null) return
  const r = a.ret(0)
  if (r < 0 && r !== -EINPROGRESS) return
  fd.setConnected()
  const enter = retrieveEnter(t, a.ev.type)
  let enterAddr: Uint8Array | null = null
  if (enter !== null) {
    const b = enter.bytes(1)
    if (sockaddrValid(b)) enterAddr = b
  }
  const tuple = a.bytes(1)
  if (tuple.length === 0) {
    if (enterAddr === null) return
    fillFromAddr(fd, enterAddr)
    return
  }
  let exitAddr: Uint8Array | null = a.bytes(3)
  if (!sockaddrValid(exitAddr)) exitAddr = null
  if (!socktupleValid(tuple)) return
  fillClientSocket(fd, tuple, exitAddr, enterAddr)
}

function fillFromAddr(fd: FdInfo, addr: Uint8Array): void {
  const sock = fd.sockinfo()
  switch (addr[0]) {
    case AF.INET:
      fd.type = FDT.IPV4_SOCK
      wr32(sock, V4_DIP, rd32(addr, 1))
      wr16(sock, V4_DPORT, rd16(addr, 5))
      break
    case AF.INET6: {
      const port = rd16(addr, 17)
      if (isIpv4Mapped(addr, 1)) {
        fd.type = FDT.IPV4_SOCK
        wr32(sock, V4_DIP, rd32(addr, 13))
        wr16(sock, V4_DPORT, port)
      } else {
        fd.type = FDT.IPV6_SOCK
        wr16(sock, V6_DPORT, port)
        sock.set(addr.subarray(1, 17), V6_DIP)
      }
      break
    }
    default:
      // libsinsp renders the exit's (empty) tuple param here.
      fd.name = 'NULL'
  }
}

function fillClientSocket(fd: FdInfo, tuple: Uint8Array, exitAddr: Uint8Array | null, enterAddr: Uint8Array | null): void {
  const family = tuple[0]
  if (family === AF.INET || family === AF.INET6) {
    let changed: boolean
    if (family === AF.INET6) {
      // The destination: the tuple's, unless the exit's address agrees with it, in which
      // case the enter's address (not subject to TOCTOU) is used.
      let db = tuple
      let dipO = 19
      let dportO = 35
      if (exitAddr !== null && enterAddr !== null && !(rd16(tuple, 35) !== rd16(exitAddr, 17) || !eq16(tuple, 19, exitAddr, 1))) {
        db = enterAddr
        dipO = 1
        dportO = 17
      }
      const tmp = new Uint8Array(36)
      tmp.set(tuple.subarray(1, 17), 0)
      tmp[16] = tuple[17]!
      tmp[17] = tuple[18]!
      tmp.set(db.subarray(dipO, dipO + 16), 18)
      tmp[34] = db[dportO]!
      tmp[35] = db[dportO + 1]!
      if (!(isIpv4Mapped(tmp, 0) && isIpv4Mapped(tmp, 18))) {
        fd.type = FDT.IPV6_SOCK
        changed = setV6(fd, tmp, 0, 16, 18, 34, true)
      } else {
        fd.type = FDT.IPV4_SOCK
        changed = setV4(fd, tmp, 12, 16, 30, 34, true)
      }
    } else {
      fd.type = FDT.IPV4_SOCK
      let db = tuple
      let dipO = 7
      let dportO = 11
      if (exitAddr !== null && enterAddr !== null && rd16(tuple, 11) === rd16(exitAddr, 5) && rd32(tuple, 7) === rd32(exitAddr, 1)) {
        db = enterAddr
        dipO = 1
        dportO = 5
      }
      const tmp = new Uint8Array(12)
      tmp.set(tuple.subarray(1, 7), 0)
      tmp.set(db.subarray(dipO, dipO + 4), 6)
      tmp[10] = db[dportO]!
      tmp[11] = db[dportO + 1]!
      changed = setV4(fd, tmp, 0, 4, 6, 10, true)
    }
    if (changed && fd.isRoleServer() && fd.isUdpSocket()) swapAddresses(fd)
    fd.name = socketName(fd)
  } else {
    if (!fd.isUnixSocket()) return
    let dpath = cstr(tuple, 17)
    if (exitAddr !== null && enterAddr !== null && cstr(exitAddr, 1).slice(0, 108) === dpath.slice(0, 108)) {
      dpath = cstr(enterAddr, 1)
    }
    setUnixInfo(fd, tuple)
    const sock = fd.sockinfo()
    fd.name = unixTupleText(rd64le(sock, UNIX_SRC), rd64le(sock, UNIX_DST), dpath)
  }
  if (fd.isRoleNone()) fd.setRoleClient()
}

function parseAccept(s: SystemState, a: EventArgs): void {
  const t = s.thread
  if (t === null) return
  const fdnum = a.ret(0)
  if (fdnum < 0) return
  t.lastEventFd = fdnum
  const tuple = a.bytes(1)
  if (!socktupleValid(tuple)) return
  const fi = new FdInfo()
  const sock = fi.sockinfo()
  const family = tuple[0]
  if (family === AF.INET) {
    setV4(fi, tuple, 1, 5, 7, 11)
    fi.type = FDT.IPV4_SOCK
    sock[V4_L4] = L4.TCP
  } else if (family === AF.INET6) {
    if (isIpv4Mapped(tuple, 1) && isIpv4Mapped(tuple, 19)) {
      setV4(fi, tuple, 13, 17, 31, 35)
      fi.type = FDT.IPV4_SOCK
      sock[V4_L4] = L4.TCP
    } else {
      setV6(fi, tuple, 1, 17, 19, 35)
      fi.type = FDT.IPV6_SOCK
      sock[V6_L4] = L4.TCP
    }
  } else if (family === AF.UNIX) {
    fi.type = FDT.UNIX_SOCK
    setUnixInfo(fi, tuple)
  } else {
    return
  }
  fi.name = socktupleText(tuple)
  fi.openFlags = a.type === PPME.SOCKET_ACCEPT4_6_X ? a.i32(5) & O.CLOEXEC : 0
  fi.flags = 0
  fi.setRoleServer()
  fi.setConnected()
  s.fd = t.addFd(fdnum, fi)
}

function parseSocketpair(s: SystemState, a: EventArgs): void {
  const t = s.thread
  if (a.ret(0) < 0 || t === null) return
  const fd1 = a.i64(1)
  const fd2 = a.i64(2)
  if (fd1 === fd2) {
    s.fd = null
    return
  }
  const f1 = new FdInfo()
  f1.type = FDT.UNIX_SOCK
  const sock = f1.sockinfo()
  const src = a.bytes(3)
  const dst = a.bytes(4)
  if (src.length >= 8) sock.set(src.subarray(0, 8), UNIX_SRC)
  if (dst.length >= 8) sock.set(dst.subarray(0, 8), UNIX_DST)
  // libsinsp ignores SOCK_CLOEXEC here, so both ends outlived every exec in Falco's state
  // (a program node started kept node's own ends of the socketpairs for its stdio).
  if ((a.u32(6) & SOCK_CLOEXEC) !== 0) f1.openFlags = O.CLOEXEC
  const f2 = f1.clone()
  s.fd = t.addFd(fd1, f1)
  t.addFd(fd2, f2)
}

/** update_fd: a read/write's tuple completes (or changes) the socket it was done on. */
function updateFd(s: SystemState, fd: FdInfo, tuple: Uint8Array): boolean {
  if (!socktupleValid(tuple)) return false
  const sock = fd.sockinfo()
  const family = tuple[0]
  if (family === AF.INET) {
    if (fd.type === FDT.IPV4_SERVSOCK) sock[V4_L4] = sock[V4S_L4]!
    fd.type = FDT.IPV4_SOCK
    if (!setV4(fd, tuple, 1, 5, 7, 11)) return false
  } else if (family === AF.INET6) {
    if (isIpv4Mapped(tuple, 1) && isIpv4Mapped(tuple, 19)) {
      fd.type = FDT.IPV4_SOCK
      if (!setV4(fd, tuple, 13, 17, 31, 35)) return false
    } else if (!setV6(fd, tuple, 1, 17, 19, 35)) {
      return false
    }
  } else if (family === AF.UNIX) {
    fd.type = FDT.UNIX_SOCK
    setUnixInfo(fd, tuple)
    fd.name = cstr(tuple, 17)
    return true
  }
  if (fd.type === FDT.IPV4_SOCK) {
    if (sock[V4_L4] === L4.UNKNOWN) sock[V4_L4] = L4.UDP
  } else if (fd.type === FDT.IPV6_SOCK) {
    if (sock[V6_L4] === L4.UNKNOWN) sock[V6_L4] = L4.UDP
  }
  s.interfaces.updateTuple(fd.type, sock)
  return true
}

// set_net_role_by_guessing (reads the ipv4 ports whatever the family, as libsinsp does).
function guessRole(t: ThreadInfo, fd: FdInfo, incoming: boolean): void {
  const sock = fd.sockinfo()
  const dport = rd16(sock, V4_DPORT)
  const sport = rd16(sock, V4_SPORT)
  const table = t.fdTable()
  let bound = false
  let usesClient = false
  if (table !== null) {
    for (const f of table.values()) {
      if (f.sock === null) continue
      if (f.type === FDT.IPV4_SOCK) {
        if (rd16(f.sock, V4_DPORT) === dport) bound = true
        if (rd16(f.sock, V4_SPORT) === sport) usesClient = true
      } else if (f.type === FDT.IPV4_SERVSOCK && rd16(f.sock, V4S_PORT) === dport) {
        bound = true
      }
    }
  }
  if (!bound) {
    fd.setRoleClient()
    return
  }
  if (!usesClient) {
    fd.setRoleServer()
    return
  }
  if (fd.isRoleNone()) {
    if (incoming) fd.setRoleServer()
    else fd.setRoleClient()
  }
}

function parseReadExit(s: SystemState, a: EventArgs): void {
  const type = a.type
  if (type === PPME.SOCKET_RECVMMSG_X && a.empty(0)) return
  const fd = s.fd
  if (fd === null) return
  if (a.ret(0) < 0) return
  if (fd.type === FDT.IPV4_SOCK || fd.type === FDT.IPV6_SOCK) fd.setConnected()
  const tp = type === PPME.SOCKET_RECVFROM_X ? 2 : type === PPME.SOCKET_RECVMSG_X ? 3
    : type === PPME.SOCKET_RECVMMSG_X || type === PPME.SOCKET_RECV_X ? 4 : -1
  if (tp === -1 || (fd.name.length !== 0 && fd.isTcpSocket())) return
  const tuple = a.bytes(tp)
  if (!updateFd(s, fd, tuple)) return
  if (fd.type === FDT.IPV4_SOCK || fd.type === FDT.IPV6_SOCK) {
    if (fd.isRoleNone() && s.thread !== null) guessRole(s.thread, fd, true)
    if (fd.isRoleClient()) swapAddresses(fd)
    fd.name = socketName(fd)
  } else {
    fd.name = socktupleText(tuple)
  }
}

function parseWriteExit(s: SystemState, a: EventArgs): void {
  const type = a.type
  if (type === PPME.SOCKET_SENDMMSG_X && a.empty(0)) return
  const isSend = type === PPME.SOCKET_SEND_X || type === PPME.SOCKET_SENDTO_X || type === PPME.SOCKET_SENDMSG_X
  if (isSend && s.fd === null && s.thread !== null && a.ret(0) >= 0) {
    // A send on an fd whose socket() was missed: assume UDP.
    const tuple = a.bytes(4)
    if (tuple.length > 0 && (tuple[0] === AF.INET || tuple[0] === AF.INET6)) {
      addSocket(s, s.thread, a.i64(2), tuple[0], SOCK.DGRAM, IPPROTO.UDP, 0)
    }
  }
  const fd = s.fd
  if (fd === null) return
  if (a.ret(0) < 0) return
  if (fd.type === FDT.IPV4_SOCK || fd.type === FDT.IPV6_SOCK) fd.setConnected()
  if (!(isSend || type === PPME.SOCKET_SENDMMSG_X) || (fd.name.length !== 0 && fd.isTcpSocket())) return
  const tuple = a.bytes(4)
  if (!updateFd(s, fd, tuple)) return
  if (fd.type === FDT.IPV4_SOCK || fd.type === FDT.IPV6_SOCK) {
    if (fd.isRoleNone() && s.thread !== null) guessRole(s.thread, fd, false)
    if (fd.isRoleServer()) swapAddresses(fd)
    fd.name = socketName(fd)
  } else {
    fd.name = socktupleText(tuple)
  }
}

// Keep server-address offsets referenced for readers of this module.
export const SERVER_OFFSETS = { V4S_IP, V4S_PORT, V4S_L4, V6S_IP, V6S_PORT, V6S_L4 } as const
