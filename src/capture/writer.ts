// The .scap capture writer, laid out as libscap's dumper writes (userspace/libscap/
// scap_savefile.c, libs 0.25): a section header, the machine info, the interface list,
// the user list, the process list, one fd list per process, then one block per event.
// Block versions are the newest ones (PL_V9, FDL_V2, UL_V2, IL_V2, EV_V2/EVF_V2); an event
// whose block would pass 64 KiB goes into the LARGE variant, as the dumper does for
// large-payload events, since readers refuse bigger non-large blocks.
//
// Writes are buffered in memory and handed to the file with synchronous writes, so an event
// costs a copy, and the file is complete the moment close() returns (also from a signal
// handler or process exit). With `compress`, each flushed chunk becomes one gzip member;
// a multi-member gzip stream is what gzread and node's gunzip read as one file.
//
// Metadata strings are clipped to what readers accept (paths 1023 bytes, args, env and
// cgroups 4096 bytes, user strings 255), as scap's fixed-size buffers clip them.

import { closeSync, fsyncSync, openSync, writeSync } from 'node:fs'
import { gzipSync } from 'node:zlib'
import { parseIpv4, parseIpv6 } from '../state/net.js'
import { BLOCK, MAX_SMALL_EVENT_BLOCK, SHB_MAGIC } from './blocks.js'
import { FD_TYPE, type CaptureSection, type FdInfo, type GroupInfo, type InterfaceInfo, type MachineInfo, type ThreadInfo, type UserInfo } from './types.js'

const MAX_PATH = 1023
const MAX_LIST = 4096
const MAX_CREDENTIALS = 255
const CHUNK = 1 << 20

export interface WriterOptions {
  /** gzip the file (Falco's captures are compressed; sysdig -w is not). Default false. */
  compress?: boolean
  /** Bytes kept in memory before a write. Default 1 MiB. */
  chunkBytes?: number
  /**
   * Write the fd types libscap added after FILE_V2 (bpf, userfaultfd, io_uring, memfd, pidfd)
   * as themselves. Off by default: older readers (Debian 12's sysdig 0.29) refuse the whole
   * file at the first one, so they are written as "unsupported" with their name kept.
   */
  newFdTypes?: boolean
}

/** Growable little-endian byte builder for one block body. */
class Body {
  buf = new Uint8Array(4096)
  dv = new DataView(this.buf.buffer)
  len = 0

  private room(n: number): void {
    if (this.len + n <= this.buf.length) return
    let cap = this.buf.length * 2
    while (cap < this.len + n) cap *= 2
    const b = new Uint8Array(cap)
    b.set(this.buf.subarray(0, this.len))
    this.buf = b
    this.dv = new DataView(b.buffer)
  }

  u8(v: number): void {
    this.room(1)
    this.buf[this.len++] = v & 0xff
  }
  u16(v: number): void {
    this.room(2)
    this.dv.setUint16(this.len, v, true)
    this.len += 2
  }
  u32(v: number): void {
    this.room(4)
    this.dv.setUint32(this.len, v >>> 0, true)
    this.len += 4
  }
  /** Signed or unsigned 64-bit from a number (exact to 2^53) or a bigint. */
  u64(v: number | bigint): void {
    this.room(8)
    this.dv.setBigUint64(this.len, BigInt.asUintN(64, typeof v === 'bigint' ? v : BigInt(Math.trunc(v))), true)
    this.len += 8
  }
  bytes(b: Uint8Array): void {
    this.room(b.length)
    this.buf.set(b, this.len)
    this.len += b.length
  }
  /** u16 length + the bytes. */
  lenBytes(b: Uint8Array): void {
    this.u16(b.length)
    this.bytes(b)
  }
  /** Patches a u32 at `at`. */
  setU32(at: number, v: number): void {
    this.dv.setUint32(at, v >>> 0, true)
  }
}

const enc = new TextEncoder()

/** UTF-8 bytes of `s`, at most `max` (cut like a fixed C buffer would, no NUL). */
function text(s: string, max: number): Uint8Array {
  const b = enc.encode(s)
  return b.length <= max ? b : b.subarray(0, max)
}

/** Strings each followed by a NUL, at most `max` bytes in all (whole strings only). */
function nulList(list: readonly string[], max: number): Uint8Array {
  const parts: Uint8Array[] = []
  let n = 0
  for (const s of list) {
    const b = enc.encode(s)
    if (n + b.length + 1 > max) break
    parts.push(b)
    n += b.length + 1
  }
  const out = new Uint8Array(n)
  let o = 0
  for (const p of parts) {
    out.set(p, o)
    o += p.length + 1
  }
  return out
}

function pad4(n: number): number {
  return (n + 3) & ~3
}

export class CaptureWriter {
  private fd: number
  private out: Uint8Array
  private outDv: DataView
  private outLen = 0
  private readonly compress: boolean
  private readonly maxFdType: number
  /** Bytes handed to the file so far (compressed bytes when compressing). */
  written = 0
  /** Bytes of capture data produced (before compression). */
  produced = 0
  events = 0
  private closed = false

  private constructor(fd: number, opts: WriterOptions) {
    this.fd = fd
    this.compress = opts.compress ?? false
    this.maxFdType = opts.newFdTypes === true ? FD_TYPE.PIDFD : FD_TYPE.FILE_V2
    this.out = new Uint8Array(Math.max(64 << 10, opts.chunkBytes ?? CHUNK))
    this.outDv = new DataView(this.out.buffer)
  }

  /** Creates (truncates) `path`. Throws the fs error when it cannot be opened. */
  static open(path: string, opts: WriterOptions = {}): CaptureWriter {
    return new CaptureWriter(openSync(path, 'w', 0o600), opts)
  }

  /** The section header and the metadata blocks of `section` (threads, fds, users, machine...). */
  writeHeader(section: Pick<CaptureSection, 'machine' | 'interfaces' | 'users' | 'groups' | 'threads' | 'fds'>): void {
    this.shb()
    if (section.machine !== null) this.machineInfo(section.machine)
    if (section.interfaces.length > 0) this.interfaceList(section.interfaces)
    this.userList(section.users, section.groups)
    if (section.threads.length > 0) this.procList(section.threads)
    for (const t of section.threads) {
      if (t.filteredOut) continue
      const fds = section.fds.get(t.tid) ?? t.fds
      if (fds.length > 0) this.fdList(t.tid, fds)
    }
  }

  /**
   * One event (the scap layout at buf[offset], `len` bytes) in an EV_V2 block, or EVF_V2
   * when `flags` is not 0; the LARGE variants when the block would exceed 64 KiB.
   */
  writeEvent(buf: Uint8Array, offset: number, len: number, cpuid = 0, flags = 0): void {
    const body = 2 + (flags !== 0 ? 4 : 0) + len
    const total = 8 + pad4(body) + 4
    const large = body > MAX_SMALL_EVENT_BLOCK
    const type = flags !== 0 ? (large ? BLOCK.EVF_V2_LARGE : BLOCK.EVF_V2) : (large ? BLOCK.EV_V2_LARGE : BLOCK.EV_V2)
    this.reserve(total)
    const o = this.out
    let p = this.outLen
    const dv = this.outDv
    dv.setUint32(p, type, true)
    dv.setUint32(p + 4, total, true)
    dv.setUint16(p + 8, cpuid, true)
    p += 10
    if (flags !== 0) {
      dv.setUint32(p, flags >>> 0, true)
      p += 4
    }
    o.set(buf.subarray(offset, offset + len), p)
    p += len
    const end = this.outLen + total - 4
    while (p < end) o[p++] = 0
    dv.setUint32(end, total, true)
    this.outLen += total
    this.produced += total
    this.events++
  }

  /** Hands what is buffered to the file. */
  flush(): void {
    if (this.outLen === 0 || this.fd < 0) return
    const data = this.compress ? gzipSync(this.out.subarray(0, this.outLen)) : this.out.subarray(0, this.outLen)
    let off = 0
    while (off < data.length) off += writeSync(this.fd, data, off, data.length - off)
    this.written += data.length
    this.outLen = 0
  }

  /** Flushes and closes; safe to call twice. */
  close(): void {
    if (this.closed) return
    this.closed = true
    try {
      this.flush()
      try {
        fsyncSync(this.fd)
      } catch {
        // a pipe or a special file: nothing to sync
      }
    } finally {
      closeSync(this.fd)
      this.fd = -1
    }
  }

  // ---- blocks -----------------------------------------------------------------------

  private reserve(n: number): void {
    if (this.outLen + n <= this.out.length) return
    this.flush()
    if (n > this.out.length) {
      this.out = new Uint8Array(n)
      this.outDv = new DataView(this.out.buffer)
    }
  }

  /** Frames a block body: header, body, padding, trailer. */
  private block(type: number, body: Body): void {
    const total = 8 + pad4(body.len) + 4
    this.reserve(total)
    const o = this.out
    const dv = this.outDv
    const p = this.outLen
    dv.setUint32(p, type, true)
    dv.setUint32(p + 4, total, true)
    o.set(body.buf.subarray(0, body.len), p + 8)
    o.fill(0, p + 8 + body.len, p + total - 4)
    dv.setUint32(p + total - 4, total, true)
    this.outLen += total
    this.produced += total
  }

  private shb(): void {
    const b = new Body()
    b.u32(SHB_MAGIC)
    b.u16(1) // major
    b.u16(2) // minor (CURRENT_MINOR_VERSION)
    b.u64(-1n) // section length: unknown, as scap writes it
    this.block(BLOCK.SHB, b)
  }

  /** scap_machine_info, packed: 180 bytes. */
  private machineInfo(m: MachineInfo): void {
    const b = new Body()
    b.u32(m.numCpus)
    b.u64(m.memorySizeBytes)
    b.u64(m.maxPid)
    const host = new Uint8Array(128)
    host.set(text(m.hostname, 127))
    b.bytes(host)
    b.u64(m.bootTsEpoch)
    b.u64(m.flags)
    b.u64(0n) // reserved3
    b.u64(0n) // reserved4
    this.block(BLOCK.MI, b)
  }

  /** IL_V2: per entry a u32 length (not counting itself), then scap_ifinfo_ipv4/6 without the name padding. */
  private interfaceList(list: readonly InterfaceInfo[]): void {
    const b = new Body()
    for (const family of ['ipv4', 'ipv6'] as const) {
      for (const i of list) {
        if (i.family !== family) continue
        const name = text(i.name, MAX_PATH)
        const at = b.len
        b.u32(0)
        if (family === 'ipv4') {
          const a = parseIpv4(i.addr)
          if (a === null) {
            b.len = at
            continue
          }
          b.u16(1) // SCAP_II_IPV4
          b.u16(name.length)
          b.u32(a)
          b.u32(parseIpv4(i.netmask) ?? 0)
          b.u32(parseIpv4(i.bcast) ?? 0)
        } else {
          const addrs = new Uint8Array(48)
          if (!parseIpv6(i.addr, addrs, 0)) {
            b.len = at
            continue
          }
          parseIpv6(i.netmask, addrs, 16)
          parseIpv6(i.bcast, addrs, 32)
          b.u16(2) // SCAP_II_IPV6
          b.u16(name.length)
          b.bytes(addrs)
        }
        b.u64(i.linkspeed)
        b.bytes(name)
        b.setU32(at, b.len - at - 4)
      }
    }
    this.block(BLOCK.IL_V2, b)
  }

  /** UL_V2: per entry a u32 length (counting itself), type (0 user, 1 group), fields. */
  private userList(users: readonly UserInfo[], groups: readonly GroupInfo[]): void {
    const b = new Body()
    for (const u of users) {
      const at = b.len
      b.u32(0)
      b.u8(0)
      b.u32(u.uid)
      b.u32(u.gid)
      b.lenBytes(text(u.name, MAX_CREDENTIALS))
      b.lenBytes(text(u.homedir, MAX_CREDENTIALS))
      b.lenBytes(text(u.shell, MAX_CREDENTIALS))
      b.setU32(at, b.len - at)
    }
    for (const g of groups) {
      const at = b.len
      b.u32(0)
      b.u8(1)
      b.u32(g.gid)
      b.lenBytes(text(g.name, MAX_CREDENTIALS))
      b.setU32(at, b.len - at)
    }
    this.block(BLOCK.UL_V2, b)
  }

  /** PL_V9, every field scap_write_proclist_entry_bufs writes, in its order. */
  private procList(threads: readonly ThreadInfo[]): void {
    const b = new Body()
    for (const t of threads) {
      if (t.filteredOut) continue
      const at = b.len
      b.u32(0)
      b.u64(t.tid)
      b.u64(t.pid)
      b.u64(t.ptid)
      b.u64(t.sid)
      b.u64(t.vpgid)
      b.lenBytes(text(t.comm, MAX_PATH))
      b.lenBytes(text(t.exe, MAX_PATH))
      b.lenBytes(text(t.exepath, MAX_PATH))
      b.lenBytes(nulList(t.args, MAX_LIST))
      b.lenBytes(text(t.cwd, MAX_PATH))
      b.u64(t.fdlimit)
      b.u32(t.flags)
      b.u32(t.uid)
      b.u32(t.gid)
      b.u32(t.vmsizeKb)
      b.u32(t.vmrssKb)
      b.u32(t.vmswapKb)
      b.u64(t.pfmajor)
      b.u64(t.pfminor)
      b.lenBytes(nulList(t.env, MAX_LIST))
      b.u64(t.vtid)
      b.u64(t.vpid)
      b.lenBytes(nulList(t.cgroups, MAX_LIST))
      b.lenBytes(text(t.root, MAX_PATH))
      b.u64(t.pidnsInitStartTs)
      b.u32(t.tty)
      b.u32(t.loginuid)
      b.u8(t.exeWritable ? 1 : 0)
      b.u64(t.capInheritable)
      b.u64(t.capPermitted)
      b.u64(t.capEffective)
      b.u8(t.exeUpperLayer ? 1 : 0)
      b.u64(t.exeIno)
      b.u64(t.exeInoCtime)
      b.u64(t.exeInoMtime)
      b.u8(t.exeFromMemfd ? 1 : 0)
      b.u8(t.exeLowerLayer ? 1 : 0)
      b.u64(t.pgid)
      b.setU32(at, b.len - at)
    }
    this.block(BLOCK.PL_V9, b)
  }

  /** FDL_V2: the tid, then per fd a u32 length (counting itself), fd, ino, type and its data. */
  private fdList(tid: number, fds: readonly FdInfo[]): void {
    const b = new Body()
    b.u64(tid)
    for (const f of fds) {
      if (f.type === FD_TYPE.UNKNOWN || f.type < 0) continue
      const at = b.len
      b.u32(0)
      b.u64(f.fd)
      b.u64(f.ino)
      const type = f.type > this.maxFdType ? FD_TYPE.UNSUPPORTED : f.type
      b.u8(type)
      switch (type) {
        case FD_TYPE.IPV4_SOCK:
          b.u32(parseIpv4(f.sip) ?? 0)
          b.u32(parseIpv4(f.dip) ?? 0)
          b.u16(f.sport)
          b.u16(f.dport)
          b.u8(f.l4proto)
          break
        case FD_TYPE.IPV4_SERVSOCK:
          b.u32(parseIpv4(f.ip) ?? 0)
          b.u16(f.port)
          b.u8(f.l4proto)
          break
        case FD_TYPE.IPV6_SOCK: {
          const a = new Uint8Array(32)
          parseIpv6(f.sip, a, 0)
          parseIpv6(f.dip, a, 16)
          b.bytes(a)
          b.u16(f.sport)
          b.u16(f.dport)
          b.u8(f.l4proto)
          break
        }
        case FD_TYPE.IPV6_SERVSOCK: {
          const a = new Uint8Array(16)
          parseIpv6(f.ip, a, 0)
          b.bytes(a)
          b.u16(f.port)
          b.u8(f.l4proto)
          break
        }
        case FD_TYPE.UNIX_SOCK:
          b.u64(f.source)
          b.u64(f.dest)
          b.lenBytes(text(f.name, MAX_PATH))
          break
        case FD_TYPE.FILE_V2:
          b.u32(f.openFlags)
          b.lenBytes(text(f.name, MAX_PATH))
          b.u32(f.dev)
          break
        default:
          b.lenBytes(text(f.name, MAX_PATH))
      }
      b.setU32(at, b.len - at)
    }
    this.block(BLOCK.FDL_V2, b)
  }
}
