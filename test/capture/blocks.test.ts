import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { CaptureError, openCaptureBytes, type CaptureReader } from '../../src/capture/reader.js'
import { FD_TYPE } from '../../src/capture/types.js'
import { PPME } from '../../src/events/table.js'
import { BT, Bytes, CaptureBuilder, P, makeEvent, makeEventV1 } from './helpers.js'

const open4 = P.u64(4)

/** A capture with one plain event after the given metadata. */
function withOneEvent(b: CaptureBuilder): Uint8Array {
  return b.event(makeEvent(PPME.SYSCALL_CLOSE_X, [P.u64(0), open4])).bytes()
}

function events(r: CaptureReader): { type: number; nparams: number; flags: number; cpuid: number; tid: number; ts: bigint }[] {
  const out: { type: number; nparams: number; flags: number; cpuid: number; tid: number; ts: bigint }[] = []
  r.forEachEvent((ev, flags, cpuid) => {
    out.push({ type: ev.type, nparams: ev.nparams, flags, cpuid, tid: ev.tid, ts: ev.ts })
  })
  return out
}

// ---------------------------------------------------------------------------
// Process list entries, written field by field for each block version.

interface Proc {
  tid: number; pid: number; ptid: number; sid: number; vpgid: number; comm: string; exe: string; exepath: string
  args: string; cwd: string; fdlimit: number; flags: number; uid: number; gid: number; env: string; vtid: number
  vpid: number; cgroups: string; root: string
}

const PROC: Proc = {
  tid: 100, pid: 100, ptid: 1, sid: 99, vpgid: 98, comm: 'nginx', exe: 'nginx: master', exepath: '/usr/sbin/nginx',
  args: '-g\0daemon off;\0', cwd: '/', fdlimit: 1024, flags: 0x10, uid: 33, gid: 34, env: 'PATH=/bin\0HOME=/\0',
  vtid: 1, vpid: 1, cgroups: 'cpu=/docker/abc\0memory=/docker/abc\0', root: '/var/lib/root',
}

function plEntry(v: number, p: Proc, tail?: Bytes): Uint8Array {
  const b = new Bytes().u64(p.tid).u64(p.pid).u64(p.ptid)
  if (v >= 6) b.u64(p.sid)
  if (v >= 8) b.u64(p.vpgid)
  b.lenText(p.comm).lenText(p.exe)
  if (v >= 7) b.lenText(p.exepath)
  b.lenText(p.args).lenText(p.cwd).u64(p.fdlimit).u32(p.flags).u32(p.uid).u32(p.gid)
  if (v >= 2) {
    b.u32(1000).u32(200).u32(3).u64(5).u64(6)
    if (v >= 3) b.lenText(p.env)
    if (v >= 4) {
      b.u64(p.vtid).u64(p.vpid).lenText(p.cgroups)
      if (v >= 5) b.lenText(p.root)
    }
  }
  if (tail) b.raw(tail.bytes())
  const body = b.bytes()
  if (v !== 9) return body
  return new Bytes().u32(body.length + 4).raw(body).bytes()
}

const PL_TYPES = [0, BT.PL_V1, BT.PL_V2, BT.PL_V3, BT.PL_V4, BT.PL_V5, BT.PL_V6, BT.PL_V7, BT.PL_V8, BT.PL_V9]

describe('process list blocks', () => {
  for (let v = 1; v <= 9; v++) {
    test(`PL v${v} gives every field that version carries and defaults for the rest`, () => {
      const body = new Bytes().raw(plEntry(v, PROC)).raw(plEntry(v, { ...PROC, tid: 101, comm: 'worker' })).bytes()
      const r = openCaptureBytes(withOneEvent(new CaptureBuilder().shb().block(PL_TYPES[v]!, body)))
      assert.equal(r.error, null)
      assert.equal(r.threads.length, 2)
      const t = r.threads[0]!
      assert.deepEqual(
        [t.tid, t.pid, t.ptid, t.comm, t.exe, t.args, t.cwd, t.fdlimit, t.flags, t.uid, t.gid],
        [100, 100, 1, 'nginx', 'nginx: master', ['-g', 'daemon off;'], '/', 1024, 0x10, 33, 34])
      assert.equal(t.sid, v >= 6 ? 99 : -1)
      assert.equal(t.vpgid, v >= 8 ? 98 : -1)
      assert.equal(t.exepath, v >= 7 ? '/usr/sbin/nginx' : '')
      assert.deepEqual([t.vmsizeKb, t.vmrssKb, t.vmswapKb, t.pfmajor, t.pfminor], v >= 2 ? [1000, 200, 3, 5, 6] : [0, 0, 0, 0, 0])
      assert.deepEqual(t.env, v >= 3 ? ['PATH=/bin', 'HOME=/'] : [])
      assert.deepEqual([t.vtid, t.vpid], v >= 4 ? [1, 1] : [-1, -1])
      assert.deepEqual(t.cgroups, v >= 4 ? ['cpu=/docker/abc', 'memory=/docker/abc'] : [])
      assert.equal(t.root, v >= 5 ? '/var/lib/root' : '')
      assert.equal(t.loginuid, 0xffffffff)
      assert.equal(r.threads[1]!.comm, 'worker')
      assert.equal(events(r).length, 1)
    })
  }

  test('PL v9 reads the fields libs >= 0.10 appends, in order, and skips newer ones', () => {
    const tail = new Bytes()
      .u64(123456789n) // pidns_init_start_ts
      .u32(34816) // tty
      .u32(1000) // loginuid
      .u8(1) // exe_writable
      .u64(0x1n).u64(0x3n).u64(0x1fffffffffn) // caps: inheritable, permitted, effective
      .u8(1) // exe_upper_layer
      .u64(987654321987n).u64(11n).u64(12n) // exe_ino, ctime, mtime
      .u8(1) // exe_from_memfd
      .u8(1) // exe_lower_layer
      .u64(4242) // pgid
      .u32(0xdeadbeef) // a field from the future
    const r = openCaptureBytes(withOneEvent(new CaptureBuilder().shb().block(BT.PL_V9, plEntry(9, PROC, tail))))
    assert.equal(r.error, null)
    const t = r.threads[0]!
    assert.deepEqual(
      [t.pidnsInitStartTs, t.tty, t.loginuid, t.exeWritable, t.capInheritable, t.capPermitted, t.capEffective,
        t.exeUpperLayer, t.exeIno, t.exeInoCtime, t.exeInoMtime, t.exeFromMemfd, t.exeLowerLayer, t.pgid],
      [123456789n, 34816, 1000, true, 1n, 3n, 0x1fffffffffn, true, 987654321987n, 11n, 12n, true, true, 4242])
  })

  test('PL v9 from a pre-0.10 writer (29 bytes after root) has no pidns_init_start_ts or tty', () => {
    const tail = new Bytes().u32(1000).u8(1).u64(1n).u64(2n).u64(3n)
    const r = openCaptureBytes(withOneEvent(new CaptureBuilder().shb().block(BT.PL_V9, plEntry(9, PROC, tail))))
    const t = r.threads[0]!
    assert.deepEqual([t.loginuid, t.exeWritable, t.capInheritable, t.capPermitted, t.capEffective, t.tty, t.pidnsInitStartTs],
      [1000, true, 1n, 2n, 3n, 0, 0n])
  })

  test('a PL v9 entry whose length is shorter than its fields is a BAD_BLOCK_CONTENT error at the entry', () => {
    const entry = plEntry(9, PROC)
    new DataView(entry.buffer).setUint32(0, 40, true)
    const bytes = withOneEvent(new CaptureBuilder().shb().block(BT.PL_V9, entry))
    const r = openCaptureBytes(bytes)
    assert.equal(r.error?.code, 'BAD_BLOCK_CONTENT')
    assert.equal(r.error?.offset, 28 + 8)
    assert.match(r.error!.message, /but the proclist entry has length 40/)
    assert.equal(r.forEachEvent(() => {}), 0)
  })

  test('a comm longer than scap allows is refused', () => {
    const r = openCaptureBytes(withOneEvent(new CaptureBuilder().shb().block(BT.PL_V1, plEntry(1, { ...PROC, comm: 'x'.repeat(1025) }))))
    assert.equal(r.error?.code, 'BAD_BLOCK_CONTENT')
    assert.match(r.error!.message, /invalid comm length 1025 \(max 1024\)/)
  })
})

// ---------------------------------------------------------------------------

function fdEntry(v2: boolean, fd: number, type: number, data: Bytes, extra?: Bytes): Uint8Array {
  const b = new Bytes().u64(fd).u64(7777).u8(type).raw(data.bytes())
  if (extra) b.raw(extra.bytes())
  const body = b.bytes()
  return v2 ? new Bytes().u32(body.length + 4).raw(body).bytes() : body
}

const ip4 = (s: string): number[] => s.split('.').map(Number)
const ip6 = (last: number): number[] => [0x20, 0x01, 0x0d, 0xb8, ...new Array(11).fill(0), last]

function allFdTypes(v2: boolean): Uint8Array {
  const b = new Bytes().u64(100)
  b.raw(fdEntry(v2, 3, FD_TYPE.IPV4_SOCK, new Bytes().raw(ip4('10.0.0.1')).raw(ip4('10.0.0.2')).u16(40000).u16(443).u8(2)))
  b.raw(fdEntry(v2, 4, FD_TYPE.IPV6_SOCK, new Bytes().raw(ip6(1)).raw(ip6(2)).u16(40001).u16(80).u8(2)))
  b.raw(fdEntry(v2, 5, FD_TYPE.IPV4_SERVSOCK, new Bytes().raw(ip4('0.0.0.0')).u16(8080).u8(2)))
  b.raw(fdEntry(v2, 6, FD_TYPE.IPV6_SERVSOCK, new Bytes().raw(new Array(16).fill(0)).u16(8443).u8(3)))
  b.raw(fdEntry(v2, 7, FD_TYPE.UNIX_SOCK, new Bytes().u64(0xffff0000aaaan).u64(0xffff0000bbbbn).lenText('/run/docker.sock')))
  b.raw(fdEntry(v2, 8, FD_TYPE.FILE_V2, new Bytes().u32(0o2101).lenText('/var/log/app.log'), v2 ? new Bytes().u32(0x803) : undefined))
  for (const [fd, type, name] of [
    [9, FD_TYPE.FILE, '/etc/passwd'], [10, FD_TYPE.DIRECTORY, '/tmp'], [11, FD_TYPE.FIFO, 'pipe:[1]'],
    [12, FD_TYPE.EVENT, 'anon_inode:[eventfd]'], [13, FD_TYPE.SIGNALFD, 'anon_inode:[signalfd]'],
    [14, FD_TYPE.EVENTPOLL, 'anon_inode:[eventpoll]'], [15, FD_TYPE.INOTIFY, 'anon_inode:inotify'],
    [16, FD_TYPE.TIMERFD, 'anon_inode:[timerfd]'], [17, FD_TYPE.NETLINK, 'netlink'], [18, FD_TYPE.BPF, 'anon_inode:bpf-map'],
    [19, FD_TYPE.USERFAULTFD, 'anon_inode:[userfaultfd]'], [20, FD_TYPE.IOURING, 'anon_inode:[io_uring]'],
    [21, FD_TYPE.MEMFD, 'memfd:x'], [22, FD_TYPE.PIDFD, 'anon_inode:[pidfd]'], [23, FD_TYPE.UNSUPPORTED, 'weird'],
  ] as const) {
    b.raw(fdEntry(v2, fd, type, new Bytes().lenText(name)))
  }
  return b.bytes()
}

describe('fd list blocks', () => {
  for (const v2 of [false, true]) {
    test(`FDL ${v2 ? 'v2' : 'v1'} decodes every fd type`, () => {
      const bytes = withOneEvent(new CaptureBuilder().shb()
        .block(BT.PL_V1, plEntry(1, PROC))
        .block(v2 ? BT.FDL_V2 : BT.FDL, allFdTypes(v2)))
      const r = openCaptureBytes(bytes)
      assert.equal(r.error, null)
      const fds = r.threads[0]!.fds
      assert.equal(fds, r.fds.get(100))
      assert.equal(fds.length, 21)
      const by = new Map(fds.map(f => [f.fd, f]))
      assert.deepEqual(by.get(3), {
        fd: 3, ino: 7777n, type: FD_TYPE.IPV4_SOCK, name: '', openFlags: 0, dev: 0, mountId: 0, l4proto: 2,
        sip: '10.0.0.1', sport: 40000, dip: '10.0.0.2', dport: 443, ip: '', port: 0, source: 0n, dest: 0n,
      })
      const v6 = by.get(4)!
      assert.deepEqual([v6.sip, v6.sport, v6.dip, v6.dport], ['2001:db8::1', 40001, '2001:db8::2', 80])
      assert.deepEqual([by.get(5)!.ip, by.get(5)!.port, by.get(5)!.l4proto], ['0.0.0.0', 8080, 2])
      assert.deepEqual([by.get(6)!.ip, by.get(6)!.port, by.get(6)!.l4proto], ['::', 8443, 3])
      assert.deepEqual([by.get(7)!.source, by.get(7)!.dest, by.get(7)!.name], [0xffff0000aaaan, 0xffff0000bbbbn, '/run/docker.sock'])
      const file = by.get(8)!
      assert.deepEqual([file.type, file.openFlags, file.name, file.dev], [FD_TYPE.FILE_V2, 0o2101, '/var/log/app.log', v2 ? 0x803 : 0])
      assert.deepEqual([by.get(9)!.type, by.get(9)!.name], [FD_TYPE.FILE, '/etc/passwd'])
      assert.equal(by.get(22)!.name, 'anon_inode:[pidfd]')
      assert.equal(by.get(23)!.name, 'weird')
    })
  }

  test('an FDL v2 entry of an unknown type becomes unsupported, is skipped by its length, and is noted', () => {
    const body = new Bytes().u64(100)
      .raw(fdEntry(true, 3, 99, new Bytes().u32(1).u32(2).u32(3)))
      .raw(fdEntry(true, 4, FD_TYPE.FILE, new Bytes().lenText('/after')))
    const r = openCaptureBytes(withOneEvent(new CaptureBuilder().shb().block(BT.FDL_V2, body.bytes())))
    assert.equal(r.error, null)
    const fds = r.fds.get(100)!
    assert.deepEqual(fds.map(f => [f.fd, f.type, f.name]), [[3, FD_TYPE.UNSUPPORTED, 'unknown-type:[99]'], [4, FD_TYPE.FILE, '/after']])
    assert.equal(r.notes[0]?.code, 'UNKNOWN_FD_TYPE')
    assert.equal(r.threads.length, 0, 'fds of a tid without a process list entry are kept by tid')
  })
})

// ---------------------------------------------------------------------------

describe('interface, user and machine blocks', () => {
  test('IL v1 reads the four entry types, IL v2 skips an unknown one', () => {
    const v1 = new Bytes()
      .u16(1).u16(2).raw(ip4('127.0.0.1')).raw(ip4('255.0.0.0')).raw(ip4('127.255.255.255')).u64(1000).text('lo')
      .u16(3).u16(4).raw(ip4('10.1.2.3')).raw(ip4('255.255.255.0')).raw(ip4('10.1.2.255')).text('eth0')
      .u16(2).u16(2).raw(ip6(1)).raw(new Array(16).fill(0xff)).raw(new Array(16).fill(0)).u64(10).text('lo')
      .u16(4).u16(4).raw([0xfe, 0x80, ...new Array(13).fill(0), 5]).raw(new Array(16).fill(0)).raw(new Array(16).fill(0)).text('eth0')
    let r = openCaptureBytes(withOneEvent(new CaptureBuilder().shb().block(BT.IL, v1.bytes())))
    assert.equal(r.error, null)
    assert.deepEqual(r.interfaces, [
      { family: 'ipv4', name: 'lo', addr: '127.0.0.1', netmask: '255.0.0.0', bcast: '127.255.255.255', linkspeed: 1000n },
      { family: 'ipv4', name: 'eth0', addr: '10.1.2.3', netmask: '255.255.255.0', bcast: '10.1.2.255', linkspeed: 0n },
      { family: 'ipv6', name: 'lo', addr: '2001:db8::1', netmask: 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff', bcast: '::', linkspeed: 10n },
      { family: 'ipv6', name: 'eth0', addr: 'fe80::5', netmask: '::', bcast: '::', linkspeed: 0n },
    ])
    const entry = (inner: Bytes): Bytes => new Bytes().u32(inner.length).raw(inner.bytes())
    const v2 = new Bytes()
      .raw(entry(new Bytes().u16(9).u16(0).u32(1).u32(2)).bytes())
      .raw(entry(new Bytes().u16(1).u16(2).raw(ip4('127.0.0.1')).raw(ip4('255.0.0.0')).raw(ip4('0.0.0.0')).u64(5).text('lo')).bytes())
    r = openCaptureBytes(withOneEvent(new CaptureBuilder().shb().block(BT.IL_V2, v2.bytes())))
    assert.equal(r.error, null)
    assert.deepEqual(r.interfaces.map(i => i.name), ['lo'])
    assert.equal(r.notes[0]?.code, 'UNKNOWN_INTERFACE_TYPE')
  })

  test('an IL v1 entry of an unknown type is an error: its size cannot be known', () => {
    const r = openCaptureBytes(withOneEvent(new CaptureBuilder().shb().block(BT.IL, new Bytes().u16(7).u16(0).u32(0).bytes())))
    assert.equal(r.error?.code, 'BAD_BLOCK_CONTENT')
    assert.match(r.error!.message, /unknown interface type 7/)
  })

  for (const v2 of [false, true]) {
    test(`UL ${v2 ? 'v2' : 'v1'} reads users and groups`, () => {
      const entry = (inner: Bytes): Uint8Array => v2 ? new Bytes().u32(inner.length + 4).raw(inner.bytes()).bytes() : inner.bytes()
      const body = new Bytes()
        .raw(entry(new Bytes().u8(0).u32(0).u32(0).lenText('root').lenText('/root').lenText('/bin/bash')))
        .raw(entry(new Bytes().u8(0).u32(1000).u32(1000).lenText('ana').lenText('/home/ana').lenText('/bin/zsh')))
        .raw(entry(new Bytes().u8(1).u32(0).lenText('root')))
        .raw(entry(new Bytes().u8(1).u32(999).lenText('docker')))
      const r = openCaptureBytes(withOneEvent(new CaptureBuilder().shb().block(v2 ? BT.UL_V2 : BT.UL, body.bytes())))
      assert.equal(r.error, null)
      assert.deepEqual(r.users, [
        { uid: 0, gid: 0, name: 'root', homedir: '/root', shell: '/bin/bash' },
        { uid: 1000, gid: 1000, name: 'ana', homedir: '/home/ana', shell: '/bin/zsh' },
      ])
      assert.deepEqual(r.groups, [{ gid: 0, name: 'root' }, { gid: 999, name: 'docker' }])
    })
  }

  test('the machine info block and the section header are exposed', () => {
    const r = openCaptureBytes(withOneEvent(new CaptureBuilder().shb({ minor: 2 }).mi('node-1', 8)))
    assert.deepEqual(r.machine, {
      numCpus: 8, memorySizeBytes: 8n << 30n, maxPid: 4194304n, hostname: 'node-1', bootTsEpoch: 1_700_000_000_000_000_000n, flags: 0n,
    })
    assert.deepEqual(r.header, { offset: 0, major: 1, minor: 2, sectionLength: -1n })
  })
})

// ---------------------------------------------------------------------------

describe('section header checks', () => {
  test('a big-endian capture is refused with its own message', () => {
    const bytes = withOneEvent(new CaptureBuilder().shb({ magic: 0x4d3c2b1a }))
    assert.throws(() => openCaptureBytes(bytes), (e: unknown) =>
      e instanceof CaptureError && e.code === 'BAD_BYTE_ORDER' && /big-endian/.test(e.message))
  })

  test('a newer major version is refused', () => {
    assert.throws(() => openCaptureBytes(withOneEvent(new CaptureBuilder().shb({ major: 2 }))),
      (e: unknown) => e instanceof CaptureError && e.code === 'VERSION_UNSUPPORTED')
  })

  test('a block whose trailer disagrees with its header is an error', () => {
    const bytes = withOneEvent(new CaptureBuilder().shb().block(BT.MI, new Uint8Array(180), 999))
    const r = openCaptureBytes(bytes)
    assert.equal(r.error?.code, 'BAD_BLOCK_LENGTH')
    assert.equal(r.error?.offset, 28)
    assert.match(r.error!.message, /header=192, trailer=999/)
  })

  test('an unknown block is skipped with a note', () => {
    const r = openCaptureBytes(withOneEvent(new CaptureBuilder().shb().block(0x7777, new Uint8Array(10)).mi()))
    assert.equal(r.error, null)
    assert.deepEqual(r.notes.map(n => [n.code, n.offset]), [['UNKNOWN_BLOCK', 28]])
    assert.equal(r.machine?.hostname, 'saker-test')
    assert.equal(events(r).length, 1)
  })
})

// ---------------------------------------------------------------------------

describe('event blocks', () => {
  test('every event block type is read, with its cpu id and flags', () => {
    const close = (ts: bigint): Uint8Array => makeEvent(PPME.SYSCALL_CLOSE_X, [P.u64(0), open4], { ts })
    const big = 'x'.repeat(70000)
    const bytes = new CaptureBuilder().shb()
      .event(close(1n), { type: BT.EV_V2, cpuid: 1 })
      .event(close(2n), { type: BT.EVF_V2, cpuid: 2, flags: 0x40 })
      .event(makeEvent(PPME.CONTAINER_JSON_2_E, [P.str(big)], { ts: 3n, large: true, tid: -1 }), { type: BT.EV_V2_LARGE, cpuid: 3 })
      .event(makeEvent(PPME.CONTAINER_JSON_2_E, [P.str('{}')], { ts: 4n, large: true }), { type: BT.EVF_V2_LARGE, flags: 7 })
      .event(makeEventV1(PPME.SYSCALL_CLOSE_X, [P.u64(0)], { ts: 5n }), { type: BT.EV })
      .event(makeEventV1(PPME.SYSCALL_CLOSE_X, [P.u64(0), open4], { ts: 6n }), { type: BT.EVF, flags: 1 })
      .bytes()
    const r = openCaptureBytes(bytes)
    const strs: string[] = []
    const got: unknown[] = []
    r.forEachEvent((ev, flags, cpuid) => {
      got.push([ev.ts, ev.type, ev.nparams, flags, cpuid, ev.cpuid])
      if (ev.type === PPME.CONTAINER_JSON_2_E) strs.push(ev.str(0))
      if (ev.type === PPME.CONTAINER_JSON_2_E && ev.ts === 3n) assert.equal(ev.tid, -1)
    }, { raw: true })
    assert.equal(r.error, null)
    assert.deepEqual(got, [
      [1n, PPME.SYSCALL_CLOSE_X, 2, 0, 1, 1],
      [2n, PPME.SYSCALL_CLOSE_X, 2, 0x40, 2, 2],
      [3n, PPME.CONTAINER_JSON_2_E, 1, 0, 3, 3],
      [4n, PPME.CONTAINER_JSON_2_E, 1, 7, 0, 0],
      [5n, PPME.SYSCALL_CLOSE_X, 1, 0, 0, 0],
      [6n, PPME.SYSCALL_CLOSE_X, 2, 1, 0, 0],
    ])
    assert.deepEqual(strs, [big, '{}'])
    assert.equal(r.stats.convertedV1Events, 2)
  })

  test('an old-layout notification event gets the len correction scap applies', () => {
    const ev = makeEventV1(PPME.NOTIFICATION_E, [P.str('id'), P.str('hello')], { lenDelta: 3 })
    const r = openCaptureBytes(new CaptureBuilder().shb().event(new Bytes().raw(ev).raw([0, 0, 0]).bytes(), { type: BT.EV }).bytes())
    const seen: string[] = []
    r.forEachEvent(e => {
      seen.push(`${e.nparams} ${e.str(0)} ${e.str(1)} ${e.len}`)
    })
    assert.equal(r.error, null)
    assert.deepEqual(seen, [`2 id hello ${26 + 4 + 3 + 6}`])
  })

  test('an old-layout event whose lengths never add up is a BAD_EVENT error', () => {
    const ev = makeEventV1(PPME.SYSCALL_CLOSE_X, [P.u64(0), open4])
    new DataView(ev.buffer).setUint16(22, 9, true) // first param len 9 instead of 8
    const bytes = new CaptureBuilder().shb().event(makeEvent(PPME.SYSCALL_CLOSE_X, [P.u64(0), open4])).event(ev, { type: BT.EV }).bytes()
    const r = openCaptureBytes(bytes)
    assert.equal(r.forEachEvent(() => {}), 1)
    assert.equal(r.error?.code, 'BAD_EVENT')
    assert.match(r.error!.message, /cannot convert old event/)
  })

  test('an event whose param length runs past its end stops reading there, after the good events', () => {
    const good = makeEvent(PPME.SYSCALL_CLOSE_X, [P.u64(0), open4])
    const bad = makeEvent(PPME.SYSCALL_CLOSE_X, [P.u64(0), open4])
    new DataView(bad.buffer).setUint16(28, 200, true)
    const b = new CaptureBuilder().shb().event(good).event(good)
    const badAt = b.bytes().length
    const r = openCaptureBytes(b.event(bad).event(good).bytes())
    assert.equal(r.forEachEvent(() => {}), 2)
    assert.deepEqual({ code: r.error?.code, offset: r.error?.offset }, { code: 'BAD_EVENT', offset: badAt })
    assert.match(r.error!.message, /param 1 len 200 exceeds event len 46/)
  })

  test('an event longer than its block is a BAD_EVENT error', () => {
    const ev = makeEvent(PPME.SYSCALL_CLOSE_X, [P.u64(0), open4])
    new DataView(ev.buffer).setUint32(16, 500, true)
    const r = openCaptureBytes(new CaptureBuilder().shb().event(ev).bytes())
    r.forEachEvent(() => {})
    assert.equal(r.error?.code, 'BAD_EVENT')
    assert.match(r.error!.message, /len 500 is larger than the 46 bytes available in the block/)
  })

  test('events of a type past the table are skipped, counted and noted once', () => {
    const unknown = makeEvent(9999, [P.u64(1)])
    const r = openCaptureBytes(new CaptureBuilder().shb().event(unknown).event(makeEvent(PPME.SYSCALL_CLOSE_X, [P.u64(0), open4])).event(unknown).bytes())
    assert.equal(events(r).length, 1)
    assert.equal(r.stats.unknownTypeEvents, 2)
    assert.deepEqual(r.notes.map(n => n.code), ['UNKNOWN_EVENT_TYPE'])
  })

  test('a callback returning false stops the iteration, and a second call replays from the start', () => {
    const b = new CaptureBuilder().shb()
    for (let i = 0; i < 10; i++) b.event(makeEvent(PPME.SYSCALL_CLOSE_X, [P.u64(0), open4], { ts: BigInt(i) }))
    const r = openCaptureBytes(b.bytes())
    let n = 0
    assert.equal(r.forEachEvent(() => ++n < 3), 3)
    const ts: bigint[] = []
    assert.equal(r.forEachEvent(ev => { ts.push(ev.ts) }), 10)
    assert.deepEqual(ts, Array.from({ length: 10 }, (_, i) => BigInt(i)))
  })

  test('a second section (concatenated captures) is read and announced before its events', () => {
    const first = withOneEvent(new CaptureBuilder().shb().mi('first'))
    const second = withOneEvent(new CaptureBuilder().shb().mi('second').block(BT.PL_V1, plEntry(1, PROC)))
    const all = new Uint8Array(first.length + second.length)
    all.set(first)
    all.set(second, first.length)
    const r = openCaptureBytes(all)
    const order: string[] = []
    const n = r.forEachEvent(() => { order.push('event') }, {
      onSection: (s, i) => { order.push(`section ${i} ${s.machine?.hostname} ${s.threads.length}`) },
    })
    assert.equal(r.error, null)
    assert.equal(n, 2)
    assert.deepEqual(order, ['event', 'section 1 second 1', 'event'])
    assert.equal(r.sections.length, 2)
    assert.equal(r.machine?.hostname, 'first')
    r.forEachEvent(() => {})
    assert.equal(r.sections.length, 2, 'replaying does not duplicate sections')
  })
})
