// Shared helpers for the state and syscall-source tests: synthetic events in the scap
// layout (typed by the event table), a small harness that feeds them to a SystemState and
// reads fields through the syscall resolver, and where Falco's captures live.

import type { CaptureSection, ThreadInfo as CaptureThread, FdInfo as CaptureFd } from '../../src/capture/types.js'
import { EventView } from '../../src/events/event.js'
import { PT } from '../../src/events/param-types.js'
import { EF, EVENTS, PPME } from '../../src/events/table.js'
import type { FieldValue } from '../../src/fields/types.js'
import { SyscallEvent } from '../../src/sources/syscall/event.js'
import { syscallResolver } from '../../src/sources/syscall/extractors.js'
import { SystemState, type StateOptions } from '../../src/state/system-state.js'

// the shared captures: one definition, with the capture reader's tests
export { CAPTURE_DIRS, REPO_ROOT, captureFiles, sharedMissing as capturesMissing } from '../capture/helpers.js'

// ---------------------------------------------------------------------------------------------
// Param encodings

export type Param = number | bigint | string | Uint8Array | readonly string[] | null

const enc = new TextEncoder()

function le(bytes: number, v: number | bigint): Uint8Array {
  const b = new Uint8Array(bytes)
  const dv = new DataView(b.buffer)
  const n = typeof v === 'bigint' ? v : BigInt(Math.trunc(v))
  if (bytes === 1) dv.setUint8(0, Number(BigInt.asUintN(8, n)))
  else if (bytes === 2) dv.setUint16(0, Number(BigInt.asUintN(16, n)), true)
  else if (bytes === 4) dv.setUint32(0, Number(BigInt.asUintN(32, n)), true)
  else dv.setBigUint64(0, BigInt.asUintN(64, n), true)
  return b
}

function widthOf(type: number): number {
  switch (type) {
    case PT.INT8: case PT.UINT8: case PT.FLAGS8: case PT.ENUMFLAGS8: case PT.SIGTYPE: case PT.L4PROTO: case PT.SOCKFAMILY:
      return 1
    case PT.INT16: case PT.UINT16: case PT.FLAGS16: case PT.ENUMFLAGS16: case PT.PORT: case PT.SYSCALLID:
      return 2
    case PT.INT32: case PT.UINT32: case PT.FLAGS32: case PT.ENUMFLAGS32: case PT.UID: case PT.GID: case PT.MODE:
    case PT.SIGSET: case PT.FD32: case PT.PID32: case PT.BOOL:
      return 4
    default:
      return 8
  }
}

function encodeParam(type: number, v: Param): Uint8Array {
  if (v === null) return new Uint8Array(0)
  if (v instanceof Uint8Array) return v
  if (Array.isArray(v)) return enc.encode(v.map(s => s + '\0').join(''))
  if (typeof v === 'string') {
    if (type === PT.BYTEBUF) return enc.encode(v)
    return enc.encode(v + '\0')
  }
  return le(widthOf(type), v as number | bigint)
}

/** IPv4 sockaddr: family, ip (network order), port (host order). */
export function addr4(ip: string, port: number): Uint8Array {
  return Uint8Array.of(2, ...ip.split('.').map(Number), port & 0xff, port >> 8)
}

/** IPv4 socktuple: family, sip, sport, dip, dport. */
export function tuple4(sip: string, sport: number, dip: string, dport: number): Uint8Array {
  return Uint8Array.of(2, ...sip.split('.').map(Number), sport & 0xff, sport >> 8, ...dip.split('.').map(Number), dport & 0xff, dport >> 8)
}

/** Unix socktuple: family, source and destination kernel addresses, path. */
export function tupleUnix(src: bigint, dst: bigint, path: string): Uint8Array {
  return Uint8Array.from([1, ...le(8, src), ...le(8, dst), ...enc.encode(path + '\0')])
}

/** One event in the scap V2 layout, its params encoded by the table's types for `type`. */
export function makeEvent(type: number, tid: number, ts: bigint, params: readonly Param[]): Uint8Array {
  const info = EVENTS[type]
  if (info === undefined) throw new Error(`unknown event type ${type}`)
  if (params.length > info.params.length) throw new Error(`${info.name}: ${params.length} params, table has ${info.params.length}`)
  const bodies = params.map((p, i) => encodeParam(info.params[i]!.type, p))
  const lenSize = (info.flags & EF.LARGE_PAYLOAD) !== 0 ? 4 : 2
  const total = 26 + bodies.length * lenSize + bodies.reduce((a, b) => a + b.length, 0)
  const out = new Uint8Array(total)
  const dv = new DataView(out.buffer)
  dv.setBigUint64(0, ts, true)
  dv.setBigInt64(8, BigInt(tid), true)
  dv.setUint32(16, total, true)
  dv.setUint16(20, type, true)
  dv.setUint32(22, bodies.length, true)
  let p = 26
  for (const b of bodies) {
    if (lenSize === 2) dv.setUint16(p, b.length, true)
    else dv.setUint32(p, b.length, true)
    p += lenSize
  }
  for (const b of bodies) {
    out.set(b, p)
    p += b.length
  }
  return out
}

// ---------------------------------------------------------------------------------------------
// Capture metadata

const BOOT = 1_700_000_000_000_000_000n

export function captureThread(tid: number, over: Partial<CaptureThread> = {}): CaptureThread {
  return {
    tid, pid: tid, ptid: 1, sid: tid, vpgid: tid, pgid: tid, comm: 'proc', exe: '/bin/proc', exepath: '/bin/proc',
    args: [], cwd: '/', env: [], fdlimit: 1024, flags: 0, uid: 0, gid: 0, loginuid: 0xffffffff, vmsizeKb: 0,
    vmrssKb: 0, vmswapKb: 0, pfmajor: 0, pfminor: 0, vtid: tid, vpid: tid, cgroups: [], root: '/', cloneTs: 0n,
    tty: 0, exeWritable: false, exeUpperLayer: false, exeLowerLayer: false, exeFromMemfd: false, exeIno: 0n,
    exeInoCtime: 0n, exeInoMtime: 0n, capInheritable: 0n, capPermitted: 0n, capEffective: 0n, pidnsInitStartTs: 0n,
    filteredOut: false, fds: [], ...over,
  }
}

export function captureFd(fd: number, over: Partial<CaptureFd> = {}): CaptureFd {
  return {
    fd, ino: 0n, type: 1, name: '', openFlags: 0, dev: 0, mountId: 0, l4proto: 0, sip: '', sport: 0, dip: '',
    dport: 0, ip: '', port: 0, source: 0n, dest: 0n, ...over,
  }
}

export function section(threads: CaptureThread[], extra: Partial<CaptureSection> = {}): CaptureSection {
  const fds = new Map<number, CaptureFd[]>()
  for (const t of threads) if (t.fds.length > 0) fds.set(t.tid, t.fds)
  return {
    header: { offset: 0, major: 1, minor: 2, sectionLength: -1n },
    machine: { numCpus: 1, memorySizeBytes: 0n, maxPid: 0n, hostname: 'testhost', bootTsEpoch: BOOT, flags: 0n },
    interfaces: [{ family: 'ipv4', name: 'lo', addr: '127.0.0.1', netmask: '255.0.0.0', bcast: '127.255.255.255', linkspeed: 0n }],
    users: [{ uid: 0, gid: 0, name: 'root', homedir: '/root', shell: '/bin/bash' },
      { uid: 1000, gid: 1000, name: 'alice', homedir: '/home/alice', shell: '/bin/zsh' }],
    groups: [{ gid: 0, name: 'root' }, { gid: 1000, name: 'alice' }],
    threads,
    fds,
    blocks: {},
    ...extra,
  }
}

// ---------------------------------------------------------------------------------------------
// A state fed with synthetic events, read through the resolver

export class Harness {
  readonly state: SystemState
  readonly ev: SyscallEvent
  private ts = 1_700_000_100_000_000_000n
  private readonly view = new EventView()

  constructor(sec: CaptureSection | null = null, opts: StateOptions = {}) {
    this.state = new SystemState(opts)
    if (sec !== null) this.state.loadCapture(sec)
    this.ev = new SyscallEvent(this.state)
  }

  /** Applies one event (1 ms after the previous one unless `ts` is given). */
  push(type: number, tid: number, params: readonly Param[], ts?: bigint): this {
    this.ts = ts ?? this.ts + 1_000_000n
    this.view.reset(makeEvent(type, tid, this.ts, params), 0)
    this.ev.next(this.view)
    return this
  }

  /** A field of the last event, as extracted (undefined = <NA>). */
  field(name: string): FieldValue {
    const m = /^([^[]+)(?:\[(.*)\])?$/.exec(name)!
    return syscallResolver.bind(m[1]!, m[2]).extract(this.ev)
  }

  thread(tid: number) {
    return this.state.findThread(tid)
  }
}

export { PPME }
