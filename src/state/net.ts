// Socket addresses as libsinsp keeps them: one 40-byte buffer per socket fd holding the
// union sinsp_sockinfo (tuples.h), so that the parsers can read and write the same member
// overlaps libsinsp does (a bind writes the server ip/port over the start of the ipv4
// tuple, a UDP server's later tuple update sees those bytes...). Offsets:
//
//   ipv4 tuple    sip@0  dip@4  sport@8  dport@10 l4proto@12
//   ipv6 tuple    sip@0 (16)    dip@16 (16)  sport@32 dport@34 l4proto@36
//   ipv4 server   ip@0   port@4 l4proto@6
//   ipv6 server   ip@0 (16)     port@16  l4proto@18
//   unix tuple    source@0 (u64)  dest@8 (u64)
//
// IPv4 addresses are compared as the u32 read little-endian from their network-order bytes,
// as libsinsp compares them. Text is made only when a field or a name needs it.

import { ipv4ToString, ipv6ToString } from '../events/params.js'
import type { InterfaceInfo } from '../capture/types.js'

export const SOCKINFO_SIZE = 40

export const V4_SIP = 0
export const V4_DIP = 4
export const V4_SPORT = 8
export const V4_DPORT = 10
export const V4_L4 = 12
export const V6_SIP = 0
export const V6_DIP = 16
export const V6_SPORT = 32
export const V6_DPORT = 34
export const V6_L4 = 36
export const V4S_IP = 0
export const V4S_PORT = 4
export const V4S_L4 = 6
export const V6S_IP = 0
export const V6S_PORT = 16
export const V6S_L4 = 18
export const UNIX_SRC = 0
export const UNIX_DST = 8

/** scap_l4_proto. */
export const L4 = { UNKNOWN: 0, NA: 1, TCP: 2, UDP: 3, ICMP: 4, RAW: 5 } as const

export function rd16(b: Uint8Array, o: number): number {
  return b[o]! | (b[o + 1]! << 8)
}
export function rd32(b: Uint8Array, o: number): number {
  return (b[o]! | (b[o + 1]! << 8) | (b[o + 2]! << 16) | (b[o + 3]! << 24)) >>> 0
}
export function wr16(b: Uint8Array, o: number, v: number): void {
  b[o] = v & 0xff
  b[o + 1] = (v >>> 8) & 0xff
}
export function wr32(b: Uint8Array, o: number, v: number): void {
  b[o] = v & 0xff
  b[o + 1] = (v >>> 8) & 0xff
  b[o + 2] = (v >>> 16) & 0xff
  b[o + 3] = (v >>> 24) & 0xff
}
export function rd64(b: Uint8Array, o: number): bigint {
  return (BigInt(rd32(b, o + 4)) << 32n) | BigInt(rd32(b, o))
}
export function wr64(b: Uint8Array, o: number, v: bigint): void {
  wr32(b, o, Number(v & 0xffffffffn))
  wr32(b, o + 4, Number((v >> 32n) & 0xffffffffn))
}

/** 16 bytes at `o` are all zero (ipv6addr::empty_address). */
export function isZero16(b: Uint8Array, o: number): boolean {
  for (let i = 0; i < 16; i++) if (b[o + i] !== 0) return false
  return true
}

export function eq16(a: Uint8Array, ao: number, b: Uint8Array, bo: number): boolean {
  for (let i = 0; i < 16; i++) if (a[ao + i] !== b[bo + i]) return false
  return true
}

/**
 * sinsp_utils::is_ipv4_mapped_ipv6: ::ffff:a.b.c.d, or the all-zero address (which libsinsp
 * also takes for IPv4).
 */
export function isIpv4Mapped(b: Uint8Array, o: number): boolean {
  for (let i = 0; i < 10; i++) if (b[o + i] !== 0) return false
  if (b[o + 10] === 0xff && b[o + 11] === 0xff) return true
  return b[o + 10] === 0 && b[o + 11] === 0 && b[o + 12] === 0 && b[o + 13] === 0 && b[o + 14] === 0 && b[o + 15] === 0
}

/** Dotted quad of a u32 holding network-order bytes read little-endian. */
export function v4text(ip: number): string {
  return `${ip & 0xff}.${(ip >>> 8) & 0xff}.${(ip >>> 16) & 0xff}.${ip >>> 24}`
}

/** inet_ntop text of the 16 bytes at `o`. */
export function v6text(b: Uint8Array, o: number): string {
  return ipv6ToString(b, o)
}

export { ipv4ToString }

/** "a.b.c.d" to the little-endian u32 of its bytes; null when not an IPv4 address. */
export function parseIpv4(s: string): number | null {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(s)
  if (m === null) return null
  const p = [+m[1]!, +m[2]!, +m[3]!, +m[4]!]
  if (p.some(x => x > 255)) return null
  return (p[0]! | (p[1]! << 8) | (p[2]! << 16) | (p[3]! << 24)) >>> 0
}

/** IPv6 text (with '::' and an optional dotted-quad tail) into 16 bytes at `out[o]`. */
export function parseIpv6(s: string, out: Uint8Array, o: number): boolean {
  const words: number[] = []
  let tail = s
  let v4: number | null = null
  const lastColon = s.lastIndexOf(':')
  if (lastColon >= 0 && s.includes('.', lastColon)) {
    v4 = parseIpv4(s.slice(lastColon + 1))
    if (v4 === null) return false
    tail = s.slice(0, lastColon + 1) + '0:0'
  }
  const dbl = tail.indexOf('::')
  const parse = (part: string): number[] | null => {
    if (part === '') return []
    const r: number[] = []
    for (const h of part.split(':')) {
      if (!/^[0-9a-fA-F]{1,4}$/.test(h)) return null
      r.push(parseInt(h, 16))
    }
    return r
  }
  if (dbl >= 0) {
    const head = parse(tail.slice(0, dbl))
    const rest = parse(tail.slice(dbl + 2))
    if (head === null || rest === null || head.length + rest.length > 8) return false
    words.push(...head, ...new Array<number>(8 - head.length - rest.length).fill(0), ...rest)
  } else {
    const all = parse(tail)
    if (all === null || all.length !== 8) return false
    words.push(...all)
  }
  for (let i = 0; i < 8; i++) {
    out[o + 2 * i] = words[i]! >>> 8
    out[o + 2 * i + 1] = words[i]! & 0xff
  }
  if (v4 !== null) wr32(out, o + 12, v4)
  return true
}

// ---------------------------------------------------------------------------------------------
// Text forms (utils.cpp: ipv4serveraddr_to_string, ipv4tuple_to_string, sockinfo_to_str...).
// Port names are never resolved: Falco turns hostname and port resolution off.

export function v4addrPort(ip: number, port: number): string {
  return `${v4text(ip)}:${port}`
}

export function v4tupleText(sip: number, sport: number, dip: number, dport: number): string {
  return `${v4text(sip)}:${sport}->${v4text(dip)}:${dport}`
}

/** sinsp_utils::sockinfo_to_str for an IPv4 socket tuple. */
export function v4sockText(s: Uint8Array): string {
  const l4 = s[V4_L4]!
  const sip = rd32(s, V4_SIP)
  const dip = rd32(s, V4_DIP)
  if (l4 === L4.TCP || l4 === L4.UDP) return v4tupleText(sip, rd16(s, V4_SPORT), dip, rd16(s, V4_DPORT))
  if (l4 === L4.ICMP || l4 === L4.RAW) return `${v4text(sip)}->${v4text(dip)}`
  return '<unknown>'
}

/** sinsp_utils::sockinfo_to_str for an IPv6 socket tuple (with its union reads). */
export function v6sockText(s: Uint8Array): string {
  const l4 = s[V6_L4]!
  const mapped = isIpv4Mapped(s, V6_SIP) && isIpv4Mapped(s, V6_DIP)
  if (l4 === L4.TCP || l4 === L4.UDP) {
    // libsinsp reads the ports through the ipv4 member here (offsets 8 and 10).
    if (mapped) return v4tupleText(rd32(s, V6_SIP + 12), rd16(s, V4_SPORT), rd32(s, V6_DIP + 12), rd16(s, V4_DPORT))
    return `${v6text(s, V6_SIP)}:${rd16(s, V6_SPORT)}->${v6text(s, V6_DIP)}:${rd16(s, V6_DPORT)}`
  }
  if (l4 === L4.ICMP) {
    if (mapped) return `${v4text(rd32(s, V6_SIP + 12))}->${v4text(rd32(s, V6_DIP + 12))}`
    return `${v6text(s, V6_SIP)}->${v6text(s, V6_DIP)}`
  }
  return '<unknown>'
}

/** ipv6tuple_to_string. */
export function v6tupleText(s: Uint8Array): string {
  return `${v6text(s, V6_SIP)}:${rd16(s, V6_SPORT)}->${v6text(s, V6_DIP)}:${rd16(s, V6_DPORT)}`
}

/** The "%lx->%lx path" name libsinsp gives a unix socket. */
export function unixTupleText(src: bigint, dst: bigint, path: string): string {
  return `${src.toString(16)}->${dst.toString(16)} ${path}`
}

// ---------------------------------------------------------------------------------------------
// Network interfaces (ifinfo.cpp): used to complete half-known tuples and to tell local
// addresses from remote ones.

const LOOPBACK_V4 = 0x0100007f // 127.0.0.1 as little-endian u32 of its bytes
const LOOPBACK_V6 = (() => {
  const b = new Uint8Array(16)
  b[15] = 1
  return b
})()

export class NetworkInterfaces {
  readonly v4: { addr: number; netmask: number; bcast: number; name: string }[] = []
  readonly v6: { addr: Uint8Array; name: string }[] = []

  clear(): void {
    this.v4.length = 0
    this.v6.length = 0
  }

  /** Imports a capture's (or /proc's) interface list; unparsable entries are skipped. */
  load(list: readonly InterfaceInfo[]): void {
    this.clear()
    for (const i of list) {
      if (i.family === 'ipv4') {
        const addr = parseIpv4(i.addr)
        if (addr === null) continue
        this.v4.push({ addr, netmask: parseIpv4(i.netmask) ?? 0, bcast: parseIpv4(i.bcast) ?? 0, name: i.name })
      } else {
        const addr = new Uint8Array(16)
        if (parseIpv6(i.addr, addr, 0)) this.v6.push({ addr, name: i.name })
      }
    }
  }

  inferV4(dest: number): number {
    for (const i of this.v4) if (i.addr === dest) return i.addr
    for (const i of this.v4) if (((i.addr & i.netmask) >>> 0) === ((dest & i.netmask) >>> 0)) return i.addr
    for (const i of this.v4) if (i.addr !== LOOPBACK_V4) return i.addr
    return 0
  }

  /** Writes the inferred address into `out` at `o` (zeros when none). */
  inferV6(src: Uint8Array, so: number, out: Uint8Array, o: number): void {
    let pick: Uint8Array | null = null
    for (const i of this.v6) if (eq16(i.addr, 0, src, so)) { pick = i.addr; break }
    if (pick === null) for (const i of this.v6) if (inSubnet6(i.addr, 0, src, so)) { pick = i.addr; break }
    if (pick === null) for (const i of this.v6) if (!eq16(i.addr, 0, LOOPBACK_V6, 0)) { pick = i.addr; break }
    if (pick === null) out.fill(0, o, o + 16)
    else out.set(pick, o)
  }

  /**
   * sinsp_network_interfaces::update_fd: a socket tuple with one side still zero gets that
   * side inferred from the interfaces. `type` is the fd type (3 ipv4, 4 ipv6).
   */
  updateTuple(type: number, s: Uint8Array): void {
    if (type === 3) {
      const sip = rd32(s, V4_SIP)
      const dip = rd32(s, V4_DIP)
      if (sip !== 0 && dip !== 0) return
      if (sip === 0) {
        const a = this.inferV4(dip)
        if (a === dip && rd16(s, V4_SPORT) === rd16(s, V4_DPORT)) return
        wr32(s, V4_SIP, a)
      } else {
        const a = this.inferV4(sip)
        if (a === sip && rd16(s, V4_SPORT) === rd16(s, V4_DPORT)) return
        wr32(s, V4_DIP, a)
      }
    } else if (type === 4) {
      const sipEmpty = isZero16(s, V6_SIP)
      if (!sipEmpty && !isZero16(s, V6_DIP)) return
      const tmp = new Uint8Array(16)
      if (sipEmpty) {
        this.inferV6(s, V6_DIP, tmp, 0)
        if (eq16(tmp, 0, s, V6_DIP) && rd16(s, V6_SPORT) === rd16(s, V6_DPORT)) return
        s.set(tmp, V6_SIP)
      } else {
        this.inferV6(s, V6_SIP, tmp, 0)
        if (eq16(tmp, 0, s, V6_SIP) && rd16(s, V6_SPORT) === rd16(s, V6_DPORT)) return
        s.set(tmp, V6_DIP)
      }
    }
  }

  hasV4(addr: number): boolean {
    for (const i of this.v4) if (i.addr === addr) return true
    return false
  }

  /** ipv6addr::in_subnet against each interface (their first 64 bits match). */
  hasV6(b: Uint8Array, o: number): boolean {
    for (const i of this.v6) if (inSubnet6(b, o, i.addr, 0)) return true
    return false
  }
}

/** ipv6addr::in_subnet: the first 64 bits are equal. */
export function inSubnet6(a: Uint8Array, ao: number, b: Uint8Array, bo: number): boolean {
  for (let i = 0; i < 8; i++) if (a[ao + i] !== b[bo + i]) return false
  return true
}
