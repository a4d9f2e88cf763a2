// Extractors of the evt.* fields (libsinsp sinsp_filtercheck_gen_event.cpp and
// sinsp_filtercheck_event.cpp), for syscall-source events.

import type { EventView } from '../../events/event.js'
import { PT } from '../../events/param-types.js'
import { ppmScName, syscallByNr } from '../../events/syscalls.js'
import { categoryName, EC, EF, EVENTS, PPME, type IoSubcategory } from '../../events/table.js'
import type { FieldValue } from '../../fields/types.js'
import { AT_FDCWD, O, S_IXANY } from '../../state/constants.js'
import { FDT, type FdInfo } from '../../state/fd.js'
import { concatenatePaths } from '../../state/paths.js'
import { hasReturnValue, returnValue } from '../../state/system-state.js'
import type { SyscallEvent } from './event.js'
import { argText, argsText, flagsArgText, paramIndex, renderParam, rendered, tableParamIndex } from './render.js'
import { tsToIso8601, tsToString } from './times.js'

export type Extractor = (ev: SyscallEvent) => FieldValue

const NS = 1_000_000_000n

/** evt.type: the event's name; a generic event's syscall name; an async event's own name. */
export function eventTypeName(v: EventView): string {
  const type = v.type
  if (type === PPME.GENERIC_X) {
    let sc = v.u16(0)
    // A syscall newer than the capture's driver: found back from its native number.
    if (sc === 0 && v.paramLen(1) !== 0) sc = syscallByNr(v.u16(1))?.ppmSc ?? 0
    return ppmScName(sc) ?? ''
  }
  if (type === PPME.ASYNCEVENT_E) return v.paramLen(1) === 0 ? '<NA>' : v.str(1)
  return EVENTS[type]?.name ?? 'unknown'
}

function isMeta(type: number): boolean {
  const info = EVENTS[type]
  return info !== undefined && (info.category & EC.METAEVENT) !== 0
}

/** get_category's subcategory for an I/O event, from the fd's type. */
export function ioSubcategory(fd: FdInfo | null): IoSubcategory {
  if (fd === null) return 'unknown'
  switch (fd.type) {
    case FDT.FILE: case FDT.FILE_V2: case FDT.DIRECTORY:
      return 'file'
    case FDT.IPV4_SOCK: case FDT.IPV6_SOCK: case FDT.IPV4_SERVSOCK: case FDT.IPV6_SERVSOCK:
      return 'net'
    case FDT.FIFO: case FDT.UNIX_SOCK: case FDT.EVENT: case FDT.SIGNALFD: case FDT.INOTIFY: case FDT.USERFAULTFD:
      return 'ipc'
    default:
      return 'unknown'
  }
}

function flagsOf(ev: SyscallEvent): number {
  return EVENTS[ev.view.type]?.flags ?? 0
}

function syscallCategory(ev: SyscallEvent): number {
  return (EVENTS[ev.view.type]?.category ?? 0) & (EC.SYSCALL - 1)
}

const isFileFd = (f: FdInfo): boolean => f.type === FDT.FILE || f.type === FDT.FILE_V2 || f.type === FDT.DIRECTORY
const isNetFd = (f: FdInfo): boolean =>
  f.type === FDT.IPV4_SOCK || f.type === FDT.IPV6_SOCK || f.type === FDT.IPV4_SERVSOCK || f.type === FDT.IPV6_SERVSOCK ||
  f.type === FDT.UNIX_SOCK
const isOpenType = (t: number): boolean => t === PPME.SYSCALL_OPEN_X || t === PPME.SYSCALL_CREAT_X ||
  t === PPME.SYSCALL_OPENAT_2_X || t === PPME.SYSCALL_OPENAT2_X || t === PPME.SYSCALL_OPEN_BY_HANDLE_AT_X

/** The error-count value: 1 for a failed syscall, 0 for a successful one, none without a return value. */
function errorCount(ev: SyscallEvent): FieldValue {
  if (!hasReturnValue(ev.view)) return undefined
  return returnValue(ev.view) < 0 ? 1 : 0
}

/** A raw param value (evt.rawarg.NAME), decoded by the current event's param type. */
function rawValue(ev: SyscallEvent, i: number): FieldValue {
  const v = ev.view
  const info = EVENTS[v.type]?.params[i]
  if (info === undefined) return undefined
  let o = v.paramOffset(i)
  let n = v.paramLen(i)
  let type: number = info.type
  if (type === PT.CHARBUF || type === PT.FSPATH || type === PT.FSRELPATH) {
    if (n === 0) return '<NA>'
    const s = v.str(i)
    return n === 7 && s === '(NULL)' ? '<NA>' : s
  }
  if (n === 0) return undefined
  const dv = v.data
  if (type === PT.DYN) {
    renderParam(ev, i)
    type = -1
  }
  switch (type) {
    case PT.INT8: return dv.getInt8(o)
    case PT.INT16: return n >= 2 ? dv.getInt16(o, true) : undefined
    case PT.INT32: case PT.FD32: case PT.PID32: return n >= 4 ? dv.getInt32(o, true) : undefined
    case PT.INT64: case PT.ERRNO: case PT.FD: case PT.PID: return n >= 8 ? Number(dv.getBigInt64(o, true)) : undefined
    case PT.UINT8: case PT.FLAGS8: case PT.ENUMFLAGS8: case PT.SIGTYPE: case PT.L4PROTO: case PT.SOCKFAMILY:
      return dv.getUint8(o)
    case PT.UINT16: case PT.FLAGS16: case PT.ENUMFLAGS16: case PT.PORT: case PT.SYSCALLID:
      return n >= 2 ? dv.getUint16(o, true) : undefined
    case PT.UINT32: case PT.FLAGS32: case PT.ENUMFLAGS32: case PT.UID: case PT.GID: case PT.MODE: case PT.SIGSET:
      return n >= 4 ? dv.getUint32(o, true) : undefined
    case PT.UINT64: case PT.RELTIME: case PT.ABSTIME:
      return n >= 8 ? dv.getBigUint64(o, true) : undefined
    case PT.BOOL: return n >= 4 ? dv.getUint32(o, true) !== 0 : dv.getUint8(o) !== 0
    case PT.DOUBLE: return n >= 8 ? dv.getFloat64(o, true) : undefined
    case -1: {
      // A dynamic param: the chosen alternative's bytes after the index byte.
      o += 1
      n -= 1
      return v.buf.subarray(o, o + n)
    }
    default:
      return v.buf.subarray(o, o + n)
  }
}

// extract_abspath: the full path of a *at syscall's path argument.
const ABSPATH_ARGS: ReadonlyMap<number, readonly (readonly [string, string] | null)[]> = new Map([
  [PPME.SYSCALL_RENAMEAT_X, [['olddirfd', 'oldpath'], ['olddirfd', 'oldpath'], ['newdirfd', 'newpath']]],
  [PPME.SYSCALL_RENAMEAT2_X, [['olddirfd', 'oldpath'], ['olddirfd', 'oldpath'], ['newdirfd', 'newpath']]],
  [PPME.SYSCALL_SYMLINKAT_X, [['linkdirfd', 'linkpath'], ['linkdirfd', 'linkpath'], ['linkdirfd', 'linkpath']]],
  [PPME.SYSCALL_OPENAT_2_X, [['dirfd', 'name'], ['dirfd', 'name'], ['dirfd', 'name']]],
  [PPME.SYSCALL_OPENAT2_X, [['dirfd', 'name'], ['dirfd', 'name'], ['dirfd', 'name']]],
  [PPME.SYSCALL_LINKAT_2_X, [['olddir', 'oldpath'], ['olddir', 'oldpath'], ['newdir', 'newpath']]],
  [PPME.SYSCALL_UNLINKAT_2_X, [['dirfd', 'name'], ['dirfd', 'name'], ['dirfd', 'name']]],
  [PPME.SYSCALL_MKDIRAT_X, [['dirfd', 'path'], ['dirfd', 'path'], ['dirfd', 'path']]],
  [PPME.SYSCALL_FCHMODAT_X, [['dirfd', 'filename'], ['dirfd', 'filename'], ['dirfd', 'filename']]],
  [PPME.SYSCALL_FCHOWNAT_X, [['dirfd', 'pathname'], ['dirfd', 'pathname'], ['dirfd', 'pathname']]],
])

function absPath(ev: SyscallEvent, argid: number): FieldValue {
  const t = ev.thread
  if (t === null) return undefined
  const v = ev.view
  if (v.type === PPME.SYSCALL_OPEN_BY_HANDLE_AT_X) {
    const fd = returnValue(v)
    if (fd > 0) return concatenatePaths('', v.paramLen(3) === 0 ? '<NA>' : v.str(3))
    return undefined
  }
  const names = ABSPATH_ARGS.get(v.type)?.[argid]
  if (names === undefined || names === null) return undefined
  const di = paramIndex(v, names[0])
  const pi = paramIndex(v, names[1])
  if (di < 0 || pi < 0 || v.paramLen(di) === 0 || v.paramLen(pi) === 0) return undefined
  const dirfd = v.i64(di)
  const path = v.str(pi)
  let sdir: string
  if (path.startsWith('/')) sdir = '.'
  else if (dirfd === AT_FDCWD) sdir = t.getCwd()
  else {
    const f = t.getFd(dirfd)
    // libsinsp checks the byte past the name's end, never '/': the separator is always added.
    sdir = f === null ? '<UNKNOWN>/' : f.name + '/'
  }
  return concatenatePaths(sdir, path)
}

function isOpen(ev: SyscallEvent, which: 'read' | 'write' | 'exec' | 'create'): boolean {
  const v = ev.view
  const type = v.type
  if (type === PPME.SYSCALL_OPEN_X || type === PPME.SYSCALL_OPENAT_2_X || type === PPME.SYSCALL_OPENAT2_X ||
      type === PPME.SYSCALL_OPEN_BY_HANDLE_AT_X) {
    const fresh = type === PPME.SYSCALL_OPENAT_2_X || type === PPME.SYSCALL_OPENAT2_X
    const fi = fresh ? 3 : 2
    const flags = v.paramLen(fi) === 0 ? 0 : v.u32(fi)
    switch (which) {
      case 'read': return (flags & O.RDONLY) !== 0
      case 'write': return (flags & O.WRONLY) !== 0
      case 'create':
        if ((flags & O.F_CREATED) !== 0) return true
        return (flags & O.TMPFILE) !== 0 && hasReturnValue(v) && returnValue(v) >= 0
      case 'exec': {
        if ((flags & (O.TMPFILE | O.CREAT)) === 0 || type === PPME.SYSCALL_OPEN_BY_HANDLE_AT_X) return false
        const mi = fresh ? 4 : 3
        return v.paramLen(mi) !== 0 && (v.u32(mi) & S_IXANY) !== 0
      }
    }
  }
  if (which === 'exec' && type === PPME.SYSCALL_CREAT_X) return (v.u32(2) & S_IXANY) !== 0
  return false
}

function buflen(ev: SyscallEvent): FieldValue {
  if ((ev.view.type & 1) === 0) return undefined
  const r = returnValue(ev.view)
  return r >= 0 ? r : undefined
}

function infraField(ev: SyscallEvent, key: 'Event' | 'ID' | 'name' | 'Image'): FieldValue {
  const v = ev.view
  if (v.type !== PPME.INFRASTRUCTURE_EVENT_E) return undefined
  for (const raw of (v.paramLen(2) === 0 ? '' : v.str(2)).split(';')) {
    const e = raw.trim()
    if (!e.startsWith(key)) continue
    const parts = e.split(':')
    if (key === 'Image') {
      let s = parts[1] ?? ''
      if (s.includes('@')) s = s.slice(0, s.indexOf('@'))
      else if (s.includes('sha256')) s = e.slice(e.indexOf(':') + 1)
      return s.trim()
    }
    const val = (parts[1] ?? '').trim()
    return key === 'ID' && val.length > 12 ? val.slice(0, 12) : val
  }
  return undefined
}

/** Extractors of the evt.* fields; undefined for a name this module does not know. */
export function evtExtractor(name: string, arg: string | undefined): Extractor | undefined {
  switch (name) {
    // -- generic (every source)
    case 'evt.num': return ev => ev.num
    case 'evt.time': return ev => tsToString(ev.view.ts, false, true)
    case 'evt.time.s': return ev => tsToString(ev.view.ts, false, false)
    case 'evt.time.iso8601': return ev => tsToIso8601(ev.view.ts)
    case 'evt.datetime': return ev => tsToString(ev.view.ts, true, true)
    case 'evt.datetime.s': return ev => tsToString(ev.view.ts, true, false)
    case 'evt.rawtime': return ev => ev.view.ts
    case 'evt.rawtime.s': return ev => ev.view.ts / NS
    case 'evt.rawtime.ns': return ev => ev.view.ts % NS
    case 'evt.reltime': return ev => BigInt.asUintN(64, ev.view.ts - ev.state.firstEventTs)
    case 'evt.reltime.s': return ev => BigInt.asUintN(64, ev.view.ts - ev.state.firstEventTs) / NS
    case 'evt.reltime.ns': return ev => BigInt.asUintN(64, ev.view.ts - ev.state.firstEventTs) % NS
    // No plugin produces syscall-source events in Saker.
    case 'evt.pluginname':
    case 'evt.plugininfo': return () => undefined
    case 'evt.source': return ev => ev.source
    case 'evt.is_async': return ev => isMeta(ev.view.type)
    case 'evt.asynctype': return ev => {
      const v = ev.view
      if (!isMeta(v.type)) return undefined
      if (v.type !== PPME.ASYNCEVENT_E) return EVENTS[v.type]!.name
      return v.paramLen(1) === 0 ? '<NA>' : v.str(1)
    }
    case 'evt.hostname': return ev => ev.state.machine?.hostname ?? undefined

    // -- syscall events
    case 'evt.latency': case 'evt.latency.s': case 'evt.latency.ns': case 'evt.wait_latency':
      return () => 0n
    case 'evt.latency.quantized': return () => 0
    case 'evt.latency.human': return () => '0ns'
    case 'evt.deltatime': case 'evt.deltatime.s': case 'evt.deltatime.ns': {
      // Stateful per field use, as in libsinsp: the time since this field last saw an event.
      let last = 0n
      return ev => {
        const ts = ev.view.ts
        if (last === 0n) {
          last = ts
          return 0n
        }
        const d = BigInt.asUintN(64, ts - last)
        last = ts
        return name === 'evt.deltatime' ? d : name === 'evt.deltatime.s' ? d / NS : d % NS
      }
    }
    case 'evt.outputtime': return ev => tsToString(ev.view.ts, false, true)
    case 'evt.dir': return ev => ((ev.view.type & 1) === 0 ? '>' : '<')
    case 'evt.type': return ev => eventTypeName(ev.view)
    case 'evt.type.is': {
      if (arg === undefined) return () => 0
      let a = -1
      let b = -1
      if (/^\d+$/.test(arg)) {
        a = Number(arg)
        b = EVENTS.length
      } else {
        a = EVENTS.findIndex(e => e !== undefined && e.name === arg)
        b = a + 1
      }
      return ev => (ev.view.type === a || ev.view.type === b ? 1 : 0)
    }
    case 'syscall.type': return ev => {
      const info = EVENTS[ev.view.type]
      if (info === undefined || (info.category & EC.SYSCALL) === 0) return undefined
      return eventTypeName(ev.view)
    }
    case 'evt.category': return ev => {
      const cat = EVENTS[ev.view.type]?.category ?? 0
      return categoryName(cat, (cat & EC.IO_BASE) !== 0 ? ioSubcategory(ev.fd) : 'unknown')
    }
    case 'evt.cpu': return ev => ev.view.cpuid
    case 'evt.args':
    case 'evt.info':
      return ev => argsText(ev)
    case 'evt.arg': {
      if (arg === undefined) return () => undefined
      if (/^-?\d+$/.test(arg)) {
        const n = Number(arg)
        return ev => (n < 0 ? undefined : argText(ev, n))
      }
      return namedArgText(arg)
    }
    case 'evt.rawarg': {
      if (arg === undefined) return () => undefined
      return ev => {
        const i = paramIndex(ev.view, arg)
        return i < 0 ? undefined : rawValue(ev, i)
      }
    }
    case 'evt.buffer': return ev => {
      const i = paramIndex(ev.view, 'data')
      return i < 0 ? undefined : ev.view.bytes(i)
    }
    case 'evt.buflen': return ev => (ev.fd !== null && (syscallCategory(ev) & EC.IO_BASE) !== 0 ? buflen(ev) : undefined)
    case 'evt.res': return ev => {
      const v = ev.view
      if (!hasReturnValue(v)) return undefined
      if (returnValue(v) >= 0) return 'SUCCESS'
      renderParam(ev, 0)
      return rendered.resolved !== '' ? rendered.resolved : rendered.text
    }
    case 'evt.rawres': return ev => (hasReturnValue(ev.view) ? returnValue(ev.view) : undefined)
    case 'evt.failed': return ev => (hasReturnValue(ev.view) ? returnValue(ev.view) < 0 : undefined)
    case 'evt.is_io': return ev => (flagsOf(ev) & (EF.READS_FROM_FD | EF.WRITES_TO_FD)) !== 0
    case 'evt.is_io_read': return ev => (flagsOf(ev) & EF.READS_FROM_FD) !== 0
    case 'evt.is_io_write': return ev => (flagsOf(ev) & EF.WRITES_TO_FD) !== 0
    case 'evt.io_dir': return ev => {
      const f = flagsOf(ev)
      return (f & EF.WRITES_TO_FD) !== 0 ? 'write' : (f & EF.READS_FROM_FD) !== 0 ? 'read' : undefined
    }
    case 'evt.is_wait': return ev => (flagsOf(ev) & EF.WAITS) !== 0
    case 'evt.is_syslog': return ev => (flagsOf(ev) & EF.WRITES_TO_FD) !== 0 && ev.fd !== null && ev.fd.isSyslog()
    case 'evt.count': return () => 1
    case 'evt.count.error': return errorCount
    case 'evt.count.error.file': return ev => {
      if (ev.fd !== null) return isFileFd(ev.fd) ? errorCount(ev) : undefined
      return isOpenType(ev.view.type) ? errorCount(ev) : undefined
    }
    case 'evt.count.error.net': return ev => {
      if (ev.fd !== null) return isNetFd(ev.fd) ? errorCount(ev) : undefined
      const t = ev.view.type
      return t === PPME.SOCKET_ACCEPT_5_X || t === PPME.SOCKET_ACCEPT4_6_X || t === PPME.SOCKET_CONNECT_X ? errorCount(ev) : undefined
    }
    case 'evt.count.error.memory': return ev => (syscallCategory(ev) === EC.MEMORY ? errorCount(ev) : undefined)
    case 'evt.count.error.other': return ev => {
      if (ev.fd !== null) return !(isFileFd(ev.fd) || isNetFd(ev.fd)) ? errorCount(ev) : undefined
      const t = ev.view.type
      const known = isOpenType(t) || t === PPME.SOCKET_ACCEPT_5_X || t === PPME.SOCKET_ACCEPT4_6_X ||
        t === PPME.SOCKET_CONNECT_X || syscallCategory(ev) === EC.MEMORY
      return known ? undefined : errorCount(ev)
    }
    case 'evt.count.exit': return ev => ((ev.view.type & 1) === 1 ? 1 : undefined)
    case 'evt.count.procinfo': return ev => (ev.view.type === PPME.PROCINFO_E && ev.thread !== null && ev.thread.isMainThread() ? 1 : 0)
    case 'evt.count.threadinfo': return ev => (ev.view.type === PPME.PROCINFO_E ? 1 : 0)
    // evt.around only compares (a time window around the event): nothing to extract.
    case 'evt.around': return () => undefined
    case 'evt.abspath': {
      const argid = arg === 'dst' ? 2 : arg === 'src' ? 1 : 0
      return ev => absPath(ev, argid)
    }
    case 'evt.buflen.in': return ev => (ev.fd !== null && syscallCategory(ev) === EC.IO_READ ? buflen(ev) : undefined)
    case 'evt.buflen.out': return ev => (ev.fd !== null && syscallCategory(ev) === EC.IO_WRITE ? buflen(ev) : undefined)
    case 'evt.buflen.file': case 'evt.buflen.file.in': case 'evt.buflen.file.out':
    case 'evt.buflen.net': case 'evt.buflen.net.in': case 'evt.buflen.net.out': {
      const net = name.startsWith('evt.buflen.net')
      const dir = name.endsWith('.in') ? EC.IO_READ : name.endsWith('.out') ? EC.IO_WRITE : 0
      return ev => {
        const fd = ev.fd
        if (fd === null) return undefined
        const cat = syscallCategory(ev)
        if (dir === 0 ? (cat & EC.IO_BASE) === 0 : cat !== dir) return undefined
        const ok = net ? fd.type >= FDT.IPV4_SOCK && fd.type <= FDT.IPV6_SERVSOCK : fd.type === FDT.FILE || fd.type === FDT.FILE_V2
        return ok ? buflen(ev) : undefined
      }
    }
    case 'evt.is_open_read': return ev => isOpen(ev, 'read')
    case 'evt.is_open_write': return ev => isOpen(ev, 'write')
    case 'evt.is_open_exec': return ev => isOpen(ev, 'exec')
    case 'evt.is_open_create': return ev => isOpen(ev, 'create')
    case 'evt.infra.docker.name': return ev => infraField(ev, 'Event')
    case 'evt.infra.docker.container.id': return ev => infraField(ev, 'ID')
    case 'evt.infra.docker.container.name': return ev => infraField(ev, 'name')
    case 'evt.infra.docker.container.image': return ev => infraField(ev, 'Image')
    default:
      return undefined
  }
}

// evt.arg.<name> renders the param (flags resolved to names, fds to paths): rules read the
// same one again and again (evt.arg.flags in several rules of every open), so each name has
// one extractor for all its uses, which keeps its last event's text.
const namedArgExtractors = new Map<string, Extractor>()

function namedArgText(name: string): Extractor {
  let x = namedArgExtractors.get(name)
  if (x !== undefined) return x
  let lastEv: SyscallEvent | null = null
  let lastStamp = -1
  let last: string | undefined
  // the param's index in the last event type's table entry
  let indexType = -1
  let index = -1
  x = ev => {
    if (ev === lastEv && ev.stamp === lastStamp) return last
    const view = ev.view
    if (view.type !== indexType) {
      indexType = view.type
      index = tableParamIndex(indexType, name)
    }
    // an event of an older layout may carry fewer params than the table lists
    const i = index < view.nparams ? index : -1
    last = i < 0 ? undefined : flagsArgText(view, i) ?? argText(ev, i)
    lastEv = ev
    lastStamp = ev.stamp
    return last
  }
  namedArgExtractors.set(name, x)
  return x
}
