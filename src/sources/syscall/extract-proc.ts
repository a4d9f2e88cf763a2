// Extractors of the proc.* / thread.* fields (libsinsp sinsp_filtercheck_thread.cpp) and of
// user.* / group.* (sinsp_filtercheck_user.cpp, _group.cpp). Ancestor fields bind their
// depth once.

import { PPME } from '../../events/table.js'
import type { FieldValue } from '../../fields/types.js'
import type { SystemState } from '../../state/system-state.js'
import type { ThreadInfo } from '../../state/thread.js'
import type { SyscallEvent } from './event.js'
import type { Extractor } from './extract-evt.js'
import { capsText } from './names.js'

type ThreadFn = (t: ThreadInfo, ev: SyscallEvent) => FieldValue

/** A field of the event's thread: no thread, no value. */
function th(fn: ThreadFn): Extractor {
  return ev => {
    const t = ev.thread
    return t === null ? undefined : fn(t, ev)
  }
}

// should_extract_xid: ids outside [-1, 2^32-1] are not real pids.
const xid = (v: number): FieldValue => (v >= -1 && v <= 0xffffffff ? v : undefined)

/**
 * Every ancestor's value, parent first. A condition matches when any ancestor does (libsinsp
 * compares each one for proc.aname and its kin without an index); an output shows the parent's.
 */
function ancestorValues(s: SystemState, t: ThreadInfo, get: (p: ThreadInfo) => string): FieldValue {
  const mt = t.mainThread()
  if (mt === null) return undefined
  const out: string[] = []
  s.traverseParents(mt, p => {
    out.push(get(p))
    return true
  })
  return out.length === 0 ? undefined : out
}

/** The Nth ancestor's value (N = 0: the process itself); all ancestors when N is absent. */
function ancestral(arg: string | undefined, get: (p: ThreadInfo) => string): Extractor {
  const n = arg === undefined ? -1 : Number(arg)
  if (n === -1) return th((t, ev) => ancestorValues(ev.state, t, get))
  return th((t, ev) => {
    const a = ev.state.ancestor(t, n)
    return a === null ? undefined : get(a)
  })
}

function ancestorField(ev: SyscallEvent, t: ThreadInfo, id: (x: ThreadInfo) => number, get: (x: ThreadInfo) => string,
  virtual: boolean): string {
  const a = ev.state.oldestMatchingAncestor(t, id, virtual)
  return a === null ? '' : get(a)
}

const comm = (p: ThreadInfo): string => p.comm
const exe = (p: ThreadInfo): string => p.exe
const exepath = (p: ThreadInfo): string => p.exepath
const cmdline = (p: ThreadInfo): string => p.cmdline()
const argsOf = (p: ThreadInfo): string => p.argsText()

function stdFd(fd: number, what: 'type' | 'name'): Extractor {
  return th(t => {
    const f = t.fdTable()?.get(fd)
    if (f === undefined) return undefined
    return what === 'type' ? f.typestring : f.name
  })
}

/** Extractors of proc.* and thread.*. */
export function procExtractor(name: string, arg: string | undefined): Extractor | undefined {
  switch (name) {
    case 'thread.tid': return ev => xid(ev.view.tid)
    case 'proc.pid': return th(t => xid(t.pid))
    case 'proc.sid': return th(t => t.sid)
    case 'proc.vpgid': return th(t => t.vpgid)
    case 'proc.pgid': return th(t => t.pgid)
    case 'proc.sname': return th((t, ev) => ancestorField(ev, t, x => x.sid, comm, true))
    case 'proc.sid.exe': return th((t, ev) => ancestorField(ev, t, x => x.sid, exe, true))
    case 'proc.sid.exepath': return th((t, ev) => ancestorField(ev, t, x => x.sid, exepath, true))
    case 'proc.vpgid.name': return th((t, ev) => ancestorField(ev, t, x => x.vpgid, comm, true))
    case 'proc.vpgid.exe': return th((t, ev) => ancestorField(ev, t, x => x.vpgid, exe, true))
    case 'proc.vpgid.exepath': return th((t, ev) => ancestorField(ev, t, x => x.vpgid, exepath, true))
    case 'proc.pgid.name': return th((t, ev) => ancestorField(ev, t, x => x.pgid, comm, false))
    case 'proc.pgid.exe': return th((t, ev) => ancestorField(ev, t, x => x.pgid, exe, false))
    case 'proc.pgid.exepath': return th((t, ev) => ancestorField(ev, t, x => x.pgid, exepath, false))
    case 'proc.tty': return th(t => t.tty)
    case 'proc.name': return th(t => t.comm)
    case 'proc.exe': return th(t => t.exe)
    case 'proc.exepath': return th(t => t.exepath)
    case 'proc.args': {
      const n = arg === undefined ? -1 : Number(arg)
      if (n >= 0) return th(t => (n < t.args.length ? t.args[n]! : ''))
      return th(t => t.argsText())
    }
    case 'proc.aargs': return ancestral(arg, argsOf)
    case 'proc.env': {
      if (arg === undefined || arg === '' || /^\d+$/.test(arg)) return th(t => t.envText())
      return th(t => t.envValue(arg))
    }
    case 'proc.aenv': {
      const byName = arg !== undefined && arg !== '' && !/^\d+$/.test(arg)
      const n = arg === undefined || arg === '' ? -1 : byName ? -1 : Number(arg)
      if (!byName && n < 1) return th(t => t.envText())
      return th((t, ev) => {
        let mt: ThreadInfo | null = t.isMainThread() ? t : t.mainThread()
        if (mt === null) return ''
        if (byName) {
          let v = ''
          for (let j = 0; j < 20; j++) {
            mt = ev.state.findThread(mt.ptid)
            if (mt === null) break
            v = mt.envValue(arg)
            if (v !== '') break
          }
          return v
        }
        for (let j = 0; j < n; j++) {
          mt = ev.state.findThread(mt.ptid)
          if (mt === null) return undefined
        }
        return mt.envText()
      })
    }
    case 'proc.cmdline': return th(t => t.cmdline())
    case 'proc.exeline': return th(t => t.exe + ' ' + t.args.join(' '))
    case 'proc.cwd': return th(t => t.getCwd())
    case 'proc.nthreads': return th(t => (t.group === null ? 0 : t.group.alive))
    case 'proc.nchilds': return th(t => {
      const g = t.group
      if (g === null) return 0
      const main = t.mainThread()
      return main !== null && !main.isDead() ? g.alive - 1 : g.alive
    })
    case 'thread.ismain': return th(t => t.isMainThread())
    case 'thread.exectime':
    case 'thread.totexectime': {
      // Time since the last context switch on the same CPU; per field use, as in libsinsp.
      const lastByCpu = new Map<number, bigint>()
      const total = new WeakMap<ThreadInfo, bigint>()
      const exectime = (ev: SyscallEvent): bigint => {
        if (ev.view.type !== PPME.SCHEDSWITCH_6_E) return 0n
        const cpu = ev.view.cpuid
        const ts = ev.view.ts
        const last = lastByCpu.get(cpu) ?? 0n
        lastByCpu.set(cpu, ts)
        return last !== 0n ? ts - last : 0n
      }
      if (name === 'thread.exectime') return ev => (ev.thread === null ? exectime(ev) : exectime(ev))
      return ev => {
        const v = exectime(ev)
        const t = ev.thread
        if (t === null) return undefined
        const sum = (total.get(t) ?? 0n) + v
        total.set(t, sum)
        return sum
      }
    }
    case 'proc.ppid': return th((t, ev) => {
      const p = ev.state.ancestor(t)
      return p === null ? undefined : xid(p.pid)
    })
    case 'proc.pname': return th((t, ev) => ev.state.ancestor(t)?.comm)
    case 'proc.pcmdline': return th((t, ev) => ev.state.ancestor(t)?.cmdline())
    case 'proc.pexe': return th((t, ev) => ev.state.ancestor(t)?.exe)
    case 'proc.pexepath': return th((t, ev) => ev.state.ancestor(t)?.exepath)
    case 'proc.acmdline': return ancestral(arg, cmdline)
    case 'proc.aname': return ancestral(arg, comm)
    case 'proc.aexe': return ancestral(arg, exe)
    case 'proc.aexepath': return ancestral(arg, exepath)
    case 'proc.apid': {
      const n = arg === undefined ? 0 : Number(arg)
      return th((t, ev) => {
        const a = ev.state.ancestor(t, n < 0 ? 0 : n)
        return a === null ? undefined : xid(a.pid)
      })
    }
    case 'proc.loginshellid': return th((t, ev) => {
      const mt = t.isMainThread() ? t : t.mainThread()
      if (mt === null) return undefined
      let res: number | undefined
      const check = (p: ThreadInfo): boolean => {
        const c = p.comm
        if (c.length >= 2 && c.endsWith('sh')) res = p.pid
        return true
      }
      check(mt)
      ev.state.traverseParents(mt, check)
      return res
    })
    case 'proc.duration': return th((t, ev) => (t.cloneTs !== 0n ? ev.view.ts - t.cloneTs : undefined))
    case 'proc.ppid.duration': return th((t, ev) => {
      const p = ev.state.ancestor(t)
      if (p === null) return undefined
      if (p.cloneTs !== 0n) return ev.view.ts - p.cloneTs
      // libsinsp falls through to proc.fdopencount here.
      return BigInt(t.fdOpenCount())
    })
    case 'proc.pid.ts': return th(t => (t.cloneTs === 0n ? undefined : t.cloneTs))
    case 'proc.ppid.ts': return th((t, ev) => ev.state.findThread(t.ptid)?.cloneTs)
    case 'proc.is_exe_writable': return th(t => t.exeWritable)
    case 'proc.is_exe_upper_layer': return th(t => t.exeUpperLayer)
    case 'proc.is_exe_lower_layer': return th(t => t.exeLowerLayer)
    case 'proc.is_exe_from_memfd': return th(t => t.exeFromMemfd)
    case 'proc.is_sid_leader': return th(t => t.sid === t.vpid)
    case 'proc.is_vpgid_leader': return th(t => t.vpgid === t.vpid)
    case 'proc.is_pgid_leader': return th(t => t.pgid === t.pid)
    case 'proc.exe_ino': return th(t => (t.exeIno === 0n ? undefined : Number(t.exeIno)))
    case 'proc.exe_ino.ctime': return th(t => (t.exeInoCtime === 0n ? undefined : t.exeInoCtime))
    case 'proc.exe_ino.mtime': return th(t => (t.exeInoMtime === 0n ? undefined : t.exeInoMtime))
    case 'proc.exe_ino.ctime_duration_proc_start':
      return th(t => (t.exeInoCtimeDurationCloneTs === 0n ? undefined : t.exeInoCtimeDurationCloneTs))
    case 'proc.exe_ino.ctime_duration_pidns_start':
      return th(t => (t.exeInoCtimeDurationPidnsStart === 0n ? undefined : t.exeInoCtimeDurationPidnsStart))
    case 'proc.pidns_init_start_ts': return th(t => (t.pidnsInitStartTs === 0n ? undefined : t.pidnsInitStartTs))
    case 'thread.cap_permitted': return th(t => capsText(t.capPermitted))
    case 'thread.cap_inheritable': return th(t => capsText(t.capInheritable))
    case 'thread.cap_effective': return th(t => capsText(t.capEffective))
    case 'proc.fdopencount': return th(t => t.fdOpenCount())
    case 'proc.fdlimit': return th(t => t.fdLimit())
    case 'proc.fdusage': return th(t => {
      const limit = t.fdLimit()
      if (limit <= 0) return 0
      const open = t.fdOpenCount()
      return open <= limit ? (open * 100) / limit : 100
    })
    case 'proc.vmsize': return th(t => t.vmsizeKb)
    case 'proc.vmrss': return th(t => t.vmrssKb)
    case 'proc.vmswap': return th(t => t.vmswapKb)
    case 'thread.pfmajor': return th(t => t.pfmajor)
    case 'thread.pfminor': return th(t => t.pfminor)
    case 'thread.vtid': return th(t => (t.vtid === -1 ? undefined : t.vtid))
    case 'proc.vpid': return th(t => (t.vpid === -1 ? undefined : t.vpid))
    case 'proc.pvpid': return th((t, ev) => ev.state.findThread(t.ptid)?.vpid)
    case 'thread.nametid': return th((t, ev) => t.comm + String(ev.view.tid))
    case 'thread.cgroups': return th(t => {
      const n = t.cgroupSubsys.length
      if (n === 0) return undefined
      let s = ''
      for (let j = 0; j < n; j++) s += (j === 0 ? '' : ' ') + t.cgroupSubsys[j] + '=' + t.cgroupPaths[j]
      return s
    })
    case 'thread.cgroup': {
      const sub = arg ?? ''
      return th(t => t.cgroup(sub))
    }
    case 'thread.vmsize': return th(t => (t.isMainThread() ? t.vmsizeKb : 0))
    case 'thread.vmrss': return th(t => (t.isMainThread() ? t.vmrssKb : 0))
    case 'thread.vmsize.b': return th(t => (t.isMainThread() ? t.vmsizeKb * 1024 : 0))
    case 'thread.vmrss.b': return th(t => (t.isMainThread() ? t.vmrssKb * 1024 : 0))
    case 'thread.cpu':
    case 'thread.cpu.user':
    case 'thread.cpu.system': {
      // procinfo events carry the thread's CPU times; the value is the change since the
      // last one this field saw for the thread, capped at 100.
      const last = new WeakMap<ThreadInfo, bigint>()
      const user = name !== 'thread.cpu.system'
      const system = name !== 'thread.cpu.user'
      return th((t, ev) => {
        const v = ev.view
        if (v.type !== PPME.PROCINFO_E) return undefined
        const tot = (user ? v.u64(0) : 0n) + (system ? v.u64(1) : 0n)
        const prev = last.get(t) ?? 0n
        last.set(t, tot)
        if (prev === 0n) return 0
        const d = Number(BigInt.asUintN(64, tot - prev))
        return d > 100 ? 100 : d
      })
    }
    case 'proc.stdin.type': return stdFd(0, 'type')
    case 'proc.stdout.type': return stdFd(1, 'type')
    case 'proc.stderr.type': return stdFd(2, 'type')
    case 'proc.stdin.name': return stdFd(0, 'name')
    case 'proc.stdout.name': return stdFd(1, 'name')
    case 'proc.stderr.name': return stdFd(2, 'name')
    case 'proc.cmdnargs': return th(t => t.args.length)
    case 'proc.cmdlenargs': return th(t => {
      let n = 0
      for (const a of t.args) n += Buffer.byteLength(a)
      return n
    })
    default:
      return undefined
  }
}

/** Extractors of user.* and group.*. */
export function userExtractor(name: string): Extractor | undefined {
  switch (name) {
    case 'user.uid': return th(t => t.uid)
    case 'user.name': return th((t, ev) => {
      const u = ev.state.users.getUser(t.containerId, t.uid)
      return u !== null ? u.name : t.uid === 0 ? 'root' : '<NA>'
    })
    case 'user.homedir': return th((t, ev) => {
      const u = ev.state.users.getUser(t.containerId, t.uid)
      return u !== null ? u.homedir : t.uid === 0 ? '/root' : '<NA>'
    })
    case 'user.shell': return th((t, ev) => ev.state.users.getUser(t.containerId, t.uid)?.shell ?? '<NA>')
    case 'user.loginuid': return th(t => (t.loginuid < 0xffffffff ? t.loginuid : -1))
    case 'user.loginname': return th((t, ev) => {
      const u = ev.state.users.getUser(t.containerId, t.loginuid)
      return u !== null ? u.name : t.loginuid === 0 ? 'root' : '<NA>'
    })
    case 'group.gid': return th(t => t.gid)
    case 'group.name': return th((t, ev) => {
      const g = ev.state.users.getGroup(t.containerId, t.gid)
      return g !== null ? g.name : t.gid === 0 ? 'root' : '<NA>'
    })
    default:
      return undefined
  }
}
