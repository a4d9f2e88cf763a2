// The live probe on this host: tiny programs each do one thing, and the matching events
// must arrive (in any order, among whatever else the host does) with their params decoded
// by EventView and src/events/params.ts as the capture replay decodes them.
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync, statSync } from 'node:fs'
import { createServer, type Server } from 'node:net'
import { spawnSync } from 'node:child_process'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { cpus, tmpdir } from 'node:os'
import { join } from 'node:path'
import type { EventView } from '../../src/events/event.js'
import { socktuple, sockaddr, strArray } from '../../src/events/params.js'
import { EVENTS, PPME } from '../../src/events/table.js'
import { resolveFlags } from '../../src/events/flags.js'
import { syscallNrByName } from '../../src/events/syscalls.js'
import { openLive, type LiveSource } from '../../src/sources/live/live.js'
import { selectNames } from '../../src/sources/live/select.js'
import { Collector, prog, run, skipReason, waitUnloaded, type Captured } from './helpers.js'

const skip = skipReason()
const SELECTED = [
  'open', 'openat', 'openat2', 'close', 'execve', 'execveat', 'clone', 'clone3', 'fork', 'vfork',
  'socket', 'connect', 'accept', 'accept4', 'sched_process_exit', 'getpid',
  'socketpair', 'setrlimit', 'prlimit64', 'prctl', 'unshare', 'setns', 'open_by_handle_at', 'io_uring_setup',
  'sendmsg', 'recvmsg', 'getsockopt', 'sendmmsg', 'recvmmsg',
]

/**
 * This process's cgroup per controller, from /proc/self/cgroup: v1 lines name their
 * controllers (io under its legacy name blkio), the v2 line (0::) serves the others.
 */
function ownCgroup(subsys: string): string | undefined {
  let unified: string | undefined
  for (const line of readFileSync('/proc/self/cgroup', 'utf8').trim().split('\n')) {
    const [, controllers, path] = /^\d+:([^:]*):(.*)$/.exec(line) ?? []
    if (controllers === '') unified = path
    else if (controllers?.split(',').includes(subsys === 'io' ? 'blkio' : subsys)) return path
  }
  return unified
}

/** Param index by name, from the event table (so a reordered table fails loudly). */
function param(type: number, name: string): number {
  const i = EVENTS[type]!.params.findIndex(p => p.name === name)
  assert.ok(i >= 0, `${EVENTS[type]!.name} has no param ${name}`)
  return i
}

describe('the live probe', { skip: skip ?? false }, () => {
  let live: LiveSource
  let events: Collector
  let progIds: number[]
  const dir = mkdtempSync(join(tmpdir(), 'saker-live-files-'))

  before(() => {
    live = openLive({ selection: selectNames(SELECTED), ringBytes: 1 << 24 })
    progIds = live.info().progIds
    events = new Collector(live)
  })

  after(() => live?.stop())

  test('an openat of a known file arrives as openat exit with fd, dirfd, path, flags and inode', async () => {
    const file = join(dir, 'known.txt')
    writeFileSync(file, 'x')
    const { pid, out } = run(prog('open_file'), [file])
    const v = await events.find(c => c.tid === pid && c.type === PPME.SYSCALL_OPENAT_2_X &&
      Collector.view(c).str(2) === file)
    const t = PPME.SYSCALL_OPENAT_2_X
    assert.equal(v.error(), null)
    assert.equal(v.nparams, EVENTS[t]!.params.length)
    assert.equal(v.i64(param(t, 'fd')), Number(out))
    assert.equal(v.i64(param(t, 'dirfd')), -100)
    assert.equal(v.u32(param(t, 'flags')) & 3, 1) // PPM_O_RDONLY
    assert.equal(v.u64n(param(t, 'ino')), statSync(file).ino)
  })

  test('a relative path is sent as written, with the dirfd it is relative to', async () => {
    writeFileSync(join(dir, 'rel.txt'), 'x')
    const { pid } = run(prog('open_file'), ['rel.txt'], { cwd: dir })
    const v = await events.find(c => c.tid === pid && c.type === PPME.SYSCALL_OPENAT_2_X &&
      Collector.view(c).str(2) === 'rel.txt')
    assert.equal(v.i64(1), -100)
  })

  test('close arrives with its result and fd', async () => {
    const { pid, out } = run(prog('open_file'), ['/etc/hostname'])
    const v = await events.find(c => c.tid === pid && c.type === PPME.SYSCALL_CLOSE_X &&
      Collector.view(c).i64(1) === Number(out))
    assert.equal(v.i64(0), 0)
  })

  test('execve of /bin/true with an argument arrives with exe, args, uid, paths and ids (cwd empty, as Falco\'s modern probe sends it)', async () => {
    const r = spawnSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', '/bin/true', 'saker-arg', 'two'],
      { cwd: dir })
    assert.equal(r.status, 0)
    const pid = r.pid!
    const t = PPME.SYSCALL_EXECVE_19_X
    const v = await events.find(c => c.tid === pid && c.type === t && Collector.view(c).str(param(t, 'filename')) === '/bin/true')
    assert.equal(v.error(), null)
    assert.equal(v.nparams, 31)
    assert.equal(v.i64(param(t, 'res')), 0)
    assert.equal(v.str(param(t, 'exe')), '/bin/true')
    assert.deepEqual(strArray(v, param(t, 'args')), ['saker-arg', 'two'])
    assert.equal(v.i64(param(t, 'tid')), pid)
    assert.equal(v.i64(param(t, 'pid')), pid)
    assert.equal(v.paramLen(param(t, 'cwd')), 0)
    assert.equal(v.str(param(t, 'comm')), 'true')
    assert.equal(v.u32(param(t, 'uid')), 65534)
    assert.equal(v.u32(param(t, 'gid')), 65534)
    assert.equal(v.str(param(t, 'trusted_exepath')), '/usr/bin/true')
    assert.equal(v.u64n(param(t, 'exe_ino')), statSync('/usr/bin/true').ino)
    assert.ok(v.u64n(param(t, 'fdlimit')) > 0)
    assert.ok(v.u32(param(t, 'vm_size')) > 0)
    assert.ok(strArray(v, param(t, 'env')).some(e => e.startsWith('PATH=')))
    const cgroups = strArray(v, param(t, 'cgroups'))
    assert.ok(cgroups.length > 0)
    for (const c of cgroups) {
      const [subsys, path] = c.split('=')
      assert.equal(path, ownCgroup(subsys!), c) // the child stayed in the test's cgroups
    }
  })

  test('a failed execve arrives from sys_exit with its error and argv', async () => {
    const missing = join(dir, 'no-such-binary')
    const child = spawnSync('/bin/sh', ['-c', `exec ${missing} a1 2>/dev/null; exit 0`])
    const t = PPME.SYSCALL_EXECVE_19_X
    const v = await events.find(c => c.type === t && Collector.view(c).str(param(t, 'filename')) === missing)
    assert.ok(v.i64(0) < 0, 'res is an errno')
    assert.equal(v.str(param(t, 'exe')), missing)
    assert.deepEqual(strArray(v, param(t, 'args')), ['a1'])
    assert.equal(v.i64(param(t, 'pid')), child.pid)
  })

  test('connect to a 127.0.0.1 port we listen on arrives with the socket tuple and address', async () => {
    const server: Server = createServer(s => s.destroy())
    await new Promise<void>(r => server.listen(0, '127.0.0.1', r))
    const port = (server.address() as { port: number }).port
    try {
      const { pid, out } = run(prog('connect_tcp'), [String(port)])
      const [fd, localPort] = out.split(' ').map(Number)
      const t = PPME.SOCKET_CONNECT_X
      const v = await events.find(c => c.tid === pid && c.type === t)
      assert.equal(v.i64(param(t, 'res')), 0)
      assert.equal(v.i64(param(t, 'fd')), fd)
      assert.deepEqual(socktuple(v, param(t, 'tuple')), {
        kind: 'ipv4', family: 2, sip: '127.0.0.1', sport: localPort, dip: '127.0.0.1', dport: port,
        srcPtr: 0n, dstPtr: 0n, path: '',
      })
      assert.equal(sockaddr(v, param(t, 'addr'))?.port, port)
      assert.equal(sockaddr(v, param(t, 'addr'))?.ip, '127.0.0.1')
      // and this process's accept of it, tuple seen from the server side
      const a = await events.find(c => c.tid === process.pid && (c.type === PPME.SOCKET_ACCEPT4_6_X ||
        c.type === PPME.SOCKET_ACCEPT_5_X) && socktuple(Collector.view(c), 1)?.sport === localPort)
      const tuple = socktuple(a, 1)!
      assert.equal(tuple.dport, port)
      assert.equal(tuple.sip, '127.0.0.1')
    } finally {
      server.close()
    }
  })

  test('fork and exit arrive as the child clone event, the parent clone event and procexit', async () => {
    const { pid, out } = run(prog('fork_exit'), [])
    const child = Number(out)
    const isClone = (type: number): boolean => type === PPME.SYSCALL_CLONE_20_X || type === PPME.SYSCALL_FORK_20_X ||
      type === PPME.SYSCALL_CLONE3_X
    const c = await events.find(e => e.tid === child && isClone(e.type))
    assert.equal(c.nparams, 21)
    assert.equal(c.i64(0), 0, 'the child returns 0')
    assert.equal(c.i64(3), child, 'tid')
    assert.equal(c.i64(5), pid, 'ptid')
    assert.equal(c.str(13), 'fork_exit', 'comm')
    assert.equal(c.str(1), prog('fork_exit'), 'exe')
    const p = await events.find(e => e.tid === pid && isClone(e.type) && Collector.view(e).i64(0) === child)
    assert.equal(p.i64(3), pid)
    const x = await events.find(e => e.tid === child && e.type === PPME.PROCEXIT_1_E)
    assert.equal(x.i64(1), 7, 'ret: the exit status')
    assert.equal(x.u8(2), 0, 'no signal')
  })

  test('a syscall with no event type of its own arrives as a generic event with its ids', async () => {
    const { pid } = run(prog('getpid'), [])
    const nr = syscallNrByName('getpid')!
    const v: EventView = await events.find(c => c.tid === pid && c.type === PPME.GENERIC_X &&
      Collector.view(c).u16(1) === nr)
    assert.equal(EVENTS[PPME.GENERIC_X]!.params.length, v.nparams)
  })

  test('socketpair, setrlimit, prlimit64, prctl, unshare, setns, open_by_handle_at and io_uring_setup arrive with their params', async () => {
    const file = join(dir, 'handle.txt')
    writeFileSync(file, 'x')
    const { pid, out } = run(prog('state_calls'), [file, '700', 'saker-prctl'])
    const printed = new Map(out.split('\n').map(l => {
      const [name, ...values] = l.split(' ')
      return [name!, values.map(Number)]
    }))
    const got = (name: string): number[] => printed.get(name)!
    const sent = (t: number): Promise<EventView> => events.find(c => c.tid === pid && c.type === t)

    let t: number = PPME.SOCKET_SOCKETPAIR_X
    let v = await sent(t)
    assert.equal(v.i64(param(t, 'res')), 0)
    assert.deepEqual([v.i64(param(t, 'fd1')), v.i64(param(t, 'fd2'))], got('socketpair'))
    const source = v.u64(param(t, 'source'))
    const peer = v.u64(param(t, 'peer'))
    assert.ok(source !== 0n && peer !== 0n && source !== peer, 'the two ends are distinct kernel sockets')
    assert.equal(resolveFlags('socket_families', v.u32(param(t, 'domain')), true), 'AF_LOCAL|AF_UNIX')
    assert.equal(v.u32(param(t, 'type')), 1) // SOCK_STREAM
    assert.equal(v.u32(param(t, 'proto')), 0)

    const [, cur, max] = got('setrlimit')
    t = PPME.SYSCALL_SETRLIMIT_X
    v = await sent(t)
    assert.deepEqual([v.i64(param(t, 'res')), v.i64(param(t, 'cur')), v.i64(param(t, 'max'))], [0, cur, max])
    assert.equal(resolveFlags('rlimit_resources', v.u8(param(t, 'resource')), true), 'RLIMIT_NOFILE')

    t = PPME.SYSCALL_PRLIMIT_X // glibc's getrlimit() makes one too, without new limits
    v = await events.find((c, e) => c.tid === pid && c.type === PPME.SYSCALL_PRLIMIT_X && e.i64(param(t, 'newcur')) === cur)
    assert.equal(v.i64(param(t, 'res')), 0)
    assert.deepEqual([v.i64(param(t, 'newcur')), v.i64(param(t, 'newmax'))], [cur, max])
    assert.deepEqual([v.i64(param(t, 'oldcur')), v.i64(param(t, 'oldmax'))], got('prlimit64').slice(1))
    assert.equal(v.i64(param(t, 'pid')), 0)
    assert.equal(resolveFlags('rlimit_resources', v.u8(param(t, 'resource')), true), 'RLIMIT_NOFILE')

    t = PPME.SYSCALL_PRCTL_X
    v = await sent(t)
    assert.equal(v.i64(param(t, 'res')), 0)
    assert.equal(resolveFlags('prctl_options', v.u32(param(t, 'option')), true), 'PR_SET_NAME')
    assert.equal(v.str(param(t, 'arg2_str')), 'saker-prctl')

    t = PPME.SYSCALL_UNSHARE_X
    v = await sent(t)
    assert.equal(v.i64(param(t, 'res')), 0)
    assert.equal(resolveFlags('clone_flags', v.u32(param(t, 'flags')), false), 'CLONE_NEWUTS')

    t = PPME.SYSCALL_SETNS_X
    v = await sent(t)
    assert.deepEqual([v.i64(param(t, 'res')), v.i64(param(t, 'fd'))], got('setns'))
    assert.equal(resolveFlags('clone_flags', v.u32(param(t, 'nstype')), false), 'CLONE_NEWUTS')

    t = PPME.SYSCALL_OPEN_BY_HANDLE_AT_X
    v = await sent(t)
    assert.deepEqual([v.i64(param(t, 'fd')), v.i64(param(t, 'mountfd'))], got('open_by_handle_at'))
    assert.equal(v.str(param(t, 'path')), file)
    assert.equal(v.u32(param(t, 'flags')) & 3, 1) // PPM_O_RDONLY
    assert.equal(v.u64n(param(t, 'ino')), statSync(file).ino)
    assert.equal(v.u32(param(t, 'dev')), statSync(file).dev)

    const [ring, sqEntries, cqEntries, features] = got('io_uring_setup')
    t = PPME.SYSCALL_IO_URING_SETUP_X
    v = await sent(t)
    assert.deepEqual([v.i64(param(t, 'res')), v.u32(param(t, 'entries'))], [ring, 8])
    assert.deepEqual([v.u32(param(t, 'sq_entries')), v.u32(param(t, 'cq_entries'))], [sqEntries, cqEntries])
    assert.equal(v.u32(param(t, 'flags')), 0)
    assert.equal(v.u32(param(t, 'features')), features! & ~(1 << 8) & 0x7ff) // libs' modern probe drops EXT_ARG
    const [sized] = got('io_uring_setup_sized')
    v = await events.find((c, e) => c.tid === pid && c.type === PPME.SYSCALL_IO_URING_SETUP_X && e.i64(0) === sized)
    assert.equal(resolveFlags('io_uring_setup_flags', v.u32(param(t, 'flags')), false), 'IORING_SETUP_CQSIZE|IORING_SETUP_CLAMP')
  })

  test('a UDP sendmsg and recvmsg arrive with the snaplen of their iovecs\' data, sizes and the tuple from msg_name; getsockopt with its value; sendmmsg and recvmmsg per message; failures', async () => {
    const { pid, out } = run(prog('udp_msg'), [])
    const printed = new Map(out.split('\n').map(l => {
      const [name, ...values] = l.split(' ')
      return [name!, values.map(Number)]
    }))
    const [sendRes, txFd, size] = printed.get('sendmsg')!
    const [recvRes, rxFd, controlLen] = printed.get('recvmsg')!
    const [txPort, rxPort] = printed.get('ports')!
    const sent = 'saker-' + 'x'.repeat(74) // the first 80 bytes across both iovecs
    const tuple = { kind: 'ipv4', family: 2, sip: '127.0.0.1', sport: txPort, dip: '127.0.0.1', dport: rxPort, srcPtr: 0n, dstPtr: 0n, path: '' }

    let t: number = PPME.SOCKET_SENDMSG_X
    let v = await events.find(c => c.tid === pid && c.type === t)
    assert.equal(v.i64(param(t, 'res')), sendRes)
    assert.equal(v.i64(param(t, 'fd')), txFd)
    assert.equal(v.u32(param(t, 'size')), size)
    assert.equal(Buffer.from(v.bytes(param(t, 'data'))).toString(), sent)
    // the sender is neither bound nor connected: no local address (the kernel picks one per
    // datagram) and no peer, which msg_name gives
    assert.deepEqual(socktuple(v, param(t, 'tuple')), { ...tuple, sip: '0.0.0.0' })

    t = PPME.SOCKET_RECVMSG_X
    v = await events.find(c => c.tid === pid && c.type === t)
    assert.equal(v.i64(param(t, 'res')), recvRes)
    assert.equal(v.i64(param(t, 'fd')), rxFd)
    assert.equal(v.u32(param(t, 'size')), recvRes)
    assert.equal(Buffer.from(v.bytes(param(t, 'data'))).toString(), sent)
    // inbound: remote (the sender, from msg_name) first
    assert.deepEqual(socktuple(v, param(t, 'tuple')), tuple)
    assert.equal(v.paramLen(param(t, 'msgcontrol')), controlLen)
    assert.deepEqual(live.unsupported, [], 'every selected syscall has its filler')

    // getsockopt: the value as libs sends it, a kind index then the value. IP_TTL is the
    // last call: once it is here, the thread's earlier ones are too.
    t = PPME.SOCKET_GETSOCKOPT_X
    const [ttlRes, ttl, ttlLen] = printed.get('ip_ttl')!
    v = await events.find((c, e) => c.tid === pid && c.type === t && e.u8(param(t, 'level')) === 0)
    // another level than SOL_SOCKET: unknown level and name, the raw bytes
    assert.deepEqual([v.i64(param(t, 'res')), v.u8(param(t, 'optname')), v.u32(param(t, 'optlen'))], [ttlRes, 0, ttlLen])
    assert.deepEqual([...v.bytes(param(t, 'val'))], [0, ttl, 0, 0, 0])
    const option = (name: string): EventView | undefined => events.events.filter(c => c.tid === pid && c.type === t).map(Collector.view)
      .find(e => resolveFlags('sockopt_options', e.u8(param(t, 'optname')), true) === name)
    for (const [line, name] of [['so_type', 'SO_TYPE'], ['so_rcvtimeo', 'SO_RCVTIMEO']] as const) {
      const [res, value, len] = printed.get(line)!
      const found = option(name)
      assert.ok(found, name)
      v = found
      assert.deepEqual([v.i64(param(t, 'res')), v.i64(param(t, 'fd')), v.u32(param(t, 'optlen'))], [res, rxFd, len])
      assert.equal(resolveFlags('sockopt_levels', v.u8(param(t, 'level')), true), 'SOL_SOCKET')
      const val = v.bytes(param(t, 'val'))
      const data = new DataView(val.buffer, val.byteOffset, val.byteLength)
      if (name === 'SO_TYPE') assert.deepEqual([val.length, val[0], data.getUint32(1, true)], [5, 2, value]) // PPM_SOCKOPT_IDX_UINT32
      else assert.deepEqual([val.length, val[0], data.getBigUint64(1, true)], [9, 4, BigInt(value!)]) // PPM_SOCKOPT_IDX_TIMEVAL, ns
    }

    // sendmmsg and recvmmsg: one event per message, its length as res
    const texts = ['one', 'three']
    for (const [line, type, fd, msgTuple] of [
      ['sendmmsg', PPME.SOCKET_SENDMMSG_X, txFd, { ...tuple, sip: '0.0.0.0' }],
      ['recvmmsg', PPME.SOCKET_RECVMMSG_X, rxFd, tuple],
    ] as const) {
      const [count, ...lengths] = printed.get(line)!
      await events.find((c, e) => c.tid === pid && c.type === type && e.i64(0) === lengths[count! - 1])
      const msgs = events.events.filter(c => c.tid === pid && c.type === type).map(Collector.view).filter(e => e.i64(0) > 0)
      assert.deepEqual(msgs.map(e => e.i64(param(type, 'res'))), lengths.slice(0, count), line)
      assert.deepEqual(msgs.map(e => Buffer.from(e.bytes(param(type, 'data'))).toString()), texts.slice(0, count))
      assert.deepEqual(msgs.map(e => e.u32(param(type, 'size'))), lengths.slice(0, count))
      for (const e of msgs) {
        assert.equal(e.i64(param(type, 'fd')), fd)
        assert.deepEqual(socktuple(e, param(type, 'tuple')), msgTuple)
      }
    }

    // failures: a sendmsg still shows what it tried to send, without a tuple; a recvmmsg is one empty event
    const [sendErr] = printed.get('sendmsg_failed')!
    t = PPME.SOCKET_SENDMSG_X
    v = await events.find((c, e) => c.tid === pid && c.type === t && e.i64(0) === sendErr)
    assert.equal(Buffer.from(v.bytes(param(t, 'data'))).toString(), sent)
    assert.deepEqual([v.i64(param(t, 'fd')), v.u32(param(t, 'size')), v.paramLen(param(t, 'tuple'))], [txFd, size, 0])
    const [recvErr] = printed.get('recvmmsg_failed')!
    t = PPME.SOCKET_RECVMMSG_X
    v = await events.find((c, e) => c.tid === pid && c.type === t && e.i64(0) === recvErr)
    assert.deepEqual([v.i64(param(t, 'fd')), v.u32(param(t, 'size'))], [rxFd, 0])
    for (const name of ['data', 'tuple', 'msgcontrol']) assert.equal(v.paramLen(param(t, name)), 0, name)
  })

  test('each event carries the CPU it was written on', async () => {
    const cpu = cpus().length - 1
    const { pid } = run('taskset', ['-c', String(cpu), prog('getpid')]) // taskset execs getpid: same pid
    const nr = syscallNrByName('getpid')!
    const ours = (c: Captured): boolean => c.tid === pid && c.type === PPME.GENERIC_X && Collector.view(c).u16(1) === nr
    await events.find(ours)
    assert.equal(events.events.find(ours)!.cpu, cpu)
    assert.ok(events.events.every(c => c.cpu < cpus().length))
  })

  test('every event is well formed: known type, the param count of the table, lengths that fit', () => {
    assert.ok(events.events.length > 0)
    for (const c of events.events) {
      const v = Collector.view(c)
      assert.equal(v.error(), null, `${EVENTS[c.type]?.name}: ${v.error()}`)
      assert.equal(v.nparams, EVENTS[c.type]!.params.length, EVENTS[c.type]!.name)
      assert.equal(v.len, c.bytes.length)
    }
  })

  test('the counters count what was sent and nothing was dropped at this rate', () => {
    const s = live.stats()
    assert.ok(s.events >= events.events.length)
    assert.equal(s.perCpu.length, live.info().ncpus)
    assert.equal(s.dropsSize, 0)
    assert.equal(s.dropsBuffer, 0)
  })

  test('after stop() none of the probe\'s programs is loaded', async () => {
    assert.ok(progIds.length >= 5)
    live.stop()
    live.stop() // twice is fine
    assert.deepEqual(await waitUnloaded(progIds), [])
  })
})
