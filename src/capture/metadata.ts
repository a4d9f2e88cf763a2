// Parsers for the metadata blocks (machine, interfaces, users and groups, processes,
// fds), following libscap's engine/savefile/scap_savefile.c for which fields each block
// version carries, and its limits. Each parser gets one whole block body, already in
// memory, and fills a CaptureSection; a body that does not parse throws BlockError,
// which the reader turns into a CaptureError with the offset.

import { decodeText } from '../events/event.js'
import { ipv4ToString, ipv6ToString, splitNul } from '../events/params.js'
import { BLOCK, procListVersion } from './blocks.js'
import type { CaptureErrorCode } from './errors.js'
import {
  FD_TYPE, type FdInfo, type GroupInfo, type InterfaceInfo, type MachineInfo,
  type ThreadInfo, type UserInfo,
} from './types.js'

// scap_limits.h
const MAX_PATH = 1024
const MAX_ARGS = 4096
const MAX_ENV = 4096
const MAX_CGROUPS = 4096
// scap.h MAX_CREDENTIALS_STR_LEN: user and group strings must be shorter.
const MAX_CREDENTIALS = 256

const TWO_32 = 4294967296

export class BlockError extends Error {
  constructor(readonly offset: number, readonly detail: string, readonly code: CaptureErrorCode = 'BAD_BLOCK_CONTENT') {
    super(detail)
  }
}

export type NoteSink = (code: CaptureErrorCode, offset: number, detail: string) => void

/** Reads little-endian fields from buf[pos, end), throwing BlockError past the end. */
export class Cursor {
  constructor(
    readonly buf: Uint8Array,
    readonly dv: DataView,
    public pos: number,
    public end: number,
    /** Stream offset of buf[0], for error offsets. */
    readonly base: number,
  ) {}

  get left(): number {
    return this.end - this.pos
  }

  offset(): number {
    return this.base + this.pos
  }

  need(n: number, what: string): void {
    if (n > this.end - this.pos) {
      throw new BlockError(this.offset(), `expecting ${n} bytes for ${what}, ${this.end - this.pos} left. Is the file truncated?`)
    }
  }

  u8(what: string): number {
    this.need(1, what)
    return this.buf[this.pos++]!
  }

  u16(what: string): number {
    this.need(2, what)
    const v = this.dv.getUint16(this.pos, true)
    this.pos += 2
    return v
  }

  u32(what: string): number {
    this.need(4, what)
    const v = this.dv.getUint32(this.pos, true)
    this.pos += 4
    return v
  }

  /** Signed 64-bit as a number (exact to 2^53). */
  i64(what: string): number {
    this.need(8, what)
    const v = this.dv.getInt32(this.pos + 4, true) * TWO_32 + this.dv.getUint32(this.pos, true)
    this.pos += 8
    return v
  }

  /** Unsigned 64-bit as a number (exact to 2^53). */
  u64n(what: string): number {
    this.need(8, what)
    const v = this.dv.getUint32(this.pos + 4, true) * TWO_32 + this.dv.getUint32(this.pos, true)
    this.pos += 8
    return v
  }

  u64(what: string): bigint {
    this.need(8, what)
    const v = this.dv.getBigUint64(this.pos, true)
    this.pos += 8
    return v
  }

  text(n: number, what: string): string {
    this.need(n, what)
    const s = decodeText(this.buf, this.pos, this.pos + n)
    this.pos += n
    return s
  }

  /** u16 length, then that many bytes of text; the length must not exceed `max`. */
  lenText(max: number, what: string): string {
    const at = this.offset()
    const n = this.u16(`${what} length`)
    if (n > max) throw new BlockError(at, `invalid ${what} length ${n} (max ${max})`)
    return this.text(n, what)
  }

  /** u16 length, then NUL-separated strings. */
  lenList(max: number, what: string): string[] {
    const at = this.offset()
    const n = this.u16(`${what} length`)
    if (n > max) throw new BlockError(at, `invalid ${what} length ${n} (max ${max})`)
    this.need(n, what)
    const list = splitNul(this.buf, this.pos, this.pos + n)
    this.pos += n
    return list
  }
}

// ---------------------------------------------------------------------------
// MI

/** The MI body is scap_machine_info written whole: 180 bytes (shorter old bodies read what they hold). */
export function parseMachineInfo(c: Cursor): MachineInfo {
  const mi: MachineInfo = { numCpus: 0, memorySizeBytes: 0n, maxPid: 0n, hostname: '', bootTsEpoch: 0n, flags: 0n }
  mi.numCpus = c.u32('num_cpus')
  mi.memorySizeBytes = c.u64('memory_size_bytes')
  mi.maxPid = c.u64('max_pid')
  mi.hostname = c.text(128, 'hostname')
  // boot_ts_epoch and flags were reserved1/reserved2 (zero) in older writers.
  if (c.left >= 8) mi.bootTsEpoch = c.u64('boot_ts_epoch')
  if (c.left >= 8) mi.flags = c.u64('flags')
  return mi
}

// ---------------------------------------------------------------------------
// IL

const II_IPV4 = 1
const II_IPV6 = 2
const II_IPV4_NOLINKSPEED = 3
const II_IPV6_NOLINKSPEED = 4

/**
 * IL v1 entries are `type u16, namelen u16, addresses, [linkspeed u64], name`, sized by
 * their type; IL v2 puts a u32 entry length (not counting itself) in front of each, so
 * entries of a type this reader does not know can be skipped.
 */
export function parseInterfaceList(c: Cursor, blockType: number, out: InterfaceInfo[], note: NoteSink): void {
  const v2 = blockType === BLOCK.IL_V2
  out.length = 0 // a later IL block replaces the earlier one, as in scap
  while (c.left >= 4) {
    const entryAt = c.offset()
    let entryEnd = -1
    if (v2) {
      const n = c.u32('interface entry length')
      c.need(n, 'interface entry')
      entryEnd = c.pos + n
    }
    const type = c.u16('interface type')
    const namelen = c.u16('interface name length')
    if (namelen >= MAX_PATH) throw new BlockError(entryAt, `interface name length ${namelen} (max ${MAX_PATH - 1})`)
    if (type === II_IPV4 || type === II_IPV4_NOLINKSPEED) {
      c.need(12 + (type === II_IPV4 ? 8 : 0) + namelen, 'ipv4 interface entry')
      const addr = ipv4ToString(c.buf, c.pos)
      const netmask = ipv4ToString(c.buf, c.pos + 4)
      const bcast = ipv4ToString(c.buf, c.pos + 8)
      c.pos += 12
      const linkspeed = type === II_IPV4 ? c.u64('linkspeed') : 0n
      const name = c.text(namelen, 'interface name')
      out.push({ family: 'ipv4', name, addr, netmask, bcast, linkspeed })
    } else if (type === II_IPV6 || type === II_IPV6_NOLINKSPEED) {
      c.need(48 + (type === II_IPV6 ? 8 : 0) + namelen, 'ipv6 interface entry')
      const addr = ipv6ToString(c.buf, c.pos)
      const netmask = ipv6ToString(c.buf, c.pos + 16)
      const bcast = ipv6ToString(c.buf, c.pos + 32)
      c.pos += 48
      const linkspeed = type === II_IPV6 ? c.u64('linkspeed') : 0n
      const name = c.text(namelen, 'interface name')
      out.push({ family: 'ipv6', name, addr, netmask, bcast, linkspeed })
    } else if (v2) {
      note('UNKNOWN_INTERFACE_TYPE', entryAt, `interface type ${type}`)
    } else {
      // Without entry lengths there is no way to find the next entry.
      throw new BlockError(entryAt, `unknown interface type ${type}`)
    }
    if (entryEnd >= 0) {
      if (c.pos > entryEnd) throw new BlockError(entryAt, `interface entry overruns its length by ${c.pos - entryEnd} bytes`)
      c.pos = entryEnd
    }
  }
}

// ---------------------------------------------------------------------------
// UL

/**
 * UL entries: `type u8` (0 user, anything else group), then uid u32, gid u32, name,
 * homedir, shell (users) or gid u32, name (groups), strings as u16 length + bytes.
 * UL v2 puts a u32 entry length (counting itself) in front of each.
 */
export function parseUserList(c: Cursor, blockType: number, users: UserInfo[], groups: GroupInfo[]): void {
  const v2 = blockType === BLOCK.UL_V2
  users.length = 0
  groups.length = 0
  while (c.left >= 4) {
    const entryAt = c.offset()
    const start = c.pos
    const subLen = v2 ? c.u32('user entry length') : 0
    const type = c.u8('user entry type')
    if (type === 0) {
      const uid = c.u32('uid')
      const gid = c.u32('gid')
      const name = c.lenText(MAX_CREDENTIALS - 1, 'user name')
      const homedir = c.lenText(MAX_CREDENTIALS - 1, 'user homedir')
      const shell = c.lenText(MAX_CREDENTIALS - 1, 'user shell')
      users.push({ uid, gid, name, homedir, shell })
    } else {
      const gid = c.u32('gid')
      const name = c.lenText(MAX_CREDENTIALS - 1, 'group name')
      groups.push({ gid, name })
    }
    skipToEntryEnd(c, start, subLen, entryAt, 'userlist')
  }
}

/** With a per-entry length (which counts its own 4 bytes), skip fields newer than this reader. */
function skipToEntryEnd(c: Cursor, start: number, subLen: number, entryAt: number, what: string): void {
  if (subLen === 0) return
  const read = c.pos - start
  if (read > subLen) {
    throw new BlockError(entryAt, `had read ${read} bytes, but the ${what} entry has length ${subLen}`)
  }
  c.need(subLen - read, `the rest of a ${what} entry`)
  c.pos = start + subLen
}

// ---------------------------------------------------------------------------
// PL

export function newThread(): ThreadInfo {
  return {
    tid: 0, pid: 0, ptid: 0, sid: -1, vpgid: -1, pgid: -1, comm: '', exe: '', exepath: '', args: [], cwd: '',
    env: [], fdlimit: 0, flags: 0, uid: 0, gid: 0, loginuid: 0xffffffff, vmsizeKb: 0, vmrssKb: 0, vmswapKb: 0,
    pfmajor: 0, pfminor: 0, vtid: -1, vpid: -1, cgroups: [], root: '', cloneTs: 0n, tty: 0, exeWritable: false,
    exeUpperLayer: false, exeLowerLayer: false, exeFromMemfd: false, exeIno: 0n, exeInoCtime: 0n, exeInoMtime: 0n,
    capInheritable: 0n, capPermitted: 0n, capEffective: 0n, pidnsInitStartTs: 0n, filteredOut: false, fds: [],
  }
}

/**
 * Process list. Fields by block version:
 *   all:  tid pid ptid, comm exe, args cwd, fdlimit flags uid gid
 *   v6+:  sid (after ptid)          v8+: vpgid (after sid)          v7+: exepath (after exe)
 *   v2+:  vmsize vmrss vmswap pfmajor pfminor
 *   v3+:  env                       v4+: vtid vpid cgroups          v5+: root
 *   v9:   a u32 entry length first, then after root whatever fits in it, in this order:
 *         pidns_init_start_ts tty (libs >= 0.10 only), loginuid exe_writable cap_inheritable
 *         cap_permitted cap_effective exe_upper_layer exe_ino exe_ino_ctime exe_ino_mtime
 *         exe_from_memfd exe_lower_layer pgid, then skips what is newer.
 * Libs 0.10 inserted pidns_init_start_ts and tty before loginuid; like scap, an entry
 * with at most 29 bytes left after root (the size of loginuid..cap_effective) is taken
 * to be from an older writer without them.
 */
export function parseProcList(c: Cursor, blockType: number, out: ThreadInfo[]): void {
  const v = procListVersion(blockType)
  while (c.left >= 4) {
    const entryAt = c.offset()
    const start = c.pos
    const t = newThread()
    const subLen = v === 9 ? c.u32('proc entry length') : 0
    t.tid = c.i64('tid')
    t.pid = c.i64('pid')
    t.ptid = c.i64('ptid')
    if (v >= 6) t.sid = c.i64('sid')
    if (v >= 8) t.vpgid = c.i64('vpgid')
    t.comm = c.lenText(MAX_PATH, 'comm')
    t.exe = c.lenText(MAX_PATH, 'exe')
    if (v >= 7) t.exepath = c.lenText(MAX_PATH, 'exepath')
    t.args = c.lenList(MAX_ARGS, 'args')
    t.cwd = c.lenText(MAX_PATH, 'cwd')
    t.fdlimit = c.i64('fdlimit')
    t.flags = c.u32('flags')
    t.uid = c.u32('uid')
    t.gid = c.u32('gid')
    if (v >= 2) {
      t.vmsizeKb = c.u32('vmsize_kb')
      t.vmrssKb = c.u32('vmrss_kb')
      t.vmswapKb = c.u32('vmswap_kb')
      t.pfmajor = c.u64n('pfmajor')
      t.pfminor = c.u64n('pfminor')
      if (v >= 3) t.env = c.lenList(MAX_ENV, 'env')
      if (v >= 4) {
        t.vtid = c.i64('vtid')
        t.vpid = c.i64('vpid')
        t.cgroups = c.lenList(MAX_CGROUPS, 'cgroups')
        if (v >= 5) t.root = c.lenText(MAX_PATH, 'root')
      }
    }
    if (subLen > 0) {
      const fits = (n: number): boolean => c.pos - start + n <= subLen
      if (subLen - (c.pos - start) > 29) {
        if (fits(8)) t.pidnsInitStartTs = c.u64('pidns_init_start_ts')
        if (fits(4)) t.tty = c.u32('tty')
      }
      if (fits(4)) t.loginuid = c.u32('loginuid')
      if (fits(1)) t.exeWritable = c.u8('exe_writable') !== 0
      if (fits(8)) t.capInheritable = c.u64('cap_inheritable')
      if (fits(8)) t.capPermitted = c.u64('cap_permitted')
      if (fits(8)) t.capEffective = c.u64('cap_effective')
      if (fits(1)) t.exeUpperLayer = c.u8('exe_upper_layer') !== 0
      if (fits(8)) t.exeIno = c.u64('exe_ino')
      if (fits(8)) t.exeInoCtime = c.u64('exe_ino_ctime')
      if (fits(8)) t.exeInoMtime = c.u64('exe_ino_mtime')
      if (fits(1)) t.exeFromMemfd = c.u8('exe_from_memfd') !== 0
      if (fits(1)) t.exeLowerLayer = c.u8('exe_lower_layer') !== 0
      if (fits(8)) t.pgid = c.i64('pgid')
    }
    skipToEntryEnd(c, start, subLen, entryAt, 'proclist')
    out.push(t)
  }
}

// ---------------------------------------------------------------------------
// FDL

function newFd(): FdInfo {
  return {
    fd: 0, ino: 0n, type: 0, name: '', openFlags: 0, dev: 0, mountId: 0, l4proto: 0,
    sip: '', sport: 0, dip: '', dport: 0, ip: '', port: 0, source: 0n, dest: 0n,
  }
}

/**
 * FD list: `tid u64`, then entries `fd i64, ino u64, type u8` and the type's data:
 *   IPV4_SOCK    sip u32, dip u32, sport u16, dport u16, l4proto u8
 *   IPV6_SOCK    sip [16], dip [16], sport u16, dport u16, l4proto u8
 *   IPV4_SERVSOCK ip u32, port u16, l4proto u8      IPV6_SERVSOCK ip [16], port u16, l4proto u8
 *   UNIX_SOCK    source u64, dest u64, name          FILE_V2  open_flags u32, name, [dev u32]
 *   other named types: name (u16 length + bytes, shorter than 1024)
 * FDL v2 puts a u32 entry length (counting itself) first; dev is read only when it fits.
 * Returns the tid.
 */
export function parseFdList(c: Cursor, blockType: number, out: Map<number, FdInfo[]>, note: NoteSink): number {
  const v2 = blockType === BLOCK.FDL_V2
  const tid = c.i64('fd list tid')
  let list = out.get(tid)
  if (list === undefined) {
    list = []
    out.set(tid, list)
  }
  while (c.left >= 4) {
    const entryAt = c.offset()
    const start = c.pos
    const subLen = v2 ? c.u32('fd entry length') : 0
    const f = newFd()
    f.fd = c.i64('fd')
    f.ino = c.u64('ino')
    const type = c.u8('fd type')
    f.type = type
    switch (type) {
      case FD_TYPE.IPV4_SOCK:
        c.need(13, 'ipv4 socket')
        f.sip = ipv4ToString(c.buf, c.pos)
        f.dip = ipv4ToString(c.buf, c.pos + 4)
        c.pos += 8
        f.sport = c.u16('sport')
        f.dport = c.u16('dport')
        f.l4proto = c.u8('l4proto')
        break
      case FD_TYPE.IPV4_SERVSOCK:
        c.need(7, 'ipv4 server socket')
        f.ip = ipv4ToString(c.buf, c.pos)
        c.pos += 4
        f.port = c.u16('port')
        f.l4proto = c.u8('l4proto')
        break
      case FD_TYPE.IPV6_SOCK:
        c.need(37, 'ipv6 socket')
        f.sip = ipv6ToString(c.buf, c.pos)
        f.dip = ipv6ToString(c.buf, c.pos + 16)
        c.pos += 32
        f.sport = c.u16('sport')
        f.dport = c.u16('dport')
        f.l4proto = c.u8('l4proto')
        break
      case FD_TYPE.IPV6_SERVSOCK:
        c.need(19, 'ipv6 server socket')
        f.ip = ipv6ToString(c.buf, c.pos)
        c.pos += 16
        f.port = c.u16('port')
        f.l4proto = c.u8('l4proto')
        break
      case FD_TYPE.UNIX_SOCK:
        f.source = c.u64('unix source')
        f.dest = c.u64('unix destination')
        f.name = c.lenText(MAX_PATH - 1, 'fd name')
        break
      case FD_TYPE.FILE_V2:
        f.openFlags = c.u32('open flags')
        f.name = c.lenText(MAX_PATH - 1, 'fd name')
        if (subLen > 0 && subLen >= c.pos - start + 4) f.dev = c.u32('dev')
        break
      case FD_TYPE.FIFO: case FD_TYPE.FILE: case FD_TYPE.DIRECTORY: case FD_TYPE.UNSUPPORTED:
      case FD_TYPE.EVENT: case FD_TYPE.SIGNALFD: case FD_TYPE.EVENTPOLL: case FD_TYPE.INOTIFY:
      case FD_TYPE.TIMERFD: case FD_TYPE.NETLINK: case FD_TYPE.BPF: case FD_TYPE.USERFAULTFD:
      case FD_TYPE.IOURING: case FD_TYPE.MEMFD: case FD_TYPE.PIDFD:
        f.name = c.lenText(MAX_PATH - 1, 'fd name')
        break
      case FD_TYPE.UNKNOWN:
        // Writers skip these; nothing follows the type byte.
        break
      default:
        // A type from a newer writer. scap keeps it as unsupported; without an entry
        // length (FDL v1) the rest of the block cannot be found, so stop there.
        f.type = FD_TYPE.UNSUPPORTED
        f.name = `unknown-type:[${type}]`
        note('UNKNOWN_FD_TYPE', entryAt, `fd ${f.fd} of tid ${tid} has type ${type}`)
        if (subLen === 0) {
          list.push(f)
          c.pos = c.end
          return tid
        }
    }
    skipToEntryEnd(c, start, subLen, entryAt, 'fdlist')
    list.push(f)
  }
  return tid
}
