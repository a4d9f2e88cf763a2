// Event params as text, the way libsinsp renders them for evt.args, evt.arg[N] and
// evt.arg.NAME (sinsp_evt::get_param_as_str): a raw text and, for some types, a resolved
// one (the fd's name, the errno's name, the flag names, the full path...). Port numbers are
// never turned into service names (Falco switches that off).

import type { EventView } from '../../events/event.js'
import { resolveFlags, resolveMode } from '../../events/flags.js'
import { splitNul } from '../../events/params.js'
import { PF, PT, type PrintFormat } from '../../events/param-types.js'
import { ppmScName } from '../../events/syscalls.js'
import { DYN_PARAMS, EVENTS, PPME, type ParamInfo } from '../../events/table.js'
import { AT_FDCWD } from '../../state/constants.js'
import { FDT } from '../../state/fd.js'
import { L4 } from '../../state/net.js'
import { sockaddrText, socktupleText } from '../../state/parsers.js'
import { concatenatePaths } from '../../state/paths.js'
import type { ThreadInfo } from '../../state/thread.js'
import type { SyscallEvent } from './event.js'
import { errnoName, signalName } from './names.js'
import { abstimeText, formatG } from './times.js'

/** The result of the last renderParam call (reused: copy what you keep). */
export const rendered = { text: '', resolved: '' }

const TWO64 = 1n << 64n

function fmtInt(v: number, bits: number, fmt: PrintFormat, signed: boolean): string {
  switch (fmt) {
    case PF.OCT: {
      const u = v < 0 ? BigInt.asUintN(bits, BigInt(v)) : BigInt(v)
      return u === 0n ? '0' : '0' + u.toString(8)
    }
    case PF.HEX: {
      const u = v < 0 ? BigInt.asUintN(bits, BigInt(v)) : BigInt(v)
      return u.toString(16).toUpperCase()
    }
    case PF.PADDED_DEC_10:
      return signed || v >= 0 ? (v < 0 ? '-' + String(-v).padStart(8, '0') : String(v).padStart(9, '0')) : String(v)
    default:
      return String(v)
  }
}

function fmtBig(v: bigint, fmt: PrintFormat): string {
  // PT_UINT64 is printed through a signed 64-bit read in libsinsp.
  const s = BigInt.asIntN(64, v)
  switch (fmt) {
    case PF.OCT: {
      const u = s < 0n ? s + TWO64 : s
      return u === 0n ? '0' : '0' + u.toString(8)
    }
    case PF.HEX:
      return (s < 0n ? s + TWO64 : s).toString(16).toUpperCase()
    case PF.PADDED_DEC_10:
      return s < 0n ? '-' + (-s).toString().padStart(8, '0') : s.toString().padStart(9, '0')
    default:
      return s.toString()
  }
}

/** Bytes as libsinsp prints a buffer in its normal format: printable ASCII kept, the rest '.'. */
export function bufferText(b: Uint8Array, format: 'normal' | 'base64' = 'normal'): string {
  if (format === 'base64') return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('base64')
  let s = ''
  for (let i = 0; i < b.length; i += 4096) {
    const end = Math.min(b.length, i + 4096)
    const chunk = new Array<number>(end - i)
    for (let j = i; j < end; j++) {
      const c = b[j]!
      chunk[j - i] = c >= 0x20 && c <= 0x7e ? c : 0x2e
    }
    s += String.fromCharCode.apply(null, chunk)
  }
  return s
}

/** The "<f>/etc/passwd" text of an fd (render_fd's resolved part); '' when unknown. */
export function fdResolved(t: ThreadInfo | null, fd: number, simple: boolean): string {
  if (t === null) return ''
  if (fd >= 0) {
    const f = t.getFd(fd)
    if (f === null) return ''
    let proto = ''
    if (f.type === FDT.IPV4_SOCK || f.type === FDT.IPV6_SOCK || f.type === FDT.IPV4_SERVSOCK || f.type === FDT.IPV6_SERVSOCK) {
      switch (f.l4proto()) {
        case L4.TCP: proto = 't'; break
        case L4.UDP: proto = 'u'; break
        case L4.ICMP: proto = 'i'; break
        case L4.RAW: proto = 'r'; break
        default:
      }
    }
    return `<${simple ? '' : f.typechar}${proto}>${f.name}`
  }
  if (fd === AT_FDCWD) return 'AT_FDCWD'
  return errnoName(fd)
}

// get_base_dir: the directory a relative FSPATH/FSRELPATH is resolved against.
function baseDir(ev: EventView, pinfo: ParamInfo, t: ThreadInfo): string {
  const cwd = t.getCwd()
  if (pinfo.type !== PT.FSRELPATH || pinfo.dirfd === undefined) return cwd
  const dinfo = EVENTS[ev.type]!.params[pinfo.dirfd]
  if (dinfo === undefined || dinfo.type !== PT.FD) return cwd
  const dirfd = ev.i64(pinfo.dirfd)
  if (dirfd === AT_FDCWD) return cwd
  const f = t.getFd(dirfd)
  if (f === null || f.name === '') return ''
  return f.name.endsWith('/') ? f.name : f.name + '/'
}

function fdlistText(ev: EventView, o: number, n: number, t: ThreadInfo | null): string {
  if (t === null || n < 2) return ''
  const dv = ev.data
  const count = dv.getUint16(o, true)
  let out = ''
  for (let j = 0, p = o + 2; j < count && p + 10 <= o + n; j++, p += 10) {
    const fd = dv.getBigInt64(p, true)
    const f = t.getFd(Number(fd))
    const ch = f === null ? '?' : f.typechar
    const flags = dv.getInt16(p + 8, true) >>> 0
    out += `${BigInt.asUintN(64, fd)}:${ch}${flags.toString(16)}${j < count - 1 ? ' ' : ''}`
  }
  return out
}

/**
 * Renders param `i` of the current event into `rendered`. `simple` drops the type letter
 * of fds (libsinsp's PF_SIMPLE). Returns false when the event has no such param.
 */
export function renderParam(ctx: SyscallEvent, i: number, simple = false): boolean {
  const ev = ctx.view
  const info = EVENTS[ev.type]
  rendered.text = ''
  rendered.resolved = ''
  if (info === undefined || i >= ev.nparams) return false
  const outer = info.params[i]
  if (outer === undefined) return false
  let pinfo: { type: number; fmt: PrintFormat } = outer
  let o = ev.paramOffset(i)
  let n = ev.paramLen(i)
  const legacyType = outer.type === PT.CHARBUF || outer.type === PT.FSPATH || outer.type === PT.FSRELPATH
  if (n === 0 && !legacyType) {
    const t = outer.type
    rendered.text = t === PT.BYTEBUF || t === PT.SOCKTUPLE || t === PT.FDLIST || t === PT.CHARBUFARRAY ||
      t === PT.CHARBUF_PAIR_ARRAY || t === PT.DYN ? 'NULL' : '<NA>'
    return true
  }
  if (outer.type === PT.DYN && outer.dyn !== undefined) {
    const alts = DYN_PARAMS[outer.dyn]
    const idx = ev.buf[o]!
    if (alts !== undefined && idx < alts.length) {
      pinfo = alts[idx]!
      o += 1
      n -= 1
    }
  }
  const fmt = outer.fmt
  const dv = ev.data
  const t = ctx.thread
  switch (pinfo.type) {
    case PT.INT8:
      rendered.text = fmtInt(n >= 1 ? dv.getInt8(o) : 0, 8, fmt, true)
      break
    case PT.INT16:
      rendered.text = fmtInt(n >= 2 ? dv.getInt16(o, true) : 0, 16, fmt, true)
      break
    case PT.INT32:
      rendered.text = fmtInt(n >= 4 ? dv.getInt32(o, true) : 0, 32, fmt, true)
      break
    case PT.INT64:
      rendered.text = fmtBig(n >= 8 ? dv.getBigInt64(o, true) : 0n, fmt)
      break
    case PT.UINT8:
      rendered.text = fmtInt(n >= 1 ? dv.getUint8(o) : 0, 8, fmt, false)
      break
    case PT.UINT16:
      rendered.text = fmtInt(n >= 2 ? dv.getUint16(o, true) : 0, 16, fmt, false)
      break
    case PT.UINT32:
      rendered.text = fmtInt(n >= 4 ? dv.getUint32(o, true) : 0, 32, fmt, false)
      break
    case PT.UINT64:
      rendered.text = fmtBig(n >= 8 ? dv.getBigUint64(o, true) : 0n, fmt)
      break
    case PT.FD: {
      const fd = n >= 8 ? Number(dv.getBigInt64(o, true)) : n >= 4 ? dv.getInt32(o, true) : 0
      rendered.text = String(fd)
      rendered.resolved = fdResolved(t, fd, simple)
      break
    }
    case PT.PID: {
      const pid = n >= 8 ? Number(dv.getBigInt64(o, true)) : 0
      rendered.text = String(pid)
      const p = ctx.state.findThread(pid)
      if (p !== null) rendered.resolved = p.comm
      break
    }
    case PT.ERRNO: {
      const v = n >= 8 ? Number(dv.getBigInt64(o, true)) : 0
      rendered.text = String(v)
      if (v < 0) rendered.resolved = errnoName(v)
      break
    }
    case PT.CHARBUF: {
      const s = n === 0 ? '' : ev.str(i)
      rendered.text = n === 0 || (n === 7 && s === '(NULL)') ? '<NA>' : pinfo !== outer ? decodeAt(ev, o, n) : s
      break
    }
    case PT.FSPATH:
    case PT.FSRELPATH: {
      const raw = n === 0 ? '' : ev.str(i)
      const path = n === 0 || (n === 7 && raw === '(NULL)') ? '<NA>' : raw
      rendered.text = path
      if (t !== null && path !== '<NA>' && path !== '' && !path.startsWith('/')) {
        rendered.resolved = concatenatePaths(baseDir(ev, outer, t), path)
      }
      break
    }
    case PT.BYTEBUF:
      rendered.text = bufferText(ev.buf.subarray(o, o + n), ctx.bufferFormat)
      break
    case PT.SOCKADDR:
      rendered.text = sockaddrText(ev.buf.subarray(o, o + n))
      break
    case PT.SOCKTUPLE:
      rendered.text = socktupleText(ev.buf.subarray(o, o + n))
      break
    case PT.FDLIST:
      rendered.text = fdlistText(ev, o, n, t)
      break
    case PT.SYSCALLID: {
      const sc = n >= 2 ? dv.getUint16(o, true) : 0
      if (sc >= 454) {
        rendered.text = '<unknown syscall>'
        break
      }
      rendered.text = String(sc)
      rendered.resolved = ppmScName(sc) ?? ''
      break
    }
    case PT.SIGTYPE: {
      const v = n >= 1 ? dv.getUint8(o) : 0
      rendered.text = String(v)
      rendered.resolved = signalName(v)
      break
    }
    case PT.RELTIME: {
      const v = n >= 8 ? dv.getBigUint64(o, true) : 0n
      if (v === TWO64 - 1n) {
        rendered.text = 'none'
      } else {
        rendered.text = v.toString()
        rendered.resolved = formatG(Number(v) / 1e9) + 's'
      }
      break
    }
    case PT.FLAGS8: case PT.FLAGS16: case PT.FLAGS32:
    case PT.ENUMFLAGS8: case PT.ENUMFLAGS16: case PT.ENUMFLAGS32: {
      const w = pinfo.type === PT.FLAGS8 || pinfo.type === PT.ENUMFLAGS8 ? 1
        : pinfo.type === PT.FLAGS16 || pinfo.type === PT.ENUMFLAGS16 ? 2 : 4
      const v = n < w ? 0 : w === 1 ? dv.getUint8(o) : w === 2 ? dv.getUint16(o, true) : dv.getUint32(o, true)
      rendered.text = String(v)
      const enumLike = pinfo.type === PT.ENUMFLAGS8 || pinfo.type === PT.ENUMFLAGS16 || pinfo.type === PT.ENUMFLAGS32
      if (outer.info !== undefined) rendered.resolved = resolveFlags(outer.info, v, enumLike)
      break
    }
    case PT.MODE: {
      const v = n >= 4 ? dv.getUint32(o, true) : 0
      rendered.text = fmtInt(v, 32, fmt, false)
      if (outer.info !== undefined) rendered.resolved = resolveMode(outer.info, v)
      break
    }
    case PT.ABSTIME:
      rendered.text = abstimeText(n >= 8 ? dv.getBigUint64(o, true) : 0n)
      break
    case PT.UID:
    case PT.GID: {
      const v = n >= 4 ? dv.getUint32(o, true) : 0
      if (v < 0xffffffff) {
        rendered.text = String(v | 0)
        let name = ''
        if (t !== null) {
          const cid = t.containerId
          name = pinfo.type === PT.UID ? ctx.state.users.getUser(cid, v)?.name ?? '' : ctx.state.users.getGroup(cid, v)?.name ?? ''
        }
        rendered.resolved = name !== '' ? name : '<NA>'
      } else {
        rendered.text = '-1'
        rendered.resolved = '<NONE>'
      }
      break
    }
    case PT.CHARBUFARRAY:
      rendered.text = splitNul(ev.buf, o, o + n).join('.')
      break
    case PT.SIGSET: {
      const v = n >= 4 ? dv.getUint32(o, true) : 0
      let s = ''
      for (let sig = 0; sig < 32; sig++) {
        if ((v & (1 << sig)) === 0) continue
        const name = signalName(sig + 1)
        if (name !== '') s += s === '' ? name : ' ' + name
      }
      rendered.text = s
      break
    }
    default:
      rendered.text = '(n.a.)'
  }
  return true
}

function decodeAt(ev: EventView, o: number, n: number): string {
  let e = o
  while (e < o + n && ev.buf[e] !== 0) e++
  return new TextDecoder().decode(ev.buf.subarray(o, e))
}

/** The "name=value(resolved) ..." text of evt.args (evt.info). */
export function argsText(ctx: SyscallEvent): string {
  const ev = ctx.view
  if (ev.type === PPME.GENERIC_X) return ''
  const info = EVENTS[ev.type]
  if (info === undefined) return ''
  let out = ''
  const n = Math.min(ev.nparams, info.params.length)
  for (let j = 0; j < n; j++) {
    renderParam(ctx, j)
    const name = info.params[j]!.name
    if (rendered.resolved === '') out += `${name}=${rendered.text} `
    else out += `${name}=${rendered.text}(${rendered.resolved}) `
  }
  return out.length > 0 ? out.slice(0, -1) : out
}

/**
 * argText of param `i` when it is a FLAGS or ENUMFLAGS param (its names, else its number),
 * without rendering it into `rendered`; null for a param of any other type. evt.arg.flags
 * is read by rules on every open, where renderParam cost as much as the rules' other checks.
 */
export function flagsArgText(ev: EventView, i: number): string | null {
  const info = EVENTS[ev.type]
  if (info === undefined || i >= ev.nparams) return null
  const outer = info.params[i]
  if (outer === undefined) return null
  const t = outer.type
  const w = t === PT.FLAGS8 || t === PT.ENUMFLAGS8 ? 1 : t === PT.FLAGS16 || t === PT.ENUMFLAGS16 ? 2 : t === PT.FLAGS32 || t === PT.ENUMFLAGS32 ? 4 : 0
  if (w === 0) return null
  const n = ev.paramLen(i)
  if (n === 0) return '<NA>'
  const o = ev.paramOffset(i)
  const dv = ev.data
  const v = n < w ? 0 : w === 1 ? dv.getUint8(o) : w === 2 ? dv.getUint16(o, true) : dv.getUint32(o, true)
  const enumLike = t === PT.ENUMFLAGS8 || t === PT.ENUMFLAGS16 || t === PT.ENUMFLAGS32
  return (outer.info !== undefined ? resolveFlags(outer.info, v, enumLike) : '') || String(v)
}

/** evt.arg / evt.arg[N]: the resolved text when there is one, else the raw one. */
export function argText(ctx: SyscallEvent, i: number): string | undefined {
  if (!renderParam(ctx, i)) return undefined
  return rendered.resolved !== '' ? rendered.resolved : rendered.text
}

/** Index of the param named `name` in the current event, -1 when it has none. */
export function paramIndex(ev: EventView, name: string): number {
  // an event of an older layout may carry fewer params than the table lists
  const j = tableParamIndex(ev.type, name)
  return j < ev.nparams ? j : -1
}

/** Index of the param named `name` in the event table's entry for `type`, -1 when it has none. */
export function tableParamIndex(type: number, name: string): number {
  const info = EVENTS[type]
  if (info === undefined) return -1
  let byName = paramIndexes[type]
  if (byName === undefined) {
    byName = new Map()
    info.params.forEach((p, j) => byName!.has(p.name) || byName!.set(p.name, j))
    paramIndexes[type] = byName
  }
  return byName.get(name) ?? -1
}

/** Per event type: param name → its first index in the event table (made on first use). */
const paramIndexes: (Map<string, number> | undefined)[] = []
