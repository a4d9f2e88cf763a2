// Parsing of right-hand values, as libsinsp parses them (value_parser.cpp, utils.cpp
// sinsp_numparser, tuples.cpp, glibc inet_pton): numbers are read like sscanf("%u%c")
// and sscanf("%d%c") read them, so decimal only, an optional sign, no trailing text, and
// out-of-range values wrap or saturate the same way.
import { readFileSync } from 'node:fs'

const U64_MAX = (1n << 64n) - 1n
const I64_MAX = (1n << 63n) - 1n
const I64_MIN = -(1n << 63n)

const isCSpace = (c: number): boolean => c === 0x20 || (c >= 0x09 && c <= 0x0d)

/** Sign and magnitude of an sscanf integer, or undefined when sscanf would not return 1. */
function scanInteger(str: string): { neg: boolean; mag: bigint } | undefined {
  let i = 0
  while (i < str.length && isCSpace(str.charCodeAt(i))) i++
  let neg = false
  if (str[i] === '+' || str[i] === '-') {
    neg = str[i] === '-'
    i++
  }
  const start = i
  while (i < str.length && str.charCodeAt(i) >= 0x30 && str.charCodeAt(i) <= 0x39) i++
  if (i === start || i !== str.length) return undefined
  return { neg, mag: BigInt(str.slice(start, i)) }
}

/**
 * An unsigned number as sinsp_numparser::parseu{8,16,32,64} reads it: strtoul semantics
 * (a minus sign negates modulo 2^64, overflow saturates), then truncated to `bits`.
 */
export function parseUnsigned(str: string, bits: 8 | 16 | 32 | 64): bigint | undefined {
  const n = scanInteger(str)
  if (!n) return undefined
  let v = n.mag > U64_MAX ? U64_MAX : n.neg ? (U64_MAX + 1n - n.mag) & U64_MAX : n.mag
  if (bits < 64) v = BigInt.asUintN(bits, v)
  return v
}

/** A signed number as parsed{8,16,32,64} read it: strtol saturation, then truncation. */
export function parseSigned(str: string, bits: 8 | 16 | 32 | 64): bigint | undefined {
  const n = scanInteger(str)
  if (!n) return undefined
  let v = n.neg ? -n.mag : n.mag
  if (v > I64_MAX) v = I64_MAX
  if (v < I64_MIN) v = I64_MIN
  if (bits < 64) v = BigInt.asIntN(bits, v)
  return v
}

export const notANumber = (str: string): string => str + ' is not a valid number'

/** glibc inet_pton(AF_INET): four decimal octets, no leading zeros. Fills out[off..off+4]. */
export function parseIPv4Into(s: string, from: number, to: number, out: Uint8Array, off: number): boolean {
  let sawDigit = false
  let octets = 0
  let cur = 0
  let k = off
  out[k] = 0
  for (let i = from; i < to; i++) {
    const ch = s.charCodeAt(i)
    if (ch >= 0x30 && ch <= 0x39) {
      const nv = cur * 10 + (ch - 0x30)
      if (sawDigit && cur === 0) return false
      if (nv > 255) return false
      cur = nv
      out[k] = nv
      if (!sawDigit) {
        if (++octets > 4) return false
        sawDigit = true
      }
    } else if (ch === 0x2e && sawDigit) {
      if (octets === 4) return false
      k++
      cur = 0
      out[k] = 0
      sawDigit = false
    } else {
      return false
    }
  }
  return octets >= 4
}

const hexVal = (c: number): number =>
  c >= 0x30 && c <= 0x39 ? c - 0x30 : c >= 0x61 && c <= 0x66 ? c - 0x57 : c >= 0x41 && c <= 0x46 ? c - 0x37 : -1

const v6tmp = new Uint8Array(16)

/** glibc inet_pton(AF_INET6), with an embedded dotted quad allowed at the end. */
export function parseIPv6Into(s: string, out: Uint8Array): boolean {
  const tmp = v6tmp.fill(0)
  let src = 0
  const end = s.length
  if (src === end) return false
  if (s.charCodeAt(src) === 0x3a) {
    src++
    if (src === end || s.charCodeAt(src) !== 0x3a) return false
  }
  let curtok = src
  let xdigits = 0
  let val = 0
  let tp = 0
  let colonp = -1
  while (src < end) {
    const ch = s.charCodeAt(src++)
    const d = hexVal(ch)
    if (d >= 0) {
      if (xdigits === 4) return false
      val = (val << 4) | d
      if (val > 0xffff) return false
      xdigits++
      continue
    }
    if (ch === 0x3a) {
      curtok = src
      if (xdigits === 0) {
        if (colonp >= 0) return false
        colonp = tp
        continue
      } else if (src === end) {
        return false
      }
      if (tp + 2 > 16) return false
      tmp[tp++] = (val >> 8) & 0xff
      tmp[tp++] = val & 0xff
      xdigits = 0
      val = 0
      continue
    }
    if (ch === 0x2e && tp + 4 <= 16 && parseIPv4Into(s, curtok, end, tmp, tp)) {
      tp += 4
      xdigits = 0
      break
    }
    return false
  }
  if (xdigits > 0) {
    if (tp + 2 > 16) return false
    tmp[tp++] = (val >> 8) & 0xff
    tmp[tp++] = val & 0xff
  }
  if (colonp >= 0) {
    if (tp === 16) return false
    const n = tp - colonp
    tmp.copyWithin(16 - n, colonp, tp)
    tmp.fill(0, colonp, 16 - n)
    tp = 16
  }
  if (tp !== 16) return false
  out.set(tmp)
  return true
}

export function parseIPv4(s: string): Uint8Array | undefined {
  const out = new Uint8Array(4)
  return parseIPv4Into(s, 0, s.length, out, 0) ? out : undefined
}

export function parseIPv6(s: string): Uint8Array | undefined {
  const out = new Uint8Array(16)
  return parseIPv6Into(s, out) ? out : undefined
}

export function formatIPv4(b: Uint8Array, off = 0): string {
  return b[off] + '.' + b[off + 1] + '.' + b[off + 2] + '.' + b[off + 3]
}

/** glibc inet_ntop(AF_INET6): longest zero run as '::', IPv4-mapped/compatible as dotted. */
export function formatIPv6(b: Uint8Array): string {
  const words: number[] = []
  for (let i = 0; i < 8; i++) words.push((b[2 * i]! << 8) | b[2 * i + 1]!)
  let bestBase = -1
  let bestLen = 0
  let curBase = -1
  let curLen = 0
  for (let i = 0; i < 8; i++) {
    if (words[i] === 0) {
      if (curBase === -1) {
        curBase = i
        curLen = 1
      } else {
        curLen++
      }
    } else if (curBase !== -1) {
      if (bestBase === -1 || curLen > bestLen) {
        bestBase = curBase
        bestLen = curLen
      }
      curBase = -1
    }
  }
  if (curBase !== -1 && (bestBase === -1 || curLen > bestLen)) {
    bestBase = curBase
    bestLen = curLen
  }
  if (bestBase !== -1 && bestLen < 2) bestBase = -1
  let out = ''
  for (let i = 0; i < 8; i++) {
    if (bestBase !== -1 && i >= bestBase && i < bestBase + bestLen) {
      if (i === bestBase) out += ':'
      continue
    }
    if (i !== 0) out += ':'
    if (i === 6 && bestBase === 0 && (bestLen === 6 || (bestLen === 5 && words[5] === 0xffff))) {
      out += formatIPv4(b, 12)
      break
    }
    out += words[i]!.toString(16)
  }
  if (bestBase !== -1 && bestBase + bestLen === 8) out += ':'
  return out
}

/** sinsp_utils::unhex: an even number of hex digits to bytes. */
export function unhex(s: string): Uint8Array | undefined {
  if (s.length % 2 !== 0) return undefined
  const out = new Uint8Array(s.length / 2)
  for (let i = 0; i < s.length; i += 2) {
    const h = hexVal(s.charCodeAt(i))
    const l = hexVal(s.charCodeAt(i + 1))
    if (h < 0 || l < 0) return undefined
    out[i / 2] = h * 16 + l
  }
  return out
}

// getservbyname(name, NULL): the first /etc/services entry with that name or alias.
let services: Map<string, number> | undefined
const FALLBACK_SERVICES: Record<string, number> = {
  ftp: 21, ssh: 22, telnet: 23, smtp: 25, domain: 53, http: 80, pop3: 110, imap: 143, https: 443,
}

export function lookupService(name: string): number | undefined {
  if (!services) {
    services = new Map()
    try {
      for (const line of readFileSync('/etc/services', 'utf8').split('\n')) {
        const text = line.replace(/#.*/, '').trim()
        if (!text) continue
        const parts = text.split(/\s+/)
        const port = parseInt(parts[1]?.split('/')[0] ?? '', 10)
        if (!Number.isFinite(port)) continue
        for (const n of [parts[0]!, ...parts.slice(2)]) if (!services.has(n)) services.set(n, port)
      }
    } catch {
      for (const [n, p] of Object.entries(FALLBACK_SERVICES)) services.set(n, p)
    }
  }
  return services.get(name)
}
