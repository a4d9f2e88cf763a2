// A file descriptor entry (libsinsp sinsp_fdinfo), born complete. Socket fds carry their
// addresses in `sock`, the 40-byte sockinfo union (see net.ts); other fds leave it null.

import { EPOLL_CLOEXEC, MFD_CLOEXEC, O } from './constants.js'
import { L4, SOCKINFO_SIZE, V4S_L4, V4_L4, V6S_L4, V6_L4, V4_DPORT, V6_DPORT, rd16 } from './net.js'

/** scap_fd_type. */
export const FDT = {
  UNINITIALIZED: -1,
  UNKNOWN: 0, FILE: 1, DIRECTORY: 2, IPV4_SOCK: 3, IPV6_SOCK: 4, IPV4_SERVSOCK: 5, IPV6_SERVSOCK: 6,
  FIFO: 7, UNIX_SOCK: 8, EVENT: 9, UNSUPPORTED: 10, SIGNALFD: 11, EVENTPOLL: 12, INOTIFY: 13,
  TIMERFD: 14, NETLINK: 15, FILE_V2: 16, BPF: 17, USERFAULTFD: 18, IOURING: 19, MEMFD: 20, PIDFD: 21,
} as const

/** sinsp_fdinfo flags. */
export const FDF = {
  FROM_PROC: 1 << 0,
  ROLE_CLIENT: 1 << 2,
  ROLE_SERVER: 1 << 3,
  SOCKET_CONNECTED: 1 << 13,
  IS_CLONED: 1 << 14,
  CONNECTION_PENDING: 1 << 15,
  CONNECTION_FAILED: 1 << 16,
  OVERLAY_UPPER: 1 << 17,
  OVERLAY_LOWER: 1 << 18,
} as const

// get_typechar / get_typestring, indexed by type.
const TYPECHAR = 'ofd4646pueXslitnfburmP'
const TYPESTRING: readonly string[] = [
  '<NA>', 'file', 'directory', 'ipv4', 'ipv6', 'ipv4', 'ipv6', 'pipe', 'unix', 'event', '<NA>', 'signalfd',
  'eventpoll', 'inotify', 'timerfd', 'netlink', 'file', 'bpf', 'userfaultfd', 'io_uring', 'memfd', 'pidfd',
]

export class FdInfo {
  fd = -1
  type: number = FDT.UNINITIALIZED
  openFlags = 0
  /**
   * Socket addresses (sockinfo union), null for non-socket fds. Read it here; write through
   * sockinfo(), which copies it first when a clone shares it.
   */
  sock: Uint8Array | null = null
  /** `sock` is shared with a clone (or the original): copied on the next write. */
  private sockShared = false
  /** Human-readable name: full path for files, tuple text for sockets. */
  name = ''
  /** Files: the path as the syscall gave it. */
  nameRaw = ''
  /** The name before this event's parsing (fd.name_changed). */
  oldName = ''
  flags = 0
  dev = 0
  mountId = 0
  ino = 0
  /** pidfd: the pid it refers to. */
  pid = 0

  /**
   * A copy (sinsp_fdinfo::clone). The sockinfo is shared until either side writes it: a fork
   * copies the parent's whole table, and most children never touch its sockets.
   */
  clone(): FdInfo {
    const c = new FdInfo()
    c.fd = this.fd
    c.type = this.type
    c.openFlags = this.openFlags
    if (this.sock !== null) {
      c.sock = this.sock
      c.sockShared = this.sockShared = true
    }
    c.name = this.name
    c.nameRaw = this.nameRaw
    c.oldName = this.oldName
    c.flags = this.flags
    c.dev = this.dev
    c.mountId = this.mountId
    c.ino = this.ino
    c.pid = this.pid
    return c
  }

  /** The sockinfo buffer to write: created zeroed on first use, this fd's own. */
  sockinfo(): Uint8Array {
    let s = this.sock
    if (s === null) s = this.sock = new Uint8Array(SOCKINFO_SIZE)
    else if (this.sockShared) {
      s = this.sock = s.slice()
      this.sockShared = false
    }
    return s
  }

  get typechar(): string {
    return this.type >= 0 && this.type < TYPECHAR.length ? TYPECHAR[this.type]! : '?'
  }

  get typestring(): string {
    return this.type >= 0 && this.type < TYPESTRING.length ? TYPESTRING[this.type]! : '<NA>'
  }

  isFile(): boolean {
    return this.type === FDT.FILE || this.type === FDT.FILE_V2
  }
  isDirectory(): boolean {
    return this.type === FDT.DIRECTORY
  }
  isUnixSocket(): boolean {
    return this.type === FDT.UNIX_SOCK
  }
  isIpSocket(): boolean {
    return this.type === FDT.IPV4_SOCK || this.type === FDT.IPV6_SOCK
  }
  isUdpSocket(): boolean {
    return this.type === FDT.IPV4_SOCK && this.sock !== null && this.sock[V4_L4] === L4.UDP
  }
  isTcpSocket(): boolean {
    return this.type === FDT.IPV4_SOCK && this.sock !== null && this.sock[V4_L4] === L4.TCP
  }
  isSyslog(): boolean {
    return this.name.includes('/dev/log')
  }

  isRoleServer(): boolean {
    return (this.flags & FDF.ROLE_SERVER) !== 0
  }
  isRoleClient(): boolean {
    return (this.flags & FDF.ROLE_CLIENT) !== 0
  }
  isRoleNone(): boolean {
    return (this.flags & (FDF.ROLE_CLIENT | FDF.ROLE_SERVER)) === 0
  }
  setRoleServer(): void {
    this.flags |= FDF.ROLE_SERVER
  }
  setRoleClient(): void {
    this.flags |= FDF.ROLE_CLIENT
  }
  setConnected(): void {
    this.flags = (this.flags & ~(FDF.CONNECTION_PENDING | FDF.CONNECTION_FAILED)) | FDF.SOCKET_CONNECTED
  }
  setPending(): void {
    this.flags = (this.flags & ~(FDF.SOCKET_CONNECTED | FDF.CONNECTION_FAILED)) | FDF.CONNECTION_PENDING
  }
  setFailed(): void {
    this.flags = (this.flags & ~(FDF.SOCKET_CONNECTED | FDF.CONNECTION_PENDING)) | FDF.CONNECTION_FAILED
  }

  isCloseOnExec(): boolean {
    if ((this.openFlags & O.CLOEXEC) !== 0) return true
    if (this.type === FDT.EVENTPOLL && (this.openFlags & EPOLL_CLOEXEC) !== 0) return true
    if (this.type === FDT.MEMFD && (this.openFlags & MFD_CLOEXEC) !== 0) return true
    return false
  }

  clearCloseOnExec(): void {
    this.openFlags &= ~(O.CLOEXEC | EPOLL_CLOEXEC | MFD_CLOEXEC)
  }

  /** sinsp_fdinfo::get_l4proto: NA for a socket that is neither client nor server yet. */
  l4proto(): number {
    const s = this.sock
    switch (this.type) {
      case FDT.IPV4_SOCK: {
        const p = s === null ? 0 : s[V4_L4]!
        if (p === L4.RAW) return L4.RAW
        return this.isRoleNone() ? L4.NA : p
      }
      case FDT.IPV4_SERVSOCK:
        return s === null ? 0 : s[V4S_L4]!
      case FDT.IPV6_SOCK: {
        const p = s === null ? 0 : s[V6_L4]!
        if (p === L4.RAW) return L4.RAW
        return this.isRoleNone() ? L4.NA : p
      }
      case FDT.IPV6_SERVSOCK:
        return s === null ? 0 : s[V6S_L4]!
      default:
        return L4.NA
    }
  }

  /** get_serverport. */
  serverPort(): number {
    const s = this.sock
    if (s === null) return 0
    if (this.type === FDT.IPV4_SOCK) return rd16(s, V4_DPORT)
    if (this.type === FDT.IPV6_SOCK) return rd16(s, V6_DPORT)
    return 0
  }

  get deviceMajor(): number {
    return (this.dev & 0xfff00) >>> 8
  }
  get deviceMinor(): number {
    return ((this.dev & 0xff) | ((this.dev >>> 12) & 0xfff00)) >>> 0
  }
}

