// Extractors of fd.*, fdlist.* and fs.path.* (libsinsp sinsp_filtercheck_fd.cpp,
// _fdlist.cpp, _fspath.cpp).
//
// fd.ip, fd.port, fd.proto and the fd.*net fields are filter-only in libsinsp: they compare
// both ends of the connection. Here they extract both ends as a two-value array, and the
// filter compiler's "any element" rule gives libsinsp's '=' (either end matches).

import { PPME } from '../../events/table.js'
import { EF, EVENTS } from '../../events/table.js'
import type { FieldValue } from '../../fields/types.js'
import { FDT, type FdInfo } from '../../state/fd.js'
import {
  L4, V4S_IP, V4S_PORT, V4_DIP, V4_DPORT, V4_SIP, V4_SPORT, V6S_IP, V6S_PORT, V6_DIP, V6_DPORT, V6_SIP, V6_SPORT,
  parseIpv4, rd16, rd32, v4text, v6text,
} from '../../state/net.js'
import { parseDirfd } from '../../state/parsers.js'
import { concatenatePaths } from '../../state/paths.js'
import type { ThreadInfo } from '../../state/thread.js'
import type { SyscallEvent } from './event.js'
import type { Extractor } from './extract-evt.js'
import { paramIndex, renderParam, rendered } from './render.js'

const FD_EVENT = EF.CREATES_FD | EF.USES_FD | EF.DESTROYS_FD

// extract_fd: whether the event deals with an fd, and which fd entry it is.
let curThread: ThreadInfo | null = null
function fdOf(ev: SyscallEvent, argFd: number | null): FdInfo | null | false {
  if (((EVENTS[ev.view.type]?.flags ?? 0) & FD_EVENT) === 0) return false
  const t = ev.thread
  curThread = t
  if (t === null) return false
  if (argFd !== null) return t.getFd(argFd)
  if (ev.fd !== null) return ev.fd
  return t.lastEventFd !== -1 ? t.getFd(t.lastEventFd) : null
}

/** An fd field: no fd event or no thread gives no value; `fn` sees the fd (maybe null). */
function fdField(fn: (f: FdInfo | null, ev: SyscallEvent, t: ThreadInfo) => FieldValue): Extractor {
  return ev => {
    const f = fdOf(ev, null)
    if (f === false) return undefined
    return fn(f, ev, curThread!)
  }
}

/** An fd field that needs the fd entry. */
function withFd(fn: (f: FdInfo, ev: SyscallEvent, t: ThreadInfo) => FieldValue): Extractor {
  return fdField((f, ev, t) => (f === null ? undefined : fn(f, ev, t)))
}

/** extract_fdname_from_event: the fd's name from the event itself when the state has no entry. */
function fdNameFromEvent(ev: SyscallEvent, raw: boolean): string | undefined {
  const v = ev.view
  const type = v.type
  if ((type & 1) === 0) return undefined
  switch (type) {
    case PPME.SYSCALL_OPEN_X:
    case PPME.SOCKET_ACCEPT_5_X:
    case PPME.SOCKET_ACCEPT4_6_X:
    case PPME.SYSCALL_CREAT_X:
    case PPME.SOCKET_CONNECT_X:
      if (!renderParam(ev, 1)) return ''
      return rendered.resolved !== '' ? rendered.resolved : rendered.text
    case PPME.SYSCALL_OPENAT_2_X:
    case PPME.SYSCALL_OPENAT2_X: {
      if (v.paramLen(2) === 0) return undefined
      const s = v.str(2)
      const name = v.paramLen(2) === 7 && s === '(NULL)' ? '<NA>' : s
      if (raw) return name
      if (v.paramLen(1) === 0) return undefined
      return concatenatePaths(parseDirfd(ev.thread, name, v.i64(1)), name)
    }
    case PPME.SYSCALL_OPEN_BY_HANDLE_AT_X:
      return v.paramLen(3) === 0 ? '<NA>' : v.str(3)
    default:
      return ''
  }
}

// extract_typechar: a guess from the event type when the fd is unknown.
export function typecharFromEvent(type: number): string {
  switch (type | 1) {
    case PPME.SYSCALL_OPENAT_2_X: case PPME.SYSCALL_OPENAT2_X: case PPME.SYSCALL_CREAT_X:
      return 'f'
    case PPME.SOCKET_SOCKET_X: case PPME.SOCKET_ACCEPT_5_X: case PPME.SOCKET_ACCEPT4_6_X:
      return '4'
    case PPME.SYSCALL_PIPE_X: case PPME.SYSCALL_PIPE2_X:
      return 'p'
    case PPME.SYSCALL_EVENTFD_X: case PPME.SYSCALL_EVENTFD2_X:
      return 'e'
    case PPME.SYSCALL_SIGNALFD_X: case PPME.SYSCALL_SIGNALFD4_X:
      return 's'
    case PPME.SYSCALL_TIMERFD_CREATE_X:
      return 't'
    case PPME.SYSCALL_INOTIFY_INIT_X: case PPME.SYSCALL_INOTIFY_INIT1_X:
      return 'i'
    default:
      return 'o'
  }
}

// Address reads by fd type (undefined when the type has none).
function clientIp(f: FdInfo): string | undefined {
  const s = f.sock
  if (s === null) return undefined
  if (f.type === FDT.IPV4_SOCK) return v4text(rd32(s, V4_SIP))
  if (f.type === FDT.IPV6_SOCK) return v6text(s, V6_SIP)
  return undefined
}
function serverIp(f: FdInfo): string | undefined {
  const s = f.sock
  if (s === null) return undefined
  switch (f.type) {
    case FDT.IPV4_SOCK: return v4text(rd32(s, V4_DIP))
    case FDT.IPV4_SERVSOCK: return v4text(rd32(s, V4S_IP))
    case FDT.IPV6_SOCK: return v6text(s, V6_DIP)
    case FDT.IPV6_SERVSOCK: return v6text(s, V6S_IP)
    default: return undefined
  }
}
function clientPort(f: FdInfo): number | undefined {
  const s = f.sock
  if (s === null) return undefined
  if (f.type === FDT.IPV4_SOCK) return rd16(s, V4_SPORT)
  if (f.type === FDT.IPV6_SOCK) return rd16(s, V6_SPORT)
  return undefined
}
function serverPort(f: FdInfo): number | undefined {
  const s = f.sock
  if (s === null) return undefined
  switch (f.type) {
    case FDT.IPV4_SOCK: return rd16(s, V4_DPORT)
    case FDT.IPV4_SERVSOCK: return rd16(s, V4S_PORT)
    case FDT.IPV6_SOCK: return rd16(s, V6_DPORT)
    case FDT.IPV6_SERVSOCK: return rd16(s, V6S_PORT)
    default: return undefined
  }
}

/** is_ipv4addr_in_local_machine / is_ipv6addr_in_local_machine for an address of the fd. */
function isLocal(ev: SyscallEvent, t: ThreadInfo, f: FdInfo, which: 'sip' | 'dip'): boolean {
  const s = f.sock!
  if (f.type === FDT.IPV4_SOCK) {
    const addr = rd32(s, which === 'sip' ? V4_SIP : V4_DIP)
    if (t.containerId !== '') {
      const c = ev.state.containers.get(t.containerId)
      const ip = c?.ip ?? ''
      if (ip !== '') return parseIpv4(ip) === addr
      for (const other of ev.state.containers.byId.values()) {
        if (other.ip !== '' && parseIpv4(other.ip) === addr) return true
      }
      return false
    }
    return ev.state.interfaces.hasV4(addr)
  }
  if (t.containerId !== '') return false
  return ev.state.interfaces.hasV6(s, which === 'sip' ? V6_SIP : V6_DIP)
}

/** fd.lip / fd.rip / fd.lport / fd.rport: the local or remote end, by whether the client side is local. */
function localRemote(want: 'lip' | 'rip' | 'lport' | 'rport'): Extractor {
  return withFd((f, ev, t) => {
    if (f.type !== FDT.IPV4_SOCK && f.type !== FDT.IPV6_SOCK) return undefined
    if (f.isRoleNone() || f.sock === null) return undefined
    const local = isLocal(ev, t, f, 'sip')
    const clientSide = (want === 'lip' || want === 'lport') === local
    if (want === 'lip' || want === 'rip') return clientSide ? clientIp(f) : f.type === FDT.IPV4_SOCK ? v4text(rd32(f.sock, V4_DIP)) : v6text(f.sock, V6_DIP)
    return clientSide ? clientPort(f) : rd16(f.sock, f.type === FDT.IPV4_SOCK ? V4_DPORT : V6_DPORT)
  })
}

function l4Name(p: number): string {
  switch (p) {
    case L4.TCP: return 'tcp'
    case L4.UDP: return 'udp'
    case L4.ICMP: return 'icmp'
    case L4.RAW: return 'raw'
    default: return '<NA>'
  }
}

function dedupSlashes(s: string): string {
  return s.includes('//') ? s.replace(/\/{2,}/g, '/') : s
}

/** fd.name / fd.directory / fd.containername...: the name of the fd, or of the event. */
function nameOf(f: FdInfo | null, ev: SyscallEvent): string | undefined {
  return f === null ? fdNameFromEvent(ev, false) : f.name
}

function directoryOf(f: FdInfo | null, ev: SyscallEvent): string | undefined {
  let s: string | undefined
  if (f === null) s = fdNameFromEvent(ev, false)
  else if (!(f.isFile() || f.isDirectory())) return undefined
  else s = f.name
  if (s === undefined) return undefined
  if (f === null || f.isFile()) {
    const pos = s.lastIndexOf('/')
    if (pos > 0) {
      if (pos < s.length - 1) s = s.slice(0, pos)
    } else {
      s = '/'
    }
  }
  return s
}

/** Extractors of fd.*. */
export function fdExtractor(name: string, arg: string | undefined): Extractor | undefined {
  switch (name) {
    case 'fd.num': return fdField((_f, _ev, t) => t.lastEventFd)
    case 'fd.name': return fdField((f, ev) => nameOf(f, ev))
    case 'fd.containername': return fdField((f, ev, t) => {
      const n = nameOf(f, ev)
      return n === undefined ? undefined : `${t.containerId}:${n}`
    })
    case 'fd.type': return withFd(f => f.typestring)
    case 'fd.types': {
      if (arg !== undefined) {
        const n = Number(arg)
        return ev => {
          const f = fdOf(ev, n)
          return f === false || f === null ? undefined : [f.typestring]
        }
      }
      return fdField((_f, _ev, t) => {
        const seen: string[] = []
        const table = t.fdTable()
        if (table !== null) for (const x of table.values()) if (!seen.includes(x.typestring)) seen.push(x.typestring)
        return seen
      })
    }
    case 'fd.typechar': return fdField((f, ev) => (f === null ? typecharFromEvent(ev.view.type) : f.typechar))
    case 'fd.directory': return fdField((f, ev) => directoryOf(f, ev))
    case 'fd.containerdirectory': return fdField((f, ev, t) => {
      const d = directoryOf(f, ev)
      return d === undefined ? undefined : `${t.containerId}:${d}`
    })
    case 'fd.filename': return withFd(f => {
      if (!f.isFile()) return undefined
      const s = f.name
      const pos = s.lastIndexOf('/')
      if (pos < 0) return '/'
      return pos < s.length - 1 ? s.slice(pos + 1) : s
    })
    case 'fd.cip':
    case 'fd.cnet':
      return withFd(f => (f.isRoleNone() ? undefined : clientIp(f)))
    case 'fd.sip':
    case 'fd.snet':
      return withFd(f => (f.isRoleNone() ? undefined : serverIp(f)))
    case 'fd.lip': case 'fd.lnet': return localRemote('lip')
    case 'fd.rip': case 'fd.rnet': return localRemote('rip')
    case 'fd.lport': return localRemote('lport')
    case 'fd.rport': return localRemote('rport')
    case 'fd.ip':
    case 'fd.net':
      return withFd(f => {
        if (f.type === FDT.IPV4_SOCK || f.type === FDT.IPV6_SOCK) return [clientIp(f)!, serverIp(f)!]
        const ip = serverIp(f)
        return ip === undefined ? undefined : [ip]
      })
    case 'fd.port':
    case 'fd.proto':
      return withFd(f => {
        if (f.type === FDT.IPV4_SOCK || f.type === FDT.IPV6_SOCK) return [clientPort(f)!, serverPort(f)!]
        const p = serverPort(f)
        return p === undefined ? undefined : [p]
      })
    case 'fd.cport': return withFd(f => (f.isRoleNone() ? undefined : clientPort(f)))
    case 'fd.sport': return withFd(f => {
      if ((f.type === FDT.IPV4_SOCK || f.type === FDT.IPV6_SOCK) && f.isRoleNone()) return undefined
      return serverPort(f)
    })
    case 'fd.cproto': return withFd(f => {
      if (f.isRoleNone()) return undefined
      const p = clientPort(f)
      return p === undefined ? '' : String(p)
    })
    case 'fd.sproto': return withFd(f => {
      if (f.type === FDT.IPV4_SOCK || f.type === FDT.IPV6_SOCK) return f.isRoleNone() ? undefined : String(serverPort(f))
      return f.type === FDT.IPV4_SERVSOCK || f.type === FDT.IPV6_SERVSOCK ? '' : undefined
    })
    case 'fd.lproto':
    case 'fd.rproto': {
      const inner = localRemote(name === 'fd.lproto' ? 'lport' : 'rport')
      return ev => {
        const p = inner(ev)
        return p === undefined ? undefined : String(p)
      }
    }
    case 'fd.l4proto': return withFd(f => l4Name(f.l4proto()))
    case 'fd.sockfamily': return withFd(f => {
      if (f.type === FDT.IPV4_SOCK || f.type === FDT.IPV6_SOCK || f.type === FDT.IPV4_SERVSOCK || f.type === FDT.IPV6_SERVSOCK) return 'ip'
      return f.type === FDT.UNIX_SOCK ? 'unix' : undefined
    })
    case 'fd.is_server': return withFd((f, ev, t) => {
      if (f.type === FDT.IPV4_SERVSOCK || f.type === FDT.IPV6_SERVSOCK) return true
      if ((f.type === FDT.IPV4_SOCK || f.type === FDT.IPV6_SOCK) && f.sock !== null) return isLocal(ev, t, f, 'dip')
      return false
    })
    case 'fd.uid': return fdField((_f, _ev, t) => `${t.tid}${t.lastEventFd}`)
    case 'fd.connected': return withFd(f => (f.flags & (1 << 13)) !== 0)
    case 'fd.name_changed': return withFd((_f, ev) => ev.state.fdNameChanged)
    // Names from reverse DNS: libsinsp's DNS manager is off in Falco, so these are empty.
    case 'fd.cip.name': case 'fd.sip.name': case 'fd.lip.name': case 'fd.rip.name':
      return () => undefined
    case 'fd.dev': return withFd(f => f.dev | 0)
    case 'fd.dev.major': return withFd(f => f.deviceMajor)
    case 'fd.dev.minor': return withFd(f => f.deviceMinor)
    case 'fd.ino': return withFd(f => f.ino)
    case 'fd.nameraw': return fdField((f, ev) => {
      const s = f === null ? fdNameFromEvent(ev, true) : f.nameRaw
      return s === undefined ? undefined : dedupSlashes(s)
    })
    case 'fd.is_upper_layer': return withFd(f => (f.flags & (1 << 17)) !== 0)
    case 'fd.is_lower_layer': return withFd(f => (f.flags & (1 << 18)) !== 0)
    default:
      return undefined
  }
}

// ---------------------------------------------------------------------------------------------
// fdlist.* (poll and ppoll)

export function fdlistExtractor(name: string): Extractor | undefined {
  const kind = name.slice('fdlist.'.length)
  if (!['nums', 'names', 'cips', 'sips', 'cports', 'sports'].includes(kind)) return undefined
  return ev => {
    const v = ev.view
    if (v.type !== PPME.SYSCALL_POLL_X && v.type !== PPME.SYSCALL_PPOLL_X) return undefined
    const t = ev.thread
    if (t === null || v.paramLen(1) < 2) return undefined
    const o = v.paramOffset(1)
    const dv = v.data
    const count = dv.getUint16(o, true)
    const parts: string[] = []
    for (let j = 0, p = o + 2; j < count && p + 10 <= o + v.paramLen(1); j++, p += 10) {
      const fd = Number(dv.getBigInt64(p, true))
      const f = t.getFd(fd)
      switch (kind) {
        case 'nums': parts.push(String(fd)); break
        case 'names': parts.push(f !== null && f.name !== '' ? f.name : '<NA>'); break
        case 'cips': if (f !== null && f.sock !== null && (f.type === FDT.IPV4_SOCK || f.type === FDT.IPV6_SOCK)) parts.push(clientIp(f)!); break
        case 'sips': {
          if (f === null || f.sock === null) break
          if (f.type === FDT.IPV6_SERVSOCK) parts.push(v4text(rd32(f.sock, V6S_IP))) // libsinsp prints it as IPv4
          else {
            const ip = serverIp(f)
            if (ip !== undefined) parts.push(ip)
          }
          break
        }
        case 'cports': if (f !== null && (f.type === FDT.IPV4_SOCK || f.type === FDT.IPV6_SOCK)) parts.push(String(clientPort(f))); break
        case 'sports': if (f !== null && (f.type === FDT.IPV4_SOCK || f.type === FDT.IPV6_SOCK)) parts.push(String(rd16(f.sock!, f.type === FDT.IPV4_SOCK ? V4_DPORT : V6_DPORT))); break
      }
    }
    const s = parts.join(',')
    return s === '' ? undefined : s
  }
}

// ---------------------------------------------------------------------------------------------
// fs.path.* (paths of filesystem syscalls)

type Check = 'res0' | 'fdok'
const PATHS: ReadonlyMap<number, { ok: Check; path?: string; source?: string; target?: string; fdName?: boolean }> = new Map([
  [PPME.SYSCALL_MKDIR_2_X, { ok: 'res0', path: 'path' }],
  [PPME.SYSCALL_MKDIRAT_X, { ok: 'res0', path: 'path' }],
  [PPME.SYSCALL_RMDIR_2_X, { ok: 'res0', path: 'path' }],
  [PPME.SYSCALL_UNLINK_2_X, { ok: 'res0', path: 'path' }],
  [PPME.SYSCALL_UNLINKAT_2_X, { ok: 'res0', path: 'name' }],
  [PPME.SYSCALL_OPEN_X, { ok: 'fdok', path: 'name' }],
  [PPME.SYSCALL_OPENAT_2_X, { ok: 'fdok', path: 'name' }],
  [PPME.SYSCALL_OPENAT2_X, { ok: 'fdok', path: 'name' }],
  [PPME.SYSCALL_FCHMODAT_X, { ok: 'res0', path: 'filename' }],
  [PPME.SYSCALL_CHMOD_X, { ok: 'res0', path: 'filename' }],
  [PPME.SYSCALL_FCHMOD_X, { ok: 'res0', fdName: true }],
  [PPME.SYSCALL_CHOWN_X, { ok: 'res0', path: 'path' }],
  [PPME.SYSCALL_LCHOWN_X, { ok: 'res0', path: 'path' }],
  [PPME.SYSCALL_FCHOWN_X, { ok: 'res0', fdName: true }],
  [PPME.SYSCALL_FCHOWNAT_X, { ok: 'res0', path: 'pathname' }],
  [PPME.SYSCALL_QUOTACTL_X, { ok: 'res0', path: 'special' }],
  [PPME.SYSCALL_RENAME_X, { ok: 'res0', source: 'oldpath', target: 'newpath' }],
  [PPME.SYSCALL_RENAMEAT_X, { ok: 'res0', source: 'oldpath', target: 'newpath' }],
  [PPME.SYSCALL_RENAMEAT2_X, { ok: 'res0', source: 'oldpath', target: 'newpath' }],
  [PPME.SYSCALL_LINK_2_X, { ok: 'res0', source: 'newpath', target: 'oldpath' }],
  [PPME.SYSCALL_LINKAT_2_X, { ok: 'res0', source: 'newpath', target: 'oldpath' }],
  [PPME.SYSCALL_SYMLINK_X, { ok: 'res0', source: 'linkpath', target: 'target' }],
  [PPME.SYSCALL_SYMLINKAT_X, { ok: 'res0', source: 'linkpath', target: 'target' }],
  [PPME.SYSCALL_MOUNT_X, { ok: 'res0', source: 'dev', target: 'dir' }],
  [PPME.SYSCALL_UMOUNT_1_X, { ok: 'res0', path: 'name' }],
  [PPME.SYSCALL_UMOUNT2_X, { ok: 'res0', path: 'name' }],
])

function rawInt(ev: SyscallEvent, pname: string): number | undefined {
  const i = paramIndex(ev.view, pname)
  if (i < 0 || ev.view.paramLen(i) === 0) return undefined
  const n = ev.view.paramLen(i)
  return n >= 8 ? ev.view.i64(i) : n >= 4 ? ev.view.i32(i) : undefined
}

function rawPath(ev: SyscallEvent, pname: string): string | undefined {
  const i = paramIndex(ev.view, pname)
  if (i < 0) return undefined
  const n = ev.view.paramLen(i)
  if (n === 0) return '<NA>'
  const s = ev.view.str(i)
  return n === 7 && s === '(NULL)' ? '<NA>' : s
}

function formatDirfd(f: FdInfo | null): string {
  if (f === null || !f.isDirectory()) return '<UNKNOWN>'
  return f.name === '' || f.name.endsWith('/') ? f.name : f.name + '/'
}

export function fspathExtractor(name: string): Extractor | undefined {
  const which = name === 'fs.path.name' || name === 'fs.path.nameraw' ? 'path'
    : name === 'fs.path.source' || name === 'fs.path.sourceraw' ? 'source'
      : name === 'fs.path.target' || name === 'fs.path.targetraw' ? 'target' : null
  if (which === null) return undefined
  const resolve = !name.endsWith('raw')
  return ev => {
    const v = ev.view
    const spec = PATHS.get(v.type)
    if (spec === undefined) return undefined
    if (spec.ok === 'res0' ? rawInt(ev, 'res') !== 0 : rawInt(ev, 'fd') === -1) return undefined
    let p: string | undefined
    if (which === 'path' && spec.fdName === true) {
      // fd.name of the event's fd.
      const f = ev.fd
      p = f !== null ? f.name : fdNameFromEvent(ev, false)
    } else {
      const pname = spec[which]
      if (pname === undefined) return undefined
      p = rawPath(ev, pname)
    }
    if (p === undefined) return undefined
    if (!resolve) return p
    const t = ev.thread
    if (t === null) return undefined
    if (p.startsWith('/')) return concatenatePaths('', p)
    let sdir: string
    switch (v.type) {
      case PPME.SYSCALL_OPENAT_2_X:
      case PPME.SYSCALL_OPENAT2_X:
        return concatenatePaths('', ev.fd !== null ? ev.fd.name : '<UNKNOWN>')
      case PPME.SYSCALL_FCHOWNAT_X: case PPME.SYSCALL_FCHMODAT_X: case PPME.SYSCALL_MKDIRAT_X:
      case PPME.SYSCALL_UNLINKAT_2_X:
        sdir = formatDirfd(ev.fd)
        break
      case PPME.SYSCALL_SYMLINKAT_X:
        sdir = which === 'source' ? formatDirfd(ev.fd) : '<UNKNOWN>'
        break
      case PPME.SYSCALL_RENAMEAT2_X:
        if (which === 'target') sdir = parseDirfd(t, p, v.i64(3))
        else if (which === 'source') sdir = parseDirfd(t, p, v.i64(1))
        else sdir = '<UNKNOWN>'
        break
      default:
        sdir = t.getCwd()
    }
    return concatenatePaths(sdir, p)
  }
}
