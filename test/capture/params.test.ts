import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { EventView } from '../../src/events/event.js'
import {
  dyn, fdlist, ipaddrParam, ipv4Param, ipv6Param, ipv6ToString, paramValue, sockaddr, socktuple, splitNul, strArray,
  strOrNull,
} from '../../src/events/params.js'
import { PT } from '../../src/events/param-types.js'
import { PPME } from '../../src/events/table.js'
import { Bytes, P, makeEvent } from './helpers.js'

const view = (type: number, params: Uint8Array[]): EventView => new EventView().reset(makeEvent(type, params), 0)
const v6 = (...words: number[]): Uint8Array => {
  const b = new Bytes()
  for (const w of words) b.u8(w >> 8).u8(w & 0xff)
  return b.bytes()
}

describe('IPv6 text', () => {
  const cases: [number[], string][] = [
    [[0, 0, 0, 0, 0, 0, 0, 0], '::'],
    [[0, 0, 0, 0, 0, 0, 0, 1], '::1'],
    [[0x2001, 0xdb8, 0, 0, 0, 0, 0, 1], '2001:db8::1'],
    [[0xfe80, 0, 0, 0, 0x1ff, 0xfe23, 0x4567, 0x890a], 'fe80::1ff:fe23:4567:890a'],
    [[0x2001, 0xdb8, 0, 1, 0, 0, 0, 1], '2001:db8:0:1::1'],
    [[0x2001, 0xdb8, 0, 0, 1, 0, 0, 1], '2001:db8::1:0:0:1'],
    [[0x2001, 0xdb8, 1, 1, 1, 1, 0, 1], '2001:db8:1:1:1:1:0:1'],
    [[1, 0, 0, 0, 0, 0, 0, 0], '1::'],
    [[0, 0, 0, 0, 0, 0xffff, 0xc000, 0x0201], '::ffff:192.0.2.1'],
    [[0, 0, 0, 0, 0, 0, 0xc000, 0x0201], '::192.0.2.1'],
    [[0, 0, 0, 0, 0, 0, 0, 2], '::2'],
    [[0xffff, 0xffff, 0xffff, 0xffff, 0xffff, 0xffff, 0xffff, 0xffff], 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff'],
  ]
  for (const [words, text] of cases) {
    test(`${text} is written as glibc's inet_ntop writes it`, () => {
      assert.equal(ipv6ToString(v6(...words), 0), text)
    })
  }
})

describe('socket params', () => {
  test('sockaddr decodes inet, inet6, unix and unknown families', () => {
    const ev = view(PPME.SOCKET_CONNECT_E, [
      new Bytes().u8(2).raw([93, 184, 216, 34]).u16(443).bytes(),
      new Bytes().u8(10).raw(v6(0x2001, 0xdb8, 0, 0, 0, 0, 0, 0x42)).u16(8080).bytes(),
      new Bytes().u8(1).text('/run/containerd/containerd.sock').u8(0).bytes(),
      new Bytes().u8(16).u32(0).bytes(),
      P.empty(),
    ])
    assert.deepEqual(sockaddr(ev, 0), { kind: 'ipv4', family: 2, ip: '93.184.216.34', port: 443, path: '' })
    assert.deepEqual(sockaddr(ev, 1), { kind: 'ipv6', family: 10, ip: '2001:db8::42', port: 8080, path: '' })
    assert.deepEqual(sockaddr(ev, 2), { kind: 'unix', family: 1, ip: '', port: 0, path: '/run/containerd/containerd.sock' })
    assert.deepEqual(sockaddr(ev, 3), { kind: 'other', family: 16, ip: '', port: 0, path: '' })
    assert.equal(sockaddr(ev, 4), null)
    assert.equal(sockaddr(ev, 9), null)
  })

  test('socktuple decodes inet, inet6 and unix tuples', () => {
    const ev = view(PPME.SOCKET_CONNECT_X, [
      new Bytes().u8(2).raw([10, 0, 0, 1]).u16(51000).raw([10, 0, 0, 2]).u16(5432).bytes(),
      new Bytes().u8(10).raw(v6(0, 0, 0, 0, 0, 0xffff, 0x7f00, 1)).u16(1).raw(v6(0, 0, 0, 0, 0, 0, 0, 1)).u16(2).bytes(),
      new Bytes().u8(1).u64(0xffff8880aaaa0000n).u64(0).text('@abstract').u8(0).bytes(),
    ])
    assert.deepEqual(socktuple(ev, 0), {
      kind: 'ipv4', family: 2, sip: '10.0.0.1', sport: 51000, dip: '10.0.0.2', dport: 5432, srcPtr: 0n, dstPtr: 0n, path: '',
    })
    const t6 = socktuple(ev, 1)!
    assert.deepEqual([t6.sip, t6.sport, t6.dip, t6.dport], ['::ffff:127.0.0.1', 1, '::1', 2])
    const tu = socktuple(ev, 2)!
    assert.deepEqual([tu.kind, tu.srcPtr, tu.dstPtr, tu.path], ['unix', 0xffff8880aaaa0000n, 0n, '@abstract'])
  })

  test('a tuple too short for its family keeps only the family', () => {
    const ev = view(PPME.SOCKET_CONNECT_X, [new Bytes().u8(2).raw([10, 0]).bytes()])
    assert.deepEqual(socktuple(ev, 0), {
      kind: 'ipv4', family: 2, sip: '', sport: 0, dip: '', dport: 0, srcPtr: 0n, dstPtr: 0n, path: '',
    })
  })

  test('raw address params: IPv4, IPv6 and either by length', () => {
    const ev = view(PPME.SYSCALL_EXECVE_19_X, [P.raw([8, 8, 4, 4]), v6(0x2606, 0x4700, 0, 0, 0, 0, 0, 0x1111), P.raw([1, 2, 3])])
    assert.equal(ipv4Param(ev, 0), '8.8.4.4')
    assert.equal(ipv6Param(ev, 1), '2606:4700::1111')
    assert.equal(ipaddrParam(ev, 0), '8.8.4.4')
    assert.equal(ipaddrParam(ev, 1), '2606:4700::1111')
    assert.equal(ipaddrParam(ev, 2), '')
  })
})

describe('lists and strings', () => {
  test('an fd list gives each fd with its poll flags, and drops entries past the param end', () => {
    const list = new Bytes().u16(3).u64(0).u16(1).u64(-1).u16(0x8004).u64(5).u16(4).bytes()
    const truncated = new Bytes().u16(5).u64(7).u16(1).bytes()
    const ev = view(PPME.SYSCALL_POLL_X, [P.u64(2), list, truncated])
    assert.deepEqual(fdlist(ev, 1), [{ fd: 0, flags: 1 }, { fd: -1, flags: 0x8004 }, { fd: 5, flags: 4 }])
    assert.deepEqual(fdlist(ev, 2), [{ fd: 7, flags: 1 }])
    assert.deepEqual(fdlist(ev, 9), [])
  })

  test('NUL-separated strings split as libsinsp splits them', () => {
    const b = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s, 'latin1'))
    const split = (s: string): string[] => splitNul(b(s), 0, s.length)
    assert.deepEqual(split('ls\0-la\0/tmp\0'), ['ls', '-la', '/tmp'])
    assert.deepEqual(split('ls\0-la'), ['ls', '-la'])
    assert.deepEqual(split('a\0\0b\0'), ['a', '', 'b'])
    assert.deepEqual(split(''), [])
    assert.deepEqual(split('\0'), [])
    assert.deepEqual(split('\0\0'), ['', ''])
    const ev = view(PPME.SYSCALL_EXECVE_19_X, [P.u64(0), P.str('bash'), b('bash\0-c\0echo hi\0')])
    assert.deepEqual(strArray(ev, 2), ['bash', '-c', 'echo hi'])
    assert.deepEqual(strArray(ev, 7), [])
  })

  test('strOrNull follows the legacy null encoding: empty and "(NULL)" are no value', () => {
    const ev = view(PPME.SYSCALL_OPEN_X, [P.u64(3), P.str('(NULL)'), P.empty(), P.str('/etc/hosts'), P.str('(NULL'), P.raw([0])])
    assert.equal(strOrNull(ev, 1), null)
    assert.equal(strOrNull(ev, 2), null)
    assert.equal(strOrNull(ev, 3), '/etc/hosts')
    assert.equal(strOrNull(ev, 4), '(NULL')
    assert.equal(strOrNull(ev, 5), '')
  })
})

describe('values by table type', () => {
  test('a dyn param picks its alternative from the event table', () => {
    // setsockopt exit: res, fd, level, optname, val (dyn), optlen
    const val = (idx: number, value: Uint8Array): Uint8Array => new Bytes().u8(idx).raw(value).bytes()
    const ev = view(PPME.SOCKET_SETSOCKOPT_X, [P.u64(0), P.u64(3), P.u8(1), P.u8(2), val(2, P.u32(1)), P.u32(4)])
    assert.deepEqual(dyn(ev, 4), { index: 2, type: PT.UINT32, value: 1 })
    assert.deepEqual(paramValue(ev, 4), { index: 2, type: PT.UINT32, value: 1 })
    const ev2 = view(PPME.SOCKET_SETSOCKOPT_X, [P.u64(0), P.u64(3), P.u8(1), P.u8(2), val(4, P.u64(1_000_000_000n)), P.u32(8)])
    assert.deepEqual(dyn(ev2, 4), { index: 4, type: PT.RELTIME, value: 1_000_000_000n })
    const ev3 = view(PPME.SOCKET_SETSOCKOPT_X, [P.u64(0), P.u64(3), P.u8(1), P.u8(2), val(42, P.u32(1)), P.u32(4)])
    assert.equal(dyn(ev3, 4), null, 'an index past the alternatives')
    assert.equal(dyn(ev3, 0), null, 'not a dyn param')
  })

  test('paramValue decodes each param of an open exit by its type', () => {
    const ev = view(PPME.SYSCALL_OPEN_X, [P.u64(-2), P.str('/etc/shadow'), P.u32(0o101), P.u32(0o644), P.u32(0x803), P.u64(2n ** 60n)])
    assert.deepEqual([0, 1, 2, 3, 4, 5].map(i => paramValue(ev, i)), [-2, '/etc/shadow', 0o101, 0o644, 0x803, 2n ** 60n])
    assert.equal(paramValue(ev, 6), null)
  })
})
