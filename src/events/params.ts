// Decoders for the structured param types, from the bytes the driver writes
// (driver/ppm_events.c pack_addr and fd_to_socktuple, driver/ppm_fillers.c for fd lists)
// to the JS values state and fields use. IP addresses are kept in network byte order in
// the event; ports were converted to host order (little-endian) by the driver.
//
// These allocate (they return objects and strings): call them when a field or a state
// update needs the value, not for every event.

import { isUtf8 } from 'node:buffer'
import { decodeText, type EventView } from './event.js'
import { PT, type ParamType } from './param-types.js'
import { DYN_PARAMS, EVENTS, type DynParamInfo } from './table.js'

/** Socket families as the driver numbers them (PPM_AF_*). */
export const AF = { UNSPEC: 0, UNIX: 1, INET: 2, INET6: 10, NETLINK: 16, PACKET: 17 } as const

export type AddrKind = 'ipv4' | 'ipv6' | 'unix' | 'other'

/** PT_SOCKADDR. Every field is present; those the family does not use are '' or 0. */
export interface SockAddr {
  kind: AddrKind
  /** PPM_AF_* family byte. */
  family: number
  ip: string
  port: number
  /** Unix socket path; an abstract socket's name without its leading NUL (the driver drops it). */
  path: string
}

/** PT_SOCKTUPLE: source and destination as the driver saw them for this fd. */
export interface SockTuple {
  kind: AddrKind
  family: number
  sip: string
  sport: number
  dip: string
  dport: number
  /** Unix sockets: kernel addresses of the two ends (source, destination). */
  srcPtr: bigint
  dstPtr: bigint
  path: string
}

/** One entry of PT_FDLIST (poll/ppoll): the fd and its poll flags. */
export interface FdListEntry {
  fd: number
  flags: number
}

/** A PT_DYN param: which alternative the event chose, its type, and its value. */
export interface DynValue {
  index: number
  type: ParamType
  value: ParamValue
}

export type ParamValue =
  | number
  | bigint
  | string
  | boolean
  | Uint8Array
  | SockAddr
  | SockTuple
  | readonly FdListEntry[]
  | readonly string[]
  | DynValue
  | null

// ---------------------------------------------------------------------------
// IP addresses

/** Dotted quad of the 4 bytes at buf[off] (network order). */
export function ipv4ToString(buf: Uint8Array, off: number): string {
  return `${buf[off]}.${buf[off + 1]}.${buf[off + 2]}.${buf[off + 3]}`
}

/**
 * Text of the 16 bytes at buf[off], as glibc's inet_ntop writes it (which is what
 * libsinsp prints): lowercase hex, the longest run of two or more zero groups (the first
 * on a tie) as '::', and a dotted quad tail for IPv4-mapped (::ffff:a.b.c.d) and
 * IPv4-compatible (::a.b.c.d) addresses.
 */
export function ipv6ToString(buf: Uint8Array, off: number): string {
  const w = [0, 0, 0, 0, 0, 0, 0, 0]
  for (let i = 0; i < 8; i++) w[i] = (buf[off + 2 * i]! << 8) | buf[off + 2 * i + 1]!
  let best = -1
  let bestLen = 0
  for (let i = 0; i < 8; ) {
    if (w[i] !== 0) { i++; continue }
    let j = i
    while (j < 8 && w[j] === 0) j++
    if (j - i > bestLen) { best = i; bestLen = j - i }
    i = j
  }
  if (bestLen < 2) best = -1
  let s = ''
  for (let i = 0; i < 8; i++) {
    if (best >= 0 && i >= best && i < best + bestLen) {
      if (i === best) s += ':'
      continue
    }
    if (i !== 0) s += ':'
    if (i === 6 && best === 0 && (bestLen === 6 || (bestLen === 5 && w[5] === 0xffff))) {
      s += ipv4ToString(buf, off + 12)
      return s
    }
    s += w[i]!.toString(16)
  }
  if (best >= 0 && best + bestLen === 8) s += ':'
  return s
}

/** PT_IPV4ADDR. '' when empty. */
export function ipv4Param(ev: EventView, i: number): string {
  return ev.paramLen(i) >= 4 ? ipv4ToString(ev.buf, ev.paramOffset(i)) : ''
}

/** PT_IPV6ADDR. '' when empty. */
export function ipv6Param(ev: EventView, i: number): string {
  return ev.paramLen(i) >= 16 ? ipv6ToString(ev.buf, ev.paramOffset(i)) : ''
}

/** PT_IPADDR: 4 bytes for IPv4, 16 for IPv6 (the length tells). '' otherwise. */
export function ipaddrParam(ev: EventView, i: number): string {
  const n = ev.paramLen(i)
  if (n === 4) return ipv4ToString(ev.buf, ev.paramOffset(i))
  if (n === 16) return ipv6ToString(ev.buf, ev.paramOffset(i))
  return ''
}

// ---------------------------------------------------------------------------
// Socket addresses

function kindOf(family: number): AddrKind {
  return family === AF.INET ? 'ipv4' : family === AF.INET6 ? 'ipv6' : family === AF.UNIX ? 'unix' : 'other'
}

function sockaddrAt(ev: EventView, o: number, n: number): SockAddr | null {
  if (n < 1) return null
  const buf = ev.buf
  const dv = ev.data
  const family = buf[o]!
  const r: SockAddr = { kind: kindOf(family), family, ip: '', port: 0, path: '' }
  if (family === AF.INET && n >= 7) {
    r.ip = ipv4ToString(buf, o + 1)
    r.port = dv.getUint16(o + 5, true)
  } else if (family === AF.INET6 && n >= 19) {
    r.ip = ipv6ToString(buf, o + 1)
    r.port = dv.getUint16(o + 17, true)
  } else if (family === AF.UNIX) {
    r.path = decodeText(buf, o + 1, o + n)
  }
  return r
}

/** PT_SOCKADDR: family byte, then ip+port (inet/inet6) or a NUL-terminated path (unix). null when empty. */
export function sockaddr(ev: EventView, i: number): SockAddr | null {
  return sockaddrAt(ev, ev.paramOffset(i), ev.paramLen(i))
}

function socktupleAt(ev: EventView, o: number, n: number): SockTuple | null {
  if (n < 1) return null
  const buf = ev.buf
  const dv = ev.data
  const family = buf[o]!
  const r: SockTuple = {
    kind: kindOf(family), family, sip: '', sport: 0, dip: '', dport: 0, srcPtr: 0n, dstPtr: 0n, path: '',
  }
  if (family === AF.INET && n >= 13) {
    r.sip = ipv4ToString(buf, o + 1)
    r.sport = dv.getUint16(o + 5, true)
    r.dip = ipv4ToString(buf, o + 7)
    r.dport = dv.getUint16(o + 11, true)
  } else if (family === AF.INET6 && n >= 37) {
    r.sip = ipv6ToString(buf, o + 1)
    r.sport = dv.getUint16(o + 17, true)
    r.dip = ipv6ToString(buf, o + 19)
    r.dport = dv.getUint16(o + 35, true)
  } else if (family === AF.UNIX && n >= 17) {
    r.srcPtr = dv.getBigUint64(o + 1, true)
    r.dstPtr = dv.getBigUint64(o + 9, true)
    r.path = decodeText(buf, o + 17, o + n)
  }
  return r
}

/**
 * PT_SOCKTUPLE: family byte, then sip u32, sport u16, dip u32, dport u16 (inet), the same
 * with 16-byte addresses (inet6), or two u64 kernel pointers and a path (unix). null when empty.
 */
export function socktuple(ev: EventView, i: number): SockTuple | null {
  return socktupleAt(ev, ev.paramOffset(i), ev.paramLen(i))
}

// ---------------------------------------------------------------------------
// Lists

function fdlistAt(ev: EventView, o: number, n: number): FdListEntry[] {
  if (n < 2) return []
  const dv = ev.data
  const count = Math.min(dv.getUint16(o, true), Math.floor((n - 2) / 10))
  const out: FdListEntry[] = new Array(count)
  for (let k = 0, p = o + 2; k < count; k++, p += 10) {
    out[k] = { fd: dv.getInt32(p + 4, true) * 4294967296 + dv.getUint32(p, true), flags: dv.getInt16(p + 8, true) & 0xffff }
  }
  return out
}

/** PT_FDLIST: u16 count, then count x (i64 fd, u16 flags). Entries past the param's end are dropped. */
export function fdlist(ev: EventView, i: number): FdListEntry[] {
  return fdlistAt(ev, ev.paramOffset(i), ev.paramLen(i))
}

const utf8 = new TextDecoder('utf-8')

/**
 * Splits NUL-separated strings the way libsinsp does (sinsp_split after dropping one
 * trailing NUL): "a\0\0b\0" gives ['a', '', 'b'], "" and "\0" give [].
 * Used for execve args and env, and for the process list's args, env and cgroups.
 */
export function splitNul(buf: Uint8Array, start: number, end: number): string[] {
  if (end > start && buf[end - 1] === 0) end--
  if (end <= start) return []
  // One decode of the whole run, split on NUL, gives what decoding each string gives when the
  // run is valid UTF-8 (a NUL byte is never inside a multi-byte sequence) and no string but
  // the first starts with a BOM (each decode drops a leading one). Environments and argument
  // lists are hundreds of strings: one decode instead of one each halved the time to read
  // a capture's process list.
  const bytes = buf.subarray(start, end)
  if (isUtf8(bytes)) {
    const parts = utf8.decode(bytes).split('\0')
    let bom = false
    for (let k = 1; k < parts.length; k++) if (parts[k]!.charCodeAt(0) === 0xfeff) bom = true
    if (!bom) return parts
  }
  const out: string[] = []
  let s = start
  for (let p = start; p < end; p++) {
    if (buf[p] === 0) {
      out.push(decodeText(buf, s, p))
      s = p + 1
    }
  }
  out.push(decodeText(buf, s, end))
  return out
}

/** A param holding NUL-separated strings (argv, env: PT_BYTEBUF or PT_CHARBUFARRAY in the table). */
export function strArray(ev: EventView, i: number): string[] {
  const n = ev.paramLen(i)
  if (n === 0) return []
  const o = ev.paramOffset(i)
  return splitNul(ev.buf, o, o + n)
}

/**
 * A string param with libsinsp's legacy null encoding: an empty param, or the literal
 * "(NULL)" old drivers wrote for a NULL pointer, means "no value" (null here, `<NA>`
 * in Falco's output). Applies to PT_CHARBUF, PT_FSPATH and PT_FSRELPATH.
 */
export function strOrNull(ev: EventView, i: number): string | null {
  const n = ev.paramLen(i)
  if (n === 0) return null
  if (n === 7) {
    const b = ev.buf
    const o = ev.paramOffset(i)
    if (b[o] === 0x28 && b[o + 1] === 0x4e && b[o + 2] === 0x55 && b[o + 3] === 0x4c &&
        b[o + 4] === 0x4c && b[o + 5] === 0x29 && b[o + 6] === 0) return null
  }
  return ev.str(i)
}

// ---------------------------------------------------------------------------
// Any param, by its table type

function dynInfos(type: number, i: number): readonly DynParamInfo[] | null {
  const name = EVENTS[type]?.params[i]?.dyn
  return name === undefined ? null : DYN_PARAMS[name] ?? null
}

/**
 * PT_DYN: a u8 index into the alternatives the event table lists for this param, then
 * the value of the chosen alternative's type. null when empty or when the index is out
 * of range (libsinsp then prints the raw bytes).
 */
export function dyn(ev: EventView, i: number): DynValue | null {
  const n = ev.paramLen(i)
  if (n < 1) return null
  const o = ev.paramOffset(i)
  const index = ev.buf[o]!
  const infos = dynInfos(ev.type, i)
  const alt = infos?.[index]
  if (alt === undefined) return null
  return { index, type: alt.type, value: valueAt(ev, o + 1, n - 1, alt.type) }
}

function valueAt(ev: EventView, o: number, n: number, type: ParamType): ParamValue {
  const dv = ev.data
  switch (type) {
    case PT.INT8:
      return n >= 1 ? dv.getInt8(o) : null
    case PT.UINT8: case PT.FLAGS8: case PT.ENUMFLAGS8: case PT.SIGTYPE: case PT.L4PROTO: case PT.SOCKFAMILY:
      return n >= 1 ? dv.getUint8(o) : null
    case PT.INT16:
      return n >= 2 ? dv.getInt16(o, true) : null
    case PT.UINT16: case PT.FLAGS16: case PT.ENUMFLAGS16: case PT.PORT: case PT.SYSCALLID:
      return n >= 2 ? dv.getUint16(o, true) : null
    case PT.INT32: case PT.FD32: case PT.PID32:
      return n >= 4 ? dv.getInt32(o, true) : null
    case PT.UINT32: case PT.FLAGS32: case PT.ENUMFLAGS32: case PT.UID: case PT.GID: case PT.MODE: case PT.SIGSET:
      return n >= 4 ? dv.getUint32(o, true) : null
    case PT.BOOL:
      return n >= 4 ? dv.getUint32(o, true) !== 0 : n >= 1 ? dv.getUint8(o) !== 0 : null
    case PT.INT64: case PT.ERRNO: case PT.FD: case PT.PID:
      return n >= 8 ? dv.getInt32(o + 4, true) * 4294967296 + dv.getUint32(o, true) : null
    case PT.UINT64: case PT.RELTIME: case PT.ABSTIME:
      return n >= 8 ? dv.getBigUint64(o, true) : null
    case PT.DOUBLE:
      return n >= 8 ? dv.getFloat64(o, true) : null
    case PT.CHARBUF: case PT.FSPATH: case PT.FSRELPATH:
      return n >= 1 ? decodeText(ev.buf, o, o + n) : null
    case PT.CHARBUFARRAY:
      return splitNul(ev.buf, o, o + n)
    case PT.BYTEBUF:
      return ev.buf.subarray(o, o + n)
    case PT.SOCKADDR:
      return sockaddrAt(ev, o, n)
    case PT.SOCKTUPLE:
      return socktupleAt(ev, o, n)
    case PT.FDLIST:
      return fdlistAt(ev, o, n)
    case PT.IPV4ADDR:
      return n >= 4 ? ipv4ToString(ev.buf, o) : null
    case PT.IPV6ADDR:
      return n >= 16 ? ipv6ToString(ev.buf, o) : null
    case PT.IPADDR:
      return n === 4 ? ipv4ToString(ev.buf, o) : n === 16 ? ipv6ToString(ev.buf, o) : null
    default:
      // PT_NONE, PT_DYN nested, nets and pair arrays: raw bytes.
      return n > 0 ? ev.buf.subarray(o, o + n) : null
  }
}

/**
 * Param i decoded by the type the event table gives it: numbers for integers (64-bit
 * signed ones as numbers, exact to 2^53), bigints for u64 and times, strings for text and
 * addresses, objects for sockaddr/socktuple/dyn, arrays for fd lists, a subarray for byte
 * buffers (valid until the next reset). null when the param is empty or absent.
 */
export function paramValue(ev: EventView, i: number): ParamValue {
  const n = ev.paramLen(i)
  if (n === 0) return null
  const info = EVENTS[ev.type]?.params[i]
  if (info === undefined) return ev.bytes(i)
  if (info.type === PT.DYN) return dyn(ev, i)
  return valueAt(ev, ev.paramOffset(i), n, info.type)
}
