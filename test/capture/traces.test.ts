import assert from 'node:assert/strict'
import { basename } from 'node:path'
import { describe, test } from 'node:test'
import { openCapture } from '../../src/capture/reader.js'
import { FD_TYPE } from '../../src/capture/types.js'
import { EventView } from '../../src/events/event.js'
import { ipv6ToString, paramValue, socktuple, sockaddr, strArray } from '../../src/events/params.js'
import { EF, EVENTS } from '../../src/events/table.js'
import { captureFiles, sharedMissing } from './helpers.js'

// Events per capture, from Debian's sysdig 0.29.3 (libfalcosecurity0 0.1.1dev) with
//   sysdig -D -r FILE -p '%evt.num' | tail -1
// -D keeps the events plain `sysdig -r FILE | wc -l` hides (the capturing tool's own
// events and internal ones); evt.num then counts every event block of the file.
// For reference, plain `sysdig -r FILE | wc -l` printed: cat_write 85, connect_localhost 8,
// curl_google 1221, open-multiple-files 86, ping_sendto 20, privileged 2,
// run_as_user_0_container 3796, run_as_user_65534_container 2, single_ipv6_conn 28,
// syscall 12, test_ipv6_client 68, write_tmp_test 2, empty 0.
const EXPECTED_EVENTS: Record<string, number> = {
  'cat_write.scap': 345,
  'connect_localhost.scap': 374,
  'curl_google.scap': 1536,
  'open-multiple-files.scap': 1272,
  'ping_sendto.scap': 1526,
  'privileged.scap': 2059,
  'run_as_user_0_container.scap': 4143,
  'run_as_user_65534_container.scap': 241,
  'single_ipv6_conn.scap': 1728,
  'syscall.scap': 368,
  'test_ipv6_client.scap': 326,
  'write_tmp_test.scap': 229,
  'empty.scap': 143,
}

const skip = sharedMissing()

/** Private copies of the events with the given 1-based numbers (sysdig's evt.num). */
function pick(path: string, nums: readonly number[]): Map<number, EventView> {
  const r = openCapture(path)
  const out = new Map<number, EventView>()
  let n = 0
  r.forEachEvent(ev => {
    n++
    if (nums.includes(n)) {
      // Keep a private copy: the reader's view is reused.
      out.set(n, new EventView().reset(ev.raw().slice(), 0))
    }
  }, { raw: true })
  return out
}

describe('every shared capture', { skip }, () => {
  for (const path of skip === false ? captureFiles() : []) {
    const name = basename(path)
    test(`${path.split('/falco/')[1]} opens and every event is well formed`, () => {
      const r = openCapture(path)
      assert.equal(r.error, null)
      assert.equal(r.compressed, true)
      assert.ok(r.machine !== null, 'machine info block')
      assert.ok(r.threads.length > 0, 'process list')
      assert.ok(r.users.length > 0 && r.groups.length > 0, 'user list')
      assert.ok(r.interfaces.length > 0, 'interface list')
      let count = 0
      const count2 = r.forEachEvent(ev => {
        count++
        const info = EVENTS[ev.type]
        assert.ok(info !== undefined, `event ${count}: type ${ev.type} is in the table`)
        assert.equal(ev.error(), null, `event ${count} (${info.name}) is well formed`)
        // libs' rule (converter.cpp test_event_convertibility): never more params than the
        // table; fewer is accepted: converter-managed types get the missing ones added by
        // libs' converter, the others pass as they are and read the missing ones as empty.
        assert.ok(ev.nparams <= info.params.length,
          `event ${count} (${info.name}): ${ev.nparams} params, table has ${info.params.length}`)
        let end = ev.offset + 26 + ev.nparams * ((info.flags & EF.LARGE_PAYLOAD) !== 0 ? 4 : 2)
        for (let i = 0; i < ev.nparams; i++) {
          if (ev.paramLen(i) > 0) assert.equal(ev.paramOffset(i), end)
          end += ev.paramLen(i)
        }
        assert.ok(end <= ev.offset + ev.len, `event ${count}: params end inside the event`)
        assert.ok(ev.offset + ev.len <= ev.buf.length)
      }, { raw: true })
      assert.equal(count2, count)
      assert.equal(r.error, null)
      assert.equal(count, EXPECTED_EVENTS[name], `${name}: events counted by sysdig -D`)
      assert.equal(r.stats.unknownTypeEvents, 0)
    })
  }
})

describe('decoded values match what sysdig prints', { skip }, () => {
  const traces = (f: string): string => captureFiles().find(p => p.endsWith(`/traces/${f}`))!

  test('cat_write.scap: the execve exit of cat (event 131), from an old-layout capture', () => {
    const ev = pick(traces('cat_write.scap'), [131]).get(131)!
    assert.equal(EVENTS[ev.type]!.name, 'execve')
    assert.equal(ev.ts, 1470327477881730713n)
    assert.equal(ev.tid, 20072)
    assert.equal(ev.i64(0), 0) // res
    assert.equal(ev.str(1), 'cat') // exe
    assert.deepEqual(strArray(ev, 2), ['/dev/null']) // args
    assert.equal(ev.i64(3), 20072) // tid
    assert.equal(ev.i64(5), 11310) // ptid
    assert.equal(ev.str(6), '/mnt/sf_mstemm/work/src/agent/build/release/userspace/dragent') // cwd
    assert.equal(ev.u64n(7), 1024) // fdlimit
    assert.equal(ev.u32(10), 360) // vm_size
  })

  test('connect_localhost.scap: the connect exit tuple (event 187)', () => {
    const ev = pick(traces('connect_localhost.scap'), [187]).get(187)!
    assert.equal(EVENTS[ev.type]!.name, 'connect')
    assert.equal(ev.i64(0), -115)
    assert.deepEqual(socktuple(ev, 1), {
      kind: 'ipv4', family: 2, sip: '127.0.0.1', sport: 47192, dip: '127.0.0.1', dport: 80,
      srcPtr: 0n, dstPtr: 0n, path: '',
    })
  })

  test('single_ipv6_conn.scap: an IPv6 bind address and a unix connect tuple (events 851, 1143)', () => {
    const evs = pick(traces('single_ipv6_conn.scap'), [851, 1143])
    const bind = evs.get(851)!
    assert.equal(EVENTS[bind.type]!.name, 'bind')
    assert.deepEqual(sockaddr(bind, 1), { kind: 'ipv6', family: 10, ip: '2001:db8::3', port: 1234, path: '' })
    const conn = evs.get(1143)!
    const t = socktuple(conn, 1)!
    assert.equal(t.kind, 'unix')
    assert.equal(t.srcPtr, 0n)
    assert.equal(t.dstPtr, 0xffff94dc817b9400n)
    assert.equal(t.path, '/var/run/nscd/socket')
  })

  test('ping_sendto.scap: sendmsg enter params by table type (event 137)', () => {
    const ev = pick(traces('ping_sendto.scap'), [137]).get(137)!
    assert.equal(EVENTS[ev.type]!.name, 'sendmsg')
    assert.equal(paramValue(ev, 0), 3)
    assert.equal(paramValue(ev, 1), 64)
    assert.deepEqual(paramValue(ev, 2), {
      kind: 'ipv4', family: 2, sip: '0.0.0.0', sport: 1, dip: '128.32.41.1', dport: 0, srcPtr: 0n, dstPtr: 0n, path: '',
    })
  })
})

describe('capture metadata', { skip }, () => {
  const find = (f: string): string => captureFiles().find(p => p.endsWith(`/traces/${f}`))!

  test('a PL_V9 capture from a pre-0.10 writer has loginuid but no pidns/tty fields', () => {
    const r = openCapture(find('run_as_user_0_container.scap'))
    assert.equal(r.sections[0]!.blocks['PL_V9'], 1)
    const bash = r.threads.find(t => t.tid === 13613)!
    assert.deepEqual(
      { comm: bash.comm, exe: bash.exe, exepath: bash.exepath, sid: bash.sid, vpgid: bash.vpgid, loginuid: bash.loginuid,
        uid: bash.uid, gid: bash.gid, vtid: bash.vtid, root: bash.root, cwd: bash.cwd, ptid: bash.ptid },
      { comm: 'bash', exe: '-bash', exepath: '/bin/bash', sid: 13613, vpgid: 13613, loginuid: 501,
        uid: 501, gid: 20, vtid: 13613, root: '/', cwd: '/home/mstemm', ptid: 13612 })
    assert.equal(bash.env.length, 14)
    assert.ok(bash.cgroups.includes('memory=/user.slice'))
    assert.equal(bash.pidnsInitStartTs, 0n)
    assert.equal(bash.pgid, -1)
  })

  test('the fd lists attach to their threads and name files and sockets', () => {
    const r = openCapture(find('connect_localhost.scap'))
    let files = 0
    let sockets = 0
    for (const t of r.threads) {
      assert.equal(t.fds, r.fds.get(t.tid) ?? t.fds)
      for (const f of t.fds) {
        if (f.type === FD_TYPE.FILE || f.type === FD_TYPE.FILE_V2) files++
        if (f.type === FD_TYPE.IPV4_SOCK || f.type === FD_TYPE.UNIX_SOCK || f.type === FD_TYPE.IPV4_SERVSOCK) sockets++
      }
    }
    assert.ok(files > 0 && sockets > 0)
    const lo = r.interfaces.find(i => i.name === 'lo' && i.family === 'ipv4')
    assert.deepEqual(lo && { addr: lo.addr, netmask: lo.netmask }, { addr: '127.0.0.1', netmask: '255.0.0.0' })
    const lo6 = r.interfaces.find(i => i.name === 'lo' && i.family === 'ipv6')
    if (lo6) assert.equal(lo6.addr, ipv6ToString(Uint8Array.from([...new Array(15).fill(0), 1]), 0))
    assert.ok(r.users.some(u => u.uid === 0 && u.name === 'root'))
    assert.ok(r.groups.some(g => g.gid === 0 && g.name === 'root'))
    assert.ok(r.machine!.numCpus > 0)
    assert.ok(r.machine!.hostname.length > 0)
  })
})
